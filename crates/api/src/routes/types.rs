//! Types (categories): list, count, detail with fields and forms, create, update, delete.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{Action, MemberAccess, SettingsArea},
    catalogue::Shape,
    time::format_ms,
    types::{self, check_slug, reference_prefix},
    workspace::check_text,
    Detail,
};
use enspace_store::{
    fields::FieldRecord,
    types::{TypeRecord, TypeValues, LIST},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, workspace::allowed, ApiJson, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::fields::FieldView,
    routes::forms::FormView,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_types, create_type)).routes(routes!(count_types)).routes(routes!(
        get_type,
        update_type,
        delete_type
    ))
}

pub const TYPE_NOT_FOUND: &str = "Type not found";

/// The slugs a member may read, or None when it may read every type.
pub fn readable(access: &MemberAccess, all: &[TypeRecord]) -> Option<Vec<String>> {
    if access.unrestricted() {
        return None;
    }
    Some(all.iter().filter(|t| allowed(access, &Action::read_type(&t.slug)).is_ok()).map(|t| t.slug.clone()).collect())
}

/// The type named in the path, readable by the caller (its items, or the structure screens).
pub async fn readable_type(state: &AppState, ctx: &WsCtx, slug: &str) -> ApiResult<(TypeRecord, MemberAccess)> {
    let record = enspace_store::types::get(&state.db, ctx.workspace.id, slug)
        .await?
        .ok_or_else(|| ApiError::not_found(TYPE_NOT_FOUND))?;
    let access = ctx.access.clone();
    may_read_type(&access, slug)?;
    Ok((record, access))
}

/// Reading a type (its definition, forms): its readers and the structure managers.
pub fn may_read_type(access: &MemberAccess, slug: &str) -> ApiResult<()> {
    if allowed(access, &Action::ManageSettings(SettingsArea::Structure)).is_err() {
        allowed(access, &Action::read_type(slug))?;
    }
    Ok(())
}

/// The type named in the path, for a structure change (`settings::structure::manage`).
pub async fn managed_type(state: &AppState, ctx: &WsCtx, slug: &str) -> ApiResult<TypeRecord> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Structure))?;
    enspace_store::types::get(&state.db, ctx.workspace.id, slug)
        .await?
        .ok_or_else(|| ApiError::not_found(TYPE_NOT_FOUND))
}

/// The types the caller may read. Filters: `id`, `slug`, `name`, `description`, `created_at`,
/// `updated_at`; `_q` on name, slug and description.
#[utoipa::path(get, path = "/ws/types", tag = "types", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [TypeView]), (status = 400, body = ErrorBody)))]
pub async fn list_types(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<TypeView>>> {
    let query = query.list(&state, &LIST, &[])?;
    let access = ctx.access.clone();
    let all = enspace_store::types::all(&state.db, ctx.workspace.id).await?;
    let slugs = readable(&access, &all);
    let list = enspace_store::types::list(&state.db, ctx.workspace.id, slugs.as_deref(), &query).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/ws/types/count", tag = "types", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_types(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    let query = query.list(&state, &LIST, &[])?;
    let access = ctx.access.clone();
    let all = enspace_store::types::all(&state.db, ctx.workspace.id).await?;
    let slugs = readable(&access, &all);
    Ok(Json(enspace_store::types::count(&state.db, ctx.workspace.id, slugs.as_deref(), &query).await?))
}

/// The type with its fields (in order, then the native ones) and its forms.
#[utoipa::path(get, path = "/ws/types/{slug}", tag = "types", params(WorkspaceHeader, ("slug" = String, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = TypeDetailView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_type(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
) -> ApiResult<Json<TypeDetailView>> {
    let (record, _) = readable_type(&state, &ctx, &slug).await?;
    Ok(Json(detail(&state, record).await?))
}

async fn detail(state: &AppState, record: TypeRecord) -> ApiResult<TypeDetailView> {
    let fields = enspace_store::fields::of_type(&state.db, record.workspace_id, record.id).await?;
    let forms = enspace_store::forms::of_type(&state.db, record.workspace_id, record.id).await?;
    Ok(TypeDetailView::new(record, &fields, forms.into_iter().map(FormView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeInput {
    pub name: Option<String>,
    /// snake_case `[a-z][a-z0-9_]{1,63}`; derived from `name` when absent. Immutable.
    pub slug: Option<String>,
    pub description: Option<String>,
    /// An iconify id.
    pub icon: Option<String>,
    pub color: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Map<String, Value>>,
    #[serde(rename = "itemVersioning")]
    pub item_versioning: Option<bool>,
}

impl Input for TypeInput {
    const READ_ONLY: &'static [&'static str] = &["fields", "forms"];
}

fn check_type(details: &mut Vec<Detail>, input: &TypeInput, creating: bool) {
    if creating || input.name.is_some() {
        check_text(details, "name", input.name.as_deref(), true, types::NAME_MAX);
    }
    check_text(details, "description", input.description.as_deref(), false, types::DESCRIPTION_MAX);
    for (path, value) in [("icon", &input.icon), ("color", &input.color)] {
        check_text(details, path, value.as_deref(), false, 100);
    }
}

/// Creates a type (`settings::structure::manage`).
#[utoipa::path(post, path = "/ws/types", tag = "types", params(WorkspaceHeader), request_body = TypeInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = TypeDetailView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_type(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<TypeInput>,
) -> ApiResult<(StatusCode, Json<TypeDetailView>)> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Structure))?;
    let mut details = Vec::new();
    check_type(&mut details, &input, true);
    if let Some(slug) = &input.slug {
        if let Err(message) = check_slug(slug) {
            details.push(Detail::new("slug", message));
        }
    }
    ApiError::check(details)?;
    let name = input.name.as_deref().unwrap_or_default().trim();
    let settings = input.settings.clone().unwrap_or_default();
    let created = enspace_engine::structure::create_type(
        &state.db,
        ctx.workspace.id,
        input.slug.as_deref(),
        &reference_prefix(name),
        TypeValues {
            name,
            description: input.description.as_deref().unwrap_or_default(),
            icon: input.icon.as_deref(),
            color: input.color.as_deref(),
            settings: &settings,
            item_versioning: input.item_versioning.unwrap_or(false),
        },
        &ctx.author("api"),
    )
    .await
    .map_err(|e| match e {
        enspace_store::StoreError::Conflict(_) => ApiError::conflict(format!(
            "A type with slug {:?} already exists",
            input.slug.as_deref().unwrap_or_default()
        )),
        other => other.into(),
    })?;
    Ok((StatusCode::CREATED, Json(detail(&state, created).await?)))
}

/// Updates a type; `slug` is immutable (accepted only unchanged).
#[utoipa::path(put, path = "/ws/types/{slug}", tag = "types", params(WorkspaceHeader, ("slug" = String, Path)), request_body = TypeInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = TypeDetailView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_type(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<TypeInput>,
) -> ApiResult<Json<TypeDetailView>> {
    let record = managed_type(&state, &ctx, &slug).await?;
    let mut details = Vec::new();
    check_type(&mut details, &input, false);
    if input.slug.as_ref().is_some_and(|s| s != &record.slug) {
        details.push(Detail::new("slug", "is immutable"));
    }
    ApiError::check(details)?;
    let settings = input.settings.clone().unwrap_or_else(|| record.settings.clone());
    let name = input.name.as_deref().map(str::trim).unwrap_or(&record.name).to_string();
    let updated = enspace_engine::structure::update_type(
        &state.db,
        &record,
        TypeValues {
            name: &name,
            description: input.description.as_deref().unwrap_or(&record.description),
            icon: input.icon.as_deref().or(record.icon.as_deref()),
            color: input.color.as_deref().or(record.color.as_deref()),
            settings: &settings,
            item_versioning: input.item_versioning.unwrap_or(record.item_versioning),
        },
        &ctx.author("api"),
    )
    .await?;
    Ok(Json(detail(&state, updated).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteTypeParams {
    /// Also remove the relation fields of other types that point at this one.
    pub force: Option<bool>,
}

/// Relation fields (top level or nested) of other types that point at `slug`.
pub fn pointing_at<'a>(fields: &'a [FieldRecord], type_id: i64, slug: &str) -> Vec<&'a FieldRecord> {
    fn points(def: &enspace_domain::fields::FieldDef, slug: &str) -> bool {
        (matches!(def.shape(), Shape::Rel | Shape::RelMulti) && def.rel_collection() == Some(slug))
            || def.nested.iter().any(|c| points(c, slug))
    }
    fields.iter().filter(|f| f.type_id != type_id && points(&f.def, slug)).collect()
}

/// Removes the type, its fields, forms, items, history and the permissions naming it. While
/// another type's relation field points at it: 409, unless `?force=true`, which removes those
/// fields too. Answers the type as it was.
#[utoipa::path(delete, path = "/ws/types/{slug}", tag = "types", params(WorkspaceHeader, ("slug" = String, Path), DeleteTypeParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = TypeDetailView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_type(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(slug): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<TypeDetailView>> {
    let record = managed_type(&state, &ctx, &slug).await?;
    let force = match query.get("force") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::validation(vec![Detail::new(
                "force",
                format!("expected true or false, got {other:?}"),
            )]))
        }
    };
    let all_fields = enspace_store::fields::of_workspace(&state.db, ctx.workspace.id).await?;
    let pointing = pointing_at(&all_fields, record.id, &record.slug);
    let all_types = enspace_store::types::all(&state.db, ctx.workspace.id).await?;
    if !pointing.is_empty() && !force {
        let names: Vec<String> = pointing
            .iter()
            .map(|f| {
                let owner = all_types.iter().find(|t| t.id == f.type_id).map(|t| t.slug.as_str()).unwrap_or("?");
                format!("{owner}.{}", f.def.ref_id)
            })
            .collect();
        return Err(ApiError::conflict(format!(
            "Relation fields point at this type ({}); delete them first or pass ?force=true",
            names.join(", ")
        )));
    }
    let shown = detail(&state, record.clone()).await?;
    let pointing: Vec<(String, &FieldRecord)> = pointing
        .into_iter()
        .map(|f| (all_types.iter().find(|t| t.id == f.type_id).map(|t| t.slug.clone()).unwrap_or_default(), f))
        .collect();
    enspace_engine::purge::delete_type(&state.db, &record, &pointing, &ctx.author("api")).await?;
    state.jobs.wake();
    Ok(Json(shown))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub icon: Option<String>,
    pub color: Option<String>,
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    #[serde(rename = "itemVersioning")]
    pub item_versioning: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<enspace_store::types::TypeRecord> for TypeView {
    fn from(t: enspace_store::types::TypeRecord) -> Self {
        TypeView {
            id: t.id,
            name: t.name,
            slug: t.slug,
            description: t.description,
            icon: t.icon,
            color: t.color,
            settings: t.settings,
            item_versioning: t.item_versioning,
            created_at: format_ms(t.created_at),
            updated_at: format_ms(t.updated_at),
        }
    }
}

/// A type with its fields and forms.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeDetailView {
    #[serde(flatten)]
    pub record: TypeView,
    pub fields: Vec<FieldView>,
    pub forms: Vec<FormView>,
}

impl TypeDetailView {
    pub fn new(
        record: enspace_store::types::TypeRecord,
        fields: &[enspace_store::fields::FieldRecord],
        forms: Vec<FormView>,
    ) -> Self {
        TypeDetailView { record: record.into(), fields: FieldView::all(fields), forms }
    }
}
