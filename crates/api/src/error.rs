//! The one error type. Every error the server produces, from routing and body parsing to
//! authentication and validation, renders as the spec's body:
//! `{"statusCode": 400, "error": "Bad Request", "message": "…", "details": [...]}`.

use std::borrow::Cow;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use enspace_domain::{list::ListError, Detail};
use enspace_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: Cow<'static, str>,
    pub details: Vec<Detail>,
    /// Seconds, for the `Retry-After` header of a 429.
    pub retry_after: Option<u64>,
}

/// The error body [wire].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    /// The status's reason phrase.
    pub error: String,
    pub message: String,
    /// One entry per problem, on validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<DetailBody>>,
    /// On 500s: the id to quote, also in the `x-request-id` header and the server log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DetailBody {
    /// Where the problem is, such as `data.price` or `scope.global[2]`.
    pub path: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { status, message: message.into(), details: Vec::new(), retry_after: None }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// 400 `Validation failed` with every problem found.
    pub fn validation(details: Vec<Detail>) -> Self {
        ApiError { details, ..Self::bad_request("Validation failed") }
    }

    /// `Ok` when no problem was found, else the validation error with all of them.
    pub fn check(details: Vec<Detail>) -> Result<(), ApiError> {
        if details.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(details))
        }
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, format!("Too many requests: retry after {retry_after} seconds"))
        }
    }

    /// Logs `error` with the request id and answers a bare 500.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(request_id = %request_id::current(), %error, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }

    pub fn body(&self) -> ErrorBody {
        let internal = self.status == StatusCode::INTERNAL_SERVER_ERROR;
        ErrorBody {
            status_code: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or("Error").to_string(),
            message: self.message.to_string(),
            details: (!self.details.is_empty()).then(|| {
                self.details.iter().map(|d| DetailBody { path: d.path.clone(), message: d.message.clone() }).collect()
            }),
            request_id: internal.then(request_id::current),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => ApiError::conflict(message),
            StoreError::UniqueField(_) => ApiError::conflict("A unique field's value is already used"),
            StoreError::NotFound => ApiError::not_found("Not found"),
            other => ApiError::internal(other),
        }
    }
}

impl From<ListError> for ApiError {
    fn from(error: ListError) -> Self {
        let message = error.to_string();
        ApiError { details: vec![Detail::new(error.param, error.message)], ..ApiError::bad_request(message) }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
