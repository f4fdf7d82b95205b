//! A type's responsibility rules [ours; `c-responsibility-rules`, spec/flows-and-tasks.md §
//! Responsibility rules; decision 3]: list, count, get, create, update, delete. For a task with
//! `responsibility_type: responsible_rules`, the rules are tried by `order`; the first whose
//! conditional holds names who is responsible, and none holding falls to `everybody`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use enspace_domain::{
    stage_tasks::{check_rule, RuleDef},
    time::format_ms,
    Detail,
};
use enspace_store::flows::RuleRecord;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::{
        flows::{count_readable, list_readable, order_in, readable_one, structure, type_named, References},
        id_of,
    },
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_rules, create_rule)).routes(routes!(count_rules)).routes(routes!(
        get_rule,
        update_rule,
        delete_rule
    ))
}

pub const RULE_NOT_FOUND: &str = "Responsibility rule not found";

/// A responsibility rule [ours]: every key present, `null` when unset.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    /// The type's id.
    pub item_type: i64,
    pub name: String,
    pub description: String,
    pub order: i64,
    #[schema(value_type = Option<Object>)]
    pub conditional: Option<Value>,
    /// `everybody`, `request_user`, `users`, `module_groups` or `field_based`.
    pub responsible_type: String,
    pub users: Vec<i64>,
    pub module_groups: Vec<i64>,
    pub responsible_field: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RuleRecord> for RuleView {
    fn from(rule: RuleRecord) -> Self {
        let def = RuleDef::from_map(&rule.def);
        RuleView {
            id: rule.id,
            item_type: rule.type_id,
            name: def.name,
            description: def.description,
            order: rule.position,
            conditional: def.conditional,
            responsible_type: def.responsible_type,
            users: def.users,
            module_groups: def.module_groups,
            responsible_field: def.responsible_field,
            created_at: format_ms(rule.created_at),
            updated_at: format_ms(rule.updated_at),
        }
    }
}

async fn rule_of(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<RuleRecord> {
    readable_one(state, ctx, id, RULE_NOT_FOUND).await
}

/// Filters: `item_type` (id), `item_type.slug`, `responsible_type`, `order`, `created_at`,
/// `updated_at`; by `order`.
#[utoipa::path(get, path = "/c-responsibility-rules", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [RuleView]), (status = 400, body = ErrorBody)))]
pub async fn list_rules(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<RuleView>>> {
    let rules: Vec<RuleRecord> = list_readable(&state, &ctx, &query).await?;
    Ok(Json(rules.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/c-responsibility-rules/count", tag = "flows", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = i64, content_type = "application/json"), (status = 400, body = ErrorBody)))]
pub async fn count_rules(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Json<i64>> {
    Ok(Json(count_readable::<RuleRecord>(&state, &ctx, &query).await?))
}

#[utoipa::path(get, path = "/c-responsibility-rules/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_rule(State(state): State<AppState>, ctx: WsCtx, Path(Id(id)): Path<Id>) -> ApiResult<Json<RuleView>> {
    Ok(Json(rule_of(&state, &ctx, id).await?.into()))
}

/// `{item_type* (id or slug), name*, description, order, conditional, responsible_type, users,
/// module_groups, responsible_field}` [ours].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct RuleInput(pub Map<String, Value>);

impl Input for RuleInput {}

/// The rule's definition and order from `body` over `current`, checked against the type.
async fn checked(
    state: &AppState,
    ctx: &WsCtx,
    type_id: i64,
    body: &Map<String, Value>,
    current: Option<&RuleDef>,
) -> ApiResult<(RuleDef, Option<i64>)> {
    let mut details = Vec::new();
    let order = order_in(&mut details, body);
    let references = References::load(state, ctx, type_id).await?;
    let known = references.known();
    let sent: Map<String, Value> = body
        .iter()
        .filter(|(k, _)| !["item_type", "order"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let def = check_rule(&sent, current, &known).map_err(|problems| details.extend(problems)).ok();
    ApiError::check(details)?;
    Ok((def.expect("checked"), order))
}

#[utoipa::path(post, path = "/c-responsibility-rules", tag = "flows", params(WorkspaceHeader), request_body = RuleInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = RuleView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    ctx: WsCtx,
    ApiJson(RuleInput(body)): ApiJson<RuleInput>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    structure(&ctx)?;
    let record = type_named(&state, &ctx, "item_type", body.get("item_type")).await?;
    let (def, order) = checked(&state, &ctx, record.id, &body, None).await?;
    let id = enspace_engine::flows::create_rule(&state.db, &record, &def.to_map(), order, &ctx.author("api")).await?;
    Ok((StatusCode::CREATED, Json(rule_of(&state, &ctx, id).await?.into())))
}

/// Changes a rule; its type does not change.
#[utoipa::path(put, path = "/c-responsibility-rules/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)), request_body = RuleInput,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = RuleView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_rule(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(RuleInput(body)): ApiJson<RuleInput>,
) -> ApiResult<Json<RuleView>> {
    structure(&ctx)?;
    let rule = rule_of(&state, &ctx, id).await?;
    if let Some(sent) = body.get("item_type") {
        if id_of(sent) != Some(rule.type_id) && sent.as_str() != Some(rule.type_slug.as_str()) {
            return Err(ApiError::validation(vec![Detail::new("item_type", "a rule's type cannot change")]));
        }
    }
    let current = RuleDef::from_map(&rule.def);
    let (def, order) = checked(&state, &ctx, rule.type_id, &body, Some(&current)).await?;
    enspace_engine::flows::update_rule(&state.db, &rule, &def.to_map(), order, &ctx.author("api")).await?;
    Ok(Json(rule_of(&state, &ctx, id).await?.into()))
}

/// Deletes a rule. Answers it as it was.
#[utoipa::path(delete, path = "/c-responsibility-rules/{id}", tag = "flows", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<RuleView>> {
    structure(&ctx)?;
    let rule = rule_of(&state, &ctx, id).await?;
    enspace_engine::flows::delete_rule(&state.db, &rule, &ctx.author("api")).await?;
    Ok(Json(rule.into()))
}
