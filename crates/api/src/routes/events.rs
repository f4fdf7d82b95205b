//! The event log's feed (`GET /ws/events`, spec/events.md § Reading it, decisions 63–73): the
//! workspace's events after `after`, oldest first, each shown to the reader exactly as a `GET` of
//! its subject would show it — events about a type it may not read are absent, fields it may not
//! read are absent from `changes`, and an `item.updated` left with no readable change is absent.

use axum::{
    extract::State,
    http::HeaderValue,
    response::{IntoResponse, Response},
    Json,
};
use enspace_domain::{
    access::{FieldGrant, MemberAccess},
    events::{expand, readable_changes},
    list,
    time::format_ms,
    Detail,
};
use enspace_store::events::{EventRecord, LIST};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{workspace::allowed, QueryPairs, WsCtx},
    openapi::WorkspaceHeader,
    routes::types::data_action,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

/// One event [ours, spec/events.md].
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    /// `item.created`, `item.updated`, `item.deleted`, …
    pub kind: String,
    pub created_at: String,
    /// The workspace's reference.
    pub workspace: String,
    pub subject: SubjectView,
    /// `{key: {from, to}}`; item keys are refIds, as in item history.
    #[schema(value_type = Object)]
    pub changes: Map<String, Value>,
    /// Who made the change; null for the server's own work.
    pub actor: Option<ActorView>,
    /// `api`, `form`, `flow`, `integration` or `system`.
    pub source: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    /// The resource: `item`, …
    #[serde(rename = "type")]
    pub subject_type: String,
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The slug of the type the subject belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    pub user: Option<i64>,
    pub email: Option<String>,
    /// The API key's reference; null for a session or a form.
    pub key: Option<String>,
}

/// The feed's own parameters, beside `_limit` and the filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FeedParams {
    /// Events after this id (default: from the oldest kept). Every answer's `x-next-after`
    /// header is the value for the next page, even when the page is empty.
    after: Option<i64>,
    /// Page size (default 100, at most the server's maximum).
    _limit: Option<u32>,
    /// A kind, `<resource>.*` or `*`; `kind_in` takes several (repeated, `kind_in[]` or
    /// `kind_in[0]`).
    kind: Option<String>,
    #[param(rename = "subject.type")]
    subject_type: Option<String>,
    #[param(rename = "subject.item_type")]
    subject_item_type: Option<String>,
    #[param(rename = "subject.reference")]
    subject_reference: Option<String>,
    created_at_gte: Option<String>,
}

/// The query with `kind`/`kind_in` patterns expanded to plain kinds and `after` taken out.
fn feed_query(state: &AppState, pairs: &QueryPairs) -> ApiResult<(i64, list::ListQuery)> {
    let mut after = 0;
    let mut plain = Vec::new();
    let mut details = Vec::new();
    for (key, value) in &pairs.0 {
        let bare = key.split('[').next().unwrap_or(key);
        match bare {
            "after" => match value.parse::<i64>() {
                Ok(id) if id >= 0 => after = id,
                _ => details.push(Detail::new(key, format!("expected an event id, got {value:?}"))),
            },
            // The log is read in id order, page after page by `after` (decision 72).
            "_sort" | "_start" => details.push(Detail::new(key, "the feed is read in id order with after=<id>")),
            "kind" | "kind_in" => match expand(value) {
                Ok(kinds) => plain.extend(kinds.into_iter().map(|k| ("kind_in".to_string(), k.to_string()))),
                Err(message) => details.push(Detail::new(key, message)),
            },
            _ => plain.push((key.clone(), value.clone())),
        }
    }
    ApiError::check(details)?;
    Ok((after, list::parse(&plain, &LIST, state.config.paging, &[])?))
}

/// What `access` may see of `event`, or nothing.
fn shown(access: &MemberAccess, event: EventRecord, workspace: &str) -> Option<EventView> {
    let mut changes = event.changes;
    if let Some(slug) = &event.item_type {
        // As a GET of the subject: read on its type, and only the fields it may read.
        allowed(access, &data_action(slug, "read")).ok()?;
        let grant: FieldGrant = access.fields(slug, "read");
        changes = readable_changes(&changes, &grant);
        if event.kind == "item.updated" && changes.is_empty() {
            return None;
        }
    }
    let actor = (event.actor_user.is_some() || event.actor_email.is_some()).then_some(ActorView {
        user: event.actor_user,
        email: event.actor_email,
        key: event.actor_key,
    });
    Some(EventView {
        id: event.id,
        kind: event.kind,
        created_at: format_ms(event.created_at),
        workspace: workspace.to_string(),
        subject: SubjectView {
            subject_type: event.subject_type,
            id: event.subject_id,
            reference: event.subject_reference,
            item_type: event.item_type,
        },
        changes,
        actor,
        source: event.source,
    })
}

/// The feed [ours]: the workspace's events after `after`, oldest first (`_sort` and `_start` are
/// 400s), filtered by `kind`/`kind_in` (patterns), `subject.type`, `subject.item_type`,
/// `subject.reference`, `created_at` and `id` with the list operators. A page can hold fewer
/// events than `_limit` (some unreadable to the caller); `x-next-after` says where to go on.
#[utoipa::path(get, path = "/ws/events", tag = "events", params(WorkspaceHeader, FeedParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [EventView], headers(("x-next-after" = i64, description = "the `after` of the next page"))),
        (status = 400, body = ErrorBody)))]
pub async fn list_events(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Response> {
    let access = ctx.access(&state).await?;
    let (after, query) = feed_query(&state, &query)?;
    // The head first: a short page has then looked at everything up to it, and the next one
    // can start there without passing an event that committed in between.
    let head = enspace_store::events::head(&state.db, ctx.workspace.id).await?;
    let events = enspace_store::events::page(&state.db, ctx.workspace.id, after, head, &query).await?;
    let next_after = match events.last() {
        _ if query.limit == 0 => after,
        Some(last) if events.len() as u32 >= query.limit => last.id,
        _ => head.max(after),
    };
    let views: Vec<EventView> =
        events.into_iter().filter_map(|e| shown(&access, e, &ctx.workspace.reference)).collect();
    let mut response = Json(views).into_response();
    response.headers_mut().insert("x-next-after", HeaderValue::from(next_after));
    Ok(response)
}
