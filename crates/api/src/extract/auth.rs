//! Authentication: the key checks of spec/README.md, in their order, with their exact messages.

use axum::{extract::FromRequestParts, http::request::Parts};
use enspace_domain::{
    key::{self, Scope},
    time::now_ms,
};
use enspace_store::{
    api_keys::{ApiKeyRecord, KeyWithUser},
    users::UserRecord,
};

use crate::{
    error::ApiError,
    middleware::{client_address, RequestSlot},
    AppState,
};

pub const INVALID_KEY: &str = "Invalid or missing API key";
pub const EXPIRED_KEY: &str = "API key expired";

/// The authenticated caller: a user and the key it presented.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRecord,
    pub key: ApiKeyRecord,
}

impl Principal {
    /// `Token missing scope: <scope>` unless the key holds what `method` needs.
    pub fn require_scope_for(&self, method: &str) -> Result<(), ApiError> {
        let needed = Scope::for_method(method);
        if self.key.scopes.has(needed) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("Token missing scope: {}", needed.as_str())))
        }
    }
}

/// The key presented in `x-api-key`, or else as `Authorization: Bearer`.
fn presented_key(parts: &Parts) -> Option<&str> {
    if let Some(value) = parts.headers.get("x-api-key") {
        return value.to_str().ok().map(str::trim);
    }
    let auth = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The key checks: `Ok(Err(refusal))` for a credential that is refused.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Result<KeyWithUser, ApiError>, ApiError> {
    let Some(presented) = presented_key(parts).filter(|k| key::is_well_formed(k)) else {
        return Ok(Err(ApiError::unauthorized(INVALID_KEY)));
    };
    let digest = key::digest(presented);
    let found = enspace_store::api_keys::find_by_digest(&state.db, &digest).await?;
    let Some(found) = found.filter(|f| key::digests_equal(&f.digest, &digest)) else {
        return Ok(Err(ApiError::unauthorized(INVALID_KEY)));
    };
    if found.key.revoked_at.is_some() {
        return Ok(Err(ApiError::unauthorized(INVALID_KEY)));
    }
    if found.key.expires_at.is_some_and(|at| at <= now_ms()) {
        return Ok(Err(ApiError::unauthorized(EXPIRED_KEY)));
    }
    Ok(Ok(found))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let slot = parts.extensions.get::<RequestSlot>().cloned().unwrap_or_default();
        let found = match authenticate(parts, state).await? {
            Ok(found) => found,
            Err(refusal) => {
                // A missing or refused credential counts against the client's address, which
                // slows key guessing.
                charge_address(parts, state)?;
                return Err(refusal);
            }
        };
        let decision = state.rate_limits.check_key(found.key.id);
        slot.update(|info| {
            info.user_id = Some(found.user.id);
            info.key_id = Some(found.key.id);
            info.key_reference = Some(found.key.reference.clone());
            info.rate = Some(decision);
        });
        if let Some(seconds) = decision.retry_after {
            return Err(ApiError::too_many_requests(seconds));
        }
        let principal = Principal { user: found.user, key: found.key };
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

/// Charges the client address's bucket; 429 when it is empty.
fn charge_address(parts: &Parts, state: &AppState) -> Result<(), ApiError> {
    let decision = state.rate_limits.check_address(client_address(&parts.extensions));
    if let Some(slot) = parts.extensions.get::<RequestSlot>() {
        slot.update(|info| info.rate = Some(decision));
    }
    match decision.retry_after {
        Some(seconds) => Err(ApiError::too_many_requests(seconds)),
        None => Ok(()),
    }
}

/// A request to a route that needs no key, rate-limited by client address whatever headers it
/// carries (a made-up key must not buy a way around the limit).
#[derive(Debug, Clone, Copy)]
pub struct Public;

impl FromRequestParts<AppState> for Public {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        charge_address(parts, state)?;
        Ok(Public)
    }
}

/// An authenticated caller on a route outside any workspace, with the method's scope checked.
#[derive(Debug, Clone)]
pub struct Authed(pub Principal);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        principal.require_scope_for(parts.method.as_str())?;
        Ok(Authed(principal))
    }
}
