//! Member groups (the `access` settings area) at `/ws/member-groups`: people organised
//! together, and in v1 compatibility mode the permissions of their `standard` members.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{grants_from, MemberAccess, MemberType},
    members::may_confer,
    permissions::ROLE_NAME_MAX,
    time::format_ms,
    workspace::check_text,
    Detail,
};
use enspace_engine::members::GroupWrite;
use enspace_store::member_groups::{GroupRecord, LIST};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{
        id_of, known_ids,
        roles::{check_permissions, known, manager, refuse, Checked, PermissionInput},
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(count_groups))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(add_users))
        .routes(routes!(remove_users))
}

pub const GROUP_NOT_FOUND: &str = "Member group not found";
const DESCRIPTION_MAX: usize = 2000;

async fn group_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<GroupRecord> {
    enspace_store::member_groups::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(GROUP_NOT_FOUND))
}

/// Putting someone in a group gives them the group's permissions (v1 mode): nobody does that
/// with permissions they do not hold.
fn may_hand_out(manager: &MemberAccess, group: &GroupRecord) -> ApiResult<()> {
    let rows = group.permissions.iter().map(|p| {
        let fields = serde_json::from_value(p.fields.clone()).unwrap_or_default();
        (p.reference.clone(), fields)
    });
    let target = MemberAccess { member_type: MemberType::Standard, grants: Some(grants_from(rows)) };
    if may_confer(manager, &target) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Permission denied: this group grants permissions you do not hold, so you cannot change its members",
        ))
    }
}

/// Member ids as sent, each a member of this workspace.
async fn check_members(
    state: &AppState,
    ctx: &WsCtx,
    details: &mut Vec<Detail>,
    sent: &[Value],
) -> ApiResult<Vec<i64>> {
    let ids: Vec<i64> = sent.iter().filter_map(id_of).collect();
    let found = enspace_store::member_groups::member_ids_in(&state.db, ctx.workspace.id, &ids).await?;
    Ok(known_ids(details, "members", sent, &found, "member"))
}

#[utoipa::path(get, path = "/ws/member-groups", tag = "member-groups", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [GroupView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_groups(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<GroupView>>> {
    Ok(Json(list(&state, &ctx, &query).await?))
}

/// The groups as `GET /ws/member-groups` lists them (the console's groups page too).
pub async fn list(state: &AppState, ctx: &WsCtx, query: &QueryPairs) -> ApiResult<Vec<GroupView>> {
    manager(ctx)?;
    let query = query.list(state, &LIST, &[])?;
    let groups = enspace_store::member_groups::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(groups.into_iter().map(Into::into).collect())
}

#[utoipa::path(get, path = "/ws/member-groups/count", tag = "member-groups", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn count_groups(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    manager(&ctx)?;
    let query = query.list(&state, &LIST, &[])?;
    Ok(Json(enspace_store::member_groups::count(&state.db, ctx.workspace.id, &query).await?))
}

#[utoipa::path(get, path = "/ws/member-groups/{groupId}", tag = "member-groups", params(WorkspaceHeader, ("groupId" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = GroupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_group(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<GroupView>> {
    manager(&ctx)?;
    Ok(Json(group_of(&state, &ctx, id).await?.into()))
}

/// `{name*, description, members}` [wire]; `permissions` (the role permission shape) is ours:
/// the reference names no route that sets a group's v1 permissions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Member ids (create only; then Add Users / Remove Users).
    #[schema(value_type = Option<Vec<i64>>)]
    pub members: Option<Vec<Value>>,
    /// Replaces the group's permissions when given.
    pub permissions: Option<Vec<PermissionInput>>,
}

impl Input for GroupInput {}

async fn check_group(
    state: &AppState,
    ctx: &WsCtx,
    manager: &MemberAccess,
    details: &mut Vec<Detail>,
    input: &GroupInput,
    creating: bool,
) -> ApiResult<(Option<Vec<Checked>>, Vec<String>)> {
    if creating || input.name.is_some() {
        check_text(details, "name", input.name.as_deref(), true, ROLE_NAME_MAX);
    }
    check_text(details, "description", input.description.as_deref(), false, DESCRIPTION_MAX);
    let Some(permissions) = &input.permissions else { return Ok((None, Vec::new())) };
    let (types, forms) = known(state, ctx.workspace.id).await?;
    let (checked, refused) = check_permissions(details, "permissions", permissions, None, &types, &forms, manager);
    Ok((Some(checked), refused))
}

#[utoipa::path(post, path = "/ws/member-groups", tag = "member-groups", params(WorkspaceHeader), request_body = GroupInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = GroupView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    Ok((StatusCode::CREATED, Json(create(&state, &ctx, &input).await?)))
}

/// Creates a group as `POST /ws/member-groups` does (the console's too).
pub async fn create(state: &AppState, ctx: &WsCtx, input: &GroupInput) -> ApiResult<GroupView> {
    let manager = manager(ctx)?;
    let mut details = Vec::new();
    let (permissions, refused) = check_group(state, ctx, &manager, &mut details, input, true).await?;
    let members = check_members(state, ctx, &mut details, input.members.as_deref().unwrap_or_default()).await?;
    ApiError::check(details)?;
    refuse(refused)?;
    let write = GroupWrite {
        name: input.name.as_deref().unwrap_or_default().trim(),
        description: input.description.as_deref().unwrap_or_default(),
        permissions: permissions.as_deref(),
    };
    let id =
        enspace_engine::members::create_group(&state.db, ctx.workspace.id, write, &members, &ctx.author("api")).await?;
    Ok(group_of(state, ctx, id).await?.into())
}

/// `{name, description}` [wire], and `permissions` [ours] (replaced when given). Changing
/// the permissions of a group changes what its members hold, so it needs the manager to hold
/// what the group held before as well.
#[utoipa::path(put, path = "/ws/member-groups/{groupId}", tag = "member-groups", params(WorkspaceHeader, ("groupId" = i64, Path)), request_body = GroupInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = GroupView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_group(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<Json<GroupView>> {
    let manager = manager(&ctx)?;
    let group = group_of(&state, &ctx, id).await?;
    let mut details = Vec::new();
    if input.members.is_some() {
        details.push(Detail::new("members", "change them with add-users and remove-users"));
    }
    let (permissions, refused) = check_group(&state, &ctx, &manager, &mut details, &input, false).await?;
    ApiError::check(details)?;
    refuse(refused)?;
    if permissions.is_some() {
        may_hand_out(&manager, &group)?;
    }
    let write = GroupWrite {
        name: input.name.as_deref().map(str::trim).unwrap_or(&group.name),
        description: input.description.as_deref().unwrap_or(&group.description),
        permissions: permissions.as_deref(),
    };
    enspace_engine::members::update_group(&state.db, &group, write).await?;
    Ok(Json(group_of(&state, &ctx, id).await?.into()))
}

/// Deletes the group; its members stay members. Answers the group as it was.
#[utoipa::path(delete, path = "/ws/member-groups/{groupId}", tag = "member-groups", params(WorkspaceHeader, ("groupId" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = GroupView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_group(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<GroupView>> {
    let manager = manager(&ctx)?;
    let group = group_of(&state, &ctx, id).await?;
    may_hand_out(&manager, &group)?;
    enspace_engine::members::delete_group(&state.db, &group, &ctx.author("api")).await?;
    Ok(Json(group.into()))
}

/// `{members: [memberId]}` [wire].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMembersInput {
    #[schema(value_type = Vec<i64>)]
    pub members: Option<Vec<Value>>,
}

impl Input for GroupMembersInput {}

/// Adds (or removes) members of a group as `add-users` / `remove-users` do (the console's too).
pub async fn change_members(
    state: &AppState,
    ctx: &WsCtx,
    id: i64,
    input: GroupMembersInput,
    adding: bool,
) -> ApiResult<GroupView> {
    let manager = manager(ctx)?;
    let group = group_of(state, ctx, id).await?;
    let mut details = Vec::new();
    if input.members.is_none() {
        details.push(Detail::new("members", "is required"));
    }
    let members = check_members(state, ctx, &mut details, input.members.as_deref().unwrap_or_default()).await?;
    ApiError::check(details)?;
    may_hand_out(&manager, &group)?;
    enspace_engine::members::change_group_members(&state.db, &group, &members, adding, &ctx.author("api")).await?;
    Ok(group_of(state, ctx, id).await?.into())
}

/// Add Users: members already in the group are fine.
#[utoipa::path(post, path = "/ws/member-groups/{groupId}/add-users", tag = "member-groups", params(WorkspaceHeader, ("groupId" = i64, Path)),
    request_body = GroupMembersInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = GroupView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_users(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<GroupMembersInput>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(change_members(&state, &ctx, id, input, true).await?))
}

/// Remove Users: members not in the group are fine.
#[utoipa::path(post, path = "/ws/member-groups/{groupId}/remove-users", tag = "member-groups", params(WorkspaceHeader, ("groupId" = i64, Path)),
    request_body = GroupMembersInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = GroupView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_users(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<GroupMembersInput>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(change_members(&state, &ctx, id, input, false).await?))
}

/// A member group [wire shape]; `permissions` apply to its v1 compatibility members.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: Vec<i64>,
    pub permissions: Vec<GroupPermissionView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPermissionView {
    pub id: i64,
    pub reference: String,
    #[schema(value_type = Vec<String>)]
    pub fields: Value,
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
}

impl From<enspace_store::member_groups::GroupRecord> for GroupView {
    fn from(g: enspace_store::member_groups::GroupRecord) -> Self {
        GroupView {
            id: g.id,
            name: g.name,
            description: g.description,
            members: g.members,
            permissions: g
                .permissions
                .into_iter()
                .map(|p| GroupPermissionView { id: p.id, reference: p.reference, fields: p.fields, rules: p.rules })
                .collect(),
            created_at: format_ms(g.created_at),
            updated_at: format_ms(g.updated_at),
        }
    }
}
