//! Certisign end to end through the router and a fake Portal de Assinaturas API that checks a
//! send (upload, then the document with its participants and a callback whose address ends in
//! the installation's secret), then callbacks — duplicated and reordered — to `signed` or
//! `refused`; a wrong address segment or an unknown document changes nothing.

use base64::Engine;
use enspace_testkit::{captured_logs, Reply, TestResponse};
use serde_json::{json, Value};

const TOKEN: &str = "cert-api-token-secret";
const PDF: &[u8] = b"%PDF-1.4 contrato";
const API: &str = "/cert/api/v2";
const KEY: &str = "ABCDEF0123456789";

provider_setup!();

async fn setup() -> Setup {
    let s = crate::WithProvider::start(
        |p, url| p.certisign = Some(format!("{url}{API}")),
        json!({ "integration": 1, "data": { "environment": "stage", "token": TOKEN } }),
    )
    .await;
    s.fake.reply("POST", &format!("{API}/document/upload"), vec![Reply::json(200, json!({ "uploadId": "up-1" }))]);
    s.fake.reply(
        "POST",
        &format!("{API}/document/create"),
        vec![Reply::json(200, json!({ "chave": KEY, "signUrl": "https://portal/sign/1" }))],
    );
    Setup(s)
}

impl Setup {
    async fn send(&self) -> TestResponse {
        let body = json!({ "title": "Contrato 5",
            "document": { "filename": "contrato.pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(PDF) },
            "signers": [{ "email": "bia@example.com", "name": "Bia" }, { "email": "caio@example.com", "action": "approver" }] });
        self.app.post("/integrations/1/signature-requests").key(&self.ana.key).ws("acme").json(&body).send().await
    }

    /// The callback address Certisign was given, as this server's path.
    fn callback_path(&self) -> String {
        let create = self.fake.received().into_iter().find(|r| r.path.ends_with("/document/create")).expect("created");
        let url = create.json()["callback"]["url"].as_str().unwrap().to_string();
        url.strip_prefix("http://127.0.0.1:8080").unwrap().to_string()
    }

    async fn callback(&self, path: &str, body: Value) -> TestResponse {
        self.app.post(path).raw("application/json", body.to_string().into_bytes()).send().await
    }
}

fn signed_by(email: &str) -> Value {
    json!({ "action": "SIGNATURE-ELECTRONIC", "email": email,
        "apiDownload": format!("https://api.portaldeassinaturas.com.br/api/v2/document/package?key={KEY}") })
}

#[tokio::test]
async fn a_document_goes_out_with_a_secret_callback_and_ends_signed() {
    let s = setup().await;
    let sent = s.send().await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    assert_eq!((&sent.json()["provider"], &sent.json()["provider_id"]), (&json!("certisign"), &json!(KEY)));

    let received = s.fake.received();
    assert_eq!(received.len(), 2);
    for r in &received {
        assert_eq!(r.header("token"), Some(TOKEN));
    }
    assert_eq!(
        received[0].json(),
        json!({ "fileName": "contrato.pdf", "bytes": base64::engine::general_purpose::STANDARD.encode(PDF) })
    );
    let create = received[1].json();
    assert_eq!(create["document"], json!({ "name": "Contrato 5", "upload": { "id": "up-1", "name": "contrato.pdf" } }));
    assert_eq!(create["signers"], json!([{ "step": 1, "title": "signer", "name": "Bia", "email": "bia@example.com" }]));
    assert_eq!(
        create["approvers"],
        json!([{ "step": 1, "title": "approver", "name": "caio@example.com", "email": "caio@example.com" }])
    );
    assert_eq!(create["callback"]["trigger"], "ACTION");
    let path = s.callback_path();
    let token = path.strip_prefix("/webhooks/certisign/").expect("this server's Certisign webhook");
    assert!(token.len() >= 32 && token.chars().all(|c| c.is_ascii_alphanumeric()), "{token}");
    let installed = s.app.get("/integrations/1").key(&s.ana.key).ws("acme").send().await;
    assert!(!installed.text().contains(token), "the callback token is a secret");
    assert_eq!(installed.json()["configured_secrets"], json!(["token", "callback_token"]));

    assert_eq!(
        s.callback(&path, json!({ "action": "APPROVED", "email": "caio@example.com", "key": KEY })).await.status,
        200
    );
    assert_eq!(
        s.callback(&path, json!({ "action": "APPROVED", "email": "caio@example.com", "key": KEY })).await.status,
        200
    );
    assert_eq!(s.request().await["status"], "partially_signed");
    assert_eq!(s.callback(&path, json!({ "action": "CONCLUDED", "key": KEY })).await.status, 200);
    assert_eq!(s.callback(&path, signed_by("bia@example.com")).await.status, 200);
    let signed = s.request().await;
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["events"].as_array().unwrap().len(), 3);

    s.fake.reply(
        "GET",
        &format!("{API}/document/package"),
        vec![Reply::json(200, json!([{ "name": "contrato.pdf", "bytes": base64::engine::general_purpose::STANDARD.encode("%PDF signed by certisign") }]))],
    );
    let document = s.app.get("/ws/signature-requests/1/document").key(&s.ana.key).ws("acme").send().await;
    assert_eq!(document.text(), "%PDF signed by certisign");
    let package = s.fake.received().into_iter().find(|r| r.path.ends_with("/document/package")).unwrap();
    assert_eq!(
        package.query.as_deref(),
        Some(format!("key={KEY}&includeOriginal=false&includeManifest=true&zipped=false").as_str())
    );
    assert!(!captured_logs().contains(TOKEN) && !captured_logs().contains(token));
}

#[tokio::test]
async fn a_refusal_ends_it_and_a_wrong_address_changes_nothing() {
    let s = setup().await;
    assert_eq!(s.send().await.status, 201);
    let path = s.callback_path();
    let before = s.request().await;
    s.callback("/webhooks/certisign/guessed-token", json!({ "action": "CONCLUDED", "key": KEY }))
        .await
        .assert_error(401, "Invalid Certisign signature");
    s.callback(&path, json!({ "action": "CONCLUDED", "key": "0000000000000000" }))
        .await
        .assert_error(401, "Invalid Certisign signature");
    assert_eq!(s.request().await, before, "nothing changed");

    assert_eq!(s.callback(&path, signed_by("bia@example.com")).await.status, 200);
    assert_eq!(
        s.callback(&path, json!({ "action": "REFUSED", "email": "caio@example.com", "key": KEY })).await.status,
        200
    );
    assert_eq!(
        s.callback(&path, json!({ "action": "REFUSED", "email": "caio@example.com", "key": KEY })).await.status,
        200
    );
    assert_eq!(s.callback(&path, json!({ "action": "CONCLUDED", "key": KEY })).await.status, 200);
    let refused = s.request().await;
    assert_eq!(refused["status"], "refused");
    let statuses: Vec<&str> =
        refused["signers"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["signed", "refused"]);
}
