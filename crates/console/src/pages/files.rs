//! Relation search and files for the item forms: the lookup fragment a relation's search box
//! fills (the related type's items as the member may read them, through the API's items read),
//! uploads (the API's upload: every file or none) answered as chips the form keeps, and
//! downloads with the API's access rules.

use askama::Template;
use axum::{
    extract::{multipart::MultipartRejection, FromRequestParts, Multipart, Path, RawQuery, State},
    http::{request::Parts, StatusCode},
    response::Response,
};
use enspace_api::{error::ApiError, extract::QueryPairs, routes::items::Scope, AppState};
use enspace_domain::key::digests_equal;

use super::{auth::query_value, items::short_reference, render};
use crate::{
    context::ConsoleWs,
    errors::{ConsoleError, PageResult},
    session::{same_origin, settings},
};

/// Results a relation search shows.
const LOOKUP_RESULTS: u32 = 10;

struct Found {
    reference: String,
    label: String,
}

#[derive(Template)]
#[template(path = "fields/_lookup.html")]
struct Lookup {
    t: &'static crate::i18n::Msg,
    target: String,
    found: Vec<Found>,
}

/// `?q=&target=<input id>&display=<refId>`: the related items matching `q`, each shown by its
/// display field when the member may read it, else by its reference.
pub(crate) async fn lookup(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let q = query_value(query.as_deref(), "_lookup").or_else(|| query_value(query.as_deref(), "q")).unwrap_or_default();
    let target = query_value(query.as_deref(), "target").unwrap_or_default();
    let display = query_value(query.as_deref(), "display").unwrap_or_default();
    // Only an input id of the form's own making.
    if !target.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ApiError::bad_request("target must be an input id").into());
    }
    let scope = Scope::read(&state, &ws.ctx, &slug).await?;
    let mut pairs = vec![("_limit".to_string(), LOOKUP_RESULTS.to_string())];
    if !q.trim().is_empty() {
        pairs.push(("_q".to_string(), q.trim().to_string()));
    }
    let items = scope.list(&state, &QueryPairs(pairs)).await?;
    let found = items
        .into_iter()
        .map(|item| {
            let shown = item.data.get(&display).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
            let label = match shown {
                Some(text) => format!("{text} · {}", short_reference(&item.reference)),
                None => item.reference.clone(),
            };
            Found { reference: item.reference, label }
        })
        .collect();
    render(StatusCode::OK, &Lookup { t: ws.caller.locale.msg(), target, found })
}

/// An upload from a signed-in page: same origin, and the session's form token in the header
/// htmx sends (a multipart body is not read for it).
pub(crate) struct WsUpload(pub ConsoleWs);

impl FromRequestParts<AppState> for WsUpload {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        same_origin(parts, &settings(parts))?;
        let ws = ConsoleWs::from_request_parts(parts, state).await?;
        let token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !digests_equal(token, &ws.caller.csrf) {
            return Err(ConsoleError::Refused);
        }
        Ok(WsUpload(ws))
    }
}

#[derive(Template)]
#[template(path = "fields/_uploaded.html")]
struct Uploaded {
    field: String,
    download: String,
    files: Vec<enspace_api::routes::files::FileView>,
}

/// `?field=data.<refId>`: stores the files and answers them as kept choices of that field.
pub(crate) async fn upload(
    State(state): State<AppState>,
    WsUpload(ws): WsUpload,
    RawQuery(query): RawQuery,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let field = query_value(query.as_deref(), "field").unwrap_or_default();
    let well_formed = field.starts_with("data.")
        && field.len() > 5
        && field[5..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !well_formed {
        return Err(ApiError::bad_request("field must name a form input (data.<refId>)").into());
    }
    let files = enspace_api::routes::files::upload_parts(&state, &ws.ctx, multipart).await?;
    let download = format!("/app/w/{}/files", ws.ctx.workspace.reference);
    render(StatusCode::CREATED, &Uploaded { field, download, files })
}

pub(crate) async fn download(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, ConsoleError> {
    Ok(enspace_api::routes::files::download(&state, &ws.ctx, id).await?)
}
