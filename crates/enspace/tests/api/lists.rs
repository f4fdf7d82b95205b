//! The list language, through a real list route (`/workspaces`), and its `/count` twin.

use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

async fn setup() -> (TestApp, TestUser) {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    for name in ["Delta", "alpha", "Charlie", "Bravo 50%", "bravo"] {
        app.workspace(&ana, name).await;
    }
    (app, ana)
}

async fn references(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let response = app.get(&format!("/workspaces?{query}")).key(key).send().await;
    assert_eq!(response.status, 200, "{query}: {}", response.text());
    response.json().as_array().unwrap().iter().map(|w| w["reference"].as_str().unwrap().to_string()).collect()
}

async fn count(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app.get(&format!("/workspaces/count?{query}")).key(key).send().await;
    assert_eq!(response.status, 200, "{query}: {}", response.text());
    response.json()
}

#[tokio::test]
async fn paging_sorting_and_search() {
    let (app, ana) = setup().await;
    let k = &ana.key;
    assert_eq!(references(&app, k, "").await, ["delta", "alpha", "charlie", "bravo-50", "bravo"]);
    assert_eq!(references(&app, k, "_limit=2").await, ["delta", "alpha"]);
    assert_eq!(references(&app, k, "_limit=2&_start=2").await, ["charlie", "bravo-50"]);
    assert_eq!(references(&app, k, "_limit=0").await, Vec::<String>::new());
    assert_eq!(references(&app, k, "_sort=reference:desc").await, ["delta", "charlie", "bravo-50", "bravo", "alpha"]);
    assert_eq!(references(&app, k, "_sort=id:desc&_limit=1").await, ["bravo"]);
    assert_eq!(references(&app, k, "_q=BRAVO").await, ["bravo-50", "bravo"]);
    assert_eq!(count(&app, k, "_q=bravo&_limit=1").await, json!(2));
    assert_eq!(count(&app, k, "").await, json!(5));
}

#[tokio::test]
async fn operators() {
    let (app, ana) = setup().await;
    let k = &ana.key;
    assert_eq!(references(&app, k, "name_contains=RAV").await, ["bravo-50", "bravo"]);
    assert_eq!(references(&app, k, "name_containss=Bra").await, ["bravo-50"]);
    assert_eq!(references(&app, k, "name_ncontains=rav").await, ["delta", "alpha", "charlie"]);
    // LIKE wildcards in the value are literal.
    assert_eq!(references(&app, k, "name_contains=50%25").await, ["bravo-50"]);
    assert_eq!(references(&app, k, "name_contains=_").await, Vec::<String>::new());
    assert_eq!(references(&app, k, "reference=alpha").await, ["alpha"]);
    assert_eq!(references(&app, k, "reference_eq=alpha").await, ["alpha"]);
    assert_eq!(references(&app, k, "reference_ne=alpha").await, ["delta", "charlie", "bravo-50", "bravo"]);
    assert_eq!(references(&app, k, "reference_in=alpha&reference_in=delta").await, ["delta", "alpha"]);
    assert_eq!(references(&app, k, "reference_nin=alpha&reference_nin=delta").await, ["charlie", "bravo-50", "bravo"]);
    assert_eq!(references(&app, k, "reference_lt=bravo-50").await, ["alpha", "bravo"]);
    assert_eq!(references(&app, k, "id_gte=4").await, ["bravo-50", "bravo"]);
    assert_eq!(references(&app, k, "id_gt=4&id_lte=5").await, ["bravo"]);
    assert_eq!(references(&app, k, "id_lt=2").await, ["delta"]);
    assert_eq!(references(&app, k, "created_at_gte=2000-01-01").await.len(), 5);
    assert_eq!(references(&app, k, "created_at_lt=2000-01-01T00:00:00Z").await.len(), 0);
    assert_eq!(references(&app, k, "description_null=true").await.len(), 0);
    assert_eq!(references(&app, k, "description_null=false").await.len(), 5);
    assert_eq!(references(&app, k, "language=pt&status=active").await.len(), 5);
    assert_eq!(count(&app, k, "reference_in=alpha&reference_in=delta").await, json!(2));
}

#[tokio::test]
async fn pages_never_repeat_or_skip_rows() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    for i in 0..7 {
        // Names collide in pairs, so `_sort=name` alone would be ambiguous.
        app.workspace(&ana, &format!("Same {}", i / 2)).await;
    }
    let all = references(&app, &ana.key, "_sort=name:desc").await;
    let mut paged = Vec::new();
    for start in (0..7).step_by(2) {
        paged.extend(references(&app, &ana.key, &format!("_sort=name:desc&_limit=2&_start={start}")).await);
    }
    assert_eq!(paged, all);
    assert_eq!(all.len(), 7);
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let (app, ana) = setup().await;
    let cases = [
        ("_limit=1001", "_limit", "must be at most 1000, got 1001"),
        ("_limit=-1", "_limit", "must be between 0 and 1000, got -1"),
        ("_start=x", "_start", "expected a whole number of rows to skip, got \"x\""),
        ("_sort=nmae:asc", "_sort", "cannot sort by unknown field \"nmae\""),
        ("_sort=name:sideways", "_sort", "direction must be asc or desc, got \"sideways\""),
        ("nmae=x", "nmae", "unknown field or operator"),
        ("name_like=x", "name_like", "unknown field or operator"),
        ("id_contains=1", "id_contains", "operator \"contains\" does not apply to a whole number"),
        ("id=one", "id", "expected a whole number, got \"one\""),
        ("created_at_gte=yesterday", "created_at_gte", "expected an ISO 8601 date or date-time, got \"yesterday\""),
        ("language=fr", "language", "expected one of pt, en, es, got \"fr\""),
        ("name_null=maybe", "name_null", "expected true or false, got \"maybe\""),
        ("_page=2", "_page", "unknown list parameter"),
    ];
    for (query, param, message) in cases {
        for route in ["/workspaces", "/workspaces/count"] {
            app.get(&format!("{route}?{query}")).key(&ana.key).send().await.assert(
                400,
                json!({ "statusCode": 400, "error": "Bad Request",
                    "message": format!("Invalid query parameter {param}: {message}"),
                    "details": [{ "path": param, "message": message }] }),
            );
        }
    }
}

#[tokio::test]
async fn the_maximum_page_size_is_configurable() {
    let app = TestApp::builder().config(|c| c.paging.max_limit = 3).build().await;
    let ana = app.user("ana@example.com").await;
    assert_eq!(app.get("/workspaces?_limit=3").key(&ana.key).send().await.status, 200);
    let response = app.get("/workspaces?_limit=4").key(&ana.key).send().await;
    assert_eq!(response.json()["details"][0]["message"], "must be at most 3, got 4");
}
