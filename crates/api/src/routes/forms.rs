//! Forms of a type: List Form, Get Form, List Form Create, management, and the public form
//! routes (definition and answer without a key).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::Action,
    access::MemberAccess,
    forms::{self, check_answer_keys, check_form_fields, new_hash, required_ref_ids, FORM_TYPES, VISIBILITIES},
    time::format_ms,
    user::check_email,
    workspace::check_text,
    Detail,
};
use enspace_engine::items::{self as engine, Author, CreateRequest};
use enspace_store::{
    forms::{FormRecord, FormValues},
    types::TypeRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, workspace::allowed, ApiJson, Id, Public, WsCtx},
    openapi::WorkspaceHeader,
    routes::fields::FieldView,
    routes::types::{managed_type, may_read_type, readable_type, TYPE_NOT_FOUND},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_forms, create_form))
        .routes(routes!(list_create_forms))
        .routes(routes!(get_form, update_form, delete_form))
        .routes(routes!(public_form))
        .routes(routes!(answer_public_form))
}

pub const FORM_NOT_FOUND: &str = "Form not found";

/// The permission of creating items through one form.
pub fn form_create_action(form_id: i64) -> enspace_domain::access::Action {
    enspace_domain::access::Action::use_feature(&format!("forms::{form_id}::create"))
}

/// Whether the member may create items through `form`: the type's `create` or the form's own.
pub fn may_create_through(access: &MemberAccess, slug: &str, form_id: i64) -> bool {
    allowed(access, &Action::on_type(slug, "create")).is_ok() || allowed(access, &form_create_action(form_id)).is_ok()
}

async fn form_of_type(state: &AppState, record: &TypeRecord, id: i64) -> ApiResult<FormRecord> {
    enspace_store::forms::get(&state.db, record.workspace_id, record.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(FORM_NOT_FOUND))
}

/// The type's forms, in creation order (its readers and the structure managers).
#[utoipa::path(get, path = "/ws/types/{slug}/forms", tag = "forms", params(WorkspaceHeader, ("slug" = String, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [FormView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_forms(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<FormView>>> {
    let (record, _) = readable_type(&state, &ctx, &slug).await?;
    let forms = enspace_store::forms::of_type(&state.db, ctx.workspace.id, record.id).await?;
    Ok(Json(forms.into_iter().map(Into::into).collect()))
}

/// List Form Create: the `create` forms the caller may create items through (the type's
/// `create` permission covers all of them; `forms::<id>::create` covers one).
#[utoipa::path(get, path = "/ws/types/{slug}/forms/create", tag = "forms", params(WorkspaceHeader, ("slug" = String, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [FormView]), (status = 404, body = ErrorBody)))]
pub async fn list_create_forms(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<FormView>>> {
    let record = enspace_store::types::get(&state.db, ctx.workspace.id, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found(TYPE_NOT_FOUND))?;
    let access = ctx.access.clone();
    let forms = enspace_store::forms::of_type(&state.db, ctx.workspace.id, record.id).await?;
    Ok(Json(
        forms
            .into_iter()
            .filter(|f| f.form_type == "create" && may_create_through(&access, &slug, f.id))
            .map(Into::into)
            .collect(),
    ))
}

/// Get specific Form: for the type's readers, and for whoever may create items through it.
#[utoipa::path(get, path = "/ws/types/{slug}/forms/{id}", tag = "forms", params(WorkspaceHeader, ("slug" = String, Path), ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FormView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_form(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, id)): Path<(String, Id)>,
) -> ApiResult<Json<FormView>> {
    let Id(id) = id;
    let record = enspace_store::types::get(&state.db, ctx.workspace.id, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found(TYPE_NOT_FOUND))?;
    let form = form_of_type(&state, &record, id).await?;
    let access = ctx.access.clone();
    if !may_create_through(&access, &slug, form.id) {
        may_read_type(&access, &slug)?;
    }
    Ok(Json(form.into()))
}

/// A form body. On create `name` is required; `type` defaults to `create`, `visibility` to
/// `private`, `fields` to none. On update absent keys stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    pub name: Option<String>,
    /// `create`, `edit`, `view` or `general`.
    #[serde(rename = "type")]
    pub form_type: Option<String>,
    /// `private` or `public`.
    pub visibility: Option<String>,
    /// `[{refId*, required, width, section}]`: `width` is 1 to 12 columns (default 12).
    #[schema(value_type = Option<Vec<Object>>)]
    pub fields: Option<Value>,
}

impl Input for FormInput {
    const READ_ONLY: &'static [&'static str] = &["hash"];
}

/// Checks the body against the type's fields and answers the values to store.
async fn checked_values<'a>(
    state: &AppState,
    record: &TypeRecord,
    input: &'a FormInput,
    current: Option<&'a FormRecord>,
) -> ApiResult<FormValues<'a>> {
    let mut details = Vec::new();
    if current.is_none() || input.name.is_some() {
        check_text(&mut details, "name", input.name.as_deref(), true, forms::NAME_MAX);
    }
    let form_type = input.form_type.as_deref().or(current.map(|f| f.form_type.as_str())).unwrap_or("create");
    if !FORM_TYPES.contains(&form_type) {
        details.push(Detail::new("type", format!("expected one of {}, got {form_type:?}", FORM_TYPES.join(", "))));
    }
    let visibility = input.visibility.as_deref().or(current.map(|f| f.visibility.as_str())).unwrap_or("private");
    if !VISIBILITIES.contains(&visibility) {
        details.push(Detail::new("visibility", format!("expected private or public, got {visibility:?}")));
    }
    let fields = match &input.fields {
        Some(value) => {
            let type_fields = enspace_store::fields::of_type(&state.db, record.workspace_id, record.id).await?;
            let ref_ids: Vec<&str> = type_fields.iter().map(|f| f.def.ref_id.as_str()).collect();
            Value::Array(check_form_fields(&mut details, value, &ref_ids))
        }
        None => current.map(|f| f.fields.clone()).unwrap_or_else(|| Value::Array(Vec::new())),
    };
    ApiError::check(details)?;
    let name = input.name.as_deref().or(current.map(|f| f.name.as_str())).unwrap_or_default().trim();
    Ok(FormValues { name, form_type, visibility, fields })
}

/// Creates a form (`settings::structure::manage`) with a new random public hash.
#[utoipa::path(post, path = "/ws/types/{slug}/forms", tag = "forms", params(WorkspaceHeader, ("slug" = String, Path)), request_body = FormInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = FormView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_form(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<FormInput>,
) -> ApiResult<(StatusCode, Json<FormView>)> {
    let record = managed_type(&state, &ctx, &slug).await?;
    let values = checked_values(&state, &record, &input, None).await?;
    let form =
        enspace_engine::structure::create_form(&state.db, &record, &new_hash(), values, &ctx.author("api")).await?;
    Ok((StatusCode::CREATED, Json(form.into())))
}

/// Updates a form; its hash never changes.
#[utoipa::path(put, path = "/ws/types/{slug}/forms/{id}", tag = "forms", params(WorkspaceHeader, ("slug" = String, Path), ("id" = i64, Path)),
    request_body = FormInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FormView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_form(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, id)): Path<(String, Id)>,
    ApiJson(input): ApiJson<FormInput>,
) -> ApiResult<Json<FormView>> {
    let Id(id) = id;
    let record = managed_type(&state, &ctx, &slug).await?;
    let form = form_of_type(&state, &record, id).await?;
    let values = checked_values(&state, &record, &input, Some(&form)).await?;
    let updated = enspace_engine::structure::update_form(&state.db, &record, &form, values, &ctx.author("api")).await?;
    Ok(Json(updated.into()))
}

/// Removes the form and the permissions naming it; answers the form as it was. Items created
/// through it keep its id in `form`.
#[utoipa::path(delete, path = "/ws/types/{slug}/forms/{id}", tag = "forms", params(WorkspaceHeader, ("slug" = String, Path), ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FormView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_form(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, id)): Path<(String, Id)>,
) -> ApiResult<Json<FormView>> {
    let Id(id) = id;
    let record = managed_type(&state, &ctx, &slug).await?;
    let form = form_of_type(&state, &record, id).await?;
    enspace_engine::structure::delete_form(&state.db, &record, &form, &ctx.author("api")).await?;
    Ok(Json(form.into()))
}

/// A public form and its type, or 404 for anything else (unknown hash, private form), so that
/// the route tells an anonymous caller nothing about private forms.
pub async fn public(state: &AppState, hash: &str) -> ApiResult<(FormRecord, TypeRecord)> {
    let not_found = || ApiError::not_found(FORM_NOT_FOUND);
    let form = enspace_store::forms::by_hash(&state.db, hash).await?.filter(|f| f.visibility == "public");
    let form = form.ok_or_else(not_found)?;
    let record =
        enspace_store::types::by_id(&state.db, form.workspace_id, form.type_id).await?.ok_or_else(not_found)?;
    Ok((form, record))
}

/// A public form's definition, without a key: its layout and the definitions of the fields it
/// shows. Rate limited per address; anything but a public form is 404.
#[utoipa::path(get, path = "/public/forms/{hash}", tag = "forms", params(("hash" = String, Path)),
    responses((status = 200, body = PublicFormView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn public_form(
    _: Public,
    State(state): State<AppState>,
    Path(hash): Path<String>,
) -> ApiResult<Json<PublicFormView>> {
    let (form, record) = public(&state, &hash).await?;
    let fields = enspace_store::fields::of_type(&state.db, record.workspace_id, record.id).await?;
    Ok(Json(PublicFormView::new(form, &fields)))
}

/// A public answer: `data` may hold only the fields the form shows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    #[schema(value_type = Object)]
    pub data: Option<Map<String, Value>>,
    /// Who is answering; recorded on the item.
    pub request_email: Option<String>,
}

impl Input for AnswerInput {}

/// Submits a public form without a key: creates an item of its type with `form` set to the
/// form's id, `request_email` from the body and history source `form`, checked against the
/// fields' rules and the form's own `required` marks. Only `create` and `general` forms take
/// answers. Answers `{reference}` alone: an anonymous caller learns nothing else of the type.
#[utoipa::path(post, path = "/public/forms/{hash}/answer", tag = "forms", params(("hash" = String, Path)), request_body = AnswerInput,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn answer_public_form(
    _: Public,
    State(state): State<AppState>,
    Path(hash): Path<String>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let reference = answer(&state, &hash, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "reference": reference }))))
}

/// Answers a public form as `POST /public/forms/{hash}/answer` does (the console's public form
/// page too); answers the new item's reference.
pub async fn answer(state: &AppState, hash: &str, input: &AnswerInput) -> ApiResult<String> {
    let (form, record) = public(state, hash).await?;
    if !matches!(form.form_type.as_str(), "create" | "general") {
        let refusal = Detail::new("", format!("a {} form does not take answers", form.form_type));
        return Err(ApiError::validation(vec![refusal]));
    }
    let mut details = Vec::new();
    match &input.data {
        None => details.push(Detail::new("data", "is required")),
        Some(data) => check_answer_keys(&mut details, data, &form.fields),
    }
    if let Some(Err(message)) = input.request_email.as_deref().map(check_email) {
        details.push(Detail::new("request_email", message));
    }
    let Some(data) = input.data.as_ref() else { return Err(ApiError::validation(details)) };
    let fields = enspace_store::fields::of_type(&state.db, record.workspace_id, record.id).await?;
    let request = CreateRequest {
        data,
        status: "active",
        is_draft: false,
        form: form.id.to_string(),
        request_email: input.request_email.as_deref().map(str::trim),
        form_required: &required_ref_ids(&form.fields),
        problems: details,
        starts_flows: true,
    };
    let author = Author { user_id: None, email: request.request_email, key: None, source: "form" };
    let item = engine::create(&state.db, &record, &fields, &request, &author).await?.item;
    Ok(item.reference)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormView {
    pub id: i64,
    pub hash: String,
    pub name: String,
    /// `create`, `edit`, `view` or `general`.
    #[serde(rename = "type")]
    pub form_type: String,
    /// `private` or `public`.
    pub visibility: String,
    #[schema(value_type = Vec<Object>)]
    pub fields: Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::forms::FormRecord> for FormView {
    fn from(f: enspace_store::forms::FormRecord) -> Self {
        FormView {
            id: f.id,
            hash: f.hash,
            name: f.name,
            form_type: f.form_type,
            visibility: f.visibility,
            fields: f.fields,
            created_at: format_ms(f.created_at),
            updated_at: format_ms(f.updated_at),
        }
    }
}

/// One entry of a public form: the form's layout marks and the field's definition, so that an
/// anonymous client can render it without reading the type [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicFormField {
    #[serde(rename = "refId")]
    pub ref_id: String,
    pub required: bool,
    pub width: String,
    pub section: Option<String>,
    #[schema(value_type = Object)]
    pub field: FieldView,
}

/// A public form's definition: what `GET /public/forms/{hash}` answers [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicFormView {
    pub hash: String,
    pub name: String,
    #[serde(rename = "type")]
    pub form_type: String,
    pub fields: Vec<PublicFormField>,
}

impl PublicFormView {
    pub fn new(form: enspace_store::forms::FormRecord, fields: &[enspace_store::fields::FieldRecord]) -> Self {
        let entries = form
            .fields
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let ref_id = entry.get("refId")?.as_str()?;
                let field = fields.iter().find(|f| f.def.ref_id == ref_id)?;
                Some(PublicFormField {
                    ref_id: ref_id.to_string(),
                    required: entry.get("required").and_then(Value::as_bool).unwrap_or(false) || field.def.required,
                    width: entry.get("width").and_then(Value::as_str).unwrap_or("12").to_string(),
                    section: entry.get("section").and_then(Value::as_str).map(str::to_string),
                    field: field.into(),
                })
            })
            .collect();
        PublicFormView { hash: form.hash, name: form.name, form_type: form.form_type, fields: entries }
    }
}
