//! Flows: the flows a member may see, a flow's board (its running items in lanes by stage), and
//! an item's runs for the item page's Fluxo tab (console-design §4.4.5, §4.4.8). Reads go
//! through the API's own readers (`routes::flows::{flow_of, list_readable}`,
//! `routes::items::Scope`, `routes::schedule_tasks::Tasks`).
//!
//! A board has no drag between stages: a stage advances only when a closing task completes
//! with valid answers, so a card's menu offers its tasks instead.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
};
use enspace_api::{
    extract::{QueryPairs, WsCtx},
    routes::{
        flows::{flow_of, list_readable},
        items::Scope,
        schedule_tasks::{Listing, Tasks},
    },
    AppState,
};
use enspace_domain::{
    catalogue::Shape,
    flow_run::LATE,
    time::{now_ms, parse_instant},
};
use enspace_store::flows::{FlowItemRecord, FlowRecord, StageRecord, TransitionRecord};

use super::{
    auth::query_value,
    item::zone_of,
    items::short_reference,
    render,
    tasks::{open_pairs, Row},
    with_query, Page,
};
use crate::{
    context::ConsoleWs,
    errors::{ConsoleError, PageResult},
    fields::{cell, Shown},
    format,
    i18n::work::Work,
};

/// The flow's active stages in the order people walk them: the start stage, then breadth-first
/// along the transitions (in their order); stages no transition reaches come last, by id.
pub(crate) fn stage_order<'a>(stages: &'a [StageRecord], transitions: &[TransitionRecord]) -> Vec<&'a StageRecord> {
    let active: Vec<&StageRecord> = stages.iter().filter(|s| s.status == "active").collect();
    let mut ordered: Vec<&StageRecord> = Vec::with_capacity(active.len());
    let mut queue: std::collections::VecDeque<i64> = active.iter().filter(|s| s.is_start).map(|s| s.id).collect();
    let mut edges: Vec<&TransitionRecord> = transitions.iter().collect();
    edges.sort_by_key(|t| (t.position, t.id));
    while let Some(id) = queue.pop_front() {
        let Some(stage) = active.iter().find(|s| s.id == id) else { continue };
        if ordered.iter().any(|s| s.id == id) {
            continue;
        }
        ordered.push(stage);
        queue.extend(edges.iter().filter(|t| t.from_stage == id).map(|t| t.to_stage));
    }
    let mut rest: Vec<&StageRecord> = active.into_iter().filter(|s| !ordered.iter().any(|o| o.id == s.id)).collect();
    rest.sort_by_key(|s| s.id);
    ordered.extend(rest);
    ordered
}

/// A flow's stages and transitions, as the member may read them.
async fn stages_of(
    state: &AppState,
    ctx: &WsCtx,
    flow: i64,
) -> Result<(Vec<StageRecord>, Vec<TransitionRecord>), ConsoleError> {
    let of_flow = QueryPairs(vec![
        ("flow".to_string(), flow.to_string()),
        ("_limit".to_string(), state.config.paging.max_limit.to_string()),
    ]);
    let stages = list_readable(state, ctx, &of_flow).await?;
    let transitions = list_readable(state, ctx, &of_flow).await?;
    Ok((stages, transitions))
}

/// When a run last entered `stage` (its `stages_log`'s latest `start` row for it).
fn entered(run: &FlowItemRecord, stage: i64) -> Option<i64> {
    run.stages_log
        .as_array()?
        .iter()
        .rev()
        .find(|row| row["status"] == "start" && row["stage_id"] == stage)
        .and_then(|row| row["created_at"].as_str())
        .and_then(parse_instant)
}

// ---- The flows list ----

struct FlowLink {
    href: String,
    name: String,
    type_name: String,
}

#[derive(Template)]
#[template(path = "flows/list.html")]
struct FlowsPage {
    page: Page,
    flows: Vec<FlowLink>,
}

pub(crate) async fn list(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    let ctx = &ws.ctx;
    let pairs = QueryPairs(vec![
        ("status".to_string(), "active".to_string()),
        ("_limit".to_string(), state.config.paging.max_limit.to_string()),
    ]);
    let flows: Vec<FlowRecord> = list_readable(&state, ctx, &pairs).await?;
    let nav = ws.nav(&state).await?;
    let names: HashMap<&str, &str> = nav.types.iter().map(|t| (t.slug.as_str(), t.name.as_str())).collect();
    let mut flows: Vec<FlowLink> = flows
        .iter()
        .map(|f| FlowLink {
            href: format!("/app/w/{}/flows/{}/board", ctx.workspace.reference, f.id),
            name: f.name.clone(),
            type_name: names.get(f.type_slug.as_str()).copied().unwrap_or(f.type_slug.as_str()).to_string(),
        })
        .collect();
    flows.sort_by(|a, b| (&a.type_name, &a.name).cmp(&(&b.type_name, &b.name)));
    let mut page = Page::signed_in(&ws.caller, ws.caller.locale.msg().work.flows);
    page.nav = Some(nav);
    render(StatusCode::OK, &FlowsPage { page, flows })
}

// ---- The board ----

/// A task on a card's menu.
struct CardTask {
    row: Row,
}

struct Card {
    reference: String,
    short: String,
    href: Option<String>,
    label: String,
    in_stage: String,
    open_tasks: usize,
    overdue: bool,
    /// The open tasks the member may act on.
    tasks: Vec<CardTask>,
}

struct Lane {
    id: i64,
    name: String,
    color: String,
    count: i64,
    cards: Vec<Card>,
}

/// The board's lanes: the region live updates refresh.
#[derive(Template)]
#[template(path = "flows/_lanes.html")]
struct Lanes {
    t: &'static crate::i18n::Msg,
    csrf: String,
    lanes: Vec<Lane>,
    /// Where "Assumir" comes back to (the board with its filters).
    back: String,
}

#[derive(Template)]
#[template(path = "flows/board.html")]
struct BoardPage {
    page: Page,
    flow_name: String,
    type_name: String,
    href: String,
    q: String,
    overdue_only: bool,
    mine_only: bool,
    lanes: Lanes,
    back: String,
    /// The live stream's event that says the board changed.
    live_topic: String,
}

impl BoardPage {
    fn workspace(&self) -> &str {
        self.page.nav.as_ref().map_or("", |n| n.reference.as_str())
    }
}

/// Cards per lane.
const LANE_CARDS: u32 = 50;

/// The text a card shows for an item: its first readable text field, else its first filled one.
fn label_of(scope: &Scope, item: &enspace_api::routes::items::ItemView, shown: &Shown) -> String {
    let readable = scope.readable_fields();
    let text = readable.iter().find(|d| d.shape() == Shape::Text);
    let filled = |d: &&&enspace_domain::fields::FieldDef| item.data.get(&d.ref_id).is_some_and(|v| !v.is_null());
    text.filter(|d| filled(d))
        .or_else(|| readable.iter().find(filled))
        .map(|d| cell(d, item.data.get(&d.ref_id), shown).text)
        .unwrap_or_default()
}

pub(crate) async fn board(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, id)): Path<(String, i64)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let ctx = &ws.ctx;
    let w: &Work = ws.caller.locale.msg().work;
    let flow = flow_of(&state, ctx, id).await?;
    let scope = Scope::read(&state, ctx, &flow.type_slug).await?;
    let (stages, transitions) = stages_of(&state, ctx, id).await?;
    let zone = zone_of(&state, ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let q = query_value(query.as_deref(), "q").unwrap_or_default().trim().to_lowercase();
    let overdue_only = query_value(query.as_deref(), "overdue").as_deref() == Some("1");
    let mine_only = query_value(query.as_deref(), "mine").as_deref() == Some("1");

    // The open tasks of the flow's runs, by run.
    let tasks = Tasks::of(&state, ctx, Listing::Visible).await?;
    let mut pairs = open_pairs();
    pairs.push(("flow_item.flow".to_string(), id.to_string()));
    pairs.push(("_limit".to_string(), state.config.paging.max_limit.to_string()));
    let mut by_run: HashMap<i64, Vec<enspace_api::routes::schedule_tasks::TaskRow>> = HashMap::new();
    for row in tasks.rows(&state, ctx, &QueryPairs(pairs)).await? {
        by_run.entry(row.view.flow_item.as_i64().unwrap_or_default()).or_default().push(row);
    }

    let href = format!("/app/w/{}/flows/{id}/board", ctx.workspace.reference);
    let back = with_query(&href, query.as_deref().unwrap_or_default());
    let now = now_ms();
    let mut lanes = Vec::new();
    for stage in stage_order(&stages, &transitions) {
        let in_lane = vec![
            ("flow".to_string(), id.to_string()),
            ("stage".to_string(), stage.id.to_string()),
            ("run_status".to_string(), "running".to_string()),
        ];
        let count =
            enspace_api::routes::flows::count_readable::<FlowItemRecord>(&state, ctx, &QueryPairs(in_lane.clone()))
                .await?;
        let mut page_of = in_lane;
        page_of.push(("_sort".to_string(), "updated_at:asc,id:asc".to_string()));
        page_of.push(("_limit".to_string(), LANE_CARDS.to_string()));
        let runs: Vec<FlowItemRecord> = list_readable(&state, ctx, &QueryPairs(page_of)).await?;
        let items = if runs.is_empty() {
            Vec::new()
        } else {
            let mut pairs: Vec<(String, String)> =
                runs.iter().map(|r| ("id_in".to_string(), r.item_id.to_string())).collect();
            pairs.push(("_limit".to_string(), LANE_CARDS.to_string()));
            scope.list(&state, &QueryPairs(pairs)).await?
        };
        let mut cards = Vec::new();
        for run in &runs {
            let Some(item) = items.iter().find(|i| i.id == run.item_id) else { continue };
            let open = by_run.get(&run.id).map(Vec::as_slice).unwrap_or_default();
            let overdue = open.iter().any(|t| t.view.is_overdue == Some(LATE));
            let label = label_of(&scope, item, &shown);
            let card_tasks: Vec<CardTask> =
                open.iter().filter(|t| t.may_act).map(|t| CardTask { row: Row::of(t, ctx, w, &shown) }).collect();
            if (overdue_only && !overdue)
                || (mine_only && card_tasks.is_empty())
                || (!q.is_empty() && !label.to_lowercase().contains(&q) && !item.reference.to_lowercase().contains(&q))
            {
                continue;
            }
            cards.push(Card {
                short: short_reference(&item.reference),
                href: Some(format!(
                    "/app/w/{}/types/{}/{}?tab=flow",
                    ctx.workspace.reference, flow.type_slug, item.reference
                )),
                reference: item.reference.clone(),
                label,
                in_stage: entered(run, stage.id).map(|at| format::duration(now - at)).unwrap_or_default(),
                open_tasks: open.len(),
                overdue,
                tasks: card_tasks,
            });
        }
        let filtered = overdue_only || mine_only || !q.is_empty();
        lanes.push(Lane {
            id: stage.id,
            name: stage.name.clone(),
            color: stage.hex_color.clone().filter(|c| is_hex_colour(c)).unwrap_or_default(),
            count: if filtered { cards.len() as i64 } else { count },
            cards,
        });
    }
    let mut page = Page::signed_in(&ws.caller, &flow.name);
    page.nav = Some(ws.nav(&state).await?);
    let lanes = Lanes { t: ws.caller.locale.msg(), csrf: ws.caller.csrf.clone(), lanes, back: back.clone() };
    let board = BoardPage {
        page,
        type_name: scope.record.name.clone(),
        flow_name: flow.name,
        href,
        q,
        overdue_only,
        mine_only,
        lanes,
        back,
        live_topic: format!("flows-{}", scope.record.slug),
    };
    render(StatusCode::OK, &board)
}

/// A stage colour as the API keeps it (`#rgb` or `#rrggbb`); anything else is not put in a
/// style attribute.
fn is_hex_colour(text: &str) -> bool {
    text.strip_prefix('#').is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

// ---- An item's runs (the item page's Fluxo tab) ----

pub(crate) struct StageChip {
    pub name: String,
    pub current: bool,
    pub passed: bool,
}

pub(crate) struct LogEntry {
    pub stage: String,
    pub started: bool,
    pub when: String,
    pub who: String,
    /// Time in the stage, on a completion (or, for the stage the run is in, so far).
    pub spent: String,
}

pub(crate) struct RunView {
    pub flow_name: String,
    pub board: String,
    pub status: &'static str,
    pub strip: Vec<StageChip>,
    pub log: Vec<LogEntry>,
}

/// The item's runs, newest first, each with its stage strip and timeline.
pub(crate) async fn runs_of(
    state: &AppState,
    ws: &ConsoleWs,
    item_id: i64,
    shown: &Shown<'_>,
) -> Result<Vec<RunView>, ConsoleError> {
    let ctx = &ws.ctx;
    let w = ws.caller.locale.msg().work;
    let pairs =
        QueryPairs(vec![("item".to_string(), item_id.to_string()), ("_sort".to_string(), "id:desc".to_string())]);
    let runs: Vec<FlowItemRecord> = list_readable(state, ctx, &pairs).await?;
    let now = now_ms();
    let mut out = Vec::new();
    for run in runs {
        let flow = flow_of(state, ctx, run.flow_id).await?;
        let (stages, transitions) = stages_of(state, ctx, run.flow_id).await?;
        let name_of = |id: i64| stages.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
        let rows = run.stages_log.as_array().cloned().unwrap_or_default();
        let mut log = Vec::new();
        let mut since: HashMap<i64, i64> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let stage = row["stage_id"].as_i64().unwrap_or_default();
            let at = row["created_at"].as_str().and_then(parse_instant).unwrap_or(now);
            let started = row["status"] == "start";
            let spent = if started {
                since.insert(stage, at);
                // The stage the run is still in: the time so far.
                let left = rows[i + 1..].iter().any(|r| r["stage_id"] == stage && r["status"] == "complete");
                if !left && run.run_status == "running" && run.stage_id == Some(stage) {
                    format::duration(now - at)
                } else {
                    String::new()
                }
            } else {
                since.get(&stage).map(|from| format::duration(at - from)).unwrap_or_default()
            };
            log.push(LogEntry {
                stage: name_of(stage),
                started,
                when: format::date_time(at, shown.zone, shown.locale),
                who: row["user"].as_str().unwrap_or_default().to_string(),
                spent,
            });
        }
        let visited: Vec<i64> = rows.iter().filter_map(|r| r["stage_id"].as_i64()).collect();
        let strip = stage_order(&stages, &transitions)
            .into_iter()
            .map(|s| StageChip {
                name: s.name.clone(),
                current: run.run_status == "running" && run.stage_id == Some(s.id),
                passed: visited.contains(&s.id),
            })
            .collect();
        out.push(RunView {
            board: format!("/app/w/{}/flows/{}/board", ctx.workspace.reference, flow.id),
            flow_name: flow.name,
            status: w.run_status(&run.run_status),
            strip,
            log,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(id: i64, is_start: bool, status: &str) -> StageRecord {
        StageRecord {
            id,
            workspace_id: 1,
            flow_id: 1,
            type_id: 1,
            type_slug: "t".into(),
            name: format!("s{id}"),
            status: status.into(),
            progress_type: "closing_task".into(),
            is_start,
            hex_color: None,
            icon: None,
            created_by: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn transition(id: i64, from: i64, to: i64, position: i64) -> TransitionRecord {
        TransitionRecord {
            id,
            workspace_id: 1,
            flow_id: 1,
            type_id: 1,
            type_slug: "t".into(),
            from_stage: from,
            to_stage: to,
            name: String::new(),
            conditional: None,
            position,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn lanes_run_from_the_start_along_transitions_and_unreached_stages_come_last() {
        // 5 (start) → 3 and → 1 (position 0 before 1), 3 → 4, 1 → 5 (a cycle back), 2 unreached,
        // 6 inactive.
        let stages = [
            stage(1, false, "active"),
            stage(2, false, "active"),
            stage(3, false, "active"),
            stage(4, false, "active"),
        ]
        .into_iter()
        .chain([stage(5, true, "active"), stage(6, false, "inactive")])
        .collect::<Vec<_>>();
        let transitions =
            [transition(10, 5, 1, 1), transition(11, 5, 3, 0), transition(12, 3, 4, 0), transition(13, 1, 5, 0)];
        let order: Vec<i64> = stage_order(&stages, &transitions).into_iter().map(|s| s.id).collect();
        assert_eq!(order, [5, 3, 1, 4, 2]);
    }

    #[test]
    fn only_hex_colours_reach_a_style() {
        assert!(is_hex_colour("#0af") && is_hex_colour("#00AAFF"));
        assert!(!is_hex_colour("red") && !is_hex_colour("#00aaff;background:url(x)") && !is_hex_colour("#12345"));
    }
}
