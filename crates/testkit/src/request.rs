use axum::{
    body::Body,
    http::{HeaderMap, Request},
    Router,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A request through the whole router.
pub struct TestRequest<'a> {
    router: &'a Router,
    builder: axum::http::request::Builder,
    body: Body,
}

impl<'a> TestRequest<'a> {
    pub(crate) fn new(router: &'a Router, method: &str, path: &str) -> Self {
        TestRequest { router, builder: Request::builder().method(method).uri(path), body: Body::empty() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// A header with bytes a `&str` cannot carry (obs-text, as some clients send).
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        let value = axum::http::HeaderValue::from_bytes(value).expect("a header value without control bytes");
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    pub fn ws(self, workspace: &str) -> Self {
        self.header("en-workspace", workspace)
    }

    pub fn json(self, body: &Value) -> Self {
        self.raw("application/json", serde_json::to_vec(body).unwrap())
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.builder = self.builder.header("content-type", content_type);
        self.body = Body::from(body.into());
        self
    }

    /// A `multipart/form-data` body of `(part name, file name, content)` parts.
    pub fn multipart(self, parts: &[(&str, Option<&str>, &[u8])]) -> Self {
        const BOUNDARY: &str = "enspace-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, filename, content) in parts {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let Some(filename) = filename {
                body.extend_from_slice(format!("; filename=\"{filename}\"").as_bytes());
            }
            // The client's claimed type, which the server must ignore.
            body.extend_from_slice(b"\r\nContent-Type: image/png\r\n\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.raw(&format!("multipart/form-data; boundary={BOUNDARY}"), body)
    }

    pub async fn send(self) -> TestResponse {
        let request = self.builder.body(self.body).expect("valid test request");
        let response = self.router.clone().oneshot(request).await.expect("the router never fails");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        // A stream of server-sent events never ends: its answer is its status and headers.
        if headers.get("content-type").is_some_and(|t| t == "text/event-stream") {
            return TestResponse { status, headers, body: Vec::new() };
        }
        let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        TestResponse { status, headers, body }
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and the exact JSON body.
    #[track_caller]
    pub fn assert(&self, status: u16, body: Value) {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        assert_eq!(self.json(), body);
    }

    /// Asserts an error response: status, reason phrase and message, with no details.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        let reason = axum::http::StatusCode::from_u16(status).unwrap().canonical_reason().unwrap();
        self.assert(status, serde_json::json!({ "statusCode": status, "error": reason, "message": message }));
    }
}
