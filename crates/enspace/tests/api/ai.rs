//! OpenAI chat through the router against a fake OpenAI that checks the Chat Completions
//! request (auth, organization, body), with usage recorded per workspace and provider errors
//! answered as 502 with the provider's message.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{FakeProvider, Reply, TestApp, TestUser};
use serde_json::json;

const KEY: &str = "sk-test-not-for-logs";

async fn setup() -> (TestApp, TestUser, FakeProvider) {
    let fake = FakeProvider::start().await;
    let install = json!({ "integration": 7, "data": { "api_key": KEY, "organization": "org-acme",
        "base_url": format!("{}/v1", fake.url) } });
    let (app, ana) = crate::app_with_integration(|_| {}, install).await;
    (app, ana, fake)
}

fn answer() -> Reply {
    Reply::json(
        200,
        json!({ "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": "Olá! Como posso ajudar?" }, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15 } }),
    )
}

#[tokio::test]
async fn a_chat_goes_to_chat_completions_and_its_usage_is_recorded() {
    let (app, ana, fake) = setup().await;
    fake.reply("POST", "/v1/chat/completions", vec![answer()]);
    let chat = app
        .post("/integrations/1/chat")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "messages": [{ "role": "system", "content": "Seja breve." }, { "role": "user", "content": "Oi" }], "temperature": 0.2 }))
        .send()
        .await;
    chat.assert(
        200,
        json!({ "content": "Olá! Como posso ajudar?", "model": "gpt-4o-mini-2024-07-18",
            "usage": { "prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15 } }),
    );
    let received = fake.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v1/chat/completions"));
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(request.header("openai-organization"), Some("org-acme"));
    assert_eq!(
        request.json(),
        json!({ "model": "gpt-4o-mini", "messages": [{ "role": "system", "content": "Seja breve." }, { "role": "user", "content": "Oi" }], "temperature": 0.2 })
    );
    assert_eq!(enspace_store::ai_usage::total(&app.db, 1, 0).await.unwrap(), 15);
    assert!(!enspace_testkit::captured_logs().contains(KEY));
}

#[tokio::test]
async fn provider_errors_bad_input_and_permissions() {
    let (app, ana, fake) = setup().await;
    fake.reply(
        "POST",
        "/v1/chat/completions",
        vec![
            Reply::json(429, json!({ "error": { "message": "Rate limit reached for requests", "type": "requests" } })),
            answer(),
        ],
    );
    let post =
        |key: &str, body: serde_json::Value| app.post("/integrations/1/chat").key(key).ws("acme").json(&body).send();
    let hello = json!({ "messages": [{ "role": "user", "content": "Oi" }] });
    post(&ana.key, hello.clone()).await.assert_error(502, "OpenAI answered 429: Rate limit reached for requests");
    assert_eq!(enspace_store::ai_usage::total(&app.db, 1, 0).await.unwrap(), 0);
    post(&ana.key, json!({ "messages": [{ "role": "robot", "content": "" }], "temperature": 3 })).await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
            { "path": "messages[0].role", "message": "expected system, user or assistant, got \"robot\"" },
            { "path": "messages[0].content", "message": "is required" },
            { "path": "temperature", "message": "must be between 0 and 2" }
        ] }),
    );
    // `ai::chat::use` decides for members with a role.
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    post(&bia.key, hello.clone()).await.assert_error(403, "Permission denied: ai::chat::use");
    let role = app.role(1, &[("ai::chat::use", None)]).await;
    app.assign_role(member, role).await;
    assert_eq!(post(&bia.key, hello.clone()).await.status, 200);
    // Only OpenAI integrations chat.
    let other = app
        .post("/integrations")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "integration": 6, "data": { "phone_number": "1" } }))
        .send()
        .await;
    assert_eq!(other.status, 201);
    app.post("/integrations/2/chat")
        .key(&ana.key)
        .ws("acme")
        .json(&hello)
        .send()
        .await
        .assert_error(404, "Integration not found");
}
