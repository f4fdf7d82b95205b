//! One item: the create form, the item page (its fields, edited in place when the member may
//! change them, and its history), and saving. Writes go through the API's own create and
//! update (`routes::items::{create, update}`: form choice, permissions, checks, the one item
//! writer); forms are read by the pure codec `enspace_domain::html_form`, so only changed
//! fields are sent and absent, empty and cleared stay apart.

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
};
use enspace_api::{
    error::ApiError,
    extract::{workspace::allowed, QueryPairs, WsCtx},
    routes::{
        items::{HistoryView, ItemInput, ItemView, Scope},
        schedule_tasks::{Listing, Tasks},
    },
    AppState,
};
use enspace_domain::{
    access::Action,
    fields::FieldDef,
    html_form::{self, Mode},
    Detail,
};
use enspace_engine::structure_cache::TypeStructure;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use super::{auth::query_value, form_refusal, render, see_other, Page, Problems};
use crate::{
    context::{ConsoleWs, WsPosted},
    errors::{ConsoleError, PageResult},
    fields::{
        cell,
        widgets::{widgets, Drawn, Values, Widget},
        Shown,
    },
    format,
    session::UserNames,
};

/// A workspace's time zone (its calendar's): dates on forms and pages are read in it.
pub(crate) async fn zone_of(state: &AppState, workspace_id: i64) -> Result<TimeZone, ConsoleError> {
    let calendar = enspace_engine::calendar::get(&state.db, workspace_id)
        .await
        .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    Ok(calendar.time_zone)
}

/// The type for a create form (a form filler may create without reading the type's items).
async fn structure(state: &AppState, ctx: &WsCtx, slug: &str) -> Result<std::sync::Arc<TypeStructure>, ConsoleError> {
    Ok(state
        .structure
        .type_by_slug(&state.db, &ctx.workspace, slug)
        .await?
        .ok_or_else(|| ApiError::not_found(enspace_api::routes::types::TYPE_NOT_FOUND))?)
}

/// What a create form shows: the chosen form's fields in its order (and what it requires), or
/// every active field the client writes.
async fn create_fields(
    state: &AppState,
    ctx: &WsCtx,
    structure: &TypeStructure,
    form: Option<i64>,
) -> Result<(Vec<FieldDef>, Vec<String>), ConsoleError> {
    let slug = &structure.record.slug;
    let all: Vec<&FieldDef> =
        structure.fields.iter().map(|f| &f.def).filter(|d| d.active && d.field_type.client_writable()).collect();
    let Some(id) = form else {
        allowed(&ctx.access, &Action::on_type(slug, "create"))?;
        return Ok((all.into_iter().cloned().collect(), Vec::new()));
    };
    let record = enspace_store::forms::get(&state.db, ctx.workspace.id, structure.record.id, id)
        .await?
        .filter(|f| matches!(f.form_type.as_str(), "create" | "general"))
        .ok_or_else(|| ApiError::not_found(enspace_api::routes::forms::FORM_NOT_FOUND))?;
    if !enspace_api::routes::forms::may_create_through(&ctx.access, slug, id) {
        allowed(&ctx.access, &Action::on_type(slug, "create"))?;
    }
    let shown = enspace_domain::forms::shown_ref_ids(&record.fields);
    let defs = shown.iter().filter_map(|r| all.iter().find(|d| d.ref_id == *r).map(|d| (*d).clone())).collect();
    Ok((defs, enspace_domain::forms::required_ref_ids(&record.fields)))
}

/// The engine's problems, each at its input (its path), labelled by its field's name and
/// linked from the summary to the field.
pub(crate) fn problems_of(details: &[Detail], defs: &[FieldDef]) -> Problems {
    let mut problems = Problems::default();
    for detail in details {
        let top = detail.path.strip_prefix("data.").and_then(|p| p.split(['.', '[']).next());
        let def = top.and_then(|r| defs.iter().find(|d| d.ref_id == r));
        problems.list.push(super::Problem {
            field: detail.path.clone(),
            anchor: def.map_or_else(|| "main".to_string(), |d| format!("data-{}", d.ref_id)),
            label: def.map_or_else(|| detail.path.clone(), |d| d.name.clone()),
            message: detail.message.clone(),
        });
    }
    problems
}

/// Problems of answers the engine names where it keeps them — `prefix` and a refId: a schedule
/// task's bare refIds (`""`), a quick task's `meta.form_result.` — at the form's `data.` inputs;
/// paths already `data.…`, and any other, as they are.
pub(crate) fn at_inputs(details: Vec<Detail>, prefix: &str) -> Vec<Detail> {
    details
        .into_iter()
        .map(|d| match d.path.strip_prefix(prefix) {
            Some(rest) if !d.path.starts_with("data.") => Detail { path: format!("data.{rest}"), ..d },
            _ => d,
        })
        .collect()
}

/// An engine refusal a form shows beside its inputs; anything else is the page's error.
fn form_problems(error: ApiError, defs: &[FieldDef]) -> Result<Problems, ConsoleError> {
    Ok(problems_of(&form_refusal(error)?, defs))
}

#[derive(Template)]
#[template(path = "items/new.html")]
struct NewPage {
    page: Page,
    action: String,
    type_name: String,
    widgets: Vec<Widget>,
    problems: Problems,
}

fn form_id(value: Option<String>) -> Result<Option<i64>, ConsoleError> {
    match value.filter(|v| !v.is_empty() && v != "default") {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| ApiError::not_found("Not found").into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn new_page(
    state: &AppState,
    ws: &ConsoleWs,
    structure: &TypeStructure,
    form: Option<i64>,
    defs: &[FieldDef],
    required: &[String],
    values: &[(String, String)],
    problems: Problems,
) -> Result<NewPage, ConsoleError> {
    let zone = zone_of(state, ws.ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let refs: Vec<&FieldDef> = defs.iter().collect();
    let workspace = format!("/app/w/{}", ws.ctx.workspace.reference);
    let drawn =
        Drawn { values: Values(values), required, problems: &problems, shown: &shown, workspace: Some(&workspace) };
    let widgets = widgets(&refs, &|_| true, &Map::new(), &drawn);
    let base = format!("{workspace}/types/{}", structure.record.slug);
    let action = match form {
        Some(id) => format!("{base}/new?form={id}"),
        None => format!("{base}/new"),
    };
    let mut page = Page::signed_in(&ws.caller, ws.caller.locale.msg().new_item);
    page.nav = Some(ws.nav(state).await?);
    Ok(NewPage { page, action, type_name: structure.record.name.clone(), widgets, problems })
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let form = form_id(query_value(query.as_deref(), "form"))?;
    let structure = structure(&state, &ws.ctx, &slug).await?;
    let (defs, required) = create_fields(&state, &ws.ctx, &structure, form).await?;
    let page = new_page(&state, &ws, &structure, form, &defs, &required, &[], Problems::default()).await?;
    render(StatusCode::OK, &page)
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Path((_, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form: posted } = posted;
    let form = form_id(query_value(query.as_deref(), "form"))?;
    let structure = structure(&state, &ws.ctx, &slug).await?;
    let (defs, required) = create_fields(&state, &ws.ctx, &structure, form).await?;
    let zone = zone_of(&state, ws.ctx.workspace.id).await?;
    let problems = match html_form::decode(&defs, &posted.0, Mode::Create, &zone) {
        Err(details) => problems_of(&details, &defs),
        Ok(data) => {
            let input = ItemInput {
                data: Some(data),
                form: form.map(Value::from),
                is_draft: None,
                request_email: None,
                status: None,
            };
            match enspace_api::routes::items::create(&state, &ws.ctx, &slug, &input).await {
                Ok(item) => {
                    let base = format!("/app/w/{}/types/{}", ws.ctx.workspace.reference, slug);
                    let readable = allowed(&ws.ctx.access, &Action::read_type(&slug)).is_ok();
                    return Ok(see_other(&if readable { format!("{base}/{}", item.reference) } else { base }));
                }
                Err(error) => form_problems(error, &defs)?,
            }
        }
    };
    let page = new_page(&state, &ws, &structure, form, &defs, &required, &posted.0, problems).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// One history entry as the page shows it.
struct Entry {
    when: String,
    who: String,
    action: &'static str,
    source: String,
    changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "items/page.html")]
struct ItemPage {
    page: Page,
    base: String,
    href: String,
    type_name: String,
    reference: String,
    short: String,
    status: String,
    created: String,
    updated: String,
    tab: &'static str,
    /// The fields, as inputs where the member may change them.
    widgets: Vec<Widget>,
    editable: bool,
    /// Whether the member may change the item's status, and delete it.
    may_change_status: bool,
    may_delete: bool,
    active: bool,
    problems: Problems,
    history: Vec<Entry>,
    /// The Tarefas tab: the item's schedule tasks the member may see.
    task_rows: Vec<super::tasks::Row>,
    /// The Tarefas tab: the quick tasks linked to the item (link, name, status, due).
    quick: Vec<(String, String, &'static str, String)>,
    /// The Fluxo tab: the item's runs.
    runs: Vec<super::flows::RunView>,
    /// Where "Assumir" on the Tarefas tab comes back to.
    back: String,
    /// The live signal of this item.
    live: String,
}

/// What the member may change: `update` on the type, and the field in its update list.
fn writable_of(ctx: &WsCtx, slug: &str) -> Box<dyn Fn(&FieldDef) -> bool + Send + Sync> {
    if allowed(&ctx.access, &Action::on_type(slug, "update")).is_err() {
        return Box::new(|_| false);
    }
    let grant = ctx.access.fields(slug, "update");
    Box::new(move |def: &FieldDef| grant.covers(&format!("data.{}", def.ref_id)))
}

#[allow(clippy::too_many_arguments)]
async fn item_page(
    state: &AppState,
    ws: &ConsoleWs,
    scope: &Scope,
    item: &ItemView,
    tab: &'static str,
    posted: Option<&[(String, String)]>,
    problems: Problems,
) -> Result<ItemPage, ConsoleError> {
    let t = ws.caller.locale.msg();
    let zone = zone_of(state, ws.ctx.workspace.id).await?;
    let shown = Shown { locale: ws.caller.locale, zone: &zone };
    let slug = scope.record.slug.clone();
    let readable: Vec<&FieldDef> = scope.readable_fields();
    let writable = writable_of(&ws.ctx, &slug);
    let encoded;
    let values = match posted {
        Some(pairs) => pairs,
        None => {
            let defs: Vec<FieldDef> = readable.iter().map(|d| (*d).clone()).collect();
            encoded = html_form::encode(&defs, &item.data, &zone);
            &encoded[..]
        }
    };
    let workspace = format!("/app/w/{}", ws.ctx.workspace.reference);
    let drawn = Drawn {
        values: Values(values),
        required: &[],
        problems: &problems,
        shown: &shown,
        workspace: Some(&workspace),
    };
    let widgets = widgets(&readable, &*writable, &item.data, &drawn);
    let editable = readable.iter().any(|d| writable(d) && d.field_type.client_writable());
    let view = serde_json::to_value(item).unwrap_or_default();
    let native = |key: &str| view.get(key).and_then(Value::as_str).map(str::to_string);
    let instant =
        |key: &str| native(key).and_then(|at| format::instant(&at, &zone, ws.caller.locale)).unwrap_or_default();
    let history = if tab == "history" {
        let entries = scope.history(state, &item.reference, &QueryPairs(Vec::new())).await?;
        history_entries(state, entries, &readable, &shown).await?
    } else {
        Vec::new()
    };
    let task_rows = if tab == "tasks" {
        let tasks = Tasks::of(state, &ws.ctx, Listing::Visible).await?;
        let pairs = vec![
            ("flow_item.item".to_string(), item.id.to_string()),
            ("_sort".to_string(), "id:asc".to_string()),
            ("_limit".to_string(), state.config.paging.max_limit.to_string()),
        ];
        let rows = tasks.rows(state, &ws.ctx, &QueryPairs(pairs)).await?;
        rows.iter().map(|r| super::tasks::Row::of(r, &ws.ctx, t.work, &shown)).collect()
    } else {
        Vec::new()
    };
    let quick = if tab == "tasks" {
        let pairs = vec![
            ("item".to_string(), item.id.to_string()),
            ("_sort".to_string(), "id:asc".to_string()),
            ("_limit".to_string(), state.config.paging.max_limit.to_string()),
        ];
        enspace_api::routes::quick_tasks::list(state, &ws.ctx, &QueryPairs(pairs))
            .await?
            .into_iter()
            .map(|q| {
                let due =
                    q.due_date.as_deref().and_then(|d| format::instant(d, &zone, ws.caller.locale)).unwrap_or_default();
                (
                    format!("/app/w/{}/tasks/quick/{}", ws.ctx.workspace.reference, q.id),
                    q.name,
                    t.work.lane(&q.status),
                    due,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let runs = if tab == "flow" { super::flows::runs_of(state, ws, item.id, &shown).await? } else { Vec::new() };
    let base = format!("/app/w/{}/types/{}", ws.ctx.workspace.reference, slug);
    let mut page = Page::signed_in(
        &ws.caller,
        &format!("{} {}", scope.record.name, super::items::short_reference(&item.reference)),
    );
    page.nav = Some(ws.nav(state).await?);
    let live = format!("item-{}", item.reference);
    // An open edit form is never replaced under the member's hands: a change made elsewhere
    // shows a banner instead; every other tab refreshes in place.
    if tab == "overview" && editable {
        page.watch = Some(live.clone());
    }
    Ok(ItemPage {
        live,
        page,
        href: format!("{base}/{}", item.reference),
        base,
        type_name: scope.record.name.clone(),
        short: super::items::short_reference(&item.reference),
        reference: item.reference.clone(),
        status: native("status").map(|status| t.item_status(&status).to_string()).unwrap_or_default(),
        created: instant("created_at"),
        updated: instant("updated_at"),
        tab,
        widgets,
        editable,
        may_change_status: allowed(&ws.ctx.access, &Action::on_type(&slug, "update")).is_ok()
            && ws.ctx.access.fields(&slug, "update").covers("status"),
        may_delete: allowed(&ws.ctx.access, &Action::on_type(&slug, "delete")).is_ok(),
        active: native("status").as_deref() != Some("inactive"),
        problems,
        history,
        task_rows,
        quick,
        runs,
        back: format!("/app/w/{}/types/{slug}/{}?tab=tasks", ws.ctx.workspace.reference, item.reference),
    })
}

async fn history_entries(
    state: &AppState,
    entries: Vec<HistoryView>,
    readable: &[&FieldDef],
    shown: &Shown<'_>,
) -> Result<Vec<Entry>, ConsoleError> {
    let t = shown.locale.msg();
    let mut names = UserNames::default();
    let mut out = Vec::new();
    for entry in entries {
        let who = match entry.user {
            Some(id) => names.of(state, id).await?,
            None => String::new(),
        };
        // In the type's field order (the natives, such as status, after).
        let mut keys: Vec<&String> = entry.changes.keys().collect();
        keys.sort_by_key(|key| readable.iter().position(|d| d.ref_id == **key).unwrap_or(usize::MAX));
        let changes = keys
            .into_iter()
            .map(|key| (key, &entry.changes[key]))
            .map(|(key, change)| {
                let def = readable.iter().find(|d| d.ref_id == *key);
                let show = |v: Option<&Value>| match def {
                    Some(def) => cell(def, v, shown).text,
                    None => v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).unwrap_or_default(),
                };
                let label = def.map_or_else(
                    || if key == "status" { t.status.to_string() } else { key.clone() },
                    |d| d.name.clone(),
                );
                (label, show(change.get("from")), show(change.get("to")))
            })
            .collect();
        out.push(Entry {
            when: format::instant(&entry.created_at, shown.zone, shown.locale).unwrap_or_default(),
            who,
            action: match entry.action.as_str() {
                "create" => t.created_action,
                "status" => t.status_action,
                "delete" => t.deleted_action,
                _ => t.updated_action,
            },
            source: entry.source,
            changes,
        });
    }
    Ok(out)
}

pub(crate) async fn show(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, slug, reference)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let tab = match query_value(query.as_deref(), "tab").as_deref() {
        Some("history") => "history",
        Some("tasks") => "tasks",
        Some("flow") => "flow",
        _ => "overview",
    };
    let scope = Scope::read(&state, &ws.ctx, &slug).await?;
    let item = scope.get(&state, &reference).await?;
    let page = item_page(&state, &ws, &scope, &item, tab, None, Problems::default()).await?;
    render(StatusCode::OK, &page)
}

/// Saves what changed: the form compared with the item as the member reads it.
pub(crate) async fn save(
    State(state): State<AppState>,
    Path((_, slug, reference)): Path<(String, String, String)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form: posted } = posted;
    let scope = Scope::read(&state, &ws.ctx, &slug).await?;
    let item = scope.get(&state, &reference).await?;
    let zone = zone_of(&state, ws.ctx.workspace.id).await?;
    let writable = writable_of(&ws.ctx, &slug);
    let defs: Vec<FieldDef> = scope
        .fields
        .iter()
        .map(|f| &f.def)
        .filter(|d| d.active && d.field_type.client_writable() && writable(d))
        .cloned()
        .collect();
    let href = format!("/app/w/{}/types/{}/{}", ws.ctx.workspace.reference, slug, reference);
    let problems = match html_form::decode(&defs, &posted.0, Mode::Edit(&item.data), &zone) {
        Err(details) => problems_of(&details, &defs),
        Ok(changes) if changes.is_empty() => return Ok(see_other(&href)),
        Ok(changes) => {
            let input =
                ItemInput { data: Some(changes), form: None, is_draft: None, request_email: None, status: None };
            match enspace_api::routes::items::update(&state, &ws.ctx, &slug, &reference, &input).await {
                Ok(_) => return Ok(see_other(&href)),
                Err(error) => form_problems(error, &defs)?,
            }
        }
    };
    let page = item_page(&state, &ws, &scope, &item, "overview", Some(&posted.0), problems).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// Activates or deactivates the item (`status`, as `PUT …/items/{reference}` changes it).
pub(crate) async fn set_status(
    State(state): State<AppState>,
    Path((_, slug, reference)): Path<(String, String, String)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form } = posted;
    let status = form.get("status").map(str::to_string);
    let input = ItemInput { data: None, form: None, is_draft: None, request_email: None, status };
    enspace_api::routes::items::update(&state, &ws.ctx, &slug, &reference, &input).await?;
    Ok(see_other(&format!("/app/w/{}/types/{slug}/{reference}", ws.ctx.workspace.reference)))
}

/// Deletes the item for good (after the page's confirmation), back to the table.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Path((_, slug, reference)): Path<(String, String, String)>,
    posted: WsPosted,
) -> PageResult {
    enspace_api::routes::items::delete(&state, &posted.ws.ctx, &slug, &reference).await?;
    Ok(see_other(&format!("/app/w/{}/types/{slug}", posted.ws.ctx.workspace.reference)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_named_where_the_engine_keeps_them_are_at_the_forms_inputs() {
        let paths = |details: Vec<Detail>| details.into_iter().map(|d| d.path).collect::<Vec<_>>();
        let task = at_inputs(vec![Detail::new("tipo", "x"), Detail::new("data.valor", "y")], "");
        assert_eq!(paths(task), ["data.tipo", "data.valor"]);
        let quick = vec![
            Detail::new("meta.form_result.parecer", "x"),
            Detail::new("data.nota", "y"),
            Detail::new("meta.form", "z"),
        ];
        assert_eq!(paths(at_inputs(quick, "meta.form_result.")), ["data.parecer", "data.nota", "meta.form"]);
    }
}
