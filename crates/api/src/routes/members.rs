//! Members (the `access` settings area): list, count, get, invite, update, remove.
//!
//! Nobody gives a member more than they hold, nor changes or removes a member who holds more
//! than they do (`domain::members::may_confer`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{MemberAccess, MemberStatus, MemberType},
    members::{check_type_change, invitable_type, may_confer},
    time::format_ms,
    user::check_email,
    workspace::check_text,
    Detail,
};
use enspace_engine::members::{Invitation, InviteError};
use enspace_store::members::{MemberDetail, MemberValues, LIST};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::user::UserView,
    routes::{id_of, known_ids, roles::manager},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_members, invite_member)).routes(routes!(count_members)).routes(routes!(
        get_member,
        update_member,
        remove_member
    ))
}

pub const MEMBER_NOT_FOUND: &str = "Member not found";
const NAME_MAX: usize = 100;

async fn member_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<MemberDetail> {
    enspace_store::members::detail(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(MEMBER_NOT_FOUND))
}

fn beyond_you() -> ApiError {
    ApiError::forbidden("Permission denied: a member cannot be given, or be changed by someone with, fewer rights")
}

/// 403 unless `manager` holds everything the member with `values` (and `groups`) would hold.
async fn confer(
    state: &AppState,
    ctx: &WsCtx,
    manager: &MemberAccess,
    values: &MemberValues,
    groups: &[i64],
) -> ApiResult<()> {
    let target = enspace_engine::members::access_as(&state.db, ctx.workspace.id, values, groups).await?;
    if may_confer(manager, &target) {
        Ok(())
    } else {
        Err(beyond_you())
    }
}

/// `role` as sent: absent, `null`, or a role of this workspace (as a number or a string).
async fn check_role(
    state: &AppState,
    ctx: &WsCtx,
    details: &mut Vec<Detail>,
    role: Option<&Value>,
) -> ApiResult<Option<Option<i64>>> {
    let Some(value) = role else { return Ok(None) };
    if value.is_null() {
        return Ok(Some(None));
    }
    let found = match id_of(value) {
        Some(id) => enspace_store::roles::get(&state.db, ctx.workspace.id, id).await?,
        None => None,
    };
    match found {
        Some(role) => Ok(Some(Some(role.id))),
        None => {
            details.push(Detail::new("role", format!("no role {value} in this workspace")));
            Ok(None)
        }
    }
}

/// Group ids as sent, each one of this workspace's groups.
async fn check_groups(
    state: &AppState,
    ctx: &WsCtx,
    details: &mut Vec<Detail>,
    path: &str,
    groups: &[Value],
) -> ApiResult<Vec<i64>> {
    let existing = enspace_store::member_groups::ids(&state.db, ctx.workspace.id).await?;
    Ok(known_ids(details, path, groups, &existing, "group"))
}

/// Filters: `type`, `status`, `role`, `email_contains` (and the other text operators on
/// `email`), `created_at`, `updated_at`; `_q` over email and names.
#[utoipa::path(get, path = "/ws/members", tag = "members", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [MemberView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<MemberView>>> {
    Ok(Json(list(&state, &ctx, &query).await?))
}

/// The members as `GET /ws/members` lists them (the console's members page too).
pub async fn list(state: &AppState, ctx: &WsCtx, query: &QueryPairs) -> ApiResult<Vec<MemberView>> {
    manager(ctx)?;
    let query = query.list(state, &LIST, &[])?;
    let members = enspace_store::members::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(members.into_iter().map(Into::into).collect())
}

#[utoipa::path(get, path = "/ws/members/count", tag = "members", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn count_members(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    manager(&ctx)?;
    let query = query.list(&state, &LIST, &[])?;
    Ok(Json(enspace_store::members::count(&state.db, ctx.workspace.id, &query).await?))
}

#[utoipa::path(get, path = "/ws/members/{memberId}", tag = "members", params(WorkspaceHeader, ("memberId" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = MemberView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<MemberView>> {
    manager(&ctx)?;
    Ok(Json(member_of(&state, &ctx, id).await?.into()))
}

/// An invitation [wire]: `mgroups` is the deprecated name of `groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    pub email: Option<String>,
    /// `full`, `standard` or `viewer` (v1: `full` or `standard`).
    #[serde(rename = "type")]
    pub member_type: Option<String>,
    /// A role id, as a number or a string.
    #[schema(value_type = Option<i64>)]
    pub role: Option<Value>,
    #[schema(value_type = Option<Vec<i64>>)]
    pub groups: Option<Vec<Value>>,
    /// Deprecated alias of `groups`.
    #[schema(value_type = Option<Vec<i64>>)]
    pub mgroups: Option<Vec<Value>>,
    pub fname: Option<String>,
    pub lname: Option<String>,
    #[serde(default)]
    pub v1_compatibility: bool,
}

impl Input for InviteInput {}

/// Invites someone by email: creates the user if the email is new (it accepts the invitation
/// to set its password) and the member; 409 if already a member. The acceptance link is
/// emailed through the workspace's active SendGrid integration, or else answered as
/// `invitation_url`.
#[utoipa::path(post, path = "/ws/members", tag = "members", params(WorkspaceHeader), request_body = InviteInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = InvitedMemberView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn invite_member(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<InviteInput>,
) -> ApiResult<(StatusCode, Json<InvitedMemberView>)> {
    Ok((StatusCode::CREATED, Json(invite(&state, &ctx, &input).await?)))
}

/// Invites as `POST /ws/members` does (the console's invite form too).
pub async fn invite(state: &AppState, ctx: &WsCtx, input: &InviteInput) -> ApiResult<InvitedMemberView> {
    let manager = manager(ctx)?;
    let mut details = Vec::new();
    let email = input.email.as_deref().map(str::trim).unwrap_or_default();
    if input.email.is_none() {
        details.push(Detail::new("email", "is required"));
    } else if let Err(message) = check_email(email) {
        details.push(Detail::new("email", message));
    }
    let member_type = match input.member_type.as_deref() {
        None => {
            details.push(Detail::new("type", "is required"));
            None
        }
        Some(text) => invitable_type(text, input.v1_compatibility)
            .map_err(|message| details.push(Detail::new("type", message)))
            .ok(),
    };
    check_text(&mut details, "fname", input.fname.as_deref(), false, NAME_MAX);
    check_text(&mut details, "lname", input.lname.as_deref(), false, NAME_MAX);
    let role = check_role(state, ctx, &mut details, input.role.as_ref()).await?.flatten();
    let groups = match (&input.groups, &input.mgroups) {
        (Some(_), Some(_)) => {
            details.push(Detail::new("mgroups", "is the old name of groups: send one of them"));
            Vec::new()
        }
        (Some(list), None) => check_groups(state, ctx, &mut details, "groups", list).await?,
        (None, Some(list)) => check_groups(state, ctx, &mut details, "mgroups", list).await?,
        (None, None) => Vec::new(),
    };
    ApiError::check(details)?;
    let member_type = member_type.expect("checked above");
    // v1: `full` ignores its role, `standard` is limited by its groups instead [wire].
    let role_id = if input.v1_compatibility { None } else { role };
    let values =
        MemberValues { member_type, status: MemberStatus::Active, role_id, v1_compatibility: input.v1_compatibility };
    confer(state, ctx, &manager, &values, &groups).await?;

    let inviter = ctx.principal.user.fname.clone().unwrap_or_else(|| ctx.principal.user.email.clone());
    let invitation = Invitation {
        email,
        fname: input.fname.as_deref(),
        lname: input.lname.as_deref(),
        values,
        groups: &groups,
        inviter: &inviter,
        public_url: &state.config.public_url,
    };
    let invited = match enspace_engine::members::invite(
        &state.db,
        &state.keyring,
        &ctx.workspace,
        invitation,
        &ctx.author("api"),
    )
    .await
    {
        Err(InviteError::AlreadyMember) => return Err(ApiError::conflict("Already a member of this workspace")),
        Err(InviteError::Store(e)) => return Err(e.into()),
        Ok(invited) => invited,
    };
    state.jobs.wake();
    let (member, invitation_url) = (member_of(state, ctx, invited.member_id).await?, invited.invitation_url);
    Ok(InvitedMemberView { member: member.into(), invitation_url })
}

/// `{type, role, status}` [wire]. `user`, `email`, `groups` and the rest are not writable here.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberUpdate {
    #[serde(rename = "type")]
    pub member_type: Option<String>,
    /// A role id (number or string), or `null` to remove the role.
    #[serde(default, deserialize_with = "crate::routes::present")]
    #[schema(value_type = Option<i64>)]
    pub role: Option<Option<Value>>,
    pub status: Option<String>,
}

impl Input for MemberUpdate {}

#[utoipa::path(put, path = "/ws/members/{memberId}", tag = "members", params(WorkspaceHeader, ("memberId" = i64, Path)), request_body = MemberUpdate,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = MemberView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_member(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<MemberUpdate>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(update(&state, &ctx, id, &input).await?))
}

/// Changes a member as `PUT /ws/members/{memberId}` does (the console's member form too).
pub async fn update(state: &AppState, ctx: &WsCtx, id: i64, input: &MemberUpdate) -> ApiResult<MemberView> {
    let manager = manager(ctx)?;
    let target = member_of(state, ctx, id).await?;
    let current = target.values();
    let mut next = current;
    let mut details = Vec::new();
    let is_owner = current.member_type == MemberType::Owner;
    if let Some(text) = input.member_type.as_deref() {
        match MemberType::parse(text) {
            None => details.push(Detail::new("type", format!("expected full, standard or viewer, got {text:?}"))),
            Some(to) => match check_type_change(current.member_type, to, current.v1_compatibility) {
                Ok(()) => next.member_type = to,
                Err(message) => details.push(Detail::new("type", message)),
            },
        }
    }
    if let Some(text) = input.status.as_deref() {
        match MemberStatus::parse(text) {
            None => details.push(Detail::new("status", format!("expected active, inactive or blocked, got {text:?}"))),
            Some(status) if is_owner && status != current.status => {
                details.push(Detail::new("status", "the owner's status cannot change"))
            }
            Some(status) => next.status = status,
        }
    }
    let sent_role = input.role.as_ref().map(|r| r.as_ref().unwrap_or(&Value::Null));
    if let Some(role) = check_role(state, ctx, &mut details, sent_role).await? {
        if is_owner && role.is_some() {
            details.push(Detail::new("role", "the owner has no role: no role can reduce it"));
        } else if current.v1_compatibility && role.is_some() {
            details.push(Detail::new("role", "a v1 compatibility member has its groups' permissions, not a role"));
        } else {
            next.role_id = role;
        }
    }
    ApiError::check(details)?;
    let groups = target.groups.clone();
    confer(state, ctx, &manager, &current, &groups).await?;
    confer(state, ctx, &manager, &next, &groups).await?;
    enspace_engine::members::update(&state.db, &target, &next, &ctx.author("api")).await?;
    Ok(member_of(state, ctx, id).await?.into())
}

/// Removes a member (what it created stays); the owner cannot be removed. Answers the member
/// as it was.
#[utoipa::path(delete, path = "/ws/members/{memberId}", tag = "members", params(WorkspaceHeader, ("memberId" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = MemberView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<MemberView>> {
    Ok(Json(remove(&state, &ctx, id).await?))
}

/// Removes a member as `DELETE /ws/members/{memberId}` does (the console's too).
pub async fn remove(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<MemberView> {
    let manager = manager(ctx)?;
    let target = member_of(state, ctx, id).await?;
    if target.member.member_type == MemberType::Owner.as_str() {
        return Err(ApiError::bad_request("The owner cannot be removed from the workspace"));
    }
    confer(state, ctx, &manager, &target.values(), &target.groups).await?;
    enspace_engine::members::remove(&state.db, &target, &ctx.author("api")).await?;
    Ok(target.into())
}

/// A member [wire shape, exactly: `v1_compatibility` shows only in what the member may do].
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub user: UserView,
    pub email: String,
    /// `owner`, `full`, `standard` or `viewer`.
    #[serde(rename = "type")]
    pub member_type: String,
    pub role: Option<i64>,
    pub groups: Vec<i64>,
    /// `active`, `inactive` or `blocked`.
    pub status: String,
}

impl From<enspace_store::members::MemberDetail> for MemberView {
    fn from(d: enspace_store::members::MemberDetail) -> Self {
        MemberView {
            id: d.member.id,
            created_at: format_ms(d.member.created_at),
            updated_at: format_ms(d.member.updated_at),
            email: d.user.email.clone(),
            user: (&d.user).into(),
            member_type: d.member.member_type,
            role: d.member.role_id,
            groups: d.groups,
            status: d.member.status,
        }
    }
}

/// A new member; `invitation_url` when the user must still accept (set a password) and no
/// email integration sent it [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedMemberView {
    #[serde(flatten)]
    pub member: MemberView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_url: Option<String>,
}
