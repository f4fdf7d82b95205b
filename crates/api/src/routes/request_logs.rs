//! The caller's request log, newest first by default.

use axum::{extract::State, Json};
use enspace_domain::time::format_ms;
use enspace_store::{request_logs::RequestLog, request_logs::LIST};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiResult, ErrorBody},
    extract::{Authed, QueryPairs},
    openapi::ListParams,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_logs)).routes(routes!(count_logs))
}

/// Filters: `method`, `status`, `workspace`, `key_reference`, `path`, `created_at`,
/// `duration_ms`, `request_id`, `id` with the list operators (`created_at_gte`,
/// `path_contains`, …); `_q` on path, workspace and user agent.
#[utoipa::path(get, path = "/user/request-logs", tag = "user", params(ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [RequestLogView]), (status = 400, body = ErrorBody)))]
pub async fn list_logs(
    State(state): State<AppState>,
    Authed(principal): Authed,
    query: QueryPairs,
) -> ApiResult<Json<Vec<RequestLogView>>> {
    let query = query.list(&state, &LIST, &[])?;
    let rows = enspace_store::request_logs::list(&state.db, principal.user.id, &query).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/user/request-logs/count", tag = "user", params(ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_logs(
    State(state): State<AppState>,
    Authed(principal): Authed,
    query: QueryPairs,
) -> ApiResult<Json<i64>> {
    let query = query.list(&state, &LIST, &[])?;
    Ok(Json(enspace_store::request_logs::count(&state.db, principal.user.id, &query).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestLogView {
    pub id: i64,
    pub created_at: String,
    pub method: String,
    pub path: String,
    /// With the values of secret-looking parameters replaced by `[redacted]`.
    pub query: String,
    pub status: i64,
    pub duration_ms: f64,
    pub workspace: Option<String>,
    pub key_reference: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: String,
}

impl From<RequestLog> for RequestLogView {
    fn from(l: RequestLog) -> Self {
        RequestLogView {
            id: l.id,
            created_at: format_ms(l.created_at),
            method: l.method,
            path: l.path,
            query: l.query,
            status: l.status,
            duration_ms: l.duration_ms,
            workspace: l.workspace,
            key_reference: l.key_reference,
            ip: l.ip,
            user_agent: l.user_agent,
            request_id: l.request_id,
        }
    }
}
