//! `POST /integrations/{id}/test` for all eight, against one fake that stands in for every
//! provider and checks each check call: method, path, query, credentials in the provider's own
//! place. A refusal, an error, an unreachable provider or an inactive integration is an answer
//! with `ok: false`, never a 500, and never carries a secret.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{captured_logs, FakeProvider, Received, Reply, TestApp, TestUser};
use serde_json::{json, Value};

struct Setup {
    app: TestApp,
    ana: TestUser,
    fake: FakeProvider,
}

async fn setup() -> Setup {
    let fake = FakeProvider::start().await;
    let url = fake.url.clone();
    let app = TestApp::builder()
        .providers(|p| {
            p.sendgrid = url.clone();
            p.twilio = url.clone();
            p.openai = format!("{url}/v1");
            p.certisign = Some(format!("{url}/certisign/api/v2"));
            p.d4sign = Some(format!("{url}/d4sign/api/v1"));
            p.clicksign = Some(format!("{url}/clicksign/api/v3"));
            p.docusign_auth = Some(format!("{url}/docusign"));
            p.adobe_sign = Some(format!("{url}/adobe"));
        })
        .build()
        .await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    Setup { app, ana, fake }
}

impl Setup {
    async fn install(&self, integration: i64, data: Value) -> i64 {
        let installed = self
            .app
            .post("/integrations")
            .key(&self.ana.key)
            .ws("acme")
            .json(&json!({ "integration": integration, "data": data }))
            .send()
            .await;
        assert_eq!(installed.status, 201, "{}", installed.text());
        installed.json()["id"].as_i64().unwrap()
    }

    async fn test(&self, id: i64) -> Value {
        let answer = self.app.post(&format!("/integrations/{id}/test")).key(&self.ana.key).ws("acme").send().await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer.json()
    }

    /// The calls received since `from`, checking there was exactly one.
    fn only_call_since(&self, from: usize) -> Received {
        let received = self.fake.received();
        assert_eq!(received.len(), from + 1, "one call per check: {:?}", &received[from..]);
        received[from].clone()
    }
}

fn checked(ok: bool, message: &str) -> Value {
    json!({ "ok": ok, "message": message })
}

#[tokio::test]
async fn sendgrid_twilio_and_openai_are_checked_where_each_provider_says() {
    let s = setup().await;
    let sendgrid =
        s.install(4, json!({ "environment": "stage", "api_key": "SG.key-1", "from_email": "no-reply@acme.com" })).await;
    s.fake.reply(
        "GET",
        "/v3/scopes",
        vec![
            Reply::json(200, json!({ "scopes": ["alerts.read", "mail.send"] })),
            Reply::json(200, json!({ "scopes": ["alerts.read"] })),
            Reply::json(401, json!({ "errors": [{ "field": null, "message": "authorization required" }] })),
        ],
    );
    assert_eq!(s.test(sendgrid).await, checked(true, "SendGrid accepted the API key, which may send mail"));
    let call = s.only_call_since(0);
    assert_eq!(call.header("authorization"), Some("Bearer SG.key-1"));
    assert_eq!(
        s.test(sendgrid).await,
        checked(false, "SendGrid accepted the API key, but it lacks the mail.send permission")
    );
    assert_eq!(s.test(sendgrid).await, checked(false, "SendGrid answered 401: authorization required"));

    let whatsapp = s
        .install(6, json!({ "phone_number": "21 99999-9999", "account_sid": "AC123", "auth_token": "tw-token" }))
        .await;
    s.fake.reply(
        "GET",
        "/2010-04-01/Accounts/AC123.json",
        vec![
            Reply::json(200, json!({ "sid": "AC123", "friendly_name": "Acme", "status": "active" })),
            Reply::json(200, json!({ "sid": "AC123", "friendly_name": "Acme", "status": "suspended" })),
            Reply::json(
                401,
                json!({ "code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401 }),
            ),
        ],
    );
    let before = s.fake.received().len();
    assert_eq!(s.test(whatsapp).await, checked(true, "Twilio account Acme is active"));
    let call = s.only_call_since(before);
    // HTTP basic auth with the account SID and the auth token.
    assert_eq!(call.header("authorization"), Some("Basic QUMxMjM6dHctdG9rZW4="));
    assert_eq!(s.test(whatsapp).await, checked(false, "Twilio account Acme is suspended"));
    assert_eq!(s.test(whatsapp).await, checked(false, "Twilio answered 401: Authenticate (code 20003)"));

    let openai = s.install(7, json!({ "api_key": "sk-key-1", "model": "gpt-4.1" })).await;
    s.fake.reply(
        "GET",
        "/v1/models",
        vec![
            Reply::json(200, json!({ "object": "list", "data": [{ "id": "gpt-4.1", "object": "model" }] })),
            Reply::json(200, json!({ "object": "list", "data": [{ "id": "gpt-4o-mini", "object": "model" }] })),
        ],
    );
    let before = s.fake.received().len();
    assert_eq!(s.test(openai).await, checked(true, "OpenAI accepted the API key; model gpt-4.1 is available"));
    assert_eq!(s.only_call_since(before).header("authorization"), Some("Bearer sk-key-1"));
    assert_eq!(
        s.test(openai).await,
        checked(false, "OpenAI accepted the API key, but model gpt-4.1 is not among the models it may use")
    );
}

#[tokio::test]
async fn the_e_signature_providers_are_checked_with_their_own_credentials() {
    let s = setup().await;
    let certisign = s.install(1, json!({ "environment": "stage", "token": "cert-token" })).await;
    s.fake.reply(
        "GET",
        "/certisign/api/v2/document/package",
        vec![Reply::json(404, json!({ "message": "Documento não encontrado" })), Reply::status(401)],
    );
    assert_eq!(s.test(certisign).await, checked(true, "Certisign accepted the token"));
    let call = s.only_call_since(0);
    assert_eq!(call.header("token"), Some("cert-token"));
    assert_eq!(call.query.as_deref(), Some("key=0"));
    assert_eq!(s.test(certisign).await, checked(false, "Certisign answered 401: "));

    let d4sign = s.install(3, json!({ "environment": "stage", "token": "d4-token", "crypt_key": "d4-crypt" })).await;
    s.fake.reply(
        "GET",
        "/d4sign/api/v1/safes",
        vec![
            Reply::json(200, json!([{ "uuid_safe": "5b1c", "name-safe": "Contratos" }])),
            // A provider that quotes the credential back: the answer never does.
            Reply::json(401, json!({ "message": "tokenAPI d4-token is not valid" })),
        ],
    );
    let before = s.fake.received().len();
    assert_eq!(s.test(d4sign).await, checked(true, "D4Sign accepted the keys (1 safes)"));
    assert_eq!(s.only_call_since(before).query.as_deref(), Some("tokenAPI=d4-token&cryptKey=d4-crypt"));
    assert_eq!(s.test(d4sign).await, checked(false, "D4Sign answered 401: tokenAPI [secret] is not valid"));

    let clicksign = s.install(5, json!({ "environment": "production", "token": "cs-token" })).await;
    s.fake.reply(
        "GET",
        "/clicksign/api/v3/envelopes",
        vec![
            Reply::json(200, json!({ "data": [], "meta": { "record_count": 0 } })),
            Reply::json(401, json!({ "errors": [{ "title": "Unauthorized", "detail": "Access token inválido" }] })),
        ],
    );
    let before = s.fake.received().len();
    assert_eq!(s.test(clicksign).await, checked(true, "Clicksign accepted the access token"));
    let call = s.only_call_since(before);
    // The bare token, no "Bearer".
    assert_eq!(call.header("authorization"), Some("cs-token"));
    assert_eq!(call.header("accept"), Some("application/vnd.api+json"));
    assert_eq!(call.query.as_deref(), Some("page%5Bsize%5D=1"));
    assert_eq!(s.test(clicksign).await, checked(false, "Clicksign answered 401: Access token inválido"));

    let docusign = s
        .install(
            8,
            json!({ "environment": "stage", "user_id": "u-1", "account_id": "acc-2", "integration_key": "ik", "access_token": "ds-token" }),
        )
        .await;
    let account = |id: &str| json!({ "account_id": id, "is_default": true, "account_name": "Acme Ltda", "base_uri": "https://demo.docusign.net" });
    s.fake.reply(
        "GET",
        "/docusign/oauth/userinfo",
        vec![
            Reply::json(200, json!({ "sub": "u-1", "accounts": [account("acc-1"), account("acc-2")] })),
            Reply::json(200, json!({ "sub": "u-1", "accounts": [account("acc-1")] })),
            Reply::json(
                401,
                json!({ "error": "invalid_request", "error_description": "The access token has expired" }),
            ),
        ],
    );
    let before = s.fake.received().len();
    assert_eq!(s.test(docusign).await, checked(true, "Docusign accepted the access token for account Acme Ltda"));
    assert_eq!(s.only_call_since(before).header("authorization"), Some("Bearer ds-token"));
    assert_eq!(
        s.test(docusign).await,
        checked(false, "Docusign accepted the access token, but it cannot act for account acc-2")
    );
    assert_eq!(s.test(docusign).await, checked(false, "Docusign answered 401: The access token has expired"));

    let adobe = s
        .install(
            2,
            json!({ "environment": "production", "client_id": "cid", "client_secret": "csecret", "refresh_token": "rtoken" }),
        )
        .await;
    s.fake.reply(
        "POST",
        "/adobe/oauth/v2/refresh",
        vec![
            Reply::json(200, json!({ "access_token": "3AAA-new", "token_type": "Bearer", "expires_in": 3600 })),
            Reply::json(400, json!({ "error": "invalid_grant", "error_description": "Refresh token is invalid" })),
        ],
    );
    let before = s.fake.received().len();
    assert_eq!(s.test(adobe).await, checked(true, "Adobe Sign accepted the client and the refresh token"));
    let call = s.only_call_since(before);
    assert_eq!(call.header("content-type"), Some("application/x-www-form-urlencoded"));
    let form: Vec<(String, String)> = call.form();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("grant_type", "refresh_token"),
            ("client_id", "cid"),
            ("client_secret", "csecret"),
            ("refresh_token", "rtoken")
        ]
    );
    assert_eq!(s.test(adobe).await, checked(false, "Adobe Sign answered 400: Refresh token is invalid"));

    let logs = captured_logs();
    for secret in ["cert-token", "d4-token", "d4-crypt", "cs-token", "ds-token", "csecret", "rtoken"] {
        assert!(!logs.contains(secret), "{secret} reached the logs");
    }
    assert!(logs.contains("provider call"), "each provider call is recorded");
}

#[tokio::test]
async fn failures_are_answers_and_inactive_integrations_call_nothing() {
    let s = setup().await;
    let sendgrid =
        s.install(4, json!({ "environment": "stage", "api_key": "SG.key-1", "from_email": "no-reply@acme.com" })).await;
    s.fake.reply("GET", "/v3/scopes", vec![Reply::json(503, json!({ "errors": [{ "message": "try later" }] }))]);
    assert_eq!(s.test(sendgrid).await, checked(false, "SendGrid answered 503: try later"));

    // A provider that cannot be reached (Twilio is nowhere in this app).
    let app = TestApp::new().await;
    let bob = app.user("bob@example.com").await;
    app.workspace(&bob, "Beta").await;
    let installed = app
        .post("/integrations")
        .key(&bob.key)
        .ws("beta")
        .json(
            &json!({ "integration": 4, "data": { "environment": "stage", "api_key": "SG.x", "from_email": "a@b.co" } }),
        )
        .send()
        .await;
    assert_eq!(installed.status, 201);
    let answer = app.post("/integrations/1/test").key(&bob.key).ws("beta").send().await.json();
    assert_eq!(answer["ok"], false);
    assert!(answer["message"].as_str().unwrap().starts_with("SendGrid could not be reached"), "{answer}");

    // WhatsApp without an account of its own, on a server without one.
    let whatsapp = s.install(6, json!({ "phone_number": "21 99999-9999" })).await;
    assert_eq!(
        s.test(whatsapp).await,
        checked(false, "the integration has no Twilio account and the server has none configured")
    );

    let before = s.fake.received().len();
    let paused = s
        .app
        .put(&format!("/integrations/{sendgrid}"))
        .key(&s.ana.key)
        .ws("acme")
        .json(&json!({ "status": "inactive" }));
    assert_eq!(paused.send().await.status, 200);
    assert_eq!(s.test(sendgrid).await, checked(false, "The integration is inactive: nothing was sent to the provider"));
    assert_eq!(s.fake.received().len(), before, "no call for an inactive integration");

    // Testing spends the credentials: integration managers only; another id is a 404.
    let eva = s.app.user("eva@example.com").await;
    s.app.add_member(1, eva.id, MemberType::Standard, MemberStatus::Active).await;
    let denied = s.app.post(&format!("/integrations/{sendgrid}/test")).key(&eva.key).ws("acme").send().await;
    denied.assert_error(403, "Permission denied: settings::integrations::manage");
    s.app
        .post("/integrations/99/test")
        .key(&s.ana.key)
        .ws("acme")
        .send()
        .await
        .assert_error(404, "Integration not found");
}
