//! Roles and their permissions (the `access` settings area).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{Action, MemberAccess, SettingsArea},
    permissions::{
        check_fields, check_reference, may_grant, Known, ROLE_DESCRIPTION_MAX, ROLE_NAME_MAX, ROLE_STATUSES,
    },
    time::format_ms,
    workspace::check_text,
    Detail,
};
use enspace_store::roles::{RoleRecord, RoleValues, LIST};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(count_roles))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(list_permissions, add_permission))
        .routes(routes!(remove_permission))
}

pub const ROLE_NOT_FOUND: &str = "Role not found";

/// The caller, after checking it manages access settings (members, roles, groups).
pub(crate) fn manager(ctx: &WsCtx) -> ApiResult<MemberAccess> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Access))
}

async fn role_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<RoleRecord> {
    enspace_store::roles::get(&state.db, ctx.workspace.id, id).await?.ok_or_else(|| ApiError::not_found(ROLE_NOT_FOUND))
}

#[utoipa::path(get, path = "/ws/roles", tag = "roles", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [RoleView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_roles(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<RoleView>>> {
    Ok(Json(list(&state, &ctx, &query).await?))
}

/// The roles as `GET /ws/roles` lists them (the console's roles page too).
pub async fn list(state: &AppState, ctx: &WsCtx, query: &QueryPairs) -> ApiResult<Vec<RoleView>> {
    manager(ctx)?;
    let query = query.list(state, &LIST, &[])?;
    let roles = enspace_store::roles::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(roles.into_iter().map(Into::into).collect())
}

#[utoipa::path(get, path = "/ws/roles/count", tag = "roles", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn count_roles(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    manager(&ctx)?;
    let query = query.list(&state, &LIST, &[])?;
    Ok(Json(enspace_store::roles::count(&state.db, ctx.workspace.id, &query).await?))
}

#[utoipa::path(get, path = "/ws/roles/{roleId}", tag = "roles", params(WorkspaceHeader, ("roleId" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = RoleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_role(State(state): State<AppState>, ctx: WsCtx, Path(Id(id)): Path<Id>) -> ApiResult<Json<RoleView>> {
    Ok(Json(get(&state, &ctx, id).await?))
}

/// One role, for a manager of access settings.
pub async fn get(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<RoleView> {
    manager(ctx)?;
    Ok(role_of(state, ctx, id).await?.into())
}

/// A permission body [wire]: `role` may be sent as a string or a number; on a role's route it
/// must name that role.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionInput {
    pub reference: Option<String>,
    #[schema(value_type = Option<Vec<String>>)]
    pub fields: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub rules: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub role: Option<Value>,
}

impl Input for PermissionInput {}

/// A checked permission: reference, fields, rules.
pub(crate) type Checked = (String, Value, Value);

/// What the workspace holds that references may name.
pub(crate) async fn known(state: &AppState, workspace_id: i64) -> ApiResult<(Vec<(String, Vec<String>)>, Vec<i64>)> {
    let types = enspace_store::types::all(&state.db, workspace_id).await?;
    let fields = enspace_store::fields::of_workspace(&state.db, workspace_id).await?;
    let types = types
        .into_iter()
        .map(|t| {
            let refs = fields.iter().filter(|f| f.type_id == t.id).map(|f| f.def.ref_id.clone()).collect();
            (t.slug, refs)
        })
        .collect();
    Ok((types, enspace_store::forms::ids_of_workspace(&state.db, workspace_id).await?))
}

/// Checks permissions against what exists and what the granter holds; every problem at once.
pub(crate) fn check_permissions(
    details: &mut Vec<Detail>,
    prefix: &str,
    inputs: &[PermissionInput],
    role_id: Option<i64>,
    types: &[(String, Vec<String>)],
    form_ids: &[i64],
    granter: &MemberAccess,
) -> (Vec<Checked>, Vec<String>) {
    let types: Vec<(&str, Vec<&str>)> =
        types.iter().map(|(s, r)| (s.as_str(), r.iter().map(String::as_str).collect())).collect();
    let known = Known { types: &types, form_ids };
    let (mut out, mut refused) = (Vec::new(), Vec::new());
    for (i, input) in inputs.iter().enumerate() {
        let at = |key: &str| if prefix.is_empty() { key.to_string() } else { format!("{prefix}[{i}].{key}") };
        let before = details.len();
        let reference = input.reference.as_deref().map(str::trim).unwrap_or_default();
        if input.reference.is_none() {
            details.push(Detail::new(at("reference"), "is required"));
        } else if let Err(message) = check_reference(reference, &known) {
            details.push(Detail::new(at("reference"), message));
        }
        let fields = check_fields(details, &at("fields"), reference, input.fields.as_ref(), &known);
        let rules = match &input.rules {
            None | Some(Value::Null) => Value::Array(Vec::new()),
            Some(rules @ Value::Array(_)) => rules.clone(),
            Some(_) => {
                details.push(Detail::new(at("rules"), "expected a list"));
                Value::Null
            }
        };
        let named = match &input.role {
            None | Some(Value::Null) => None,
            Some(value) => Some(crate::routes::id_of(value)),
        };
        if let Some(named) = named {
            if named.is_none() || (role_id.is_some() && named != role_id) {
                details.push(Detail::new(at("role"), "must be this role's id, or absent"));
            }
        }
        if details.len() == before {
            if !may_grant(granter, reference, &fields) {
                refused.push(reference.to_string());
            }
            out.push((reference.to_string(), Value::from(fields), rules));
        }
    }
    (out, refused)
}

pub(crate) fn refuse(refused: Vec<String>) -> ApiResult<()> {
    match refused.first() {
        None => Ok(()),
        Some(reference) => Err(ApiError::forbidden(format!(
            "Permission denied: {reference} cannot be granted by a member who does not hold it"
        ))),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// An iconify id.
    pub icon: Option<String>,
    /// `active` or `inactive` (update only; new roles are active).
    pub status: Option<String>,
    /// On create only: `[{reference*, fields, rules}]`.
    pub permissions: Option<Vec<PermissionInput>>,
}

impl Input for RoleInput {
    const READ_ONLY: &'static [&'static str] = &["permissions_count"];
}

fn check_role(details: &mut Vec<Detail>, input: &RoleInput, creating: bool) {
    if creating || input.name.is_some() {
        check_text(details, "name", input.name.as_deref(), true, ROLE_NAME_MAX);
    }
    check_text(details, "description", input.description.as_deref(), false, ROLE_DESCRIPTION_MAX);
    check_text(details, "icon", input.icon.as_deref(), false, 100);
    if let Some(status) = input.status.as_deref() {
        if !ROLE_STATUSES.contains(&status) {
            details.push(Detail::new("status", format!("expected active or inactive, got {status:?}")));
        }
    }
}

/// Creates a role with its permissions (`settings::access::manage`); nobody can put into it
/// a permission they do not hold.
#[utoipa::path(post, path = "/ws/roles", tag = "roles", params(WorkspaceHeader), request_body = RoleInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = RoleView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_role(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<RoleInput>,
) -> ApiResult<(StatusCode, Json<RoleView>)> {
    Ok((StatusCode::CREATED, Json(create(&state, &ctx, &input).await?)))
}

/// Creates a role as `POST /ws/roles` does (the console's too).
pub async fn create(state: &AppState, ctx: &WsCtx, input: &RoleInput) -> ApiResult<RoleView> {
    let granter = manager(ctx)?;
    let mut details = Vec::new();
    check_role(&mut details, input, true);
    if input.status.is_some() {
        details.push(Detail::new("status", "new roles are active; change it with an update"));
    }
    let (types, forms) = known(state, ctx.workspace.id).await?;
    let (permissions, refused) = check_permissions(
        &mut details,
        "permissions",
        input.permissions.as_deref().unwrap_or_default(),
        None,
        &types,
        &forms,
        &granter,
    );
    ApiError::check(details)?;
    refuse(refused)?;
    let values = RoleValues {
        name: input.name.as_deref().unwrap_or_default().trim(),
        description: input.description.as_deref().unwrap_or_default(),
        icon: input.icon.as_deref(),
        status: "active",
    };
    let role = enspace_engine::members::create_role(&state.db, ctx.workspace.id, values, permissions).await?;
    Ok(role_of(state, ctx, role.id).await?.into())
}

/// Updates `{name, description, icon, status}` [wire route]; permissions have their own routes.
#[utoipa::path(put, path = "/ws/roles/{roleId}", tag = "roles", params(WorkspaceHeader, ("roleId" = i64, Path)), request_body = RoleInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = RoleView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_role(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<RoleInput>,
) -> ApiResult<Json<RoleView>> {
    manager(&ctx)?;
    let role = role_of(&state, &ctx, id).await?;
    let mut details = Vec::new();
    check_role(&mut details, &input, false);
    if input.permissions.is_some() {
        details.push(Detail::new("permissions", "change them with /ws/roles/{roleId}/permissions"));
    }
    ApiError::check(details)?;
    let values = RoleValues {
        name: input.name.as_deref().map(str::trim).unwrap_or(&role.name),
        description: input.description.as_deref().unwrap_or(&role.description),
        icon: input.icon.as_deref().or(role.icon.as_deref()),
        status: input.status.as_deref().unwrap_or(&role.status),
    };
    let updated = enspace_engine::members::update_role(&state.db, &role, values).await?;
    Ok(Json(updated.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteRoleParams {
    /// Move the role's members to this role of the workspace.
    pub reassign_to: Option<i64>,
}

/// Deletes a role: 409 while members hold it, unless `?reassign_to=<roleId>` moves them to
/// another role of the workspace. Answers the role as it was.
#[utoipa::path(delete, path = "/ws/roles/{roleId}", tag = "roles", params(WorkspaceHeader, ("roleId" = i64, Path), DeleteRoleParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = RoleView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_role(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    query: QueryPairs,
) -> ApiResult<Json<RoleView>> {
    manager(&ctx)?;
    let role = role_of(&state, &ctx, id).await?;
    let reassign_to = match query.get("reassign_to") {
        None => None,
        Some(text) => {
            let target = text.trim().parse::<i64>().ok().filter(|t| *t != role.id);
            let exists = match target {
                Some(t) => enspace_store::roles::get(&state.db, ctx.workspace.id, t).await?.is_some(),
                None => false,
            };
            if !exists {
                return Err(ApiError::validation(vec![Detail::new(
                    "reassign_to",
                    format!("expected the id of another role of this workspace, got {text:?}"),
                )]));
            }
            target
        }
    };
    let holders = enspace_store::roles::holders(&state.db, ctx.workspace.id, role.id).await?;
    if holders > 0 && reassign_to.is_none() {
        return Err(ApiError::conflict(format!(
            "{holders} member(s) hold this role; reassign them with ?reassign_to=<roleId> or change their role first"
        )));
    }
    enspace_engine::members::delete_role(&state.db, &role, reassign_to).await?;
    Ok(Json(role.into()))
}

#[utoipa::path(get, path = "/ws/roles/{roleId}/permissions", tag = "roles", params(WorkspaceHeader, ("roleId" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [PermissionView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_permissions(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<Vec<PermissionView>>> {
    Ok(Json(permissions(&state, &ctx, id).await?))
}

/// A role's permissions (the console's permission matrix reads them too).
pub async fn permissions(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<Vec<PermissionView>> {
    manager(ctx)?;
    let role = role_of(state, ctx, id).await?;
    let permissions = enspace_store::roles::permissions(&state.db, ctx.workspace.id, role.id).await?;
    Ok(permissions.into_iter().map(Into::into).collect())
}

/// Adds one permission `{reference*, fields, rules}` [wire]; an existing `reference` has its
/// `fields` and `rules` replaced. A reference naming something absent is a 400; one the caller
/// does not hold, a 403.
#[utoipa::path(post, path = "/ws/roles/{roleId}/permissions", tag = "roles", params(WorkspaceHeader, ("roleId" = i64, Path)),
    request_body = PermissionInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = PermissionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_permission(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<PermissionInput>,
) -> ApiResult<(StatusCode, Json<PermissionView>)> {
    Ok((StatusCode::CREATED, Json(add(&state, &ctx, id, &input).await?)))
}

/// Adds (or replaces) one permission of a role as `POST /ws/roles/{roleId}/permissions` does.
pub async fn add(state: &AppState, ctx: &WsCtx, id: i64, input: &PermissionInput) -> ApiResult<PermissionView> {
    let granter = manager(ctx)?;
    let role = role_of(state, ctx, id).await?;
    let (types, forms) = known(state, ctx.workspace.id).await?;
    let mut details = Vec::new();
    let (mut checked, refused) =
        check_permissions(&mut details, "", std::slice::from_ref(input), Some(role.id), &types, &forms, &granter);
    ApiError::check(details)?;
    refuse(refused)?;
    let permission = enspace_engine::members::put_permission(&state.db, &role, checked.remove(0)).await?;
    Ok(permission.into())
}

#[utoipa::path(delete, path = "/ws/roles/{roleId}/permissions/{permissionId}", tag = "roles",
    params(WorkspaceHeader, ("roleId" = i64, Path), ("permissionId" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = PermissionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_permission(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((id, permission_id)): Path<(Id, Id)>,
) -> ApiResult<Json<PermissionView>> {
    let (Id(id), Id(permission_id)) = (id, permission_id);
    Ok(Json(remove(&state, &ctx, id, permission_id).await?))
}

/// Removes one permission of a role as `DELETE /ws/roles/{roleId}/permissions/{id}` does.
pub async fn remove(state: &AppState, ctx: &WsCtx, id: i64, permission_id: i64) -> ApiResult<PermissionView> {
    manager(ctx)?;
    let role = role_of(state, ctx, id).await?;
    let removed = enspace_engine::members::remove_permission(&state.db, &role, permission_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Permission not found"))?;
    Ok(removed.into())
}

/// A role [wire shape].
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub icon: Option<String>,
    /// `active` or `inactive`.
    pub status: String,
    pub permissions_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::roles::RoleRecord> for RoleView {
    fn from(r: enspace_store::roles::RoleRecord) -> Self {
        RoleView {
            id: r.id,
            name: r.name,
            description: r.description,
            icon: r.icon,
            status: r.status,
            permissions_count: r.permissions_count,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}

/// A role permission [wire shape]: `role` is a string, as the product's screens send it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    pub id: i64,
    /// `<area>::<target>::<action>`.
    pub reference: String,
    /// Field paths for `types::<slug>::read|update` (`["*"]`: every field, also later ones).
    #[schema(value_type = Vec<String>)]
    pub fields: Value,
    /// Kept and returned as given.
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
    pub role: String,
}

impl From<enspace_store::roles::PermissionRecord> for PermissionView {
    fn from(p: enspace_store::roles::PermissionRecord) -> Self {
        PermissionView {
            id: p.id,
            reference: p.reference,
            fields: p.fields,
            rules: p.rules,
            role: p.role_id.to_string(),
        }
    }
}
