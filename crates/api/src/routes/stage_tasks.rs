//! A stage's tasks [wire keys; `c-stage-tasks`, spec/flows-and-tasks.md § Stage task]: list,
//! count, get, create, update, delete. Every reference (fields, groups, users, `sla_field`,
//! `responsible_field`, an email's recipients and placeholders) is checked when saved
//! (`domain::stage_tasks`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    stage_tasks::{check, StageTaskDef},
    time::format_ms,
    Detail,
};
use enspace_store::flows::{StageRecord, StageTaskRecord};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{
        flows::{
            count_readable, flow_of, force_of, list_readable, named, order_in, readable_one, readable_or_responsible,
            running, structure, DeleteFlowParams, References,
        },
        id_of,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_tasks, create_task)).routes(routes!(count_tasks)).routes(routes!(
        get_task,
        update_task,
        delete_task
    ))
}

pub const TASK_NOT_FOUND: &str = "Task not found";

/// The keys a stage task takes besides `stage` and `order`.
const KEYS: [&str; 18] = [
    "name",
    "description",
    "action",
    "start_type",
    "conditional",
    "sla",
    "sla_type",
    "sla_origin",
    "sla_field",
    "responsibility_type",
    "users",
    "module_groups",
    "external_email",
    "responsible_field",
    "require_assignment",
    "notify",
    "fields",
    "email",
];

/// A stage task [wire keys]: every key present, `null` when unset.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageTaskView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub stage: i64,
    pub order: i64,
    /// `confirmation`, `fill_fields`, `close_stage`, `close_flow` or `sendmail`.
    pub action: String,
    /// `always` or `conditional`.
    pub start_type: String,
    #[schema(value_type = Option<Object>)]
    pub conditional: Option<Value>,
    /// Units of `sla_type`; null for no due date.
    #[schema(value_type = Option<f64>)]
    pub sla: Option<Value>,
    pub sla_type: String,
    pub sla_origin: String,
    pub sla_field: Option<String>,
    pub responsibility_type: String,
    pub users: Vec<i64>,
    pub module_groups: Vec<i64>,
    pub external_email: Option<String>,
    pub responsible_field: Option<String>,
    pub require_assignment: bool,
    pub notify: bool,
    /// `[{refId, required}]`.
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<Value>,
    /// `sendmail` only: `{to, subject, body}`.
    #[schema(value_type = Option<Object>)]
    pub email: Option<Value>,
    /// The creator's user id.
    pub user: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<StageTaskRecord> for StageTaskView {
    fn from(task: StageTaskRecord) -> Self {
        let def = StageTaskDef::from_map(&task.def);
        // A whole number shows as one (`1`, not `1.0`).
        let sla = def.sla.map(|s| if s.fract() == 0.0 && s.abs() < 1e15 { json!(s as i64) } else { json!(s) });
        StageTaskView {
            id: task.id,
            name: def.name,
            description: def.description,
            stage: task.stage_id,
            order: task.position,
            action: def.action,
            start_type: def.start_type,
            conditional: def.conditional,
            sla,
            sla_type: def.sla_type,
            sla_origin: def.sla_origin,
            sla_field: def.sla_field,
            responsibility_type: def.responsibility_type,
            users: def.users,
            module_groups: def.module_groups,
            external_email: def.external_email,
            responsible_field: def.responsible_field,
            require_assignment: def.require_assignment,
            notify: def.notify,
            fields: def.fields,
            email: def.email,
            user: task.created_by,
            created_at: format_ms(task.created_at),
            updated_at: format_ms(task.updated_at),
        }
    }
}

/// A stage's tasks as its answers embed them.
pub(crate) async fn tasks_of(state: &AppState, stage: &StageRecord) -> ApiResult<Vec<Value>> {
    let tasks = enspace_store::flows::tasks_of(&state.db, stage.workspace_id, stage.id).await?;
    tasks.into_iter().map(|t| serde_json::to_value(StageTaskView::from(t)).map_err(ApiError::internal)).collect()
}

async fn task_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<StageTaskRecord> {
    readable_one(state, ctx, id, TASK_NOT_FOUND).await
}

/// Filters: `stage`, `stage.flow`, `action`, `order`, `created_at`, `updated_at`; by `order`.
#[utoipa::path(get, path = "/c-stage-tasks", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [StageTaskView]), (status = 400, body = ErrorBody)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<StageTaskView>>> {
    let tasks: Vec<StageTaskRecord> = list_readable(&state, &ctx, &query).await?;
    Ok(Json(tasks.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/c-stage-tasks/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_tasks(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    Ok(Json(count_readable::<StageTaskRecord>(&state, &ctx, &query).await?))
}

#[utoipa::path(get, path = "/c-stage-tasks/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StageTaskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<StageTaskView>> {
    let through = enspace_store::schedule_tasks::Through::StageTask;
    let task: StageTaskRecord = readable_or_responsible(&state, &ctx, id, TASK_NOT_FOUND, through).await?;
    Ok(Json(task.into()))
}

/// `{stage*, name*, action*, order, start_type, conditional, sla, sla_type, sla_origin,
/// sla_field, responsibility_type, users, module_groups, external_email, responsible_field,
/// require_assignment, notify, fields, email}` [wire keys].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct StageTaskInput(pub Map<String, Value>);

impl Input for StageTaskInput {
    const READ_ONLY: &'static [&'static str] = &["user"];
}

/// What the task's references are checked against, and the checked definition.
async fn checked(
    state: &AppState,
    ctx: &WsCtx,
    stage: &StageRecord,
    body: &Map<String, Value>,
    current: Option<&StageTaskDef>,
) -> ApiResult<(StageTaskDef, Option<i64>)> {
    let mut details: Vec<Detail> = body
        .keys()
        .filter(|k| !KEYS.contains(&k.as_str()) && !["stage", "order"].contains(&k.as_str()))
        .map(|k| Detail::new(k, "unknown field"))
        .collect();
    let order = order_in(&mut details, body);
    let references = References::load(state, ctx, stage.type_id).await?;
    let known = references.known();
    let sent: Map<String, Value> =
        body.iter().filter(|(k, _)| KEYS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let def = match check(&sent, current, &known) {
        Ok(def) => Some(def),
        Err(problems) => {
            details.extend(problems);
            None
        }
    };
    ApiError::check(details)?;
    Ok((def.expect("checked"), order))
}

#[utoipa::path(post, path = "/c-stage-tasks", tag = "flows", params(WorkspaceHeader), request_body = StageTaskInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = StageTaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(StageTaskInput(body)): ApiJson<StageTaskInput>,
) -> ApiResult<(StatusCode, Json<StageTaskView>)> {
    structure(&ctx)?;
    let stage: StageRecord = named(&state, &ctx, "stage", body.get("stage")).await?;
    let flow = flow_of(&state, &ctx, stage.flow_id).await?;
    let (def, order) = checked(&state, &ctx, &stage, &body, None).await?;
    let id =
        enspace_engine::flows::create_stage_task(&state.db, &flow, &stage, &def.to_map(), order, &ctx.author("api"))
            .await?;
    Ok((StatusCode::CREATED, Json(task_of(&state, &ctx, id).await?.into())))
}

/// Changes a stage task (its stage does not change). Open instances follow its action, fields,
/// assignment, email and notification; their responsibles and due dates stay.
#[utoipa::path(put, path = "/c-stage-tasks/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), request_body = StageTaskInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StageTaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(StageTaskInput(body)): ApiJson<StageTaskInput>,
) -> ApiResult<Json<StageTaskView>> {
    structure(&ctx)?;
    let task = task_of(&state, &ctx, id).await?;
    if body.get("stage").is_some_and(|s| id_of(s) != Some(task.stage_id)) {
        return Err(ApiError::validation(vec![Detail::new("stage", "a task's stage cannot change")]));
    }
    let stage = enspace_store::flows::stage(&state.db, ctx.workspace.id, task.stage_id)
        .await?
        .ok_or_else(|| ApiError::not_found(TASK_NOT_FOUND))?;
    let flow = flow_of(&state, &ctx, stage.flow_id).await?;
    let current = StageTaskDef::from_map(&task.def);
    let (def, order) = checked(&state, &ctx, &stage, &body, Some(&current)).await?;
    enspace_engine::flows::update_stage_task(&state.db, &flow, &task, &def.to_map(), order, &ctx.author("api")).await?;
    Ok(Json(task_of(&state, &ctx, id).await?.into()))
}

/// Deletes a stage task; completed instances keep it. 409 while instances of it are open,
/// unless `?force=true`, which removes them first (decision 23). Answers it as it was.
#[utoipa::path(delete, path = "/c-stage-tasks/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path), DeleteFlowParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StageTaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    query: QueryPairs,
) -> ApiResult<Json<StageTaskView>> {
    structure(&ctx)?;
    let force = force_of(&query)?;
    let task = task_of(&state, &ctx, id).await?;
    let flow = flow_of(&state, &ctx, task.flow_id).await?;
    enspace_engine::flows::delete_stage_task(&state.db, &flow, &task, force, &ctx.author("api"))
        .await
        .map_err(|e| running(e, "in this task"))?;
    Ok(Json(task.into()))
}
