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

#[derive(Template)]
#[template(path = "workspaces/home.html")]
struct HomePage {
    page: Page,
    member_type: String,
}

impl HomePage {
    fn nav(&self) -> &WorkspaceNav {
        self.page.nav.as_ref().expect("a workspace page has its menu")
    }
}

pub(crate) async fn home(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    let nav = ws.nav(&state).await?;
    let mut page = Page::signed_in(&ws.caller, &ws.ctx.workspace.name);
    page.nav = Some(nav);
    render(StatusCode::OK, &HomePage { page, member_type: ws.ctx.member.member_type.clone() })
}
