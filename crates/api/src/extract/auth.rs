//! Authentication: the key checks of spec/README.md, in their order, with their exact messages,
//! and login sessions (`Authorization: Bearer ens.…`, spec/access.md).

use axum::{extract::FromRequestParts, http::request::Parts};
use enspace_domain::{
    key::{self, Scope, Scopes},
    password::{self, SESSION_PREFIX},
    time::now_ms,
};
use enspace_store::{api_keys::ApiKeyRecord, users::UserRecord};

use crate::{
    error::ApiError,
    middleware::{client_address, RequestSlot},
    rate_limit::Caller,
    AppState,
};

pub const INVALID_KEY: &str = "Invalid or missing API key";
pub const EXPIRED_KEY: &str = "API key expired";

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    Key(ApiKeyRecord),
    /// A login session: all the user's rights in all its workspaces (no scope narrowing).
    Session {
        id: i64,
    },
}

/// The authenticated caller: a user and the credential it presented.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRecord,
    pub credential: Credential,
}

impl Principal {
    pub fn key(&self) -> Option<&ApiKeyRecord> {
        match &self.credential {
            Credential::Key(key) => Some(key),
            Credential::Session { .. } => None,
        }
    }

    /// The key's scopes; a session holds every scope.
    pub fn scopes(&self) -> Scopes {
        self.key().map_or(Scopes::EVERY, |k| k.scopes)
    }

    /// The key's id when it lists particular workspaces (lookups must then be narrowed to them).
    pub fn listing_key(&self) -> Option<i64> {
        self.key().filter(|k| !k.all_workspaces).map(|k| k.id)
    }

    /// `Token missing scope: <scope>` unless the credential holds what `method` needs.
    pub fn require_scope_for(&self, method: &str) -> Result<(), ApiError> {
        let needed = Scope::for_method(method);
        if self.scopes().has(needed) {
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

/// The key checks: `Ok(Err(refusal))` for a credential that is refused. A session token is
/// refused with the same message as a bad key, so the answer says nothing about which it was.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Result<Principal, ApiError>, ApiError> {
    let presented = presented_key(parts);
    if let Some(token) = presented.filter(|t| password::is_token(t, SESSION_PREFIX)) {
        return Ok(session(state, token).await?.ok_or_else(|| ApiError::unauthorized(INVALID_KEY)));
    }
    let Some(presented) = presented.filter(|k| key::is_well_formed(k)) else {
        return Ok(Err(ApiError::unauthorized(INVALID_KEY)));
    };
    let digest = key::digest(presented);
    let found = enspace_store::api_keys::find_by_digest(&state.db, &digest).await?;
    Ok(check_key(found, &digest))
}

/// The user of an unexpired login session with this token (`Authorization: Bearer ens.…` here,
/// the console's cookie there): the digest looked up, then compared in constant time.
pub async fn session(state: &AppState, token: &str) -> Result<Option<Principal>, ApiError> {
    if !password::is_token(token, SESSION_PREFIX) {
        return Ok(None);
    }
    let digest = key::digest(token);
    let found = enspace_store::sessions::find(&state.db, &digest, now_ms()).await?;
    Ok(found
        .filter(|(_, stored, _)| key::digests_equal(stored, &digest))
        .map(|(id, _, user)| Principal { user, credential: Credential::Session { id } }))
}

/// The API key presented (well formed, not a session token) and its digest, if any: a workspace
/// request then reads the key with its workspace in one statement.
pub(crate) fn presented_api_key_digest(parts: &Parts) -> Option<String> {
    let presented = presented_key(parts)?;
    let is_key = !password::is_token(presented, SESSION_PREFIX) && key::is_well_formed(presented);
    is_key.then(|| key::digest(presented))
}

/// The checks of a key found by its digest: the digest compared in constant time, not revoked,
/// not expired.
pub(crate) fn check_key(
    found: Option<enspace_store::api_keys::KeyWithUser>,
    digest: &str,
) -> Result<Principal, ApiError> {
    let Some(found) = found.filter(|f| key::digests_equal(&f.digest, digest)) else {
        return Err(ApiError::unauthorized(INVALID_KEY));
    };
    if found.key.revoked_at.is_some() {
        return Err(ApiError::unauthorized(INVALID_KEY));
    }
    if found.key.expires_at.is_some_and(|at| at <= now_ms()) {
        return Err(ApiError::unauthorized(EXPIRED_KEY));
    }
    Ok(Principal { user: found.user, credential: Credential::Key(found.key) })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let authenticated = authenticate(parts, state).await?;
        admit(parts, state, authenticated)
    }
}

/// What follows authentication on every route: a refused credential is charged to the client's
/// address (which slows key guessing); an accepted one to its own rate limit, and it becomes
/// the request's principal (the request log's user and key).
pub fn admit(
    parts: &mut Parts,
    state: &AppState,
    authenticated: Result<Principal, ApiError>,
) -> Result<Principal, ApiError> {
    let slot = parts.extensions.get::<RequestSlot>().cloned().unwrap_or_default();
    let principal = match authenticated {
        Ok(principal) => principal,
        Err(refusal) => {
            charge_address(parts, state)?;
            return Err(refusal);
        }
    };
    let caller = match &principal.credential {
        Credential::Key(key) => Caller::Key(key.id),
        Credential::Session { id } => Caller::Session(*id),
    };
    let decision = state.rate_limits.check_caller(caller);
    slot.update(|info| {
        info.user_id = Some(principal.user.id);
        info.key_id = principal.key().map(|k| k.id);
        info.key_reference = principal.key().map(|k| k.reference.clone());
        info.rate = Some(decision);
    });
    if let Some(seconds) = decision.retry_after {
        return Err(ApiError::too_many_requests(seconds));
    }
    parts.extensions.insert(principal.clone());
    Ok(principal)
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
/// It carries the client's address.
#[derive(Debug, Clone, Copy)]
pub struct Public(pub std::net::IpAddr);

impl FromRequestParts<AppState> for Public {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        charge_address(parts, state)?;
        Ok(Public(client_address(&parts.extensions)))
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
