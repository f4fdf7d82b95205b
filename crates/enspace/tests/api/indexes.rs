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
