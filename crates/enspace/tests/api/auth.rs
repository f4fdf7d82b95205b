//! The authentication table of spec/README.md: each check, its order, its exact body.

use enspace_domain::{
    access::{MemberStatus, MemberType},
    key::Scopes,
};
use enspace_testkit::TestApp;
use serde_json::json;

const INVALID: &str = "Invalid or missing API key";

#[tokio::test]
async fn missing_malformed_and_unknown_keys_are_401() {
    let app = TestApp::new().await;
    app.get("/workspaces").send().await.assert_error(401, INVALID);
    app.get("/workspaces").key("nope").send().await.assert_error(401, INVALID);
    app.get("/workspaces").key("en.tooShort").send().await.assert_error(401, INVALID);
    app.get("/workspaces").key("en.abcdefghijabcdefghijabcdefghij1234").send().await.assert_error(401, INVALID);
    app.get("/workspaces")
        .header("authorization", "Basic en.abcdefghijabcdefghijabcdefghij1234")
        .send()
        .await
        .assert_error(401, INVALID);
}

#[tokio::test]
async fn bearer_is_an_alternative_to_x_api_key() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let response = app.get("/user").header("authorization", &format!("Bearer {}", ana.key)).send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["email"], "ana@example.com");
}

#[tokio::test]
async fn revoked_key_is_401_at_once() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let created = app
        .post("/user-api-keys")
        .key(&ana.key)
        .json(&json!({ "description": "temp", "scope": { "global": ["read"], "workspaces": ["*"] } }))
        .send()
        .await;
    assert_eq!(created.status, 201);
    let secret = created.json()["key"].as_str().unwrap().to_string();
    let reference = created.json()["reference"].as_str().unwrap().to_string();
    assert_eq!(app.get("/user").key(&secret).send().await.status, 200);
    assert_eq!(app.delete(&format!("/user-api-keys/{reference}")).key(&ana.key).send().await.status, 200);
    app.get("/user").key(&secret).send().await.assert_error(401, INVALID);
}

#[tokio::test]
async fn expired_key_is_401_before_any_workspace_check() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.db.execute("UPDATE api_keys SET expires_at = 1000 WHERE user_id = $1", &[ana.id.into()]).await.unwrap();
    app.get("/user").key(&ana.key).send().await.assert_error(401, "API key expired");
    // Expiry outranks the missing header.
    app.get("/ws").key(&ana.key).send().await.assert_error(401, "API key expired");
}

#[tokio::test]
async fn workspace_checks_in_order() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    let acme = app.workspace(&ana, "Acme").await;
    let other = app.workspace(&bia, "Other").await;
    let acme_id = acme["id"].as_i64().unwrap();

    app.get("/ws").key(&ana.key).send().await.assert_error(400, "Missing required header: en-workspace");
    app.get("/ws").key(&ana.key).ws("  ").send().await.assert_error(400, "Missing required header: en-workspace");

    // A key that lists only acme: every other workspace, existing or not, is the same 403.
    let narrow = app.key(ana.id, Scopes::EVERY, Some(&[acme_id])).await;
    app.get("/ws").key(&narrow).ws("other").send().await.assert_error(403, "Token not authorized for this workspace");
    app.get("/ws").key(&narrow).ws("ghost").send().await.assert_error(403, "Token not authorized for this workspace");
    let other_id = other["id"].as_i64().unwrap().to_string();
    app.get("/ws").key(&narrow).ws(&other_id).send().await.assert_error(403, "Token not authorized for this workspace");
    assert_eq!(app.get("/ws").key(&narrow).ws("acme").send().await.status, 200);

    // A ["*"] key: unknown is 404, existing but not a member is 403.
    app.get("/ws").key(&ana.key).ws("ghost").send().await.assert_error(404, "Workspace not found");
    app.get("/ws").key(&ana.key).ws("99999").send().await.assert_error(404, "Workspace not found");
    app.get("/ws").key(&ana.key).ws("other").send().await.assert_error(403, "You are not a member of this workspace");

    // The numeric id works like the reference.
    let by_id = app.get("/ws").key(&ana.key).ws(&acme_id.to_string()).send().await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.json()["workspace"]["reference"], "acme");
}

#[tokio::test]
async fn inactive_and_blocked_members_are_not_members() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    let cid = app.user("cid@example.com").await;
    let acme = app.workspace(&ana, "Acme").await;
    let id = acme["id"].as_i64().unwrap();
    app.add_member(id, bia.id, MemberType::Full, MemberStatus::Inactive).await;
    app.add_member(id, cid.id, MemberType::Full, MemberStatus::Blocked).await;
    for user in [&bia, &cid] {
        app.get("/ws")
            .key(&user.key)
            .ws("acme")
            .send()
            .await
            .assert_error(403, "You are not a member of this workspace");
    }
    // And they do not see it in their list.
    app.get("/workspaces").key(&bia.key).send().await.assert(200, json!([]));
}

#[tokio::test]
async fn scopes_by_method_after_membership() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let read = app.key(ana.id, Scopes { read: true, write: false, delete: false }, None).await;
    let write = app.key(ana.id, Scopes { read: false, write: true, delete: false }, None).await;

    app.post("/workspaces")
        .key(&read)
        .json(&json!({"name": "X"}))
        .send()
        .await
        .assert_error(403, "Token missing scope: write");
    app.get("/workspaces").key(&write).send().await.assert_error(403, "Token missing scope: read");
    app.put("/ws")
        .key(&read)
        .ws("acme")
        .json(&json!({"name": "Y"}))
        .send()
        .await
        .assert_error(403, "Token missing scope: write");
    app.delete("/ws?confirm=acme").key(&write).ws("acme").send().await.assert_error(403, "Token missing scope: delete");
    app.get("/ws").key(&write).ws("acme").send().await.assert_error(403, "Token missing scope: read");
    // Membership is checked before scope.
    app.put("/ws").key(&read).ws("ghost").json(&json!({})).send().await.assert_error(404, "Workspace not found");
    assert_eq!(app.get("/ws").key(&read).ws("acme").send().await.status, 200);
}
