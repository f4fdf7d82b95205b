//! The workspace calendar [ours, spec/flows-and-tasks.md § Due dates, decisions 49–51]:
//! `GET /ws/calendar` (every active member: clients need the zone to read and send dates),
//! `PUT /ws/calendar` (partial: present keys replace) and `POST /ws/calendar/holidays/sync`,
//! both with `settings::system::manage`.

use axum::{extract::State, Json};
use enspace_domain::{
    access::{Action, SettingsArea},
    calendar::{Calendar, WireParts, HOLIDAY_COUNTRIES},
    Detail,
};
use enspace_engine::calendar::CalendarError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, WsCtx},
    openapi::WorkspaceHeader,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_calendar, update_calendar)).routes(routes!(sync_holidays))
}

/// Years a holiday sync accepts [ours].
const YEARS: std::ops::RangeInclusive<i64> = 1900..=2199;

/// A workspace calendar [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    /// An IANA time zone name: local dates and times of due dates, and of dates sent without a
    /// zone.
    pub time_zone: String,
    /// ISO weekdays, 1 = Monday … 7 = Sunday.
    #[schema(value_type = Vec<i64>)]
    pub work_days: Value,
    /// `[{start, end}]`, local `HH:MM`, ordered and not overlapping.
    #[schema(value_type = Vec<Object>)]
    pub work_hours: Value,
    /// `[{date, name}]`, `YYYY-MM-DD`, by date.
    #[schema(value_type = Vec<Object>)]
    pub holidays: Value,
}

impl From<&Calendar> for CalendarView {
    fn from(calendar: &Calendar) -> Self {
        let wire = calendar.to_wire();
        CalendarView {
            time_zone: wire.time_zone,
            work_days: wire.work_days,
            work_hours: wire.work_hours,
            holidays: wire.holidays,
        }
    }
}

fn failed(error: CalendarError) -> ApiError {
    match error {
        CalendarError::UnknownCountry(message) => ApiError::validation(vec![Detail::new("country", message)]),
        CalendarError::Stored(message) => ApiError::internal(message),
        CalendarError::Store(e) => e.into(),
    }
}

#[utoipa::path(get, path = "/ws/calendar", tag = "workspaces", params(WorkspaceHeader), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = CalendarView), (status = 403, body = ErrorBody)))]
pub async fn get_calendar(State(state): State<AppState>, ctx: WsCtx) -> ApiResult<Json<CalendarView>> {
    Ok(Json(get(&state, &ctx).await?))
}

/// The calendar as `GET /ws/calendar` answers it.
pub async fn get(state: &AppState, ctx: &WsCtx) -> ApiResult<CalendarView> {
    ctx.authorize(Action::ReadWorkspace)?;
    let calendar = enspace_engine::calendar::get(&state.db, ctx.workspace.id).await.map_err(failed)?;
    Ok((&calendar).into())
}

/// `{time_zone, work_days, work_hours, holidays}`, each optional: a present key replaces its
/// part (`holidays` the whole list).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    pub time_zone: Option<String>,
    #[schema(value_type = Option<Vec<i64>>)]
    pub work_days: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub work_hours: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub holidays: Option<Value>,
}

impl Input for CalendarInput {}

/// Changes the calendar. Due dates already set do not move; later ones count on the new one.
#[utoipa::path(put, path = "/ws/calendar", tag = "workspaces", params(WorkspaceHeader), request_body = CalendarInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = CalendarView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_calendar(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<CalendarInput>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(update(&state, &ctx, input).await?))
}

/// Replaces the parts `input` sends.
pub async fn update(state: &AppState, ctx: &WsCtx, input: CalendarInput) -> ApiResult<CalendarView> {
    ctx.authorize(Action::ManageSettings(SettingsArea::System))?;
    let current = enspace_engine::calendar::get(&state.db, ctx.workspace.id).await.map_err(failed)?.to_wire();
    let parts = WireParts {
        time_zone: input.time_zone.unwrap_or(current.time_zone),
        work_days: input.work_days.unwrap_or(current.work_days),
        work_hours: input.work_hours.unwrap_or(current.work_hours),
        holidays: input.holidays.unwrap_or(current.holidays),
    };
    let calendar = Calendar::from_wire(&parts).map_err(ApiError::validation)?;
    enspace_engine::calendar::put(&state.db, ctx.workspace.id, &calendar).await?;
    Ok((&calendar).into())
}

/// `{country*, year*}` [ours]: `BR` or `US`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncInput {
    pub country: Option<String>,
    pub year: Option<i64>,
}

impl Input for SyncInput {}

/// Adds the country's national holidays of the year (Brazil's movable feasts included),
/// computed here, never fetched; a date already in the calendar keeps its name. Answers the
/// calendar.
#[utoipa::path(post, path = "/ws/calendar/holidays/sync", tag = "workspaces", params(WorkspaceHeader), request_body = SyncInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = CalendarView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sync_holidays(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<SyncInput>,
) -> ApiResult<Json<CalendarView>> {
    Ok(Json(sync(&state, &ctx, input).await?))
}

/// Adds a country's national holidays of a year.
pub async fn sync(state: &AppState, ctx: &WsCtx, input: SyncInput) -> ApiResult<CalendarView> {
    ctx.authorize(Action::ManageSettings(SettingsArea::System))?;
    let mut details = Vec::new();
    let country = input.country.as_deref().map(str::trim).unwrap_or_default().to_ascii_uppercase();
    if input.country.is_none() {
        details.push(Detail::new("country", format!("is required: one of {}", HOLIDAY_COUNTRIES.join(", "))));
    }
    let year = match input.year {
        None => {
            details.push(Detail::new("year", "is required"));
            0
        }
        Some(year) if !YEARS.contains(&year) => {
            details.push(Detail::new("year", format!("expected {} to {}, got {year}", YEARS.start(), YEARS.end())));
            0
        }
        Some(year) => year as i16,
    };
    ApiError::check(details)?;
    let calendar =
        enspace_engine::calendar::sync_holidays(&state.db, ctx.workspace.id, &country, year).await.map_err(failed)?;
    Ok((&calendar).into())
}
