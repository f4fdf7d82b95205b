//! Login sessions and invitations [ours; spec/access.md]: `POST /auth/login`, `/auth/logout`,
//! `/auth/accept-invite`. Passwords are argon2id hashes; tokens are stored as digests.

use axum::{extract::State, Json};
use enspace_domain::{
    password::{self},
    time::format_ms,
    workspace::check_text,
    Detail,
};
use enspace_engine::accounts::{Session, SignInError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Credential, Principal, Public},
    views::ActionResult,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(accept_invite))
}

pub const BAD_LOGIN: &str = "Invalid email or password";
pub use enspace_engine::accounts::{ADDRESS_FAILURES_BEFORE_LOCK, FAILURES_BEFORE_LOCK};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
}

impl Input for LoginInput {}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Send as `Authorization: Bearer <token>`; shown once.
    pub token: String,
    pub expires_at: String,
}

impl From<Session> for SessionView {
    fn from(session: Session) -> Self {
        SessionView { token: session.token, expires_at: format_ms(session.expires_at) }
    }
}

fn refused(error: SignInError) -> ApiError {
    match error {
        SignInError::Locked(seconds) => ApiError::too_many_requests(seconds),
        SignInError::BadCredentials => ApiError::unauthorized(BAD_LOGIN),
        SignInError::BadInvitation => ApiError::bad_request(BAD_INVITATION),
        SignInError::Store(e) => e.into(),
        SignInError::Internal(message) => ApiError::internal(message),
    }
}

/// Email and password for a session token. A wrong email and a wrong password answer the same
/// 401 after the same work (an unknown email is checked against a decoy hash).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = SessionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    Public(address): Public,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Json<SessionView>> {
    let mut details = Vec::new();
    for (name, value) in [("email", &input.email), ("password", &input.password)] {
        if value.as_deref().is_none_or(str::is_empty) {
            details.push(Detail::new(name, "is required"));
        }
    }
    ApiError::check(details)?;
    let (email, given) = (input.email.unwrap_or_default(), input.password.unwrap_or_default());
    let session = enspace_engine::accounts::sign_in(&state.db, &email, given, &address.to_string()).await;
    Ok(Json(session.map_err(refused)?.into()))
}

/// Ends the session that makes the request (API keys are revoked through their own routes).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<ActionResult>> {
    match principal.credential {
        Credential::Session { id } => {
            enspace_engine::accounts::sign_out(&state.db, id).await?;
            Ok(Json(ActionResult { data: true, message: "Logged out".into() }))
        }
        Credential::Key(_) => {
            Err(ApiError::bad_request("Only a session logs out; revoke an API key with DELETE /user/api-keys/{id}"))
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    pub token: Option<String>,
    pub password: Option<String>,
    pub fname: Option<String>,
    pub lname: Option<String>,
}

impl Input for AcceptInput {}

pub const BAD_INVITATION: &str = "This invitation is invalid, expired or already accepted";

/// Accepts an invitation: sets the new user's password (and names) and answers a session.
/// An invitation only ever sets the password of a user who has none, so a link can never take
/// over an account that is already in use.
#[utoipa::path(post, path = "/auth/accept-invite", tag = "auth", request_body = AcceptInput,
    responses((status = 200, body = SessionView), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn accept_invite(
    _: Public,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<AcceptInput>,
) -> ApiResult<Json<SessionView>> {
    let mut details = Vec::new();
    if input.token.is_none() {
        details.push(Detail::new("token", "is required"));
    }
    match input.password.as_deref() {
        None => details.push(Detail::new("password", "is required")),
        Some(p) => {
            if let Err(message) = password::check_password(p) {
                details.push(Detail::new("password", message));
            }
        }
    }
    check_text(&mut details, "fname", input.fname.as_deref(), false, 100);
    check_text(&mut details, "lname", input.lname.as_deref(), false, 100);
    ApiError::check(details)?;
    let token = input.token.unwrap_or_default();
    let (fname, lname) = (input.fname.as_deref(), input.lname.as_deref());
    let password = input.password.unwrap_or_default();
    let session = enspace_engine::accounts::accept_invitation(&state.db, &token, password, fname, lname).await;
    Ok(Json(session.map_err(refused)?.into()))
}
