//! The email outbox through the router and the job worker, against a fake SendGrid that checks
//! what it receives: the v3 Mail Send request (auth, body, sandbox mode), retries on 429/5xx
//! with `Retry-After`, a refusal's message kept as the last error, and nothing sent twice.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{FakeProvider, Reply, TestApp, TestUser};
use serde_json::{json, Value};

use crate::time;

const API_KEY: &str = "SG.fake-key-for-tests";

async fn app_with_sendgrid(environment: &str) -> (TestApp, TestUser, FakeProvider) {
    let fake = FakeProvider::start().await;
    let url = fake.url.clone();
    let app = TestApp::builder().providers(|p| p.sendgrid = url).build().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let installed = app
        .post("/integrations")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "integration": 4, "data": { "environment": environment, "api_key": API_KEY,
            "from_email": "no-reply@acme.com", "from_name": "Acme" } }))
        .send()
        .await;
    assert_eq!(installed.status, 201, "{}", installed.text());
    (app, ana, fake)
}

fn queue<'a>(
    app: &'a TestApp,
    user: &TestUser,
    body: Value,
) -> impl std::future::Future<Output = enspace_testkit::TestResponse> + 'a {
    app.post("/ws/emails").key(&user.key).ws("acme").json(&body).send()
}

fn email() -> Value {
    json!({ "to": ["bia@example.com", "caio@example.com"], "subject": "Olá", "text": "Corpo", "html": "<p>Corpo</p>",
        "reply_to": "help@acme.com" })
}

#[tokio::test]
async fn a_queued_email_is_sent_once_through_sendgrid() {
    let (app, ana, fake) = app_with_sendgrid("stage").await;
    fake.reply("POST", "/v3/mail/send", vec![Reply::status(202).header("x-message-id", "msg-1")]);
    let queued = queue(&app, &ana, email()).await;
    let body = queued.json();
    let at = time(&body["created_at"]);
    queued.assert(
        202,
        json!({ "id": 1, "to": ["bia@example.com", "caio@example.com"], "subject": "Olá", "text": "Corpo",
            "html": "<p>Corpo</p>", "reply_to": "help@acme.com", "status": "queued", "provider_message_id": null,
            "last_error": null, "created_at": at, "updated_at": at, "sent_at": null }),
    );
    assert!(fake.received().is_empty(), "nothing is sent inside the request");
    assert_eq!(app.run_jobs().await, 1);
    let received = fake.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v3/mail/send"));
    assert_eq!(request.header("authorization"), Some(format!("Bearer {API_KEY}").as_str()));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "personalizations": [{ "to": [{ "email": "bia@example.com" }, { "email": "caio@example.com" }] }],
            "from": { "email": "no-reply@acme.com", "name": "Acme" },
            "reply_to": { "email": "help@acme.com" },
            "subject": "Olá",
            "content": [{ "type": "text/plain", "value": "Corpo" }, { "type": "text/html", "value": "<p>Corpo</p>" }],
            "custom_args": { "enspace_email": "1" },
            "mail_settings": { "sandbox_mode": { "enable": true } }
        })
    );
    let sent = app.get("/ws/emails/1").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        (&sent["status"], &sent["provider_message_id"], &sent["last_error"]),
        (&json!("sent"), &json!("msg-1"), &Value::Null)
    );
    time(&sent["sent_at"]);
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(fake.received().len(), 1, "sent once");
    let listed = app.get("/ws/emails?status=sent").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(listed, json!([sent]));
    assert!(!enspace_testkit::captured_logs().contains(API_KEY));
}

#[tokio::test]
async fn refusals_retry_or_fail_with_the_providers_message() {
    let (app, ana, fake) = app_with_sendgrid("production").await;
    fake.reply(
        "POST",
        "/v3/mail/send",
        vec![
            Reply::json(429, json!({ "errors": [{ "message": "too many requests" }] })).header("retry-after", "120"),
            Reply::json(400, json!({ "errors": [{ "field": "from.email", "message": "The from address does not match a verified Sender Identity." }] })),
        ],
    );
    let queued = queue(&app, &ana, json!({ "to": ["bia@example.com"], "subject": "S", "html": "<b>x</b>" })).await;
    assert_eq!(queued.status, 202);
    let before = enspace_domain::time::now_ms();
    app.run_jobs().await;
    let waiting = app.get("/ws/emails/1").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        (&waiting["status"], &waiting["last_error"]),
        (&json!("queued"), &json!("SendGrid answered 429: too many requests"))
    );
    let job = app.db.fetch_one("SELECT run_at FROM jobs", &[]).await.unwrap().i64("run_at").unwrap();
    assert!(job >= before + 120_000, "Retry-After is honoured");
    // Production sends for real: no sandbox mode.
    assert!(fake.received()[0].json().get("mail_settings").is_none());
    app.db.execute("UPDATE jobs SET run_at = 0", &[]).await.unwrap();
    app.run_jobs().await;
    let failed = app.get("/ws/emails/1").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        (&failed["status"], &failed["last_error"]),
        (
            &json!("failed"),
            &json!("SendGrid answered 400: The from address does not match a verified Sender Identity.")
        )
    );
    assert_eq!(fake.received().len(), 2);
    assert_eq!(app.run_jobs().await, 0);
}

#[tokio::test]
async fn an_email_needs_an_active_sendgrid_and_valid_fields() {
    let (app, ana, fake) = app_with_sendgrid("stage").await;
    queue(&app, &ana, json!({ "to": ["nope"], "subject": "", "reply_to": "x" })).await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
            { "path": "to[0]", "message": "\"nope\" is not a valid email address" },
            { "path": "subject", "message": "is required" },
            { "path": "text", "message": "give text, html or both" },
            { "path": "reply_to", "message": "\"x\" is not a valid email address" }
        ] }),
    );
    // Queued, then the integration is switched off before the worker runs: failed, nothing sent.
    assert_eq!(queue(&app, &ana, email()).await.status, 202);
    let off = app.put("/integrations/1").key(&ana.key).ws("acme").json(&json!({ "status": "inactive" })).send().await;
    assert_eq!(off.status, 200);
    app.run_jobs().await;
    let failed = app.get("/ws/emails/1").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        (&failed["status"], &failed["last_error"]),
        (&json!("failed"), &json!("the workspace has no active SendGrid integration"))
    );
    assert!(fake.received().is_empty());
    queue(&app, &ana, email())
        .await
        .assert_error(409, "This workspace has no active SendGrid integration to send email with");
    // The emails settings area.
    let bia = app.user("bia@example.com").await;
    app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    queue(&app, &bia, email()).await.assert_error(403, "Permission denied: settings::emails::manage");
    app.get("/ws/emails")
        .key(&bia.key)
        .ws("acme")
        .send()
        .await
        .assert_error(403, "Permission denied: settings::emails::manage");
}

#[tokio::test]
async fn an_invitation_goes_out_by_email_and_its_link_is_never_stored_in_the_clear() {
    let (app, ana, fake) = app_with_sendgrid("stage").await;
    fake.reply("POST", "/v3/mail/send", vec![Reply::status(202).header("x-message-id", "inv-1")]);
    let invited = app
        .post("/ws/members")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "email": "dora@example.com", "type": "viewer" }))
        .send()
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text());
    assert!(invited.json().get("invitation_url").is_none(), "the link went by email, not to the inviter");
    app.run_jobs().await;
    let mail = fake.received()[0].json();
    assert_eq!(mail["personalizations"], json!([{ "to": [{ "email": "dora@example.com" }] }]));
    assert_eq!(mail["subject"], "Você foi convidado para Acme");
    let text = mail["content"][0]["value"].as_str().unwrap();
    let token = text
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no link in {text}"))
        .to_string();
    assert!(token.starts_with("eni."), "{token}");
    assert!(mail["content"][1]["value"].as_str().unwrap().contains(&token));
    // The outbox shows the placeholder; no row anywhere holds the token.
    let outbox = app.get("/ws/emails").key(&ana.key).ws("acme").send().await.json();
    assert!(outbox[0]["text"].as_str().unwrap().contains("{{link}}"));
    for table in ["emails", "jobs", "invitations"] {
        let rows = app.db.fetch_all(&format!("SELECT * FROM {table}"), &[]).await.unwrap();
        assert!(!format!("{rows:?}").contains(&token), "{table} holds the token");
    }
    // And the emailed link works.
    let accepted =
        app.post("/auth/accept-invite").json(&json!({ "token": token, "password": "dora's password" })).send().await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
}
