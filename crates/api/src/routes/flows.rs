//! Category flows [wire shapes; `c-type-flows`, spec/flows-and-tasks.md § Flow]: list, count,
//! get, create, update, delete. Reading needs read on the flow's type (or structure
//! management), writing `settings::structure::manage` (decision 33). Also the helpers stages and
//! transitions share: the flow of a request, the embedded type and creator, the type's fields
//! as a condition schema.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    access::{Action, MemberAccess, SettingsArea},
    flows::{check_start, one_of, NAME_MAX, STATUSES},
    item_columns::TypeColumns,
    time::format_ms,
    workspace::check_text,
    Detail,
};
use enspace_engine::flows::FlowError;
use enspace_store::{
    flows::{readable_types, FlowRecord, FlowValues, OfType},
    record::Record,
    types::TypeRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{
        id_of, present,
        types::{may_read_type, TypeView},
        user::UserView,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_flows, create_flow)).routes(routes!(count_flows)).routes(routes!(
        get_flow,
        update_flow,
        delete_flow
    ))
}

pub const FLOW_NOT_FOUND: &str = "Flow not found";

/// A flow [wire shape].
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowView {
    pub id: i64,
    pub name: String,
    /// `active` or `inactive`.
    pub status: String,
    /// `always` or `conditional`.
    pub start_type: String,
    /// The start condition (list-language filters), or null.
    #[schema(value_type = Option<Object>)]
    pub conditional: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    pub item_type: TypeView,
    /// The creator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    pub created_at: String,
    pub updated_at: String,
}

/// Structure management: every configuration write.
pub(crate) fn structure(ctx: &WsCtx) -> ApiResult<MemberAccess> {
    ctx.authorize(Action::ManageSettings(SettingsArea::Structure))
}

/// The slugs of the types whose flows the caller may read; `None` for all.
pub(crate) async fn readable_slugs(state: &AppState, ctx: &WsCtx) -> ApiResult<Option<Vec<String>>> {
    let access = &ctx.access;
    if access.unrestricted() || structure(ctx).is_ok() {
        return Ok(None);
    }
    let all = enspace_store::types::all(&state.db, ctx.workspace.id).await?;
    Ok(Some(all.into_iter().map(|t| t.slug).filter(|slug| may_read_type(access, slug).is_ok()).collect()))
}

/// The flow `id` of the workspace, readable by the caller.
pub async fn flow_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<FlowRecord> {
    readable_one(state, ctx, id, FLOW_NOT_FOUND).await
}

/// A configuration record `id` of the workspace (a flow, stage, transition, task or rule),
/// readable by the caller: 404 `not_found` when absent, 403 when its type is not readable.
pub(crate) async fn readable_one<R: Record + OfType>(
    state: &AppState,
    ctx: &WsCtx,
    id: i64,
    not_found: &'static str,
) -> ApiResult<R> {
    let record: R = enspace_store::record::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(not_found))?;
    may_read_type(&ctx.access, record.type_slug())?;
    Ok(record)
}

/// [`readable_one`], or — without read on the type — readable by a responsible of what runs
/// through it (a stage task's instances, a flow item's tasks; decision 33).
pub(crate) async fn readable_or_responsible<R: Record + OfType>(
    state: &AppState,
    ctx: &WsCtx,
    id: i64,
    not_found: &'static str,
    through: enspace_store::schedule_tasks::Through,
) -> ApiResult<R> {
    let record: R = enspace_store::record::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(not_found))?;
    if let Err(denied) = may_read_type(&ctx.access, record.type_slug()) {
        if !crate::routes::schedule_tasks::responsible_for(state, ctx, through, id).await? {
            return Err(denied);
        }
    }
    Ok(record)
}

/// A page of a configuration collection: what `pairs` asks, of the types the caller may read.
pub async fn list_readable<R: Record>(state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<Vec<R>> {
    let query = pairs.list(state, R::LIST, &[])?;
    let readable = readable_slugs(state, ctx).await?;
    let filter = readable_types(readable.as_deref());
    Ok(enspace_store::record::list_where(&state.db, ctx.workspace.id, &query, &filter).await?)
}

/// How many of a configuration collection `pairs` selects, of the types the caller may read.
pub async fn count_readable<R: Record>(state: &AppState, ctx: &WsCtx, pairs: &QueryPairs) -> ApiResult<i64> {
    let query = pairs.list(state, R::LIST, &[])?;
    let readable = readable_slugs(state, ctx).await?;
    let filter = readable_types(readable.as_deref());
    Ok(enspace_store::record::count_where::<R>(&state.db, ctx.workspace.id, &query, &filter).await?)
}

/// The type a body names by id or slug (`key`), or a 400 naming it.
pub(crate) async fn type_named(
    state: &AppState,
    ctx: &WsCtx,
    key: &str,
    value: Option<&Value>,
) -> ApiResult<TypeRecord> {
    let Some(value) = value else { return Err(ApiError::validation(vec![Detail::new(key, "is required")])) };
    let found = match (id_of(value), value.as_str()) {
        (Some(id), _) => enspace_store::types::by_id(&state.db, ctx.workspace.id, id).await?,
        (None, Some(slug)) => enspace_store::types::get(&state.db, ctx.workspace.id, slug).await?,
        _ => None,
    };
    found.ok_or_else(|| ApiError::validation(vec![Detail::new(key, format!("no type {value} in this workspace"))]))
}

/// The configuration record a body names by id (`key`: `flow`, `stage`), or a 400 naming it.
pub(crate) async fn named<R: Record>(state: &AppState, ctx: &WsCtx, key: &str, value: Option<&Value>) -> ApiResult<R> {
    let Some(value) = value else { return Err(ApiError::validation(vec![Detail::new(key, "is required")])) };
    let found = match id_of(value) {
        Some(id) => enspace_store::record::get(&state.db, ctx.workspace.id, id).await?,
        None => None,
    };
    found.ok_or_else(|| ApiError::validation(vec![Detail::new(key, format!("no {key} {value} in this workspace"))]))
}

/// The type's fields as the schema its conditionals are checked against.
pub(crate) async fn columns_of(state: &AppState, record_type: (i64, i64)) -> ApiResult<TypeColumns> {
    let (workspace_id, type_id) = record_type;
    let fields = enspace_store::fields::of_type(&state.db, workspace_id, type_id).await?;
    Ok(TypeColumns::new(fields.iter().map(|f| &f.def)))
}

/// A body's `order` (a whole number of 0 or more), or none.
pub(crate) fn order_in(details: &mut Vec<Detail>, body: &serde_json::Map<String, Value>) -> Option<i64> {
    match body.get("order") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let order = v.as_i64().filter(|o| *o >= 0);
            if order.is_none() {
                details.push(Detail::new("order", format!("expected a whole number of 0 or more, got {v}")));
            }
            order
        }
    }
}

/// What stage tasks and responsibility rules refer to: the type's fields (and their condition
/// schema), the workspace's groups and member users.
pub(crate) struct References {
    fields: Vec<enspace_domain::fields::FieldDef>,
    columns: TypeColumns,
    groups: Vec<i64>,
    users: Vec<i64>,
}

impl References {
    pub(crate) async fn load(state: &AppState, ctx: &WsCtx, type_id: i64) -> ApiResult<References> {
        let records = enspace_store::fields::of_type(&state.db, ctx.workspace.id, type_id).await?;
        let fields: Vec<_> = records.into_iter().map(|f| f.def).collect();
        Ok(References {
            columns: TypeColumns::new(fields.iter()),
            fields,
            groups: enspace_store::member_groups::ids(&state.db, ctx.workspace.id).await?,
            users: enspace_store::members::user_ids(&state.db, ctx.workspace.id).await?,
        })
    }

    pub(crate) fn known(&self) -> enspace_domain::stage_tasks::Known<'_> {
        enspace_domain::stage_tasks::Known {
            fields: &self.fields,
            columns: &self.columns,
            groups: &self.groups,
            users: &self.users,
        }
    }
}

/// A 409 for flow items that a change would strand.
/// `?force=true|false` of a delete that would strand what runs.
pub(crate) fn force_of(query: &QueryPairs) -> ApiResult<bool> {
    query.flag("force")
}

pub(crate) fn running(error: FlowError, what: &str) -> ApiError {
    match error {
        FlowError::Running(n) => ApiError::conflict(format!("{n} flow item(s) are running {what}")),
        FlowError::OpenTasks(n) => ApiError::conflict(format!(
            "{n} schedule task(s) of this task are open: delete with ?force=true to remove them"
        )),
        FlowError::Store(e) => e.into(),
    }
}

/// The types and creators embedded in answers, each loaded once per request.
#[derive(Default)]
pub(crate) struct Embeds {
    types: HashMap<i64, TypeRecord>,
    users: HashMap<i64, Option<UserView>>,
    flows: HashMap<i64, FlowRecord>,
}

impl Embeds {
    pub(crate) async fn item_type(&mut self, state: &AppState, ws: i64, id: i64) -> ApiResult<TypeView> {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.types.entry(id) {
            let record = enspace_store::types::by_id(&state.db, ws, id)
                .await?
                .ok_or_else(|| ApiError::internal(format!("type {id} of a flow is gone")))?;
            entry.insert(record);
        }
        Ok(self.types[&id].clone().into())
    }

    pub(crate) async fn user(&mut self, state: &AppState, id: Option<i64>) -> ApiResult<Option<UserView>> {
        let Some(id) = id else { return Ok(None) };
        if let std::collections::hash_map::Entry::Vacant(entry) = self.users.entry(id) {
            let user = enspace_store::users::get(&state.db, id).await?;
            entry.insert(user.as_ref().map(Into::into));
        }
        Ok(self.users[&id].clone())
    }

    /// The flow `id` as answers embed it (a stage's flow), loaded once per request.
    pub(crate) async fn flow_by_id(&mut self, state: &AppState, ws: i64, id: i64) -> ApiResult<FlowView> {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.flows.entry(id) {
            let flow = enspace_store::flows::flow(&state.db, ws, id)
                .await?
                .ok_or_else(|| ApiError::not_found(FLOW_NOT_FOUND))?;
            entry.insert(flow);
        }
        let flow = self.flows[&id].clone();
        self.flow(state, flow).await
    }

    pub(crate) async fn flow(&mut self, state: &AppState, flow: FlowRecord) -> ApiResult<FlowView> {
        let item_type = self.item_type(state, flow.workspace_id, flow.type_id).await?;
        let user = self.user(state, flow.created_by).await?;
        Ok(FlowView {
            id: flow.id,
            name: flow.name,
            status: flow.status,
            start_type: flow.start_type,
            conditional: flow.conditional,
            icon: flow.icon,
            item_type,
            user,
            created_at: format_ms(flow.created_at),
            updated_at: format_ms(flow.updated_at),
        })
    }
}

/// Filters: `item_type` (id), `item_type.slug`, `status`, `start_type`, `name` (and
/// `name_contains`), `created_at`, `updated_at`; `_q` on the name.
#[utoipa::path(get, path = "/c-type-flows", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [FlowView]), (status = 400, body = ErrorBody)))]
pub async fn list_flows(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<FlowView>>> {
    let flows: Vec<FlowRecord> = list_readable(&state, &ctx, &query).await?;
    let mut embeds = Embeds::default();
    let mut out = Vec::with_capacity(flows.len());
    for flow in flows {
        out.push(embeds.flow(&state, flow).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/c-type-flows/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_flows(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    Ok(Json(count_readable::<FlowRecord>(&state, &ctx, &query).await?))
}

#[utoipa::path(get, path = "/c-type-flows/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FlowView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_flow(State(state): State<AppState>, ctx: WsCtx, Path(Id(id)): Path<Id>) -> ApiResult<Json<FlowView>> {
    let flow = flow_of(&state, &ctx, id).await?;
    Ok(Json(Embeds::default().flow(&state, flow).await?))
}

/// `{name*, item_type* (id or slug), start_type, conditional, icon, status}` [ours].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowInput {
    pub name: Option<String>,
    /// The type: its id (number or string) or its slug. Not changed by an update.
    #[schema(value_type = Option<String>)]
    pub item_type: Option<Value>,
    /// `always` (default) or `conditional`.
    pub start_type: Option<String>,
    /// List-language filters on the item; required exactly with `start_type: conditional`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub conditional: Option<Option<Value>>,
    #[serde(default, deserialize_with = "present")]
    pub icon: Option<Option<String>>,
    /// `active` (default) or `inactive`.
    pub status: Option<String>,
}

impl Input for FlowInput {
    const READ_ONLY: &'static [&'static str] = &["user"];
}

/// The flow's values from `input` over `current`, every problem at once.
fn checked_values<'a>(
    input: &'a FlowInput,
    current: Option<&'a FlowRecord>,
    columns: &TypeColumns,
) -> ApiResult<FlowValues<'a>> {
    let mut details = Vec::new();
    let name = input.name.as_deref().map(str::trim).or(current.map(|f| f.name.as_str()));
    check_text(&mut details, "name", name, true, NAME_MAX);
    let name = name.unwrap_or_default();
    let status = input.status.as_deref().or(current.map(|f| f.status.as_str())).unwrap_or("active");
    if let Err(detail) = one_of("status", status, &STATUSES) {
        details.push(detail);
    }
    let start_type = input.start_type.as_deref().or(current.map(|f| f.start_type.as_str())).unwrap_or("always");
    let conditional = match &input.conditional {
        Some(sent) => sent.as_ref(),
        None => current.and_then(|f| f.conditional.as_ref()),
    };
    check_start(&mut details, start_type, conditional, columns);
    let icon = match &input.icon {
        Some(sent) => sent.as_deref(),
        None => current.and_then(|f| f.icon.as_deref()),
    };
    check_text(&mut details, "icon", icon, false, NAME_MAX);
    ApiError::check(details)?;
    Ok(FlowValues { name, status, start_type, conditional: conditional.filter(|c| !c.is_null()), icon })
}

/// Creates a flow on a type; items created from now on start it (when it has a start stage).
#[utoipa::path(post, path = "/c-type-flows", tag = "flows", params(WorkspaceHeader), request_body = FlowInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = FlowView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_flow(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(input): ApiJson<FlowInput>,
) -> ApiResult<(StatusCode, Json<FlowView>)> {
    structure(&ctx)?;
    let record = type_named(&state, &ctx, "item_type", input.item_type.as_ref()).await?;
    let columns = columns_of(&state, (ctx.workspace.id, record.id)).await?;
    let values = checked_values(&input, None, &columns)?;
    let id = enspace_engine::flows::create_flow(&state.db, &record, &values, &ctx.author("api")).await?;
    let flow = flow_of(&state, &ctx, id).await?;
    Ok((StatusCode::CREATED, Json(Embeds::default().flow(&state, flow).await?)))
}

/// Changes a flow; its type does not change. Switched off, it starts no new flow items and
/// the running ones carry on.
#[utoipa::path(put, path = "/c-type-flows/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), request_body = FlowInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FlowView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_flow(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<FlowInput>,
) -> ApiResult<Json<FlowView>> {
    structure(&ctx)?;
    let flow = flow_of(&state, &ctx, id).await?;
    if let Some(sent) = &input.item_type {
        let same = id_of(sent) == Some(flow.type_id) || sent.as_str() == Some(flow.type_slug.as_str());
        if !same {
            return Err(ApiError::validation(vec![Detail::new("item_type", "a flow's type cannot change")]));
        }
    }
    let columns = columns_of(&state, (ctx.workspace.id, flow.type_id)).await?;
    let values = checked_values(&input, Some(&flow), &columns)?;
    enspace_engine::flows::update_flow(&state.db, &flow, &values, &ctx.author("api")).await?;
    let flow = flow_of(&state, &ctx, id).await?;
    Ok(Json(Embeds::default().flow(&state, flow).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteFlowParams {
    /// Remove the flow's running flow items (and their open tasks) first.
    pub force: Option<bool>,
}

/// Deletes a flow: 409 while flow items of it run, unless `?force=true`, which marks them
/// `removed` first. Its runs stay readable as history. Answers the flow as it was.
#[utoipa::path(delete, path = "/c-type-flows/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path), DeleteFlowParams),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = FlowView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_flow(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    query: QueryPairs,
) -> ApiResult<Json<FlowView>> {
    structure(&ctx)?;
    let force = force_of(&query)?;
    let flow = flow_of(&state, &ctx, id).await?;
    let answer = Embeds::default().flow(&state, flow.clone()).await?;
    enspace_engine::flows::delete_flow(&state.db, &flow, force, &ctx.author("api"))
        .await
        .map_err(|e| running(e, "in this flow: delete with ?force=true to remove them"))?;
    Ok(Json(answer))
}
