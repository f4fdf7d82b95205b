//! Integrations: the catalogue, and a workspace's installed integrations (install, list, get,
//! update with merge and status, uninstall). Secrets are sealed before they reach the store and
//! never leave it in any answer, log line or error.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{Action, SettingsArea},
    integrations::{self, IntegrationType, Settings},
    time::format_ms,
    Detail,
};
use enspace_engine::integrations::{Chat, ChatError};
use enspace_store::{
    error::StoreError,
    integrations::{IntegrationRecord, LIST},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Authed, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalogue))
        .routes(routes!(list_integrations, install))
        .routes(routes!(get_integration, update_integration, uninstall))
        .routes(routes!(test_integration))
        .routes(routes!(chat))
}

pub const INTEGRATION_NOT_FOUND: &str = "Integration not found";

/// The eight types with the JSON Schema of their `data` [ours].
#[utoipa::path(get, path = "/integrations/catalog", tag = "integrations", security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [CatalogueEntry]), (status = 401, body = ErrorBody)))]
pub async fn catalogue(_: Authed) -> Json<Vec<CatalogueEntry>> {
    Json(integrations::CATALOGUE.iter().map(|t| CatalogueEntry { kind: t.wire(), schema: t.schema() }).collect())
}

fn kind_of(record: &IntegrationRecord) -> ApiResult<&'static IntegrationType> {
    integrations::by_id(record.integration_type)
        .ok_or_else(|| ApiError::internal(format!("integration {} has unknown type", record.id)))
}

/// The stored secrets, opened.
fn open_secrets(state: &AppState, record: &IntegrationRecord) -> ApiResult<Map<String, Value>> {
    enspace_engine::integrations::open_secrets(&state.keyring, record).map_err(ApiError::internal)
}

fn view(state: &AppState, record: IntegrationRecord) -> ApiResult<IntegrationView> {
    let kind = kind_of(&record)?;
    let secrets = open_secrets(state, &record)?;
    let configured_secrets = kind.secret_keys().filter(|k| secrets.contains_key(*k)).map(String::from).collect();
    Ok(IntegrationView::new(record, kind.wire(), configured_secrets))
}

async fn integration_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<IntegrationRecord> {
    enspace_store::integrations::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(INTEGRATION_NOT_FOUND))
}

fn webhook_url(state: &AppState, kind: &IntegrationType) -> String {
    format!("{}/webhooks/{}", state.config.public_url, kind.slug)
}

fn conflict(kind: &IntegrationType) -> ApiError {
    if kind.id == integrations::WHATSAPP_TWILIO {
        ApiError::conflict("This workspace already has a Whatsapp Twilio integration for this phone number")
    } else {
        ApiError::conflict(format!("This workspace already has a {} integration", kind.name))
    }
}

/// The workspace's installed integrations, a bare array; filters `integration` (type id) and
/// `status`. Any member reads them (secrets never show); changing needs
/// `settings::integrations::manage`.
#[utoipa::path(get, path = "/integrations", tag = "integrations", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [IntegrationView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_integrations(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<IntegrationView>>> {
    let query = query.list(&state, &LIST, &[])?;
    let records = enspace_store::integrations::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(Json(records.into_iter().map(|r| view(&state, r)).collect::<ApiResult<_>>()?))
}

#[utoipa::path(get, path = "/integrations/{id}", tag = "integrations", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = IntegrationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_integration(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<IntegrationView>> {
    Ok(Json(view(&state, integration_of(&state, &ctx, id).await?)?))
}

/// `{integration*: <type id>, data*: {...}}` [wire]. Values are taken as raw JSON and checked
/// by hand, so that no parser message can ever quote a secret back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallInput {
    #[schema(value_type = i64)]
    pub integration: Option<Value>,
    #[schema(value_type = Object)]
    pub data: Option<Value>,
}

impl Input for InstallInput {}

fn data_object<'a>(
    details: &mut Vec<Detail>,
    data: Option<&'a Value>,
    required: bool,
) -> Option<&'a Map<String, Value>> {
    match data {
        Some(Value::Object(map)) => Some(map),
        None | Some(Value::Null) if !required => None,
        None | Some(Value::Null) => {
            details.push(Detail::new("data", "is required"));
            None
        }
        Some(_) => {
            details.push(Detail::new("data", "expected an object of settings"));
            None
        }
    }
}

/// Installs an integration (`settings::integrations::manage`): one per type per workspace, and
/// for WhatsApp one per phone number (409 otherwise).
#[utoipa::path(post, path = "/integrations", tag = "integrations", params(WorkspaceHeader), request_body = InstallInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = IntegrationView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn install(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<InstallInput>,
) -> ApiResult<(StatusCode, Json<IntegrationView>)> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Integrations))?;
    let mut details = Vec::new();
    let kind = match &input.integration {
        None | Some(Value::Null) => {
            details.push(Detail::new("integration", "is required"));
            None
        }
        Some(value) => {
            let found = crate::routes::id_of(value).and_then(integrations::by_id);
            if found.is_none() {
                details.push(Detail::new(
                    "integration",
                    format!("no integration type {value}; see /integrations/catalog"),
                ));
            }
            found
        }
    };
    let data = data_object(&mut details, input.data.as_ref(), true);
    let merged = match (kind, data) {
        (Some(kind), Some(data)) => {
            match integrations::merge(kind, &Settings::default(), data, &webhook_url(&state, kind)) {
                Ok(merged) => Some(merged),
                Err(problems) => {
                    details.extend(problems);
                    None
                }
            }
        }
        _ => None,
    };
    ApiError::check(details)?;
    let (kind, merged) = (kind.expect("checked"), merged.expect("checked"));
    let unique = integrations::unique_key(kind, &merged.public);
    let installed = enspace_engine::integrations::install(
        &state.db,
        &state.keyring,
        ctx.workspace.id,
        kind.id,
        &unique,
        &merged.public,
        &merged.secrets,
    )
    .await;
    let id = match installed {
        Err(StoreError::Conflict(_)) => return Err(conflict(kind)),
        other => other?,
    };
    Ok((StatusCode::CREATED, Json(view(&state, integration_of(&state, &ctx, id).await?)?)))
}

/// `{data, status}` [ours]: `data` merges key by key (`null` clears an optional setting; an
/// absent secret keeps its stored value); `status` is `active` or `inactive`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    pub status: Option<String>,
}

impl Input for UpdateInput {
    const READ_ONLY: &'static [&'static str] = &["integration", "configured_secrets"];
}

#[utoipa::path(put, path = "/integrations/{id}", tag = "integrations", params(WorkspaceHeader, ("id" = i64, Path)), request_body = UpdateInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = IntegrationView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_integration(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<UpdateInput>,
) -> ApiResult<Json<IntegrationView>> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Integrations))?;
    let mut record = integration_of(&state, &ctx, id).await?;
    let kind = kind_of(&record)?;
    let mut details = Vec::new();
    if let Some(status) = input.status.as_deref() {
        if !["active", "inactive"].contains(&status) {
            details.push(Detail::new("status", format!("expected active or inactive, got {status:?}")));
        }
    }
    let sent = data_object(&mut details, input.data.as_ref(), false).cloned().unwrap_or_default();
    let stored = Settings { public: record.data.clone(), secrets: open_secrets(&state, &record)? };
    let merged = match integrations::merge(kind, &stored, &sent, &webhook_url(&state, kind)) {
        Ok(merged) => Some(merged),
        Err(problems) => {
            details.extend(problems);
            None
        }
    };
    ApiError::check(details)?;
    let merged = merged.expect("checked");
    record.data = merged.public;
    if let Some(status) = input.status {
        record.status = status;
    }
    let unique = integrations::unique_key(kind, &record.data);
    match enspace_engine::integrations::update(&state.db, &state.keyring, &record, &unique, &merged.secrets).await {
        Err(StoreError::Conflict(_)) => return Err(conflict(kind)),
        other => other?,
    }
    Ok(Json(view(&state, integration_of(&state, &ctx, id).await?)?))
}

/// Checks the stored credentials against the provider with one harmless call (needs
/// `settings::integrations::manage`: it spends the credentials). Always a 200: `ok` says whether
/// the provider accepted them, `message` why not; a provider failure is never a 500.
#[utoipa::path(post, path = "/integrations/{id}/test", tag = "integrations", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = IntegrationTestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_integration(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<IntegrationTestView>> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Integrations))?;
    let record = integration_of(&state, &ctx, id).await?;
    let checked = enspace_engine::integrations::check(&state.keyring, &state.providers, &record).await;
    Ok(Json(IntegrationTestView { ok: checked.ok, message: checked.message }))
}

/// Uninstalls: the row and its sealed secrets are destroyed. Answers the integration as it was.
#[utoipa::path(delete, path = "/integrations/{id}", tag = "integrations", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = IntegrationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn uninstall(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<IntegrationView>> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Integrations))?;
    let record = integration_of(&state, &ctx, id).await?;
    let answer = view(&state, record.clone())?;
    enspace_engine::integrations::uninstall(&state.db, &record).await?;
    Ok(Json(answer))
}

/// A chat request [ours]: `messages` as `{role, content}` with role `system`, `user` or
/// `assistant`; `model` defaults to the integration's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatInput {
    pub messages: Option<Vec<ChatMessage>>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    pub role: Option<String>,
    pub content: Option<String>,
}

impl Input for ChatInput {}

/// Messages per chat request [ours].
const CHAT_MESSAGES_MAX: usize = 100;

/// Calls the chat-completions API synchronously (`ai::chat::use`) and answers
/// `{content, model, usage}`; the tokens are recorded for the workspace. A provider failure is
/// a 502 with the provider's message, never a 500.
#[utoipa::path(post, path = "/integrations/{id}/chat", tag = "integrations", params(WorkspaceHeader, ("id" = i64, Path)), request_body = ChatInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ChatView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn chat(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<ChatInput>,
) -> ApiResult<Json<ChatView>> {
    ctx.authorize(Action::use_feature("ai::chat::use"))?;
    let record = integration_of(&state, &ctx, id).await?;
    if record.integration_type != integrations::OPENAI {
        return Err(ApiError::not_found(INTEGRATION_NOT_FOUND));
    }
    let mut details = Vec::new();
    let mut messages = Vec::new();
    match &input.messages {
        None => details.push(Detail::new("messages", "is required")),
        Some(list) if list.is_empty() || list.len() > CHAT_MESSAGES_MAX => details
            .push(Detail::new("messages", format!("expected 1 to {CHAT_MESSAGES_MAX} messages, got {}", list.len()))),
        Some(list) => {
            for (i, m) in list.iter().enumerate() {
                let role = m.role.as_deref().unwrap_or_default();
                if !["system", "user", "assistant"].contains(&role) {
                    details.push(Detail::new(
                        format!("messages[{i}].role"),
                        format!("expected system, user or assistant, got {role:?}"),
                    ));
                }
                match m.content.as_deref() {
                    Some(c) if !c.is_empty() => messages.push((role.to_string(), c.to_string())),
                    _ => details.push(Detail::new(format!("messages[{i}].content"), "is required")),
                }
            }
        }
    }
    if input.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        details.push(Detail::new("temperature", "must be between 0 and 2"));
    }
    if input.max_tokens.is_some_and(|m| !(1..=1_000_000).contains(&m)) {
        details.push(Detail::new("max_tokens", "must be between 1 and 1000000"));
    }
    ApiError::check(details)?;
    if record.status != "active" {
        return Err(ApiError::conflict("The integration is inactive"));
    }
    let chat = Chat {
        messages: &messages,
        model: input.model.as_deref(),
        temperature: input.temperature,
        max_tokens: input.max_tokens,
        user_id: Some(ctx.principal.user.id),
    };
    let answer =
        match enspace_engine::integrations::chat(&state.db, &state.keyring, &state.providers, &record, chat).await {
            Ok(answer) => answer,
            Err(ChatError::Provider(message)) => return Err(ApiError::new(StatusCode::BAD_GATEWAY, message)),
            Err(ChatError::Secrets(message)) => return Err(ApiError::internal(message)),
            Err(ChatError::Store(e)) => return Err(e.into()),
        };
    Ok(Json(ChatView {
        content: answer.content,
        model: answer.model,
        usage: ChatUsage {
            prompt_tokens: answer.usage.prompt_tokens,
            completion_tokens: answer.usage.completion_tokens,
            total_tokens: answer.usage.total_tokens,
        },
    }))
}

/// A catalogue entry: the integration type object [wire] with the JSON Schema of its `data`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueEntry {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub kind: Value,
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// An installed integration [wire]; secrets never appear, `configured_secrets` names the set ones.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub id: i64,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    #[schema(value_type = Object)]
    pub integration: Value,
    /// `active` or `inactive`.
    pub status: String,
    pub configured_secrets: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl IntegrationView {
    pub fn new(
        record: enspace_store::integrations::IntegrationRecord,
        kind: Value,
        configured_secrets: Vec<String>,
    ) -> Self {
        IntegrationView {
            id: record.id,
            data: record.data,
            integration: kind,
            status: record.status,
            configured_secrets,
            created_at: format_ms(record.created_at),
            updated_at: format_ms(record.updated_at),
        }
    }
}

/// A chat completion [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatView {
    pub content: String,
    pub model: String,
    pub usage: ChatUsage,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatUsage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
}

/// What `POST /integrations/{id}/test` found [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationTestView {
    pub ok: bool,
    pub message: String,
}
