//! The OpenAPI document's frame; the paths come from the route modules' declarations, so the
//! document cannot drift from the router.

use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Enspace API",
        description = "An open-source server for the Enspace API. Errors always have the `ErrorBody` shape. \
            Lists take `_limit`, `_start`, `_sort`, `_q` and filters `field[_op]=value` with the operators \
            `eq`, `ne`, `lt`, `lte`, `gt`, `gte`, `in`, `nin`, `contains`, `ncontains`, `containss`, `null`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    components(schemas(ErrorBody)),
    tags(
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "workspaces", description = "Workspaces, and the workspace of a request (`en-workspace`)"),
        (name = "user", description = "The caller, its API keys and its request log"),
        (name = "events", description = "The event log: every change, in order, as the reader may see it"),
        (name = "flows", description = "Category flows: flows, stages, transitions"),
        (name = "tasks", description = "Quick tasks: to-dos outside any flow, with forms, approvals and deadlines"),
        (name = "webhooks", description = "Outgoing webhooks: the event log POSTed, signed, to a receiver"),
        (name = "callbacks", description = "Provider callbacks (e-signature, WhatsApp), each authenticated the provider's way"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))));
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Adds to every operation the answers that come from what it shares with others rather than
/// from its handler — authentication, the workspace header, the JSON or multipart body, list
/// parameters, the rate limit — so that the document names every status a route can answer
/// (a generated client and Schemathesis's conformance checks read it). One place, not one
/// copy per route declaration.
pub fn complete(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;

    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let in_workspace = parameters.iter().any(|p| p.name == "en-workspace");
            let has_query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
            let authenticated = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let parsed_body = operation
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.keys().any(|t| t == "application/json" || t.starts_with("multipart/")));
            let mut answers = vec![(429, "Too many requests (see `Retry-After`)")];
            if authenticated {
                answers.push((401, "Missing, unknown, revoked or expired credentials"));
                answers.push((403, "The key's scope or the member's permissions do not allow it"));
            }
            if in_workspace {
                answers.push((400, "Missing or invalid `en-workspace` header"));
                answers.push((404, "No such workspace"));
            }
            if parsed_body {
                answers.push((400, "The body is malformed or invalid (`details` names every problem)"));
                answers.push((413, "The body is larger than the server's limit"));
                answers.push((415, "The body is not of the declared content type"));
            }
            if has_query {
                answers.push((400, "A query parameter is unknown or does not parse"));
            }
            for (status, description) in answers {
                operation.responses.responses.entry(status.to_string()).or_insert_with(|| error_response(description));
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::response::Response> {
    use utoipa::openapi::{content::ContentBuilder, response::ResponseBuilder, Ref};

    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    ResponseBuilder::new().description(description).content("application/json", content).build().into()
}

/// The list parameters every list and count route takes (filters are per resource).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Page size (default 100, at most the server's maximum, 1000 unless configured).
    _limit: Option<u32>,
    /// Rows to skip.
    _start: Option<u64>,
    /// `field:asc` or `field:desc`, comma-separated.
    _sort: Option<String>,
    /// Free-text search.
    _q: Option<String>,
}

/// The `en-workspace` header of workspace-scoped routes.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct WorkspaceHeader {
    /// The workspace's reference (slug), or its numeric id.
    #[param(rename = "en-workspace")]
    en_workspace: String,
}
