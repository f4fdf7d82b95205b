//! The caller's API keys: list, count, create, revoke. Keys cannot be edited.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    key::{ExpiresIn, Scope, Scopes},
    time::format_ms,
    Detail,
};
use enspace_engine::accounts::NewKey;
use enspace_store::{api_keys::ApiKeyRecord, api_keys::LIST};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Authed, Principal, QueryPairs},
    openapi::ListParams,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_keys, create_key)).routes(routes!(count_keys)).routes(routes!(revoke_key))
}

/// The caller's keys (never their secrets). Filters: `id`, `reference`, `description`,
/// `expires_at`, `last_used_at`, `created_at`, `updated_at`; `_q` on description and reference.
#[utoipa::path(get, path = "/user-api-keys", tag = "user", params(ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [ApiKeyView]), (status = 400, body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    Authed(principal): Authed,
    query: QueryPairs,
) -> ApiResult<Json<Vec<ApiKeyView>>> {
    Ok(Json(list(&state, &principal, &query).await?))
}

/// The caller's keys as `GET /user-api-keys` lists them (the console's keys page too).
pub async fn list(state: &AppState, principal: &Principal, query: &QueryPairs) -> ApiResult<Vec<ApiKeyView>> {
    let query = query.list(state, &LIST, &[])?;
    let keys = enspace_store::api_keys::list(&state.db, principal.user.id, &query).await?;
    Ok(keys.iter().map(Into::into).collect())
}

#[utoipa::path(get, path = "/user-api-keys/count", tag = "user", params(ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_keys(
    State(state): State<AppState>,
    Authed(principal): Authed,
    query: QueryPairs,
) -> ApiResult<Json<i64>> {
    let query = query.list(&state, &LIST, &[])?;
    Ok(Json(enspace_store::api_keys::count(&state.db, principal.user.id, &query).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    /// A non-empty subset of `read`, `write`, `delete`.
    pub global: Vec<String>,
    /// Workspace references the caller belongs to, or `["*"]`.
    pub workspaces: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    pub description: Option<String>,
    /// `1M`, `2M`, `3M`, `6M`, `1y`, `2y` or `never` (the default).
    pub expires_in: Option<String>,
    pub scope: Option<ScopeInput>,
}

impl Input for ApiKeyInput {
    const READ_ONLY: &'static [&'static str] = &["reference", "last_used_at", "expires_at"];
}

pub const DESCRIPTION_MAX: usize = 200;

/// Checks the requested scope against what the caller may grant; returns the scopes, whether
/// all workspaces, and the listed workspace ids.
async fn check_scope(
    state: &AppState,
    principal: &Principal,
    scope: &ScopeInput,
    details: &mut Vec<Detail>,
) -> ApiResult<(Scopes, bool, Vec<i64>)> {
    let mut wanted = Vec::new();
    if scope.global.is_empty() {
        details.push(Detail::new("scope.global", "must name at least one of read, write, delete"));
    }
    for (i, name) in scope.global.iter().enumerate() {
        let path = format!("scope.global[{i}]");
        match Scope::parse(name) {
            None => details.push(Detail::new(path, format!("expected read, write or delete, got {name:?}"))),
            Some(s) if !principal.scopes().has(s) => {
                details.push(Detail::new(path, format!("the key making this request lacks the {name} scope")))
            }
            Some(s) => wanted.push(s),
        }
    }
    let all = scope.workspaces.iter().any(|w| w == "*");
    let mut ids = Vec::new();
    if scope.workspaces.is_empty() {
        details.push(Detail::new("scope.workspaces", "must list workspace references, or [\"*\"]"));
    } else if all {
        if scope.workspaces.len() > 1 {
            details.push(Detail::new("scope.workspaces", "\"*\" stands alone"));
        } else if principal.listing_key().is_some() {
            details.push(Detail::new(
                "scope.workspaces[0]",
                "the key making this request is not valid for every workspace",
            ));
        }
    } else {
        let found =
            enspace_store::workspaces::member_workspace_ids(&state.db, principal.user.id, &scope.workspaces).await?;
        for (i, reference) in scope.workspaces.iter().enumerate() {
            let path = format!("scope.workspaces[{i}]");
            match found.get(reference) {
                None => {
                    details.push(Detail::new(path, format!("{reference:?} is not a workspace you are a member of")))
                }
                Some(_) if principal.key().is_some_and(|k| !k.all_workspaces && !k.workspaces.contains(reference)) => {
                    details
                        .push(Detail::new(path, format!("the key making this request is not valid for {reference:?}")))
                }
                Some(id) => ids.push(*id),
            }
        }
    }
    Ok((Scopes::from_list(&wanted), all, ids))
}

/// Creates a key; the answer carries its secret, shown only this once.
#[utoipa::path(post, path = "/user-api-keys", tag = "user", request_body = ApiKeyInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = CreatedApiKeyView), (status = 400, body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    Authed(principal): Authed,
    ApiJson(input): ApiJson<ApiKeyInput>,
) -> ApiResult<(StatusCode, Json<CreatedApiKeyView>)> {
    Ok((StatusCode::CREATED, Json(create(&state, &principal, &input).await?)))
}

/// Issues a key as `POST /user-api-keys` does (its checks: a key never gives more than the
/// credential making it holds); the secret is in the answer only.
pub async fn create(state: &AppState, principal: &Principal, input: &ApiKeyInput) -> ApiResult<CreatedApiKeyView> {
    let mut details = Vec::new();
    enspace_domain::workspace::check_text(
        &mut details,
        "description",
        input.description.as_deref(),
        true,
        DESCRIPTION_MAX,
    );
    let expires_in = match input.expires_in.as_deref() {
        None => Some(ExpiresIn::Never),
        Some(text) => {
            let parsed = ExpiresIn::parse(text);
            if parsed.is_none() {
                details.push(Detail::new(
                    "expires_in",
                    format!("expected one of {}, got {text:?}", ExpiresIn::VALUES.join(", ")),
                ));
            }
            parsed
        }
    };
    let checked = match &input.scope {
        None => {
            details.push(Detail::new("scope", "is required"));
            None
        }
        Some(scope) => Some(check_scope(state, principal, scope, &mut details).await?),
    };
    let (Some(expires_in), Some((scopes, all_workspaces, workspace_ids)), true) =
        (expires_in, checked, details.is_empty())
    else {
        return Err(ApiError::validation(details));
    };
    let new = NewKey {
        user_id: principal.user.id,
        description: input.description.as_deref().unwrap_or_default().trim(),
        scopes,
        all_workspaces,
        workspace_ids: &workspace_ids,
        expires_in,
    };
    let (created, secret) = enspace_engine::accounts::create_key(&state.db, new).await?;
    Ok(CreatedApiKeyView { api_key: (&created).into(), key: secret })
}

/// Revokes a key at once: the next request with it gets 401. Answers the key as it was.
#[utoipa::path(delete, path = "/user-api-keys/{reference}", tag = "user", params(("reference" = String, Path, description = "The key's reference")),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ApiKeyView), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Authed(principal): Authed,
    Path(reference): Path<String>,
) -> ApiResult<Json<ApiKeyView>> {
    Ok(Json(revoke(&state, &principal, &reference).await?))
}

/// Revokes one of the caller's keys (404 for any other reference).
pub async fn revoke(state: &AppState, principal: &Principal, reference: &str) -> ApiResult<ApiKeyView> {
    let revoked = enspace_engine::accounts::revoke_key(&state.db, principal.user.id, reference).await?;
    let revoked = revoked.ok_or_else(|| ApiError::not_found("API key not found"))?;
    Ok((&revoked).into())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyScopeView {
    /// A subset of `read`, `write`, `delete`.
    pub global: Vec<String>,
    /// Workspace references, or `["*"]`.
    pub workspaces: Vec<String>,
}

impl From<&ApiKeyRecord> for KeyScopeView {
    fn from(k: &ApiKeyRecord) -> Self {
        KeyScopeView {
            global: k.scopes.to_list().into_iter().map(|s| s.as_str().to_string()).collect(),
            workspaces: if k.all_workspaces { vec!["*".to_string()] } else { k.workspaces.clone() },
        }
    }
}

/// An API key [wire shape]; never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub description: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    /// The key's public 16-character handle.
    pub reference: String,
    pub scope: KeyScopeView,
}

impl From<&ApiKeyRecord> for ApiKeyView {
    fn from(k: &ApiKeyRecord) -> Self {
        ApiKeyView {
            id: k.id,
            created_at: format_ms(k.created_at),
            updated_at: format_ms(k.updated_at),
            description: k.description.clone(),
            expires_at: k.expires_at.map(format_ms),
            last_used_at: k.last_used_at.map(format_ms),
            reference: k.reference.clone(),
            scope: k.into(),
        }
    }
}

/// A new key: the key object plus its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyView {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// `en.` followed by 34 characters.
    pub key: String,
}
