//! Forms through the router: management, List Form Create with form permissions, creating
//! through a form, and public forms (definition, answer, 404 for anything not public).

use enspace_api::rate_limit::RateSettings;
use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::{time, validation};

async fn post(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let response = app.post(path).key(&user.key).ws("acme").json(&body).send().await;
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()
}

/// `chamados` with `tipo` (required select), `descricao` and `interno`.
async fn setup(app: &TestApp) -> TestUser {
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    post(app, &ana, "/ws/types", json!({ "name": "Chamados" })).await;
    for field in [
        json!({ "name": "Tipo", "slug": "tipo", "type": "select", "required": true, "options": ["bug", "duvida"] }),
        json!({ "name": "Descrição", "slug": "descricao", "type": "text" }),
        json!({ "name": "Interno", "slug": "interno", "type": "text" }),
    ] {
        post(app, &ana, "/ws/types/chamados/fields", field).await;
    }
    ana
}

#[tokio::test]
async fn forms_are_managed_with_checked_fields() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let form = post(
        &app,
        &ana,
        "/ws/types/chamados/forms",
        json!({ "name": "Abertura de chamado", "fields": [
            { "refId": "tipo", "required": true, "width": "6", "section": "Dados" },
            { "refId": "descricao", "width": 12 }
        ] }),
    )
    .await;
    let hash = form["hash"].as_str().unwrap().to_string();
    assert!(hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "hash {hash}");
    let created_at = time(&form["created_at"]);
    assert_eq!(
        form,
        json!({ "id": 1, "hash": hash, "name": "Abertura de chamado", "type": "create", "visibility": "private",
            "fields": [
                { "refId": "tipo", "required": true, "width": "6", "section": "Dados" },
                { "refId": "descricao", "required": false, "width": "12", "section": null }
            ],
            "created_at": created_at, "updated_at": created_at })
    );
    // Every problem at once, with its path.
    app.post("/ws/types/chamados/forms")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": " ", "type": "wizard", "visibility": "secret",
            "fields": [{ "refId": "nope" }, { "refId": "tipo", "width": 0 }] }))
        .send()
        .await
        .assert(
            400,
            validation(json!([
                { "path": "name", "message": "must not be empty" },
                { "path": "type", "message": "expected one of create, edit, view, general, got \"wizard\"" },
                { "path": "visibility", "message": "expected private or public, got \"secret\"" },
                { "path": "fields[0].refId", "message": "no field \"nope\" in this type" },
                { "path": "fields[1].width", "message": "expected a whole number from 1 to 12" }
            ])),
        );
    app.post("/ws/types/chamados/forms")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "x", "hash": "mine", "extra": 1 }))
        .send()
        .await
        .assert(400, validation(json!([{ "path": "extra", "message": "unknown field `extra`, expected one of `name`, `type`, `visibility`, `fields`" }])));

    // Update keeps what is absent and never changes the hash.
    let updated = app
        .put("/ws/types/chamados/forms/1")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "visibility": "public", "hash": "ignored" }))
        .send()
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let updated = updated.json();
    assert_eq!((updated["hash"].as_str(), updated["visibility"].as_str()), (Some(hash.as_str()), Some("public")));
    assert_eq!(updated["fields"], form["fields"]);

    let list = app.get("/ws/types/chamados/forms").key(&ana.key).ws("acme").send().await;
    assert_eq!(list.json(), json!([updated]));
    app.get("/ws/types/chamados/forms/1").key(&ana.key).ws("acme").send().await.assert(200, updated.clone());
    // The type's detail lists it too.
    let detail = app.get("/ws/types/chamados").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(detail["forms"], json!([updated]));
    app.get("/ws/types/chamados/forms/7").key(&ana.key).ws("acme").send().await.assert_error(404, "Form not found");
    app.get("/ws/types/nope/forms").key(&ana.key).ws("acme").send().await.assert_error(404, "Type not found");

    // A field's deletion removes it from the form.
    let descricao = detail["fields"].as_array().unwrap().iter().find(|f| f["refId"] == "descricao").unwrap()["id"]
        .as_i64()
        .unwrap();
    let deleted = app.delete(&format!("/ws/types/chamados/fields/{descricao}")).key(&ana.key).ws("acme").send().await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    let form = app.get("/ws/types/chamados/forms/1").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(form["fields"], json!([{ "refId": "tipo", "required": true, "width": "6", "section": "Dados" }]));

    // Deleting the form answers it and removes the permissions naming it.
    let role = app.role(1, &[("forms::1::create", None), ("types::chamados::read", None)]).await;
    app.delete("/ws/types/chamados/forms/1").key(&ana.key).ws("acme").send().await.assert(200, form);
    let left: Vec<String> = app
        .db
        .fetch_all("SELECT reference FROM role_permissions WHERE role_id = $1", &[role.into()])
        .await
        .unwrap()
        .iter()
        .map(|r| r.text("reference").unwrap())
        .collect();
    assert_eq!(left, ["types::chamados::read"]);
    app.get("/ws/types/chamados/forms/1").key(&ana.key).ws("acme").send().await.assert_error(404, "Form not found");
}

#[tokio::test]
async fn a_form_permission_allows_creating_through_that_form_only() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let open = post(
        &app,
        &ana,
        "/ws/types/chamados/forms",
        json!({ "name": "Abrir", "fields": [{ "refId": "tipo" }, { "refId": "descricao", "required": true }] }),
    )
    .await;
    let other = post(&app, &ana, "/ws/types/chamados/forms", json!({ "name": "Outro", "fields": [] })).await;
    post(&app, &ana, "/ws/types/chamados/forms", json!({ "name": "Ver", "type": "view" })).await;

    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("forms::1::create", None)]).await;
    app.assign_role(member, role).await;

    // List Form Create: only the create forms she may use; Ana sees every create form.
    app.get("/ws/types/chamados/forms/create").key(&bia.key).ws("acme").send().await.assert(200, json!([open]));
    app.get("/ws/types/chamados/forms/create").key(&ana.key).ws("acme").send().await.assert(200, json!([open, other]));
    // She may read that form, but not the others nor the type's list of forms.
    app.get("/ws/types/chamados/forms/1").key(&bia.key).ws("acme").send().await.assert(200, open.clone());
    app.get("/ws/types/chamados/forms/2")
        .key(&bia.key)
        .ws("acme")
        .send()
        .await
        .assert_error(403, "Permission denied: types::chamados::read");
    app.get("/ws/types/chamados/forms")
        .key(&bia.key)
        .ws("acme")
        .send()
        .await
        .assert_error(403, "Permission denied: types::chamados::read");

    // Creating through the form checks its own required marks as well as the fields'.
    let create = |body: Value| app.post("/ws/types/chamados/items").key(&bia.key).ws("acme").json(&body).send();
    create(json!({ "form": 1, "data": { "interno": "x" } })).await.assert(
        400,
        validation(json!([
            { "path": "data.tipo", "message": "is required" },
            { "path": "data.descricao", "message": "is required" }
        ])),
    );
    let item = create(json!({ "form": "1", "data": { "tipo": "bug", "descricao": "quebrou" } })).await;
    assert_eq!(item.status, 201, "{}", item.text());
    assert_eq!(item.json()["form"], "1");
    // Not through another form, nor without one.
    create(json!({ "form": 2, "data": { "tipo": "bug" } }))
        .await
        .assert_error(403, "Permission denied: types::chamados::create");
    create(json!({ "data": { "tipo": "bug" } })).await.assert_error(403, "Permission denied: types::chamados::create");
    // A view form does not create items.
    app.post("/ws/types/chamados/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "form": 3, "data": { "tipo": "bug" } }))
        .send()
        .await
        .assert(
            400,
            validation(json!([{ "path": "form", "message": "expected \"default\" or the id of one of this type's create or general forms" }])),
        );
    // Managing forms is a structure setting.
    app.post("/ws/types/chamados/forms")
        .key(&bia.key)
        .ws("acme")
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .assert_error(403, "Permission denied: settings::structure::manage");
}

#[tokio::test]
async fn public_forms_answer_without_a_key() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let public = post(
        &app,
        &ana,
        "/ws/types/chamados/forms",
        json!({ "name": "Fale conosco", "visibility": "public",
            "fields": [{ "refId": "tipo", "section": "S" }, { "refId": "descricao", "required": true, "width": 8 }] }),
    )
    .await;
    let private = post(&app, &ana, "/ws/types/chamados/forms", json!({ "name": "Interno" })).await;
    let view =
        post(&app, &ana, "/ws/types/chamados/forms", json!({ "name": "Ver", "type": "view", "visibility": "public" }))
            .await;
    let hash = public["hash"].as_str().unwrap();

    let definition = app.get(&format!("/public/forms/{hash}")).send().await;
    assert_eq!(definition.status, 200, "{}", definition.text());
    let definition = definition.json();
    assert_eq!(definition["hash"], hash);
    assert_eq!(definition["name"], "Fale conosco");
    assert_eq!(definition["type"], "create");
    let entries: Vec<Value> = definition["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            json!([f["refId"], f["required"], f["width"], f["section"], f["field"]["type"], f["field"]["options"]])
        })
        .collect();
    assert_eq!(
        entries,
        [
            json!(["tipo", true, "12", "S", "EnlDropdown", [{ "label": "bug", "value": "bug" }, { "label": "duvida", "value": "duvida" }]]),
            json!(["descricao", true, "8", null, "inputText", []])
        ]
    );
    // Private forms and unknown hashes are the same 404.
    for hash in [private["hash"].as_str().unwrap(), "0123456789abcdef0123456789abcdef"] {
        app.get(&format!("/public/forms/{hash}")).send().await.assert_error(404, "Form not found");
        app.post(&format!("/public/forms/{hash}/answer"))
            .json(&json!({ "data": {} }))
            .send()
            .await
            .assert_error(404, "Form not found");
    }

    let answer = |body: Value| app.post(&format!("/public/forms/{hash}/answer")).json(&body).send();
    // Only the form's fields may be written, every rule applies, every problem at once.
    answer(json!({ "data": { "tipo": "outro", "interno": "x" }, "request_email": "not an email" })).await.assert(
        400,
        validation(json!([
            { "path": "data.interno", "message": "is not a field of this form" },
            { "path": "request_email", "message": "\"not an email\" is not a valid email address" },
            { "path": "data.tipo", "message": "expected one of \"bug\", \"duvida\", got \"outro\"" },
            { "path": "data.descricao", "message": "is required" }
        ])),
    );
    answer(json!({ "data": { "tipo": "outro" } })).await.assert(
        400,
        validation(json!([
            { "path": "data.tipo", "message": "expected one of \"bug\", \"duvida\", got \"outro\"" },
            { "path": "data.descricao", "message": "is required" }
        ])),
    );
    let created =
        answer(json!({ "data": { "tipo": "bug", "descricao": "socorro" }, "request_email": "cli@example.com" })).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let reference = created.json()["reference"].as_str().unwrap().to_string();
    assert_eq!(created.json(), json!({ "reference": reference }));

    let item = app.get(&format!("/ws/types/chamados/items/{reference}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        [&item["form"], &item["request_email"], &item["user"], &item["data"]],
        [
            &json!(public["id"].to_string()),
            &json!("cli@example.com"),
            &Value::Null,
            &json!({ "tipo": "bug", "descricao": "socorro" })
        ]
    );
    let history =
        app.get(&format!("/ws/types/chamados/items/{reference}/history")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!((history[0]["source"].as_str(), &history[0]["user"]), (Some("form"), &Value::Null));

    // A public view form shows its definition but takes no answers.
    let view_hash = view["hash"].as_str().unwrap();
    assert_eq!(app.get(&format!("/public/forms/{view_hash}")).send().await.status, 200);
    app.post(&format!("/public/forms/{view_hash}/answer"))
        .json(&json!({ "data": {} }))
        .send()
        .await
        .assert(400, validation(json!([{ "path": "", "message": "a view form does not take answers" }])));
}

#[tokio::test]
async fn public_forms_are_rate_limited_per_address() {
    // Keys and addresses have buckets of eight here; setting up spends Ana's key, not the address.
    let rate = RateSettings { replenish_every: std::time::Duration::from_secs(60), burst: 8 };
    let app = TestApp::builder().config(|c| c.rate = rate).build().await;
    let ana = setup(&app).await;
    let form = post(&app, &ana, "/ws/types/chamados/forms", json!({ "name": "P", "visibility": "public" })).await;
    let path = format!("/public/forms/{}", form["hash"].as_str().unwrap());
    for _ in 0..8 {
        assert_eq!(app.get(&path).send().await.status, 200);
    }
    app.post(&format!("{path}/answer"))
        .json(&json!({ "data": {} }))
        .send()
        .await
        .assert_error(429, "Too many requests: retry after 60 seconds");
}
