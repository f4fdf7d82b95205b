//! The workspace of the request (`en-workspace`): context, update, leave, statistics,
//! deletion preview, deletion.

use std::collections::BTreeMap;

use axum::{extract::State, Json};
use enspace_domain::{
    access::{self, Action, MemberType, SettingsArea},
    time::now_ms,
    workspace::{self, check_text},
    Detail,
};
use enspace_store::workspaces::WorkspacePatch;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, QueryPairs, WsCtx},
    openapi::WorkspaceHeader,
    routes::workspaces::WorkspaceView,
    routes::workspaces::{check_settings, pick_reference},
    routes::{api_keys::KeyScopeView, user::UserView},
    views::ActionResult,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(context, update_workspace, delete_workspace))
        .routes(routes!(leave))
        .routes(routes!(stats))
        .routes(routes!(deletion_preview))
}

/// The workspace, the caller, its membership and permissions, and the key in use.
#[utoipa::path(get, path = "/ws", tag = "workspaces", params(WorkspaceHeader), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ContextView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn context(State(state): State<AppState>, ctx: WsCtx) -> ApiResult<Json<ContextView>> {
    let groups = enspace_store::members::group_ids(&state.db, ctx.workspace.id, ctx.member.id).await?;
    let access = ctx.access.clone();
    let permissions = access::effective(&access, &ctx.principal.scopes())
        .into_iter()
        .map(|e| PermissionSummary {
            resource: e.resource,
            resource_id: e.resource_id,
            action: e.action,
            fields: e.fields,
        })
        .collect();
    Ok(Json(ContextView {
        user: (&ctx.principal.user).into(),
        member: MemberSummary {
            id: ctx.member.id,
            member_type: ctx.member.member_type.clone(),
            status: ctx.member.status.clone(),
            role: ctx.member.role_id,
            groups,
        },
        permissions,
        key: ctx.principal.key().map(|key| ContextKeyView { reference: key.reference.clone(), scope: key.into() }),
        workspace: ctx.workspace.into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::present")]
    #[schema(value_type = Option<String>)]
    pub icon: Option<Option<String>>,
    pub language: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub modules: Option<Map<String, Value>>,
    /// Immutable: accepted only when equal to the current reference (a body sent back as read).
    pub reference: Option<String>,
    /// Alias of `reference`.
    pub slug: Option<String>,
}

impl Input for WorkspaceUpdate {
    const READ_ONLY: &'static [&'static str] = &["status", "members_count"];
}

/// Updates name, description, icon, language, settings (and modules). Owner, or `full` with
/// `settings::system::manage`.
#[utoipa::path(put, path = "/ws", tag = "workspaces", params(WorkspaceHeader), request_body = WorkspaceUpdate,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = WorkspaceView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_workspace(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<WorkspaceUpdate>,
) -> ApiResult<Json<WorkspaceView>> {
    ctx.authorize(Action::ManageSettings(SettingsArea::System))?;
    let mut details = Vec::new();
    if input.name.is_some() {
        check_text(&mut details, "name", input.name.as_deref(), true, workspace::NAME_MAX);
    }
    if let Some(reference) = pick_reference(&mut details, input.reference, input.slug) {
        if reference != ctx.workspace.reference {
            details.push(Detail::new("reference", "is immutable"));
        }
    }
    check_settings(&mut details, input.description.as_deref(), input.language.as_deref(), &input.modules);
    ApiError::check(details)?;
    let patch = WorkspacePatch {
        name: input.name.map(|n| n.trim().to_string()),
        description: input.description,
        icon: input.icon,
        language: input.language,
        modules: input.modules,
        settings: input.settings,
    };
    let updated = enspace_engine::workspaces::update(&state.db, ctx.workspace.id, patch).await?;
    Ok(Json(updated.into()))
}

/// The caller stops being a member. What it created stays. The owner cannot leave.
#[utoipa::path(post, path = "/ws/leave", tag = "workspaces", params(WorkspaceHeader), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody)))]
pub async fn leave(State(state): State<AppState>, ctx: WsCtx) -> ApiResult<Json<ActionResult>> {
    if ctx.member_type() == MemberType::Owner {
        return Err(ApiError::bad_request("The owner cannot leave the workspace"));
    }
    let me = enspace_store::members::detail(&state.db, ctx.workspace.id, ctx.member.id)
        .await?
        .ok_or_else(|| ApiError::forbidden(crate::extract::workspace::NOT_MEMBER))?;
    enspace_engine::members::remove(&state.db, &me, &ctx.author("api")).await?;
    Ok(Json(ActionResult::ok("You have successfully exited the workspace")))
}

/// Counts that are cheap at any size.
#[utoipa::path(get, path = "/ws/stats", tag = "workspaces", params(WorkspaceHeader), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StatsView), (status = 403, body = ErrorBody)))]
pub async fn stats(State(state): State<AppState>, ctx: WsCtx) -> ApiResult<Json<StatsView>> {
    ctx.authorize(Action::ReadWorkspace)?;
    let s = enspace_store::workspaces::stats(&state.db, ctx.workspace.id, now_ms()).await?;
    Ok(Json(StatsView {
        members: MemberStats {
            total: s.members_by_type.values().sum(),
            by_type: s.members_by_type,
            by_status: s.members_by_status,
        },
        types: s.types,
        fields: s.fields,
        items: s.items,
        items_by_type: s.items_by_type,
        roles: s.roles,
        groups: s.groups,
        integrations: s.integrations,
        flows: s.flows,
        tasks: TaskStats { open: s.tasks_open, overdue: s.tasks_overdue },
        storage_bytes: s.storage_bytes,
    }))
}

/// Exactly what `DELETE /ws` would remove, per kind. Owner only.
#[utoipa::path(get, path = "/ws/deletion-preview", tag = "workspaces", params(WorkspaceHeader), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = DeletionPreviewView), (status = 403, body = ErrorBody)))]
pub async fn deletion_preview(State(state): State<AppState>, ctx: WsCtx) -> ApiResult<Json<DeletionPreviewView>> {
    ctx.authorize(Action::DeleteWorkspace)?;
    let counts = enspace_store::workspaces::deletion_preview(&state.db, ctx.workspace.id).await?;
    Ok(Json(DeletionPreviewView { counts, requires_confirmation: ctx.workspace.reference }))
}

/// Deletes the workspace and everything in it. Owner only, with `?confirm=<reference>`. Keys
/// that listed it lose it from their scope. Gone for every request at once; its rows are
/// removed in the background (`engine::purge`).
#[utoipa::path(delete, path = "/ws", tag = "workspaces", params(WorkspaceHeader, ("confirm" = String, Query, description = "The workspace's reference")),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete_workspace(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<ActionResult>> {
    ctx.authorize(Action::DeleteWorkspace)?;
    if query.get("confirm") != Some(ctx.workspace.reference.as_str()) {
        return Err(ApiError::bad_request("Confirm deletion with ?confirm=<reference>"));
    }
    let removed = enspace_engine::purge::delete_workspace(&state.db, ctx.workspace.id).await?;
    state.jobs.wake();
    tracing::info!(workspace = %ctx.workspace.reference, ?removed, "workspace deleted");
    Ok(Json(ActionResult::ok("Workspace deleted")))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberSummary {
    pub id: i64,
    #[serde(rename = "type")]
    pub member_type: String,
    pub status: String,
    pub role: Option<i64>,
    pub groups: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionSummary {
    pub resource: String,
    pub resource_id: String,
    pub action: String,
    /// The fields a type's `read` or `update` covers (`["*"]`: all) [ours].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContextKeyView {
    pub reference: String,
    pub scope: KeyScopeView,
}

/// Everything a client needs to draw its screens for this caller (`GET /ws`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContextView {
    pub workspace: WorkspaceView,
    pub user: UserView,
    pub member: MemberSummary,
    /// `*` in every position means unrestricted (owners, and `full` members without a role).
    pub permissions: Vec<PermissionSummary>,
    pub key: Option<ContextKeyView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStats {
    pub total: i64,
    pub by_type: BTreeMap<String, i64>,
    pub by_status: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskStats {
    pub open: i64,
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    pub members: MemberStats,
    pub types: i64,
    pub fields: i64,
    pub items: i64,
    pub items_by_type: BTreeMap<String, i64>,
    pub roles: i64,
    pub groups: i64,
    pub integrations: i64,
    pub flows: i64,
    pub tasks: TaskStats,
    /// Bytes of uploaded files.
    pub storage_bytes: i64,
}

/// What `DELETE /ws` would remove, per kind, plus the reference to confirm with.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletionPreviewView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub counts: BTreeMap<&'static str, i64>,
    pub requires_confirmation: String,
}
