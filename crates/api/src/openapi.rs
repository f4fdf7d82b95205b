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
