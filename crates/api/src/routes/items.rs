//! Items of a type: list, count, get, create, partial update, delete, bulk, history.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::Action,
    access::{permission_path, FieldGrant, MemberAccess},
    forms::required_ref_ids,
    items::{BULK_MAX, STATUSES},
    list::ListQuery,
    time::format_ms,
    user::check_email,
    Detail,
};
use enspace_engine::{
    items::{self as engine, Bulk, BulkError, BulkOp, CreateRequest, ItemError, UpdateRequest},
    structure_cache::TypeStructure,
};
use enspace_store::{
    items::{ItemColumns, ItemRecord},
    types::TypeRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, workspace::allowed, ApiJson, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{forms::may_create_through, types::TYPE_NOT_FOUND},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, create_item))
        .routes(routes!(count_items))
        .routes(routes!(bulk_items))
        .routes(routes!(get_item, update_item, delete_item))
        .routes(routes!(item_history))
}

pub const ITEM_NOT_FOUND: &str = "Item not found";

/// The type, its fields, the caller's access and the fields it may read, after checking
/// `action` on the type. The type is the structure cache's (`scope.record`, `scope.fields`).
/// Its reads ([`Scope::read`], then `list`, `count`, `get`) are what the list, count and get
/// routes answer and what the console shows: one read path, so the two cannot disagree.
pub struct Scope {
    structure: Arc<TypeStructure>,
    access: MemberAccess,
    readable: FieldGrant,
}

impl std::ops::Deref for Scope {
    type Target = TypeStructure;
    fn deref(&self) -> &TypeStructure {
        &self.structure
    }
}

async fn scope(state: &AppState, ctx: &WsCtx, slug: &str, action: &str) -> ApiResult<Scope> {
    let scope = unchecked_scope(state, ctx, slug).await?;
    allowed(&scope.access, &Action::on_type(slug, action))?;
    Ok(scope)
}

/// The scope before any permission check: for creates, whose permission depends on the form.
async fn unchecked_scope(state: &AppState, ctx: &WsCtx, slug: &str) -> ApiResult<Scope> {
    let structure = state
        .structure
        .type_by_slug(&state.db, &ctx.workspace, slug)
        .await?
        .ok_or_else(|| ApiError::not_found(TYPE_NOT_FOUND))?;
    let access = ctx.access.clone();
    let readable = access.fields(slug, "read");
    Ok(Scope { structure, access, readable })
}

impl Scope {
    /// The type named `slug`, for a caller allowed to read its items.
    pub async fn read(state: &AppState, ctx: &WsCtx, slug: &str) -> ApiResult<Scope> {
        scope(state, ctx, slug, "read").await
    }

    /// The fields (and native columns) this reader may read.
    pub fn readable(&self) -> &FieldGrant {
        &self.readable
    }

    /// The type's active fields this reader may read, in order.
    pub fn readable_fields(&self) -> Vec<&enspace_domain::fields::FieldDef> {
        self.fields
            .iter()
            .map(|f| &f.def)
            .filter(|d| d.active && self.readable.covers(&format!("data.{}", d.ref_id)))
            .collect()
    }

    /// The caller's access in the workspace.
    pub fn access(&self) -> &MemberAccess {
        &self.access
    }

    /// The items a list query (`GET …/items` parameters) answers, as this reader sees them.
    pub async fn list(&self, state: &AppState, query: &QueryPairs) -> ApiResult<Vec<ItemView>> {
        let (columns, query) = self.list_query(state, query)?;
        let items =
            enspace_store::items::list(&state.db, self.record.workspace_id, self.record.id, &columns, &query).await?;
        views(state, self, items).await
    }

    /// How many items the query's filters match (paging ignored).
    pub async fn count(&self, state: &AppState, query: &QueryPairs) -> ApiResult<i64> {
        let (columns, query) = self.list_query(state, query)?;
        Ok(enspace_store::items::count(&state.db, self.record.workspace_id, self.record.id, &columns, &query).await?)
    }

    /// One item by reference, as this reader sees it.
    pub async fn get(&self, state: &AppState, reference: &str) -> ApiResult<ItemView> {
        let item = enspace_store::items::get(&state.db, self.record.workspace_id, self.record.id, reference)
            .await?
            .ok_or_else(|| ApiError::not_found(ITEM_NOT_FOUND))?;
        view(state, self, item).await
    }

    /// An item's history (`_limit`, `_start`), newest first, as this reader sees it.
    pub async fn history(&self, state: &AppState, reference: &str, query: &QueryPairs) -> ApiResult<Vec<HistoryView>> {
        let query = query.list(state, &HistoryPaging, &[])?;
        let item = enspace_store::items::get(&state.db, self.record.workspace_id, self.record.id, reference)
            .await?
            .ok_or_else(|| ApiError::not_found(ITEM_NOT_FOUND))?;
        let entries =
            enspace_store::events::history(&state.db, self.record.workspace_id, item.id, query.limit, query.start)
                .await?;
        Ok(entries.into_iter().map(|entry| HistoryView::from(entry).masked(&self.readable)).collect())
    }

    /// The list language for this reader: filters and sorts only on fields it may read (a 403
    /// naming the field otherwise, so hidden values cannot be probed), `_q` only over them.
    fn list_query(&self, state: &AppState, query: &QueryPairs) -> ApiResult<(ItemColumns, ListQuery)> {
        let columns = ItemColumns::new(state.db.backend(), &self.fields);
        let parsed = query.list(state, &columns, &[])?;
        let names = parsed.filters.iter().map(|f| &f.field).chain(parsed.sort.iter().map(|s| &s.field));
        for name in names {
            if !self.readable.covers(name) {
                return Err(field_denied(&self.record.slug, "read", "", permission_path(name)));
            }
        }
        let columns =
            if self.readable.is_all() { columns } else { columns.search_only(|path| self.readable.covers(path)) };
        Ok((columns, parsed))
    }

    /// 403 unless the caller may `update` every field a change writes.
    fn check_writable(&self, prefix: &str, data: Option<&Map<String, Value>>, status: Option<&str>) -> ApiResult<()> {
        let writable = self.access.fields(&self.record.slug, "update");
        if writable.is_all() {
            return Ok(());
        }
        let mut paths = data.into_iter().flat_map(|d| d.keys()).map(|k| format!("data.{k}"));
        if let Some(path) = paths.find(|p| !writable.covers(p)) {
            return Err(field_denied(&self.record.slug, "update", prefix, &path));
        }
        if status.is_some() && !writable.covers("status") {
            return Err(field_denied(&self.record.slug, "update", prefix, "status"));
        }
        Ok(())
    }
}

/// `Permission denied: types::<slug>::<action> does not cover data.valor`, with the field's path.
fn field_denied(slug: &str, action: &str, prefix: &str, path: &str) -> ApiError {
    let at = if prefix.is_empty() { path.to_string() } else { format!("{prefix}.{path}") };
    ApiError {
        details: vec![Detail::new(at, format!("you may not {action} this field"))],
        ..ApiError::forbidden(format!("Permission denied: types::{slug}::{action} does not cover {path}"))
    }
}

impl From<ItemError> for ApiError {
    fn from(error: ItemError) -> Self {
        match error {
            ItemError::Invalid(details) => ApiError::validation(details),
            ItemError::Duplicate(detail) => {
                ApiError { details: vec![detail], ..ApiError::conflict("A unique field's value is already used") }
            }
            ItemError::Store(e) => e.into(),
        }
    }
}

async fn views(state: &AppState, scope: &Scope, items: Vec<ItemRecord>) -> ApiResult<Vec<ItemView>> {
    views_as(state, scope, items, &scope.readable).await
}

/// The items as a reader with `grant` sees them.
async fn views_as(
    state: &AppState,
    scope: &Scope,
    mut items: Vec<ItemRecord>,
    grant: &FieldGrant,
) -> ApiResult<Vec<ItemView>> {
    engine::present(&state.db, scope.record.workspace_id, &scope.fields, &mut items).await?;
    Ok(items.into_iter().map(|item| ItemView::from(item).masked(grant)).collect())
}

async fn view(state: &AppState, scope: &Scope, item: ItemRecord) -> ApiResult<ItemView> {
    Ok(views(state, scope, vec![item]).await?.remove(0))
}

/// A created item as its creator sees it: what it may read, plus what its own request set (a
/// form filler without `read` learns nothing it did not send, computed values excepted).
/// Its relations are shown from the items the create resolved (no second read of them).
async fn created_view(
    state: &AppState,
    scope: &Scope,
    created: engine::Created,
    sent: &ItemInput,
) -> ApiResult<ItemView> {
    let sent_paths = sent.data.iter().flat_map(|d| d.keys()).map(|k| format!("data.{k}"));
    let natives = ["form", "status", "request_email"].map(String::from);
    let grant = scope.readable.with(sent_paths.chain(natives));
    let mut items = vec![created.item];
    engine::present_with(&state.db, scope.record.workspace_id, &scope.fields, &mut items, created.related).await?;
    Ok(ItemView::from(items.remove(0)).masked(&grant))
}

/// List [wire route]. Filters: built-in columns by name (`id`, `reference`, `status`,
/// `isDraft`, `form`, `request_email`, `user`/`created_by`, `created_at`, `updated_at`) and
/// fields as `data.<refId>` with the operators that fit their type; a relation by id
/// (`data.cliente=43887`) or reference (`data.cliente.reference=FOR…`); `_q` over text fields.
#[utoipa::path(get, path = "/ws/types/{slug}/items", tag = "items", params(WorkspaceHeader, ("slug" = String, Path), ListParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [ItemView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_items(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<Vec<ItemView>>> {
    Ok(Json(Scope::read(&state, &ctx, &slug).await?.list(&state, &query).await?))
}

/// Count with the list's filters: a bare number.
#[utoipa::path(get, path = "/ws/types/{slug}/items/count", tag = "items", params(WorkspaceHeader, ("slug" = String, Path), ListParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn count_items(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<i64>> {
    Ok(Json(Scope::read(&state, &ctx, &slug).await?.count(&state, &query).await?))
}

#[utoipa::path(get, path = "/ws/types/{slug}/items/{reference}", tag = "items", params(WorkspaceHeader, ("slug" = String, Path), ("reference" = String, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_item(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, reference)): Path<(String, String)>,
) -> ApiResult<Json<ItemView>> {
    Ok(Json(Scope::read(&state, &ctx, &slug).await?.get(&state, &reference).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Field values by refId. May be left out of an update; `null` is refused (send `{}`).
    #[schema(value_type = Object)]
    #[serde(default, deserialize_with = "crate::extract::json::not_null")]
    pub data: Option<Map<String, Value>>,
    /// `default` or a form id.
    #[schema(value_type = Option<Object>)]
    pub form: Option<Value>,
    #[serde(rename = "isDraft")]
    pub is_draft: Option<bool>,
    pub request_email: Option<String>,
    /// `active` (default) or `inactive`.
    pub status: Option<String>,
}

impl Input for ItemInput {
    const READ_ONLY: &'static [&'static str] = &["reference", "user"];
}

fn check_status(details: &mut Vec<Detail>, path: &str, status: Option<&str>) {
    if let Some(status) = status {
        if !STATUSES.contains(&status) {
            details.push(Detail::new(path, format!("expected active or inactive, got {status:?}")));
        }
    }
}

/// The form a create names: `default`, or the id of one of the type's `create`/`general` forms
/// (answered with the refIds it marks required).
async fn form_of(state: &AppState, record: &TypeRecord, form: Option<&Value>, path: &str) -> ApiResult<FormChoice> {
    let id = match form {
        None | Some(Value::Null) => return Ok(FormChoice::Default),
        Some(Value::String(s)) if s == "default" => return Ok(FormChoice::Default),
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    let form = match id {
        Some(id) => enspace_store::forms::get(&state.db, record.workspace_id, record.id, id).await?,
        None => None,
    };
    let form = form.filter(|f| matches!(f.form_type.as_str(), "create" | "general")).ok_or_else(|| {
        ApiError::validation(vec![Detail::new(
            path,
            "expected \"default\" or the id of one of this type's create or general forms",
        )])
    })?;
    Ok(FormChoice::Form { id: form.id, required: required_ref_ids(&form.fields) })
}

enum FormChoice {
    Default,
    Form { id: i64, required: Vec<String> },
}

impl FormChoice {
    /// May the member create through this choice: the type's `create`, or the form's own.
    fn authorize(&self, access: &MemberAccess, slug: &str) -> ApiResult<()> {
        match self {
            FormChoice::Form { id, .. } if may_create_through(access, slug, *id) => Ok(()),
            _ => allowed(access, &Action::on_type(slug, "create")),
        }
    }

    fn parts(self) -> (String, Vec<String>) {
        match self {
            FormChoice::Default => ("default".into(), Vec::new()),
            FormChoice::Form { id, required } => (id.to_string(), required),
        }
    }
}

fn check_request_email(details: &mut Vec<Detail>, path: &str, email: Option<&str>) {
    if let Some(Err(message)) = email.map(check_email) {
        details.push(Detail::new(path, message));
    }
}

/// Create: `{data*, form, isDraft, request_email, status}` → 201.
#[utoipa::path(post, path = "/ws/types/{slug}/items", tag = "items", params(WorkspaceHeader, ("slug" = String, Path)), request_body = ItemInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = ItemView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_item(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<ItemInput>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    Ok((StatusCode::CREATED, Json(create(&state, &ctx, &slug, &input).await?)))
}

/// Creates an item as `POST …/items` does (its form, permissions, checks and the one item
/// writer), answering it as its creator sees it: the route and the console's create form.
pub async fn create(state: &AppState, ctx: &WsCtx, slug: &str, input: &ItemInput) -> ApiResult<ItemView> {
    let scope = unchecked_scope(state, ctx, slug).await?;
    let choice = form_of(state, &scope.record, input.form.as_ref(), "form").await;
    match &choice {
        Ok(choice) => choice.authorize(&scope.access, slug)?,
        Err(_) => allowed(&scope.access, &Action::on_type(slug, "create"))?,
    }
    let mut details = Vec::new();
    check_status(&mut details, "status", input.status.as_deref());
    check_request_email(&mut details, "request_email", input.request_email.as_deref());
    let (form, form_required) = match choice {
        Ok(choice) => choice.parts(),
        Err(e) if e.details.is_empty() => return Err(e),
        Err(e) => {
            // Without its form, the data's required fields are unknown: its problems wait.
            details.extend(e.details);
            return Err(ApiError::validation(details));
        }
    };
    let Some(data) = input.data.as_ref() else {
        details.insert(0, Detail::new("data", "is required"));
        return Err(ApiError::validation(details));
    };
    let request = CreateRequest {
        data,
        status: input.status.as_deref().unwrap_or("active"),
        is_draft: input.is_draft.unwrap_or(false),
        form,
        request_email: input.request_email.as_deref(),
        form_required: &form_required,
        problems: details,
        starts_flows: scope.starts_flows,
    };
    let item = engine::create(&state.db, &scope.record, &scope.fields, &request, &ctx.author("api")).await?;
    created_view(state, &scope, item, input).await
}

/// Partial update [wire behaviour]: keys present in `data` replace those values, `null` clears
/// one, absent keys stay; `status` and `isDraft` may change too.
#[utoipa::path(put, path = "/ws/types/{slug}/items/{reference}", tag = "items", params(WorkspaceHeader, ("slug" = String, Path), ("reference" = String, Path)),
    request_body = ItemInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ItemView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_item(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, reference)): Path<(String, String)>,
    ApiJson(input): ApiJson<ItemInput>,
) -> ApiResult<Json<ItemView>> {
    Ok(Json(update(&state, &ctx, &slug, &reference, &input).await?))
}

/// Changes an item as `PUT …/items/{reference}` does: the route and the console's edit form.
pub async fn update(
    state: &AppState,
    ctx: &WsCtx,
    slug: &str,
    reference: &str,
    input: &ItemInput,
) -> ApiResult<ItemView> {
    let scope = scope(state, ctx, slug, "update").await?;
    let mut details = Vec::new();
    check_status(&mut details, "status", input.status.as_deref());
    if input.form.is_some() || input.request_email.is_some() {
        details.push(Detail::new(
            if input.form.is_some() { "form" } else { "request_email" },
            "is set on create and cannot change",
        ));
    }
    scope.check_writable("", input.data.as_ref(), input.status.as_deref())?;
    let request = UpdateRequest {
        data: input.data.as_ref(),
        server_values: None,
        status: input.status.as_deref(),
        is_draft: input.is_draft,
        problems: details,
    };
    let item = engine::update(&state.db, &scope.record, &scope.fields, reference, &request, &ctx.author("api"))
        .await?
        .ok_or_else(|| ApiError::not_found(ITEM_NOT_FOUND))?;
    view(state, &scope, item).await
}

/// Permanent removal [wire]; answers the item as it was. Items that pointed at it keep their
/// relation values, which then read `display: null, missing: true`.
#[utoipa::path(delete, path = "/ws/types/{slug}/items/{reference}", tag = "items", params(WorkspaceHeader, ("slug" = String, Path), ("reference" = String, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_item(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, reference)): Path<(String, String)>,
) -> ApiResult<Json<ItemView>> {
    Ok(Json(delete(&state, &ctx, &slug, &reference).await?))
}

/// Deletes an item as `DELETE …/items/{reference}` does (the console's too).
pub async fn delete(state: &AppState, ctx: &WsCtx, slug: &str, reference: &str) -> ApiResult<ItemView> {
    let scope = scope(state, ctx, slug, "delete").await?;
    let item = engine::delete(&state.db, &state.files, &scope.record, reference, &ctx.author("api"))
        .await?
        .ok_or_else(|| ApiError::not_found(ITEM_NOT_FOUND))?;
    view(state, &scope, item).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdate {
    pub reference: String,
    #[schema(value_type = Object)]
    #[serde(default, deserialize_with = "crate::extract::json::not_null")]
    pub data: Option<Map<String, Value>>,
    pub status: Option<String>,
    #[serde(rename = "isDraft")]
    pub is_draft: Option<bool>,
}

/// At most 500 operations, all-or-nothing [ours].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    #[serde(default)]
    pub create: Vec<ItemInput>,
    #[serde(default)]
    pub update: Vec<BulkUpdate>,
    /// References.
    #[serde(default)]
    pub delete: Vec<String>,
}

impl Input for BulkInput {}

/// The per-operation results, in the order given.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub create: Vec<ItemView>,
    pub update: Vec<ItemView>,
    pub delete: Vec<ItemView>,
}

/// Creates, updates and deletes in one transaction: every operation applies, or none does
/// (every problem reported with its operation's path, e.g. `create[3].data.valor`).
#[utoipa::path(post, path = "/ws/types/{slug}/items/bulk", tag = "items", params(WorkspaceHeader, ("slug" = String, Path)), request_body = BulkInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = BulkResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bulk_items(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<BulkInput>,
) -> ApiResult<Json<BulkResult>> {
    let scope = scope(&state, &ctx, &slug, "read").await?;
    let total = input.create.len() + input.update.len() + input.delete.len();
    if total == 0 || total > BULK_MAX {
        return Err(ApiError::validation(vec![Detail::new(
            "",
            format!("expected 1 to {BULK_MAX} operations, got {total}"),
        )]));
    }
    // Creates are authorized per operation: a form's own permission may cover them.
    for (ops, action) in [(input.update.len(), "update"), (input.delete.len(), "delete")] {
        if ops > 0 {
            allowed(&scope.access, &Action::on_type(&slug, action))?;
        }
    }
    for (i, op) in input.update.iter().enumerate() {
        scope.check_writable(&format!("update[{i}]"), op.data.as_ref(), op.status.as_deref())?;
    }
    // The caller's own checks, per operation: statuses, emails, the form each create names
    // (and whether the caller may create through it). The writes are one engine command.
    let mut prepared = Vec::new();
    for op in &input.create {
        let mut problems = Vec::new();
        if op.data.is_none() {
            problems.push(Detail::new("data", "is required"));
        }
        check_status(&mut problems, "status", op.status.as_deref());
        check_request_email(&mut problems, "request_email", op.request_email.as_deref());
        let choice = match form_of(&state, &scope.record, op.form.as_ref(), "form").await {
            Ok(choice) => {
                choice.authorize(&scope.access, &slug)?;
                Some(choice.parts())
            }
            Err(e) => {
                problems.extend(e.details);
                None
            }
        };
        prepared.push((choice, problems));
    }
    let create = input
        .create
        .iter()
        .zip(&prepared)
        .map(|(op, (choice, problems))| match (choice, op.data.as_ref()) {
            (Some((form, required)), Some(data)) => BulkOp::Ready(CreateRequest {
                data,
                status: op.status.as_deref().unwrap_or("active"),
                is_draft: op.is_draft.unwrap_or(false),
                form: form.clone(),
                request_email: op.request_email.as_deref(),
                form_required: required,
                problems: problems.clone(),
                starts_flows: scope.starts_flows,
            }),
            _ => BulkOp::Refused(problems.clone()),
        })
        .collect();
    let update = input
        .update
        .iter()
        .map(|op| {
            let mut problems = Vec::new();
            check_status(&mut problems, "status", op.status.as_deref());
            let request = UpdateRequest {
                data: op.data.as_ref(),
                server_values: None,
                status: op.status.as_deref(),
                is_draft: op.is_draft,
                problems,
            };
            (op.reference.as_str(), request)
        })
        .collect();
    let request = Bulk { create, update, delete: input.delete.iter().map(String::as_str).collect() };
    let done = engine::bulk(&state.db, &state.files, &scope.record, &scope.fields, request, &ctx.author("api"))
        .await
        .map_err(|error| match error {
        BulkError::Invalid(details) => ApiError::validation(details),
        BulkError::Conflict(details) => {
            ApiError { details, ..ApiError::conflict("A unique field's value is already used; nothing was changed") }
        }
        BulkError::Store(e) => e.into(),
    })?;
    Ok(Json(BulkResult {
        create: views(&state, &scope, done.created).await?,
        update: views(&state, &scope, done.updated).await?,
        delete: views(&state, &scope, done.deleted).await?,
    }))
}

/// Who changed what, from what, to what, through which source; newest first. Pages with
/// `_limit` and `_start`.
#[utoipa::path(get, path = "/ws/types/{slug}/items/{reference}/history", tag = "items", params(WorkspaceHeader, ("slug" = String, Path), ("reference" = String, Path), ListParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [HistoryView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn item_history(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, reference)): Path<(String, String)>,
    query: QueryPairs,
) -> ApiResult<Json<Vec<HistoryView>>> {
    Ok(Json(Scope::read(&state, &ctx, &slug).await?.history(&state, &reference, &query).await?))
}

/// History pages only (`_limit`, `_start`): no filters, newest first.
struct HistoryPaging;

impl enspace_domain::list::ListSchema for HistoryPaging {
    fn field(&self, _: &str) -> Option<enspace_domain::list::FieldKind> {
        None
    }
    fn searchable(&self) -> bool {
        false
    }
    fn default_sort(&self) -> enspace_domain::list::Sort {
        enspace_domain::list::Sort { field: "id".into(), desc: true }
    }
}

/// An item [wire]. Columns and fields the reader's field list leaves out are absent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    /// 32 characters: three letters of the type, then 29 hex digits.
    pub reference: String,
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub created_at: Shown<String>,
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub updated_at: Shown<String>,
    /// `active` or `inactive`.
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub status: Shown<String>,
    #[serde(rename = "isDraft")]
    pub is_draft: bool,
    /// `default` or a form id.
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = String)]
    pub form: Shown<String>,
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = Option<String>)]
    pub request_email: Shown<Option<String>>,
    /// The creator's user id.
    #[serde(skip_serializing_if = "Shown::is_hidden")]
    #[schema(value_type = Option<i64>)]
    pub user: Shown<Option<i64>>,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

impl ItemView {
    /// The item as a reader with `grant` sees it.
    pub fn masked(mut self, grant: &FieldGrant) -> ItemView {
        if grant.is_all() {
            return self;
        }
        self.created_at.hide_unless(grant.covers("created_at"));
        self.updated_at.hide_unless(grant.covers("updated_at"));
        self.status.hide_unless(grant.covers("status"));
        self.form.hide_unless(grant.covers("form"));
        self.request_email.hide_unless(grant.covers("request_email"));
        self.user.hide_unless(grant.covers("user"));
        grant.retain_readable(&mut self.data);
        self
    }
}

impl From<enspace_store::items::ItemRecord> for ItemView {
    fn from(i: enspace_store::items::ItemRecord) -> Self {
        ItemView {
            id: i.id,
            reference: i.reference,
            created_at: Shown::Value(format_ms(i.created_at)),
            updated_at: Shown::Value(format_ms(i.updated_at)),
            status: Shown::Value(i.status),
            is_draft: i.is_draft,
            form: Shown::Value(i.form),
            request_email: Shown::Value(i.request_email),
            user: Shown::Value(i.user_id),
            data: i.data,
        }
    }
}

/// One entry of an item's history [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub id: i64,
    /// `create`, `update`, `status` or `delete`.
    pub action: String,
    /// `{refId: {from, to}}`.
    #[schema(value_type = Object)]
    pub changes: Map<String, Value>,
    pub user: Option<i64>,
    /// `api`, `form`, `flow` or `system`.
    pub source: String,
    pub created_at: String,
}

impl HistoryView {
    /// The entry as a reader with `grant` sees it: changes of fields it may not read are left
    /// out (`status` is the native column, or a field of that refId: both must be readable).
    pub fn masked(mut self, grant: &FieldGrant) -> HistoryView {
        self.changes = enspace_domain::events::readable_changes(&self.changes, grant);
        self
    }
}

impl From<enspace_store::events::EventRecord> for HistoryView {
    fn from(e: enspace_store::events::EventRecord) -> Self {
        HistoryView {
            id: e.id,
            action: enspace_domain::events::history_action(&e.kind, &e.changes).to_string(),
            changes: e.changes,
            user: e.actor_user,
            source: e.source,
            created_at: format_ms(e.created_at),
        }
    }
}

/// A value a field list may hide (access.md step 6): serialized as the value, or left out of
/// its object altogether (with `skip_serializing_if = "Shown::is_hidden"`).
#[derive(Debug, Clone, PartialEq)]
pub enum Shown<T> {
    Value(T),
    Hidden,
}

impl<T> Shown<T> {
    pub fn is_hidden(&self) -> bool {
        matches!(self, Shown::Hidden)
    }

    fn hide_unless(&mut self, visible: bool) {
        if !visible {
            *self = Shown::Hidden;
        }
    }
}

impl<T: Serialize> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Value(value) => value.serialize(serializer),
            Shown::Hidden => serializer.serialize_none(),
        }
    }
}
