//! Sign-in, sign-out and invitations (console-design §4.6), over the same engine commands as
//! `POST /auth/login`, `/auth/logout` and `/auth/accept-invite`: the same password checks,
//! failure counters and locks.

use std::sync::Arc;

use askama::Template;
use axum::{
    extract::{RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
    Extension,
};
use enspace_api::AppState;
use enspace_engine::accounts::{Session, SignInError, SESSION_TTL_MS};

use super::{render, see_other, Page};
use crate::{
    errors::{ConsoleError, PageResult},
    security::is_console_path,
    session::{public_form_token, MaybeCaller, Posted, PublicPosted},
    ConsoleSettings,
};

/// The first value of `name` in a query string.
pub(crate) fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Where to go after signing in: a console path the page was asked for, else the start.
fn next_of(value: Option<&str>) -> String {
    value.filter(|v| is_console_path(v)).unwrap_or("/app").to_string()
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: Page,
    form_token: String,
    next: String,
    email: String,
    /// What went wrong with the last attempt, as a whole.
    problem: Option<&'static str>,
    email_missing: bool,
    password_missing: bool,
}

/// With `set_cookie` when the browser needed a new form token.
pub(crate) fn with_cookie(mut response: Response, set_cookie: Option<HeaderValue>) -> Response {
    if let Some(value) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(crate) async fn login_page(
    MaybeCaller(caller): MaybeCaller,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let next = next_of(query_value(query.as_deref(), "next").as_deref());
    if caller.is_some() {
        return Ok(see_other(&next));
    }
    let locale = crate::session::browser_locale(&headers);
    let (form_token, set_cookie) = public_form_token(&headers, &settings);
    let page = LoginPage {
        page: Page::public(locale, locale.msg().sign_in_title),
        form_token,
        next,
        email: String::new(),
        problem: None,
        email_missing: false,
        password_missing: false,
    };
    Ok(with_cookie(render(StatusCode::OK, &page)?, set_cookie))
}

pub(crate) async fn login(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    headers: HeaderMap,
    posted: PublicPosted,
) -> PageResult {
    let t = posted.locale.msg();
    let email = posted.form.get("email").unwrap_or_default().trim().to_string();
    let password = posted.form.get("password").unwrap_or_default().to_string();
    let next = next_of(posted.form.get("next"));
    let mut page = LoginPage {
        page: Page::public(posted.locale, t.sign_in_title),
        form_token: posted.token.clone(),
        next: next.clone(),
        email: email.clone(),
        problem: None,
        email_missing: email.is_empty(),
        password_missing: password.is_empty(),
    };
    if page.email_missing || page.password_missing {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let signed = enspace_engine::accounts::sign_in(&state.db, &email, password, &posted.address.to_string()).await;
    match signed {
        Ok(session) => {
            end_previous(&state, &settings, &headers).await?;
            Ok(signed_in(&settings, session, &next))
        }
        Err(SignInError::BadCredentials) => {
            page.problem = Some(t.bad_login);
            render(StatusCode::UNAUTHORIZED, &page)
        }
        Err(SignInError::Locked(seconds)) => {
            page.problem = Some(t.login_locked);
            let mut response = render(StatusCode::TOO_MANY_REQUESTS, &page)?;
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            Ok(response)
        }
        Err(other) => Err(refused(other)),
    }
}

/// The session the browser's cookie still names, ended: a new sign-in replaces the cookie,
/// and the session it held must not live on unseen until it expires.
async fn end_previous(state: &AppState, settings: &ConsoleSettings, headers: &HeaderMap) -> Result<(), ConsoleError> {
    let Some(token) = crate::session::cookie_value(headers, settings.session_cookie()) else { return Ok(()) };
    if let Some(principal) = enspace_api::extract::auth::session(state, &token).await? {
        if let enspace_api::extract::Credential::Session { id } = principal.credential {
            enspace_engine::accounts::sign_out(&state.db, id).await?;
        }
    }
    Ok(())
}

/// A new session's cookie, and on to `to`.
fn signed_in(settings: &ConsoleSettings, session: Session, to: &str) -> Response {
    let mut response = see_other(to);
    let cookie = settings.cookie(settings.session_cookie(), session.token, Some(SESSION_TTL_MS / 1000));
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

fn refused(error: SignInError) -> ConsoleError {
    match error {
        SignInError::Store(e) => e.into(),
        other => enspace_api::error::ApiError::internal(format!("{other:?}")).into(),
    }
}

/// Ends the session (its row, so the token is dead everywhere) and forgets the cookie.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    posted: Posted,
) -> PageResult {
    enspace_engine::accounts::sign_out(&state.db, posted.caller.session_id).await?;
    let mut response = see_other("/app/login");
    response.headers_mut().append(header::SET_COOKIE, settings.removal(settings.session_cookie()));
    Ok(response)
}

#[derive(Template)]
#[template(path = "auth/invite.html")]
struct InvitePage {
    page: Page,
    form_token: String,
    invitation: String,
    fname: String,
    lname: String,
    /// The invitation itself is refused.
    bad_invitation: bool,
    password_problem: Option<String>,
    fname_problem: Option<String>,
    lname_problem: Option<String>,
}

pub(crate) async fn invitation_link(RawQuery(query): RawQuery) -> Response {
    let token = query_value(query.as_deref(), "token").unwrap_or_default();
    let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("token", &token).finish();
    see_other(&format!("/app/invite?{query}"))
}

pub(crate) async fn invite_page(
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let locale = crate::session::browser_locale(&headers);
    let (form_token, set_cookie) = public_form_token(&headers, &settings);
    let page = InvitePage {
        page: Page::public(locale, locale.msg().invite_title),
        form_token,
        invitation: query_value(query.as_deref(), "token").unwrap_or_default(),
        fname: String::new(),
        lname: String::new(),
        bad_invitation: false,
        password_problem: None,
        fname_problem: None,
        lname_problem: None,
    };
    Ok(with_cookie(render(StatusCode::OK, &page)?, set_cookie))
}

/// Sets the new person's password and names, signs them in and opens the console.
pub(crate) async fn accept_invite(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    headers: HeaderMap,
    posted: PublicPosted,
) -> PageResult {
    let t = posted.locale.msg();
    let form = &posted.form;
    let (fname, lname) = (form.get("fname").unwrap_or_default().trim(), form.get("lname").unwrap_or_default().trim());
    let password = form.get("password").unwrap_or_default().to_string();
    let text_problem = |value: &str| (value.chars().count() > 100).then(|| t.text_too_long.to_string());
    let mut page = InvitePage {
        page: Page::public(posted.locale, t.invite_title),
        form_token: posted.token.clone(),
        invitation: form.get("token").unwrap_or_default().to_string(),
        fname: fname.to_string(),
        lname: lname.to_string(),
        bad_invitation: false,
        password_problem: enspace_domain::password::check_password(&password)
            .err()
            .map(|_| t.password_hint.to_string()),
        fname_problem: text_problem(fname),
        lname_problem: text_problem(lname),
    };
    if page.password_problem.is_some() || page.fname_problem.is_some() || page.lname_problem.is_some() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let names = (Some(fname).filter(|s| !s.is_empty()), Some(lname).filter(|s| !s.is_empty()));
    match enspace_engine::accounts::accept_invitation(&state.db, &page.invitation, password, names.0, names.1).await {
        Ok(session) => {
            end_previous(&state, &settings, &headers).await?;
            Ok(signed_in(&settings, session, "/app"))
        }
        Err(SignInError::BadInvitation) => {
            page.bad_invitation = true;
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(other) => Err(refused(other)),
    }
}
