//! JSON request bodies: bounded, `application/json` only, malformed JSON and unknown keys
//! rejected in the error shape with the path of the problem.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header::CONTENT_TYPE, StatusCode},
};
use enspace_domain::Detail;
use serde::de::DeserializeOwned;

use crate::{error::ApiError, AppState};

/// Keys a client may send back from a response that the server owns: ignored, never an error.
const READ_ONLY_KEYS: &[&str] = &["id", "created_at", "updated_at"];

/// A body input type; `READ_ONLY` adds the keys of its resource that the server owns.
pub trait Input: DeserializeOwned {
    const READ_ONLY: &'static [&'static str] = &[];
}

pub struct ApiJson<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<T: Input> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let content_type = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("Request body is larger than the limit of {} bytes", state.config.body_limit),
                )
            } else {
                ApiError::bad_request(format!("Could not read the request body: {rejection}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request("A JSON object body is required"));
        }
        if !content_type.as_deref().is_some_and(is_json) {
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json"));
        }
        let mut value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(format!("Malformed JSON body: {e}")))?;
        let Some(object) = value.as_object_mut() else {
            return Err(ApiError::bad_request("The request body must be a JSON object"));
        };
        for key in READ_ONLY_KEYS.iter().chain(T::READ_ONLY) {
            object.remove(*key);
        }
        serde_path_to_error::deserialize(value).map(ApiJson).map_err(|error| {
            let path = error.path().to_string();
            let message = error.inner().to_string();
            ApiError::validation(vec![Detail::new(if path == "." { String::new() } else { path }, message)])
        })
    }
}
