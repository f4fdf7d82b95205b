use std::convert::Infallible;

use axum::{extract::FromRequestParts, http::request::Parts};
use enspace_domain::list::{self, ListQuery, ListSchema};

use crate::{error::ApiError, AppState};

/// The decoded query string, in order, repeated names kept (`status_in=a&status_in=b`).
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(QueryPairs(form_urlencoded::parse(query.as_bytes()).into_owned().collect()))
    }
}

impl QueryPairs {
    /// Parses the list language against `spec`; `passthrough` names the route's own parameters.
    pub fn list(&self, state: &AppState, schema: &dyn ListSchema, passthrough: &[&str]) -> Result<ListQuery, ApiError> {
        Ok(list::parse(&self.0, schema, state.config.paging, passthrough)?)
    }

    /// A `?name=true|false` switch of a route (absent is false); anything else is a 400.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::validation(vec![enspace_domain::Detail::new(
                name,
                format!("expected true or false, got {other:?}"),
            )])),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
