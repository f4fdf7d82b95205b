//! Flow items [wire shape; `c-flow-items`, read-only]: an item's run through a flow — list,
//! count, get. Reading needs read on the flow's type, or — for a get — being a responsible of
//! one of the run's tasks (decision 33); a deleted flow's runs stay readable as history.

use axum::{
    extract::{Path, State},
    Json,
};
use enspace_domain::time::format_ms;
use enspace_store::flows::FlowItemRecord;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiResult, ErrorBody},
    extract::{Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::flows::{count_readable, list_readable, readable_or_responsible},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_flow_items))
        .routes(routes!(count_flow_items))
        .routes(routes!(get_flow_item))
}

pub const FLOW_ITEM_NOT_FOUND: &str = "Flow item not found";

/// A flow item [wire shape].
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowItemView {
    pub id: i64,
    /// The item's id.
    pub item: i64,
    pub flow: i64,
    /// The stage it is in (the last one, once complete); null when that stage was deleted.
    pub stage: Option<i64>,
    /// `active`, or `inactive` once removed.
    pub status: String,
    /// `running`, `complete` or `removed`.
    pub run_status: String,
    /// `[{status: start|complete, stage_id, created_at, user?}]`, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub stages_log: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<FlowItemRecord> for FlowItemView {
    fn from(f: FlowItemRecord) -> Self {
        FlowItemView {
            id: f.id,
            item: f.item_id,
            flow: f.flow_id,
            stage: f.stage_id,
            status: f.status,
            run_status: f.run_status,
            stages_log: f.stages_log,
            created_at: format_ms(f.created_at),
            updated_at: format_ms(f.updated_at),
        }
    }
}

/// Filters: `item`, `item.reference`, `flow`, `stage`, `status`, `run_status`, `created_at`,
/// `updated_at`.
#[utoipa::path(get, path = "/c-flow-items", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [FlowItemView]), (status = 400, body = ErrorBody)))]
pub async fn list_flow_items(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<FlowItemView>>> {
    let items: Vec<FlowItemRecord> = list_readable(&state, &ctx, &query).await?;
    Ok(Json(items.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/c-flow-items/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_flow_items(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    Ok(Json(count_readable::<FlowItemRecord>(&state, &ctx, &query).await?))
}

#[utoipa::path(get, path = "/c-flow-items/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FlowItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_flow_item(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<FlowItemView>> {
    let through = enspace_store::schedule_tasks::Through::FlowItem;
    let item: FlowItemRecord = readable_or_responsible(&state, &ctx, id, FLOW_ITEM_NOT_FOUND, through).await?;
    Ok(Json(item.into()))
}
