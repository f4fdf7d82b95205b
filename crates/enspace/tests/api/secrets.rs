//! No API key ever appears in plain text: not in the database, not in a log line, not in the
//! request log.

use enspace_testkit::{captured_logs, TestApp};

use crate::database_text;
use serde_json::json;

#[tokio::test]
async fn keys_are_stored_only_as_digests_and_never_logged() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let created = app
        .post("/user-api-keys")
        .key(&ana.key)
        .json(&json!({ "description": "ci", "scope": { "global": ["read"], "workspaces": ["acme"] } }))
        .send()
        .await
        .json();
    let second = created["key"].as_str().unwrap().to_string();
    // Use both keys in every way a key can travel, including where it should not.
    app.get("/ws").key(&second).ws("acme").send().await;
    app.get("/user").header("authorization", &format!("Bearer {}", ana.key)).send().await;
    app.get(&format!("/workspaces?key={second}&x-api-key={}", ana.key)).key(&ana.key).send().await;
    app.post("/workspaces").key(&ana.key).json(&json!({ "name": "N", "api_key": second })).send().await;
    app.flush_request_log().await;

    let stored = database_text(&app).await;
    let logs = captured_logs();
    let request_log = app.get("/user/request-logs?_limit=1000").key(&ana.key).send().await.text();
    for key in [&ana.key, &second] {
        let secret_part = &key[3..];
        assert!(!stored.contains(secret_part), "a key is stored in plain text");
        assert!(!logs.contains(secret_part), "a key appears in the server log");
        assert!(!request_log.contains(secret_part), "a key appears in the request log");
        // What is stored is the digest.
        assert!(stored.contains(&enspace_domain::key::digest(key)), "the digest should be stored");
    }
    assert!(logs.contains("request"), "the log capture works: {} bytes", logs.len());
}
