//! A type's items: the table (search, filters, sort, columns, paging — all in the URL).
//! Rows come from the API's own items read (`routes::items::Scope`): the same access check,
//! the same list language, the same masking of fields the member may not read.

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
};
use enspace_api::{extract::QueryPairs, routes::items::Scope, AppState};
use enspace_domain::{fields::FieldDef, list::FieldKind};
use jiff::tz::TimeZone;
use serde_json::Value;

use super::{render, with_query, Page};
use crate::{
    context::ConsoleWs,
    errors::PageResult,
    fields::{
        self,
        filters::{controls, Control, Filter, Params},
        Cell, Shown,
    },
    format,
    i18n::Msg,
    security::is_htmx,
};

/// Rows per page offered, and the default.
const PAGE_SIZES: [u32; 3] = [25, 50, 100];
const DEFAULT_PAGE_SIZE: u32 = 50;
/// Columns shown before the person chooses.
const DEFAULT_COLUMNS: usize = 6;

/// A column of the table: a field (`data.<refId>`) or a native column.
struct Column {
    key: String,
    label: String,
    numeric: bool,
    /// The link that sorts by it, and how it is sorted now (`aria-sort`).
    sort: Option<(String, &'static str)>,
}

struct Row {
    reference: String,
    /// What the cell shows: the type's letters and the reference's last digits (its first
    /// ones are alike for items created together).
    short: String,
    href: String,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "items/table.html", blocks = ["rows"])]
struct TablePage {
    page: Page,
    base: String,
    type_name: String,
    /// The create form's link, when the member may create.
    new_href: Option<String>,
    /// One entry per create form (as in the product): all items, then each form's (the
    /// `form` filter), and whether it is the one shown.
    entries: Vec<(String, String, bool)>,
    q: String,
    columns: Vec<Column>,
    choosable: Vec<(String, String, bool)>,
    filters: Vec<Filter>,
    created_from: String,
    created_to: String,
    rows: Vec<Row>,
    /// The list language's refusal of the URL's query, shown in place of rows.
    problem: Option<String>,
    /// "Mostrando 1–50 de 1.234".
    showing: String,
    limit: u32,
    prev: Option<String>,
    next: Option<String>,
    /// Each page size with the link to the first page at that size.
    page_sizes: Vec<(u32, String)>,
    /// Hidden inputs that keep the sort, size and columns when the filters form is sent.
    kept: Vec<(String, String)>,
    /// This table's address (its rows re-fetched from it when the type's items change).
    here: String,
    /// The live signal of the type's items.
    live: String,
}

/// "Mostrando 1–50 de 1.234", or that there is nothing to show.
fn showing(total: i64, start: u64, shown: usize, locale: format::Locale) -> String {
    let t = locale.msg();
    if total == 0 {
        return t.no_items.to_string();
    }
    let count = |n: u64| format::number(n as f64, 0, locale);
    let first = start + 1;
    let last = (start + shown as u64).max(first);
    t.showing(&count(first), &count(last), &count(total as u64))
}

/// The native columns a table may show, with their labels.
fn natives(t: &'static Msg) -> [(&'static str, &'static str); 3] {
    [("status", t.status), ("created_at", t.created_at), ("updated_at", t.updated_at)]
}

fn native_cell(key: &str, item: &Value, shown: &Shown) -> Cell {
    let t = shown.locale.msg();
    let text = match (key, item.get(key).and_then(Value::as_str)) {
        ("status", Some(status)) => t.item_status(status).to_string(),
        (_, Some(at)) => format::instant(at, shown.zone, shown.locale).unwrap_or_else(|| at.to_string()),
        _ => String::new(),
    };
    Cell { text, ..Cell::default() }
}

/// `PED…a1b2c3`: a reference short enough for a cell and still telling items apart.
pub(crate) fn short_reference(reference: &str) -> String {
    match (reference.get(..3), reference.len().checked_sub(6).and_then(|at| reference.get(at..))) {
        (Some(head), Some(tail)) if reference.len() > 12 => format!("{head}…{tail}"),
        _ => reference.to_string(),
    }
}

pub(crate) async fn table(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> PageResult {
    let scope = Scope::read(&state, &ws.ctx, &slug).await?;
    let t = ws.caller.locale.msg();
    let zone: TimeZone = super::item::zone_of(&state, ws.ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let params = Params::parse(query.as_deref());
    let readable: Vec<&FieldDef> = scope.readable_fields();
    let native_columns: Vec<(&str, &str)> =
        natives(t).into_iter().filter(|(key, _)| scope.readable().covers(key)).collect();

    // Columns: those the URL names (that the member may read), else the first few fields.
    let chosen = params.all("cols");
    let keys: Vec<String> = if chosen.is_empty() {
        readable.iter().take(DEFAULT_COLUMNS).map(|d| format!("data.{}", d.ref_id)).collect()
    } else {
        let known = |key: &&str| {
            readable.iter().any(|d| format!("data.{}", d.ref_id) == *key)
                || native_columns.iter().any(|(n, _)| n == key)
        };
        // Each column once, where it was first named (`cols=a&cols=b&cols=a` is a, b).
        let mut seen = std::collections::HashSet::new();
        chosen.into_iter().filter(known).filter(|key| seen.insert(*key)).map(str::to_string).collect()
    };

    let mut pairs = params.list_pairs(&readable, &zone);
    if params.get("_limit").is_none() {
        pairs.push(("_limit".into(), DEFAULT_PAGE_SIZE.to_string()));
    }
    let limit = params.get("_limit").and_then(|l| l.parse().ok()).unwrap_or(DEFAULT_PAGE_SIZE);
    let start: u64 = params.get("_start").and_then(|s| s.parse().ok()).unwrap_or(0);
    let list_query = QueryPairs(pairs.clone());
    let count_query = QueryPairs(pairs.into_iter().filter(|(k, _)| k != "_limit" && k != "_start").collect());

    let (items, total, problem) = match scope.list(&state, &list_query).await {
        Ok(items) => (items, scope.count(&state, &count_query).await?, None),
        Err(e) if e.status == StatusCode::BAD_REQUEST || e.status == StatusCode::FORBIDDEN => {
            let detail = e.details.iter().map(|d| format!("{}: {}", d.path, d.message)).collect::<Vec<_>>().join("; ");
            (Vec::new(), 0, Some(if detail.is_empty() { e.message.to_string() } else { detail }))
        }
        Err(e) => return Err(e.into()),
    };

    let sorted = params.get("_sort").unwrap_or_default().to_string();
    let base = format!("/app/w/{}/types/{}", ws.ctx.workspace.reference, scope.record.slug);
    let columns: Vec<Column> = keys
        .iter()
        .map(|key| {
            let def = readable.iter().find(|d| format!("data.{}", d.ref_id) == *key);
            let label = def.map_or_else(
                || native_columns.iter().find(|(n, _)| n == key).map(|(_, l)| l.to_string()).unwrap_or_default(),
                |d| d.name.clone(),
            );
            let kind =
                def.and_then(|d| enspace_domain::item_columns::data_columns(d).into_iter().next()).map(|c| c.kind);
            let sortable = kind.is_none_or(FieldKind::sortable);
            let sort = sortable.then(|| {
                let (state, next) = if sorted == format!("{key}:asc") || sorted == *key {
                    ("ascending", format!("{key}:desc"))
                } else if sorted == format!("{key}:desc") {
                    ("descending", format!("{key}:asc"))
                } else {
                    ("none", format!("{key}:asc"))
                };
                (format!("{base}?{}", params.with(&[("_sort", Some(&next)), ("_start", None)])), state)
            });
            let numeric = def.is_some_and(|d| {
                matches!(
                    d.shape(),
                    enspace_domain::catalogue::Shape::Number | enspace_domain::catalogue::Shape::Currency
                )
            });
            Column { key: key.clone(), label, numeric, sort }
        })
        .collect();

    let rows = items
        .iter()
        .map(|item| {
            // The natives as the API's answer shows them (a hidden one is absent).
            let value = serde_json::to_value(item).unwrap_or_default();
            let data = &item.data;
            let cells = columns
                .iter()
                .map(|column| match column.key.strip_prefix("data.") {
                    Some(ref_id) => match readable.iter().find(|d| d.ref_id == ref_id) {
                        Some(def) => fields::cell(def, data.get(ref_id), &shown),
                        None => Cell::default(),
                    },
                    None => native_cell(&column.key, &value, &shown),
                })
                .collect();
            Row {
                short: short_reference(&item.reference),
                reference: item.reference.clone(),
                href: format!("{base}/{}", item.reference),
                cells,
            }
        })
        .collect::<Vec<_>>();

    let page_link = |to: u64| format!("{base}?{}", params.with(&[("_start", Some(&to.to_string()))]));
    let prev = (start > 0).then(|| page_link(start.saturating_sub(u64::from(limit))));
    let next = (start + u64::from(limit) < total.max(0) as u64).then(|| page_link(start + u64::from(limit)));
    let choosable = readable
        .iter()
        .map(|d| (format!("data.{}", d.ref_id), d.name.clone()))
        .chain(native_columns.iter().map(|(k, l)| (k.to_string(), l.to_string())))
        .map(|(key, label)| {
            let on = keys.contains(&key);
            (key, label, on)
        })
        .collect();
    let kept = ["_sort", "_limit", "form"]
        .iter()
        .filter_map(|name| params.get(name).map(|v| (name.to_string(), v.to_string())))
        .chain(params.all("cols").into_iter().map(|c| ("cols".to_string(), c.to_string())))
        .collect();
    // The type's create forms: an entry each, and "new" through the one chosen.
    let forms = enspace_store::forms::of_type(&state.db, ws.ctx.workspace.id, scope.record.id).await?;
    let chosen_form = params.get("form").map(str::to_string);
    let mut entries = vec![(base.clone(), ws.caller.locale.msg().all_items.to_string(), chosen_form.is_none())];
    for form in forms.iter().filter(|f| matches!(f.form_type.as_str(), "create" | "general")) {
        let id = form.id.to_string();
        entries.push((format!("{base}?form={id}"), form.name.clone(), chosen_form.as_deref() == Some(id.as_str())));
    }
    let may_create = |form: Option<i64>| match form {
        Some(id) => enspace_api::routes::forms::may_create_through(scope.access(), &scope.record.slug, id),
        None => enspace_api::extract::workspace::allowed(
            scope.access(),
            &enspace_domain::access::Action::on_type(&scope.record.slug, "create"),
        )
        .is_ok(),
    };
    let form_id = chosen_form.as_deref().and_then(|f| f.parse::<i64>().ok());
    let new_href = may_create(form_id).then(|| match form_id {
        Some(id) => format!("{base}/new?form={id}"),
        None => format!("{base}/new"),
    });
    let page_sizes = PAGE_SIZES
        .iter()
        .map(|size| {
            (*size, format!("{base}?{}", params.with(&[("_limit", Some(&size.to_string())), ("_start", None)])))
        })
        .collect();
    let mut page = Page::signed_in(&ws.caller, &scope.record.name);
    page.nav = Some(ws.nav(&state).await?);
    // A refused query is not repeated (nor re-fetched): the page shows the refusal.
    let here = with_query(&base, if problem.is_none() { query.as_deref().unwrap_or_default() } else { "" });
    let table = TablePage {
        page,
        type_name: scope.record.name.clone(),
        new_href,
        entries,
        q: params.get("_q").unwrap_or_default().to_string(),
        filters: controls(&readable, &params),
        created_from: params.get("created_at_gte").unwrap_or_default().to_string(),
        created_to: params.get("created_at_lte").unwrap_or_default().to_string(),
        columns,
        choosable,
        showing: showing(total, start, rows.len(), ws.caller.locale),
        rows,
        problem,
        limit,
        prev,
        next,
        page_sizes,
        kept,
        here,
        live: format!("items-{slug}"),
        base,
    };
    let status = if table.problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    // htmx asks for the rows region only (the filters form and the pager target it).
    if is_htmx(&headers) {
        return render(status, &table.as_rows());
    }
    render(status, &table)
}
