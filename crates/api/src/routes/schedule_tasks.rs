//! Schedule tasks [wire shape; `c-flow-item-tasks`, spec/flows-and-tasks.md § Schedule task]:
//! list, count, get, `in-charge`, assign, complete, delete. Who sees what (decisions 30–32,
//! 42): `tasks::scheduled::read` with read on the type shows every task of the type; without
//! it a member still sees the tasks it is a responsible of or has taken. Acting needs to be a
//! responsible, or an override holder; deleting needs `tasks::scheduled::delete`.

use axum::{
    extract::{Path, State},
    Json,
};
use enspace_domain::{
    access::{decide, Action, MemberType},
    flow_run::{self, Caller},
    time::{format_ms, now_ms},
    Detail,
};
use enspace_engine::flow_run::{Acting, RunError};
use enspace_store::{
    record::Record,
    schedule_tasks::{only_mine, visible, Mine, ScheduleTaskRecord, Through},
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::items::ItemView,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedule_tasks))
        .routes(routes!(count_schedule_tasks))
        .routes(routes!(in_charge))
        .routes(routes!(count_in_charge))
        .routes(routes!(get_schedule_task, delete_schedule_task))
        .routes(routes!(assign_schedule_task))
        .routes(routes!(complete_schedule_task))
}

pub const SCHEDULE_TASK_NOT_FOUND: &str = "Schedule task not found";

const SCHEDULED_READ: &str = "tasks::scheduled::read";
const SCHEDULED_UPDATE: &str = "tasks::scheduled::update";
const SCHEDULED_DELETE: &str = "tasks::scheduled::delete";

/// A schedule task [wire shape]. `completed_at` and `updated_by_email` appear only on completed
/// tasks, `deleted_at` only on removed ones; `is_overdue` only in lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleTaskView {
    pub id: i64,
    /// The stage task it is an instance of.
    pub task: i64,
    /// The flow item's id; with `__relations=flow_item.item`, the flow item with its item.
    #[schema(value_type = Object)]
    pub flow_item: Value,
    pub item_reference: String,
    pub item_type_name: String,
    pub flow_name: String,
    pub stage_name: String,
    pub task_name: String,
    pub task_action_slug: String,
    /// `waiting`, `working`, `complete` or `removed`.
    pub work_status: String,
    /// `active`, or `inactive` once removed.
    pub status: String,
    pub due_date: Option<String>,
    /// `Atrasado` or `Em Dia` (lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_overdue: Option<&'static str>,
    /// Always `"0"` [wire].
    pub priority: &'static str,
    /// Always `default` [wire].
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub responsibility_type: String,
    /// The responsibles as people read them; `Todos` for everybody.
    pub unified_responsible: String,
    /// The user who took it.
    pub assigned: Option<i64>,
    /// `[{email, created_at, work_status}]`, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub task_log: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// Who completed it (null when the server did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by_email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// With `__relations=assigned_users`: user ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_users: Option<Vec<i64>>,
    /// With `__relations=module_groups`: member-group ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module_groups: Option<Vec<i64>>,
    pub created_at: String,
    pub updated_at: String,
}

impl ScheduleTaskView {
    fn of(task: ScheduleTaskRecord, listed: bool) -> ScheduleTaskView {
        let complete = task.work_status == "complete";
        let ended = task.completed_at.or(task.deleted_at);
        ScheduleTaskView {
            id: task.id,
            task: task.task_id,
            flow_item: json!(task.flow_item_id),
            item_reference: task.item_reference,
            item_type_name: task.type_name,
            flow_name: task.flow_name,
            stage_name: task.stage_name,
            task_name: task.task_name,
            task_action_slug: task.task_action,
            is_overdue: listed.then(|| flow_run::is_overdue(task.due_date, ended, now_ms())),
            work_status: task.work_status,
            status: task.status,
            due_date: task.due_date.map(format_ms),
            priority: "0",
            kind: "default",
            responsibility_type: task.responsibility_type,
            unified_responsible: task.unified_responsible,
            assigned: task.assigned,
            task_log: task.task_log,
            completed_at: task.completed_at.filter(|_| complete).map(format_ms),
            updated_by_email: complete.then_some(task.updated_by_email),
            deleted_at: task.deleted_at.map(format_ms),
            assigned_users: None,
            module_groups: None,
            created_at: format_ms(task.created_at),
            updated_at: format_ms(task.updated_at),
        }
    }
}

/// What the caller is to tasks: its groups, the types it reads tasks of and updates items of.
struct Seat {
    groups: Vec<i64>,
    /// Types whose every task the caller sees (`None`: all).
    reads: Option<Vec<String>>,
    /// Types whose items the caller may update (`everybody` tasks of these are its own).
    updates: Option<Vec<String>>,
}

impl Seat {
    async fn of(state: &AppState, ctx: &WsCtx) -> ApiResult<Seat> {
        let groups = enspace_store::members::group_ids(&state.db, ctx.workspace.id, ctx.member.id).await?;
        if ctx.access.unrestricted() {
            return Ok(Seat { groups, reads: None, updates: None });
        }
        let types = enspace_store::types::all(&state.db, ctx.workspace.id).await?;
        let may = |action: Action| decide(&ctx.access, &action).is_ok();
        let scheduled = may(Action::read_feature(SCHEDULED_READ));
        let reads = types.iter().filter(|t| scheduled && may(Action::read_type(&t.slug))).map(|t| t.slug.clone());
        let updates = types.iter().filter(|t| may(Action::on_type(&t.slug, "update"))).map(|t| t.slug.clone());
        Ok(Seat { groups, reads: Some(reads.collect()), updates: Some(updates.collect()) })
    }

    fn mine<'a>(&'a self, ctx: &WsCtx) -> Mine<'a> {
        Mine {
            workspace_id: ctx.workspace.id,
            user_id: ctx.principal.user.id,
            groups: &self.groups,
            updates: self.updates.as_deref(),
            viewer: ctx.member_type() == MemberType::Viewer,
        }
    }

    fn caller<'a>(&'a self, ctx: &WsCtx, slug: &str) -> Caller<'a> {
        Caller {
            user_id: ctx.principal.user.id,
            member_type: ctx.member_type(),
            groups: &self.groups,
            updates_type: self.updates.as_ref().is_none_or(|u| u.iter().any(|s| s == slug)),
        }
    }

    fn sees(&self, ctx: &WsCtx, task: &ScheduleTaskRecord) -> bool {
        self.reads.as_ref().is_none_or(|r| r.contains(&task.type_slug))
            || task.assigned == Some(ctx.principal.user.id)
            || flow_run::is_responsible(
                &self.caller(ctx, &task.type_slug),
                &enspace_engine::flow_run::responsibles_of(task),
            )
    }
}

/// Whether the caller is a responsible or the assignee of an instance of the stage task, or
/// of a task of the flow item, `id` (decision 33: it may read those without read on the type).
pub(crate) async fn responsible_for(state: &AppState, ctx: &WsCtx, through: Through, id: i64) -> ApiResult<bool> {
    let seat = Seat::of(state, ctx).await?;
    let mine = seat.mine(ctx);
    Ok(enspace_store::schedule_tasks::is_responsible(&state.db, ctx.workspace.id, through, id, &mine).await?)
}

/// `__relations`: a comma list of `assigned_users`, `module_groups`, `flow_item.item` (decision 47).
#[derive(Default)]
struct Relations {
    assigned_users: bool,
    module_groups: bool,
    item: bool,
}

fn relations(pairs: &QueryPairs) -> ApiResult<Relations> {
    let mut out = Relations::default();
    for (key, value) in pairs.0.iter().filter(|(k, _)| k == "__relations") {
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "assigned_users" => out.assigned_users = true,
                "module_groups" => out.module_groups = true,
                "flow_item.item" => out.item = true,
                _ => {
                    return Err(ApiError::validation(vec![Detail::new(
                        key.clone(),
                        format!("expected assigned_users, module_groups or flow_item.item, got {name:?}"),
                    )]))
                }
            }
        }
    }
    Ok(out)
}

async fn shaped(
    state: &AppState,
    ctx: &WsCtx,
    seat: &Seat,
    tasks: Vec<ScheduleTaskRecord>,
    pairs: &QueryPairs,
    listed: bool,
) -> ApiResult<Vec<ScheduleTaskView>> {
    let wanted = relations(pairs)?;
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        let embedded = if wanted.item { Some(flow_item_with_item(state, ctx, seat, &task).await?) } else { None };
        let users = task.responsible_users.clone();
        let groups = task.responsible_groups.clone();
        let mut view = ScheduleTaskView::of(task, listed);
        if wanted.assigned_users {
            view.assigned_users = Some(users);
        }
        if wanted.module_groups {
            view.module_groups = Some(groups);
        }
        if let Some(embedded) = embedded {
            view.flow_item = embedded;
        }
        out.push(view);
    }
    Ok(out)
}

/// The flow item with its item as the caller may read it (decision 47): the readable fields,
/// plus the task's own fields for whoever may complete it while it is open (decision 38);
/// `{id, reference}` without read on the type; `null` once the item is deleted.
async fn flow_item_with_item(
    state: &AppState,
    ctx: &WsCtx,
    seat: &Seat,
    task: &ScheduleTaskRecord,
) -> ApiResult<Value> {
    let flow_item: Option<enspace_store::flows::FlowItemRecord> =
        enspace_store::record::get(&state.db, ctx.workspace.id, task.flow_item_id).await?;
    let Some(flow_item) = flow_item else { return Ok(json!(task.flow_item_id)) };
    let mut shown = serde_json::to_value(crate::routes::flow_items::FlowItemView::from(flow_item))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let found = enspace_store::types::with_fields(&state.db, ctx.workspace.id, &task.type_slug).await?;
    let item = match &found {
        Some((record, _)) => {
            enspace_store::items::get(&state.db, ctx.workspace.id, record.id, &task.item_reference).await?
        }
        None => None,
    };
    shown["item"] = match (item, found) {
        (Some(item), Some((_, fields))) => {
            if decide(&ctx.access, &Action::read_type(&task.type_slug)).is_err() {
                json!({ "id": item.id, "reference": item.reference })
            } else {
                let mut grant = ctx.access.fields(&task.type_slug, "read");
                if flow_run::is_open(&task.work_status) && may_act(ctx, seat, task) {
                    let def = enspace_domain::stage_tasks::StageTaskDef::from_map(&task.task_def);
                    let own = def
                        .fields
                        .iter()
                        .filter_map(|f| f.get("refId").and_then(Value::as_str))
                        .map(|r| format!("data.{r}"));
                    grant = grant.with(own.collect::<Vec<_>>());
                }
                let mut items = vec![item];
                enspace_engine::items::present(&state.db, ctx.workspace.id, &fields, &mut items).await?;
                serde_json::to_value(ItemView::from(items.remove(0)).masked(&grant))
                    .map_err(|e| ApiError::internal(e.to_string()))?
            }
        }
        _ => Value::Null,
    };
    Ok(shown)
}

/// The owner, role-less `full` members, and `tasks::scheduled::update` with read on the type
/// act on others' tasks (decision 32).
fn overrides(ctx: &WsCtx, slug: &str) -> bool {
    ctx.access.unrestricted()
        || (decide(&ctx.access, &Action::use_feature(SCHEDULED_UPDATE)).is_ok()
            && decide(&ctx.access, &Action::read_type(slug)).is_ok())
}

fn may_act(ctx: &WsCtx, seat: &Seat, task: &ScheduleTaskRecord) -> bool {
    let responsibles = enspace_engine::flow_run::responsibles_of(task);
    flow_run::may_act(&seat.caller(ctx, &task.type_slug), &responsibles, task.assigned, overrides(ctx, &task.type_slug))
}

/// Filters: every key of the task but `is_overdue` (a 400), and `task.name`, `task.action`,
/// `task.stage`, `flow_item.item`, `flow_item.flow`, `flow_item.stage`, `flow_item.run_status`.
/// `__relations=assigned_users,module_groups,flow_item.item`.
#[utoipa::path(get, path = "/c-flow-item-tasks", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [ScheduleTaskView]), (status = 400, body = ErrorBody)))]
pub async fn list_schedule_tasks(
    State(state): State<AppState>,
    ctx: WsCtx,
    pairs: QueryPairs,
) -> ApiResult<Json<Vec<ScheduleTaskView>>> {
    let tasks = Tasks::of(&state, &ctx, Listing::Visible).await?;
    Ok(Json(tasks.list(&state, &ctx, &pairs).await?))
}

#[utoipa::path(get, path = "/c-flow-item-tasks/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_schedule_tasks(
    State(state): State<AppState>,
    ctx: WsCtx,
    pairs: QueryPairs,
) -> ApiResult<Json<i64>> {
    let tasks = Tasks::of(&state, &ctx, Listing::Visible).await?;
    Ok(Json(tasks.count(&state, &ctx, &pairs).await?))
}

/// The caller's tasks: those it is a responsible of or has taken [wire]; the list's filters.
#[utoipa::path(get, path = "/c-flow-item-tasks/in-charge", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [ScheduleTaskView]), (status = 400, body = ErrorBody)))]
pub async fn in_charge(
    State(state): State<AppState>,
    ctx: WsCtx,
    pairs: QueryPairs,
) -> ApiResult<Json<Vec<ScheduleTaskView>>> {
    let tasks = Tasks::of(&state, &ctx, Listing::InCharge).await?;
    Ok(Json(tasks.list(&state, &ctx, &pairs).await?))
}

/// How many of the caller's tasks the filters select [ours: the console's badge].
#[utoipa::path(get, path = "/c-flow-item-tasks/in-charge/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_in_charge(State(state): State<AppState>, ctx: WsCtx, pairs: QueryPairs) -> ApiResult<Json<i64>> {
    let tasks = Tasks::of(&state, &ctx, Listing::InCharge).await?;
    Ok(Json(tasks.count(&state, &ctx, &pairs).await?))
}

/// Which schedule tasks a reader lists: the caller's own (`in-charge`), or every one it may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    InCharge,
    Visible,
}

/// The schedule tasks as one caller may see and act on them: what the JSON routes and the
/// console's task screens both read and act through.
pub struct Tasks {
    seat: Seat,
    listing: Listing,
}

/// A listed task with what the console shows beside it.
pub struct TaskRow {
    pub view: ScheduleTaskView,
    /// Whether the caller may take or complete it.
    pub may_act: bool,
    pub def: enspace_domain::stage_tasks::StageTaskDef,
    pub type_slug: String,
}

impl Tasks {
    pub async fn of(state: &AppState, ctx: &WsCtx, listing: Listing) -> ApiResult<Tasks> {
        Ok(Tasks { seat: Seat::of(state, ctx).await?, listing })
    }

    async fn records(&self, state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<Vec<ScheduleTaskRecord>> {
        let query = pairs.list(state, ScheduleTaskRecord::LIST, &["__relations"])?;
        let mine = self.seat.mine(ctx);
        let tasks = match self.listing {
            Listing::InCharge => {
                enspace_store::record::list_where(&state.db, ctx.workspace.id, &query, &only_mine(&mine)).await?
            }
            Listing::Visible => {
                let filter = visible(self.seat.reads.as_deref(), &mine);
                enspace_store::record::list_where(&state.db, ctx.workspace.id, &query, &filter).await?
            }
        };
        Ok(tasks)
    }

    /// A page of tasks as the list routes answer it.
    pub async fn list(&self, state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<Vec<ScheduleTaskView>> {
        let tasks = self.records(state, ctx, pairs).await?;
        shaped(state, ctx, &self.seat, tasks, pairs, true).await
    }

    /// A page of tasks, each with whether the caller may act on it and its definition.
    pub async fn rows(&self, state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<Vec<TaskRow>> {
        let tasks = self.records(state, ctx, pairs).await?;
        self.rows_of(state, ctx, tasks, pairs, true).await
    }

    /// What the caller may do with each task, read before the views take the records.
    async fn rows_of(
        &self,
        state: &AppState,
        ctx: &WsCtx,
        tasks: Vec<ScheduleTaskRecord>,
        pairs: &QueryPairs,
        listed: bool,
    ) -> ApiResult<Vec<TaskRow>> {
        let beside: Vec<_> = tasks
            .iter()
            .map(|t| {
                let def = enspace_domain::stage_tasks::StageTaskDef::from_map(&t.task_def);
                (may_act(ctx, &self.seat, t), def, t.type_slug.clone())
            })
            .collect();
        let views = shaped(state, ctx, &self.seat, tasks, pairs, listed).await?;
        Ok(beside
            .into_iter()
            .zip(views)
            .map(|((may_act, def, type_slug), view)| TaskRow { view, may_act, def, type_slug })
            .collect())
    }

    pub async fn count(&self, state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<i64> {
        let query = pairs.list(state, ScheduleTaskRecord::LIST, &["__relations"])?;
        let mine = self.seat.mine(ctx);
        Ok(match self.listing {
            Listing::InCharge => {
                enspace_store::record::count_where::<ScheduleTaskRecord>(
                    &state.db,
                    ctx.workspace.id,
                    &query,
                    &only_mine(&mine),
                )
                .await?
            }
            Listing::Visible => {
                let filter = visible(self.seat.reads.as_deref(), &mine);
                enspace_store::record::count_where::<ScheduleTaskRecord>(&state.db, ctx.workspace.id, &query, &filter)
                    .await?
            }
        })
    }

    /// One task as `GET /c-flow-item-tasks/{id}` answers it (with `pairs`' relations).
    pub async fn get(&self, state: &AppState, ctx: &WsCtx, id: i64, pairs: &QueryPairs) -> ApiResult<ScheduleTaskView> {
        let task = visible_task(state, ctx, &self.seat, id).await?;
        Ok(shaped(state, ctx, &self.seat, vec![task], pairs, false).await?.remove(0))
    }

    /// One task with its flow item and item embedded (`__relations=flow_item.item`), whether
    /// the caller may act on it, and its definition: the console's task page.
    pub async fn panel(&self, state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<TaskRow> {
        let task = visible_task(state, ctx, &self.seat, id).await?;
        let pairs = QueryPairs(vec![("__relations".to_string(), "flow_item.item".to_string())]);
        Ok(self.rows_of(state, ctx, vec![task], &pairs, false).await?.remove(0))
    }

    /// Take the task: `working`, assigned to the caller.
    pub async fn assign(&self, state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<ScheduleTaskView> {
        let acting = actor_of(state, ctx, &self.seat, id).await?;
        let task =
            enspace_engine::flow_run::assign(&state.db, ctx.workspace.id, id, &acting).await.map_err(run_error)?;
        Ok(ScheduleTaskView::of(task, false))
    }

    /// Complete the task with `answers` (a flat object keyed by field refId).
    pub async fn complete(
        &self,
        state: &AppState,
        ctx: &WsCtx,
        id: i64,
        answers: &Map<String, Value>,
    ) -> ApiResult<ScheduleTaskView> {
        let acting = actor_of(state, ctx, &self.seat, id).await?;
        let task = enspace_engine::flow_run::complete(&state.db, ctx.workspace.id, id, answers, &acting)
            .await
            .map_err(run_error)?;
        Ok(ScheduleTaskView::of(task, false))
    }

    /// Remove the task; needs `tasks::scheduled::delete`.
    pub async fn remove(&self, state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<ScheduleTaskView> {
        let task = visible_task(state, ctx, &self.seat, id).await?;
        ctx.authorize(Action::use_feature(SCHEDULED_DELETE))?;
        let acting =
            Acting { author: ctx.author("api"), caller: self.seat.caller(ctx, &task.type_slug), overrides: true };
        let task =
            enspace_engine::flow_run::remove(&state.db, ctx.workspace.id, id, &acting).await.map_err(run_error)?;
        Ok(ScheduleTaskView::of(task, false))
    }
}

/// The task, if the caller may see it: 404 when it is not the workspace's, 403 when it is not
/// the caller's to see.
async fn visible_task(state: &AppState, ctx: &WsCtx, seat: &Seat, id: i64) -> ApiResult<ScheduleTaskRecord> {
    let task: ScheduleTaskRecord = enspace_store::record::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(SCHEDULE_TASK_NOT_FOUND))?;
    if !seat.sees(ctx, &task) {
        return Err(ApiError::forbidden(format!("Permission denied: {SCHEDULED_READ}")));
    }
    Ok(task)
}

#[utoipa::path(get, path = "/c-flow-item-tasks/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ScheduleTaskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_schedule_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    pairs: QueryPairs,
) -> ApiResult<Json<ScheduleTaskView>> {
    let tasks = Tasks::of(&state, &ctx, Listing::Visible).await?;
    Ok(Json(tasks.get(&state, &ctx, id, &pairs).await?))
}

fn run_error(e: RunError) -> ApiError {
    match e {
        RunError::NotFound => ApiError::not_found(SCHEDULE_TASK_NOT_FOUND),
        RunError::Forbidden(message) => ApiError::forbidden(format!("Permission denied: {message}")),
        RunError::Conflict(message) => ApiError::conflict(message),
        RunError::Invalid(details) => ApiError::validation(details),
        // The same answer as an item update's (routes::items).
        RunError::Duplicate(detail) => {
            ApiError { details: vec![detail], ..ApiError::conflict("A unique field's value is already used") }
        }
        RunError::Store(e) => e.into(),
    }
}

/// Decision 42's order: 404 and the 403 for what the caller may not see here; the command then
/// answers 403 when it may see but not act, before any state is told.
async fn actor_of<'a>(state: &AppState, ctx: &'a WsCtx, seat: &'a Seat, id: i64) -> ApiResult<Acting<'a>> {
    let task = visible_task(state, ctx, seat, id).await?;
    Ok(Acting {
        author: ctx.author("api"),
        caller: seat.caller(ctx, &task.type_slug),
        overrides: overrides(ctx, &task.type_slug),
    })
}

/// Take the task [wire; no body]: `working`, assigned to the caller.
#[utoipa::path(post, path = "/c-flow-item-tasks/{id}/assign", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ScheduleTaskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign_schedule_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<ScheduleTaskView>> {
    let tasks = Tasks::of(&state, &ctx, Listing::Visible).await?;
    Ok(Json(tasks.assign(&state, &ctx, id).await?))
}

/// Completion answers [wire]: a flat object keyed by field refId.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = Object)]
#[serde(transparent)]
pub struct Answers(pub Map<String, Value>);

impl Input for Answers {}

/// Complete the task [wire]: the answers are validated like item values and written to the item.
#[utoipa::path(put, path = "/c-flow-item-tasks/{id}/complete", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), request_body = Answers, security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ScheduleTaskView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn complete_schedule_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    body: Option<ApiJson<Answers>>,
) -> ApiResult<Json<ScheduleTaskView>> {
    let tasks = Tasks::of(&state, &ctx, Listing::Visible).await?;
    // No body means no answers (decision 36).
    let answers = body.map(|ApiJson(Answers(a))| a).unwrap_or_default();
    Ok(Json(tasks.complete(&state, &ctx, id, &answers).await?))
}

/// Remove the task (`removed`, `inactive`) [ours]; needs `tasks::scheduled::delete`.
#[utoipa::path(delete, path = "/c-flow-item-tasks/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ScheduleTaskView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_schedule_task(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<ScheduleTaskView>> {
    let tasks = Tasks::of(&state, &ctx, Listing::Visible).await?;
    Ok(Json(tasks.remove(&state, &ctx, id).await?))
}
