//! One error shape for every error: routing, bodies, query parameters, panics.

use axum::routing::get;
use enspace_testkit::{captured_logs, TestApp};
use serde_json::json;

#[tokio::test]
async fn unknown_path_is_404_and_wrong_method_405() {
    let app = TestApp::new().await;
    let response = app.get("/no/such/route").send().await;
    response.assert_error(404, "Route not found");
    assert!(response.header("x-request-id").is_some());
    app.request("PATCH", "/workspaces").send().await.assert_error(405, "Method not allowed on this route");
    app.delete("/health").send().await.assert_error(405, "Method not allowed on this route");
}

#[tokio::test]
async fn body_errors() {
    let app = TestApp::builder().config(|c| c.body_limit = 256).build().await;
    let ana = app.user("ana@example.com").await;
    let post = || app.post("/workspaces").key(&ana.key);

    post()
        .raw("application/json", "{")
        .send()
        .await
        .assert_error(400, "Malformed JSON body: EOF while parsing an object at line 1 column 1");
    post().raw("text/plain", r#"{"name":"x"}"#).send().await.assert_error(415, "Content-Type must be application/json");
    post().send().await.assert_error(400, "A JSON object body is required");
    post().raw("application/json", "[1]").send().await.assert_error(400, "The request body must be a JSON object");
    let big = json!({ "name": "x".repeat(300) });
    post().json(&big).send().await.assert_error(413, "Request body is larger than the limit of 256 bytes");

    post().json(&json!({ "nme": "typo" })).send().await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
            { "path": "nme", "message": "unknown field `nme`, expected one of `name`, `reference`, `slug`, `description`, `icon`, `language`, `modules`, `settings`" }
        ]}),
    );
    post().json(&json!({ "name": 5 })).send().await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
            { "path": "name", "message": "invalid type: integer `5`, expected a string" }
        ]}),
    );
    // Read-only keys sent back are ignored; charset parameters are fine.
    let response = post()
        .raw(
            "application/json; charset=utf-8",
            r#"{"id": 9, "created_at": "x", "updated_at": "y", "members_count": 3, "name": "Ok"}"#,
        )
        .send()
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
}

#[tokio::test]
async fn query_parameter_that_does_not_parse_is_400_naming_it() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.get("/workspaces?_limit=abc").key(&ana.key).send().await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request",
            "message": "Invalid query parameter _limit: expected a whole number, got \"abc\"",
            "details": [{ "path": "_limit", "message": "expected a whole number, got \"abc\"" }] }),
    );
}

#[tokio::test]
async fn a_panic_is_a_bare_500_with_the_request_id() {
    let extra = axum::Router::new().route(
        "/test-panic",
        get(|| async {
            if true {
                panic!("secret internals: SELECT * FROM x");
            }
            "unreachable"
        }),
    );
    let app = TestApp::builder().extra_routes(extra).build().await;
    let response = app.get("/test-panic").send().await;
    let id = response.header("x-request-id").unwrap().to_string();
    response.assert(
        500,
        json!({ "statusCode": 500, "error": "Internal Server Error", "message": "Internal server error", "request_id": id }),
    );
    assert!(!response.text().contains("SELECT"));
    // The server log has the details, under the same id.
    let logs = captured_logs();
    assert!(logs.lines().any(|l| l.contains(&id) && l.contains("secret internals")), "no log line with {id}");
}

#[tokio::test]
async fn request_ids_are_generated_or_kept() {
    let app = TestApp::new().await;
    let generated = app.get("/health").send().await;
    let id = generated.header("x-request-id").unwrap();
    assert_eq!(id.len(), 26, "a ULID: {id}");
    let kept = app.get("/health").header("x-request-id", "trace-abc.123").send().await;
    assert_eq!(kept.header("x-request-id"), Some("trace-abc.123"));
    let replaced = app.get("/health").header("x-request-id", "bad id with spaces").send().await;
    assert_ne!(replaced.header("x-request-id"), Some("bad id with spaces"));
}
