//! A flow's stages [wire shapes; `c-flow-stages`, spec/flows-and-tasks.md § Stage; decisions
//! 15 and 16]: list, count, get, create, update, delete. A flow's first stage is its start;
//! making another the start moves it; the start cannot be unset or switched off; a stage with
//! flow items in it cannot be switched off or deleted.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    flows::{check_hex_color, one_of, NAME_MAX, PROGRESS_TYPES, STATUSES},
    time::format_ms,
    workspace::check_text,
    Detail,
};
use enspace_store::flows::{FlowRecord, StageRecord, StageValues};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{
        flows::{count_readable, flow_of, list_readable, named, readable_one, running, structure, Embeds, FlowView},
        id_of, present,
        transitions::exit_warnings,
        types::TypeView,
        user::UserView,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_stages, create_stage)).routes(routes!(count_stages)).routes(routes!(
        get_stage,
        update_stage,
        delete_stage
    ))
}

pub const STAGE_NOT_FOUND: &str = "Stage not found";

/// A stage [wire shape].
#[derive(Debug, Serialize, ToSchema)]
pub struct StageView {
    pub id: i64,
    pub name: String,
    /// `active` or `inactive`.
    pub status: String,
    /// `closing_task` (default) or `all_tasks`.
    pub progress_type: String,
    pub is_start: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hex_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    pub item_type: TypeView,
    pub flow: FlowView,
    /// The stage's tasks by `order`.
    #[schema(value_type = Vec<Object>)]
    pub tasks: Vec<Value>,
    /// On a create or update: `no unconditional fallback` when every transition leaving the
    /// stage is conditional (decision 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

async fn view(state: &AppState, embeds: &mut Embeds, stage: StageRecord) -> ApiResult<StageView> {
    let flow = embeds.flow_by_id(state, stage.workspace_id, stage.flow_id).await?;
    let tasks = crate::routes::stage_tasks::tasks_of(state, &stage).await?;
    Ok(StageView {
        id: stage.id,
        name: stage.name,
        status: stage.status,
        progress_type: stage.progress_type,
        is_start: stage.is_start,
        hex_color: stage.hex_color,
        icon: stage.icon,
        user: embeds.user(state, stage.created_by).await?,
        item_type: embeds.item_type(state, stage.workspace_id, stage.type_id).await?,
        flow,
        tasks,
        warnings: Vec::new(),
        created_at: format_ms(stage.created_at),
        updated_at: format_ms(stage.updated_at),
    })
}

async fn stage_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<StageRecord> {
    readable_one(state, ctx, id, STAGE_NOT_FOUND).await
}

/// Filters: `flow`, `flow.item_type`, `is_start`, `status`, `progress_type`, `name`,
/// `created_at`, `updated_at`; `_q` on the name.
#[utoipa::path(get, path = "/c-flow-stages", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [StageView]), (status = 400, body = ErrorBody)))]
pub async fn list_stages(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<StageView>>> {
    let stages: Vec<StageRecord> = list_readable(&state, &ctx, &query).await?;
    let mut embeds = Embeds::default();
    let mut out = Vec::with_capacity(stages.len());
    for stage in stages {
        out.push(view(&state, &mut embeds, stage).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/c-flow-stages/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_stages(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    Ok(Json(count_readable::<StageRecord>(&state, &ctx, &query).await?))
}

#[utoipa::path(get, path = "/c-flow-stages/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_stage(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<StageView>> {
    let stage = stage_of(&state, &ctx, id).await?;
    Ok(Json(view(&state, &mut Embeds::default(), stage).await?))
}

/// `{flow*, name*, is_start, progress_type, hex_color, icon, status}` [ours].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// The flow's id; not changed by an update.
    #[schema(value_type = Option<i64>)]
    pub flow: Option<Value>,
    pub name: Option<String>,
    /// Make this stage the flow's start (the flow's first stage is anyway).
    pub is_start: Option<bool>,
    /// `closing_task` (default) or `all_tasks`.
    pub progress_type: Option<String>,
    /// `#RGB` or `#RRGGBB`.
    #[serde(default, deserialize_with = "present")]
    pub hex_color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub icon: Option<Option<String>>,
    /// `active` (default) or `inactive`.
    pub status: Option<String>,
}

impl Input for StageInput {
    const READ_ONLY: &'static [&'static str] = &["user", "item_type", "tasks"];
}

fn checked_values<'a>(input: &'a StageInput, current: Option<&'a StageRecord>) -> ApiResult<StageValues<'a>> {
    let mut details = Vec::new();
    let name = input.name.as_deref().map(str::trim).or(current.map(|s| s.name.as_str()));
    check_text(&mut details, "name", name, true, NAME_MAX);
    let name = name.unwrap_or_default();
    let status = input.status.as_deref().or(current.map(|s| s.status.as_str())).unwrap_or("active");
    if let Err(detail) = one_of("status", status, &STATUSES) {
        details.push(detail);
    }
    let progress_type =
        input.progress_type.as_deref().or(current.map(|s| s.progress_type.as_str())).unwrap_or("closing_task");
    if let Err(detail) = one_of("progress_type", progress_type, &PROGRESS_TYPES) {
        details.push(detail);
    }
    let hex_color = match &input.hex_color {
        Some(sent) => sent.as_deref(),
        None => current.and_then(|s| s.hex_color.as_deref()),
    };
    if let Some(Err(message)) = hex_color.map(check_hex_color) {
        details.push(Detail::new("hex_color", message));
    }
    let icon = match &input.icon {
        Some(sent) => sent.as_deref(),
        None => current.and_then(|s| s.icon.as_deref()),
    };
    check_text(&mut details, "icon", icon, false, NAME_MAX);
    let was_start = current.is_some_and(|s| s.is_start);
    let is_start = input.is_start.unwrap_or(was_start);
    if was_start && !is_start {
        details.push(Detail::new("is_start", "a flow keeps its start: make another stage the start instead"));
    }
    if is_start && status == "inactive" {
        details.push(Detail::new("status", "the start stage cannot be inactive"));
    }
    ApiError::check(details)?;
    Ok(StageValues { name, status, progress_type, is_start, hex_color, icon })
}

/// Adds a stage to a flow. A flow's first stage is its start; `is_start: true` moves the start
/// here.
#[utoipa::path(post, path = "/c-flow-stages", tag = "flows", params(WorkspaceHeader), request_body = StageInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = StageView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_stage(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<StageInput>,
) -> ApiResult<(StatusCode, Json<StageView>)> {
    structure(&ctx)?;
    let flow: FlowRecord = named(&state, &ctx, "flow", input.flow.as_ref()).await?;
    let values = checked_values(&input, None)?;
    let id = enspace_engine::flows::create_stage(&state.db, &flow, &values, &ctx.author("api")).await?;
    let stage = stage_of(&state, &ctx, id).await?;
    let warnings = exit_warnings(&state, ctx.workspace.id, stage.id).await?;
    Ok((StatusCode::CREATED, Json(StageView { warnings, ..view(&state, &mut Embeds::default(), stage).await? })))
}

/// Changes a stage; its flow does not change. Switching it off is a 409 while flow items are
/// in it.
#[utoipa::path(put, path = "/c-flow-stages/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), request_body = StageInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StageView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_stage(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<StageInput>,
) -> ApiResult<Json<StageView>> {
    structure(&ctx)?;
    let stage = stage_of(&state, &ctx, id).await?;
    if input.flow.as_ref().is_some_and(|f| id_of(f) != Some(stage.flow_id)) {
        return Err(ApiError::validation(vec![Detail::new("flow", "a stage's flow cannot change")]));
    }
    let flow = flow_of(&state, &ctx, stage.flow_id).await?;
    let values = checked_values(&input, Some(&stage))?;
    enspace_engine::flows::update_stage(&state.db, &flow, &stage, &values, &ctx.author("api"))
        .await
        .map_err(|e| running(e, "in this stage: it stays active until they leave it"))?;
    let stage = stage_of(&state, &ctx, id).await?;
    let warnings = exit_warnings(&state, ctx.workspace.id, stage.id).await?;
    Ok(Json(StageView { warnings, ..view(&state, &mut Embeds::default(), stage).await? }))
}

/// Deletes a stage and its transitions: 409 while flow items are in it. Deleting the start
/// leaves the flow unable to start until another stage is made the start. Answers the stage
/// as it was.
#[utoipa::path(delete, path = "/c-flow-stages/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_stage(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<StageView>> {
    structure(&ctx)?;
    let stage = stage_of(&state, &ctx, id).await?;
    let flow = flow_of(&state, &ctx, stage.flow_id).await?;
    let answer = view(&state, &mut Embeds::default(), stage.clone()).await?;
    enspace_engine::flows::delete_stage(&state.db, &flow, &stage, &ctx.author("api"))
        .await
        .map_err(|e| running(e, "in this stage"))?;
    Ok(Json(answer))
}
