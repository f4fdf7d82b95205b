//! Field-level permissions (access.md step 6): a member whose role lists some fields of a type
//! never sees the others through list, get, history, count by filter, sort order, `_q` or
//! error messages, and cannot write fields its `update` does not list.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

/// Ana owns Acme with type `orders` (`cliente` text, `valor` number, `segredo` text) and one
/// item; Bia is a standard member who reads `cliente` and `created_at`, and updates `cliente`.
async fn setup(app: &TestApp) -> (TestUser, TestUser, String) {
    let ana = app.user("ana@example.com").await;
    let acme = app.workspace(&ana, "Acme").await;
    let ws = acme["id"].as_i64().unwrap();
    for (path, body) in [
        ("/ws/types", json!({ "name": "Orders" })),
        ("/ws/types/orders/fields", json!({ "name": "Cliente", "slug": "cliente", "type": "text" })),
        ("/ws/types/orders/fields", json!({ "name": "Valor", "slug": "valor", "type": "number" })),
        ("/ws/types/orders/fields", json!({ "name": "Segredo", "slug": "segredo", "type": "text" })),
    ] {
        let response = app.post(path).key(&ana.key).ws("acme").json(&body).send().await;
        assert_eq!(response.status, 201, "{path}: {}", response.text());
    }
    let item = app
        .post("/ws/types/orders/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "cliente": "Lima", "valor": 900, "segredo": "cofre-42" } }))
        .send()
        .await;
    assert_eq!(item.status, 201, "{}", item.text());
    let reference = item.json()["reference"].as_str().unwrap().to_string();
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(ws, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app
        .role(
            ws,
            &[
                ("types::orders::read", Some(json!(["data.cliente", "created_at"]))),
                ("types::orders::update", Some(json!(["data.cliente"]))),
                ("types::orders::create", None),
            ],
        )
        .await;
    app.assign_role(member, role).await;
    (ana, bia, reference)
}

fn denied(action: &str, path: &str, at: &str) -> Value {
    json!({ "statusCode": 403, "error": "Forbidden",
        "message": format!("Permission denied: types::orders::{action} does not cover {path}"),
        "details": [{ "path": at, "message": format!("you may not {action} this field") }] })
}

#[tokio::test]
async fn hidden_fields_are_absent_from_every_read() {
    let app = TestApp::new().await;
    let (ana, bia, reference) = setup(&app).await;
    let got = app.get(&format!("/ws/types/orders/items/{reference}")).key(&bia.key).ws("acme").send().await;
    let body = got.json();
    got.assert(
        200,
        json!({ "id": 1, "reference": reference, "isDraft": false, "created_at": body["created_at"].clone(),
            "data": { "cliente": "Lima" } }),
    );
    let list = app.get("/ws/types/orders/items").key(&bia.key).ws("acme").send().await;
    assert_eq!(list.json(), json!([body]));
    // The owner sees everything.
    let full = app.get(&format!("/ws/types/orders/items/{reference}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(full["data"], json!({ "cliente": "Lima", "valor": 900, "segredo": "cofre-42" }));
    assert_eq!(full["status"], "active");

    // History: only the readable fields' changes (the create's `status` is hidden too).
    let update = app
        .put(&format!("/ws/types/orders/items/{reference}"))
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "cliente": "Souza", "segredo": "cofre-43" } }))
        .send()
        .await;
    assert_eq!(update.status, 200, "{}", update.text());
    let history =
        app.get(&format!("/ws/types/orders/items/{reference}/history")).key(&bia.key).ws("acme").send().await.json();
    let changes: Vec<Value> = history.as_array().unwrap().iter().map(|h| h["changes"].clone()).collect();
    assert_eq!(
        changes,
        [
            json!({ "cliente": { "from": "Lima", "to": "Souza" } }),
            json!({ "cliente": { "from": null, "to": "Lima" }, "isDraft": { "from": null, "to": false } })
        ]
    );
}

#[tokio::test]
async fn hidden_fields_cannot_be_probed_by_filters_sorts_or_search() {
    let app = TestApp::new().await;
    let (_ana, bia, _reference) = setup(&app).await;
    let get = |query: &'static str| app.get(&format!("/ws/types/orders/items{query}")).key(&bia.key).ws("acme");
    get("/count?data.segredo=cofre-42").send().await.assert(403, denied("read", "data.segredo", "data.segredo"));
    get("?data.valor_gt=100").send().await.assert(403, denied("read", "data.valor", "data.valor"));
    get("?_sort=data.valor:desc").send().await.assert(403, denied("read", "data.valor", "data.valor"));
    get("?_sort=updated_at:desc").send().await.assert(403, denied("read", "updated_at", "updated_at"));
    get("?created_by=1").send().await.assert(403, denied("read", "user", "user"));
    // `_q` searches only what Bia may read: the hidden value matches nothing, the visible one does.
    assert_eq!(get("/count?_q=cofre").send().await.json(), json!(0));
    assert_eq!(get("/count?_q=lim").send().await.json(), json!(1));
    assert_eq!(get("/count?data.cliente=Lima").send().await.json(), json!(1));
}

#[tokio::test]
async fn writes_outside_the_update_list_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let (ana, bia, reference) = setup(&app).await;
    let path = format!("/ws/types/orders/items/{reference}");
    let put = |body: Value| app.put(&path).key(&bia.key).ws("acme").json(&body).send();
    put(json!({ "data": { "cliente": "Souza", "valor": 1 } }))
        .await
        .assert(403, denied("update", "data.valor", "data.valor"));
    put(json!({ "status": "inactive" })).await.assert(403, denied("update", "status", "status"));
    let bulk = app
        .post("/ws/types/orders/items/bulk")
        .key(&bia.key)
        .ws("acme")
        .json(&json!({ "update": [{ "reference": reference, "data": { "cliente": "X" } }, { "reference": reference, "data": { "segredo": "y" } }] }))
        .send()
        .await;
    bulk.assert(403, denied("update", "data.segredo", "update[1].data.segredo"));
    let item = app.get(&path).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(item["data"], json!({ "cliente": "Lima", "valor": 900, "segredo": "cofre-42" }));
    assert_eq!(item["status"], "active");

    // Within the list it works, and the answer is masked like a read.
    let ok = put(json!({ "data": { "cliente": "Souza" } })).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["data"], json!({ "cliente": "Souza" }));
    assert!(ok.json().get("updated_at").is_none());

    // A create answers what Bia may read plus what she sent, never the rest.
    let created = app
        .post("/ws/types/orders/items")
        .key(&bia.key)
        .ws("acme")
        .json(&json!({ "data": { "cliente": "Nova", "valor": 5 } }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body = created.json();
    assert_eq!(body["data"], json!({ "cliente": "Nova", "valor": 5 }));
    assert_eq!(body["form"], "default");
    assert!(body.get("user").is_none() && body.get("updated_at").is_none());
}

/// The types list and count answer the types a member may read, and none for a member whose
/// role reads no type (both once failed with a 500: the filter's SQL was malformed).
#[tokio::test]
async fn a_member_lists_and_counts_only_the_types_it_may_read() {
    let app = TestApp::new().await;
    let (ana, bia, _) = setup(&app).await;
    let response = app.post("/ws/types").key(&ana.key).ws("acme").json(&json!({ "name": "Leads" })).send().await;
    assert_eq!(response.status, 201, "{}", response.text());
    let names = |list: Value| list.as_array().unwrap().iter().map(|t| t["slug"].clone()).collect::<Vec<_>>();
    let all = app.get("/ws/types").key(&ana.key).ws("acme").send().await;
    assert_eq!(names(all.json()), [json!("orders"), json!("leads")]);
    let bias = app.get("/ws/types").key(&bia.key).ws("acme").send().await;
    assert_eq!((bias.status, names(bias.json())), (200, vec![json!("orders")]));
    app.get("/ws/types/count").key(&bia.key).ws("acme").send().await.assert(200, json!(1));

    let caio = app.user("caio@example.com").await;
    let ws = app.get("/workspaces").key(&ana.key).send().await.json()[0]["id"].as_i64().unwrap();
    let member = app.add_member(ws, caio.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(ws, &[("tasks::quick::read", None)]).await;
    app.assign_role(member, role).await;
    app.get("/ws/types").key(&caio.key).ws("acme").send().await.assert(200, json!([]));
    app.get("/ws/types/count").key(&caio.key).ws("acme").send().await.assert(200, json!(0));
}
