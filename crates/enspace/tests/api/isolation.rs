//! A key for one workspace can neither read nor detect another workspace by any route.

use enspace_domain::{
    access::{MemberStatus, MemberType},
    key::Scopes,
};
use enspace_testkit::TestApp;
use serde_json::{json, Value};

/// Every workspace-scoped route, with a body where it takes one.
fn workspace_routes(confirm: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/ws".to_string(), None),
        ("PUT", "/ws".to_string(), Some(json!({ "name": "pwned" }))),
        ("POST", "/ws/leave".to_string(), None),
        ("GET", "/ws/stats".to_string(), None),
        ("GET", "/ws/events".to_string(), None),
        ("GET", "/ws/calendar".to_string(), None),
        ("PUT", "/ws/calendar".to_string(), Some(json!({ "time_zone": "UTC" }))),
        ("POST", "/ws/calendar/holidays/sync".to_string(), Some(json!({ "country": "BR", "year": 2026 }))),
        ("GET", "/ws/events/stream".to_string(), None),
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
        ("GET", "/ws/members".to_string(), None),
        ("GET", "/ws/members/count".to_string(), None),
        ("POST", "/ws/members".to_string(), Some(json!({ "email": "x@example.com", "type": "full" }))),
        ("GET", "/ws/members/1".to_string(), None),
        ("PUT", "/ws/members/1".to_string(), Some(json!({ "status": "blocked" }))),
        ("DELETE", "/ws/members/1".to_string(), None),
        ("GET", "/ws/member-groups".to_string(), None),
        ("GET", "/ws/member-groups/count".to_string(), None),
        ("POST", "/ws/member-groups".to_string(), Some(json!({ "name": "X" }))),
        ("GET", "/ws/member-groups/1".to_string(), None),
        ("PUT", "/ws/member-groups/1".to_string(), Some(json!({ "name": "X" }))),
        ("DELETE", "/ws/member-groups/1".to_string(), None),
        ("POST", "/ws/member-groups/1/add-users".to_string(), Some(json!({ "members": [1] }))),
        ("POST", "/ws/member-groups/1/remove-users".to_string(), Some(json!({ "members": [1] }))),
        ("GET", "/integrations".to_string(), None),
        ("POST", "/integrations".to_string(), Some(json!({ "integration": 6, "data": { "phone_number": "1" } }))),
        ("GET", "/integrations/1".to_string(), None),
        ("PUT", "/integrations/1".to_string(), Some(json!({ "status": "inactive" }))),
        ("DELETE", "/integrations/1".to_string(), None),
        ("POST", "/integrations/1/test".to_string(), None),
        ("POST", "/integrations/1/chat".to_string(), Some(json!({ "messages": [{ "role": "user", "content": "x" }] }))),
        ("GET", "/ws/emails".to_string(), None),
        ("POST", "/ws/emails".to_string(), Some(json!({ "to": ["a@b.co"], "subject": "x", "text": "y" }))),
        ("GET", "/ws/emails/1".to_string(), None),
        ("GET", "/ws/conversations".to_string(), None),
        ("GET", "/ws/conversations/1".to_string(), None),
        ("GET", "/ws/conversations/1/messages".to_string(), None),
        ("POST", "/ws/conversations/1/messages".to_string(), Some(json!({ "body": "x" }))),
        ("POST", "/ws/conversations/1/close".to_string(), None),
        ("POST", "/integrations/1/signature-requests".to_string(), Some(json!({ "title": "x" }))),
        ("GET", "/ws/signature-requests".to_string(), None),
        ("GET", "/ws/signature-requests/1".to_string(), None),
        ("GET", "/ws/signature-requests/1/document".to_string(), None),
        ("POST", "/ws/signature-requests/1/attach".to_string(), Some(json!({ "field": "f" }))),
        ("GET", "/c-type-flows".to_string(), None),
        ("POST", "/c-type-flows".to_string(), Some(json!({ "name": "x", "item_type": "docs" }))),
        ("GET", "/c-type-flows/1".to_string(), None),
        ("PUT", "/c-type-flows/1".to_string(), Some(json!({ "name": "x" }))),
        ("DELETE", "/c-type-flows/1".to_string(), None),
        ("GET", "/c-flow-stages".to_string(), None),
        ("GET", "/c-flow-stages/1".to_string(), None),
        ("DELETE", "/c-flow-stages/1".to_string(), None),
        ("GET", "/c-flow-transitions".to_string(), None),
        ("GET", "/c-stage-tasks".to_string(), None),
        ("GET", "/c-flow-items".to_string(), None),
        ("GET", "/c-flow-items/1".to_string(), None),
        ("GET", "/c-flow-item-tasks".to_string(), None),
        ("GET", "/c-flow-item-tasks/count".to_string(), None),
        ("GET", "/c-flow-item-tasks/in-charge".to_string(), None),
        ("GET", "/c-flow-item-tasks/in-charge/count".to_string(), None),
        ("GET", "/c-flow-item-tasks/1".to_string(), None),
        ("POST", "/c-flow-item-tasks/1/assign".to_string(), None),
        ("PUT", "/c-flow-item-tasks/1/complete".to_string(), Some(json!({}))),
        ("DELETE", "/c-flow-item-tasks/1".to_string(), None),
        ("GET", "/c-responsibility-rules".to_string(), None),
        ("POST", "/c-responsibility-rules".to_string(), Some(json!({ "item_type": "docs", "name": "x" }))),
        ("GET", "/c-responsibility-rules/1".to_string(), None),
        ("DELETE", "/c-responsibility-rules/1".to_string(), None),
        ("GET", "/c-stage-tasks/1".to_string(), None),
        ("PUT", "/c-stage-tasks/1".to_string(), Some(json!({ "name": "x" }))),
        ("DELETE", "/c-stage-tasks/1".to_string(), None),
        ("GET", "/c-flow-transitions/1".to_string(), None),
        ("DELETE", "/c-flow-transitions/1".to_string(), None),
        ("GET", "/ws/tasks".to_string(), None),
        ("GET", "/ws/tasks/count".to_string(), None),
        ("POST", "/ws/tasks".to_string(), Some(json!({ "name": "x" }))),
        ("GET", "/ws/tasks/1".to_string(), None),
        ("PUT", "/ws/tasks/1".to_string(), Some(json!({ "name": "x" }))),
        ("DELETE", "/ws/tasks/1".to_string(), None),
        ("GET", "/tasks".to_string(), None),
        ("GET", "/ws/notification-settings".to_string(), None),
        ("PUT", "/ws/notification-settings".to_string(), Some(json!({ "quick_tasks": { "custom": true } }))),
        ("GET", "/ws/webhooks".to_string(), None),
        ("GET", "/ws/webhooks/count".to_string(), None),
        ("POST", "/ws/webhooks".to_string(), Some(json!({ "url": "https://erp.example.com/", "events": ["*"] }))),
        ("GET", "/ws/webhooks/1".to_string(), None),
        ("PUT", "/ws/webhooks/1".to_string(), Some(json!({ "active": false }))),
        ("DELETE", "/ws/webhooks/1".to_string(), None),
        ("POST", "/ws/webhooks/1/rotate-secret".to_string(), None),
        ("GET", "/ws/webhooks/1/deliveries".to_string(), None),
        ("GET", "/ws/webhooks/1/deliveries/count".to_string(), None),
        ("POST", "/ws/webhooks/1/test".to_string(), None),
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
    app.add_member(2, ana.id, MemberType::Full, MemberStatus::Active).await;
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
    // Secret's events are not in Acme's feed: only Acme's own type creation is.
    let events = acme("GET", "/ws/events".into()).await.json();
    let seen: Vec<(&Value, &Value)> =
        events.as_array().unwrap().iter().map(|e| (&e["kind"], &e["workspace"])).collect();
    assert_eq!(seen, [(&json!("type.created"), &json!("acme"))]);
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

/// Every route that takes an id or a slug, given another workspace's, answers exactly what it
/// answers for one that does not exist, and changes nothing there.
#[tokio::test]
async fn another_workspaces_ids_answer_like_missing_ones() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    app.workspace(&ana, "Acme").await;
    app.workspace(&bia, "Secret").await;
    async fn create(app: &TestApp, key: &str, ws: &str, path: &str, body: Value) -> Value {
        let response = app.post(path).key(key).ws(ws).json(&body).send().await;
        assert_eq!(response.status, 201, "{path}: {}", response.text());
        response.json()
    }
    // Both have type `docs` with a field, so the type exists on Ana's side and only the ids differ.
    for key_ws in [(&ana.key, "acme"), (&bia.key, "secret")] {
        create(&app, key_ws.0, key_ws.1, "/ws/types", json!({ "name": "Docs" })).await;
        create(&app, key_ws.0, key_ws.1, "/ws/types/docs/fields", json!({ "name": "A", "slug": "a", "type": "text" }))
            .await;
        create(
            &app,
            key_ws.0,
            key_ws.1,
            "/ws/roles",
            json!({ "name": "R", "permissions": [{ "reference": "types::docs::read" }] }),
        )
        .await;
    }
    create(&app, &bia.key, "secret", "/ws/types", json!({ "name": "Classified" })).await;
    let field = app.get("/ws/types/docs/fields").key(&bia.key).ws("secret").send().await.json()[0]["id"].clone();
    let item = create(&app, &bia.key, "secret", "/ws/types/docs/items", json!({ "data": { "a": "x" } })).await;
    let form = create(&app, &bia.key, "secret", "/ws/types/docs/forms", json!({ "name": "F" })).await;
    let role = app.get("/ws/roles").key(&bia.key).ws("secret").send().await.json()[0].clone();
    let permission =
        app.get(&format!("/ws/roles/{}/permissions", role["id"])).key(&bia.key).ws("secret").send().await.json()[0]
            ["id"]
            .clone();
    let group = create(&app, &bia.key, "secret", "/ws/member-groups", json!({ "name": "G" })).await;
    let integration =
        create(&app, &bia.key, "secret", "/integrations", json!({ "integration": 7, "data": { "api_key": "sk-x" } }))
            .await;
    let sendgrid =
        json!({ "integration": 4, "data": { "environment": "stage", "api_key": "SG.x", "from_email": "a@b.co" } });
    create(&app, &bia.key, "secret", "/integrations", sendgrid).await;
    let email = app
        .post("/ws/emails")
        .key(&bia.key)
        .ws("secret")
        .json(&json!({ "to": ["c@d.co"], "subject": "s", "text": "t" }))
        .send()
        .await
        .json();
    // A WhatsApp conversation in Secret, opened by a signed inbound message.
    let whatsapp = json!({ "integration": 6, "data": { "phone_number": "21 3333-4444", "account_sid": "AC1", "auth_token": "tok" } });
    let wa = create(&app, &bia.key, "secret", "/integrations", whatsapp).await;
    let url = format!("http://127.0.0.1:8080/webhooks/whatsapp_twilio/{}", wa["id"]);
    let params: Vec<(String, String)> =
        [("MessageSid", "SM1"), ("From", "whatsapp:+5521999990000"), ("Body", "segredo")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
    let signature = enspace_integrations::twilio::signature("tok", &url, &params);
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
    let path = url.strip_prefix("http://127.0.0.1:8080").unwrap();
    let received = app
        .post(path)
        .header("x-twilio-signature", &signature)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await;
    assert_eq!(received.status, 200, "{}", received.text());
    let conversation =
        app.get("/ws/conversations").key(&bia.key).ws("secret").send().await.json()[0]["id"].as_i64().unwrap();
    // A signature request in Secret, as its provider's answer would have recorded it.
    let docusign = json!({ "integration": 8, "data": { "environment": "stage", "user_id": "u", "account_id": "a",
        "integration_key": "k", "access_token": "t" } });
    let ds = create(&app, &bia.key, "secret", "/integrations", docusign).await;
    let mut tx = app.db.begin().await.unwrap();
    let new = enspace_store::signature_requests::NewSignatureRequest {
        integration_id: ds["id"].as_i64().unwrap(),
        provider: "docusign",
        provider_id: "env-secret",
        provider_document_id: None,
        title: "Segredo",
        signers: &[],
        item_type: None,
        item_reference: None,
        document_name: "s.pdf",
        created_by: None,
    };
    let secret_request = enspace_store::signature_requests::insert(&mut tx, 2, new, 0).await.unwrap();
    tx.commit().await.unwrap();
    let carla = app.user("carla@example.com").await;
    let member = app.add_member(2, carla.id, MemberType::Standard, MemberStatus::Active).await;
    let acme_role = app.get("/ws/roles").key(&ana.key).ws("acme").send().await.json()[0]["id"].clone();
    let ids = |id: &Value| [id.to_string().trim_matches('"').to_string(), "987654".to_string()];
    let hook =
        create(&app, &bia.key, "secret", "/ws/webhooks", json!({ "url": "https://erp.example.com/", "events": ["*"] }))
            .await;
    let flow = create(&app, &bia.key, "secret", "/c-type-flows", json!({ "name": "F", "item_type": "docs" })).await;
    let stage = create(&app, &bia.key, "secret", "/c-flow-stages", json!({ "flow": flow["id"], "name": "S" })).await;
    let transition = create(
        &app,
        &bia.key,
        "secret",
        "/c-flow-transitions",
        json!({ "flow": flow["id"], "from": stage["id"], "to": stage["id"] }),
    )
    .await;
    let task = create(
        &app,
        &bia.key,
        "secret",
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "T", "action": "confirmation" }),
    )
    .await;
    let rule =
        create(&app, &bia.key, "secret", "/c-responsibility-rules", json!({ "item_type": "docs", "name": "R" })).await;
    let quick = create(&app, &bia.key, "secret", "/ws/tasks", json!({ "name": "Q", "assigned_to": bia.id })).await;
    // An item created now runs through the flow: flow item and schedule task of "secret".
    create(&app, &bia.key, "secret", "/ws/types/docs/items", json!({ "data": {} })).await;
    let run =
        app.db.fetch_one("SELECT id FROM flow_items WHERE workspace_id = 2", &[]).await.unwrap().i64("id").unwrap();
    let schedule =
        app.db.fetch_one("SELECT id FROM schedule_tasks WHERE workspace_id = 2", &[]).await.unwrap().i64("id").unwrap();
    let routes: Vec<(&str, String, Option<Value>)> = {
        let mut out = Vec::new();
        let mut both = |method: &'static str, template: &str, id: &Value, body: Option<Value>| {
            for (i, id) in ids(id).into_iter().enumerate() {
                out.push((method, template.replace("{}", &id), body.clone(), i));
            }
        };
        let slug = json!("classified");
        both("GET", "/ws/types/{}", &slug, None);
        both("PUT", "/ws/types/{}", &slug, Some(json!({ "name": "pwned" })));
        both("DELETE", "/ws/types/{}", &slug, None);
        both("GET", "/ws/types/{}/fields", &slug, None);
        both("GET", "/ws/types/{}/items", &slug, None);
        both("GET", "/ws/types/docs/fields/{}", &field, None);
        both("PUT", "/ws/types/docs/fields/{}", &field, Some(json!({ "name": "pwned" })));
        both("DELETE", "/ws/types/docs/fields/{}", &field, None);
        both("GET", "/ws/types/docs/items/{}", &item["reference"], None);
        both("PUT", "/ws/types/docs/items/{}", &item["reference"], Some(json!({ "data": { "a": "pwned" } })));
        both("DELETE", "/ws/types/docs/items/{}", &item["reference"], None);
        both("GET", "/ws/types/docs/items/{}/history", &item["reference"], None);
        both("GET", "/ws/types/docs/forms/{}", &form["id"], None);
        both("PUT", "/ws/types/docs/forms/{}", &form["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/ws/types/docs/forms/{}", &form["id"], None);
        both("GET", "/ws/roles/{}", &role["id"], None);
        both("PUT", "/ws/roles/{}", &role["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/ws/roles/{}", &role["id"], None);
        both("GET", "/ws/roles/{}/permissions", &role["id"], None);
        both("POST", "/ws/roles/{}/permissions", &role["id"], Some(json!({ "reference": "types::docs::read" })));
        both("DELETE", &format!("/ws/roles/{acme_role}/permissions/{{}}"), &permission, None);
        both("GET", "/ws/members/{}", &json!(member), None);
        both("PUT", "/ws/members/{}", &json!(member), Some(json!({ "status": "blocked" })));
        both("DELETE", "/ws/members/{}", &json!(member), None);
        both("GET", "/ws/member-groups/{}", &group["id"], None);
        both("PUT", "/ws/member-groups/{}", &group["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/ws/member-groups/{}", &group["id"], None);
        both("POST", "/ws/member-groups/{}/add-users", &group["id"], Some(json!({ "members": [] })));
        both("POST", "/ws/member-groups/{}/remove-users", &group["id"], Some(json!({ "members": [] })));
        both("GET", "/integrations/{}", &integration["id"], None);
        both("PUT", "/integrations/{}", &integration["id"], Some(json!({ "status": "inactive" })));
        both("DELETE", "/integrations/{}", &integration["id"], None);
        both("POST", "/integrations/{}/test", &integration["id"], None);
        both("GET", "/ws/emails/{}", &email["id"], None);
        both(
            "POST",
            "/integrations/{}/chat",
            &integration["id"],
            Some(json!({ "messages": [{ "role": "user", "content": "x" }] })),
        );
        both("GET", "/ws/conversations/{}", &json!(conversation), None);
        both("GET", "/ws/conversations/{}/messages", &json!(conversation), None);
        both("POST", "/ws/conversations/{}/messages", &json!(conversation), Some(json!({ "body": "pwned" })));
        both("POST", "/ws/conversations/{}/close", &json!(conversation), None);
        both("POST", "/integrations/{}/signature-requests", &ds["id"], Some(json!({ "title": "pwned" })));
        both("GET", "/ws/signature-requests/{}", &json!(secret_request), None);
        both("GET", "/ws/signature-requests/{}/document", &json!(secret_request), None);
        both("POST", "/ws/signature-requests/{}/attach", &json!(secret_request), Some(json!({ "field": "f" })));
        both("GET", "/c-type-flows/{}", &flow["id"], None);
        both("PUT", "/c-type-flows/{}", &flow["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/c-type-flows/{}", &flow["id"], None);
        both("GET", "/c-flow-stages/{}", &stage["id"], None);
        both("PUT", "/c-flow-stages/{}", &stage["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/c-flow-stages/{}", &stage["id"], None);
        both("GET", "/c-flow-transitions/{}", &transition["id"], None);
        both("PUT", "/c-flow-transitions/{}", &transition["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/c-flow-transitions/{}", &transition["id"], None);
        both("GET", "/c-stage-tasks/{}", &task["id"], None);
        both("PUT", "/c-stage-tasks/{}", &task["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/c-stage-tasks/{}", &task["id"], None);
        both("GET", "/c-responsibility-rules/{}", &rule["id"], None);
        both("PUT", "/c-responsibility-rules/{}", &rule["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/c-responsibility-rules/{}", &rule["id"], None);
        both("GET", "/c-flow-items/{}", &json!(run), None);
        both("GET", "/c-flow-item-tasks/{}", &json!(schedule), None);
        both("POST", "/c-flow-item-tasks/{}/assign", &json!(schedule), None);
        both("PUT", "/c-flow-item-tasks/{}/complete", &json!(schedule), Some(json!({})));
        both("DELETE", "/c-flow-item-tasks/{}", &json!(schedule), None);
        both("GET", "/ws/tasks/{}", &quick["id"], None);
        both("PUT", "/ws/tasks/{}", &quick["id"], Some(json!({ "name": "pwned" })));
        both("DELETE", "/ws/tasks/{}", &quick["id"], None);
        both("GET", "/tasks/{}", &quick["id"], None);
        both("DELETE", "/tasks/{}?permanent=true", &quick["id"], None);
        both("GET", "/ws/webhooks/{}", &hook["id"], None);
        both("PUT", "/ws/webhooks/{}", &hook["id"], Some(json!({ "active": false })));
        both("DELETE", "/ws/webhooks/{}", &hook["id"], None);
        both("POST", "/ws/webhooks/{}/rotate-secret", &hook["id"], None);
        both("GET", "/ws/webhooks/{}/deliveries", &hook["id"], None);
        both("GET", "/ws/webhooks/{}/deliveries/count", &hook["id"], None);
        both("POST", "/ws/webhooks/{}/test", &hook["id"], None);
        out.into_iter().map(|(m, p, b, _)| (m, p, b)).collect()
    };
    for pair in routes.chunks(2) {
        let mut answers = Vec::new();
        for (method, path, body) in pair {
            let mut request = app.request(method, path).key(&ana.key).ws("acme");
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await;
            answers.push((response.status, response.json()));
        }
        assert_eq!(answers[0].0, 404, "{} {}: {:?}", pair[0].0, pair[0].1, answers[0]);
        assert_eq!(answers[0], answers[1], "{} {} differs from a missing id", pair[0].0, pair[0].1);
    }
    // Nothing changed in Secret.
    let secret = |path: String| app.get(&path).key(&bia.key).ws("secret").send();
    assert_eq!(secret(format!("/ws/roles/{}", role["id"])).await.json()["name"], "R");
    assert_eq!(secret(format!("/ws/members/{member}")).await.json()["status"], "active");
    assert_eq!(secret(format!("/ws/member-groups/{}", group["id"])).await.json()["name"], "G");
    assert_eq!(
        secret(format!("/ws/types/docs/items/{}", item["reference"].as_str().unwrap())).await.json()["data"],
        json!({ "a": "x" })
    );
    assert_eq!(secret("/ws/types/classified".into()).await.status, 200);
    assert_eq!(secret(format!("/integrations/{}", integration["id"])).await.json()["status"], "active");
    let kept = secret(format!("/ws/conversations/{conversation}")).await.json();
    assert_eq!(kept["status"], "open");
    assert_eq!(secret(format!("/ws/conversations/{conversation}/messages")).await.json().as_array().unwrap().len(), 1);
    assert_eq!(secret("/ws/signature-requests".into()).await.json()[0]["title"], "Segredo");
    assert_eq!(app.get("/ws/signature-requests").key(&ana.key).ws("acme").send().await.json(), json!([]));
    assert_eq!(secret(format!("/c-type-flows/{}", flow["id"])).await.json()["name"], "F");
    assert_eq!(secret(format!("/c-flow-stages/{}", stage["id"])).await.json()["name"], "S");
    assert_eq!(secret(format!("/c-flow-transitions/{}", transition["id"])).await.status, 200);
    assert_eq!(secret(format!("/c-stage-tasks/{}", task["id"])).await.json()["name"], "T");
    assert_eq!(secret(format!("/c-responsibility-rules/{}", rule["id"])).await.json()["name"], "R");
    assert_eq!(secret(format!("/c-flow-items/{run}")).await.json()["run_status"], "running");
    let waiting = secret(format!("/c-flow-item-tasks/{schedule}")).await.json();
    assert_eq!((&waiting["work_status"], &waiting["task_log"].as_array().unwrap().len()), (&json!("waiting"), &1));
    let kept = secret(format!("/ws/webhooks/{}", hook["id"])).await.json();
    assert_eq!((&kept["active"], &kept["last_delivery"]), (&json!(true), &Value::Null));
    let kept = secret(format!("/ws/tasks/{}", quick["id"])).await.json();
    assert_eq!((&kept["name"], &kept["deleted_at"]), (&json!("Q"), &Value::Null));
}
