//! The console's screens, one module per area. Every handler extracts (the caller, the
//! workspace in the path, the query or the posted form), authorizes, calls one engine command
//! or read, and renders a template; none opens a transaction or writes SQL.

mod account;
mod auth;
mod calendar;
mod files;
mod flows;
mod item;
mod items;
mod live;
mod notifications;
mod public_forms;
mod quick_tasks;
mod settings;
mod tasks;
mod workspaces;

use askama::Template;
use axum::{
    extract::{Path, RawQuery},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use enspace_api::{error::ApiError, AppState};

use crate::{
    assets::{self, Asset},
    errors::{ConsoleError, PageResult},
    format::Locale,
    i18n::Msg,
    session::Caller,
};

pub(crate) use tasks::overdue_count;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(workspaces::start))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/invite", get(auth::invite_page).post(auth::accept_invite))
        .route("/account", get(account::page).post(account::save))
        .route("/account/keys", get(account::keys).post(account::create_key))
        .route("/account/keys/{reference}/revoke", post(account::revoke_key))
        .route("/w", get(workspaces::picker))
        .route("/w/{ws}", get(workspaces::home))
        .route("/w/{ws}/types/{slug}", get(items::table))
        .route("/w/{ws}/types/{slug}/new", get(item::new_form).post(item::create))
        .route("/w/{ws}/types/{slug}/{reference}", get(item::show).post(item::save))
        .route("/w/{ws}/types/{slug}/{reference}/status", post(item::set_status))
        .route("/w/{ws}/types/{slug}/{reference}/delete", post(item::delete))
        .route("/w/{ws}/lookup/{slug}", get(files::lookup))
        // An upload reads its body itself, each file within the server's file limit.
        .route("/w/{ws}/files", post(files::upload).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/w/{ws}/files/{id}", get(files::download))
        .route("/w/{ws}/tasks", get(tasks::tasks_home))
        .route("/w/{ws}/tasks/scheduled", get(tasks::inbox))
        .route("/w/{ws}/tasks/scheduled/{id}", get(tasks::show))
        .route("/w/{ws}/tasks/scheduled/{id}/assign", post(tasks::assign))
        .route("/w/{ws}/tasks/scheduled/{id}/complete", post(tasks::complete))
        .route("/w/{ws}/tasks/quick", get(quick_tasks::board).post(quick_tasks::create))
        .route("/w/{ws}/tasks/quick/lane/{status}", get(quick_tasks::more))
        .route("/w/{ws}/tasks/quick/{id}", get(quick_tasks::show).post(quick_tasks::save))
        .route("/w/{ws}/tasks/quick/{id}/{action}", post(quick_tasks::act))
        .route("/w/{ws}/flows", get(flows::list))
        .route("/w/{ws}/flows/{id}/board", get(flows::board))
        .route("/w/{ws}/calendar", get(calendar::agenda))
        .route("/w/{ws}/live", get(live::live))
        .route("/w/{ws}/settings/members", get(settings::members_list).post(settings::invite))
        .route("/w/{ws}/settings/members/{id}", post(settings::update_member))
        .route("/w/{ws}/settings/members/{id}/remove", post(settings::remove_member))
        .route("/w/{ws}/settings/groups", get(settings::groups_list).post(settings::create_group))
        .route("/w/{ws}/settings/groups/{id}/{change}", post(settings::group_member))
        .route("/w/{ws}/settings/roles", get(settings::roles_list).post(settings::create_role))
        .route("/w/{ws}/settings/roles/{id}", get(settings::role))
        .route("/w/{ws}/settings/roles/{id}/permissions", post(settings::grant))
        .route("/w/{ws}/settings/roles/{id}/permissions/{permission}/remove", post(settings::revoke))
        .route("/w/{ws}/settings/calendar", get(calendar::settings).post(calendar::save))
        .route("/w/{ws}/settings/calendar/sync", post(calendar::sync))
        .route("/w/{ws}/settings/notifications", get(notifications::page).post(notifications::save))
        .route("/f/{hash}", get(public_forms::show).post(public_forms::submit))
        .route("/static/{file}", get(static_file))
}

/// Where a person lands from the invitation link the API hands out
/// (`{public URL}/auth/accept-invite?token=…`): that address is a JSON `POST` for clients, so a
/// browser's `GET` of it is sent to the console's acceptance page with the same query.
pub(crate) fn invitation_link_routes() -> Router<AppState> {
    Router::new().route("/auth/accept-invite", get(auth::invitation_link))
}

/// What every page's layout needs.
pub(crate) struct Page {
    pub t: &'static Msg,
    pub title: String,
    /// The session's form token (htmx sends it as `X-CSRF-Token`; forms as `_csrf`).
    pub csrf: Option<String>,
    pub user_name: Option<String>,
    /// The workspace whose menu the page shows (and whose live stream it opens).
    pub nav: Option<WorkspaceNav>,
    /// The live signal that means "what this page's open form shows was changed elsewhere"
    /// (`item-<reference>`): the page then says so instead of replacing the form.
    pub watch: Option<String>,
}

/// A workspace's menu: its name and the categories the member may read.
pub(crate) struct WorkspaceNav {
    pub reference: String,
    pub name: String,
    pub types: Vec<NavType>,
    /// Whether the member manages the workspace's access settings (members, roles).
    pub settings: bool,
    /// Whether it manages the system settings (the calendar, deadline notifications).
    pub system: bool,
    /// How many of the member's open schedule tasks are overdue (the menu's badge).
    pub overdue: i64,
}

pub(crate) struct NavType {
    pub slug: String,
    pub name: String,
}

impl Page {
    /// A page before anyone signs in.
    pub(crate) fn public(locale: Locale, title: &str) -> Page {
        Page { t: locale.msg(), title: title.to_string(), csrf: None, user_name: None, nav: None, watch: None }
    }

    pub(crate) fn signed_in(caller: &Caller, title: &str) -> Page {
        Page {
            t: caller.locale.msg(),
            title: title.to_string(),
            csrf: Some(caller.csrf.clone()),
            user_name: Some(caller.name()),
            nav: None,
            watch: None,
        }
    }

    pub(crate) fn asset(&self, name: &str) -> &'static Asset {
        assets::get(name).unwrap_or_else(|| panic!("no embedded file {name}"))
    }

    pub(crate) fn htmx_config(&self) -> &'static str {
        HTMX_CONFIG
    }

    /// `hx-headers` of the body: htmx sends the form token with every request.
    pub(crate) fn hx_headers(&self) -> String {
        match &self.csrf {
            Some(token) => format!("{{\"X-CSRF-Token\": \"{token}\"}}"),
            None => "{}".to_string(),
        }
    }
}

/// What is wrong with a posted form, per input (its `name`/`id`), in the order found: shown
/// beside each input and listed in the error summary at the top (console-design §4.5.4).
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub list: Vec<Problem>,
}

#[derive(Debug)]
pub(crate) struct Problem {
    /// Where the problem is: the input's id, or the engine's path of the value.
    pub field: String,
    /// The id the summary links to.
    pub anchor: String,
    /// The input's label.
    pub label: String,
    pub message: String,
}

impl Problems {
    /// The engine's details, each at the input its path names (`inputs`: engine path → input
    /// id and label; any other path is its own id and label).
    pub(crate) fn from_details(details: &[enspace_domain::Detail], inputs: &[(&str, &str, &str)]) -> Problems {
        let list = details
            .iter()
            .map(|d| {
                let (field, label) = inputs
                    .iter()
                    .find(|(path, _, _)| *path == d.path)
                    .map_or((d.path.as_str(), d.path.as_str()), |(_, id, label)| (id, label));
                Problem {
                    field: field.to_string(),
                    anchor: field.to_string(),
                    label: label.to_string(),
                    message: d.message.clone(),
                }
            })
            .collect();
        Problems { list }
    }

    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.list.iter().find(|p| p.field == field).map(|p| p.message.as_str())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// What a form shows beside its inputs when the engine refuses it: the `details` of a 400 (its
/// checks) or of a 409 (a unique value already taken). Any other refusal is the page's error.
pub(crate) fn form_refusal(error: ApiError) -> Result<Vec<enspace_domain::Detail>, ConsoleError> {
    match error.status {
        StatusCode::BAD_REQUEST | StatusCode::CONFLICT if !error.details.is_empty() => Ok(error.details),
        _ => Err(error.into()),
    }
}

/// The htmx settings every page gives in `<meta name="htmx-config">`: no `eval`, no injected
/// styles (the CSP forbids both), requests only to this origin, no copies of pages kept in
/// the browser's storage (they hold a company's data), and 4xx fragments swapped in (422
/// re-renders a form with its problems).
pub(crate) const HTMX_CONFIG: &str = r#"{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"selfRequestsOnly":true,"historyCacheSize":0,"refreshOnHistoryMiss":true,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[4]..","swap":true,"error":true},{"code":"...","swap":false,"error":true}]}"#;

/// A rendered template with its status.
pub(crate) fn render(status: StatusCode, template: &impl Template) -> PageResult {
    let body = template.render().map_err(ApiError::internal)?;
    Ok((status, Html(body)).into_response())
}

/// A page's address with its query string, if it has one.
pub(crate) fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// 303 to `to` (a POST's answer, so reloading does not post again).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The console's 405 page (a `GET` of an address that only takes a form, say).
pub(crate) async fn method_not_allowed() -> ConsoleError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "This address takes a form sent from its page").into()
}

/// The console's 404 page, for any `/app` path that is not one.
pub(crate) async fn not_found() -> ConsoleError {
    ApiError::not_found("Not found").into()
}

/// An embedded file: immutable when asked for by its current version (`?v=`), else to be
/// revalidated (an old page asking for a file that has since changed).
async fn static_file(Path(file): Path<String>, RawQuery(query): RawQuery) -> Response {
    let Some(asset) = assets::get(&file) else {
        return ConsoleError::from(ApiError::not_found("Not found")).into_response();
    };
    let current =
        query.is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "v" && v == asset.version));
    let caching = if current { "public, max-age=31536000, immutable" } else { "no-cache" };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(caching)),
            (header::ETAG, HeaderValue::from_str(&format!("\"{}\"", asset.version)).expect("hex")),
        ],
        asset.bytes,
    )
        .into_response()
}
