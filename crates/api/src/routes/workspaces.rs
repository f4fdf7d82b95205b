//! `GET /workspaces`, `GET /workspaces/count`, `POST /workspaces`: outside any workspace.

use axum::{extract::State, http::StatusCode, Json};
use enspace_domain::{
    time::format_ms,
    workspace::{self, check_language, check_reference, check_text, DEFAULT_LANGUAGE},
    Detail,
};
use enspace_store::{
    workspaces::WorkspaceRecord,
    workspaces::{NewWorkspace, LIST},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Authed, QueryPairs},
    openapi::ListParams,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_workspaces, create_workspace)).routes(routes!(count_workspaces))
}

fn key_filter(principal: &crate::extract::Principal) -> Option<i64> {
    principal.listing_key()
}

/// The workspaces the caller is an active member of, narrowed to those its key lists.
/// Filters: `id`, `reference`, `name`, `description`, `status`, `language`, `created_at`,
/// `updated_at`; `_q` searches name and reference.
#[utoipa::path(get, path = "/workspaces", tag = "workspaces", params(ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [WorkspaceView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list_workspaces(
    State(state): State<AppState>,
    Authed(principal): Authed,
    query: QueryPairs,
) -> ApiResult<Json<Vec<WorkspaceView>>> {
    let query = query.list(&state, &LIST, &[])?;
    let rows = enspace_store::workspaces::list(&state.db, principal.user.id, key_filter(&principal), &query).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// How many workspaces the list would return with the same filters.
#[utoipa::path(get, path = "/workspaces/count", tag = "workspaces", params(ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_workspaces(
    State(state): State<AppState>,
    Authed(principal): Authed,
    query: QueryPairs,
) -> ApiResult<Json<i64>> {
    let query = query.list(&state, &LIST, &[])?;
    Ok(Json(enspace_store::workspaces::count(&state.db, principal.user.id, key_filter(&principal), &query).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceInput {
    pub name: Option<String>,
    /// 2–64 characters of `a-z`, `0-9`, `-`, starting with a letter; derived from `name` when absent.
    pub reference: Option<String>,
    /// Alias of `reference`.
    pub slug: Option<String>,
    pub description: Option<String>,
    /// An iconify id.
    pub icon: Option<String>,
    /// `pt` (default), `en` or `es`.
    pub language: Option<String>,
    /// Optional feature keys to booleans.
    #[schema(value_type = Option<Object>)]
    pub modules: Option<Map<String, Value>>,
    /// Free-form settings for clients.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Map<String, Value>>,
}

impl Input for WorkspaceInput {
    const READ_ONLY: &'static [&'static str] = &["status", "members_count"];
}

/// The checks create and update share: description, language, and `modules` (keys to booleans).
pub(crate) fn check_settings(
    details: &mut Vec<Detail>,
    description: Option<&str>,
    language: Option<&str>,
    modules: &Option<Map<String, Value>>,
) {
    check_text(details, "description", description, false, workspace::DESCRIPTION_MAX);
    if let Some(Err(message)) = language.map(check_language) {
        details.push(Detail::new("language", message));
    }
    for (key, value) in modules.iter().flatten() {
        if !value.is_boolean() {
            details.push(Detail::new(format!("modules.{key}"), format!("expected true or false, got {value}")));
        }
    }
}

/// `reference` with `slug` as its alias; both with different values is an error.
pub(crate) fn pick_reference(
    details: &mut Vec<Detail>,
    reference: Option<String>,
    slug: Option<String>,
) -> Option<String> {
    match (reference, slug) {
        (Some(r), Some(s)) if r != s => {
            details.push(Detail::new("slug", "is an alias of reference and differs from it"));
            Some(r)
        }
        (r, s) => r.or(s),
    }
}

/// Creates a workspace; the caller becomes its owner.
#[utoipa::path(post, path = "/workspaces", tag = "workspaces", request_body = WorkspaceInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = WorkspaceView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_workspace(
    State(state): State<AppState>,
    Authed(principal): Authed,
    ApiJson(input): ApiJson<WorkspaceInput>,
) -> ApiResult<(StatusCode, Json<WorkspaceView>)> {
    let mut details = Vec::new();
    check_text(&mut details, "name", input.name.as_deref(), true, workspace::NAME_MAX);
    let reference = pick_reference(&mut details, input.reference, input.slug);
    if let Some(Err(message)) = reference.as_deref().map(check_reference) {
        details.push(Detail::new("reference", message));
    }
    check_settings(&mut details, input.description.as_deref(), input.language.as_deref(), &input.modules);
    ApiError::check(details)?;
    let new = NewWorkspace {
        name: input.name.unwrap_or_default().trim().to_string(),
        reference,
        description: input.description.unwrap_or_default(),
        icon: input.icon,
        language: input.language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_string()),
        modules: input.modules.unwrap_or_default(),
        settings: input.settings.unwrap_or_default(),
    };
    let created =
        enspace_engine::workspaces::create(&state.db, &new, principal.user.id).await.map_err(|e| match e {
            enspace_store::StoreError::Conflict(_) => ApiError::conflict(format!(
                "The reference {:?} is already taken",
                new.reference.as_deref().unwrap_or_default()
            )),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceView {
    pub id: i64,
    pub name: String,
    /// The workspace's slug: what `en-workspace` and key scopes name.
    pub reference: String,
    pub status: String,
    pub description: String,
    /// An iconify id.
    pub icon: Option<String>,
    pub language: String,
    #[schema(value_type = Object)]
    pub modules: Map<String, Value>,
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    pub members_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<WorkspaceRecord> for WorkspaceView {
    fn from(w: WorkspaceRecord) -> Self {
        WorkspaceView {
            id: w.id,
            name: w.name,
            reference: w.reference,
            status: w.status,
            description: w.description,
            icon: w.icon,
            language: w.language,
            modules: w.modules,
            settings: w.settings,
            members_count: w.members_count,
            created_at: format_ms(w.created_at),
            updated_at: format_ms(w.updated_at),
        }
    }
}
