use enspace_testkit::TestApp;
use serde_json::json;

use crate::time;

#[tokio::test]
async fn get_and_update_the_caller() {
    let app = TestApp::new().await;
    let ana = app.user("Ana@Example.com").await;
    let response = app.get("/user").key(&ana.key).send().await;
    let created_at = time(&response.json()["created_at"]);
    response.assert(
        200,
        json!({ "id": ana.id, "created_at": created_at, "email": "Ana@Example.com",
            "meta": { "fname": "Test", "lname": "User" }, "language": "pt" }),
    );

    let response = app
        .put("/user")
        .key(&ana.key)
        .json(&json!({ "meta": { "fname": "Ana", "lname": null }, "language": "en", "email": "ignored@x.com" }))
        .send()
        .await;
    response.assert(
        200,
        json!({ "id": ana.id, "created_at": created_at, "email": "Ana@Example.com", "meta": { "fname": "Ana" }, "language": "en" }),
    );
    // Absent keys stay as they are.
    let response = app.put("/user").key(&ana.key).json(&json!({})).send().await;
    assert_eq!(response.json()["meta"], json!({ "fname": "Ana" }));
    assert_eq!(response.json()["language"], "en");
}

#[tokio::test]
async fn update_rejects_bad_values_all_at_once() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.put("/user")
        .key(&ana.key)
        .json(&json!({ "meta": { "fname": "x".repeat(101) }, "language": "fr" }))
        .send()
        .await
        .assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
                { "path": "meta.fname", "message": "must be at most 100 characters" },
                { "path": "language", "message": "must be one of pt, en, es, got \"fr\"" }
            ]}),
        );
    let response = app.put("/user").key(&ana.key).json(&json!({ "meta": { "avatar": "x" } })).send().await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["details"][0]["path"], "meta.avatar");
}
