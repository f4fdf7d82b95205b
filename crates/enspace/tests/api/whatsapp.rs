//! WhatsApp over Twilio through the router and the job worker, against a fake Twilio that
//! checks what it receives: signed inbound webhooks (a forged one stores nothing, a replayed one
//! stores one message), conversations opened and joined, outbound messages through the Messages
//! API, delivery statuses that never move back, and the auto-close warning and closing, each
//! once, re-armed by a new message.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_integrations::twilio;
use enspace_testkit::{FakeProvider, Reply, TestApp, TestResponse, TestUser};
use serde_json::{json, Value};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token-not-for-logs";
const INBOUND_URL: &str = "http://127.0.0.1:8080/webhooks/whatsapp_twilio/1";
const STATUS_URL: &str = "http://127.0.0.1:8080/webhooks/whatsapp_twilio/1/status";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

async fn setup() -> (TestApp, TestUser, FakeProvider) {
    let fake = FakeProvider::start().await;
    let url = fake.url.clone();
    let app = TestApp::builder().providers(|p| p.twilio = url).build().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let installed = app
        .post("/integrations")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "integration": 6, "data": { "phone_number": "21 3333-4444", "account_sid": SID, "auth_token": TOKEN,
            "autoclose_hours": 1, "autoclose_minutes": 30, "send_autoclose_message_minutes": 10,
            "autoclose_message": "Ainda está aí?", "post_autoclose_message": "Conversa encerrada." } }))
        .send()
        .await;
    assert_eq!(installed.status, 201, "{}", installed.text());
    let mut n = 0;
    fake.reply(
        "POST",
        MESSAGES_PATH,
        (0..10)
            .map(|_| {
                n += 1;
                Reply::json(201, json!({ "sid": format!("SM{n:032}"), "status": "queued" }))
            })
            .collect(),
    );
    (app, ana, fake)
}

fn pairs(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn post_signed(app: &TestApp, url: &str, params: &[(&str, &str)], signature: Option<&str>) -> TestResponse {
    let params = pairs(params);
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
    let path = url.strip_prefix("http://127.0.0.1:8080").unwrap();
    let signature = signature.map(str::to_string).unwrap_or_else(|| twilio::signature(TOKEN, url, &params));
    app.post(path).header("x-twilio-signature", &signature).raw("application/x-www-form-urlencoded", body).send().await
}

fn inbound<'a>(sid: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("MessageSid", sid),
        ("AccountSid", SID),
        ("From", "whatsapp:+5521999990000"),
        ("To", "whatsapp:+552133334444"),
        ("Body", body),
        ("ProfileName", "Bia"),
        ("NumMedia", "0"),
    ]
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> Value {
    app.get(path).key(&user.key).ws("acme").send().await.json()
}

#[tokio::test]
async fn signed_messages_open_a_conversation_forged_ones_store_nothing_replays_store_one() {
    let (app, ana, _fake) = setup().await;
    let forged = post_signed(&app, INBOUND_URL, &inbound("SM1", "Oi"), Some("bm90IGEgc2lnbmF0dXJl")).await;
    forged.assert_error(403, "Invalid Twilio signature");
    let unsigned = app
        .post("/webhooks/whatsapp_twilio/1")
        .raw("application/x-www-form-urlencoded", "MessageSid=SM1&From=whatsapp%3A%2B5521999990000&Body=Oi")
        .send()
        .await;
    unsigned.assert_error(403, "Invalid Twilio signature");
    // Signed for another address (Twilio signs the exact URL it called).
    let params = pairs(&inbound("SM1", "Oi"));
    let elsewhere = twilio::signature(TOKEN, "http://evil.example/webhooks/whatsapp_twilio/1", &params);
    post_signed(&app, INBOUND_URL, &inbound("SM1", "Oi"), Some(&elsewhere))
        .await
        .assert_error(403, "Invalid Twilio signature");
    assert_eq!(get(&app, &ana, "/ws/conversations").await, json!([]));

    let first = post_signed(&app, INBOUND_URL, &inbound("SM1", "Oi"), None).await;
    assert_eq!((first.status, first.text().as_str()), (200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"));
    assert_eq!(first.header("content-type"), Some("text/xml; charset=utf-8"));
    // Twilio retries: the same MessageSid again stores nothing new.
    assert_eq!(post_signed(&app, INBOUND_URL, &inbound("SM1", "Oi"), None).await.status, 200);
    assert_eq!(post_signed(&app, INBOUND_URL, &inbound("SM2", "Tudo bem?"), None).await.status, 200);
    let conversations = get(&app, &ana, "/ws/conversations").await;
    assert_eq!(conversations.as_array().unwrap().len(), 1);
    let conversation = &conversations[0];
    assert_eq!(
        (
            &conversation["contact"],
            &conversation["contact_name"],
            &conversation["status"],
            &conversation["integration"]
        ),
        (&json!("+5521999990000"), &json!("Bia"), &json!("open"), &json!(1))
    );
    let messages = get(&app, &ana, "/ws/conversations/1/messages").await;
    let bodies: Vec<(&str, &str, &str)> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["direction"].as_str().unwrap(), m["body"].as_str().unwrap(), m["provider_sid"].as_str().unwrap()))
        .collect();
    assert_eq!(bodies, [("inbound", "Oi", "SM1"), ("inbound", "Tudo bem?", "SM2")]);
    assert!(!enspace_testkit::captured_logs().contains(TOKEN));
}

/// Twilio signs the full URL it called, query string included: the library's documented
/// example (token `12345`, its five parameters, `?foo=1&bar=2`) on our status address.
#[tokio::test]
async fn signatures_cover_the_query_string_and_unknown_ids_answer_like_bad_signatures() {
    let (app, ana, _fake) = setup().await;
    let installed = app
        .post("/integrations")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "integration": 6, "data": { "phone_number": "21 3333-5555", "account_sid": SID, "auth_token": "12345" } }))
        .send()
        .await;
    assert_eq!(installed.status, 201, "{}", installed.text());
    let example = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ];
    let params = pairs(&example);
    // The signature function is the library's: its documented example, query and all.
    assert_eq!(
        twilio::signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &params),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
    let post = |path: &'static str, signature: String| {
        let body = body.clone();
        let app = &app;
        async move {
            app.post(path)
                .header("x-twilio-signature", &signature)
                .raw("application/x-www-form-urlencoded", body)
                .send()
                .await
        }
    };
    let base = "http://127.0.0.1:8080/webhooks/whatsapp_twilio/2/status";
    let with_query = twilio::signature("12345", &format!("{base}?foo=1&bar=2"), &params);
    let without_query = twilio::signature("12345", base, &params);
    assert_eq!(post("/webhooks/whatsapp_twilio/2/status?foo=1&bar=2", with_query.clone()).await.status, 204);
    assert_eq!(post("/webhooks/whatsapp_twilio/2/status", without_query.clone()).await.status, 204);
    // A signature made without the query does not vouch for a request that carries one, and the
    // other way round.
    post("/webhooks/whatsapp_twilio/2/status?foo=1&bar=2", without_query.clone())
        .await
        .assert_error(403, "Invalid Twilio signature");
    post("/webhooks/whatsapp_twilio/2/status?foo=bar", without_query.clone())
        .await
        .assert_error(403, "Invalid Twilio signature");
    post("/webhooks/whatsapp_twilio/2/status", with_query).await.assert_error(403, "Invalid Twilio signature");
    // Ids that name no WhatsApp integration (none, unparsable, another kind) answer exactly
    // like a wrong signature.
    let sendgrid = app
        .post("/integrations")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "integration": 4, "data": { "environment": "stage", "api_key": "SG.x", "from_email": "no-reply@acme.example" } }))
        .send()
        .await;
    assert_eq!(sendgrid.status, 201, "{}", sendgrid.text());
    assert_eq!(sendgrid.json()["id"], json!(3));
    for path in [
        "/webhooks/whatsapp_twilio/99/status",
        "/webhooks/whatsapp_twilio/abc/status",
        "/webhooks/whatsapp_twilio/3/status",
    ] {
        let unknown = post(path, without_query.clone()).await;
        unknown.assert_error(403, "Invalid Twilio signature");
        let wrong = post("/webhooks/whatsapp_twilio/2/status", "bm90IGEgc2lnbmF0dXJl".into()).await;
        assert_eq!((unknown.status, unknown.text()), (wrong.status, wrong.text()), "{path}");
    }
}

#[tokio::test]
async fn replies_go_through_the_messages_api_and_statuses_never_move_back() {
    let (app, ana, fake) = setup().await;
    post_signed(&app, INBOUND_URL, &inbound("SM1", "Oi"), None).await;
    let queued = app
        .post("/ws/conversations/1/messages")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "body": "Olá, Bia!" }))
        .send()
        .await;
    assert_eq!(queued.status, 202, "{}", queued.text());
    assert_eq!((&queued.json()["status"], &queued.json()["direction"]), (&json!("queued"), &json!("outbound")));
    // Only the reply runs now (the auto-close jobs are due later).
    assert_eq!(app.run_jobs().await, 1);
    let received = fake.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", MESSAGES_PATH));
    let basic = format!("Basic {}", base64_of(&format!("{SID}:{TOKEN}")));
    assert_eq!(request.header("authorization"), Some(basic.as_str()));
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        request.form(),
        pairs(&[
            ("To", "whatsapp:+5521999990000"),
            ("From", "whatsapp:+552133334444"),
            ("Body", "Olá, Bia!"),
            ("StatusCallback", STATUS_URL)
        ])
    );
    let sid = format!("SM{:032}", 1);
    let message = get(&app, &ana, "/ws/conversations/1/messages?direction=outbound").await[0].clone();
    assert_eq!((&message["provider_sid"], &message["status"]), (&json!(sid), &json!("queued")));

    for status in ["delivered", "sent"] {
        let params = [("MessageSid", sid.as_str()), ("MessageStatus", status), ("AccountSid", SID)];
        assert_eq!(post_signed(&app, STATUS_URL, &params, None).await.status, 204);
    }
    let message = get(&app, &ana, "/ws/conversations/1/messages?direction=outbound").await[0].clone();
    assert_eq!(message["status"], "delivered", "a late `sent` does not undo `delivered`");
    let forged =
        post_signed(&app, STATUS_URL, &[("MessageSid", sid.as_str()), ("MessageStatus", "failed")], Some("eA==")).await;
    forged.assert_error(403, "Invalid Twilio signature");
    assert_eq!(get(&app, &ana, "/ws/conversations/1/messages?direction=outbound").await[0]["status"], "delivered");

    // Viewers read but do not write; a closed conversation takes no message.
    let vic = app.user("vic@example.com").await;
    app.add_member(1, vic.id, MemberType::Viewer, MemberStatus::Active).await;
    assert_eq!(get(&app, &vic, "/ws/conversations/1").await["id"], 1);
    app.post("/ws/conversations/1/close")
        .key(&vic.key)
        .ws("acme")
        .send()
        .await
        .assert_error(403, "Permission denied: write in conversations");
    let closed = app.post("/ws/conversations/1/close").key(&ana.key).ws("acme").send().await;
    assert_eq!(closed.json()["status"], "closed");
    app.post("/ws/conversations/1/messages")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "body": "?" }))
        .send()
        .await
        .assert_error(409, "The conversation is closed");
    // The contact's next message opens a new conversation.
    post_signed(&app, INBOUND_URL, &inbound("SM9", "Voltei"), None).await;
    assert_eq!(get(&app, &ana, "/ws/conversations?status=open").await[0]["id"], 2);
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Moves every queued job `minutes` earlier, as if that much time had passed.
async fn advance(app: &TestApp, minutes: i64) {
    app.db
        .execute("UPDATE jobs SET run_at = run_at - $1 WHERE status = 'queued'", &[(minutes * 60_000).into()])
        .await
        .unwrap();
}

async fn automatic(app: &TestApp, ana: &TestUser) -> Vec<String> {
    let messages = get(app, ana, "/ws/conversations/1/messages?direction=outbound").await;
    messages.as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn auto_close_warns_then_closes_once_and_a_new_message_rearms_it() {
    let (app, ana, fake) = setup().await;
    post_signed(&app, INBOUND_URL, &inbound("SM1", "Oi"), None).await;
    // Window 1 h 30 min, warning 10 min before: nothing at 79 minutes.
    advance(&app, 79).await;
    assert_eq!(app.run_jobs().await, 0);
    // At 80 minutes the warning is queued and sent.
    advance(&app, 1).await;
    app.run_jobs().await;
    assert_eq!(automatic(&app, &ana).await, ["autoclose_warning"]);
    assert_eq!(fake.received().last().unwrap().form()[2], ("Body".to_string(), "Ainda está aí?".to_string()));
    // The contact answers: the clock restarts; the old closing does nothing.
    post_signed(&app, INBOUND_URL, &inbound("SM2", "Estou"), None).await;
    advance(&app, 10).await;
    app.run_jobs().await;
    assert_eq!(get(&app, &ana, "/ws/conversations/1").await["status"], "open");
    // The new window: warning again, then the close with its message, each once.
    advance(&app, 80).await;
    app.run_jobs().await;
    advance(&app, 10).await;
    app.run_jobs().await;
    assert_eq!(automatic(&app, &ana).await, ["autoclose_warning", "autoclose_warning", "autoclose_closing"]);
    let conversation = get(&app, &ana, "/ws/conversations/1").await;
    assert_eq!(conversation["status"], "closed");
    let sent: Vec<String> = fake.received().iter().map(|r| r.form()[2].1.clone()).collect();
    assert_eq!(sent, ["Ainda está aí?", "Ainda está aí?", "Conversa encerrada."]);
    // Running the due jobs again (as a restarted process would) sends nothing more.
    advance(&app, 1000).await;
    assert_eq!(app.run_jobs().await, 0);
    assert_eq!(fake.received().len(), 3);
}
