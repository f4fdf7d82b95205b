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
        ("GET", "/ws/types".to_string(), None),
        ("GET", "/ws/types/count".to_string(), None),
        ("POST", "/ws/types".to_string(), Some(json!({ "name": "X" }))),
        ("GET", "/ws/types/docs".to_string(), None),
        ("PUT", "/ws/types/docs".to_string(), Some(json!({ "name": "X" }))),
        ("DELETE", "/ws/types/docs".to_string(), None),
        ("GET", "/ws/types/docs/fields".to_string(), None),
        ("POST", "/ws/types/docs/fields".to_string(), Some(json!({ "name": "X", "type": "text" }))),
        ("GET", "/ws/types/docs/fields/1".to_string(), None),
        ("PUT", "/ws/types/docs/fields/1".to_string(), Some(json!({ "name": "X" }))),
        ("DELETE", "/ws/types/docs/fields/1".to_string(), None),
        ("GET", "/ws/types/docs/items".to_string(), None),
        ("GET", "/ws/types/docs/items/count".to_string(), None),
        ("POST", "/ws/types/docs/items".to_string(), Some(json!({ "data": {} }))),
        ("POST", "/ws/types/docs/items/bulk".to_string(), Some(json!({ "delete": ["X"] }))),
        ("GET", "/ws/types/docs/items/DOC1".to_string(), None),
        ("PUT", "/ws/types/docs/items/DOC1".to_string(), Some(json!({ "data": {} }))),
        ("DELETE", "/ws/types/docs/items/DOC1".to_string(), None),
        ("GET", "/ws/types/docs/items/DOC1/history".to_string(), None),
        ("GET", "/ws/types/docs/forms".to_string(), None),
        ("POST", "/ws/types/docs/forms".to_string(), Some(json!({ "name": "X" }))),
        ("GET", "/ws/types/docs/forms/create".to_string(), None),
        ("GET", "/ws/types/docs/forms/1".to_string(), None),
        ("PUT", "/ws/types/docs/forms/1".to_string(), Some(json!({ "name": "X" }))),
        ("DELETE", "/ws/types/docs/forms/1".to_string(), None),
        ("GET", "/ws/files/1".to_string(), None),
        ("GET", "/ws/roles".to_string(), None),
        ("GET", "/ws/roles/count".to_string(), None),
        ("POST", "/ws/roles".to_string(), Some(json!({ "name": "X" }))),
        ("GET", "/ws/roles/1".to_string(), None),
        ("PUT", "/ws/roles/1".to_string(), Some(json!({ "name": "X" }))),
        ("DELETE", "/ws/roles/1".to_string(), None),
        ("GET", "/ws/roles/1/permissions".to_string(), None),
        ("POST", "/ws/roles/1/permissions".to_string(), Some(json!({ "reference": "ai::chat::use" }))),
        ("DELETE", "/ws/roles/1/permissions/1".to_string(), None),
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

/// Data of a workspace the caller is not in, named through the caller's own workspace, is
/// simply not there: the same 404 as something that does not exist.
#[tokio::test]
async fn another_workspaces_data_is_not_found_through_ones_own() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    app.workspace(&ana, "Acme").await;
    app.workspace(&bia, "Secret").await;
    let in_secret =
        |method: &str, path: &str, body: Value| app.request(method, path).key(&bia.key).ws("secret").json(&body).send();
    assert_eq!(in_secret("POST", "/ws/types", json!({ "name": "Docs" })).await.status, 201);
    let field = in_secret("POST", "/ws/types/docs/fields", json!({ "name": "A", "slug": "a", "type": "text" })).await;
    let item = in_secret("POST", "/ws/types/docs/items", json!({ "data": { "a": "segredo" } })).await.json();
    let form = in_secret("POST", "/ws/types/docs/forms", json!({ "name": "F" })).await.json();
    let file =
        app.post("/ws/files").key(&bia.key).ws("secret").multipart(&[("file", Some("s.txt"), b"segredo")]).send().await;
    assert_eq!((field.status, file.status), (201, 201));
    let (reference, form_id) = (item["reference"].as_str().unwrap(), form["id"].as_i64().unwrap());
    let file_id = file.json()[0]["id"].as_i64().unwrap();

    // Ana even has a type of the same slug in Acme: Secret's rows still never show through it.
    assert_eq!(
        app.post("/ws/types").key(&ana.key).ws("acme").json(&json!({ "name": "Docs" })).send().await.status,
        201
    );
    let acme = |method: &str, path: String| app.request(method, &path).key(&ana.key).ws("acme").send();
    acme("GET", format!("/ws/types/docs/items/{reference}")).await.assert_error(404, "Item not found");
    acme("DELETE", format!("/ws/types/docs/items/{reference}")).await.assert_error(404, "Item not found");
    acme("GET", format!("/ws/types/docs/items/{reference}/history")).await.assert_error(404, "Item not found");
    acme("GET", format!("/ws/types/docs/forms/{form_id}")).await.assert_error(404, "Form not found");
    acme("DELETE", format!("/ws/types/docs/forms/{form_id}")).await.assert_error(404, "Form not found");
    acme("GET", format!("/ws/files/{file_id}")).await.assert_error(404, "File not found");
    acme("GET", "/ws/types/docs/fields/1".into()).await.assert_error(404, "Field not found");
    acme("GET", "/ws/types/docs/items".into()).await.assert(200, json!([]));
    acme("GET", "/ws/types/docs/items/count".into()).await.assert(200, json!(0));
    // Nor can Ana attach Secret's file to an item of hers.
    let attach = app
        .post("/ws/types/docs/fields")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "F", "slug": "f", "type": "uploadFile" }))
        .send()
        .await;
    assert_eq!(attach.status, 201);
    app.post("/ws/types/docs/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "f": [{ "id": file_id }] } }))
        .send()
        .await
        .assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed",
                "details": [{ "path": "data.f[0]", "message": format!("no uploaded file {file_id} in this workspace") }] }),
        );
    // Secret's item is intact.
    let kept = in_secret("GET", &format!("/ws/types/docs/items/{reference}"), json!({})).await;
    assert_eq!(kept.json()["data"], json!({ "a": "segredo" }));
}
