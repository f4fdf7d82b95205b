//! The workspace email outbox [ours]: queue an email (sent by the job worker through the
//! workspace's SendGrid integration), list, get. The `emails` settings area.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{Action, SettingsArea},
    integrations::SENDGRID,
    time::format_ms,
};
use enspace_store::emails::{NewEmail, LIST};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_emails, queue_email)).routes(routes!(get_email))
}

pub const EMAIL_NOT_FOUND: &str = "Email not found";
pub const NO_SENDGRID: &str = "This workspace has no active SendGrid integration to send email with";

fn manager(ctx: &WsCtx) -> ApiResult<()> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Emails)).map(|_| ())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailInput {
    pub to: Option<Vec<String>>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub reply_to: Option<String>,
}

impl Input for EmailInput {
    const READ_ONLY: &'static [&'static str] = &["status", "provider_message_id", "last_error", "sent_at"];
}

/// Queues an email: 202 with the record (`queued`); the worker sends it from the SendGrid
/// integration's sender, in sandbox mode in its `stage` environment.
#[utoipa::path(post, path = "/ws/emails", tag = "emails", params(WorkspaceHeader), request_body = EmailInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 202, body = EmailView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn queue_email(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<EmailInput>,
) -> ApiResult<(StatusCode, Json<EmailView>)> {
    manager(&ctx)?;
    let mut details = Vec::new();
    let (text, html) = (input.text.as_deref(), input.html.as_deref());
    enspace_domain::emails::check(
        &mut details,
        input.to.as_deref(),
        input.subject.as_deref(),
        text,
        html,
        input.reply_to.as_deref(),
    );
    ApiError::check(details)?;
    if enspace_store::integrations::active_of_type(&state.db, ctx.workspace.id, SENDGRID).await?.is_none() {
        return Err(ApiError::conflict(NO_SENDGRID));
    }
    let email = NewEmail {
        to: input.to.as_deref().unwrap_or_default(),
        subject: input.subject.as_deref().unwrap_or_default().trim(),
        text: text.filter(|t| !t.is_empty()),
        html: html.filter(|h| !h.is_empty()),
        reply_to: input.reply_to.as_deref(),
        created_by: Some(ctx.principal.user.id),
    };
    let id = enspace_engine::emails::send(&state.db, ctx.workspace.id, email).await?;
    state.jobs.wake();
    let email = enspace_store::emails::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(EMAIL_NOT_FOUND))?;
    Ok((StatusCode::ACCEPTED, Json(email.into())))
}

/// Newest first. Filters: `status` (`queued`, `sent`, `failed`), `subject`, `created_at`,
/// `sent_at`; `_q` on the subject.
#[utoipa::path(get, path = "/ws/emails", tag = "emails", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [EmailView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_emails(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<EmailView>>> {
    manager(&ctx)?;
    let query = query.list(&state, &LIST, &[])?;
    let emails = enspace_store::emails::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(Json(emails.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/ws/emails/{id}", tag = "emails", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = EmailView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_email(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<EmailView>> {
    manager(&ctx)?;
    let email = enspace_store::emails::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(EMAIL_NOT_FOUND))?;
    Ok(Json(email.into()))
}

/// An outbox email [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailView {
    pub id: i64,
    pub to: Vec<String>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub reply_to: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// SendGrid's `X-Message-Id`, once sent.
    pub provider_message_id: Option<String>,
    /// The last attempt's error (the provider's own message; never a credential).
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

impl From<enspace_store::emails::EmailRecord> for EmailView {
    fn from(e: enspace_store::emails::EmailRecord) -> Self {
        EmailView {
            id: e.id,
            to: e.to,
            subject: e.subject,
            text: e.text,
            html: e.html,
            reply_to: e.reply_to,
            status: e.status,
            provider_message_id: e.provider_message_id,
            last_error: e.last_error,
            created_at: format_ms(e.created_at),
            updated_at: format_ms(e.updated_at),
            sent_at: e.sent_at.map(format_ms),
        }
    }
}
