//! Who is signed in to the console, and the checks on everything posted to it
//! (console-design §4.6).
//!
//! - The session is the API's login session (`ens.…`, stored as a digest), carried in an
//!   `HttpOnly; SameSite=Lax` cookie (`Secure` and `__Host-` named outside loopback HTTP) that
//!   only `/app` routes read: the JSON API never looks at cookies, so a page elsewhere cannot
//!   make a credentialed API call.
//! - A POST is refused (403, nothing done) unless (1) `Sec-Fetch-Site` is `same-origin`, or,
//!   from a browser that does not send it, `Origin` is the public URL's; and (2) it carries the
//!   session's form token (`_csrf` field, or `X-CSRF-Token` from htmx). SameSite=Lax is the
//!   third refusal, in the browser. The token is derived from the session token
//!   (SHA-256 under a label): only a holder of the cookie can compute it, it changes with every
//!   sign-in, and nothing more is stored.
//! - Before a session exists (sign-in, invitations, public forms) the token is a random value
//!   in a second cookie that the form repeats (double submit); the `__Host-` prefix keeps other
//!   hosts from planting that cookie, and the origin check applies as well.

use std::sync::{Arc, Mutex};

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderMap, HeaderValue},
};
use cookie::{Cookie, SameSite};
use enspace_api::{
    error::ApiError,
    extract::{Credential, Principal},
    AppState,
};
use enspace_domain::key::digests_equal;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{errors::ConsoleError, format::Locale, ConsoleSettings};

/// The settings the router was built with.
pub(crate) fn settings(parts: &Parts) -> Arc<ConsoleSettings> {
    parts.extensions.get::<Arc<ConsoleSettings>>().cloned().expect("the console router adds its settings")
}

impl ConsoleSettings {
    pub(crate) fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-enspace_session"
        } else {
            "enspace_session"
        }
    }

    pub(crate) fn form_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-enspace_form"
        } else {
            "enspace_form"
        }
    }

    /// `Set-Cookie` for `name`: the attributes every console cookie has, kept until the
    /// browser closes unless `max_age_seconds`.
    pub(crate) fn cookie(&self, name: &'static str, value: String, max_age_seconds: Option<i64>) -> HeaderValue {
        let mut cookie = Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure_cookies)
            .build();
        if let Some(seconds) = max_age_seconds {
            cookie.set_max_age(cookie::time::Duration::seconds(seconds));
        }
        HeaderValue::from_str(&cookie.to_string()).expect("cookie values are tokens")
    }

    /// `Set-Cookie` that deletes `name`.
    pub(crate) fn removal(&self, name: &'static str) -> HeaderValue {
        self.cookie(name, String::new(), Some(0))
    }
}

/// The value of the request's cookie `name`.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The language a page is rendered in, once the handler knows it (the caller's profile); the
/// middleware renders error pages in it, or in the browser's language before anyone signs in.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageLocale(pub Arc<Mutex<Option<Locale>>>);

impl PageLocale {
    pub(crate) fn set(parts: &Parts, locale: Locale) {
        if let Some(slot) = parts.extensions.get::<PageLocale>() {
            if let Ok(mut held) = slot.0.lock() {
                *held = Some(locale);
            }
        }
    }

    pub(crate) fn get(&self) -> Option<Locale> {
        self.0.lock().ok().and_then(|held| *held)
    }
}

/// The browser's language, before anyone signs in.
pub(crate) fn browser_locale(headers: &HeaderMap) -> Locale {
    Locale::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub principal: Principal,
    pub session_id: i64,
    /// The form token of this session.
    pub csrf: String,
    pub locale: Locale,
}

impl Caller {
    pub(crate) fn name(&self) -> String {
        display_name(&self.principal.user)
    }
}

/// A person's names, or their e-mail when they have none.
pub(crate) fn display_name(user: &enspace_store::users::UserRecord) -> String {
    let names: Vec<&str> =
        [&user.fname, &user.lname].into_iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    if names.is_empty() {
        user.email.clone()
    } else {
        names.join(" ")
    }
}

/// People's names by user id, each read once per page (history lines, cards, assignees).
#[derive(Default)]
pub(crate) struct UserNames(std::collections::HashMap<i64, String>);

impl UserNames {
    /// The person's names (or e-mail); empty for a user that no longer exists.
    pub(crate) async fn of(&mut self, state: &AppState, id: i64) -> Result<String, crate::errors::ConsoleError> {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.0.entry(id) {
            let user = enspace_store::users::get(&state.db, id).await?;
            entry.insert(user.as_ref().map(display_name).unwrap_or_default());
        }
        Ok(self.0[&id].clone())
    }
}

/// The form token of a session: SHA-256 of the session token under the label.
fn form_token_of(session_token: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"enspace console form token\0");
    hash.update(session_token.as_bytes());
    hex::encode(hash.finalize())
}

/// Where the person was going: the path and query of a page, for after sign-in.
fn requested(parts: &Parts) -> String {
    // A form posted after the session ended cannot be replayed by a redirect: start over.
    if !matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD) {
        return "/app".to_string();
    }
    // The URI as the browser asked for it (inside `/app`, `parts.uri` has lost the prefix).
    let uri = parts.extensions.get::<axum::extract::OriginalUri>().map_or(&parts.uri, |original| &original.0);
    uri.path_and_query().map_or_else(|| "/app".to_string(), |p| p.as_str().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let settings = settings(parts);
        let token = cookie_value(&parts.headers, settings.session_cookie());
        let principal = match &token {
            Some(token) => enspace_api::extract::auth::session(state, token).await?,
            None => None,
        };
        let (Some(principal), Some(token)) = (principal, token) else {
            return Err(ConsoleError::SignIn { next: requested(parts) });
        };
        let Credential::Session { id: session_id } = principal.credential else {
            return Err(ConsoleError::SignIn { next: requested(parts) });
        };
        // The session's own rate limit, as on the API (a 429 page when it is spent).
        let principal = enspace_api::extract::auth::admit(parts, state, Ok(principal))?;
        let locale = Locale::from_language(&principal.user.language);
        PageLocale::set(parts, locale);
        Ok(Caller { principal, session_id, csrf: form_token_of(&token), locale })
    }
}

/// The signed-in person if there is one (the sign-in page sends them on instead).
pub(crate) struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        match Caller::from_request_parts(parts, state).await {
            Ok(caller) => Ok(MaybeCaller(Some(caller))),
            Err(ConsoleError::SignIn { .. }) => {
                PageLocale::set(parts, browser_locale(&parts.headers));
                Ok(MaybeCaller(None))
            }
            Err(other) => Err(other),
        }
    }
}

/// Refusal (1): the POST came from a page of this origin.
pub(crate) fn same_origin(parts: &Parts, settings: &ConsoleSettings) -> Result<(), ConsoleError> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let allowed = match header("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => header(header::ORIGIN.as_str()).is_some_and(|origin| origin == settings.origin),
    };
    allowed.then_some(()).ok_or(ConsoleError::Refused)
}

/// The fields of a posted form, in order, repeated names kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormPairs(pub Vec<(String, String)>);

impl FormPairs {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Removes every `name` and answers the first value.
    fn take(&mut self, name: &str) -> Option<String> {
        let first = self.get(name).map(str::to_string);
        self.0.retain(|(n, _)| n != name);
        first
    }
}

/// The body of an `application/x-www-form-urlencoded` POST, within the server's body limit.
async fn read_form(request: Request, state: &AppState) -> Result<FormPairs, ConsoleError> {
    let urlencoded = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "A console form is sent as application/x-www-form-urlencoded",
        )
        .into());
    }
    let bytes = Bytes::from_request(request, state).await.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    Ok(FormPairs(form_urlencoded::parse(&bytes).into_owned().collect()))
}

/// Refusal (2): the form read, carrying the session's form token (`_csrf`, or the
/// `X-CSRF-Token` header htmx sends); the token is not among the fields answered.
pub(crate) async fn with_form_token(
    parts: Parts,
    body: axum::body::Body,
    state: &AppState,
    expected: &str,
) -> Result<FormPairs, ConsoleError> {
    let header_token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut form = read_form(Request::from_parts(parts, body), state).await?;
    let posted = form.take("_csrf").or(header_token);
    if !posted.is_some_and(|token| digests_equal(&token, expected)) {
        return Err(ConsoleError::Refused);
    }
    Ok(form)
}

/// A form posted by a signed-in person, past the origin and token checks.
pub(crate) struct Posted {
    pub caller: Caller,
    pub form: FormPairs,
}

impl FromRequest<AppState> for Posted {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = request.into_parts();
        same_origin(&parts, &settings(&parts))?;
        let caller = Caller::from_request_parts(&mut parts, state).await?;
        let form = with_form_token(parts, body, state, &caller.csrf).await?;
        Ok(Posted { caller, form })
    }
}

/// A form posted before any session (sign-in, invitation, public form): charged to the client
/// address's rate limit (as the API's routes for the same are), past the origin check and the
/// double-submit token.
pub(crate) struct PublicPosted {
    pub form: FormPairs,
    pub locale: Locale,
    /// The form token, to render the form again with.
    pub token: String,
    /// Where it came from (sign-in failures are counted per address).
    pub address: std::net::IpAddr,
}

impl FromRequest<AppState> for PublicPosted {
    type Rejection = ConsoleError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = request.into_parts();
        let enspace_api::extract::Public(address) =
            enspace_api::extract::Public::from_request_parts(&mut parts, state).await?;
        let settings = settings(&parts);
        same_origin(&parts, &settings)?;
        let locale = browser_locale(&parts.headers);
        PageLocale::set(&parts, locale);
        let cookie = cookie_value(&parts.headers, settings.form_cookie());
        let mut form = read_form(Request::from_parts(parts, body), state).await?;
        let posted = form.take("_csrf");
        match (cookie, posted) {
            (Some(cookie), Some(posted)) if !cookie.is_empty() && digests_equal(&cookie, &posted) => {
                Ok(PublicPosted { form, locale, token: posted, address })
            }
            _ => Err(ConsoleError::Refused),
        }
    }
}

/// The pre-session form token for a page: the browser's, if it holds one, else a new one with
/// the `Set-Cookie` that gives it.
pub(crate) fn public_form_token(
    parts_headers: &HeaderMap,
    settings: &ConsoleSettings,
) -> (String, Option<HeaderValue>) {
    if let Some(held) = cookie_value(parts_headers, settings.form_cookie()).filter(|v| v.len() == 32) {
        return (held, None);
    }
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let set = settings.cookie(settings.form_cookie(), token.clone(), None);
    (token, Some(set))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_carry_their_attributes() {
        let local = ConsoleSettings::new("http://127.0.0.1:8080", false).unwrap();
        assert_eq!(
            local.cookie(local.session_cookie(), "ens.abc".into(), Some(60)).to_str().unwrap(),
            "enspace_session=ens.abc; HttpOnly; SameSite=Lax; Path=/; Max-Age=60"
        );
        let public = ConsoleSettings::new("https://e.example", false).unwrap();
        assert_eq!(
            public.removal(public.session_cookie()).to_str().unwrap(),
            "__Host-enspace_session=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; enspace_session=ens.x; b=2"));
        assert_eq!(cookie_value(&headers, "enspace_session").as_deref(), Some("ens.x"));
        assert_eq!(cookie_value(&headers, "__Host-enspace_session"), None);
    }

    #[test]
    fn form_tokens_follow_the_session() {
        let one = form_token_of("ens.one");
        assert_eq!(one.len(), 64);
        assert_eq!(one, form_token_of("ens.one"));
        assert_ne!(one, form_token_of("ens.two"));
        assert_ne!(one, enspace_domain::key::digest("ens.one"), "not the digest the sessions table stores");
    }
}
