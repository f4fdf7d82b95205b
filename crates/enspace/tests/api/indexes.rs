//! Field indexes: built for `indexed` and `unique` fields, used by list filters and sorts,
//! dropped with the field or the flag, and resumed when a build was interrupted.

use enspace_domain::list::{self, Paging};
use enspace_store::{items::ItemColumns, Backend};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

async fn post(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let response = app.post(path).key(&user.key).ws("acme").json(&body).send().await;
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()
}

/// Runs the queued builds (as the server's worker would) and answers the field's index status.
async fn ready(app: &TestApp, user: &TestUser, field_id: i64) -> Value {
    app.run_jobs().await;
    for _ in 0..500 {
        let field =
            app.get(&format!("/ws/types/pedidos/fields/{field_id}")).key(&user.key).ws("acme").send().await.json();
        if field["index_status"] != "building" {
            return field["index_status"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the index of field {field_id} never finished building");
}

async fn index_names(app: &TestApp) -> Vec<String> {
    let sql = match app.db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'items\\_%' ESCAPE '\\' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname LIKE 'items\\_%' ESCAPE '\\' AND i.indisvalid ORDER BY c.relname"
        }
    };
    let rows = app.db.fetch_all(sql, &[]).await.unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.text("name").unwrap()).collect();
    // Only the per-field indexes (items_f<id>, items_u<id>), not the table's own.
    names.into_iter().filter(|n| n[6..].starts_with(['f', 'u']) && n[7..].parse::<i64>().is_ok()).collect()
}

async fn plan(app: &TestApp, query: &str) -> String {
    let fields = enspace_store::fields::of_type(&app.db, 1, 1).await.unwrap();
    let columns = ItemColumns::new(app.db.backend(), &fields);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let query = list::parse(&pairs, &columns, Paging::default(), &[]).unwrap();
    enspace_store::items::explain_list(&app.db, 1, 1, &columns, &query).await.unwrap()
}

/// Ana's Acme with type `pedidos` and its indexed number field `valor` (answered as created).
async fn pedidos_with_indexed_valor() -> (TestApp, TestUser, Value) {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    post(&app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    let valor = post(
        &app,
        &ana,
        "/ws/types/pedidos/fields",
        json!({ "name": "Valor", "slug": "valor", "type": "number", "indexed": true }),
    )
    .await;
    (app, ana, valor)
}

#[tokio::test]
async fn indexed_fields_get_indexes_that_serve_lists() {
    let (app, ana, valor) = pedidos_with_indexed_valor().await;
    let cliente = post(
        &app,
        &ana,
        "/ws/types/pedidos/fields",
        json!({ "name": "Cliente", "slug": "cliente", "type": "text", "indexed": true }),
    )
    .await;
    let codigo = post(
        &app,
        &ana,
        "/ws/types/pedidos/fields",
        json!({ "name": "Código", "slug": "codigo", "type": "text", "unique": true }),
    )
    .await;
    post(&app, &ana, "/ws/types/pedidos/fields", json!({ "name": "Nota", "slug": "nota", "type": "text" })).await;
    let (valor, cliente, codigo) =
        (valor["id"].as_i64().unwrap(), cliente["id"].as_i64().unwrap(), codigo["id"].as_i64().unwrap());
    assert_eq!(index_status(&app, &ana, codigo).await, "ready");
    assert_eq!(ready(&app, &ana, valor).await, "ready");
    assert_eq!(ready(&app, &ana, cliente).await, "ready");
    assert_eq!(
        index_names(&app).await,
        [format!("items_f{valor}"), format!("items_f{cliente}"), format!("items_u{codigo}")]
    );
    for i in 0..20 {
        post(
            &app,
            &ana,
            "/ws/types/pedidos/items",
            json!({ "data": { "valor": i, "cliente": format!("c{}", i % 3), "codigo": format!("P{i}"), "nota": "n" } }),
        )
        .await;
    }
    // SQLite uses a usable index without statistics; PostgreSQL's planner rightly prefers a scan
    // of 20 rows, so there the benchmark's plans at a million items are the evidence.
    if app.db.backend() == Backend::Sqlite {
        let by_value = plan(&app, "data.valor_gte=10&_sort=data.valor&_limit=5").await;
        assert!(by_value.contains(&format!("items_f{valor}")), "{by_value}");
        let by_client = plan(&app, "data.cliente=c1&_sort=data.cliente:desc").await;
        assert!(by_client.contains(&format!("items_f{cliente}")), "{by_client}");
        let by_code = plan(&app, "data.codigo=P3").await;
        assert!(by_code.contains(&format!("items_u{codigo}")), "{by_code}");
    }
    let listed = app
        .get("/ws/types/pedidos/items?data.valor_gte=17&_sort=data.valor:desc")
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .json();
    let values: Vec<&Value> = listed.as_array().unwrap().iter().map(|i| &i["data"]["valor"]).collect();
    assert_eq!(values, [&json!(19), &json!(18), &json!(17)]);

    // Turning the flag off drops the index; deleting a field drops its index.
    let off = app
        .put(&format!("/ws/types/pedidos/fields/{cliente}"))
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "indexed": false }))
        .send()
        .await;
    assert_eq!(off.status, 200, "{}", off.text());
    assert_eq!(off.json().get("index_status"), None);
    let deleted = app.delete(&format!("/ws/types/pedidos/fields/{codigo}")).key(&ana.key).ws("acme").send().await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(index_names(&app).await, [format!("items_f{valor}")]);
}

async fn index_status(app: &TestApp, user: &TestUser, id: i64) -> Value {
    app.get(&format!("/ws/types/pedidos/fields/{id}")).key(&user.key).ws("acme").send().await.json()["index_status"]
        .clone()
}

/// A build whose process stopped after claiming it is taken over once the claim's lease
/// expires; a field left building without a job (a database from before builds were jobs) gets
/// one when a process starts, once however many start.
#[tokio::test]
async fn interrupted_builds_are_taken_over() {
    let (app, ana, valor) = pedidos_with_indexed_valor().await;
    let valor = valor["id"].as_i64().unwrap();
    let now = enspace_domain::time::now_ms();
    let claimed = enspace_store::jobs::claim(&app.db, "a-stopped-process", now, 60_000, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(), ["index.build"]);
    assert_eq!(app.run_jobs().await, 0, "the claim holds while its lease runs");
    assert_eq!(index_status(&app, &ana, valor).await, "building");
    assert_eq!(app.run_jobs_at(now + 60_001).await, 1);
    assert_eq!(index_status(&app, &ana, valor).await, "ready");
    assert_eq!(index_names(&app).await, [format!("items_f{valor}")]);

    enspace_store::indexes::drop(&app.db, valor, false).await.unwrap();
    enspace_store::fields::set_index_status(&app.db, valor, "building").await.unwrap();
    app.db.execute("DELETE FROM jobs", &[]).await.unwrap();
    assert_eq!(index_names(&app).await, Vec::<String>::new());
    assert_eq!(enspace_engine::indexes::resume(&app.db).await.unwrap(), 1);
    assert_eq!(enspace_engine::indexes::resume(&app.db).await.unwrap(), 1, "a second process starting");
    assert_eq!(app.run_jobs().await, 1, "one build");
    assert_eq!(index_status(&app, &ana, valor).await, "ready");
    assert_eq!(index_names(&app).await, [format!("items_f{valor}")]);
    assert_eq!(enspace_engine::indexes::resume(&app.db).await.unwrap(), 0, "nothing is left building");
}

async fn put(app: &TestApp, user: &TestUser, path: &str, body: Value) {
    let response = app.put(path).key(&user.key).ws("acme").json(&body).send().await;
    assert_eq!(response.status, 200, "PUT {path}: {}", response.text());
}

async fn count(app: &TestApp, user: &TestUser, query: &str) -> i64 {
    let answer = app.get(&format!("/ws/types/pedidos/items/count?{query}")).key(&user.key).ws("acme").send().await;
    assert_eq!(answer.status, 200, "{query}: {}", answer.text());
    answer.json().as_i64().unwrap()
}

/// What `counted_fields` and `value_counts` hold for the field: (its key, {value: count}).
async fn kept_counts(app: &TestApp, field_id: i64) -> (Vec<String>, Vec<(String, i64)>) {
    let keys = app.db.fetch_all("SELECT ref_id FROM counted_fields WHERE field_id = $1", &[field_id.into()]).await;
    let counts = app
        .db
        .fetch_all(
            "SELECT value, CAST(SUM(n) AS BIGINT) AS n FROM value_counts WHERE field_id = $1 GROUP BY value ORDER BY value",
            &[field_id.into()],
        )
        .await;
    (
        keys.unwrap().iter().map(|r| r.text("ref_id").unwrap()).collect(),
        counts.unwrap().iter().map(|r| (r.text("value").unwrap(), r.i64("n").unwrap())).collect(),
    )
}

/// Counts filtered on an indexed option answer what the items hold through creates (alone and
/// in bulk), changes and deletes. On PostgreSQL they are read from counts kept by a trigger
/// (filled when the index is built, from the items already there); SQLite counts from the
/// index. A count the kept numbers cannot answer (two conditions) still counts the items.
#[tokio::test]
async fn counts_of_an_indexed_option_follow_every_write() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    post(&app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    let estado = post(
        &app,
        &ana,
        "/ws/types/pedidos/fields",
        json!({ "name": "Estado", "slug": "estado", "type": "select", "options": ["a", "b", "c"] }),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    post(&app, &ana, "/ws/types/pedidos/fields", json!({ "name": "Nota", "slug": "nota", "type": "text" })).await;
    let item = |estado: &str| json!({ "data": { "estado": estado, "nota": "x" } });
    let mut refs = Vec::new();
    for value in ["a", "a", "b"] {
        refs.push(
            post(&app, &ana, "/ws/types/pedidos/items", item(value)).await["reference"].as_str().unwrap().to_string(),
        );
    }
    // Indexed after items exist: the build's fill counts them.
    put(&app, &ana, &format!("/ws/types/pedidos/fields/{estado}"), json!({ "indexed": true })).await;
    assert_eq!(ready(&app, &ana, estado).await, "ready");
    let postgres = app.db.backend() == Backend::Postgres;
    if postgres {
        assert_eq!(kept_counts(&app, estado).await, (vec!["estado".into()], vec![("a".into(), 2), ("b".into(), 1)]));
    }
    for value in ["a", "c"] {
        post(&app, &ana, "/ws/types/pedidos/items", item(value)).await;
    }
    post(&app, &ana, "/ws/types/pedidos/items", json!({ "data": { "nota": "no estado" } })).await;
    let bulk = app
        .post("/ws/types/pedidos/items/bulk")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "create": [item("c"), item("b")], "update": [{ "reference": refs[0], "data": { "estado": "b" } }] }))
        .send()
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.text());
    put(&app, &ana, &format!("/ws/types/pedidos/items/{}", refs[1]), json!({ "data": { "estado": "c" } })).await;
    // A change that leaves the counted value as it was.
    put(&app, &ana, &format!("/ws/types/pedidos/items/{}", refs[2]), json!({ "data": { "nota": "y" } })).await;
    let deleted = app.delete(&format!("/ws/types/pedidos/items/{}", refs[2])).key(&ana.key).ws("acme").send().await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    // a: the first two then one more, less the two changed; b: one, less the deleted, plus the
    // bulk's create and change; c: one, the bulk's, and the change.
    let expected = [("a", 1), ("b", 2), ("c", 3)];
    for (value, n) in expected {
        assert_eq!(count(&app, &ana, &format!("data.estado={value}")).await, n, "{value}");
    }
    assert_eq!(count(&app, &ana, "data.estado_in=a&data.estado_in=c").await, 4);
    assert_eq!(count(&app, &ana, "data.estado=c&data.nota=x").await, 3);
    if !postgres {
        return;
    }
    let kept: Vec<(String, i64)> = expected.iter().map(|(v, n)| (v.to_string(), *n)).collect();
    assert_eq!(kept_counts(&app, estado).await, (vec!["estado".into()], kept));
    // The answer is the kept count: moved by hand, it moves; the two-condition count does not.
    app.db
        .execute(
            "INSERT INTO value_counts SELECT workspace_id, type_id, field_id, value, 999, 100 FROM value_counts \
             WHERE field_id = $1 AND value = 'c' LIMIT 1",
            &[estado.into()],
        )
        .await
        .unwrap();
    assert_eq!(count(&app, &ana, "data.estado=c").await, 103);
    assert_eq!(count(&app, &ana, "data.estado=c&data.nota=x").await, 3);
    // A database from before counts: the next start queues their fill once.
    app.db.execute("DELETE FROM counted_fields", &[]).await.unwrap();
    assert_eq!(count(&app, &ana, "data.estado=c").await, 3, "not counted: the items are");
    enspace_engine::indexes::resume(&app.db).await.unwrap();
    enspace_engine::indexes::resume(&app.db).await.unwrap();
    assert_eq!(app.run_jobs().await, 1, "one fill");
    assert_eq!(count(&app, &ana, "data.estado=c").await, 3);
    // Not indexed any more: nothing is kept, and counts read the items.
    put(&app, &ana, &format!("/ws/types/pedidos/fields/{estado}"), json!({ "indexed": false })).await;
    assert_eq!(kept_counts(&app, estado).await, (vec![], vec![]));
    assert_eq!(count(&app, &ana, "data.estado=b").await, 2);
}
