//! Quick tasks (console-design §4.4.9): the board — four lanes by status, each with its count,
//! points and overdue count, 25 cards and "Ver mais" — the archived and trash views, creating,
//! editing, the card actions (move, archive, trash, restore, duplicate, delete for good), and
//! completing form and approval tasks in the task's panel. Everything goes through the API's
//! own `routes::quick_tasks::{list, count, points, get, create, update, delete}`.
//!
//! A card moves by drag and drop (console.js submits the card's own "Mover para" form) or by
//! that form itself, from the keyboard or a touch screen.

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
};
use enspace_api::{
    error::ApiError,
    extract::QueryPairs,
    routes::quick_tasks::{self, QuickTaskInput, QuickTaskView},
    AppState,
};
use enspace_domain::{
    fields::FieldDef,
    html_form::{self, Mode},
    time::{format_ms, now_ms, parse_instant},
    Detail,
};
use jiff::{civil, tz::TimeZone, Timestamp, ToSpan};
use serde_json::{json, Map, Value};

use super::{
    auth::query_value,
    form_refusal,
    item::{at_inputs, problems_of, zone_of},
    render, see_other, with_query, Page, Problem, Problems,
};
use crate::{
    context::{ConsoleWs, WsPosted},
    errors::{ConsoleError, PageResult},
    fields::{
        widgets::{widgets, Drawn, Values, Widget},
        Shown,
    },
    format,
    i18n::work::Work,
    session::UserNames,
};

/// The board's lanes: the wire's statuses, in the product's order.
pub(crate) const LANES: [&str; 4] = ["pending", "working", "blocked", "completed"];
const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
/// Cards a lane shows, and each "Ver mais" adds.
const LANE_CARDS: i64 = 25;

/// The board's toolbar, read from its URL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filters {
    /// `board`, `archived` or `trash`.
    pub view: &'static str,
    /// `any`, `me` or `none`.
    pub assignee: &'static str,
    pub priority: Option<&'static str>,
    /// `overdue`, `today`, `7d` or `month`.
    pub due: Option<&'static str>,
    pub q: String,
}

fn one_of(value: Option<String>, allowed: &[&'static str]) -> Option<&'static str> {
    value.and_then(|v| allowed.iter().copied().find(|a| *a == v))
}

impl Filters {
    pub(crate) fn parse(query: Option<&str>) -> Filters {
        let get = |name: &str| query_value(query, name);
        Filters {
            view: one_of(get("view"), &["board", "archived", "trash"]).unwrap_or("board"),
            assignee: one_of(get("assignee"), &["any", "me", "none"]).unwrap_or("any"),
            priority: one_of(get("priority"), &PRIORITIES),
            due: one_of(get("due"), &["overdue", "today", "7d", "month"]),
            q: get("q").unwrap_or_default().trim().to_string(),
        }
    }

    /// The URL query that gives these filters back (defaults left out).
    pub(crate) fn query(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if self.view != "board" {
            pairs.push(("view", self.view));
        }
        if self.assignee != "any" {
            pairs.push(("assignee", self.assignee));
        }
        if let Some(p) = self.priority {
            pairs.push(("priority", p));
        }
        if let Some(d) = self.due {
            pairs.push(("due", d));
        }
        if !self.q.is_empty() {
            pairs.push(("q", &self.q));
        }
        form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    }

    /// The list filters of the toolbar for the caller (`me`) at `now` in the workspace's zone.
    /// Today and this month are the zone's; "7 dias" is the week from now.
    pub(crate) fn pairs(&self, me: i64, now: i64, zone: &TimeZone) -> Vec<(String, String)> {
        let pair = |k: &str, v: String| (k.to_string(), v);
        let mut out = match self.view {
            "archived" => vec![pair("archived", "true".into())],
            "trash" => vec![pair("deleted_at_null", "false".into())],
            _ => Vec::new(),
        };
        match self.assignee {
            "me" => out.push(pair("assigned_to", me.to_string())),
            "none" => out.push(pair("assigned_to_null", "true".into())),
            _ => {}
        }
        if let Some(p) = self.priority {
            out.push(pair("priority", p.into()));
        }
        let at = Timestamp::from_millisecond(now).unwrap_or_else(|_| Timestamp::now());
        let today = at.to_zoned(zone.clone()).date();
        let start = |d: civil::Date| d.to_zoned(zone.clone()).map_or(now, |z| z.timestamp().as_millisecond());
        let range =
            |from: i64, to: i64| vec![pair("due_date_gte", format_ms(from)), pair("due_date_lt", format_ms(to))];
        match self.due {
            Some("overdue") => out.push(pair("due_date_lt", format_ms(now))),
            Some("today") => out.extend(range(start(today), start(today.tomorrow().unwrap_or(today)))),
            Some("7d") => out.extend(range(now, now + 7 * 86_400_000)),
            Some("month") => {
                let first = today.first_of_month();
                out.extend(range(start(first), start(first.checked_add(1.month()).unwrap_or(first))));
            }
            _ => {}
        }
        if !self.q.is_empty() {
            out.push(pair("_q", self.q.clone()));
        }
        out
    }
}

/// One card as the board shows it.
pub(crate) struct Card {
    pub id: i64,
    /// The task's panel; its actions post under it.
    pub href: String,
    pub name: String,
    pub status: String,
    pub due: String,
    pub late: bool,
    pub priority_key: String,
    pub priority: &'static str,
    pub kind: &'static str,
    pub assignee: String,
    pub initials: String,
    pub points: Option<i64>,
    /// Whether the task is linked to an item.
    pub linked: bool,
    pub tags: Vec<i64>,
    pub archived: bool,
    pub trashed: bool,
}

/// "Ana Lima" → "AL"; one name → its first two letters.
fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => one.chars().take(2).collect::<String>().to_uppercase(),
        [first, .., last] => {
            [first.chars().next(), last.chars().next()].into_iter().flatten().collect::<String>().to_uppercase()
        }
    }
}

async fn card_of(
    state: &AppState,
    ws: &ConsoleWs,
    task: &QuickTaskView,
    names: &mut UserNames,
    shown: &Shown<'_>,
) -> Result<Card, ConsoleError> {
    let w = ws.caller.locale.msg().work;
    let href = format!("/app/w/{}/tasks/quick/{}", ws.ctx.workspace.reference, task.id);
    let assignee = match task.assigned_to {
        Some(id) => names.of(state, id).await?,
        None => String::new(),
    };
    let due_ms = task.due_date.as_deref().and_then(parse_instant);
    Ok(Card {
        id: task.id,
        href,
        name: task.name.clone(),
        status: task.status.clone(),
        due: due_ms.map(|ms| format::date_time(ms, shown.zone, shown.locale)).unwrap_or_default(),
        late: task.status != "completed" && due_ms.is_some_and(|d| d < now_ms()),
        priority_key: task.priority.clone(),
        priority: w.priority_name(&task.priority),
        kind: w.kind(&task.task_type),
        initials: initials(&assignee),
        assignee,
        points: task.points,
        linked: task.item.is_some(),
        tags: task.tag_ids.clone(),
        archived: task.archived,
        trashed: task.deleted_at.is_some(),
    })
}

struct Lane {
    status: &'static str,
    title: &'static str,
    count: i64,
    points: i64,
    overdue: i64,
    cards: Vec<Card>,
    /// The next cards of the lane (htmx), when it has more.
    more: Option<String>,
}

/// A lane's cards after the first page ("Ver mais"): the rows and the next link.
#[derive(Template)]
#[template(path = "tasks/_quick_more.html")]
struct MoreCards {
    t: &'static crate::i18n::Msg,
    csrf: String,
    back: String,
    cards: Vec<Card>,
    more: Option<String>,
    lanes_all: &'static [&'static str],
}

/// What the new-task and edit forms show (`tasks/_quick_fields.html`).
struct TaskFields {
    name: String,
    /// `YYYY-MM-DDTHH:MM` in the workspace's zone.
    due: String,
    priority: String,
    points: String,
    description: String,
}

impl Default for TaskFields {
    fn default() -> Self {
        TaskFields {
            name: String::new(),
            due: String::new(),
            priority: "normal".to_string(),
            points: String::new(),
            description: String::new(),
        }
    }
}

impl TaskFields {
    /// The form as it was posted (kept when it is refused).
    fn posted(form: &[(String, String)]) -> TaskFields {
        let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        TaskFields {
            name: get("name"),
            due: get("due_date"),
            priority: Some(get("priority")).filter(|p| !p.is_empty()).unwrap_or_else(|| "normal".to_string()),
            points: get("points"),
            description: get("description"),
        }
    }
}

/// The new-task form's values, chosen assignee and problems (kept when it is refused).
#[derive(Default)]
struct NewTask {
    fields: TaskFields,
    assigned_to: Option<String>,
    problems: Problems,
}

struct Person {
    id: i64,
    name: String,
    /// Whether the form shows it chosen.
    selected: bool,
}

#[derive(Template)]
#[template(path = "tasks/quick.html")]
struct BoardPage {
    page: Page,
    base: String,
    filters: Filters,
    /// The board's URL with its filters: where every card action comes back to.
    back: String,
    lanes: Vec<Lane>,
    /// The archived or trash view's cards.
    listed: Vec<Card>,
    may_create: bool,
    people: Vec<Person>,
    new_task: NewTask,
    open_new: bool,
    lanes_all: &'static [&'static str],
    priorities: &'static [&'static str],
    due_presets: Vec<(&'static str, &'static str)>,
    views: Vec<(&'static str, &'static str, String)>,
}

/// Whom a task may be given to: the members, for whoever may list them; else only the caller.
async fn people(state: &AppState, ws: &ConsoleWs) -> Result<Vec<Person>, ConsoleError> {
    let pairs = QueryPairs(vec![
        ("status".to_string(), "active".to_string()),
        ("_limit".to_string(), state.config.paging.max_limit.to_string()),
    ]);
    match enspace_api::routes::members::list(state, &ws.ctx, &pairs).await {
        Ok(members) => {
            let mut names = UserNames::default();
            let mut out = Vec::new();
            for m in members {
                out.push(Person { id: m.user.id, name: names.of(state, m.user.id).await?, selected: false });
            }
            Ok(out)
        }
        Err(e) if e.status == StatusCode::FORBIDDEN => {
            Ok(vec![Person { id: ws.caller.principal.user.id, name: ws.caller.name(), selected: false }])
        }
        Err(e) => Err(e.into()),
    }
}

async fn board_page(
    state: &AppState,
    ws: &ConsoleWs,
    filters: Filters,
    new_task: NewTask,
) -> Result<BoardPage, ConsoleError> {
    let ctx = &ws.ctx;
    let w = ws.caller.locale.msg().work;
    let zone = zone_of(state, ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let now = now_ms();
    let base_pairs = filters.pairs(ctx.principal.user.id, now, &zone);
    let base = format!("/app/w/{}/tasks/quick", ctx.workspace.reference);
    let back = with_query(&base, &filters.query());
    let mut names = UserNames::default();
    let mut lanes = Vec::new();
    let mut listed = Vec::new();
    if filters.view == "board" {
        for status in LANES {
            // "Atrasadas" are tasks still to do: the done lane has none.
            if filters.due == Some("overdue") && status == "completed" {
                lanes.push(Lane {
                    status,
                    title: w.lane(status),
                    count: 0,
                    points: 0,
                    overdue: 0,
                    cards: Vec::new(),
                    more: None,
                });
                continue;
            }
            let lane = lane(state, ws, &filters, &base_pairs, status, 0, &mut names, &shown).await?;
            lanes.push(lane);
        }
    } else {
        let mut pairs = base_pairs.clone();
        pairs.push(("_sort".to_string(), "updated_at:desc,id:desc".to_string()));
        pairs.push(("_limit".to_string(), state.config.paging.max_limit.to_string()));
        for task in quick_tasks::list(state, ctx, &QueryPairs(pairs)).await? {
            listed.push(card_of(state, ws, &task, &mut names, &shown).await?);
        }
    }
    let views = [("board", w.view_board), ("archived", w.view_archived), ("trash", w.view_trash)]
        .into_iter()
        .map(|(key, label)| {
            let link = Filters { view: key, ..filters.clone() }.query();
            (key, label, with_query(&base, &link))
        })
        .collect();
    let may_create = enspace_api::extract::workspace::allowed(
        &ctx.access,
        &enspace_domain::access::Action::use_feature("tasks::quick::create"),
    )
    .is_ok();
    let open_new = !new_task.problems.is_empty();
    let mut people = if may_create { people(state, ws).await? } else { Vec::new() };
    for person in &mut people {
        person.selected = new_task.assigned_to.as_deref() == Some(person.id.to_string().as_str());
    }
    let due_presets =
        vec![("overdue", w.due_overdue), ("today", w.due_today), ("7d", w.due_7d), ("month", w.due_month)];
    let mut page = Page::signed_in(&ws.caller, ws.caller.locale.msg().quick_tasks);
    page.nav = Some(ws.nav(state).await?);
    Ok(BoardPage {
        page,
        base,
        filters,
        back,
        lanes,
        listed,
        may_create,
        people,
        new_task,
        open_new,
        lanes_all: &LANES,
        priorities: &PRIORITIES,
        due_presets,
        views,
    })
}

/// One lane's totals and a page of its cards from `start`.
#[allow(clippy::too_many_arguments)]
async fn lane(
    state: &AppState,
    ws: &ConsoleWs,
    filters: &Filters,
    base_pairs: &[(String, String)],
    status: &'static str,
    start: i64,
    names: &mut UserNames,
    shown: &Shown<'_>,
) -> Result<Lane, ConsoleError> {
    let ctx = &ws.ctx;
    let w = ws.caller.locale.msg().work;
    let mut pairs = base_pairs.to_vec();
    pairs.push(("status".to_string(), status.to_string()));
    let count = quick_tasks::count(state, ctx, &QueryPairs(pairs.clone())).await?;
    let points = quick_tasks::points(state, ctx, &QueryPairs(pairs.clone())).await?;
    let overdue = if status == "completed" || count == 0 {
        0
    } else {
        let mut late = pairs.clone();
        late.retain(|(k, _)| k != "due_date_lt");
        late.push(("due_date_lt".to_string(), format_ms(now_ms())));
        quick_tasks::count(state, ctx, &QueryPairs(late)).await?
    };
    pairs.push(("_sort".to_string(), "id:asc".to_string()));
    pairs.push(("_limit".to_string(), LANE_CARDS.to_string()));
    pairs.push(("_start".to_string(), start.to_string()));
    let tasks = if count > start { quick_tasks::list(state, ctx, &QueryPairs(pairs)).await? } else { Vec::new() };
    let mut cards = Vec::new();
    for task in &tasks {
        cards.push(card_of(state, ws, task, names, shown).await?);
    }
    let next = start + cards.len() as i64;
    let more = (next < count).then(|| {
        let query = filters.query();
        let sep = if query.is_empty() { "" } else { "&" };
        format!("/app/w/{}/tasks/quick/lane/{status}?start={next}{sep}{query}", ctx.workspace.reference)
    });
    Ok(Lane { status, title: w.lane(status), count, points, overdue, cards, more })
}

pub(crate) async fn board(State(state): State<AppState>, ws: ConsoleWs, RawQuery(query): RawQuery) -> PageResult {
    let filters = Filters::parse(query.as_deref());
    render(StatusCode::OK, &board_page(&state, &ws, filters, NewTask::default()).await?)
}

/// "Ver mais" in one lane: its next cards, and the link to the ones after.
pub(crate) async fn more(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, status)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let status = LANES.iter().copied().find(|s| *s == status).ok_or_else(|| ApiError::not_found("Not found"))?;
    let filters = Filters::parse(query.as_deref());
    let start = query_value(query.as_deref(), "start").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0).max(0);
    let zone = zone_of(&state, ws.ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let base_pairs = filters.pairs(ws.ctx.principal.user.id, now_ms(), &zone);
    let mut names = UserNames::default();
    let lane = lane(&state, &ws, &filters, &base_pairs, status, start, &mut names, &shown).await?;
    let base = format!("/app/w/{}/tasks/quick", ws.ctx.workspace.reference);
    let more = MoreCards {
        t: ws.caller.locale.msg(),
        csrf: ws.caller.csrf.clone(),
        back: with_query(&base, &filters.query()),
        cards: lane.cards,
        more: lane.more,
        lanes_all: &LANES,
    };
    render(StatusCode::OK, &more)
}

/// A datetime-local input's value (`YYYY-MM-DDTHH:MM`, the workspace's zone, as the API takes
/// it) from an API instant.
fn local_input(instant: Option<&str>, zone: &TimeZone) -> String {
    instant
        .and_then(parse_instant)
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(|at| at.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// The task's fields from a posted create or edit form: blank optional inputs clear.
fn input_of(form: &[(String, String)]) -> Result<QuickTaskInput, Vec<Detail>> {
    let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let mut details = Vec::new();
    let optional = |v: Option<String>| v.map(|v| Some(v).filter(|v| !v.is_empty()));
    let points = match get("points").filter(|p| !p.is_empty()) {
        None => get("points").map(|_| None),
        Some(p) => match p.parse::<i64>() {
            Ok(n) => Some(Some(n)),
            Err(_) => {
                details.push(Detail::new("points", "must be a whole number"));
                None
            }
        },
    };
    let assigned_to = match get("assigned_to").filter(|a| !a.is_empty()) {
        None => get("assigned_to").map(|_| None),
        Some(a) => match a.parse::<i64>() {
            Ok(id) => Some(Some(id)),
            Err(_) => {
                details.push(Detail::new("assigned_to", "must be a member"));
                None
            }
        },
    };
    if !details.is_empty() {
        return Err(details);
    }
    Ok(QuickTaskInput {
        name: get("name"),
        description: optional(get("description")),
        priority: get("priority").filter(|p| !p.is_empty()),
        status: get("status").filter(|s| !s.is_empty()),
        due_date: optional(get("due_date")),
        points,
        assigned_to,
        ..QuickTaskInput::default()
    })
}

/// The engine's problems of a task form, by input (`name`, `due_date`, …).
fn task_problems(details: &[Detail], w: &Work) -> Problems {
    let label = |path: &str| match path {
        "name" => w.task_name,
        "due_date" => w.due_date,
        "points" => w.points,
        "priority" => w.priority,
        "assigned_to" => w.assignee,
        "description" => w.description,
        _ => "",
    };
    let list = details
        .iter()
        .map(|d| {
            let known = !label(&d.path).is_empty();
            Problem {
                field: d.path.clone(),
                anchor: if known { format!("task-{}", d.path.replace('.', "-")) } else { "main".to_string() },
                label: if known { label(&d.path).to_string() } else { d.path.clone() },
                message: d.message.clone(),
            }
        })
        .collect();
    Problems { list }
}

/// `POST /app/w/{ws}/tasks/quick`: a new task from the board's form.
pub(crate) async fn create(State(state): State<AppState>, RawQuery(query): RawQuery, posted: WsPosted) -> PageResult {
    let WsPosted { ws, form } = posted;
    let w = ws.caller.locale.msg().work;
    let filters = Filters::parse(query.as_deref());
    let details = match input_of(&form.0) {
        Err(details) => details,
        Ok(input) => match quick_tasks::create(&state, &ws.ctx, input).await {
            Ok(_) => {
                let fallback = format!("/app/w/{}/tasks/quick", ws.ctx.workspace.reference);
                return Ok(see_other(&ws.back(&form, fallback)));
            }
            Err(error) => form_refusal(error)?,
        },
    };
    let new_task = NewTask {
        fields: TaskFields::posted(&form.0),
        assigned_to: form.get("assigned_to").map(str::to_string),
        problems: task_problems(&details, w),
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &board_page(&state, &ws, filters, new_task).await?)
}

// ---- A task's panel ----

#[derive(Template)]
#[template(path = "tasks/quick_task.html")]
struct TaskPanel {
    page: Page,
    board: String,
    href: String,
    card: Card,
    task_type: String,
    creator: String,
    /// The edit form's values.
    fields: TaskFields,
    people: Vec<Person>,
    problems: Problems,
    /// A form task's questions (its answers, once given).
    questions: Vec<Widget>,
    decision: String,
    comment: String,
    item_reference: String,
    lanes_all: &'static [&'static str],
    priorities: &'static [&'static str],
    back: String,
}

/// What the panel shows after a refusal: the answers as posted, and the problems.
#[derive(Default)]
struct Panel<'a> {
    posted: Option<&'a [(String, String)]>,
    problems: Problems,
}

async fn task_panel(
    state: &AppState,
    ws: &ConsoleWs,
    task: QuickTaskView,
    panel: Panel<'_>,
) -> Result<TaskPanel, ConsoleError> {
    let zone = zone_of(state, ws.ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let mut names = UserNames::default();
    let card = card_of(state, ws, &task, &mut names, &shown).await?;
    let creator = names.of(state, task.creator).await?;
    let text = |key: &str| task.meta.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let questions = if task.task_type == "form" {
        let mut ignored = Vec::new();
        let form = enspace_domain::quick_tasks::check_meta(&mut ignored, "form", &task.meta).fields;
        let result = task.meta.get("form_result").and_then(Value::as_object).cloned().unwrap_or_default();
        let encoded;
        let values = match panel.posted {
            Some(pairs) => pairs,
            None => {
                encoded = html_form::encode(&form, &result, &zone);
                &encoded[..]
            }
        };
        let required: Vec<String> = form.iter().filter(|d| d.required).map(|d| d.ref_id.clone()).collect();
        let workspace = format!("/app/w/{}", ws.ctx.workspace.reference);
        let drawn = Drawn {
            values: Values(values),
            required: &required,
            problems: &panel.problems,
            shown: &shown,
            workspace: Some(&workspace),
        };
        let refs: Vec<&FieldDef> = form.iter().collect();
        let open = task.status != "completed";
        widgets(&refs, &|_| open, &result, &drawn)
    } else {
        Vec::new()
    };
    let board = format!("/app/w/{}/tasks/quick", ws.ctx.workspace.reference);
    let mut page = Page::signed_in(&ws.caller, &task.name);
    page.nav = Some(ws.nav(state).await?);
    Ok(TaskPanel {
        page,
        href: card.href.clone(),
        back: card.href.clone(),
        board,
        task_type: task.task_type.clone(),
        creator,
        fields: TaskFields {
            name: task.name.clone(),
            due: local_input(task.due_date.as_deref(), &zone),
            priority: task.priority.clone(),
            points: task.points.map(|p| p.to_string()).unwrap_or_default(),
            description: task.description.clone().unwrap_or_default(),
        },
        people: people(state, ws)
            .await?
            .into_iter()
            .map(|p| Person { selected: task.assigned_to == Some(p.id), ..p })
            .collect(),
        problems: panel.problems,
        questions,
        decision: text("decision"),
        comment: text("comment"),
        item_reference: text("itemReference"),
        lanes_all: &LANES,
        priorities: &PRIORITIES,
        card,
    })
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let task = quick_tasks::get(&state, &ws.ctx, id).await?;
    render(StatusCode::OK, &task_panel(&state, &ws, task, Panel::default()).await?)
}

/// Saves the panel's edit form.
pub(crate) async fn save(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form } = posted;
    let w = ws.caller.locale.msg().work;
    let details = match input_of(&form.0) {
        Err(details) => details,
        Ok(input) => match quick_tasks::update(&state, &ws.ctx, id, input).await {
            Ok(task) => {
                return Ok(see_other(&format!("/app/w/{}/tasks/quick/{}", ws.ctx.workspace.reference, task.id)))
            }
            Err(error) => form_refusal(error)?,
        },
    };
    let task = quick_tasks::get(&state, &ws.ctx, id).await?;
    let panel = Panel { posted: None, problems: task_problems(&details, w) };
    render(StatusCode::UNPROCESSABLE_ENTITY, &task_panel(&state, &ws, task, panel).await?)
}

/// The card actions: `move` (to the posted `status`), `archive`, `unarchive`, `trash`,
/// `restore`, `delete` (for good), `duplicate`, `answer` (a form task's answers, completing
/// it) and `decide` (an approval's decision and comment).
pub(crate) async fn act(
    State(state): State<AppState>,
    Path((_, id, action)): Path<(String, i64, String)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form } = posted;
    let ctx = &ws.ctx;
    let w = ws.caller.locale.msg().work;
    let panel = format!("/app/w/{}/tasks/quick/{id}", ctx.workspace.reference);
    let board = format!("/app/w/{}/tasks/quick", ctx.workspace.reference);
    let update = |input: QuickTaskInput| quick_tasks::update(&state, ctx, id, input);
    let done = match action.as_str() {
        "move" => update(QuickTaskInput { status: form.get("status").map(str::to_string), ..Default::default() }).await,
        "archive" | "unarchive" => {
            update(QuickTaskInput { archived: Some(action == "archive"), ..Default::default() }).await
        }
        "restore" => update(QuickTaskInput { deleted_at: Some(None), ..Default::default() }).await,
        "trash" | "delete" => quick_tasks::delete(&state, ctx, id, action == "delete").await,
        "duplicate" => {
            let task = quick_tasks::get(&state, ctx, id).await?;
            let mut meta = task.meta.clone();
            // A copy starts over: no answers, no decision, no created item.
            for key in enspace_domain::quick_tasks::PARTICIPANT_META_KEYS {
                meta.remove(key);
            }
            let copy = QuickTaskInput {
                name: Some(format!("{} {}", task.name, w.copy_suffix)),
                description: Some(task.description.clone()),
                task_type: Some(task.task_type.clone()),
                priority: Some(task.priority.clone()),
                due_date: Some(task.due_date.clone()),
                points: Some(task.points),
                meta: Some(Some(meta)),
                assigned_to: Some(task.assigned_to),
                collaborators: Some(task.collaborators.clone()),
                item: Some(task.item.map(Value::from)),
                tag_ids: Some(task.tag_ids.clone()),
                ..Default::default()
            };
            quick_tasks::create(&state, ctx, copy).await
        }
        "answer" => {
            let task = quick_tasks::get(&state, ctx, id).await?;
            let mut ignored = Vec::new();
            let questions = enspace_domain::quick_tasks::check_meta(&mut ignored, "form", &task.meta).fields;
            let zone = zone_of(&state, ctx.workspace.id).await?;
            match html_form::decode(&questions, &form.0, Mode::Create, &zone) {
                Err(details) => Err(ApiError::validation(details)),
                Ok(answers) => {
                    let meta = Map::from_iter([("form_result".to_string(), Value::Object(answers))]);
                    let input = QuickTaskInput {
                        meta: Some(Some(meta)),
                        status: Some("completed".to_string()),
                        ..Default::default()
                    };
                    update(input).await
                }
            }
        }
        "decide" => {
            let decision = form.get("decision").unwrap_or_default();
            let meta = json!({ "decision": decision, "comment": form.get("comment").unwrap_or_default() });
            update(QuickTaskInput { meta: Some(meta.as_object().cloned()), ..Default::default() }).await
        }
        _ => return Err(ApiError::not_found("Not found").into()),
    };
    match done {
        Ok(task) if action == "duplicate" => {
            Ok(see_other(&format!("/app/w/{}/tasks/quick/{}", ctx.workspace.reference, task.id)))
        }
        Ok(_) if action == "delete" => Ok(see_other(&ws.back(&form, board))),
        Ok(_) => Ok(see_other(&ws.back(&form, panel))),
        Err(error) => {
            // A refusal (say, a form task moved to done without its answers) shows on the panel.
            let details = form_refusal(error)?;
            let task = quick_tasks::get(&state, ctx, id).await?;
            let problems = if action == "answer" {
                let mut ignored = Vec::new();
                let questions = enspace_domain::quick_tasks::check_meta(&mut ignored, "form", &task.meta).fields;
                problems_of(&at_inputs(details, "meta.form_result."), &questions)
            } else {
                task_problems(&details, w)
            };
            let posted = (action == "answer").then_some(&form.0[..]);
            render(StatusCode::UNPROCESSABLE_ENTITY, &task_panel(&state, &ws, task, Panel { posted, problems }).await?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toolbar_reads_back_from_its_url_and_ignores_what_it_does_not_know() {
        let f = Filters::parse(Some("view=trash&assignee=me&priority=urgent&due=today&q=%20texto%20&x=1"));
        assert_eq!(
            f,
            Filters { view: "trash", assignee: "me", priority: Some("urgent"), due: Some("today"), q: "texto".into() }
        );
        assert_eq!(f.query(), "view=trash&assignee=me&priority=urgent&due=today&q=texto");
        let odd = Filters::parse(Some("view=all&assignee=x&priority=max&due=yesterday"));
        assert_eq!(odd.query(), "");
    }

    #[test]
    fn due_presets_are_the_workspaces_days() {
        let sp = TimeZone::get("America/Sao_Paulo").unwrap();
        let now = "2026-12-02T13:00:00Z".parse::<Timestamp>().unwrap().as_millisecond();
        let pairs = |due: &'static str| {
            let f = Filters { due: Some(due), ..Filters::parse(None) };
            f.pairs(7, now, &sp).into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()
        };
        assert_eq!(pairs("overdue"), ["due_date_lt=2026-12-02T13:00:00.000Z"]);
        assert_eq!(pairs("today"), ["due_date_gte=2026-12-02T03:00:00.000Z", "due_date_lt=2026-12-03T03:00:00.000Z"]);
        assert_eq!(pairs("7d"), ["due_date_gte=2026-12-02T13:00:00.000Z", "due_date_lt=2026-12-09T13:00:00.000Z"]);
        assert_eq!(pairs("month"), ["due_date_gte=2026-12-01T03:00:00.000Z", "due_date_lt=2027-01-01T03:00:00.000Z"]);
        let mine = Filters { assignee: "me", view: "archived", ..Filters::parse(None) };
        assert_eq!(
            mine.pairs(7, now, &sp),
            [("archived".to_string(), "true".to_string()), ("assigned_to".into(), "7".into())]
        );
    }

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ana Maria Lima"), "AL");
        assert_eq!(initials("bia"), "BI");
        assert_eq!(initials(""), "");
    }
}
