//! A key for one workspace can neither read nor detect another workspace by any route.

use enspace_domain::key::Scopes;
use enspace_testkit::TestApp;
use serde_json::{json, Value};

/// Every workspace-scoped route, with a body where it takes one.
fn workspace_routes(confirm: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/ws".to_string(), None),
        ("PUT", "/ws".to_string(), Some(json!({ "name": "pwned" }))),
        ("POST", "/ws/leave".to_string(), None),
        ("GET", "/ws/stats".to_string(), None),
        ("GET", "/ws/deletion-preview".to_string(), None),
        ("DELETE", format!("/ws?confirm={confirm}"), None),
    ]
}

#[tokio::test]
async fn a_narrow_key_cannot_read_or_detect_another_workspace() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    app.workspace(&ana, "Acme").await;
    let secret = app.workspace(&bia, "Secret").await;
    let secret_id = secret["id"].as_i64().unwrap().to_string();
    // Ana is even a member of Secret, but her key lists only Acme.
    app.add_member(2, ana.id, enspace_domain::access::MemberType::Full, enspace_domain::access::MemberStatus::Active)
        .await;
    let narrow = app.key(ana.id, Scopes::EVERY, Some(&[1])).await;

    for target in ["secret", secret_id.as_str(), "does-not-exist", "424242"] {
        for (method, path, body) in workspace_routes(target) {
            let mut request = app.request(method, &path).key(&narrow).ws(target);
            if let Some(body) = &body {
                request = request.json(body);
            }
            request.send().await.assert_error(403, "Token not authorized for this workspace");
        }
    }
    // Lists and counts do not show it, whatever the filter.
    app.get("/workspaces?reference=secret").key(&narrow).send().await.assert(200, json!([]));
    app.get("/workspaces/count?_q=secret").key(&narrow).send().await.assert(200, json!(0));
    // Nothing changed in Secret.
    let context = app.get("/ws").key(&bia.key).ws("secret").send().await.json();
    assert_eq!(context["workspace"]["name"], "Secret");
    assert_eq!(context["workspace"]["members_count"], 2);
}

#[tokio::test]
async fn a_non_member_cannot_read_a_workspace_by_any_route() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    app.workspace(&bia, "Secret").await;
    for (method, path, body) in workspace_routes("secret") {
        let mut request = app.request(method, &path).key(&ana.key).ws("secret");
        if let Some(body) = &body {
            request = request.json(body);
        }
        request.send().await.assert_error(403, "You are not a member of this workspace");
    }
    app.get("/workspaces").key(&ana.key).send().await.assert(200, json!([]));
}
