//! The web console (issue 18, `../shared/console-design.md`): pages at `/app` served by the
//! same binary, calling the same engine commands and reads as the API.
//!
//! - [`session`]: who is signed in (a cookie carrying the API's login session), sign-in
//!   checks and the three CSRF refusals; [`context`]: the workspace in the path.
//! - [`pages`]: one module per screen area, each handler extracting, authorizing, calling one
//!   engine command or read, and rendering a template (`templates/`).
//! - [`security`]: the headers every console answer carries (CSP naming the embedded scripts'
//!   hashes, `no-store`, `Vary: HX-Request`) and the error pages.
//! - [`assets`], [`format`], [`i18n`]: embedded files, values per language, the words.
//!
//! The form codec the item forms use is `enspace_domain::html_form` (pure, property-tested).

pub mod assets;
mod context;
mod errors;
mod fields;
pub mod format;
pub mod i18n;
mod pages;
mod security;
mod session;

use std::sync::Arc;

use axum::{Extension, Router};
use enspace_api::AppState;

/// What the console needs to know about how it is reached.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// `scheme://host[:port]` of the public URL: a console POST whose `Origin` is another is
    /// refused (when the browser does not send `Sec-Fetch-Site`).
    pub origin: String,
    /// Whether cookies are `Secure` (and `__Host-` named): always, except over plain HTTP on a
    /// loopback address (development) or when explicitly allowed.
    pub secure_cookies: bool,
}

impl ConsoleSettings {
    /// The settings for a server whose public URL is `public_url`. Over plain HTTP on anything
    /// but a loopback address a session cookie would cross the network in the clear: refused
    /// unless `insecure_cookies` (a closed network, a TLS proxy that forwards plain HTTP with
    /// another public URL configured).
    pub fn new(public_url: &str, insecure_cookies: bool) -> Result<ConsoleSettings, String> {
        let url = url::Url::parse(public_url).map_err(|e| format!("the public URL {public_url:?}: {e}"))?;
        let origin = url.origin().ascii_serialization();
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        let secure_cookies = match url.scheme() {
            "https" => true,
            "http" if loopback || insecure_cookies => false,
            _ => {
                return Err(format!(
                    "the console's session cookie would travel unencrypted to {origin}: set --public-url to the \
                     https:// address people use, or pass --console-insecure-cookies on a closed network"
                ))
            }
        };
        Ok(ConsoleSettings { origin, secure_cookies })
    }
}

/// The console's routes, all under `/app`, with their own headers, error pages and fallback;
/// merged into the API's router (`enspace_api::router_with`) so they share its middleware.
pub fn router(settings: ConsoleSettings) -> Router<AppState> {
    Router::new()
        .nest("/app", pages::routes().fallback(pages::not_found).method_not_allowed_fallback(pages::method_not_allowed))
        .merge(pages::invitation_link_routes())
        .layer(axum::middleware::from_fn(security::headers))
        .layer(Extension(Arc::new(settings)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_except_over_loopback_http() {
        let https = ConsoleSettings::new("https://enspace.example.com/", false).unwrap();
        assert_eq!((https.origin.as_str(), https.secure_cookies), ("https://enspace.example.com", true));
        let local = ConsoleSettings::new("http://127.0.0.1:8080", false).unwrap();
        assert_eq!((local.origin.as_str(), local.secure_cookies), ("http://127.0.0.1:8080", false));
        assert!(!ConsoleSettings::new("http://localhost:3000", false).unwrap().secure_cookies);
        assert!(!ConsoleSettings::new("http://[::1]:3000", false).unwrap().secure_cookies);
        let refused = ConsoleSettings::new("http://0.0.0.0:8080", false).unwrap_err();
        assert!(refused.contains("--console-insecure-cookies"), "{refused}");
        assert!(ConsoleSettings::new("http://intranet:8080", false).is_err());
        assert!(!ConsoleSettings::new("http://intranet:8080", true).unwrap().secure_cookies);
    }
}
