//! Login sessions and invitations [ours; spec/access.md]: `POST /auth/login`, `/auth/logout`,
//! `/auth/accept-invite`. Passwords are argon2id hashes; tokens are stored as digests.

use std::time::Duration;

use axum::{extract::State, Json};
use enspace_domain::{
    key,
    password::{self, INVITATION_PREFIX, SESSION_PREFIX},
    time::{format_ms, now_ms},
    user::normalize_email,
    workspace::check_text,
    Detail,
};
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
/// How long a session lasts [ours].
const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// Failed logins, counted over a window [ours]. The hard lock is per account *and* address, so
/// guessing one account's password from one place stops it there without locking that account
/// for everybody else, nor locking everybody behind a shared address (an office NAT) out of
/// their own accounts. Any counter past a few failures slows the answers; the address alone
/// refuses too, but only at a much higher number (a guesser spraying many accounts).
const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
const FAILURES_BEFORE_SLOWING: i64 = 3;
const SLOWED_BY: Duration = Duration::from_millis(200);
const LOCK_MS: i64 = 15 * 60 * 1000;
/// Failures of one email from one address before its logins there are refused.
pub const FAILURES_BEFORE_LOCK: i64 = 10;
/// Failures from one address, over every email, before all its logins are refused.
pub const ADDRESS_FAILURES_BEFORE_LOCK: i64 = 100;

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

async fn hash_off_thread(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || password::hash_password(&password)).await.map_err(ApiError::internal)
}

async fn start_session(state: &AppState, user_id: i64) -> ApiResult<SessionView> {
    let (token, digest) = password::issue_token(SESSION_PREFIX);
    let now = now_ms();
    let expires_at = now + SESSION_TTL_MS;
    enspace_store::sessions::create(&state.db, user_id, &digest, now, expires_at).await?;
    Ok(SessionView { token, expires_at: format_ms(expires_at) })
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
    let email_key = normalize_email(&email);
    // Each counter with the failures that lock it (none for the email: it only slows).
    let counters = [
        (format!("pair:{address}:{email_key}"), FAILURES_BEFORE_LOCK),
        (format!("address:{address}"), ADDRESS_FAILURES_BEFORE_LOCK),
        (format!("email:{email_key}"), i64::MAX),
    ];
    let now = now_ms();
    for (counter, _) in &counters {
        if let Some(until) = enspace_store::sessions::locked_until(&state.db, counter, now).await? {
            return Err(ApiError::too_many_requests(((until - now) as u64).div_ceil(1000)));
        }
    }
    let found = enspace_store::users::credentials(&state.db, &email).await?;
    let hash = match &found {
        Some(c) if c.status == "active" => c.password_hash.clone(),
        _ => None,
    };
    let matched = tokio::task::spawn_blocking(move || {
        let checked = hash.as_deref().unwrap_or(password::decoy_hash());
        password::verify_password(&given, checked) && hash.is_some()
    })
    .await
    .map_err(ApiError::internal)?;
    match found.filter(|_| matched) {
        Some(credentials) => {
            enspace_store::sessions::clear_failures(&state.db, &counters[0].0).await?;
            Ok(Json(start_session(&state, credentials.user.id).await?))
        }
        None => {
            let mut worst = 0;
            for (counter, lock_at) in &counters {
                let failures = enspace_store::sessions::record_failure(
                    &state.db,
                    counter,
                    now,
                    FAILURE_WINDOW_MS,
                    *lock_at,
                    LOCK_MS,
                )
                .await?;
                worst = worst.max(failures);
            }
            if worst > FAILURES_BEFORE_SLOWING {
                tokio::time::sleep(SLOWED_BY).await;
            }
            Err(ApiError::unauthorized(BAD_LOGIN))
        }
    }
}

/// Ends the session that makes the request (API keys are revoked through their own routes).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<ActionResult>> {
    match principal.credential {
        Credential::Session { id } => {
            enspace_store::sessions::delete(&state.db, id).await?;
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
    if !password::is_token(&token, INVITATION_PREFIX) {
        return Err(ApiError::bad_request(BAD_INVITATION));
    }
    let hash = hash_off_thread(input.password.unwrap_or_default()).await?;
    let mut tx = state.db.begin().await?;
    let Some(user_id) = enspace_store::sessions::take_invitation(&mut tx, &key::digest(&token), now_ms()).await? else {
        return Err(ApiError::bad_request(BAD_INVITATION));
    };
    if !enspace_store::users::activate(&mut tx, user_id, &hash, input.fname.as_deref(), input.lname.as_deref()).await? {
        return Err(ApiError::bad_request(BAD_INVITATION));
    }
    tx.commit().await?;
    Ok(Json(start_session(&state, user_id).await?))
}
