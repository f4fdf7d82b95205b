//! `/health`, `/ready`, `/metrics`, `/docs`.

use enspace_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn health_and_ready() {
    let app = TestApp::new().await;
    app.get("/health").send().await.assert(200, json!({ "status": "ok" }));
    app.get("/ready").send().await.assert(200, json!({ "status": "ready" }));
    app.db.close().await;
    app.get("/ready").send().await.assert_error(503, "Database unavailable");
}

/// Readiness covers the file store: a bucket that lost its marker (deleted, or another bucket
/// behind the same name) makes the process unready until the marker is back.
#[tokio::test]
async fn ready_checks_the_file_store() {
    let Some(server) = enspace_testkit::S3Server::start_or_skip("ops::ready_checks_the_file_store").await else {
        return;
    };
    let app = TestApp::builder().s3(server).build().await;
    app.get("/ready").send().await.assert(200, json!({ "status": "ready" }));
    app.remove_from_bucket(".enspace").await;
    app.get("/ready").send().await.assert_error(503, "File store unavailable");
    app.get("/health").send().await.assert(200, json!({ "status": "ok" }));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.get("/user-api-keys/AAAAAAAAAAAAAAAA").key(&ana.key).send().await;
    app.delete("/user-api-keys/AAAAAAAAAAAAAAAA").key(&ana.key).send().await;
    app.get("/nowhere").send().await;
    let response = app.get("/metrics").send().await;
    assert_eq!(response.status, 200);
    assert!(response.header("content-type").unwrap().starts_with("application/openmetrics-text"));
    let text = response.text();
    for line in [
        r#"enspace_http_requests_total{method="DELETE",route="/user-api-keys/{reference}",status="404"} 1"#,
        r#"enspace_http_requests_total{method="GET",route="/user-api-keys/{reference}",status="405"} 1"#,
        r#"enspace_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"enspace_db_pool_connections{state="open"}"#,
        "# TYPE enspace_http_request_duration_seconds histogram",
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
}

#[tokio::test]
async fn docs_are_served_from_the_binary() {
    let app = TestApp::new().await;
    let page = app.get("/docs/").send().await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("swagger-ui"), "{}", page.text());
    let initializer = app.get("/docs/swagger-initializer.js").send().await;
    assert_eq!(initializer.status, 200);
    assert!(initializer.text().contains("/openapi.json"));
    let bundle = app.get("/docs/swagger-ui-bundle.js").send().await;
    assert_eq!(bundle.status, 200);
    assert!(bundle.body.len() > 100_000, "the bundle is embedded");
    // No page of the docs loads anything from another host.
    for asset in [page.text(), initializer.text()] {
        assert!(!asset.contains("https://"), "docs reference the network: {asset}");
    }
}
