//! Transitions between a flow's stages [ours; `c-flow-transitions`, spec/flows-and-tasks.md §
//! Transitions]: list, count, get, create, update, delete. When a stage completes, its outgoing
//! transitions are tried by `order` (then id); the first whose conditional holds is taken.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    flows::transition_warnings,
    flows::{check_conditional, NAME_MAX},
    time::format_ms,
    workspace::check_text,
    Detail,
};
use enspace_store::flows::{FlowRecord, TransitionRecord, TransitionValues};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{
        flows::{columns_of, count_readable, flow_of, list_readable, named, readable_one, structure},
        id_of, present,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_transitions, create_transition))
        .routes(routes!(count_transitions))
        .routes(routes!(get_transition, update_transition, delete_transition))
}

pub const TRANSITION_NOT_FOUND: &str = "Transition not found";

/// A transition [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    pub id: i64,
    pub flow: i64,
    /// The stage it leaves.
    pub from: i64,
    /// The stage it enters.
    pub to: i64,
    pub name: String,
    /// List-language filters on the item; null always holds.
    #[schema(value_type = Option<Object>)]
    pub conditional: Option<Value>,
    pub order: i64,
    /// On a create or update: `no unconditional fallback` when every transition leaving its
    /// `from` stage is conditional (decision 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<TransitionRecord> for TransitionView {
    fn from(t: TransitionRecord) -> Self {
        TransitionView {
            id: t.id,
            flow: t.flow_id,
            from: t.from_stage,
            to: t.to_stage,
            name: t.name,
            conditional: t.conditional,
            order: t.position,
            warnings: Vec::new(),
            created_at: format_ms(t.created_at),
            updated_at: format_ms(t.updated_at),
        }
    }
}

/// Decision 20's warnings for the stage `stage_id`'s exits.
pub(crate) async fn exit_warnings(state: &AppState, workspace_id: i64, stage_id: i64) -> ApiResult<Vec<String>> {
    let exits = enspace_store::flows::transitions_from(&state.db, workspace_id, stage_id).await?;
    Ok(transition_warnings(exits.iter().map(|t| t.conditional.as_ref())))
}

/// A transition as a write answers it: with its `from` stage's warnings.
async fn written(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<TransitionView> {
    let transition = transition_of(state, ctx, id).await?;
    let warnings = exit_warnings(state, ctx.workspace.id, transition.from_stage).await?;
    Ok(TransitionView { warnings, ..transition.into() })
}

async fn transition_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<TransitionRecord> {
    readable_one(state, ctx, id, TRANSITION_NOT_FOUND).await
}

/// Filters: `flow`, `from`, `to`, `order`, `name`, `created_at`, `updated_at`; by `order`.
#[utoipa::path(get, path = "/c-flow-transitions", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [TransitionView]), (status = 400, body = ErrorBody)))]
pub async fn list_transitions(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<TransitionView>>> {
    let list: Vec<TransitionRecord> = list_readable(&state, &ctx, &query).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/c-flow-transitions/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_transitions(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    Ok(Json(count_readable::<TransitionRecord>(&state, &ctx, &query).await?))
}

#[utoipa::path(get, path = "/c-flow-transitions/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = TransitionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_transition(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<TransitionView>> {
    Ok(Json(transition_of(&state, &ctx, id).await?.into()))
}

/// `{flow*, from*, to*, name, conditional, order}` [ours].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The flow's id; not changed by an update.
    #[schema(value_type = Option<i64>)]
    pub flow: Option<Value>,
    /// A stage of the flow.
    #[schema(value_type = Option<i64>)]
    pub from: Option<Value>,
    /// A stage of the flow (the same one re-enters it).
    #[schema(value_type = Option<i64>)]
    pub to: Option<Value>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub conditional: Option<Option<Value>>,
    /// Tried in this order (then by id); default after the flow's last.
    pub order: Option<i64>,
}

impl Input for TransitionInput {}

/// The transition's values from `input` over `current`, its stages checked to be the flow's.
async fn checked_values<'a>(
    state: &AppState,
    flow: &FlowRecord,
    input: &'a TransitionInput,
    current: Option<&'a TransitionRecord>,
) -> ApiResult<TransitionValues<'a>> {
    let mut details = Vec::new();
    let stages = enspace_store::flows::stages_of(&state.db, flow.workspace_id, flow.id).await?;
    let mut stage = |key: &str, sent: Option<&Value>, current: Option<i64>| -> i64 {
        match (sent, current) {
            (Some(value), _) => match id_of(value).filter(|id| stages.iter().any(|s| s.id == *id)) {
                Some(id) => id,
                None => {
                    details.push(Detail::new(key, format!("no stage {value} in flow {}", flow.id)));
                    0
                }
            },
            (None, Some(id)) => id,
            (None, None) => {
                details.push(Detail::new(key, "is required"));
                0
            }
        }
    };
    let from_stage = stage("from", input.from.as_ref(), current.map(|t| t.from_stage));
    let to_stage = stage("to", input.to.as_ref(), current.map(|t| t.to_stage));
    let name = input.name.as_deref().map(str::trim).or(current.map(|t| t.name.as_str())).unwrap_or_default();
    check_text(&mut details, "name", Some(name), false, NAME_MAX);
    let conditional = match &input.conditional {
        Some(sent) => sent.as_ref(),
        None => current.and_then(|t| t.conditional.as_ref()),
    };
    let columns = columns_of(state, (flow.workspace_id, flow.type_id)).await?;
    check_conditional(&mut details, "conditional", conditional, &columns);
    if input.order.is_some_and(|o| o < 0) {
        details.push(Detail::new("order", "must be 0 or more"));
    }
    ApiError::check(details)?;
    let conditional = conditional.filter(|c| !c.is_null() && c.as_object().is_none_or(|o| !o.is_empty()));
    Ok(TransitionValues { from_stage, to_stage, name, conditional, position: input.order })
}

#[utoipa::path(post, path = "/c-flow-transitions", tag = "flows", params(WorkspaceHeader), request_body = TransitionInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = TransitionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_transition(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<TransitionInput>,
) -> ApiResult<(StatusCode, Json<TransitionView>)> {
    structure(&ctx)?;
    let flow: FlowRecord = named(&state, &ctx, "flow", input.flow.as_ref()).await?;
    let values = checked_values(&state, &flow, &input, None).await?;
    let id = enspace_engine::flows::create_transition(&state.db, &flow, &values, &ctx.author("api")).await?;
    Ok((StatusCode::CREATED, Json(written(&state, &ctx, id).await?)))
}

#[utoipa::path(put, path = "/c-flow-transitions/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), request_body = TransitionInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = TransitionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_transition(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<TransitionInput>,
) -> ApiResult<Json<TransitionView>> {
    structure(&ctx)?;
    let transition = transition_of(&state, &ctx, id).await?;
    if input.flow.as_ref().is_some_and(|f| id_of(f) != Some(transition.flow_id)) {
        return Err(ApiError::validation(vec![Detail::new("flow", "a transition's flow cannot change")]));
    }
    let flow = flow_of(&state, &ctx, transition.flow_id).await?;
    let values = checked_values(&state, &flow, &input, Some(&transition)).await?;
    enspace_engine::flows::update_transition(&state.db, &flow, &transition, &values, &ctx.author("api")).await?;
    Ok(Json(written(&state, &ctx, id).await?))
}

/// Deletes a transition. Answers it as it was.
#[utoipa::path(delete, path = "/c-flow-transitions/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = TransitionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_transition(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<TransitionView>> {
    structure(&ctx)?;
    let transition = transition_of(&state, &ctx, id).await?;
    let flow = flow_of(&state, &ctx, transition.flow_id).await?;
    enspace_engine::flows::delete_transition(&state.db, &flow, &transition, &ctx.author("api")).await?;
    Ok(Json(transition.into()))
}
