//! Fields of a type: list, create, get, update ("Field Updated"), delete.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    fields::{check_field, CheckedField, FieldDraft},
    time::format_ms,
    Detail,
};
use enspace_engine::{items::Author, structure::FieldWrite};
use enspace_store::{fields::FieldRecord, types::TypeRecord, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, WsCtx},
    openapi::WorkspaceHeader,
    routes::types::{managed_type, readable_type},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_fields, create_field)).routes(routes!(
        get_field,
        update_field,
        delete_field
    ))
}

pub const FIELD_NOT_FOUND: &str = "Field not found";

/// A field body. Both spellings of the reference are accepted: `{name*, slug*, type*, required,
/// defaultValue, options, position, active}` and `{name, slug, type, required, config, order}`;
/// giving one setting under both names with different values is a 400.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    pub name: Option<String>,
    pub label: Option<String>,
    /// The field's key in `item.data`; immutable.
    pub slug: Option<String>,
    #[serde(rename = "refId")]
    pub ref_id: Option<String>,
    /// A catalogue key, or `text`, `number`, `date`, `select`, `boolean`, `email`, `url`.
    #[serde(rename = "type")]
    pub field_type: Option<String>,
    pub required: Option<bool>,
    pub unique: Option<bool>,
    /// Keep a database index for filters and sorts on this field [ours].
    pub indexed: Option<bool>,
    pub active: Option<bool>,
    /// Also accepted as `defaultValue`; documented once, since client generators read both
    /// spellings as one name.
    #[schema(ignore)]
    pub default_value: Option<Value>,
    #[serde(rename = "defaultValue")]
    #[schema(value_type = Option<Object>)]
    pub default_value_camel: Option<Value>,
    pub validation: Option<Vec<String>>,
    /// `[{value, label, children?}]` or `{"choices": ["a", "b"]}`.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub opt_config: Option<Map<String, Value>>,
    #[serde(rename = "cFormat")]
    #[schema(value_type = Option<Object>)]
    pub c_format: Option<Value>,
    /// Child fields of a `group` or `EnRepeater`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub nested: Option<Vec<FieldInput>>,
    pub order: Option<i64>,
    /// Alias of `order`.
    pub position: Option<i64>,
}

impl Input for FieldInput {
    const READ_ONLY: &'static [&'static str] = &["native", "index_status"];
}

impl From<FieldInput> for FieldDraft {
    fn from(i: FieldInput) -> Self {
        FieldDraft {
            name: i.name,
            label: i.label,
            slug: i.slug,
            ref_id: i.ref_id,
            field_type: i.field_type,
            required: i.required,
            unique: i.unique,
            indexed: i.indexed,
            active: i.active,
            default_value: i.default_value,
            default_value_camel: i.default_value_camel,
            validation: i.validation,
            options: i.options,
            config: i.config,
            opt_config: i.opt_config,
            c_format: i.c_format,
            nested: i.nested.map(|n| n.into_iter().map(Into::into).collect()),
            order: i.order,
            position: i.position,
        }
    }
}

/// Relation targets must be types of this workspace, and their display field one of theirs.
async fn check_relations(state: &AppState, record: &TypeRecord, checked: &CheckedField) -> ApiResult<()> {
    let mut details = Vec::new();
    for (path, slug, display) in &checked.relations {
        let target = if slug == &record.slug {
            Some(record.clone())
        } else {
            enspace_store::types::get(&state.db, record.workspace_id, slug).await?
        };
        let Some(target) = target else {
            details.push(Detail::new(path, format!("no type {slug:?} in this workspace")));
            continue;
        };
        if let Some(display) = display {
            let fields = enspace_store::fields::of_type(&state.db, record.workspace_id, target.id).await?;
            let native = enspace_domain::fields::NATIVE_FIELDS.iter().any(|(n, _)| n == display);
            if !native && !fields.iter().any(|f| &f.def.ref_id == display) {
                let at = path.replace("collection", "displayString");
                details.push(Detail::new(at, format!("{display:?} is not a field of {slug}")));
            }
        }
    }
    ApiError::check(details)
}

/// The field's index after its definition changed (`engine::indexes::apply`); duplicates
/// refusing a new unique index are a 409.
async fn apply_index(
    state: &AppState,
    record: &TypeRecord,
    before: Option<&FieldRecord>,
    after: &FieldRecord,
    author: &Author<'_>,
) -> ApiResult<FieldRecord> {
    // A plain index's build was queued with the write: the worker starts it now.
    state.jobs.wake();
    match enspace_engine::indexes::apply(&state.db, record, before, after, author).await {
        Err(StoreError::UniqueField(_)) => Err(ApiError::conflict(format!(
            "Items of this type already share values of {}; it cannot be unique until they differ",
            after.def.ref_id
        ))),
        other => Ok(other?),
    }
}

fn index_status_for(def: &enspace_domain::fields::FieldDef, before: Option<&FieldRecord>) -> String {
    match before {
        Some(b) if b.def.wants_index() && def.wants_index() && b.def.unique == def.unique => b.index_status.clone(),
        _ if def.wants_index() => "building".into(),
        _ => "none".into(),
    }
}

/// The type's fields in order, then its native (built-in, read-only) fields.
#[utoipa::path(get, path = "/ws/types/{slug}/fields", tag = "fields", params(WorkspaceHeader, ("slug" = String, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [FieldView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_fields(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<FieldView>>> {
    let (record, _) = readable_type(&state, &ctx, &slug).await?;
    let fields = enspace_store::fields::of_type(&state.db, ctx.workspace.id, record.id).await?;
    Ok(Json(FieldView::all(&fields)))
}

/// Create Field [wire route] (`settings::structure::manage`).
#[utoipa::path(post, path = "/ws/types/{slug}/fields", tag = "fields", params(WorkspaceHeader, ("slug" = String, Path)), request_body = FieldInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = FieldView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_field(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<FieldInput>,
) -> ApiResult<(StatusCode, Json<FieldView>)> {
    let record = managed_type(&state, &ctx, &slug).await?;
    let checked = check_field(input.into(), None, "").map_err(ApiError::validation)?;
    check_relations(&state, &record, &checked).await?;
    if enspace_engine::purge::field_values_pending(&state.db, record.id, &checked.def.ref_id).await? {
        return Err(ApiError::conflict(format!(
            "A deleted field {:?} is still being removed from this type's items; try again in a moment",
            checked.def.ref_id
        )));
    }
    let author = ctx.author("api");
    let status = index_status_for(&checked.def, None);
    let write = FieldWrite { def: &checked.def, order: checked.order, index_status: &status };
    let created =
        enspace_engine::structure::create_field(&state.db, &record, write, &author).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::conflict(format!("The type already has a field {:?}", checked.def.ref_id))
            }
            other => other.into(),
        })?;
    let created = apply_index(&state, &record, None, &created, &author).await?;
    Ok((StatusCode::CREATED, Json((&created).into())))
}

async fn field_of(state: &AppState, record: &TypeRecord, id: &str) -> ApiResult<FieldRecord> {
    let Id(id) = Id::parse(id);
    enspace_store::fields::get(&state.db, record.workspace_id, record.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(FIELD_NOT_FOUND))
}

#[utoipa::path(get, path = "/ws/types/{slug}/fields/{fieldId}", tag = "fields", params(WorkspaceHeader, ("slug" = String, Path), ("fieldId" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FieldView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_field(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, field_id)): Path<(String, String)>,
) -> ApiResult<Json<FieldView>> {
    let (record, _) = readable_type(&state, &ctx, &slug).await?;
    Ok(Json((&field_of(&state, &record, &field_id).await?).into()))
}

/// Field Updated [wire route]: a partial update. `slug`/`refId` are immutable; a `type` change
/// is refused once items hold values, unless it is lossless (inputText ↔ EnTextArea ↔ EnHtml,
/// EnlDropdown ↔ radioButton).
#[utoipa::path(put, path = "/ws/types/{slug}/fields/{fieldId}", tag = "fields", params(WorkspaceHeader, ("slug" = String, Path), ("fieldId" = i64, Path)),
    request_body = FieldInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FieldView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_field(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, field_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<FieldInput>,
) -> ApiResult<Json<FieldView>> {
    let record = managed_type(&state, &ctx, &slug).await?;
    let field = field_of(&state, &record, &field_id).await?;
    let checked = check_field(input.into(), Some(&field.def), "").map_err(ApiError::validation)?;
    let (old_type, new_type) = (field.def.field_type, checked.def.field_type);
    if !old_type.converts_losslessly_to(new_type)
        && enspace_store::fields::has_values(&state.db, ctx.workspace.id, record.id, &field.def.ref_id).await?
    {
        return Err(ApiError::validation(vec![Detail::new(
            "type",
            format!("cannot change {} to {}: items hold values for this field", old_type.key(), new_type.key()),
        )]));
    }
    check_relations(&state, &record, &checked).await?;
    let author = ctx.author("api");
    let status = index_status_for(&checked.def, Some(&field));
    let write = FieldWrite { def: &checked.def, order: checked.order, index_status: &status };
    let updated = enspace_engine::structure::update_field(&state.db, &record, &field, write, &author).await?;
    let updated = apply_index(&state, &record, Some(&field), &updated, &author).await?;
    Ok(Json((&updated).into()))
}

/// Removes the field, its index and its mentions in permissions, forms and flow tasks at once;
/// its values leave the items in the background (`engine::purge`), unseen meanwhile. A 409
/// while a flow's conditional tests it. Answers the field as it was.
#[utoipa::path(delete, path = "/ws/types/{slug}/fields/{fieldId}", tag = "fields", params(WorkspaceHeader, ("slug" = String, Path), ("fieldId" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FieldView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_field(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path((slug, field_id)): Path<(String, String)>,
) -> ApiResult<Json<FieldView>> {
    let record = managed_type(&state, &ctx, &slug).await?;
    let field = field_of(&state, &record, &field_id).await?;
    // Dropping a field from a conditional would widen it: refused while one tests it.
    let users =
        enspace_engine::flows::conditionals_using(&state.db, ctx.workspace.id, &record, &field.def.ref_id).await?;
    if !users.is_empty() {
        return Err(ApiError::conflict(format!(
            "The field is tested by conditionals of {}: change them first",
            users.join(", ")
        )));
    }
    enspace_engine::purge::delete_field(&state.db, ctx.workspace.id, &record.slug, &field, &ctx.author("api")).await?;
    state.jobs.wake();
    Ok(Json((&field).into()))
}

/// A field [wire]: `refId` (= `slug`), `name`, `label`, `type`, flags, `default_value`,
/// `validation`, `options`, `config`, `opt_config`, `cFormat`, `nested`, `order`, and
/// `index_status` for indexed fields [ours].
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct FieldView(pub Map<String, Value>);

impl From<&enspace_store::fields::FieldRecord> for FieldView {
    fn from(f: &enspace_store::fields::FieldRecord) -> Self {
        let mut out = Map::new();
        out.insert("id".into(), json!(f.id));
        out.extend(enspace_domain::fields::field_json(&f.def));
        out.insert("order".into(), json!(f.position));
        if f.def.wants_index() {
            out.insert("index_status".into(), json!(f.index_status));
        }
        out.insert("created_at".into(), json!(format_ms(f.created_at)));
        out.insert("updated_at".into(), json!(format_ms(f.updated_at)));
        FieldView(out)
    }
}

impl FieldView {
    /// A built-in column as a read-only field [ours].
    pub fn native(ref_id: &str, field_type: &str, order: i64) -> FieldView {
        let map = json!({
            "id": null, "refId": ref_id, "slug": ref_id, "name": ref_id, "label": ref_id, "type": field_type,
            "required": false, "unique": matches!(ref_id, "id" | "reference"), "indexed": true, "active": true,
            "native": true, "order": order, "default_value": null, "validation": [], "options": [], "config": {},
            "opt_config": {}, "cFormat": { "type": "text" }, "nested": [], "created_at": null, "updated_at": null
        });
        FieldView(map.as_object().cloned().unwrap_or_default())
    }

    /// The type's fields in order, then the native ones.
    pub fn all(fields: &[enspace_store::fields::FieldRecord]) -> Vec<FieldView> {
        let last = fields.iter().map(|f| f.position).max().unwrap_or(0);
        let mut out: Vec<FieldView> = fields.iter().map(Into::into).collect();
        for (i, (name, field_type)) in enspace_domain::fields::NATIVE_FIELDS.iter().enumerate() {
            out.push(FieldView::native(name, field_type, last + 1 + i as i64));
        }
        out
    }
}
