//! `/user/request-logs`: every authenticated request, written off the request path.

use enspace_testkit::TestApp;
use serde_json::json;

use crate::time;

#[tokio::test]
async fn records_authenticated_requests_newest_first() {
    let mut app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    app.get("/ws?x=1").key(&ana.key).ws("acme").header("user-agent", "curl/8.5").send().await;
    app.get("/health").send().await; // unauthenticated: not recorded
    app.get("/user").send().await; // no key: not recorded
                                   // Unknown filters are a 400, and still recorded, with secret-looking values redacted.
    app.get("/workspaces?_limit=10&api_key=en.leaked&token=abc").key(&ana.key).send().await;
    // A graceful shutdown flushes what is queued.
    app.shutdown_request_log().await;

    let response = app.get("/user/request-logs").key(&ana.key).send().await;
    let logs = response.json();
    let rows = logs.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{logs}");
    let key_reference = app.get("/user-api-keys").key(&ana.key).send().await.json()[0]["reference"].clone();
    let first = &rows[0];
    assert!(first["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(first["request_id"].as_str().unwrap().len(), 26);
    assert_eq!(
        json!({ "method": first["method"], "path": first["path"], "query": first["query"], "status": first["status"],
            "workspace": first["workspace"], "key_reference": first["key_reference"], "ip": first["ip"], "user_agent": first["user_agent"] }),
        json!({ "method": "GET", "path": "/workspaces", "query": "_limit=10&api_key=%5Bredacted%5D&token=%5Bredacted%5D",
            "status": 400, "workspace": null, "key_reference": key_reference, "ip": null, "user_agent": null })
    );
    time(&first["created_at"]);
    assert_eq!(
        (&rows[1]["path"], &rows[1]["query"], &rows[1]["workspace"], &rows[1]["user_agent"]),
        (&json!("/ws"), &json!("x=1"), &json!("acme"), &json!("curl/8.5"))
    );
    assert_eq!((&rows[2]["method"], &rows[2]["status"]), (&json!("POST"), &json!(201)));
    assert!(rows[0]["id"].as_i64() > rows[1]["id"].as_i64());
    assert!(!response.text().contains("en.leaked"));
}

#[tokio::test]
async fn filters_and_count() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    app.workspace(&ana, "Acme").await;
    app.get("/ws").key(&ana.key).ws("acme").send().await;
    app.get("/ws").key(&ana.key).ws("ghost").send().await; // 404, still recorded, no workspace
    app.put("/ws").key(&ana.key).ws("acme").json(&json!({ "name": "A" })).send().await;
    app.get("/user").key(&bia.key).send().await; // another user's
    app.flush_request_log().await;

    let count = |q: &'static str| {
        let app = &app;
        let key = ana.key.clone();
        async move {
            let response = app.get(&format!("/user/request-logs/count?{q}")).key(&key).send().await;
            assert_eq!(response.status, 200, "{q}: {}", response.text());
            response.json()
        }
    };
    assert_eq!(count("").await, json!(4));
    assert_eq!(count("method=PUT").await, json!(1));
    assert_eq!(count("status=404").await, json!(1));
    assert_eq!(count("status_gte=200&status_lt=300").await, json!(3));
    assert_eq!(count("workspace=acme").await, json!(2));
    assert_eq!(count("workspace_null=true").await, json!(2));
    assert_eq!(count("path_contains=WS").await, json!(3));
    assert_eq!(count("created_at_gte=2000-01-01&created_at_lt=2999-01-01").await, json!(4));
    assert_eq!(count("created_at_lt=2000-01-01").await, json!(0));
    let refs = app.get("/user-api-keys").key(&ana.key).send().await.json();
    let key_reference = refs[0]["reference"].as_str().unwrap();
    let by_key = app.get(&format!("/user/request-logs/count?key_reference={key_reference}")).key(&ana.key).send().await;
    // Requests since the last flush are not written yet: only the four.
    assert_eq!(by_key.json(), json!(4));
    let listed = app.get("/user/request-logs?method=GET&_sort=id:asc&_limit=1").key(&ana.key).send().await.json();
    assert_eq!(listed[0]["path"], "/ws");
    app.get("/user/request-logs?method=FETCH").key(&ana.key).send().await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request",
            "message": "Invalid query parameter method: expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got \"FETCH\"",
            "details": [{ "path": "method", "message": "expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got \"FETCH\"" }] }),
    );
}

#[tokio::test]
async fn retention_prunes_old_rows() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.get("/user").key(&ana.key).send().await;
    app.flush_request_log().await;
    app.db.execute("UPDATE request_logs SET created_at = 1000", &[]).await.unwrap();
    app.get("/user").key(&ana.key).send().await;
    app.flush_request_log().await;
    let pruned = enspace_store::request_logs::prune(&app.db, 2000).await.unwrap();
    assert_eq!(pruned, 1);
    app.get("/user/request-logs/count").key(&ana.key).send().await.assert(200, json!(1));
}
