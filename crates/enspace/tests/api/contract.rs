//! What an outside test of the contract found (issue 13), each through the router: path ids
//! that do not parse, repeated JSON keys, `data: null`, date-only values on date-time fields,
//! header edge cases, `unique` reported as indexed, and the array spellings of `_in` lists.

use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::validation;

async fn setup() -> (TestApp, TestUser) {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    (app, ana)
}

async fn created(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let response = app.post(path).key(&user.key).ws("acme").json(&body).send().await;
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()
}

/// Every route with a numeric id answers an id that does not parse exactly like an id that
/// names nothing: same status, same body, JSON.
#[tokio::test]
async fn path_ids_that_do_not_parse_answer_like_missing_ones() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    let role = created(&app, &ana, "/ws/roles", json!({ "name": "Leitura" })).await;
    let role_id = role["id"].as_i64().unwrap();
    let routes = [
        ("GET", "/ws/files/{}".to_string()),
        ("GET", "/ws/roles/{}".to_string()),
        ("PUT", "/ws/roles/{}".to_string()),
        ("DELETE", "/ws/roles/{}".to_string()),
        ("DELETE", format!("/ws/roles/{role_id}/permissions/{{}}")),
        ("GET", "/ws/members/{}".to_string()),
        ("GET", "/ws/member-groups/{}".to_string()),
        ("GET", "/ws/types/pedidos/forms/{}".to_string()),
        ("GET", "/integrations/{}".to_string()),
        ("GET", "/ws/emails/{}".to_string()),
        ("GET", "/ws/conversations/{}".to_string()),
        ("GET", "/ws/signature-requests/{}".to_string()),
        ("GET", "/ws/types/pedidos/fields/{}".to_string()),
    ];
    for (method, route) in routes {
        let missing = app
            .request(method, &route.replace("{}", "987654"))
            .key(&ana.key)
            .ws("acme")
            .json(&json!({ "name": "x" }))
            .send()
            .await;
        assert_eq!(missing.status, 404, "{method} {route}: {}", missing.text());
        for bad in ["abc", "12345678901234567890", "-1", "1.5", "%20"] {
            let answer = app
                .request(method, &route.replace("{}", bad))
                .key(&ana.key)
                .ws("acme")
                .json(&json!({ "name": "x" }))
                .send()
                .await;
            assert_eq!((answer.status, answer.json()), (404, missing.json()), "{method} {route} with {bad}");
            assert_eq!(answer.header("content-type"), Some("application/json"));
        }
    }
}

#[tokio::test]
async fn repeated_keys_and_null_data_are_refused() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    created(&app, &ana, "/ws/types/pedidos/fields", json!({ "name": "Nome", "slug": "nome", "type": "text" })).await;
    let post = |body: &'static str| {
        app.post("/ws/types/pedidos/items").key(&ana.key).ws("acme").raw("application/json", body).send()
    };
    post(r#"{"data":{"nome":"a"},"data":{"nome":"b"}}"#)
        .await
        .assert(400, validation(json!([{ "path": "data", "message": "is given more than once" }])));
    post(r#"{"data":{"nome":"a","nome":"b"}}"#)
        .await
        .assert(400, validation(json!([{ "path": "data.nome", "message": "is given more than once" }])));
    let null = validation(json!([{ "path": "data", "message": "must not be null: leave the key out instead" }]));
    post(r#"{"data":null}"#).await.assert(400, null.clone());
    let item = created(&app, &ana, "/ws/types/pedidos/items", json!({ "data": { "nome": "a" } })).await;
    let path = format!("/ws/types/pedidos/items/{}", item["reference"].as_str().unwrap());
    app.put(&path).key(&ana.key).ws("acme").json(&json!({ "data": null })).send().await.assert(400, null);
    app.post("/ws/types/pedidos/items/bulk")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "update": [{ "reference": item["reference"], "data": null }] }))
        .send()
        .await
        .assert(
            400,
            validation(json!([{ "path": "update[0].data", "message": "must not be null: leave the key out instead" }])),
        );
    // Nothing was written: the item still reads as created.
    let read = app.get(&path).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(read["data"], json!({ "nome": "a" }));
    assert_eq!(app.get("/ws/types/pedidos/items/count").key(&ana.key).ws("acme").send().await.json(), json!(1));
}

#[tokio::test]
async fn date_time_fields_refuse_a_date_alone() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    for field in [
        json!({ "name": "Quando", "slug": "quando", "type": "date" }),
        json!({ "name": "Dia", "slug": "dia", "type": "date", "config": { "date_only": true } }),
    ] {
        created(&app, &ana, "/ws/types/pedidos/fields", field).await;
    }
    let expected =
        "expected an ISO 8601 date-time with a time zone such as \"2026-03-12T20:46:40.548Z\", got \"2026-03-12\"";
    app.post("/ws/types/pedidos/items")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "quando": "2026-03-12", "dia": "2026-03-12" } }))
        .send()
        .await
        .assert(400, validation(json!([{ "path": "data.quando", "message": expected }])));
    let item = created(
        &app,
        &ana,
        "/ws/types/pedidos/items",
        json!({ "data": { "quando": "2026-03-12T09:00:00-03:00", "dia": "2026-03-12" } }),
    )
    .await;
    assert_eq!(item["data"], json!({ "quando": "2026-03-12T12:00:00.000Z", "dia": "2026-03-12" }));
}

#[tokio::test]
async fn workspace_header_with_non_ascii_bytes_is_named_as_invalid() {
    let (app, ana) = setup().await;
    app.get("/ws")
        .key(&ana.key)
        .header_bytes("en-workspace", "ação".as_bytes())
        .send()
        .await
        .assert_error(400, "Invalid header en-workspace: expected a workspace reference (its slug) or id");
    app.get("/ws")
        .key(&ana.key)
        .header("en-workspace", " ")
        .send()
        .await
        .assert_error(400, "Missing required header: en-workspace");
}

#[tokio::test]
async fn unique_fields_are_reported_as_indexed() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    let field = created(
        &app,
        &ana,
        "/ws/types/pedidos/fields",
        json!({ "name": "Codigo", "slug": "codigo", "type": "text", "unique": true }),
    )
    .await;
    assert_eq!((&field["unique"], &field["indexed"]), (&json!(true), &json!(true)));
    let plain =
        created(&app, &ana, "/ws/types/pedidos/fields", json!({ "name": "Nota", "slug": "nota", "type": "text" }))
            .await;
    assert_eq!((&plain["unique"], &plain["indexed"]), (&json!(false), &json!(false)));
}

/// `qs` (the Strapi SDK) sends `f_in[0]=a&f_in[1]=b`, axios `f_in[]=a&f_in[]=b`, others repeat
/// `f_in=`: the same list on every list and count route.
#[tokio::test]
async fn array_spellings_of_in_lists_give_the_same_rows() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    created(
        &app,
        &ana,
        "/ws/types/pedidos/fields",
        json!({ "name": "Estado", "slug": "estado", "type": "select", "options": { "choices": ["novo", "pago", "enviado"] } }),
    )
    .await;
    for estado in ["novo", "pago", "enviado", "pago", "novo"] {
        created(&app, &ana, "/ws/types/pedidos/items", json!({ "data": { "estado": estado } })).await;
    }
    let rows = |query: &'static str| {
        let app = &app;
        let key = ana.key.clone();
        async move {
            let list = app.get(&format!("/ws/types/pedidos/items?{query}")).key(&key).ws("acme").send().await;
            assert_eq!(list.status, 200, "{query}: {}", list.text());
            let ids: Vec<i64> = list.json().as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
            let count = app.get(&format!("/ws/types/pedidos/items/count?{query}")).key(&key).ws("acme").send().await;
            (ids, count.json())
        }
    };
    let repeated = rows("data.estado_in=novo&data.estado_in=pago").await;
    assert_eq!(repeated, (vec![1, 2, 4, 5], json!(4)));
    assert_eq!(rows("data.estado_in%5B0%5D=novo&data.estado_in%5B1%5D=pago").await, repeated);
    assert_eq!(rows("data.estado_in[]=novo&data.estado_in[]=pago").await, repeated);
    assert_eq!(rows("data.estado_nin[]=novo&data.estado_nin[]=pago").await, (vec![3], json!(1)));
    // Outside the workspace routes too (one list engine).
    let alpha = app.post("/workspaces").key(&ana.key).json(&json!({ "name": "Beta" })).send().await;
    assert_eq!(alpha.status, 201);
    let listed =
        app.get("/workspaces?reference_in[]=acme&reference_in[]=beta&_sort=reference:asc").key(&ana.key).send().await;
    let references: Vec<Value> = listed.json().as_array().unwrap().iter().map(|w| w["reference"].clone()).collect();
    assert_eq!(references, [json!("acme"), json!("beta")]);
    // Brackets on an operator that takes one value are named.
    app.get("/ws/types/pedidos/items?data.estado[]=novo")
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request",
                "message": "Invalid query parameter data.estado[]: only the _in and _nin operators take a list of values",
                "details": [{ "path": "data.estado[]", "message": "only the _in and _nin operators take a list of values" }] }),
        );
}
