//! Public forms at `/app/f/{hash}`: anyone with the link answers, without an account. The
//! page is the API's public form (`routes::forms::{public, answer}`): the same 404 for
//! anything that is not a public form, the same per-address rate limit, the same checks, the
//! item written with source `form` and the `request_email` given. Files are not offered: the
//! contract has no anonymous upload.

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    Extension,
};
use enspace_api::{
    error::ApiError,
    extract::Public,
    routes::forms::{answer, public, AnswerInput},
    AppState,
};
use enspace_domain::{
    catalogue::Shape,
    fields::FieldDef,
    html_form::{self, Mode},
};
use std::sync::Arc;

use super::{auth::query_value, item::problems_of, render, see_other, Page, Problems};
use crate::{
    errors::{ConsoleError, PageResult},
    fields::{
        widgets::{widgets, Drawn, Values, Widget},
        Shown,
    },
    session::{browser_locale, public_form_token, PublicPosted},
    ConsoleSettings,
};

#[derive(Template)]
#[template(path = "forms/public.html")]
struct PublicPage {
    page: Page,
    action: String,
    form_name: String,
    form_token: String,
    sent: bool,
    request_email: String,
    widgets: Vec<Widget>,
    problems: Problems,
}

/// The form, its fields as the form shows them (no files), what it requires, and the zone.
async fn definition(
    state: &AppState,
    hash: &str,
) -> Result<(String, Vec<FieldDef>, Vec<String>, jiff::tz::TimeZone), ConsoleError> {
    let (form, record) = public(state, hash).await?;
    let fields = enspace_store::fields::of_type(&state.db, record.workspace_id, record.id).await?;
    let shown = enspace_domain::forms::shown_ref_ids(&form.fields);
    let defs = shown
        .iter()
        .filter_map(|r| fields.iter().map(|f| &f.def).find(|d| d.ref_id == *r))
        .filter(|d| d.active && d.field_type.client_writable() && d.shape() != Shape::Files)
        .cloned()
        .collect();
    let zone = super::item::zone_of(state, record.workspace_id).await?;
    Ok((form.name, defs, enspace_domain::forms::required_ref_ids(&form.fields), zone))
}

#[allow(clippy::too_many_arguments)]
fn page(
    locale: crate::format::Locale,
    hash: &str,
    name: String,
    token: String,
    defs: &[FieldDef],
    required: &[String],
    values: &[(String, String)],
    problems: Problems,
    zone: &jiff::tz::TimeZone,
    sent: bool,
) -> PublicPage {
    let shown = Shown { locale, zone };
    let refs: Vec<&FieldDef> = defs.iter().collect();
    let drawn = Drawn { values: Values(values), required, problems: &problems, shown: &shown, workspace: None };
    let widgets = widgets(&refs, &|_| true, &serde_json::Map::new(), &drawn);
    let request_email = values.iter().find(|(n, _)| n == "request_email").map(|(_, v)| v.clone()).unwrap_or_default();
    PublicPage {
        page: Page::public(locale, &name),
        action: format!("/app/f/{hash}"),
        form_name: name,
        form_token: token,
        sent,
        request_email,
        widgets,
        problems,
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    public_caller: Result<Public, ApiError>,
    Path(hash): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> PageResult {
    public_caller?;
    let (name, defs, required, zone) = definition(&state, &hash).await?;
    let locale = browser_locale(&headers);
    let (token, set_cookie) = public_form_token(&headers, &settings);
    let sent = query_value(query.as_deref(), "sent").as_deref() == Some("1");
    let page = page(locale, &hash, name, token, &defs, &required, &[], Problems::default(), &zone, sent);
    Ok(super::auth::with_cookie(render(StatusCode::OK, &page)?, set_cookie))
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    posted: PublicPosted,
) -> PageResult {
    let (name, defs, required, zone) = definition(&state, &hash).await?;
    let request_email = posted.form.get("request_email").map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
    let problems = match html_form::decode(&defs, &posted.form.0, Mode::Create, &zone) {
        Err(details) => problems_of(&details, &defs),
        Ok(data) => match answer(&state, &hash, &AnswerInput { data: Some(data), request_email }).await {
            Ok(_) => return Ok(see_other(&format!("/app/f/{hash}?sent=1"))),
            Err(error) if error.status == StatusCode::BAD_REQUEST || error.status == StatusCode::CONFLICT => {
                let mut problems = problems_of(&error.details, &defs);
                for problem in problems.list.iter_mut().filter(|p| p.field == "request_email") {
                    problem.anchor = "request_email".into();
                    problem.label = posted.locale.msg().email.into();
                }
                problems
            }
            Err(error) => return Err(error.into()),
        },
    };
    let page = page(
        posted.locale,
        &hash,
        name,
        posted.token.clone(),
        &defs,
        &required,
        &posted.form.0,
        problems,
        &zone,
        false,
    );
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
