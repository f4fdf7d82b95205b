//! Deadline notification settings [ours, spec/flows-and-tasks.md § Deadline notifications;
//! decisions 61, 62]: `GET` and `PUT /ws/notification-settings`, both with
//! `settings::system::manage`. `email_integration` is computed (an active SendGrid
//! integration now) and ignored on PUT.

use axum::{extract::State, Json};
use enspace_domain::{
    access::{Action, SettingsArea},
    notifications::{check_settings, KindSettings, Rule, Settings},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, WsCtx},
    openapi::WorkspaceHeader,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_notification_settings, update_notification_settings))
}

/// When and what the workspace's tasks notify before and after their due dates [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettingsView {
    pub quick_tasks: KindView,
    pub scheduled_tasks: KindView,
    /// Whether an active email integration sends them now (without one nothing goes out).
    pub email_integration: bool,
}

/// One kind of task: `custom: false` sends the three defaults (1 day before, at, 1 day after
/// the due date); `custom: true` sends `rules` instead (none: nothing).
#[derive(Debug, Serialize, ToSchema)]
pub struct KindView {
    pub custom: bool,
    pub rules: Vec<RuleView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// The server's id; a change of `when` or `unit` gives a new one.
    pub id: String,
    /// Before (negative) or after (positive) the due date, in `unit`s.
    pub when: i64,
    /// `minutes`, `hours`, `days` or `weeks`.
    pub unit: String,
    /// `{{task.name}}`, `{{task.due_date}}`, `{{reference}}` and `{{data.<refId>}}` are filled.
    pub subject: String,
    pub body: String,
}

fn kind(settings: &KindSettings) -> KindView {
    let rule = |r: &Rule| RuleView {
        id: r.id.clone(),
        when: r.when,
        unit: r.unit.clone(),
        subject: r.subject.clone(),
        body: r.body.clone(),
    };
    KindView { custom: settings.custom, rules: settings.rules.iter().map(rule).collect() }
}

fn view(settings: &Settings, email_integration: bool) -> NotificationSettingsView {
    NotificationSettingsView {
        quick_tasks: kind(&settings.quick_tasks),
        scheduled_tasks: kind(&settings.scheduled_tasks),
        email_integration,
    }
}

fn manager(ctx: &WsCtx) -> ApiResult<()> {
    ctx.authorize(Action::ManageSettings(SettingsArea::System)).map(|_| ())
}

#[utoipa::path(get, path = "/ws/notification-settings", tag = "tasks", params(WorkspaceHeader), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = NotificationSettingsView), (status = 403, body = ErrorBody)))]
pub async fn get_notification_settings(
    State(state): State<AppState>,
    ctx: WsCtx,
) -> ApiResult<Json<NotificationSettingsView>> {
    Ok(Json(get(&state, &ctx).await?))
}

/// The settings as `GET /ws/notification-settings` answers them (the console's page too).
pub async fn get(state: &AppState, ctx: &WsCtx) -> ApiResult<NotificationSettingsView> {
    manager(ctx)?;
    let settings = enspace_engine::notifications::settings(&state.db, ctx.workspace.id).await?;
    let integrated = enspace_engine::notifications::email_integration(&state.db, ctx.workspace.id).await?;
    Ok(view(&settings, integrated))
}

/// Replaces the parts `body` sends and plans open tasks again.
pub async fn update(state: &AppState, ctx: &WsCtx, body: &Map<String, Value>) -> ApiResult<NotificationSettingsView> {
    manager(ctx)?;
    let stored = enspace_engine::notifications::settings(&state.db, ctx.workspace.id).await?;
    let settings = check_settings(body, &stored).map_err(ApiError::validation)?;
    enspace_engine::notifications::update_settings(&state.db, ctx.workspace.id, &settings).await?;
    state.jobs.wake();
    let integrated = enspace_engine::notifications::email_integration(&state.db, ctx.workspace.id).await?;
    Ok(view(&settings, integrated))
}

/// `{quick_tasks: {custom, rules}, scheduled_tasks: {custom, rules}}`, each part optional; a
/// rule is `{id?, when*, unit*, subject*, body*}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = Object)]
#[serde(transparent)]
pub struct NotificationSettingsInput(pub Map<String, Value>);

impl Input for NotificationSettingsInput {}

/// Replaces the parts sent. Open tasks are planned again for the new rules (in the background);
/// notifications already sent are not sent again.
#[utoipa::path(put, path = "/ws/notification-settings", tag = "tasks", params(WorkspaceHeader), request_body = NotificationSettingsInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = NotificationSettingsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_notification_settings(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(NotificationSettingsInput(body)): ApiJson<NotificationSettingsInput>,
) -> ApiResult<Json<NotificationSettingsView>> {
    Ok(Json(update(&state, &ctx, &body).await?))
}
