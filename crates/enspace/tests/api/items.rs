//! Types, fields and items through the router: the catalogue's checks, filters, history,
//! unique values and counters under concurrency, relations, bulk, and cleanup on deletion.

use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::validation;

async fn setup() -> (TestApp, TestUser) {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    (app, ana)
}

async fn post(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let response = app.post(path).key(&user.key).ws("acme").json(&body).send().await;
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()
}

/// Two types: `clientes` (nome, unique cpf) and `contratos` with a field of many kinds.
async fn contracts(app: &TestApp, ana: &TestUser) {
    post(app, ana, "/ws/types", json!({ "name": "Clientes" })).await;
    post(
        app,
        ana,
        "/ws/types/clientes/fields",
        json!({ "name": "Nome", "slug": "nome", "type": "text", "required": true }),
    )
    .await;
    post(
        app,
        ana,
        "/ws/types/clientes/fields",
        json!({ "name": "CPF", "slug": "cpf", "type": "text", "unique": true, "config": { "mask_validation": "cpf" } }),
    )
    .await;
    post(app, ana, "/ws/types", json!({ "name": "Contratos" })).await;
    let fields = [
        json!({ "name": "Tipo", "slug": "tipo", "type": "select", "options": { "choices": ["hotfix", "patch"] }, "indexed": true }),
        json!({ "name": "Valor", "slug": "valor", "type": "EnCurrency" }),
        json!({ "name": "Qtd", "slug": "qtd", "type": "number", "config": { "integer": true, "min": 1 } }),
        json!({ "name": "Inicio", "slug": "inicio", "type": "date", "config": { "date_only": true } }),
        json!({ "name": "Cliente", "slug": "cliente", "type": "EnRel", "config": { "rel": { "collection": "clientes", "displayString": "nome" } } }),
        json!({ "name": "Tags", "slug": "tags", "type": "EnlChips" }),
        json!({ "name": "Codigo", "slug": "codigo", "type": "EnCustomCode", "config": { "components": [{ "type": "text", "value": "CT-" }, { "type": "counter", "width": 4 }] } }),
        json!({ "name": "Resumo", "slug": "resumo", "type": "text" }),
    ];
    for field in fields {
        post(app, ana, "/ws/types/contratos/fields", field).await;
    }
}

#[tokio::test]
async fn types_and_fields_follow_the_spec() {
    let (app, ana) = setup().await;
    let created = post(&app, &ana, "/ws/types", json!({ "name": "Solicitações de Compra", "description": "d" })).await;
    assert_eq!(created["slug"], "solicitacoes_de_compra");
    assert_eq!(created["itemVersioning"], false);
    // The native fields are listed, read-only, after the type's own.
    let natives: Vec<&str> =
        created["fields"].as_array().unwrap().iter().map(|f| f["refId"].as_str().unwrap()).collect();
    assert_eq!(natives, ["id", "reference", "status", "form", "request_email", "user", "created_at", "updated_at"]);
    assert!(created["fields"].as_array().unwrap().iter().all(|f| f["native"] == true));

    // The reference's two spellings: defaultValue/position and default_value/order.
    let field = post(
        &app,
        &ana,
        "/ws/types/solicitacoes_de_compra/fields",
        json!({ "name": "Prioridade", "slug": "prioridade", "type": "select", "options": { "choices": ["alta", "baixa"] }, "defaultValue": "baixa", "position": 5 }),
    )
    .await;
    assert_eq!(field["type"], "EnlDropdown");
    assert_eq!(field["refId"], "prioridade");
    assert_eq!(field["slug"], "prioridade");
    assert_eq!(field["order"], 5);
    assert_eq!(field["default_value"], "baixa");
    assert_eq!(field["options"], json!([{ "value": "alta", "label": "alta" }, { "value": "baixa", "label": "baixa" }]));
    let site = post(
        &app,
        &ana,
        "/ws/types/solicitacoes_de_compra/fields",
        json!({ "name": "Site", "type": "url", "order": 1 }),
    )
    .await;
    assert_eq!(
        (site["refId"].clone(), site["type"].clone(), site["config"].clone()),
        (json!("site"), json!("inputText"), json!({ "masks": ["url"] }))
    );

    app.post("/ws/types/solicitacoes_de_compra/fields")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "X", "slug": "x", "type": "number", "order": 1, "position": 2, "validation": ["shout"] }))
        .send()
        .await
        .assert(400, validation(json!([
            { "path": "position", "message": "conflicts with order: give one of the two spellings" },
            { "path": "validation[0]", "message": "unknown rule \"shout\"; expected one of required, email, url, letters, numbers, letters_space, alphanumeric, mask, unique, cpf, cnpj" }
        ])));
    app.post("/ws/types/solicitacoes_de_compra/fields")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "Prioridade", "slug": "prioridade", "type": "text" }))
        .send()
        .await
        .assert_error(409, "The type already has a field \"prioridade\"");
    app.post("/ws/types/solicitacoes_de_compra/fields")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "Rel", "type": "EnRel", "config": { "rel": { "collection": "nada" } } }))
        .send()
        .await
        .assert(
            400,
            validation(json!([{ "path": "config.rel.collection", "message": "no type \"nada\" in this workspace" }])),
        );

    // Order: site (1) before prioridade (5), then the natives.
    let list = app.get("/ws/types/solicitacoes_de_compra/fields").key(&ana.key).ws("acme").send().await.json();
    let order: Vec<&str> = list.as_array().unwrap().iter().take(3).map(|f| f["refId"].as_str().unwrap()).collect();
    assert_eq!(order, ["site", "prioridade", "id"]);

    // A type change is refused once items hold values, unless lossless.
    post(&app, &ana, "/ws/types/solicitacoes_de_compra/items", json!({ "data": { "site": "https://acme.io" } })).await;
    let site_id = site["id"].as_i64().unwrap();
    let path = format!("/ws/types/solicitacoes_de_compra/fields/{site_id}");
    app.put(&path).key(&ana.key).ws("acme").json(&json!({ "type": "number" })).send().await.assert(
        400,
        validation(json!([{ "path": "type", "message": "cannot change inputText to EnlNumber: items hold values for this field" }])),
    );
    let changed =
        app.put(&path).key(&ana.key).ws("acme").json(&json!({ "type": "EnTextArea", "label": "Página" })).send().await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(
        (changed.json()["type"].clone(), changed.json()["label"].clone()),
        (json!("EnTextArea"), json!("Página"))
    );
    app.put(&path).key(&ana.key).ws("acme").json(&json!({ "slug": "pagina" })).send().await.assert(
        400,
        validation(json!([{ "path": "slug", "message": "cannot be changed: it is the key of the field's values in every item" }])),
    );

    // Type update keeps the slug; a type list and count see it.
    let updated = app
        .put("/ws/types/solicitacoes_de_compra")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "Compras", "color": "primary" }))
        .send()
        .await;
    assert_eq!(
        (updated.status, updated.json()["name"].clone(), updated.json()["slug"].clone()),
        (200, json!("Compras"), json!("solicitacoes_de_compra"))
    );
    assert_eq!(app.get("/ws/types/count?name_contains=compra").key(&ana.key).ws("acme").send().await.json(), 1);
    app.get("/ws/types/nope").key(&ana.key).ws("acme").send().await.assert_error(404, "Type not found");
}

#[tokio::test]
async fn every_wrong_value_is_reported_at_once() {
    let (app, ana) = setup().await;
    contracts(&app, &ana).await;
    app.post("/ws/types/contratos/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": {
            "tipo": "major", "valor": { "currency": "REAL", "value": "10" }, "qtd": 0.5, "inicio": "2026-13-01",
            "cliente": { "id": 999 }, "tags": "a", "codigo": "X", "cor": "azul", "id": 3
        } }))
        .send()
        .await
        .assert(
            400,
            validation(json!([
                { "path": "data.tipo", "message": "expected one of \"hotfix\", \"patch\", got \"major\"" },
                { "path": "data.valor.currency", "message": "expected an ISO 4217 code such as \"BRL\", got \"REAL\"" },
                { "path": "data.valor.value", "message": "expected a number, got \"10\"" },
                { "path": "data.qtd", "message": "expected a whole number, got 0.5" },
                { "path": "data.qtd", "message": "must be at least 1, got 0.5" },
                { "path": "data.inicio", "message": "expected a date YYYY-MM-DD, got \"2026-13-01\"" },
                { "path": "data.tags", "message": "expected a list of option values, got \"a\"" },
                { "path": "data.codigo", "message": "EnCustomCode values are written by the server" },
                { "path": "data.cor", "message": "\"cor\" is not a field of this type" },
                { "path": "data.id", "message": "\"id\" is a built-in column, not a field of data" },
                // A lookup's problem is in the same answer as the shape's (not only once they pass).
                { "path": "data.cliente", "message": "no item 999 in clientes" }
            ])),
        );
    // The reviewer's case: a wrong value and a missing relation, both named, with a bad status.
    app.post("/ws/types/contratos/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "qtd": "x", "cliente": "NOPE" }, "status": "gone" }))
        .send()
        .await
        .assert(
            400,
            validation(json!([
                { "path": "status", "message": "expected active or inactive, got \"gone\"" },
                { "path": "data.qtd", "message": "expected a number, got \"x\"" },
                { "path": "data.cliente", "message": "no item \"NOPE\" in clientes" }
            ])),
        );
    // Relations are checked against the related type, in this workspace only.
    app.post("/ws/types/contratos/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "cliente": { "id": 999 } } }))
        .send()
        .await
        .assert(400, validation(json!([{ "path": "data.cliente", "message": "no item 999 in clientes" }])));
    let bia = app.user("bia@example.com").await;
    app.workspace(&bia, "Other").await;
    let other_type = app.post("/ws/types").key(&bia.key).ws("other").json(&json!({ "name": "Clientes" })).send().await;
    assert_eq!(other_type.status, 201);
    let foreign =
        app.post("/ws/types/clientes/items").key(&bia.key).ws("other").json(&json!({ "data": {} })).send().await.json();
    let foreign_id = foreign["id"].as_i64().unwrap();
    app.post("/ws/types/contratos/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "cliente": foreign_id } }))
        .send()
        .await
        .assert(
            400,
            validation(json!([{ "path": "data.cliente", "message": format!("no item {foreign_id} in clientes") }])),
        );
    // Required (skipped by drafts), and CPF check digits.
    app.post("/ws/types/clientes/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "cpf": "529.982.247-24" } }))
        .send()
        .await
        .assert(
            400,
            validation(json!([
                { "path": "data.cpf", "message": "\"529.982.247-24\" is not a valid CPF (check digits)" },
                { "path": "data.nome", "message": "is required" }
            ])),
        );
    let draft = post(&app, &ana, "/ws/types/clientes/items", json!({ "data": {}, "isDraft": true })).await;
    assert_eq!(draft["isDraft"], true);
}

#[tokio::test]
async fn items_are_created_listed_filtered_updated_and_deleted() {
    let (app, ana) = setup().await;
    contracts(&app, &ana).await;
    let cli = post(
        &app,
        &ana,
        "/ws/types/clientes/items",
        json!({ "data": { "nome": "Fornecedor A", "cpf": "529.982.247-25" } }),
    )
    .await;
    let cli_ref = cli["reference"].as_str().unwrap().to_string();
    assert!(cli_ref.starts_with("CLI") && cli_ref.len() == 32, "{cli_ref}");
    let a = post(
        &app,
        &ana,
        "/ws/types/contratos/items",
        json!({ "data": { "tipo": "hotfix", "valor": { "currency": "BRL", "value": 1200 }, "qtd": 2, "inicio": "2026-03-12", "cliente": cli_ref, "tags": ["x", "y"], "resumo": "Troca de quadro" } }),
    )
    .await;
    let a_ref = a["reference"].as_str().unwrap().to_string();
    assert_eq!(
        a,
        json!({
            "id": a["id"], "reference": a_ref, "created_at": a["created_at"], "updated_at": a["updated_at"],
            "status": "active", "isDraft": false, "form": "default", "request_email": null, "user": ana.id,
            "data": {
                "tipo": "hotfix", "valor": { "currency": "BRL", "value": 1200, "originalValue": 1200 }, "qtd": 2,
                "inicio": "2026-03-12", "cliente": { "id": cli["id"], "display": "Fornecedor A", "reference": cli_ref },
                "tags": ["x", "y"], "codigo": "CT-0001", "resumo": "Troca de quadro"
            }
        })
    );
    crate::time(&a["created_at"]);
    let b = post(
        &app,
        &ana,
        "/ws/types/contratos/items",
        json!({ "data": { "tipo": "patch", "valor": { "currency": "USD", "value": 50.5 }, "qtd": 7 } }),
    )
    .await;
    assert_eq!(b["data"]["codigo"], "CT-0002");
    let b_ref = b["reference"].as_str().unwrap().to_string();

    let refs = |v: Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|i| i["reference"].as_str().unwrap().to_string()).collect()
    };
    let list = |query: &str| {
        let app = &app;
        let key = ana.key.clone();
        let path = format!("/ws/types/contratos/items{query}");
        async move {
            let response = app.get(&path).key(&key).ws("acme").send().await;
            assert_eq!(response.status, 200, "{path}: {}", response.text());
            response.json()
        }
    };
    assert_eq!(refs(list("").await), [a_ref.as_str(), b_ref.as_str()]);
    assert_eq!(refs(list("?data.tipo=patch").await), [b_ref.as_str()]);
    assert_eq!(refs(list("?data.valor_gte=100").await), [a_ref.as_str()]);
    assert_eq!(refs(list("?data.qtd_in=2&data.qtd_in=3").await), [a_ref.as_str()]);
    assert_eq!(refs(list(&format!("?data.cliente={}", cli["id"])).await), [a_ref.as_str()]);
    assert_eq!(refs(list(&format!("?data.cliente.reference={cli_ref}")).await), [a_ref.as_str()]);
    assert_eq!(refs(list("?data.tags=y").await), [a_ref.as_str()]);
    assert_eq!(refs(list("?data.tags_ne=y").await), [b_ref.as_str()]);
    assert_eq!(refs(list("?data.inicio_gte=2026-03-01&data.inicio_lt=2026-04-01").await), [a_ref.as_str()]);
    assert_eq!(refs(list("?data.inicio_null=true").await), [b_ref.as_str()]);
    assert_eq!(refs(list("?_q=QUADRO").await), [a_ref.as_str()]);
    assert_eq!(refs(list("?_sort=data.qtd:desc").await), [b_ref.as_str(), a_ref.as_str()]);
    assert_eq!(refs(list("?data.codigo=CT-0002").await), [b_ref.as_str()]);
    assert_eq!(
        app.get("/ws/types/contratos/items/count?data.tipo_in=hotfix&data.tipo_in=patch")
            .key(&ana.key)
            .ws("acme")
            .send()
            .await
            .json(),
        2
    );
    for (query, param, message) in [
        ("?data.nope=1", "data.nope", "unknown field or operator"),
        ("?data.tags_gt=a", "data.tags_gt", "operator \"gt\" does not apply to a list of values"),
        ("?data.qtd=abc", "data.qtd", "expected a number, got \"abc\""),
        ("?_sort=data.tags", "_sort", "cannot sort by \"data.tags\": a list of values has no order"),
    ] {
        app.get(&format!("/ws/types/contratos/items{query}")).key(&ana.key).ws("acme").send().await.assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request", "message": format!("Invalid query parameter {param}: {message}"), "details": [{ "path": param, "message": message }] }),
        );
    }

    // Partial update: present keys replace, null clears, absent keys stay.
    let updated = app
        .put(&format!("/ws/types/contratos/items/{a_ref}"))
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "qtd": 3, "resumo": null } }))
        .send()
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let updated = updated.json();
    assert_eq!(
        (updated["data"]["qtd"].clone(), updated["data"].get("resumo"), updated["data"]["tipo"].clone()),
        (json!(3), None, json!("hotfix"))
    );
    let status = app
        .put(&format!("/ws/types/contratos/items/{a_ref}"))
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "status": "inactive" }))
        .send()
        .await;
    assert_eq!(status.json()["status"], "inactive");

    // The relation's display is live; a deleted related item reads as missing.
    app.put(&format!("/ws/types/clientes/items/{cli_ref}"))
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "nome": "Fornecedor B" } }))
        .send()
        .await;
    let got = app.get(&format!("/ws/types/contratos/items/{a_ref}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(got["data"]["cliente"]["display"], "Fornecedor B");
    app.delete(&format!("/ws/types/clientes/items/{cli_ref}")).key(&ana.key).ws("acme").send().await;
    let got = app.get(&format!("/ws/types/contratos/items/{a_ref}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        got["data"]["cliente"],
        json!({ "id": cli["id"], "display": null, "reference": cli_ref, "missing": true })
    );

    // History, newest first.
    let history =
        app.get(&format!("/ws/types/contratos/items/{a_ref}/history")).key(&ana.key).ws("acme").send().await.json();
    let actions: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["status", "update", "create"]);
    assert_eq!(history[0]["changes"], json!({ "status": { "from": "active", "to": "inactive" } }));
    assert_eq!(
        history[1]["changes"],
        json!({ "qtd": { "from": 2, "to": 3 }, "resumo": { "from": "Troca de quadro", "to": null } })
    );
    assert_eq!((history[1]["user"].clone(), history[1]["source"].clone()), (json!(ana.id), json!("api")));

    let deleted = app.delete(&format!("/ws/types/contratos/items/{b_ref}")).key(&ana.key).ws("acme").send().await;
    assert_eq!((deleted.status, deleted.json()["reference"].clone()), (200, json!(b_ref)));
    app.get(&format!("/ws/types/contratos/items/{b_ref}"))
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .assert_error(404, "Item not found");
    // A code number is never given twice, even after a deletion.
    let c = post(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    assert_eq!(c["data"]["codigo"], "CT-0003");
}

#[tokio::test]
async fn unique_values_and_counters_hold_under_concurrent_creates() {
    let (app, ana) = setup().await;
    contracts(&app, &ana).await;
    let creates = (0..16).map(|_| {
        app.post("/ws/types/clientes/items")
            .key(&ana.key)
            .ws("acme")
            .json(&json!({ "data": { "nome": "X", "cpf": "529.982.247-25" } }))
            .send()
    });
    let statuses: Vec<u16> = futures_join(creates).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15, "{statuses:?}");
    app.post("/ws/types/clientes/items").key(&ana.key).ws("acme").json(&json!({ "data": { "nome": "Y", "cpf": "529.982.247-25" } })).send().await.assert(
        409,
        json!({ "statusCode": 409, "error": "Conflict", "message": "A unique field's value is already used",
            "details": [{ "path": "data.cpf", "message": "\"529.982.247-25\" is already used by another item (the field is unique)" }] }),
    );
    let creates = (0..24)
        .map(|_| app.post("/ws/types/contratos/items").key(&ana.key).ws("acme").json(&json!({ "data": {} })).send());
    let mut codes: Vec<String> =
        futures_join(creates).await.iter().map(|r| r.json()["data"]["codigo"].as_str().unwrap().to_string()).collect();
    codes.sort();
    let expected: Vec<String> = (1..=24).map(|n| format!("CT-{n:04}")).collect();
    assert_eq!(codes, expected);
}

/// Runs the requests together on the test's runtime (no helper crate needed for a join).
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    tokio_join_all(futures.map(Box::pin).collect()).await
}

async fn tokio_join_all<F: std::future::Future + Unpin>(futures: Vec<F>) -> Vec<F::Output> {
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, F)> = futures.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match std::pin::Pin::new(f).poll(cx) {
            std::task::Poll::Ready(v) => {
                results[*i] = Some(v);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().map(|r| r.expect("every future finished")).collect()
}

#[tokio::test]
async fn bulk_is_all_or_nothing() {
    let (app, ana) = setup().await;
    contracts(&app, &ana).await;
    let body = json!({ "create": [{ "data": { "nome": "A" } }, { "data": { "nome": 5 } }], "delete": ["CLI00000000000000000000000000000"] });
    app.post("/ws/types/clientes/items/bulk").key(&ana.key).ws("acme").json(&body).send().await.assert(
        400,
        validation(json!([
            { "path": "create[1].data.nome", "message": "expected text, got 5" },
            { "path": "delete[0]", "message": "no item \"CLI00000000000000000000000000000\" in clientes" }
        ])),
    );
    assert_eq!(app.get("/ws/types/clientes/items/count").key(&ana.key).ws("acme").send().await.json(), 0);
    let ok = app
        .post("/ws/types/clientes/items/bulk")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "create": [{ "data": { "nome": "A" } }, { "data": { "nome": "B" } }] }))
        .send()
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let created = ok.json()["create"].clone();
    let first = created[0]["reference"].as_str().unwrap().to_string();
    let second = created[1]["reference"].as_str().unwrap().to_string();
    let mixed = json!({ "update": [{ "reference": first, "data": { "nome": "A2" } }], "delete": [second] });
    let done = app.post("/ws/types/clientes/items/bulk").key(&ana.key).ws("acme").json(&mixed).send().await.json();
    assert_eq!(
        (done["update"][0]["data"]["nome"].clone(), done["delete"][0]["reference"].clone()),
        (json!("A2"), json!(second))
    );
    assert_eq!(app.get("/ws/types/clientes/items/count").key(&ana.key).ws("acme").send().await.json(), 1);
}

#[tokio::test]
async fn deleting_types_and_fields_leaves_nothing_behind() {
    let (app, ana) = setup().await;
    contracts(&app, &ana).await;
    assert_eq!(app.run_jobs().await, 1, "the build of tipo's index");
    let cli = post(&app, &ana, "/ws/types/clientes/items", json!({ "data": { "nome": "A" } })).await;
    post(&app, &ana, "/ws/types/contratos/items", json!({ "data": { "cliente": cli["id"], "resumo": "r" } })).await;
    let now = 1i64;
    app.db
        .execute(
            "INSERT INTO roles (workspace_id, name, created_at, updated_at) VALUES (1, 'R', $1, $1)",
            &[now.into()],
        )
        .await
        .unwrap();
    for (reference, fields) in
        [("types::clientes::read", "[\"data.nome\"]"), ("types::contratos::read", "[\"data.resumo\", \"data.tipo\"]")]
    {
        app.db
            .execute(
                "INSERT INTO role_permissions (workspace_id, role_id, reference, fields, created_at, updated_at) VALUES (1, 1, $1, $2, $3, $3)",
                &[reference.into(), serde_json::from_str::<Value>(fields).unwrap().into(), now.into()],
            )
            .await
            .unwrap();
    }
    // A field's deletion removes its values and its mentions in permissions.
    let detail = app.get("/ws/types/contratos").key(&ana.key).ws("acme").send().await.json();
    let resumo =
        detail["fields"].as_array().unwrap().iter().find(|f| f["refId"] == "resumo").unwrap()["id"].as_i64().unwrap();
    let removed = app.delete(&format!("/ws/types/contratos/fields/{resumo}")).key(&ana.key).ws("acme").send().await;
    assert_eq!(removed.status, 200);
    // Gone from reads at once; the stored values leave in the background.
    let items = app.get("/ws/types/contratos/items").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(items[0]["data"].get("resumo"), None);
    let stored = || async {
        app.db.fetch_one("SELECT data FROM items WHERE type_id = 2", &[]).await.unwrap().json("data").unwrap()
    };
    assert_eq!(stored().await["resumo"], json!("r"));
    // A new field of the same name waits until the old values are gone.
    let again = json!({ "name": "Resumo", "slug": "resumo", "type": "text" });
    app.post("/ws/types/contratos/fields").key(&ana.key).ws("acme").json(&again).send().await.assert_error(
        409,
        "A deleted field \"resumo\" is still being removed from this type's items; try again in a moment",
    );
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(stored().await.get("resumo"), None);
    let perms = app
        .db
        .fetch_one("SELECT fields FROM role_permissions WHERE reference = 'types::contratos::read'", &[])
        .await
        .unwrap();
    assert_eq!(perms.json("fields").unwrap(), json!(["data.tipo"]));

    // A type others point at is refused, unless forced.
    app.delete("/ws/types/clientes").key(&ana.key).ws("acme").send().await.assert_error(
        409,
        "Relation fields point at this type (contratos.cliente); delete them first or pass ?force=true",
    );
    let gone = app.delete("/ws/types/clientes?force=true").key(&ana.key).ws("acme").send().await;
    assert_eq!(gone.status, 200, "{}", gone.text());
    // Hidden at once (its slug is free again), removed by the purge jobs: the type's and the
    // pointing field's.
    app.get("/ws/types/clientes").key(&ana.key).ws("acme").send().await.assert_error(404, "Type not found");
    assert_eq!(app.get("/ws/types").key(&ana.key).ws("acme").send().await.json().as_array().unwrap().len(), 1);
    assert_eq!(app.run_jobs().await, 2);
    for (table, expected) in [("items", 1), ("types", 1)] {
        let n = app.db.fetch_one(&format!("SELECT COUNT(*) AS n FROM {table}"), &[]).await.unwrap().i64("n").unwrap();
        assert_eq!(n, expected, "{table}");
    }
    let perms: Vec<String> = app
        .db
        .fetch_all("SELECT reference FROM role_permissions", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.text("reference").unwrap())
        .collect();
    assert_eq!(perms, ["types::contratos::read"]);
    let items = app.get("/ws/types/contratos/items").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(items[0]["data"].get("cliente"), None);
}
