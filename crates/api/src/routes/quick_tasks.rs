//! Quick tasks [wire shape; `/ws/tasks`, also answered at `/tasks`; spec/flows-and-tasks.md
//! § Quick tasks]: list, count, get, new, update (also restore), delete (trash, or
//! `?permanent=true`). Who sees what: `tasks::quick::read` shows every task; without it a
//! member still sees the tasks it created, is assigned to or collaborates on. Who changes what
//! is the engine's and the domain's (decision 57): the update permission and the creator
//! anything; the assignee and collaborators the status and the answers.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing, Json,
};
use enspace_domain::list::ListQuery;
use enspace_domain::{
    access::{decide, Action, MemberType},
    time::format_ms,
    Detail,
};
use enspace_engine::quick_tasks::{Doer, ItemKey, Patch, TaskError};
use enspace_store::quick_tasks::{shown, QuickTaskRecord, LIST};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{id_of, present},
    AppState,
};

/// `/ws/tasks` documented; `/tasks` is the same handlers at the product's other path.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_quick_tasks, create_quick_task))
        .routes(routes!(count_quick_tasks))
        .routes(routes!(get_quick_task, update_quick_task, delete_quick_task))
        .route("/tasks", routing::get(list_quick_tasks).post(create_quick_task))
        .route("/tasks/count", routing::get(count_quick_tasks))
        .route("/tasks/{id}", routing::get(get_quick_task).put(update_quick_task).delete(delete_quick_task))
}

pub const QUICK_TASK_NOT_FOUND: &str = "Task not found";

const QUICK_READ: &str = "tasks::quick::read";
const QUICK_CREATE: &str = "tasks::quick::create";

/// A quick task [wire shape]: every key present.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuickTaskView {
    pub id: i64,
    /// 32 characters from `[A-Za-z0-9]`.
    pub reference: String,
    pub name: String,
    pub description: Option<String>,
    /// `generic`, `form`, `crud`, `start` or `approval`.
    #[serde(rename = "type")]
    pub task_type: String,
    /// `pending`, `working`, `blocked` or `completed`.
    pub status: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub due_date: Option<String>,
    pub points: Option<i64>,
    /// By type: `form` `{form, form_result}`; `crud` `{form, itemReference}`; `approval`
    /// `{decision, comment}`; other keys kept as written.
    #[schema(value_type = Object)]
    pub meta: Map<String, Value>,
    pub creator: i64,
    pub assigned_to: Option<i64>,
    pub completed_by: Option<i64>,
    pub completed_at: Option<String>,
    /// Null until the node engine exists.
    #[schema(value_type = Option<i64>)]
    pub node_execution: Option<()>,
    /// The linked item's id.
    pub item: Option<i64>,
    pub notification_task: bool,
    pub archived: bool,
    /// Null: tasks of outside systems are not part of this server.
    #[schema(value_type = Option<i64>)]
    pub external_task: Option<()>,
    pub tag_ids: Vec<i64>,
    /// The workspace's reference.
    pub workspace: String,
    pub collaborators: Vec<i64>,
    #[schema(value_type = Option<Object>)]
    pub permissions: Option<()>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

impl QuickTaskView {
    fn of(task: QuickTaskRecord, workspace: &str) -> QuickTaskView {
        let v = task.values;
        QuickTaskView {
            id: task.id,
            reference: task.reference,
            name: v.name,
            description: v.description,
            task_type: v.task_type,
            status: v.status,
            priority: v.priority,
            due_date: v.due_date.map(format_ms),
            points: v.points,
            meta: v.meta,
            creator: task.creator,
            assigned_to: v.assigned_to,
            completed_by: task.completed_by,
            completed_at: task.completed_at.map(format_ms),
            node_execution: None,
            item: v.item.map(|i| i.id),
            notification_task: v.notification_task,
            archived: v.archived,
            external_task: None,
            tag_ids: v.tag_ids,
            workspace: workspace.to_string(),
            collaborators: v.collaborators,
            permissions: None,
            created_at: format_ms(task.created_at),
            updated_at: format_ms(task.updated_at),
            deleted_at: task.deleted_at.map(format_ms),
        }
    }
}

/// `{name*, description, type, status, priority, due_date, points, meta, assigned_to,
/// collaborators, item, tag_ids, notification_task, archived}` [wire keys]; on update
/// `deleted_at: null` restores a trashed task.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickTaskInput {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    /// `generic` (default), `form`, `crud`, `start` or `approval`.
    #[serde(rename = "type")]
    pub task_type: Option<String>,
    /// `pending` (default), `working`, `blocked` or `completed`.
    pub status: Option<String>,
    /// `low`, `normal` (default), `high` or `urgent`.
    pub priority: Option<String>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` in the workspace's time zone.
    #[serde(default, deserialize_with = "present")]
    pub due_date: Option<Option<String>>,
    /// A whole number ≥ 0.
    #[serde(default, deserialize_with = "present")]
    pub points: Option<Option<i64>>,
    /// Merged at the top level over the stored meta: a key set to null is removed.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Option<Map<String, Value>>>,
    /// A member's user id.
    #[serde(default, deserialize_with = "present")]
    pub assigned_to: Option<Option<i64>>,
    /// Members' user ids.
    pub collaborators: Option<Vec<i64>>,
    /// An item of this workspace the caller may read: its id or its reference.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub item: Option<Option<Value>>,
    pub tag_ids: Option<Vec<i64>>,
    pub notification_task: Option<bool>,
    pub archived: Option<bool>,
    /// Only `null`: restores a trashed task.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub deleted_at: Option<Option<Value>>,
}

impl Input for QuickTaskInput {
    /// Read-only keys a client may send back (decision 57).
    const READ_ONLY: &'static [&'static str] = &[
        "reference",
        "workspace",
        "creator",
        "completed_by",
        "completed_at",
        "node_execution",
        "external_task",
        "permissions",
    ];
}

impl QuickTaskInput {
    fn patch(self) -> ApiResult<Patch> {
        let mut details = Vec::new();
        let item = self.item.map(|item| match item {
            None => None,
            Some(value) => match (id_of(&value), value.as_str()) {
                (Some(id), _) => Some(ItemKey::Id(id)),
                (None, Some(reference)) => Some(ItemKey::Reference(reference.trim().to_string())),
                _ => {
                    details.push(Detail::new("item", "expected an item id or reference"));
                    None
                }
            },
        });
        let restore = match self.deleted_at {
            None => false,
            Some(None) => true,
            Some(Some(_)) => {
                details
                    .push(Detail::new("deleted_at", "accepts only null (restore); DELETE moves a task to the trash"));
                false
            }
        };
        ApiError::check(details)?;
        Ok(Patch {
            name: self.name,
            description: self.description,
            task_type: self.task_type,
            status: self.status,
            priority: self.priority,
            due_date: self.due_date,
            points: self.points,
            meta: self.meta,
            assigned_to: self.assigned_to,
            collaborators: self.collaborators,
            item,
            tag_ids: self.tag_ids,
            notification_task: self.notification_task,
            archived: self.archived,
            restore,
        })
    }
}

fn may(ctx: &WsCtx, action: Action) -> bool {
    decide(&ctx.access, &action).is_ok()
}

fn reads_all(ctx: &WsCtx) -> bool {
    may(ctx, Action::read_feature(QUICK_READ))
}

fn doer(ctx: &WsCtx) -> Doer<'_> {
    Doer {
        author: ctx.author("api"),
        user_id: ctx.principal.user.id,
        access: &ctx.access,
        update_any: may(ctx, Action::use_feature(enspace_domain::quick_tasks::UPDATE)),
        delete_any: may(ctx, Action::use_feature(enspace_domain::quick_tasks::DELETE)),
        viewer: ctx.member_type() == MemberType::Viewer,
    }
}

fn task_error(e: TaskError) -> ApiError {
    match e {
        TaskError::NotFound => ApiError::not_found(QUICK_TASK_NOT_FOUND),
        TaskError::Forbidden(permission) => ApiError::forbidden(format!("Permission denied: {permission}")),
        TaskError::Invalid(details) => ApiError::validation(details),
        TaskError::Store(e) => e.into(),
    }
}

/// The task, if the caller may see it: 404 when it is not the workspace's, 403 when it is
/// neither readable by permission nor one of the caller's.
async fn visible_task(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<QuickTaskRecord> {
    let task: QuickTaskRecord = enspace_store::record::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(QUICK_TASK_NOT_FOUND))?;
    if !reads_all(ctx) && !enspace_store::quick_tasks::names(&task, ctx.principal.user.id) {
        return Err(ApiError::forbidden(format!("Permission denied: {QUICK_READ}")));
    }
    Ok(task)
}

/// Filters `status`, `status_in`, `type`, `priority`, `points`, `item`, `assigned_to`,
/// `assigned_to_null`, `creator`, `due_date_lt/_lte/_gt/_gte`, `due_date_null`,
/// `created_at_gte`, `completed_at_gte`, `completed_at_null`, `name_contains`, `tag_ids` and
/// `collaborators` (contains), `_q` (name and description), and the other keys. Archived and
/// trashed tasks are left out unless a filter names `archived` or `deleted_at`. Also at `/tasks`.
#[utoipa::path(get, path = "/ws/tasks", tag = "tasks", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [QuickTaskView]), (status = 400, body = ErrorBody)))]
pub async fn list_quick_tasks(
    State(state): State<AppState>,
    ctx: WsCtx,
    pairs: QueryPairs,
) -> ApiResult<Json<Vec<QuickTaskView>>> {
    Ok(Json(list(&state, &ctx, &pairs).await?))
}

/// The list query `pairs` says, and whose tasks alone the caller sees (`None`: everyone's).
fn visible_query(state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<(ListQuery, Option<i64>)> {
    Ok((pairs.list(state, &LIST, &[])?, (!reads_all(ctx)).then_some(ctx.principal.user.id)))
}

/// A page of the tasks the caller may see (the list language of `GET /ws/tasks`).
pub async fn list(state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<Vec<QuickTaskView>> {
    let (query, only_of) = visible_query(state, ctx, pairs)?;
    let filter = shown(ctx.workspace.id, only_of, &query);
    let tasks: Vec<QuickTaskRecord> =
        enspace_store::record::list_where(&state.db, ctx.workspace.id, &query, &filter).await?;
    Ok(tasks.into_iter().map(|t| QuickTaskView::of(t, &ctx.workspace.reference)).collect())
}

/// How many of the tasks the caller may see `pairs` selects.
pub async fn count(state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<i64> {
    let (query, only_of) = visible_query(state, ctx, pairs)?;
    let filter = shown(ctx.workspace.id, only_of, &query);
    Ok(enspace_store::record::count_where::<QuickTaskRecord>(&state.db, ctx.workspace.id, &query, &filter).await?)
}

/// The sum of the points of the tasks `pairs` selects (a board lane's total).
pub async fn points(state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<i64> {
    let (query, only_of) = visible_query(state, ctx, pairs)?;
    let filter = shown(ctx.workspace.id, only_of, &query);
    Ok(enspace_store::record::sum_where::<QuickTaskRecord>(&state.db, ctx.workspace.id, &query, &filter, "qt.points")
        .await?)
}

/// One task the caller may see, trashed ones too.
pub async fn get(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<QuickTaskView> {
    Ok(QuickTaskView::of(visible_task(state, ctx, id).await?, &ctx.workspace.reference))
}

/// Creates a task; the caller is its creator.
pub async fn create(state: &AppState, ctx: &WsCtx, input: QuickTaskInput) -> ApiResult<QuickTaskView> {
    ctx.authorize(Action::use_feature(QUICK_CREATE))?;
    if input.deleted_at.is_some() {
        return Err(ApiError::validation(vec![Detail::new("deleted_at", "a new task is not in the trash")]));
    }
    let patch = input.patch()?;
    let task = enspace_engine::quick_tasks::create(&state.db, ctx.workspace.id, patch, &doer(ctx))
        .await
        .map_err(task_error)?;
    Ok(QuickTaskView::of(task, &ctx.workspace.reference))
}

/// Changes the keys `input` sends (and restores a trashed task on `deleted_at: null`).
pub async fn update(state: &AppState, ctx: &WsCtx, id: i64, input: QuickTaskInput) -> ApiResult<QuickTaskView> {
    visible_task(state, ctx, id).await?;
    let patch = input.patch()?;
    let task = enspace_engine::quick_tasks::update(&state.db, ctx.workspace.id, id, patch, &doer(ctx))
        .await
        .map_err(task_error)?;
    Ok(QuickTaskView::of(task, &ctx.workspace.reference))
}

/// Moves the task to the trash, or removes it for good.
pub async fn delete(state: &AppState, ctx: &WsCtx, id: i64, permanent: bool) -> ApiResult<QuickTaskView> {
    visible_task(state, ctx, id).await?;
    let task = enspace_engine::quick_tasks::delete(&state.db, ctx.workspace.id, id, permanent, &doer(ctx))
        .await
        .map_err(task_error)?;
    Ok(QuickTaskView::of(task, &ctx.workspace.reference))
}

#[utoipa::path(get, path = "/ws/tasks/count", tag = "tasks", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_quick_tasks(State(state): State<AppState>, ctx: WsCtx, pairs: QueryPairs) -> ApiResult<Json<i64>> {
    Ok(Json(count(&state, &ctx, &pairs).await?))
}

/// A task, trashed ones too (with `deleted_at`).
#[utoipa::path(get, path = "/ws/tasks/{id}", tag = "tasks", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = QuickTaskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_quick_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<QuickTaskView>> {
    Ok(Json(get(&state, &ctx, id).await?))
}

/// Creates a task; the caller is its creator. Created `completed`, it is completed by the
/// caller now.
#[utoipa::path(post, path = "/ws/tasks", tag = "tasks", params(WorkspaceHeader), request_body = QuickTaskInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = QuickTaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_quick_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<QuickTaskInput>,
) -> ApiResult<(StatusCode, Json<QuickTaskView>)> {
    Ok((StatusCode::CREATED, Json(create(&state, &ctx, input).await?)))
}

/// Changes a task: only the keys sent (`meta` merged at the top level). Moving to `completed`
/// sets `completed_at`/`completed_by`, moving away clears them; an approval's `meta.decision`
/// completes it. `{"deleted_at": null}` restores a trashed task.
#[utoipa::path(put, path = "/ws/tasks/{id}", tag = "tasks", params(WorkspaceHeader, ("id" = i64, Path)), request_body = QuickTaskInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = QuickTaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_quick_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<QuickTaskInput>,
) -> ApiResult<Json<QuickTaskView>> {
    Ok(Json(update(&state, &ctx, id, input).await?))
}

/// `?permanent=true` [ours].
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Remove the task for good instead of moving it to the trash.
    pub permanent: Option<bool>,
}

/// Moves the task to the trash (`deleted_at` set), or with `?permanent=true` removes it.
/// Answers the task.
#[utoipa::path(delete, path = "/ws/tasks/{id}", tag = "tasks", params(WorkspaceHeader, ("id" = i64, Path), DeleteParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = QuickTaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_quick_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    pairs: QueryPairs,
) -> ApiResult<Json<QuickTaskView>> {
    let permanent = pairs.flag("permanent")?;
    if let Some((key, _)) = pairs.0.iter().find(|(k, _)| k != "permanent") {
        return Err(ApiError::validation(vec![Detail::new(key.clone(), "unknown parameter")]));
    }
    Ok(Json(delete(&state, &ctx, id, permanent).await?))
}
