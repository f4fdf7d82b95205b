//! Operations: health, readiness, metrics, the OpenAPI document and its docs page, fallbacks.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

use crate::{error::ApiError, extract::Public, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(ready)).routes(routes!(metrics))
}

/// `/openapi.json` and `/docs` (Swagger UI, embedded in the binary: no network needed).
pub fn docs(api: utoipa::openapi::OpenApi) -> SwaggerUi {
    SwaggerUi::new("/docs").url("/openapi.json", api)
}

#[derive(Serialize, ToSchema)]
pub struct HealthView {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = HealthView)))]
pub async fn health(_: Public) -> Json<HealthView> {
    Json(HealthView { status: "ok" })
}

/// The database and the file store answer (a load balancer sends no traffic to a process that
/// cannot serve it).
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, body = HealthView), (status = 503, body = crate::error::ErrorBody)))]
pub async fn ready(_: Public, State(state): State<AppState>) -> Result<Json<HealthView>, ApiError> {
    if let Err(error) = state.db.ping().await {
        tracing::warn!(%error, "readiness check failed: database");
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "Database unavailable"));
    }
    // Bounded: a store that does not answer is as unready as one that refuses.
    let files = tokio::time::timeout(READY_FILES_WITHIN, state.files.check()).await;
    match files {
        Ok(Ok(())) => Ok(Json(HealthView { status: "ready" })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed: file store");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "File store unavailable"))
        }
        Err(_) => {
            tracing::warn!("readiness check failed: the file store did not answer in time");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "File store unavailable"))
        }
    }
}

const READY_FILES_WITHIN: std::time::Duration = std::time::Duration::from_secs(3);

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(_: Public, State(state): State<AppState>) -> impl IntoResponse {
    let (open, idle) = state.db.pool_stats();
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.render(open, idle),
    )
}

pub async fn not_found(_: Public) -> ApiError {
    ApiError::not_found("Route not found")
}

pub async fn method_not_allowed(_: Public) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed on this route")
}
