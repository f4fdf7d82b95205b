//! `/user-api-keys`: list, count, create (secret shown once), revoke.

use enspace_domain::{
    key::Scopes,
    time::{now_ms, parse_instant},
};
use enspace_testkit::TestApp;
use serde_json::json;

use crate::time;

#[tokio::test]
async fn create_shows_the_secret_once_and_lists_never_do() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let response = app
        .post("/user-api-keys")
        .key(&ana.key)
        .json(&json!({ "description": "devtestapi", "expires_in": "6M", "scope": { "global": ["delete", "read"], "workspaces": ["acme"] } }))
        .send()
        .await;
    let body = response.json();
    let secret = body["key"].as_str().unwrap().to_string();
    assert!(enspace_domain::key::is_well_formed(&secret), "{secret}");
    let reference = body["reference"].as_str().unwrap().to_string();
    assert_eq!(reference.len(), 16);
    let created_at = time(&body["created_at"]);
    let expires_at = time(&body["expires_at"]);
    let months = (parse_instant(&expires_at).unwrap() - parse_instant(&created_at).unwrap()) / 86_400_000;
    assert!((181..=184).contains(&months), "six calendar months, got {months} days");
    let expected_key = json!({ "id": body["id"], "created_at": created_at, "updated_at": created_at, "description": "devtestapi",
        "expires_at": expires_at, "last_used_at": null, "reference": reference,
        "scope": { "global": ["read", "delete"], "workspaces": ["acme"] } });
    let mut with_secret = expected_key.clone();
    with_secret["key"] = json!(secret);
    response.assert(201, with_secret);

    let listed = app.get("/user-api-keys?description=devtestapi").key(&ana.key).send().await;
    listed.assert(200, json!([expected_key]));
    assert!(!listed.text().contains(&secret));
    app.get("/user-api-keys/count").key(&ana.key).send().await.assert(200, json!(2));
    // The new key works, with exactly its scope.
    assert_eq!(app.get("/ws").key(&secret).ws("acme").send().await.status, 200);
    app.post("/workspaces")
        .key(&secret)
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .assert_error(403, "Token missing scope: write");
    // Without expires_in a key never expires.
    let never = app
        .post("/user-api-keys")
        .key(&ana.key)
        .json(&json!({ "description": "forever", "scope": { "global": ["read"], "workspaces": ["*"] } }))
        .send()
        .await;
    assert_eq!(never.json()["expires_at"], json!(null));
}

#[tokio::test]
async fn create_rejects_bad_input_all_at_once() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    app.workspace(&bia, "Bia").await;
    app.post("/user-api-keys")
        .key(&ana.key)
        .json(
            &json!({ "expires_in": "1w", "scope": { "global": ["read", "admin"], "workspaces": ["bia", "nowhere"] } }),
        )
        .send()
        .await
        .assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
                { "path": "description", "message": "is required" },
                { "path": "expires_in", "message": "expected one of 1M, 2M, 3M, 6M, 1y, 2y, never, got \"1w\"" },
                { "path": "scope.global[1]", "message": "expected read, write or delete, got \"admin\"" },
                { "path": "scope.workspaces[0]", "message": "\"bia\" is not a workspace you are a member of" },
                { "path": "scope.workspaces[1]", "message": "\"nowhere\" is not a workspace you are a member of" }
            ]}),
        );
    app.post("/user-api-keys")
        .key(&ana.key)
        .json(&json!({ "description": "x", "scope": { "global": [], "workspaces": ["*", "a"] } }))
        .send()
        .await
        .assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
                { "path": "scope.global", "message": "must name at least one of read, write, delete" },
                { "path": "scope.workspaces", "message": "\"*\" stands alone" }
            ]}),
        );
    app.post("/user-api-keys").key(&ana.key).json(&json!({ "description": "x" })).send().await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed",
            "details": [{ "path": "scope", "message": "is required" }] }),
    );
}

#[tokio::test]
async fn a_key_cannot_grant_more_than_it_has() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    app.workspace(&ana, "Beta").await;
    let limited = app.key(ana.id, Scopes { read: false, write: true, delete: false }, Some(&[1])).await;
    app.post("/user-api-keys")
        .key(&limited)
        .json(
            &json!({ "description": "x", "scope": { "global": ["write", "delete"], "workspaces": ["acme", "beta"] } }),
        )
        .send()
        .await
        .assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
                { "path": "scope.global[1]", "message": "the key making this request lacks the delete scope" },
                { "path": "scope.workspaces[1]", "message": "the key making this request is not valid for \"beta\"" }
            ]}),
        );
    let star = app
        .post("/user-api-keys")
        .key(&limited)
        .json(&json!({ "description": "x", "scope": { "global": ["write"], "workspaces": ["*"] } }))
        .send()
        .await;
    assert_eq!(star.json()["details"][0]["path"], "scope.workspaces[0]");
    let ok = app
        .post("/user-api-keys")
        .key(&limited)
        .json(&json!({ "description": "x", "scope": { "global": ["write"], "workspaces": ["acme"] } }))
        .send()
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
}

#[tokio::test]
async fn revoke_answers_the_key_as_it_was() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    let created = app
        .post("/user-api-keys")
        .key(&ana.key)
        .json(&json!({ "description": "temp", "scope": { "global": ["read"], "workspaces": ["*"] } }))
        .send()
        .await
        .json();
    let reference = created["reference"].as_str().unwrap();
    // Another user's key is not found.
    app.delete(&format!("/user-api-keys/{reference}"))
        .key(&bia.key)
        .send()
        .await
        .assert_error(404, "API key not found");
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("key");
    app.delete(&format!("/user-api-keys/{reference}")).key(&ana.key).send().await.assert(200, expected);
    app.delete(&format!("/user-api-keys/{reference}"))
        .key(&ana.key)
        .send()
        .await
        .assert_error(404, "API key not found");
    app.get("/user-api-keys/count").key(&ana.key).send().await.assert(200, json!(1));
}

#[tokio::test]
async fn last_used_at_is_recorded_at_most_once_a_minute() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    assert_eq!(app.get("/user").key(&ana.key).send().await.status, 200);
    app.flush_request_log().await;
    let first = app.get("/user-api-keys").key(&ana.key).send().await.json()[0]["last_used_at"].clone();
    let used = parse_instant(&time(&first)).unwrap();
    assert!(used <= now_ms() && used > now_ms() - 60_000);
    // Within the minute, further use does not write again.
    app.get("/user").key(&ana.key).send().await;
    app.flush_request_log().await;
    assert_eq!(app.get("/user-api-keys").key(&ana.key).send().await.json()[0]["last_used_at"], first);
}
