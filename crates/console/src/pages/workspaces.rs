//! The start (`/app`), the workspace picker and a workspace's home.

use askama::Template;
use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
};
use enspace_api::{error::ApiError, AppState};
use enspace_store::workspaces::WorkspaceRecord;

use super::{auth::query_value, render, see_other, Page, WorkspaceNav};
use crate::{context::ConsoleWs, errors::PageResult, session::Caller};

/// The person's workspaces as `GET /workspaces` lists them (its list language: `_q` searches).
async fn workspaces_of(state: &AppState, caller: &Caller, q: Option<&str>) -> Result<Vec<WorkspaceRecord>, ApiError> {
    let mut pairs = vec![("_limit".to_string(), state.config.paging.max_limit.to_string())];
    if let Some(q) = q.filter(|q| !q.trim().is_empty()) {
        pairs.push(("_q".to_string(), q.trim().to_string()));
    }
    let query = enspace_domain::list::parse(&pairs, &enspace_store::workspaces::LIST, state.config.paging, &[])?;
    Ok(enspace_store::workspaces::list(&state.db, caller.principal.user.id, None, &query).await?)
}

/// `/app`: straight into the only workspace, else the picker (or sign-in first).
pub(crate) async fn start(State(state): State<AppState>, caller: Caller) -> PageResult {
    let list = workspaces_of(&state, &caller, None).await?;
    Ok(match list.as_slice() {
        [only] => see_other(&format!("/app/w/{}", only.reference)),
        _ => see_other("/app/w"),
    })
}

#[derive(Template)]
#[template(path = "workspaces/picker.html")]
struct PickerPage {
    page: Page,
    q: String,
    workspaces: Vec<WorkspaceRecord>,
}

pub(crate) async fn picker(State(state): State<AppState>, caller: Caller, RawQuery(query): RawQuery) -> PageResult {
    let q = query_value(query.as_deref(), "q").unwrap_or_default();
    let workspaces = workspaces_of(&state, &caller, Some(&q)).await?;
    let page = PickerPage { page: Page::signed_in(&caller, caller.locale.msg().workspaces), q, workspaces };
    render(StatusCode::OK, &page)
}

/// A line of the home page's lists: a task and when it is due.
struct Due {
    href: String,
    name: String,
    detail: String,
    due: String,
    late: bool,
}

/// One of the home page's lists, with the page that shows all of it.
struct HomeList {
    id: &'static str,
    title: &'static str,
    all: String,
    lines: Vec<Due>,
}

#[derive(Template)]
#[template(path = "workspaces/home.html")]
struct HomePage {
    page: Page,
    member_type: String,
    lists: Vec<HomeList>,
}

impl HomePage {
    fn nav(&self) -> &WorkspaceNav {
        self.page.nav.as_ref().expect("a workspace page has its menu")
    }
}

/// Lines in each of the home page's lists.
const HOME_ROWS: &str = "10";

/// The home page (console-design §4.4.2): the member's overdue schedule tasks, those due in
/// the next 7 days, its open quick tasks, and the categories it may read.
pub(crate) async fn home(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    use enspace_api::{
        extract::QueryPairs,
        routes::schedule_tasks::{Listing, Tasks},
    };
    use enspace_domain::time::{format_ms, now_ms, parse_instant};
    let ctx = &ws.ctx;
    let zone = super::item::zone_of(&state, ctx.workspace.id).await?;
    let locale = ws.caller.locale;
    let when = |due: Option<&str>| {
        due.and_then(parse_instant).map(|ms| crate::format::date_time(ms, &zone, locale)).unwrap_or_default()
    };
    let now = now_ms();
    let base = format!("/app/w/{}", ctx.workspace.reference);
    let tasks = Tasks::of(&state, ctx, Listing::InCharge).await?;
    let mut lists = Vec::new();
    for range in [
        vec![("due_date_lt", format_ms(now))],
        vec![("due_date_gte", format_ms(now)), ("due_date_lt", format_ms(now + 7 * 86_400_000))],
    ] {
        let mut pairs = super::tasks::open_pairs();
        pairs.extend(range.into_iter().map(|(k, v)| (k.to_string(), v)));
        pairs.push(("_sort".to_string(), "due_date:asc,id:asc".to_string()));
        pairs.push(("_limit".to_string(), HOME_ROWS.to_string()));
        let rows = tasks.list(&state, ctx, &QueryPairs(pairs)).await?;
        lists.push(
            rows.into_iter()
                .map(|t| Due {
                    href: format!("{base}/tasks/scheduled/{}", t.id),
                    detail: format!("{} · {} · {}", t.item_type_name, t.flow_name, t.stage_name),
                    name: t.task_name,
                    due: when(t.due_date.as_deref()),
                    late: t.is_overdue == Some(enspace_domain::flow_run::LATE),
                })
                .collect::<Vec<_>>(),
        );
    }
    let pairs = vec![
        ("assigned_to".to_string(), ctx.principal.user.id.to_string()),
        ("status_ne".to_string(), "completed".to_string()),
        ("_sort".to_string(), "due_date:asc,id:asc".to_string()),
        ("_limit".to_string(), HOME_ROWS.to_string()),
    ];
    let quick = enspace_api::routes::quick_tasks::list(&state, ctx, &QueryPairs(pairs))
        .await?
        .into_iter()
        .map(|t| Due {
            href: format!("{base}/tasks/quick/{}", t.id),
            late: t.due_date.as_deref().and_then(parse_instant).is_some_and(|d| d < now),
            due: when(t.due_date.as_deref()),
            detail: ws.caller.locale.msg().work.lane(&t.status).to_string(),
            name: t.name,
        })
        .collect();
    let t = ws.caller.locale.msg();
    let soon = lists.pop().unwrap_or_default();
    let overdue = lists.pop().unwrap_or_default();
    let lists = vec![
        HomeList {
            id: "home-overdue",
            title: t.work.group_overdue,
            all: format!("{base}/tasks/scheduled?due=overdue"),
            lines: overdue,
        },
        HomeList { id: "home-soon", title: t.work.due_7d, all: format!("{base}/tasks/scheduled"), lines: soon },
        HomeList {
            id: "home-quick",
            title: t.quick_tasks,
            all: format!("{base}/tasks/quick?assignee=me"),
            lines: quick,
        },
    ];
    let nav = ws.nav(&state).await?;
    let mut page = Page::signed_in(&ws.caller, &ctx.workspace.name);
    page.nav = Some(nav);
    render(StatusCode::OK, &HomePage { page, member_type: ctx.member.member_type.clone(), lists })
}
