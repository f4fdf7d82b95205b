//! Outgoing webhooks [ours, spec/events.md § Webhooks]: `/ws/webhooks` CRUD and count,
//! `rotate-secret`, the delivery log and the test ping. Managing them needs
//! `settings::integrations::manage`; what a webhook delivers is what its creator may read,
//! checked at each delivery (`engine::webhooks`). The secret is answered twice only: when the
//! webhook is created and when it is rotated.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{Action, SettingsArea},
    time::format_ms,
    webhooks::{check_events, check_url, MAX_PER_WORKSPACE, PREVIOUS_SECRET_HOURS},
    workspace::check_text,
    Detail,
};
use enspace_store::webhooks::{DeliveryRecord, WebhookRecord, WebhookValues, DELIVERIES, LIST};
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
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(count_webhooks))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(count_deliveries))
        .routes(routes!(test_webhook))
}

pub const WEBHOOK_NOT_FOUND: &str = "Webhook not found";
const DESCRIPTION_MAX: usize = 500;

/// A webhook [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// Kind patterns: an exact kind, `<resource>.*` or `*`.
    pub events: Vec<String>,
    /// Type slugs; empty for every type.
    pub item_types: Vec<String>,
    pub active: bool,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    /// The last attempt: `{at, status, error}`; null before the first.
    pub last_delivery: Option<LastDelivery>,
    /// Why the server turned the webhook off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastDelivery {
    pub at: String,
    /// The receiver's status; null when there was no answer.
    pub status: Option<i64>,
    pub error: Option<String>,
}

impl From<WebhookRecord> for WebhookView {
    fn from(hook: WebhookRecord) -> Self {
        WebhookView {
            id: hook.id,
            url: hook.url,
            events: hook.events,
            item_types: hook.item_types,
            active: hook.active,
            description: hook.description,
            created_at: format_ms(hook.created_at),
            updated_at: format_ms(hook.updated_at),
            last_delivery: hook.last_delivery_at.map(|at| LastDelivery {
                at: format_ms(at),
                status: hook.last_delivery_status,
                error: hook.last_delivery_error,
            }),
            disabled_reason: hook.disabled_reason,
        }
    }
}

/// A webhook with its secret, answered once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecretView {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` and 32 characters: the HMAC key of `x-enspace-signature`. Shown this once.
    pub secret: String,
}

/// One attempt to deliver [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The event's id (null for a ping); `x-enspace-delivery` carries it.
    pub event: Option<i64>,
    pub delivery: String,
    pub kind: String,
    pub attempt: i64,
    /// The receiver's status; null when there was no answer (refused, timed out).
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub at: String,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(d: DeliveryRecord) -> Self {
        DeliveryView {
            id: d.id,
            event: d.event_id,
            delivery: d.delivery,
            kind: d.kind,
            attempt: d.attempt,
            status: d.status,
            duration_ms: d.duration_ms,
            error: d.error,
            at: format_ms(d.at),
        }
    }
}

fn manager(ctx: &WsCtx) -> ApiResult<()> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Integrations)).map(|_| ())
}

async fn webhook_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<WebhookRecord> {
    enspace_store::webhooks::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(WEBHOOK_NOT_FOUND))
}

/// `{url*, events*, item_types, active, description}` [ours].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `https://` (or `http://` with `--allow-private-webhooks`), not a private address.
    pub url: Option<String>,
    /// Kind patterns: an exact kind, `<resource>.*` or `*`; at least one.
    pub events: Option<Vec<String>>,
    /// Type slugs of this workspace; absent or empty for every type.
    pub item_types: Option<Vec<String>>,
    pub active: Option<bool>,
    pub description: Option<String>,
}

impl Input for WebhookInput {
    const READ_ONLY: &'static [&'static str] = &["secret", "last_delivery", "disabled_reason"];
}

/// The settings `input` asks for over `current`, checked; every problem is reported at once.
async fn checked(
    state: &AppState,
    ctx: &WsCtx,
    input: WebhookInput,
    current: Option<&WebhookRecord>,
) -> ApiResult<(String, Vec<String>, Vec<String>, bool, String)> {
    let mut details = Vec::new();
    let url = match (input.url, current) {
        (Some(url), _) => match check_url(&url, state.config.allow_private_webhooks) {
            Ok(url) => url.to_string(),
            Err(message) => {
                details.push(Detail::new("url", message));
                String::new()
            }
        },
        (None, Some(hook)) => hook.url.clone(),
        (None, None) => {
            details.push(Detail::new("url", "is required"));
            String::new()
        }
    };
    let events = match (input.events, current) {
        (Some(events), _) => {
            if events.is_empty() {
                details.push(Detail::new("events", "expected at least one kind pattern"));
            }
            for (i, message) in check_events(&events) {
                details.push(Detail::new(format!("events[{i}]"), message));
            }
            events
        }
        (None, Some(hook)) => hook.events.clone(),
        (None, None) => {
            details.push(Detail::new("events", "is required"));
            Vec::new()
        }
    };
    let item_types = match (input.item_types, current) {
        (Some(slugs), _) => {
            let known = enspace_store::types::all(&state.db, ctx.workspace.id).await?;
            let mut out: Vec<String> = Vec::new();
            for (i, slug) in slugs.into_iter().enumerate() {
                if !known.iter().any(|t| t.slug == slug) {
                    details
                        .push(Detail::new(format!("item_types[{i}]"), format!("no type {slug:?} in this workspace")));
                } else if !out.contains(&slug) {
                    out.push(slug);
                }
            }
            out
        }
        (None, Some(hook)) => hook.item_types.clone(),
        (None, None) => Vec::new(),
    };
    check_text(&mut details, "description", input.description.as_deref(), false, DESCRIPTION_MAX);
    ApiError::check(details)?;
    let active = input.active.or(current.map(|h| h.active)).unwrap_or(true);
    let description = input.description.or(current.map(|h| h.description.clone())).unwrap_or_default();
    Ok((url, events, item_types, active, description))
}

/// Filters: `active`, `url`, `created_at`, `updated_at`; `_q` on the URL and description.
#[utoipa::path(get, path = "/ws/webhooks", tag = "webhooks", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [WebhookView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<WebhookView>>> {
    manager(&ctx)?;
    let query = query.list(&state, &LIST, &[])?;
    let hooks = enspace_store::webhooks::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(Json(hooks.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/ws/webhooks/count", tag = "webhooks", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn count_webhooks(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    manager(&ctx)?;
    let query = query.list(&state, &LIST, &[])?;
    Ok(Json(enspace_store::webhooks::count(&state.db, ctx.workspace.id, &query).await?))
}

#[utoipa::path(get, path = "/ws/webhooks/{id}", tag = "webhooks", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = WebhookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<WebhookView>> {
    manager(&ctx)?;
    Ok(Json(webhook_of(&state, &ctx, id).await?.into()))
}

/// Creates a webhook; it receives the events written from now on (no backfill). The answer
/// carries its secret, shown this once. At most 20 per workspace.
#[utoipa::path(post, path = "/ws/webhooks", tag = "webhooks", params(WorkspaceHeader), request_body = WebhookInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = WebhookWithSecretView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecretView>)> {
    manager(&ctx)?;
    let (url, events, item_types, active, description) = checked(&state, &ctx, input, None).await?;
    if enspace_store::webhooks::count_all(&state.db, ctx.workspace.id).await? >= MAX_PER_WORKSPACE {
        return Err(ApiError::conflict(format!("A workspace has at most {MAX_PER_WORKSPACE} webhooks")));
    }
    let values =
        WebhookValues { url: &url, events: &events, item_types: &item_types, active, description: &description };
    let created =
        enspace_engine::webhooks::create(&state.db, &state.keyring, ctx.workspace.id, &values, ctx.principal.user.id)
            .await?;
    let webhook = webhook_of(&state, &ctx, created.id).await?.into();
    Ok((StatusCode::CREATED, Json(WebhookWithSecretView { webhook, secret: created.secret })))
}

/// Changes what is sent; turned on again, a webhook receives the events written from then on.
#[utoipa::path(put, path = "/ws/webhooks/{id}", tag = "webhooks", params(WorkspaceHeader, ("id" = i64, Path)), request_body = WebhookInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = WebhookView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<Json<WebhookView>> {
    manager(&ctx)?;
    let hook = webhook_of(&state, &ctx, id).await?;
    let (url, events, item_types, active, description) = checked(&state, &ctx, input, Some(&hook)).await?;
    let values =
        WebhookValues { url: &url, events: &events, item_types: &item_types, active, description: &description };
    enspace_engine::webhooks::update(&state.db, &hook, &values).await?;
    Ok(Json(webhook_of(&state, &ctx, id).await?.into()))
}

/// Deletes the webhook and its delivery log. Answers it as it was.
#[utoipa::path(delete, path = "/ws/webhooks/{id}", tag = "webhooks", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = WebhookView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<WebhookView>> {
    manager(&ctx)?;
    let hook = webhook_of(&state, &ctx, id).await?;
    enspace_engine::webhooks::delete(&state.db, &hook).await?;
    Ok(Json(hook.into()))
}

/// `{expire_previous_in_hours}` (0–24, default 24) [ours, decision 80].
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateInput {
    pub expire_previous_in_hours: Option<i64>,
}

impl Input for RotateInput {}

/// A new secret, shown this once. The one it replaces keeps signing beside it (its `v1=` second)
/// for `expire_previous_in_hours`; one rotated out before that stops at once.
#[utoipa::path(post, path = "/ws/webhooks/{id}/rotate-secret", tag = "webhooks", params(WorkspaceHeader, ("id" = i64, Path)),
    request_body(content = Option<RotateInput>), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = WebhookWithSecretView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    input: Option<ApiJson<RotateInput>>,
) -> ApiResult<Json<WebhookWithSecretView>> {
    manager(&ctx)?;
    let hook = webhook_of(&state, &ctx, id).await?;
    let hours = input.and_then(|ApiJson(i)| i.expire_previous_in_hours).unwrap_or(PREVIOUS_SECRET_HOURS);
    if !(0..=PREVIOUS_SECRET_HOURS).contains(&hours) {
        return Err(ApiError::validation(vec![Detail::new(
            "expire_previous_in_hours",
            format!("expected 0 to {PREVIOUS_SECRET_HOURS}, got {hours}"),
        )]));
    }
    let secret = enspace_engine::webhooks::rotate(&state.db, &state.keyring, &hook, hours).await?;
    let webhook = webhook_of(&state, &ctx, id).await?.into();
    Ok(Json(WebhookWithSecretView { webhook, secret }))
}

/// The webhook's attempts, newest first by default (decision 83). Filters: `event`, `kind`,
/// `status`, `at`.
#[utoipa::path(get, path = "/ws/webhooks/{id}/deliveries", tag = "webhooks", params(WorkspaceHeader, ("id" = i64, Path), ListParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [DeliveryView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    query: QueryPairs,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    manager(&ctx)?;
    let hook = webhook_of(&state, &ctx, id).await?;
    let query = query.list(&state, &DELIVERIES, &[])?;
    let deliveries = enspace_store::webhooks::deliveries(&state.db, hook.id, &query).await?;
    Ok(Json(deliveries.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/ws/webhooks/{id}/deliveries/count", tag = "webhooks", params(WorkspaceHeader, ("id" = i64, Path), ListParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn count_deliveries(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    query: QueryPairs,
) -> ApiResult<Json<i64>> {
    manager(&ctx)?;
    let hook = webhook_of(&state, &ctx, id).await?;
    let query = query.list(&state, &DELIVERIES, &[])?;
    Ok(Json(enspace_store::webhooks::count_deliveries(&state.db, hook.id, &query).await?))
}

/// Sends a `ping` now, also to an inactive webhook, and answers the delivery — a 200 whatever
/// the receiver said (its status and error are in the answer); never retried.
#[utoipa::path(post, path = "/ws/webhooks/{id}/test", tag = "webhooks", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = DeliveryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_webhook(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<DeliveryView>> {
    manager(&ctx)?;
    let hook = webhook_of(&state, &ctx, id).await?;
    let allow_private = state.config.allow_private_webhooks;
    let reference = &ctx.workspace.reference;
    let delivery =
        enspace_engine::webhooks::ping(&state.db, &state.keyring, &hook, reference, allow_private, &ctx.author("api"))
            .await?;
    Ok(Json(delivery.into()))
}
