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

/// Puts `n` items (and an event each) into a type straight through SQL: the API would
/// take minutes to load what makes a delete large.
async fn load_items(app: &TestApp, workspace_id: i64, type_id: i64, n: i64) {
    let prefix = format!("BIG{workspace_id}T{type_id}N");
    let sql = match app.db.backend() {
        enspace_store::Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3) \
             INSERT INTO items (workspace_id, type_id, reference, data, created_at, updated_at) \
             SELECT $1, $2, $4 || i, json_object('nome', 'item ' || i, 'nota', 'x'), 0, 0 FROM n"
        }
        enspace_store::Backend::Postgres => {
            "INSERT INTO items (workspace_id, type_id, reference, data, created_at, updated_at) \
             SELECT $1, $2, $4 || i, jsonb_build_object('nome', 'item ' || i, 'nota', 'x'), 0, 0 \
             FROM generate_series(1, $3::bigint) AS i"
        }
    };
    app.db.execute(sql, &[workspace_id.into(), type_id.into(), n.into(), prefix.into()]).await.unwrap();
    app.db
        .execute(
            "INSERT INTO events (workspace_id, kind, subject_type, subject_id, type_id, item_id, changes, source, created_at) \
             SELECT workspace_id, 'item.created', 'item', id, type_id, id, '{}', 'api', 0 FROM items WHERE type_id = $1",
            &[type_id.into()],
        )
        .await
        .unwrap();
}

/// Creates items in `other` in a loop while `work` runs; answers how long `work` took, how many
/// creates finished during it, and the longest of them.
async fn writes_during<F: std::future::Future<Output = ()>>(
    app: &TestApp,
    user: &TestUser,
    work: F,
) -> (std::time::Duration, usize, std::time::Duration) {
    let done = std::sync::atomic::AtomicBool::new(false);
    let writer = async {
        let mut latencies = Vec::new();
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let started = std::time::Instant::now();
            let created = app
                .post("/ws/types/notas/items")
                .key(&user.key)
                .ws("other")
                .json(&json!({ "data": { "texto": "t" } }))
                .send()
                .await;
            assert_eq!(created.status, 201, "{}", created.text());
            latencies.push(started.elapsed());
        }
        latencies
    };
    let timed = async {
        let started = std::time::Instant::now();
        work.await;
        let took = started.elapsed();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        took
    };
    let (latencies, took) = tokio::join!(writer, timed);
    // The write in flight when the work ended may have started before it: drop it.
    let during = &latencies[..latencies.len().saturating_sub(1)];
    (took, during.len(), during.iter().max().copied().unwrap_or_default())
}

/// A large workspace, type and field are deleted while another workspace keeps writing: the
/// deletes answer after hiding their subject, and their rows go in batches between which the
/// other workspace's writes get through (issue 13: no request holds SQLite's writer for more than
/// about 100 ms). Before, one transaction held the writer for the whole delete, so a write issued
/// meanwhile waited all of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_deletes_leave_other_workspaces_writing() {
    const ITEMS: i64 = 30_000;
    let (app, ana) = setup().await;
    let other = app.workspace(&ana, "Other").await;
    let big = app.workspace(&ana, "Big").await;
    assert_eq!(other["reference"], "other");
    let notas = app.post("/ws/types").key(&ana.key).ws("other").json(&json!({ "name": "Notas" })).send().await;
    assert_eq!(notas.status, 201);
    let texto = json!({ "name": "Texto", "slug": "texto", "type": "text" });
    assert_eq!(app.post("/ws/types/notas/fields").key(&ana.key).ws("other").json(&texto).send().await.status, 201);
    let big_id = big["id"].as_i64().unwrap();
    let mut types = Vec::new();
    for name in ["Pedidos", "Clientes"] {
        let t = app.post("/ws/types").key(&ana.key).ws("big").json(&json!({ "name": name })).send().await.json();
        for (field, slug) in [("Nome", "nome"), ("Nota", "nota")] {
            let body = json!({ "name": field, "slug": slug, "type": "text" });
            let path = format!("/ws/types/{}/fields", t["slug"].as_str().unwrap());
            assert_eq!(app.post(&path).key(&ana.key).ws("big").json(&body).send().await.status, 201);
        }
        load_items(&app, big_id, t["id"].as_i64().unwrap(), ITEMS).await;
        types.push(t);
    }
    let purge = || async {
        assert_eq!(app.run_jobs().await, 1);
    };
    let report = |what: &str, (took, writes, longest): (std::time::Duration, usize, std::time::Duration)| {
        println!(
            "{what}: purge took {took:?}; {writes} writes in another workspace meanwhile, the longest {longest:?}"
        );
        assert!(writes >= 3, "{what}: only {writes} writes got through in {took:?}");
        assert!(longest * 2 < took, "{what}: a write waited {longest:?} of the purge's {took:?}");
    };

    // A field: gone from the type at once, its 30,000 values rewritten in batches.
    let fields = app.get("/ws/types/pedidos/fields").key(&ana.key).ws("big").send().await.json();
    let nota = fields.as_array().unwrap().iter().find(|f| f["refId"] == "nota").unwrap()["id"].as_i64().unwrap();
    let answered = app.delete(&format!("/ws/types/pedidos/fields/{nota}")).key(&ana.key).ws("big").send().await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    report("field", writes_during(&app, &ana, purge()).await);
    let with_nota = match app.db.backend() {
        enspace_store::Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM items WHERE json_type(data, '$.nota') IS NOT NULL AND type_id = $1"
        }
        enspace_store::Backend::Postgres => "SELECT COUNT(*) AS n FROM items WHERE data ? 'nota' AND type_id = $1",
    };
    let pedidos_id = types[0]["id"].as_i64().unwrap();
    assert_eq!(app.db.fetch_one(with_nota, &[pedidos_id.into()]).await.unwrap().i64("n").unwrap(), 0);

    // A type: hidden at once, its items and history removed in batches.
    let answered = app.delete("/ws/types/pedidos").key(&ana.key).ws("big").send().await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    report("type", writes_during(&app, &ana, purge()).await);
    let left =
        app.db.fetch_one("SELECT COUNT(*) AS n FROM items WHERE type_id = $1", &[pedidos_id.into()]).await.unwrap();
    assert_eq!(left.i64("n").unwrap(), 0);

    // The workspace, with its other type's 30,000 items.
    let answered = app.delete("/ws?confirm=big").key(&ana.key).ws("big").send().await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    report("workspace", writes_during(&app, &ana, purge()).await);
    for table in ["items", "events", "types", "fields", "workspaces"] {
        let column = if table == "workspaces" { "id" } else { "workspace_id" };
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1");
        assert_eq!(app.db.fetch_one(&sql, &[big_id.into()]).await.unwrap().i64("n").unwrap(), 0, "{table}");
    }
    // The other workspace kept every write.
    let count = app.get("/ws/types/notas/items/count").key(&ana.key).ws("other").send().await.json();
    assert!(count.as_i64().unwrap() >= 9, "{count}");
}
