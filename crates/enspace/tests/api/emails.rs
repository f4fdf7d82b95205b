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
    let install = json!({ "integration": 4, "data": { "environment": environment, "api_key": API_KEY,
        "from_email": "no-reply@acme.com", "from_name": "Acme" } });
    let (app, ana) = crate::app_with_integration(|p| p.sendgrid = url, install).await;
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
            "custom_args": { "enspace_email": "1", "enspace_send": format!("1-1-{}", created_ms(&app, 1).await) },
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

async fn created_ms(app: &TestApp, id: i64) -> i64 {
    let row = app.db.fetch_one("SELECT created_at FROM emails WHERE id = $1", &[id.into()]).await.unwrap();
    row.i64("created_at").unwrap()
}

/// A send interrupted before its outcome was recorded (a crash, a timeout) is looked up in
/// SendGrid's Email Activity by its `enspace_send` argument before it is sent again: found, it
/// is recorded as sent; not found, or an account without the add-on, it is sent; not before the
/// activity has had time to show it.
#[tokio::test]
async fn an_interrupted_send_is_looked_up_in_the_activity_before_sending_again() {
    let (app, ana, fake) = app_with_sendgrid("production").await;
    fake.reply("POST", "/v3/mail/send", vec![Reply::status(202).header("x-message-id", "new")]);
    for n in 1..=4 {
        let queued =
            queue(&app, &ana, json!({ "to": [format!("p{n}@example.com")], "subject": "S", "text": "t" })).await;
        assert_eq!(queued.status, 202);
    }
    let mut keys = Vec::new();
    for id in 1..=4 {
        keys.push(format!("1-{id}-{}", created_ms(&app, id).await));
    }
    let (found, unknown) = (keys[0].clone(), keys[2].clone());
    fake.respond_with(
        "GET",
        "/v3/messages",
        std::sync::Arc::new(move |request, _| {
            let query: Vec<(String, String)> =
                form_urlencoded::parse(request.query.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
            let filter = &query.iter().find(|(k, _)| k == "query").expect("a query").1;
            if filter == &format!("unique_args['enspace_send']=\"{found}\"") {
                Reply::json(200, json!({ "messages": [{ "from_email": "no-reply@acme.com", "msg_id": "old-1.filterdrecv-1.1",
                    "subject": "S", "to_email": "p1@example.com", "status": "delivered", "opens_count": 0, "clicks_count": 0,
                    "last_event_time": "2026-11-21T10:00:00Z" }] }))
            } else if filter.contains(&unknown) {
                Reply::json(403, json!({ "errors": [{ "field": null, "message": "access forbidden" }] }))
            } else {
                Reply::json(200, json!({ "messages": [] }))
            }
        }),
    );
    let now = enspace_domain::time::now_ms();
    // 1-3 started ten minutes ago and never recorded an outcome; 4 started just now.
    for (id, started) in [(1, now - 600_000), (2, now - 600_000), (3, now - 600_000), (4, now)] {
        enspace_store::emails::start_attempt(&app.db, 1, id, started).await.unwrap();
    }
    app.run_jobs().await;

    let lookups: Vec<_> = fake.received().into_iter().filter(|r| r.method == "GET").collect();
    assert_eq!(lookups.len(), 3, "one lookup each for 1-3, none yet for 4");
    assert_eq!(lookups[0].header("authorization"), Some(format!("Bearer {API_KEY}").as_str()));
    let query: Vec<(String, String)> =
        form_urlencoded::parse(lookups[0].query.as_deref().unwrap().as_bytes()).into_owned().collect();
    assert_eq!(
        query,
        [("query".to_string(), format!("unique_args['enspace_send']=\"{}\"", keys[0])), ("limit".into(), "10".into())]
    );
    let sends: Vec<String> = fake
        .received()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.json()["custom_args"]["enspace_email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sends, ["2", "3"], "found in the activity: not sent again; not found or unknowable: sent");
    let listed = app.get("/ws/emails?_sort=id").key(&ana.key).ws("acme").send().await.json();
    let email = |id: usize| listed[id - 1].clone();
    let first = email(1);
    assert_eq!((&first["status"], &first["provider_message_id"]), (&json!("sent"), &json!("old-1")));
    assert_eq!(email(2)["provider_message_id"], "new");
    assert_eq!(email(3)["status"], "sent");
    let waiting = email(4);
    assert_eq!(
        (&waiting["status"], &waiting["last_error"]),
        (&json!("queued"), &json!("an interrupted send is looked up in SendGrid's Email Activity once it has settled"))
    );
    let run_at = app.db.fetch_one("SELECT run_at FROM jobs WHERE status = 'queued'", &[]).await.unwrap();
    assert!(run_at.i64("run_at").unwrap() >= now + 120_000, "looked up once the activity has settled");
    let attempts = app.db.fetch_all("SELECT attempt_started_at FROM emails WHERE status = 'sent'", &[]).await.unwrap();
    assert!(
        attempts.iter().all(|r| r.opt_i64("attempt_started_at").unwrap().is_none()),
        "a sent email has no open attempt"
    );
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
