//! The caller: `GET /user`, `PUT /user`.

use axum::{extract::State, Json};
use enspace_domain::{time::format_ms, user::check_profile};
use enspace_store::{users::UserPatch, users::UserRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Authed},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_user, update_user))
}

/// The caller.
#[utoipa::path(get, path = "/user", tag = "user", security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = CurrentUserView), (status = 401, body = ErrorBody)))]
pub async fn get_user(Authed(principal): Authed) -> Json<CurrentUserView> {
    Json((&principal.user).into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetaInput {
    #[serde(default, deserialize_with = "crate::routes::present")]
    #[schema(value_type = Option<String>)]
    pub fname: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::present")]
    #[schema(value_type = Option<String>)]
    pub lname: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub meta: Option<MetaInput>,
    /// `pt`, `en` or `es`.
    pub language: Option<String>,
}

impl Input for UserInput {
    const READ_ONLY: &'static [&'static str] = &["email"];
}

/// Updates the caller's `meta` (names) and `language`. A name sent as `null` is cleared.
#[utoipa::path(put, path = "/user", tag = "user", security(("api_key" = []), ("bearer" = [])), request_body = UserInput,
    responses((status = 200, body = CurrentUserView), (status = 400, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    Authed(principal): Authed,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<Json<CurrentUserView>> {
    let meta = input.meta.unwrap_or(MetaInput { fname: None, lname: None });
    let (fname, lname) = (meta.fname.clone().flatten(), meta.lname.clone().flatten());
    ApiError::check(check_profile(fname.as_deref(), lname.as_deref(), input.language.as_deref()))?;
    let patch = UserPatch { fname: meta.fname, lname: meta.lname, language: input.language };
    let user = enspace_engine::accounts::update_profile(&state.db, principal.user.id, patch).await?;
    Ok(Json((&user).into()))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lname: Option<String>,
}

/// A user [wire shape].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub created_at: String,
    pub email: String,
    pub meta: UserMeta,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        UserView {
            id: u.id,
            created_at: format_ms(u.created_at),
            email: u.email.clone(),
            meta: UserMeta { fname: u.fname.clone(), lname: u.lname.clone() },
        }
    }
}

/// The caller (`GET /user`): the user shape plus the caller's own settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentUserView {
    #[serde(flatten)]
    pub user: UserView,
    /// `pt`, `en` or `es`.
    pub language: String,
}

impl From<&UserRecord> for CurrentUserView {
    fn from(u: &UserRecord) -> Self {
        CurrentUserView { user: u.into(), language: u.language.clone() }
    }
}
