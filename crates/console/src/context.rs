//! The workspace named in a console path (`/app/w/{ws}/…`), resolved by the API's own
//! resolver (`WsCtx::resolve`): the same membership, status and access decision as a request
//! with `en-workspace`. A workspace the person is not an active member of answers the same
//! 404 page as one that does not exist (console-design §4.7): the console does not tell
//! which slugs exist.

use axum::{
    extract::{FromRequest, FromRequestParts, RawPathParams, Request},
    http::{request::Parts, StatusCode},
};
use enspace_api::{error::ApiError, extract::WsCtx, AppState};

use crate::{
    errors::ConsoleError,
    pages::{NavType, WorkspaceNav},
    session::{same_origin, settings, with_form_token, Caller, FormPairs},
};

pub(crate) struct ConsoleWs {
    pub caller: Caller,
    pub ctx: WsCtx,
}

impl FromRequestParts<AppState> for ConsoleWs {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let params =
            RawPathParams::from_request_parts(parts, state).await.map_err(|_| ApiError::not_found("Not found"))?;
        let reference = params
            .iter()
            .find(|(name, _)| *name == "ws")
            .map(|(_, value)| value.to_string())
            .ok_or_else(|| ApiError::not_found("Not found"))?;
        let method = parts.method.as_str().to_string();
        let ctx = WsCtx::resolve(state, caller.principal.clone(), &reference, &method).await.map_err(|e| {
            if e.status == StatusCode::FORBIDDEN {
                ApiError::not_found(enspace_api::extract::workspace::NOT_FOUND)
            } else {
                e
            }
        })?;
        Ok(ConsoleWs { caller, ctx })
    }
}

impl ConsoleWs {
    /// The menu of the workspace: the categories the member may read (the read of
    /// `GET /ws/types`, with its access filter).
    pub(crate) async fn nav(&self, state: &AppState) -> Result<WorkspaceNav, ConsoleError> {
        let all = enspace_store::types::all(&state.db, self.ctx.workspace.id).await?;
        let readable = enspace_api::routes::types::readable(&self.ctx.access, &all);
        let types = all
            .into_iter()
            .filter(|t| readable.as_ref().is_none_or(|slugs| slugs.contains(&t.slug)))
            .map(|t| NavType { slug: t.slug, name: t.name })
            .collect();
        let settings = enspace_api::extract::workspace::allowed(
            &self.ctx.access,
            &enspace_domain::access::Action::ManageSettings(enspace_domain::access::SettingsArea::Access),
        )
        .is_ok();
        let system = enspace_api::extract::workspace::allowed(
            &self.ctx.access,
            &enspace_domain::access::Action::ManageSettings(enspace_domain::access::SettingsArea::System),
        )
        .is_ok();
        Ok(WorkspaceNav {
            reference: self.ctx.workspace.reference.clone(),
            name: self.ctx.workspace.name.clone(),
            types,
            settings,
            system,
            overdue: crate::pages::overdue_count(state, &self.ctx).await?,
        })
    }
}

impl ConsoleWs {
    /// Where a posted action goes back to: the form's `back` when it is a page of this
    /// workspace (never another site's or another workspace's), else `fallback`.
    pub(crate) fn back(&self, form: &FormPairs, fallback: String) -> String {
        let workspace = format!("/app/w/{}/", self.ctx.workspace.reference);
        form.get("back")
            .filter(|b| crate::security::is_console_path(b) && b.starts_with(&workspace))
            .map_or(fallback, str::to_string)
    }
}

/// A form posted inside a workspace, past the origin and token checks (the session read once).
pub(crate) struct WsPosted {
    pub ws: ConsoleWs,
    pub form: FormPairs,
}

impl FromRequest<AppState> for WsPosted {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = request.into_parts();
        same_origin(&parts, &settings(&parts))?;
        let ws = ConsoleWs::from_request_parts(&mut parts, state).await?;
        let form = with_form_token(parts, body, state, &ws.caller.csrf).await?;
        Ok(WsPosted { ws, form })
    }
}
