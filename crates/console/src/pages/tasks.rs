//! Schedule tasks: the inbox (My tasks, grouped by how soon they are due), a task's page, and
//! taking and completing one (console-design §4.4.6–4.4.7). Every read and every act goes
//! through the API's own `routes::schedule_tasks::Tasks`: the same visibility, the same
//! engine commands, the same answers.

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
};
use enspace_api::{
    error::ApiError,
    extract::{workspace::allowed, QueryPairs, WsCtx},
    routes::schedule_tasks::{Listing, TaskRow, Tasks},
    AppState,
};
use enspace_domain::{
    access::Action,
    fields::FieldDef,
    flow_run::LATE,
    html_form::{self, Mode},
    time::{format_ms, now_ms},
};
use jiff::{civil, tz::TimeZone, Timestamp, ToSpan};
use serde_json::{Map, Value};

use super::{
    auth::query_value,
    form_refusal,
    item::{at_inputs, problems_of, zone_of},
    items::short_reference,
    render, see_other, with_query, Page, Problems,
};
use crate::{
    context::{ConsoleWs, WsPosted},
    errors::{ConsoleError, PageResult},
    fields::{
        filters::Params,
        widgets::{widgets, Drawn, Values, Widget},
        Shown,
    },
    format,
    i18n::{work::Work, Msg},
};

/// The inbox's groups, in the order shown (console-design §4.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Overdue,
    Today,
    Week,
    Later,
    None,
}

impl Due {
    const ALL: [Due; 5] = [Due::Overdue, Due::Today, Due::Week, Due::Later, Due::None];

    fn key(self) -> &'static str {
        match self {
            Due::Overdue => "overdue",
            Due::Today => "today",
            Due::Week => "week",
            Due::Later => "later",
            Due::None => "none",
        }
    }

    fn title(self, w: &Work) -> &'static str {
        match self {
            Due::Overdue => w.group_overdue,
            Due::Today => w.group_today,
            Due::Week => w.group_week,
            Due::Later => w.group_later,
            Due::None => w.group_no_due,
        }
    }

    /// The list filters selecting the group's tasks at `now` in the workspace's `zone`:
    /// overdue is due before now; today, before the coming local midnight; this week, before
    /// the end of Sunday (weeks run Monday to Sunday, ISO 8601 — on a Sunday "this week" is
    /// over after today); later, after that; none, without a due date.
    pub(crate) fn pairs(self, now: i64, zone: &TimeZone) -> Vec<(String, String)> {
        let at = Timestamp::from_millisecond(now).unwrap_or_else(|_| Timestamp::now());
        let today = at.to_zoned(zone.clone()).date();
        let start_of = |day: civil::Date| day.to_zoned(zone.clone()).map_or(now, |z| z.timestamp().as_millisecond());
        let days_to_monday = 7 - i64::from(today.weekday().to_monday_zero_offset());
        let end_today = start_of(today.tomorrow().unwrap_or(today));
        let end_week = start_of(today.checked_add(days_to_monday.days()).unwrap_or(today));
        let pair = |key: &str, ms: i64| (key.to_string(), format_ms(ms));
        match self {
            Due::Overdue => vec![pair("due_date_lt", now)],
            Due::Today => vec![pair("due_date_gte", now), pair("due_date_lt", end_today)],
            Due::Week => vec![pair("due_date_gte", end_today), pair("due_date_lt", end_week)],
            Due::Later => vec![pair("due_date_gte", end_week)],
            Due::None => vec![("due_date_null".to_string(), "true".to_string())],
        }
    }
}

/// The list filters of open tasks (waiting or working).
pub(crate) fn open_pairs() -> Vec<(String, String)> {
    ["waiting", "working"].iter().map(|s| ("work_status_in".to_string(), s.to_string())).collect()
}

/// How many of the member's open tasks are overdue: the menu's badge.
pub(crate) async fn overdue_count(state: &AppState, ctx: &WsCtx) -> Result<i64, ApiError> {
    let tasks = Tasks::of(state, ctx, Listing::InCharge).await?;
    let mut pairs = open_pairs();
    pairs.push(("due_date_lt".to_string(), format_ms(now_ms())));
    tasks.count(state, ctx, &QueryPairs(pairs)).await
}

/// One task as a list row shows it.
pub(crate) struct Row {
    pub href: String,
    pub name: String,
    pub type_name: String,
    pub item_href: Option<String>,
    pub item_short: String,
    pub item_reference: String,
    pub flow_name: String,
    pub stage_name: String,
    pub responsible: String,
    pub due: String,
    pub late: bool,
    pub sla: &'static str,
    pub status: &'static str,
    pub work_status: String,
    /// Whether the row offers "Assumir" (a waiting task the member may act on).
    pub may_take: bool,
    pub take_href: String,
}

impl Row {
    pub(crate) fn of(row: &TaskRow, ctx: &WsCtx, w: &Work, shown: &Shown) -> Row {
        let ws = &ctx.workspace.reference;
        let view = &row.view;
        let href = format!("/app/w/{ws}/tasks/scheduled/{}", view.id);
        let readable = allowed(&ctx.access, &Action::read_type(&row.type_slug)).is_ok();
        // Lists carry the wire's `is_overdue`; a single task does not [wire], so the same rule
        // is applied here to its dates.
        let is_overdue = view.is_overdue.unwrap_or_else(|| {
            let at = |text: &Option<String>| text.as_deref().and_then(enspace_domain::time::parse_instant);
            let ended = at(&view.completed_at).or_else(|| at(&view.deleted_at));
            enspace_domain::flow_run::is_overdue(at(&view.due_date), ended, now_ms())
        });
        Row {
            take_href: format!("{href}/assign"),
            href,
            name: view.task_name.clone(),
            type_name: view.item_type_name.clone(),
            item_href: readable.then(|| format!("/app/w/{ws}/types/{}/{}", row.type_slug, view.item_reference)),
            item_short: short_reference(&view.item_reference),
            item_reference: view.item_reference.clone(),
            flow_name: view.flow_name.clone(),
            stage_name: view.stage_name.clone(),
            responsible: view.unified_responsible.clone(),
            due: view
                .due_date
                .as_deref()
                .and_then(|d| format::instant(d, shown.zone, shown.locale))
                .unwrap_or_default(),
            late: is_overdue == LATE,
            sla: w.sla(is_overdue),
            status: w.work_status(&view.work_status),
            work_status: view.work_status.clone(),
            may_take: view.work_status == "waiting" && row.may_act,
        }
    }
}

struct Group {
    key: &'static str,
    title: &'static str,
    count: i64,
    rows: Vec<Row>,
    /// The inbox showing this group alone, when it has more than the rows shown.
    more: Option<String>,
}

/// A group's query: its filters and order.
struct Section {
    key: &'static str,
    title: &'static str,
    due: Vec<(String, String)>,
    sort: &'static str,
}

impl Section {
    fn closed(key: &'static str, title: &'static str, sort: &'static str) -> Section {
        Section { key, title, due: Vec::new(), sort }
    }
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "tasks/inbox.html")]
struct InboxPage {
    page: Page,
    base: String,
    scope: &'static str,
    may_see_all: bool,
    statuses: Vec<Choice>,
    flows: Vec<Choice>,
    types: Vec<Choice>,
    q: String,
    groups: Vec<Group>,
    /// The inbox's own address, where "Assumir" comes back to.
    back: String,
}

/// Rows per group before "Ver mais".
const GROUP_ROWS: u32 = 25;

/// `/app/w/{ws}/tasks`: the inbox.
pub(crate) async fn tasks_home(ws: ConsoleWs) -> PageResult {
    Ok(see_other(&format!("/app/w/{}/tasks/scheduled", ws.ctx.workspace.reference)))
}

pub(crate) async fn inbox(State(state): State<AppState>, ws: ConsoleWs, RawQuery(query): RawQuery) -> PageResult {
    let params = Params::parse(query.as_deref());
    let get = |name: &str| params.get(name).map(str::to_string);
    let t = ws.caller.locale.msg();
    let w = t.work;
    let ctx = &ws.ctx;
    let may_see_all = allowed(&ctx.access, &Action::read_feature("tasks::scheduled::read")).is_ok();
    let scope = if may_see_all && get("scope").as_deref() == Some("all") { "all" } else { "mine" };
    let listing = if scope == "all" { Listing::Visible } else { Listing::InCharge };
    let status = get("status").filter(|s| ["waiting", "working", "complete", "removed"].contains(&s.as_str()));
    let flow = get("flow").and_then(|f| f.parse::<i64>().ok());
    let nav = ws.nav(&state).await?;
    let type_name = get("type").and_then(|slug| nav.types.iter().find(|t| t.slug == slug).map(|t| t.name.clone()));
    let q = get("q").unwrap_or_default();
    let only = get("due").and_then(|d| Due::ALL.into_iter().find(|g| g.key() == d));

    let mut filters: Vec<(String, String)> = match &status {
        Some(s) => vec![("work_status".to_string(), s.clone())],
        None => open_pairs(),
    };
    if let Some(flow) = flow {
        filters.push(("flow_item.flow".to_string(), flow.to_string()));
    }
    if let Some(name) = &type_name {
        filters.push(("item_type_name".to_string(), name.clone()));
    }
    if !q.trim().is_empty() {
        filters.push(("_q".to_string(), q.trim().to_string()));
    }

    let zone = zone_of(&state, ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let tasks = Tasks::of(&state, ctx, listing).await?;
    let base = format!("/app/w/{}/tasks/scheduled", ctx.workspace.reference);
    let mut groups = Vec::new();
    // Closed tasks are one list, the latest first; open ones by how soon they are due.
    let closed = status.as_deref().filter(|s| matches!(*s, "complete" | "removed"));
    let sections: Vec<Section> = match closed {
        Some("complete") => vec![Section::closed("complete", w.group_complete, "completed_at:desc,id:desc")],
        Some(_) => vec![Section::closed("removed", w.group_removed, "deleted_at:desc,id:desc")],
        None => Due::ALL
            .into_iter()
            .filter(|g| only.is_none_or(|o| o == *g))
            .map(|g| Section {
                key: g.key(),
                title: g.title(w),
                due: g.pairs(now_ms(), &zone),
                sort: "due_date:asc,id:asc",
            })
            .collect(),
    };
    let limit = if only.is_some() { state.config.paging.max_limit } else { GROUP_ROWS };
    for Section { key, title, due, sort } in sections {
        let mut pairs = filters.clone();
        pairs.extend(due);
        let count = tasks.count(&state, ctx, &QueryPairs(pairs.clone())).await?;
        pairs.push(("_sort".to_string(), sort.to_string()));
        pairs.push(("_limit".to_string(), limit.to_string()));
        let rows = if count == 0 { Vec::new() } else { tasks.rows(&state, ctx, &QueryPairs(pairs)).await? };
        let rows: Vec<Row> = rows.iter().map(|r| Row::of(r, ctx, w, &shown)).collect();
        let more = (count > rows.len() as i64 && closed.is_none())
            .then(|| format!("{base}?{}", params.with(&[("due", Some(key))])));
        groups.push(Group { key, title, count, rows, more });
    }

    let flows: Vec<enspace_store::flows::FlowRecord> = enspace_api::routes::flows::list_readable(
        &state,
        ctx,
        &QueryPairs(vec![("_limit".into(), state.config.paging.max_limit.to_string())]),
    )
    .await?;
    let choice = |value: String, label: String, selected: bool| Choice { value, label, selected };
    let statuses = [
        ("", w.work_open),
        ("waiting", w.work_waiting),
        ("working", w.work_working),
        ("complete", w.work_complete),
        ("removed", w.work_removed),
    ]
    .into_iter()
    .map(|(v, l)| choice(v.to_string(), l.to_string(), status.as_deref().unwrap_or_default() == v))
    .collect();
    let flows = flows.into_iter().map(|f| choice(f.id.to_string(), f.name, Some(f.id) == flow)).collect();
    let chosen_type = get("type");
    let types = nav
        .types
        .iter()
        .map(|t| choice(t.slug.clone(), t.name.clone(), chosen_type.as_deref() == Some(&t.slug)))
        .collect();
    let back = with_query(&base, query.as_deref().unwrap_or_default());
    let mut page = Page::signed_in(&ws.caller, w.my_tasks);
    page.nav = Some(nav);
    let page = InboxPage { page, base, scope, may_see_all, statuses, flows, types, q, groups, back };
    render(StatusCode::OK, &page)
}

/// One `task_log` row as the page shows it.
struct LogRow {
    who: String,
    when: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "tasks/task.html")]
struct TaskPage {
    page: Page,
    inbox: String,
    href: String,
    tab: &'static str,
    row: Row,
    description: String,
    action: &'static str,
    /// A confirmation task: its button confirms.
    confirmation: bool,
    taken_by: String,
    open: bool,
    may_act: bool,
    /// A `require_assignment` task still waiting: taken before it is completed.
    take_first: bool,
    /// What completing does to the stage ("conclui a etapa Triagem"), for closing tasks.
    closes: Option<String>,
    /// The completion form's inputs (the task's fields).
    widgets: Vec<Widget>,
    problems: Problems,
    /// The engine's 409 (someone else acted first): a banner with a reload link.
    conflict: Option<String>,
    /// The item as the member may read it.
    item_fields: Vec<Widget>,
    item_note: Option<&'static str>,
    log: Vec<LogRow>,
}

/// The task's fields (`[{refId, required}]`) as the type defines them, and the required ones.
fn task_fields(
    row: &TaskRow,
    structure: &enspace_engine::structure_cache::TypeStructure,
) -> (Vec<FieldDef>, Vec<String>) {
    let mut defs = Vec::new();
    let mut required = Vec::new();
    for field in &row.def.fields {
        let Some(ref_id) = field.get("refId").and_then(Value::as_str) else { continue };
        let Some(found) = structure.fields.iter().find(|f| f.def.ref_id == ref_id && f.def.active) else { continue };
        defs.push(found.def.clone());
        if field.get("required").and_then(Value::as_bool) == Some(true) {
            required.push(ref_id.to_string());
        }
    }
    (defs, required)
}

/// The embedded item's data (`flow_item.item.data`), empty when the member reads none of it.
fn item_data(row: &TaskRow) -> Map<String, Value> {
    row.view.flow_item.get("item").and_then(|i| i.get("data")).and_then(Value::as_object).cloned().unwrap_or_default()
}

struct Panel<'a> {
    tab: &'static str,
    posted: Option<&'a [(String, String)]>,
    problems: Problems,
    conflict: Option<String>,
}

async fn task_page(state: &AppState, ws: &ConsoleWs, row: TaskRow, panel: Panel<'_>) -> Result<TaskPage, ConsoleError> {
    let t: &Msg = ws.caller.locale.msg();
    let w = t.work;
    let ctx = &ws.ctx;
    let zone = zone_of(state, ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let structure = state.structure.type_by_slug(&state.db, &ctx.workspace, &row.type_slug).await?;
    let data = item_data(&row);
    let open = enspace_domain::flow_run::is_open(&row.view.work_status);
    let take_first = open && row.def.require_assignment && row.view.work_status == "waiting";
    let workspace = format!("/app/w/{}", ctx.workspace.reference);
    let (widgets_shown, item_fields) = match &structure {
        Some(structure) => {
            let (defs, required) = task_fields(&row, structure);
            let encoded;
            let values = match panel.posted {
                Some(pairs) => pairs,
                None => {
                    encoded = html_form::encode(&defs, &data, &zone);
                    &encoded[..]
                }
            };
            let drawn = Drawn {
                values: Values(values),
                required: &required,
                problems: &panel.problems,
                shown: &shown,
                workspace: Some(&workspace),
            };
            let refs: Vec<&FieldDef> = defs.iter().collect();
            let form = widgets(&refs, &|_| true, &data, &drawn);
            let readable: Vec<&FieldDef> =
                structure.fields.iter().map(|f| &f.def).filter(|d| data.contains_key(&d.ref_id)).collect();
            let none = Problems::default();
            let plain = Drawn { values: Values(&[]), required: &[], problems: &none, shown: &shown, workspace: None };
            (form, widgets(&readable, &|_| false, &data, &plain))
        }
        None => (Vec::new(), Vec::new()),
    };
    let item_note = match row.view.flow_item.get("item") {
        Some(Value::Null) | None => Some(w.item_deleted),
        Some(item) if item.get("data").is_none() => Some(w.item_unreadable),
        _ => None,
    };
    let log = row
        .view
        .task_log
        .iter()
        .map(|entry| LogRow {
            who: entry.get("email").and_then(Value::as_str).unwrap_or(w.system).to_string(),
            when: entry
                .get("created_at")
                .and_then(Value::as_str)
                .and_then(|at| format::instant(at, &zone, ws.caller.locale))
                .unwrap_or_default(),
            status: w.work_status(entry.get("work_status").and_then(Value::as_str).unwrap_or_default()),
        })
        .collect();
    let taken_by = row
        .view
        .task_log
        .iter()
        .rev()
        .find(|e| e.get("work_status").and_then(Value::as_str) == Some("working"))
        .and_then(|e| e.get("email").and_then(Value::as_str))
        .filter(|_| row.view.assigned.is_some())
        .unwrap_or_default()
        .to_string();
    let closes = match row.def.action.as_str() {
        "close_stage" => Some(format!("{} {}.", w.closes_stage, row.view.stage_name)),
        "close_flow" => Some(format!("{} {}.", w.closes_flow, row.view.stage_name)),
        _ => None,
    };
    let inbox = format!("{workspace}/tasks/scheduled");
    let mut page = Page::signed_in(&ws.caller, &row.view.task_name);
    page.nav = Some(ws.nav(state).await?);
    // The completion form stays as the member left it: a change elsewhere shows a banner.
    page.watch = Some(format!("item-{}", row.view.item_reference));
    Ok(TaskPage {
        page,
        href: format!("{inbox}/{}", row.view.id),
        inbox,
        tab: panel.tab,
        description: row.def.description.clone(),
        action: w.action_name(&row.def.action),
        confirmation: row.def.action == "confirmation",
        taken_by,
        open,
        may_act: row.may_act,
        take_first,
        closes,
        widgets: widgets_shown,
        problems: panel.problems,
        conflict: panel.conflict,
        item_fields,
        item_note,
        log,
        row: Row::of(&row, ctx, w, &shown),
    })
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, id)): Path<(String, i64)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let tab = match query_value(query.as_deref(), "tab").as_deref() {
        Some("item") => "item",
        Some("history") => "history",
        _ => "task",
    };
    let row = Tasks::of(&state, &ws.ctx, Listing::Visible).await?.panel(&state, &ws.ctx, id).await?;
    let panel = Panel { tab, posted: None, problems: Problems::default(), conflict: None };
    render(StatusCode::OK, &task_page(&state, &ws, row, panel).await?)
}

/// The engine's 409 shown as a banner on the task's page (someone else took or completed it
/// meanwhile); any other refusal is the page's error.
async fn conflicted(state: &AppState, ws: &ConsoleWs, tasks: &Tasks, id: i64, error: ApiError) -> PageResult {
    if error.status != StatusCode::CONFLICT || !error.details.is_empty() {
        return Err(error.into());
    }
    let row = tasks.panel(state, &ws.ctx, id).await?;
    let panel =
        Panel { tab: "task", posted: None, problems: Problems::default(), conflict: Some(error.message.to_string()) };
    render(StatusCode::CONFLICT, &task_page(state, ws, row, panel).await?)
}

/// Takes the task, then back where the button was (the inbox, a board, the task's page).
pub(crate) async fn assign(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form } = posted;
    let tasks = Tasks::of(&state, &ws.ctx, Listing::Visible).await?;
    let back = ws.back(&form, format!("/app/w/{}/tasks/scheduled/{id}", ws.ctx.workspace.reference));
    match tasks.assign(&state, &ws.ctx, id).await {
        Ok(_) => Ok(see_other(&back)),
        Err(error) => conflicted(&state, &ws, &tasks, id, error).await,
    }
}

/// Completes the task with the form's answers (only what changed from the item is sent).
pub(crate) async fn complete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form: posted } = posted;
    let tasks = Tasks::of(&state, &ws.ctx, Listing::Visible).await?;
    let row = tasks.panel(&state, &ws.ctx, id).await?;
    let structure = state.structure.type_by_slug(&state.db, &ws.ctx.workspace, &row.type_slug).await?;
    let (defs, _) = structure.as_deref().map(|s| task_fields(&row, s)).unwrap_or_default();
    let zone = zone_of(&state, ws.ctx.workspace.id).await?;
    let data = item_data(&row);
    let problems = match html_form::decode(&defs, &posted.0, Mode::Edit(&data), &zone) {
        Err(details) => problems_of(&at_inputs(details, ""), &defs),
        Ok(answers) => match tasks.complete(&state, &ws.ctx, id, &answers).await {
            Ok(_) => return Ok(see_other(&format!("/app/w/{}/tasks/scheduled/{id}", ws.ctx.workspace.reference))),
            // Someone acted first: the banner; what the answers lack: beside the inputs.
            Err(error) if error.details.is_empty() => return conflicted(&state, &ws, &tasks, id, error).await,
            Err(error) => problems_of(&at_inputs(form_refusal(error)?, ""), &defs),
        },
    };
    let panel = Panel { tab: "task", posted: Some(&posted.0), problems, conflict: None };
    render(StatusCode::UNPROCESSABLE_ENTITY, &task_page(&state, &ws, row, panel).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn groups_split_at_local_midnight_and_the_end_of_sunday() {
        let sp = TimeZone::get("America/Sao_Paulo").unwrap();
        // Wednesday 2026-12-02 10:00 in São Paulo (13:00Z).
        let now = at("2026-12-02T13:00:00Z");
        let text = |g: Due| g.pairs(now, &sp).into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        assert_eq!(text(Due::Overdue), ["due_date_lt=2026-12-02T13:00:00.000Z"]);
        assert_eq!(text(Due::Today), ["due_date_gte=2026-12-02T13:00:00.000Z", "due_date_lt=2026-12-03T03:00:00.000Z"]);
        assert_eq!(text(Due::Week), ["due_date_gte=2026-12-03T03:00:00.000Z", "due_date_lt=2026-12-07T03:00:00.000Z"]);
        assert_eq!(text(Due::Later), ["due_date_gte=2026-12-07T03:00:00.000Z"]);
        assert_eq!(text(Due::None), ["due_date_null=true"]);
    }

    #[test]
    fn on_a_sunday_this_week_ends_with_today() {
        let sp = TimeZone::get("America/Sao_Paulo").unwrap();
        // Sunday 2026-12-06 23:30 in São Paulo is already Monday in UTC.
        let now = at("2026-12-07T02:30:00Z");
        let week = Due::Week.pairs(now, &sp);
        assert_eq!(week[0].1, week[1].1, "an empty range: Monday starts the next week");
        assert_eq!(week[1].1, "2026-12-07T03:00:00.000Z");
    }
}
