//! WhatsApp conversations [ours]: list, get, messages, send, close. Every member reads them;
//! writing needs a member who may write (not a viewer).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{access::Action, time::format_ms, Detail};
use enspace_store::{
    conversations::{ConversationRecord, LIST, MESSAGES},
    Reader,
};
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
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation))
        .routes(routes!(list_messages, send_message))
        .routes(routes!(close_conversation))
}

pub const CONVERSATION_NOT_FOUND: &str = "Conversation not found";
/// Longest message body [ours]: WhatsApp's limit for a text message.
const BODY_MAX: usize = 4096;

async fn conversation_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<ConversationRecord> {
    enspace_store::conversations::get(&mut Reader::Db(&state.db), ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(CONVERSATION_NOT_FOUND))
}

/// Newest first. Filters: `status` (`open`, `closed`), `contact`, `integration`.
#[utoipa::path(get, path = "/ws/conversations", tag = "conversations", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [ConversationView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<ConversationView>>> {
    let query = query.list(&state, &LIST, &[])?;
    let list = enspace_store::conversations::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/ws/conversations/{id}", tag = "conversations", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<ConversationView>> {
    Ok(Json(conversation_of(&state, &ctx, id).await?.into()))
}

/// Oldest first.
#[utoipa::path(get, path = "/ws/conversations/{id}/messages", tag = "conversations", params(WorkspaceHeader, ("id" = i64, Path), ListParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [ConversationMessageView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_messages(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    query: QueryPairs,
) -> ApiResult<Json<Vec<ConversationMessageView>>> {
    let conversation = conversation_of(&state, &ctx, id).await?;
    let query = query.list(&state, &MESSAGES, &[])?;
    let messages = enspace_store::conversations::messages(&state.db, ctx.workspace.id, conversation.id, &query).await?;
    Ok(Json(messages.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    pub body: Option<String>,
}

impl Input for MessageInput {}

/// Queues a message to the contact (sent through Twilio's Messages API by the job worker);
/// 202 with the `queued` message. 409 when the conversation is closed.
#[utoipa::path(post, path = "/ws/conversations/{id}/messages", tag = "conversations", params(WorkspaceHeader, ("id" = i64, Path)), request_body = MessageInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 202, body = ConversationMessageView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn send_message(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<MessageInput>,
) -> ApiResult<(StatusCode, Json<ConversationMessageView>)> {
    ctx.authorize(Action::Converse)?;
    let conversation = conversation_of(&state, &ctx, id).await?;
    let body = input.body.as_deref().unwrap_or_default();
    match body.chars().count() {
        0 => return Err(ApiError::validation(vec![Detail::new("body", "is required")])),
        n if n > BODY_MAX => {
            return Err(ApiError::validation(vec![Detail::new(
                "body",
                format!("must have at most {BODY_MAX} characters"),
            )]))
        }
        _ => {}
    }
    if conversation.status != "open" {
        return Err(ApiError::conflict("The conversation is closed"));
    }
    let message_id =
        enspace_engine::whatsapp::send(&state.db, &conversation, body, Some(ctx.principal.user.id)).await?;
    state.jobs.wake();
    let message = enspace_store::conversations::message(&state.db, ctx.workspace.id, message_id)
        .await?
        .ok_or_else(|| ApiError::not_found(CONVERSATION_NOT_FOUND))?;
    Ok((StatusCode::ACCEPTED, Json(message.into())))
}

/// Closes the conversation now (no automatic message); the contact's next message opens a new
/// one. Closing a closed conversation changes nothing.
#[utoipa::path(post, path = "/ws/conversations/{id}/close", tag = "conversations", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn close_conversation(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<ConversationView>> {
    ctx.authorize(Action::Converse)?;
    let conversation = conversation_of(&state, &ctx, id).await?;
    enspace_engine::whatsapp::close(&state.db, &conversation).await?;
    Ok(Json(conversation_of(&state, &ctx, id).await?.into()))
}

/// A WhatsApp conversation [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: i64,
    pub integration: i64,
    /// The contact's number, E.164.
    pub contact: String,
    /// The contact's WhatsApp profile name, when Twilio sent one.
    pub contact_name: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    pub last_inbound_at: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::conversations::ConversationRecord> for ConversationView {
    fn from(c: enspace_store::conversations::ConversationRecord) -> Self {
        ConversationView {
            id: c.id,
            integration: c.integration_id,
            contact: c.contact,
            contact_name: c.contact_name,
            status: c.status,
            last_inbound_at: c.last_inbound_at.map(format_ms),
            closed_at: c.closed_at.map(format_ms),
            created_at: format_ms(c.created_at),
            updated_at: format_ms(c.updated_at),
        }
    }
}

/// A message of a conversation [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationMessageView {
    pub id: i64,
    pub conversation: i64,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `message`, `autoclose_warning` or `autoclose_closing`.
    pub kind: String,
    pub body: String,
    /// Inbound `received`; outbound `queued`, `sent`, `delivered`, `read`, `failed`, `undelivered`.
    pub status: String,
    /// Twilio's MessageSid.
    pub provider_sid: Option<String>,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    /// Who sent an outbound message (none for automatic ones).
    pub user: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::conversations::MessageRecord> for ConversationMessageView {
    fn from(m: enspace_store::conversations::MessageRecord) -> Self {
        ConversationMessageView {
            id: m.id,
            conversation: m.conversation_id,
            direction: m.direction,
            kind: m.kind,
            body: m.body,
            status: m.status,
            provider_sid: m.provider_sid,
            error_code: m.error_code,
            last_error: m.last_error,
            user: m.created_by,
            created_at: format_ms(m.created_at),
            updated_at: format_ms(m.updated_at),
        }
    }
}
