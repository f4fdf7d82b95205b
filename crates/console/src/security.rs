//! What every console answer carries (console-design §4.6), and the error pages.
//!
//! - `Content-Security-Policy`: scripts only from this origin and only the embedded files
//!   (their SHA-384s), no inline script, no `eval` (htmx runs with `allowEval: false`), styles
//!   only from files, no framing, forms posting only here.
//! - `Cache-Control: no-store` on every page and fragment (they hold a company's data);
//!   embedded files keep their own long, immutable caching.
//! - `Vary: HX-Request`: one URL answers a full page or, to htmx, its fragment; a cache must
//!   never give one for the other.
//! - A handler's [`Failure`] becomes its page here, in the caller's language: a sign-in
//!   redirect (`HX-Redirect` for htmx), the 403 of a refused POST, or the page of the status.

use std::sync::LazyLock;

use askama::Template;
use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    assets,
    errors::Failure,
    format::Locale,
    i18n::Msg,
    pages::Page,
    session::{browser_locale, PageLocale},
};

static POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let scripts: Vec<String> = assets::all()
        .iter()
        .filter(|a| a.content_type.starts_with("text/javascript"))
        .map(|a| format!("'{}'", a.sri))
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' {}; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        scripts.join(" ")
    );
    HeaderValue::from_str(&policy).expect("a policy is ASCII")
});

/// Whether htmx made the request (it then wants a fragment).
pub(crate) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v.as_bytes() == b"true")
}

pub(crate) async fn headers(mut request: Request, next: Next) -> Response {
    let locale_slot = PageLocale::default();
    request.extensions_mut().insert(locale_slot.clone());
    let htmx = is_htmx(request.headers());
    let browser = browser_locale(request.headers());
    let current = request.headers().get("hx-current-url").and_then(|v| v.to_str().ok()).map(str::to_string);

    let mut response = next.run(request).await;
    if let Some(failure) = response.extensions_mut().remove::<Failure>() {
        let locale = locale_slot.get().unwrap_or(browser);
        response = render_failure(failure, locale, htmx, current.as_deref(), response);
    }

    let headers = response.headers_mut();
    // A file download keeps its own, stricter policy (a sandbox).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, POLICY.clone());
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.append(header::VARY, HeaderValue::from_static("HX-Request"));
    response
}

/// `/app/login`, and back to `next` after it (only a console path: never another site).
pub(crate) fn sign_in_url(next: &str) -> String {
    if next == "/app" || next == "/app/" || !is_console_path(next) {
        return "/app/login".to_string();
    }
    let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
    format!("/app/login?{query}")
}

/// A path under `/app` of this server (`//host/app` would leave it).
pub(crate) fn is_console_path(path: &str) -> bool {
    (path == "/app" || path.starts_with("/app/") || path.starts_with("/app?")) && !path.contains('\\')
}

/// The path and query of htmx's `HX-Current-URL` (the page, not the fragment requested).
fn page_path(current: &str) -> Option<String> {
    let url = url::Url::parse(current).ok()?;
    Some(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    })
}

#[derive(Template)]
#[template(path = "errors/error.html", blocks = ["content"])]
struct ErrorPage<'a> {
    page: Page,
    status: u16,
    title: &'a str,
    text: &'a str,
    /// What the engine said, when it says more than the title (a 400's message).
    detail: Option<&'a str>,
    request_id: Option<String>,
}

fn render_failure(failure: Failure, locale: Locale, htmx: bool, current: Option<&str>, original: Response) -> Response {
    let t: &'static Msg = locale.msg();
    let (status, title, text, detail) = match &failure {
        Failure::SignIn { next } => {
            let next = if htmx { current.and_then(page_path).unwrap_or_else(|| next.clone()) } else { next.clone() };
            let to = sign_in_url(&next);
            return if htmx {
                let mut response = StatusCode::NO_CONTENT.into_response();
                response.headers_mut().insert("hx-redirect", HeaderValue::from_str(&to).expect("an encoded path"));
                response
            } else {
                (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
            };
        }
        Failure::Refused => (StatusCode::FORBIDDEN, t.refused_title, t.refused_text, None),
        Failure::Status { status, message } => match *status {
            StatusCode::NOT_FOUND => (*status, t.not_found_title, t.not_found_text, None),
            StatusCode::FORBIDDEN => (*status, t.forbidden_title, t.forbidden_text, Some(message.as_str())),
            StatusCode::TOO_MANY_REQUESTS => (*status, t.error_title, t.too_many_text, None),
            s if s.is_server_error() => (s, t.error_title, t.server_error_text, None),
            s => (s, t.error_title, message.as_str(), None),
        },
    };
    let request_id = status.is_server_error().then(enspace_api::request_id::current);
    let page =
        ErrorPage { page: Page::public(locale, title), status: status.as_u16(), title, text, detail, request_id };
    // htmx swaps only the region into the page it has.
    let rendered = if htmx { page.as_content().render() } else { page.render() };
    let body = rendered.unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering an error page");
        String::from("Error")
    });
    let mut response = (status, axum::response::Html(body)).into_response();
    if let Some(retry) = original.headers().get(header::RETRY_AFTER) {
        response.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    if htmx {
        response.headers_mut().insert("hx-retarget", HeaderValue::from_static("#main"));
        response.headers_mut().insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_console_paths() {
        assert_eq!(sign_in_url("/app"), "/app/login");
        assert_eq!(sign_in_url("/app/w/acme?x=1"), "/app/login?next=%2Fapp%2Fw%2Facme%3Fx%3D1");
        assert_eq!(sign_in_url("//evil.example/app"), "/app/login");
        assert_eq!(sign_in_url("/application"), "/app/login");
        assert_eq!(sign_in_url("/app/\\evil"), "/app/login");
        assert_eq!(page_path("http://127.0.0.1:8080/app/w/acme?q=1").as_deref(), Some("/app/w/acme?q=1"));
    }

    #[test]
    fn the_policy_names_every_script_and_nothing_inline() {
        let policy = POLICY.to_str().unwrap();
        for asset in assets::all().iter().filter(|a| a.name.ends_with(".js")) {
            assert!(policy.contains(&asset.sri), "{} in {policy}", asset.name);
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
