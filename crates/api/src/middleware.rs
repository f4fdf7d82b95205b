//! What every request passes through: its id, a log span, metrics, and the request log.

use std::{
    any::Any,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    body::Body,
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};
use enspace_domain::time::now_ms;
use enspace_store::request_logs::RequestLog;
use tracing::Instrument;

use crate::{
    error::ApiError,
    metrics::{RequestLabels, RouteLabels},
    rate_limit::Decision,
    request_id, AppState,
};

/// What the extractors learn about a request, read after the response: who it was (for the
/// request-log row; unauthenticated requests leave it empty and are not recorded) and the
/// rate-limit decision (for the `x-ratelimit-*` headers).
#[derive(Debug, Default, Clone)]
pub struct RequestInfo {
    pub user_id: Option<i64>,
    pub key_id: Option<i64>,
    pub key_reference: Option<String>,
    pub workspace: Option<String>,
    pub rate: Option<Decision>,
}

#[derive(Clone, Default)]
pub struct RequestSlot(pub Arc<Mutex<RequestInfo>>);

impl RequestSlot {
    pub fn update(&self, f: impl FnOnce(&mut RequestInfo)) {
        if let Ok(mut info) = self.0.lock() {
            f(&mut info);
        }
    }
}

/// Query parameters whose values are never recorded.
fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["key", "token", "secret", "password", "passwd", "signature", "sig", "auth", "credential", "code"]
        .iter()
        .any(|s| name.contains(s))
}

/// The query string with the values of secret-looking parameters replaced.
pub fn redact_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if is_secret_name(&name) {
            out.append_pair(&name, "[redacted]");
        } else {
            out.append_pair(&name, &value);
        }
    }
    out.finish()
}

pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let started_at = now_ms();
    let id = request_id::choose(request.headers().get("x-request-id").and_then(|v| v.to_str().ok()));
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let ip = peer_address(request.extensions()).map(|a| a.to_string());
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(256).collect::<String>());
    let slot = RequestSlot::default();
    request.extensions_mut().insert(slot.clone());

    let span = tracing::info_span!("request", request_id = %id, %method, route = %route);
    let mut response = request_id::scope(id.clone(), next.run(request)).instrument(span.clone()).await;

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    span.in_scope(|| tracing::info!(status, duration_ms = elapsed.as_secs_f64() * 1000.0, "request"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    state.metrics.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
    state.metrics.latency.get_or_create(&RouteLabels { method: method.clone(), route }).observe(elapsed.as_secs_f64());

    let info = slot.0.lock().map(|i| i.clone()).unwrap_or_default();
    if let Some(rate) = info.rate {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", rate.limit.into());
        headers.insert("x-ratelimit-remaining", rate.remaining.into());
        headers.insert("x-ratelimit-reset", rate.reset.into());
    }
    if let Some(user_id) = info.user_id {
        let queued = state.request_log.record(RequestLog {
            id: 0,
            user_id,
            created_at: started_at,
            method,
            path,
            query: redact_query(&query),
            status: status as i64,
            duration_ms: (elapsed.as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
            workspace: info.workspace,
            key_id: info.key_id,
            key_reference: info.key_reference,
            ip,
            user_agent,
            request_id: id,
        });
        if !queued {
            state.metrics.request_log_dropped.inc();
        }
    }
    response
}

fn peer_address(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// The address a request is rate-limited by; requests that arrive without a peer address
/// (in-process tests) share one bucket.
pub fn client_address(extensions: &axum::http::Extensions) -> IpAddr {
    peer_address(extensions).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Most request headers a request may carry [ours]: browsers and SDKs send a few dozen.
pub const MAX_HEADERS: usize = 100;

/// More headers than [`MAX_HEADERS`] is a 431 in the error shape (hyper's own limit, far above
/// this, would answer without a body).
pub async fn header_limit(request: Request, next: Next) -> Response {
    let count = request.headers().len();
    if count > MAX_HEADERS {
        return ApiError::new(
            axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("Too many request headers: {count}, at most {MAX_HEADERS}"),
        )
        .into_response();
    }
    next.run(request).await
}

/// A handler that panicked answers a bare 500 with the request id; the panic is logged.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".to_string());
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_query_values() {
        assert_eq!(redact_query(""), "");
        assert_eq!(redact_query("_limit=10&name_contains=a+b"), "_limit=10&name_contains=a+b");
        assert_eq!(
            redact_query("api_key=en.x&token=t&Password=p&x=1"),
            "api_key=%5Bredacted%5D&token=%5Bredacted%5D&Password=%5Bredacted%5D&x=1"
        );
    }
}
