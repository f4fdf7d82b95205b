//! The workspace of a request (`en-workspace`), checked in the order of spec/README.md.

use axum::{extract::FromRequestParts, http::request::Parts};
use enspace_domain::access::{self, Action, MemberAccess, MemberType};
use enspace_store::{
    members::MemberRecord,
    workspaces::{WorkspaceRecord, WorkspaceSelector},
};

use crate::{
    error::ApiError,
    extract::{auth, Principal},
    middleware::RequestSlot,
    AppState,
};

pub const MISSING_HEADER: &str = "Missing required header: en-workspace";
pub const INVALID_HEADER: &str = "Invalid header en-workspace: expected a workspace reference (its slug) or id";
pub const NOT_AUTHORIZED: &str = "Token not authorized for this workspace";
pub const NOT_FOUND: &str = "Workspace not found";
pub const NOT_MEMBER: &str = "You are not a member of this workspace";

/// A caller inside a workspace it is an active member of, with the method's scope checked.
#[derive(Debug, Clone)]
pub struct WsCtx {
    pub principal: Principal,
    pub workspace: WorkspaceRecord,
    pub member: MemberRecord,
    /// The member as the access decision sees it, loaded once per request.
    pub access: MemberAccess,
}

/// Slugs never start with a digit, so an all-digit value is an id.
fn selector(value: &str) -> WorkspaceSelector {
    match value.parse::<i64>() {
        Ok(id) if value.bytes().all(|b| b.is_ascii_digit()) => WorkspaceSelector::Id(id),
        _ => WorkspaceSelector::Reference(value.to_string()),
    }
}

impl FromRequestParts<AppState> for WsCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = match parts.headers.get("en-workspace").map(|v| v.to_str().map(str::trim)) {
            None | Some(Ok("")) => Err(ApiError::bad_request(MISSING_HEADER)),
            // Sent, but with bytes no slug has (a slug is ASCII): not a missing header.
            Some(Err(_)) => Err(ApiError::bad_request(INVALID_HEADER)),
            Some(Ok(value)) => Ok(selector(value)),
        };
        // An API key and a well-formed header: the key, its user, the workspace and the
        // membership in one statement. Otherwise (a session, a header refused after the
        // credential) the principal first, as every route authenticates.
        let digest = auth::presented_api_key_digest(parts).filter(|_| parts.extensions.get::<Principal>().is_none());
        let (principal, access) = match (digest, &header) {
            (Some(digest), Ok(selector)) => {
                let found = enspace_store::workspaces::resolve_with_key(&state.db, &digest, selector).await?;
                let (key, access) = match found {
                    Some((key, access)) => (Some(key), access),
                    None => (None, None),
                };
                let principal = auth::admit(parts, state, auth::check_key(key, &digest))?;
                (principal, access)
            }
            _ => {
                let principal = Principal::from_request_parts(parts, state).await?;
                let selector = header?;
                let key_id = principal.listing_key();
                let access =
                    enspace_store::workspaces::resolve(&state.db, &selector, principal.user.id, key_id).await?;
                (principal, access)
            }
        };
        let listed = access.as_ref().filter(|a| a.key_listed);
        if let (Some(slot), Some(access)) = (parts.extensions.get::<RequestSlot>(), listed) {
            slot.update(|info| info.workspace = Some(access.workspace.reference.clone()));
        }
        WsCtx::admit(state, principal, access, parts.method.as_str()).await
    }
}

impl WsCtx {
    /// The caller inside the workspace named by `value` (a slug or an id), for a request with
    /// this method: what the console does with the workspace in its path.
    pub async fn resolve(state: &AppState, principal: Principal, value: &str, method: &str) -> Result<WsCtx, ApiError> {
        let access =
            enspace_store::workspaces::resolve(&state.db, &selector(value), principal.user.id, principal.listing_key())
                .await?;
        WsCtx::admit(state, principal, access, method).await
    }

    /// The checks after the workspace is read, in the spec's order.
    async fn admit(
        state: &AppState,
        principal: Principal,
        access: Option<enspace_store::workspaces::WorkspaceAccess>,
        method: &str,
    ) -> Result<WsCtx, ApiError> {
        let key_id = principal.listing_key();
        // A key that lists particular workspaces learns nothing about any other, existing or not.
        let access = match access {
            Some(access) if access.key_listed => access,
            None if key_id.is_none() => return Err(ApiError::not_found(NOT_FOUND)),
            _ => return Err(ApiError::forbidden(NOT_AUTHORIZED)),
        };
        let member = access.member.filter(|m| m.status == "active").ok_or_else(|| ApiError::forbidden(NOT_MEMBER))?;
        principal.require_scope_for(method)?;
        let decision = enspace_engine::members::access_of(&state.db, &member).await?;
        Ok(WsCtx { principal, workspace: access.workspace, member, access: decision })
    }

    /// The caller as the writer of a change (`source`: `api`, `integration`, …): its events and
    /// history lines name it.
    pub fn author(&self, source: &'static str) -> enspace_engine::items::Author<'_> {
        enspace_engine::items::Author {
            user_id: Some(self.principal.user.id),
            email: Some(&self.principal.user.email),
            key: self.principal.key().map(|k| k.reference.as_str()),
            source,
        }
    }

    pub fn member_type(&self) -> MemberType {
        // Rows are written from MemberType, so an unknown value is corrupt data: treat it as
        // the least privileged type.
        MemberType::parse(&self.member.member_type).unwrap_or(MemberType::Viewer)
    }

    /// The one access decision (spec/access.md); answers the member's access when allowed.
    pub fn authorize(&self, action: Action) -> Result<MemberAccess, ApiError> {
        allowed(&self.access, &action)?;
        Ok(self.access.clone())
    }
}

/// [`access::decide`] as an API answer: 403 `Permission denied: <what>`.
pub fn allowed(access: &MemberAccess, action: &Action) -> Result<(), ApiError> {
    access::decide(access, action).map_err(|denied| ApiError::forbidden(format!("Permission denied: {}", denied.0)))
}
