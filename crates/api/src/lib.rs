//! The HTTP API: one router assembled from one module per resource (`routes/`), thin handlers,
//! authentication and the workspace as extractors (`extract/`), one error type (`error`), and
//! an OpenAPI document generated from the same route declarations (`openapi`).

pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod views;

use std::sync::Arc;

use axum::{extract::DefaultBodyLimit, Router};
use enspace_domain::{list::Paging, secrets::Keyring};
use enspace_engine::{files::FileStore, jobs::Jobs, request_log::RequestLogSink};
use enspace_integrations::Providers;
use enspace_store::Db;
use rate_limit::{RateLimits, RateSettings};
use utoipa_axum::router::OpenApiRouter;

/// The API's settings, from the server configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Where clients reach this server (invitation links are built from it).
    pub public_url: String,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Largest uploaded file, in bytes.
    pub file_limit: usize,
    pub paging: Paging,
    pub rate: RateSettings,
    /// Webhooks may call loopback, private and link-local addresses, over `http://` too
    /// (`--allow-private-webhooks`: tests and closed networks).
    pub allow_private_webhooks: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            public_url: "http://127.0.0.1:8080".into(),
            body_limit: 1024 * 1024,
            file_limit: enspace_domain::files::DEFAULT_FILE_LIMIT,
            paging: Paging::default(),
            rate: RateSettings::default(),
            allow_private_webhooks: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<ApiConfig>,
    pub request_log: RequestLogSink,
    pub metrics: Arc<metrics::Metrics>,
    pub rate_limits: Arc<RateLimits>,
    pub files: FileStore,
    /// The master keys integration secrets are sealed with.
    pub keyring: Arc<Keyring>,
    /// The job handlers; routes ring it after enqueueing.
    pub jobs: Jobs,
    /// Provider clients and server-wide accounts (webhook verification uses the latter).
    pub providers: Providers,
    /// Open event streams per credential (`routes::events`).
    pub streams: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    /// Set when the server begins to stop: answers that never end (event streams) end then, so
    /// a graceful stop does not wait for them.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Types' definitions under their workspace's structure version.
    pub structure: enspace_engine::structure_cache::StructureCache,
}

impl AppState {
    pub fn new(
        db: Db,
        config: ApiConfig,
        request_log: RequestLogSink,
        files: FileStore,
        keyring: Arc<Keyring>,
        jobs: Jobs,
        providers: Providers,
    ) -> AppState {
        AppState {
            db,
            files,
            keyring,
            jobs,
            providers,
            rate_limits: Arc::new(RateLimits::new(config.rate)),
            config: Arc::new(config),
            request_log,
            metrics: Arc::default(),
            streams: Arc::default(),
            stopping: Arc::new(tokio::sync::watch::channel(false).0),
            structure: Default::default(),
        }
    }
}

/// Every route, documented: the one place the API is assembled.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .merge(routes::ops::routes())
        .merge(routes::workspaces::routes())
        .merge(routes::ws::routes())
        .merge(routes::user::routes())
        .merge(routes::api_keys::routes())
        .merge(routes::request_logs::routes())
        .merge(routes::types::routes())
        .merge(routes::fields::routes())
        .merge(routes::items::routes())
        .merge(routes::forms::routes())
        .merge(routes::files::routes())
        .merge(routes::roles::routes())
        .merge(routes::members::routes())
        .merge(routes::member_groups::routes())
        .merge(routes::auth::routes())
        .merge(routes::integrations::routes())
        .merge(routes::emails::routes())
        .merge(routes::conversations::routes())
        .merge(routes::signature_requests::routes())
        .merge(routes::calendar::routes())
        .merge(routes::flows::routes())
        .merge(routes::stages::routes())
        .merge(routes::stage_tasks::routes())
        .merge(routes::responsibility_rules::routes())
        .merge(routes::flow_items::routes())
        .merge(routes::schedule_tasks::routes())
        .merge(routes::quick_tasks::routes())
        .merge(routes::notification_settings::routes())
        .merge(routes::transitions::routes())
        .merge(routes::callbacks::routes())
        .merge(routes::webhooks::routes())
        .merge(routes::events::routes())
}

/// The routes and the document that describes them (with the shared answers added).
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut api) = api_routes().split_for_parts();
    openapi::complete(&mut api);
    (routes, api)
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// The application: routes, docs, fallbacks and the middleware every request passes through.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The application with `extra` routes merged under the same middleware (tests use it to
/// exercise failure paths, such as a handler that panics).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let (routes, api) = documented();
    routes
        .merge(routes::ops::docs(api))
        .merge(extra)
        .fallback(routes::ops::not_found)
        .method_not_allowed_fallback(routes::ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::header_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .with_state(state)
}
