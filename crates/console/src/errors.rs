//! What a console handler answers when it cannot show its page. The carrier is the server's
//! one error type ([`ApiError`]: status, message, details); the console only decides how it
//! looks. A handler's error becomes an empty answer marked with a [`Failure`], and the
//! console's middleware ([`crate::security`]) renders it in the caller's language, as a full
//! page or as the fragment an htmx request swaps in.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use enspace_api::error::ApiError;
use enspace_store::StoreError;

#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in (or the session ended): to the sign-in page, then back to `next`.
    SignIn { next: String },
    /// A POST that did not come from a console page (its origin, or its form token): 403,
    /// and nothing was done.
    Refused,
    /// What the engine or a read answered; its status picks the page.
    Api(ApiError),
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        ConsoleError::Api(error)
    }
}

impl From<StoreError> for ConsoleError {
    fn from(error: StoreError) -> Self {
        ConsoleError::Api(error.into())
    }
}

pub type PageResult<T = Response> = Result<T, ConsoleError>;

/// The mark [`crate::security::headers`] renders.
#[derive(Debug, Clone)]
pub enum Failure {
    SignIn { next: String },
    Refused,
    Status { status: StatusCode, message: String },
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, failure) = match self {
            ConsoleError::SignIn { next } => (StatusCode::SEE_OTHER, Failure::SignIn { next }),
            ConsoleError::Refused => (StatusCode::FORBIDDEN, Failure::Refused),
            ConsoleError::Api(error) => {
                let mut response = (error.status, ()).into_response();
                if let Some(seconds) = error.retry_after {
                    response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
                }
                response
                    .extensions_mut()
                    .insert(Failure::Status { status: error.status, message: error.message.into_owned() });
                return response;
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(failure);
        response
    }
}
