//! The request id: generated per request (or taken from a well-formed incoming `x-request-id`),
//! returned in the `x-request-id` header, put in every log line, and quoted in 500 bodies.

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled ("-" outside one).
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| "-".to_string())
}

pub async fn scope<F: std::future::Future>(id: String, f: F) -> F::Output {
    REQUEST_ID.scope(id, f).await
}

/// A client's id is kept when it is short and plain; anything else is replaced.
pub fn choose(incoming: Option<&str>) -> String {
    match incoming {
        Some(id)
            if !id.is_empty()
                && id.len() <= 128
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')) =>
        {
            id.to_string()
        }
        _ => ulid::Ulid::new().to_string(),
    }
}
