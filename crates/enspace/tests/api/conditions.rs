//! Conditionals mean what list filters mean: generated items of a type with every filterable
//! kind of field, and generated filters (every operator each kind takes, present and absent
//! values, several at once), each asked of the list route (the SQL compiler) and of
//! `domain::conditions` over the same items in memory. Both databases.

use enspace_domain::{
    conditions::{holds, parse, ItemFacts},
    item_columns::TypeColumns,
    time::parse_instant,
};
use enspace_testkit::{TestApp, TestUser};
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use serde_json::{json, Map, Value};

const TEXTS: [&str; 10] = ["ab", "Ab", "aB c", "ça", "ÇA", "São", "a%b", "a_b", "zz", "b"];
const NUMBERS: [f64; 6] = [-5.0, 0.0, 1.5, 2.0, 10.0, 99.5];
const INSTANTS: [&str; 4] =
    ["2026-01-01T10:00:00.000Z", "2026-03-12T00:00:00.000Z", "2026-03-12T15:30:00.000Z", "2027-07-04T08:00:00.000Z"];
const DAYS: [&str; 4] = ["2026-01-01", "2026-03-12", "2026-03-13", "2027-07-04"];
const CHOICES: [&str; 3] = ["a", "b", "c"];
const TAGS: [&str; 3] = ["x", "y", "z"];

/// A random value for each field, or none (about a quarter of the time).
fn random_data(rng: &mut StdRng) -> Map<String, Value> {
    let mut data = Map::new();
    let mut maybe = |key: &str, value: Value, rng: &mut StdRng| {
        if rng.gen_bool(0.75) {
            data.insert(key.into(), value);
        }
    };
    let text = json!(TEXTS.choose(rng).unwrap());
    maybe("nome", text, rng);
    let number = json!(NUMBERS.choose(rng).unwrap());
    maybe("valor", number, rng);
    let (amount, currency) = (NUMBERS.choose(rng).unwrap().abs(), *["BRL", "USD"].choose(rng).unwrap());
    let price = json!({ "value": amount, "currency": currency });
    maybe("preco", price, rng);
    let flag = json!(rng.gen_bool(0.5));
    maybe("ok", flag, rng);
    let instant = json!(INSTANTS.choose(rng).unwrap());
    maybe("quando", instant, rng);
    let day = json!(DAYS.choose(rng).unwrap());
    maybe("dia", day, rng);
    let choice = json!(CHOICES.choose(rng).unwrap());
    maybe("tipo", choice, rng);
    let tags: Vec<&str> = TAGS.iter().copied().filter(|_| rng.gen_bool(0.4)).collect();
    maybe("tags", json!(tags), rng);
    data
}

/// A filter key and its values (several for `_in`/`_nin`), as JSON.
fn random_filter(rng: &mut StdRng) -> (String, Vec<Value>) {
    let texts =
        || TEXTS.iter().chain(["A", "c", "%", "_", "ç", "Ç", "SÃO", "ão"].iter()).map(|t| json!(t)).collect::<Vec<_>>();
    let (field, ops, pool): (&str, &[&str], Vec<Value>) = match rng.gen_range(0..12) {
        0 => (
            "data.nome",
            &["", "ne", "lt", "lte", "gt", "gte", "in", "nin", "contains", "ncontains", "containss", "null"],
            texts(),
        ),
        1 => (
            "data.valor",
            &["", "ne", "lt", "lte", "gt", "gte", "in", "nin", "null"],
            NUMBERS.iter().chain([3.0, -1.0].iter()).map(|n| json!(n)).collect(),
        ),
        2 => ("data.preco", &["", "ne", "lt", "gte", "in", "null"], NUMBERS.iter().map(|n| json!(n.abs())).collect()),
        3 => ("data.preco.currency", &["", "ne", "in", "null"], vec![json!("BRL"), json!("USD"), json!("EUR")]),
        4 => ("data.ok", &["", "ne", "null"], vec![json!(true), json!(false)]),
        5 => (
            "data.quando",
            &["", "ne", "lt", "lte", "gt", "gte", "in", "nin", "null"],
            INSTANTS.iter().chain(["2026-03-12"].iter()).map(|t| json!(t)).collect(),
        ),
        6 => (
            "data.dia",
            &["", "ne", "lt", "lte", "gt", "gte", "in", "nin", "null"],
            DAYS.iter().chain(["2026-03-12T10:00:00Z"].iter()).map(|t| json!(t)).collect(),
        ),
        7 => (
            "data.tipo",
            &["", "ne", "in", "nin", "contains", "null"],
            CHOICES.iter().chain(["d"].iter()).map(|t| json!(t)).collect(),
        ),
        8 => {
            ("data.tags", &["", "ne", "in", "nin", "null"], TAGS.iter().chain(["w"].iter()).map(|t| json!(t)).collect())
        }
        9 => ("status", &["", "ne", "in", "nin"], vec![json!("active"), json!("inactive")]),
        10 => ("id", &["", "ne", "lt", "gte", "in", "nin"], (1..45).map(|n| json!(n)).collect()),
        _ => ("created_at", &["lt", "gte", "null"], vec![json!("2000-01-01T00:00:00Z"), json!("2999-01-01T00:00:00Z")]),
    };
    let op = *ops.choose(rng).unwrap();
    let key = if op.is_empty() { field.to_string() } else { format!("{field}_{op}") };
    let values = match op {
        "null" => vec![json!(rng.gen_bool(0.5))],
        "in" | "nin" => (0..rng.gen_range(1..4)).map(|_| pool.choose(rng).unwrap().clone()).collect(),
        _ => vec![pool.choose(rng).unwrap().clone()],
    };
    (key, values)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn facts<'a>(item: &'a Value) -> ItemFacts<'a> {
    let instant = |key: &str| parse_instant(item[key].as_str().unwrap()).unwrap();
    ItemFacts {
        id: item["id"].as_i64().unwrap(),
        reference: item["reference"].as_str().unwrap(),
        status: item["status"].as_str().unwrap(),
        is_draft: item["isDraft"].as_bool().unwrap(),
        form: None,
        request_email: None,
        user_id: item["user"].as_i64(),
        created_at: instant("created_at"),
        updated_at: instant("updated_at"),
        data: item["data"].as_object().unwrap(),
    }
}

async fn typed_items(app: &TestApp, ana: &TestUser, rng: &mut StdRng) -> Vec<Value> {
    let post = |path: &str, body: Value| app.post(path).key(&ana.key).ws("acme").json(&body).send();
    assert_eq!(post("/ws/types", json!({ "name": "Casos" })).await.status, 201);
    for field in [
        json!({ "name": "Nome", "slug": "nome", "type": "text" }),
        json!({ "name": "Valor", "slug": "valor", "type": "number" }),
        json!({ "name": "Preco", "slug": "preco", "type": "EnCurrency" }),
        json!({ "name": "Ok", "slug": "ok", "type": "boolean" }),
        json!({ "name": "Quando", "slug": "quando", "type": "date" }),
        json!({ "name": "Dia", "slug": "dia", "type": "date", "config": { "date_only": true } }),
        json!({ "name": "Tipo", "slug": "tipo", "type": "select", "options": { "choices": CHOICES } }),
        json!({ "name": "Tags", "slug": "tags", "type": "EnlChips" }),
    ] {
        let created = post("/ws/types/casos/fields", field).await;
        assert_eq!(created.status, 201, "{}", created.text());
    }
    for n in 0..40 {
        let created = post("/ws/types/casos/items", json!({ "data": random_data(rng) })).await;
        assert_eq!(created.status, 201, "{}", created.text());
        if n % 3 == 0 {
            let path = format!("/ws/types/casos/items/{}", created.json()["reference"].as_str().unwrap());
            let put = app.put(&path).key(&ana.key).ws("acme").json(&json!({ "status": "inactive" })).send().await;
            assert_eq!(put.status, 200, "{}", put.text());
        }
    }
    let all = app.get("/ws/types/casos/items?_limit=1000").key(&ana.key).ws("acme").send().await;
    all.json().as_array().unwrap().clone()
}

#[tokio::test]
async fn a_conditional_holds_for_exactly_the_items_its_filters_list() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let mut rng = StdRng::seed_from_u64(20261128);
    let items = typed_items(&app, &ana, &mut rng).await;
    assert_eq!(items.len(), 40);
    let record = enspace_store::types::get(&app.db, 1, "casos").await.unwrap().unwrap();
    let fields = enspace_store::fields::of_type(&app.db, 1, record.id).await.unwrap();
    let columns = TypeColumns::new(fields.iter().map(|f| &f.def));

    let mut matched_some = 0;
    for case in 0..300 {
        let filters: Vec<(String, Vec<Value>)> = (0..rng.gen_range(1..3)).map(|_| random_filter(&mut rng)).collect();
        let mut query = form_urlencoded::Serializer::new(String::from("_limit=1000"));
        let mut condition = Map::new();
        for (key, values) in &filters {
            for value in values {
                query.append_pair(key, &text(value));
            }
            let listed = key.ends_with("_in") || key.ends_with("_nin");
            condition.insert(key.clone(), if listed { json!(values) } else { values[0].clone() });
        }
        let condition = Value::Object(condition);
        // The same key twice (two random filters alike) is one JSON key: skip what JSON cannot say.
        if condition.as_object().unwrap().len() != filters.len() {
            continue;
        }
        let listed =
            app.get(&format!("/ws/types/casos/items?{}", query.finish())).key(&ana.key).ws("acme").send().await;
        assert_eq!(listed.status, 200, "case {case} {condition}: {}", listed.text());
        let mut by_sql: Vec<String> =
            listed.json().as_array().unwrap().iter().map(|i| i["reference"].as_str().unwrap().to_string()).collect();
        let parsed = parse(&condition, &columns).unwrap_or_else(|e| panic!("case {case} {condition}: {e:?}"));
        let mut in_memory: Vec<String> = items
            .iter()
            .filter(|item| holds(&parsed, &facts(item), &columns))
            .map(|i| i["reference"].as_str().unwrap().to_string())
            .collect();
        by_sql.sort();
        in_memory.sort();
        assert_eq!(in_memory, by_sql, "case {case}: {condition}");
        if !by_sql.is_empty() && by_sql.len() < items.len() {
            matched_some += 1;
        }
    }
    // The generator makes conditions that split the items, not only all-or-nothing ones.
    assert!(matched_some > 100, "only {matched_some} conditions selected part of the items");
}
