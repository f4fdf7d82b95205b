//! Rate limits: per key, and per address without credentials or with refused ones.

use enspace_api::rate_limit::RateSettings;
use enspace_testkit::{TestApp, TestResponse};
use serde_json::json;

async fn small() -> TestApp {
    // One request a minute after a burst of three: no refill can happen during a test.
    let rate = RateSettings { replenish_every: std::time::Duration::from_secs(60), burst: 3 };
    TestApp::builder().config(|c| c.rate = rate).build().await
}

fn limits(response: &TestResponse) -> (Option<&str>, Option<&str>, Option<&str>) {
    (
        response.header("x-ratelimit-limit"),
        response.header("x-ratelimit-remaining"),
        response.header("x-ratelimit-reset"),
    )
}

#[tokio::test]
async fn each_key_has_a_bucket_and_every_response_says_where_it_stands() {
    let app = small().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.get("/user").key(&ana.key).send().await;
        assert_eq!(response.status, 200);
        remaining.push(response.header("x-ratelimit-remaining").unwrap().to_string());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = app.get("/user").key(&ana.key).send().await;
    refused.assert_error(429, "Too many requests: retry after 60 seconds");
    assert_eq!(refused.header("retry-after"), Some("60"));
    assert_eq!(limits(&refused), (Some("3"), Some("0"), Some("180")));
    // Another key is unaffected.
    let other = app.get("/user").key(&bia.key).send().await;
    assert_eq!((other.status, limits(&other)), (200, (Some("3"), Some("2"), Some("60"))));
}

#[tokio::test]
async fn requests_without_credentials_are_limited_by_address() {
    let app = small().await;
    for _ in 0..3 {
        assert_eq!(app.get("/health").send().await.status, 200);
    }
    let refused = app.get("/health").send().await;
    refused.assert_error(429, "Too many requests: retry after 60 seconds");
    assert_eq!(refused.header("retry-after"), Some("60"));
    // A made-up key on a route that needs none buys no way around the limit.
    app.get("/health")
        .key("en.abcdefghijabcdefghijabcdefghij1234")
        .send()
        .await
        .assert_error(429, "Too many requests: retry after 60 seconds");
    app.get("/nowhere")
        .key("en.abcdefghijabcdefghijabcdefghij1234")
        .send()
        .await
        .assert_error(429, "Too many requests: retry after 60 seconds");
}

#[tokio::test]
async fn refused_keys_count_against_the_address() {
    let app = small().await;
    let ana = app.user("ana@example.com").await;
    let guess = "en.abcdefghijabcdefghijabcdefghij1234";
    for _ in 0..3 {
        app.get("/user").key(guess).send().await.assert_error(401, "Invalid or missing API key");
    }
    app.get("/user").key(guess).send().await.assert_error(429, "Too many requests: retry after 60 seconds");
    // A valid key is limited by its own bucket, not the address's.
    assert_eq!(app.get("/user").key(&ana.key).send().await.status, 200);
    assert_eq!(app.get("/user").key(&ana.key).send().await.json()["email"], json!("ana@example.com"));
}

#[tokio::test]
async fn a_console_session_spends_its_own_bucket_and_gets_the_console_429_page() {
    let app = small().await;
    let ana = app.user_with_password("ana@example.com", "correct horse battery").await;
    app.workspace(&ana, "Acme").await;
    let mut browser = enspace_testkit::Browser::new(&app);
    browser.sign_in("ana@example.com", "correct horse battery").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(browser.get("/app/w/acme").await.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let refused = browser.get("/app/w").await;
    assert_eq!((refused.status, refused.header("retry-after")), (429, Some("60")));
    assert_eq!(enspace_testkit::Page::of(&refused).texts("main p")[0], "Muitos pedidos. Tente novamente em instantes.");
    // The session's bucket, not the key's: Ana's API key still has its own.
    assert_eq!(app.get("/user").key(&ana.key).send().await.status, 200);
    // Sign-in spends the address's bucket, as `POST /auth/login` does (Ana's took one of three).
    let mut stranger = enspace_testkit::Browser::new(&app);
    let token = enspace_testkit::Page::of(&stranger.get("/app/login").await).value("input[name=_csrf]");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let fields = [("_csrf", token.as_str()), ("email", "ana@example.com"), ("password", "wrong guess")];
        statuses.push(stranger.post("/app/login", &fields).await.status);
    }
    assert_eq!(statuses, [401, 401, 429]);
}
