//! Clicksign end to end through the router and a fake Clicksign API v3 that checks each call
//! of a send (envelope, document as a data URI, signers, their requirements, activation,
//! notification — JSON:API, bare access token), then webhook deliveries signed with
//! `Content-Hmac: sha256=<hex>`, duplicated and reordered, to `signed` or `refused`.

use std::sync::Arc;

use base64::Engine;
use enspace_integrations::esign::hmac_sha256_hex;
use enspace_testkit::{captured_logs, Received, Reply, TestResponse};
use serde_json::{json, Value};

const TOKEN: &str = "cs-access-token-secret";
const SECRET: &str = "cs-webhook-hmac-secret";
const PDF: &[u8] = b"%PDF-1.4 contrato";
const API: &str = "/cs/api/v3";

provider_setup!();

async fn setup() -> Setup {
    let s = crate::WithProvider::start(
        |p, url| p.clicksign = Some(format!("{url}{API}")),
        json!({ "integration": 5, "data": { "environment": "production", "token": TOKEN, "webhook_secret": SECRET } }),
    )
    .await;
    let fake = &s.fake;
    let created = |id: &str| Reply::json(201, json!({ "data": { "id": id, "type": "x", "attributes": {} } }));
    fake.reply("POST", &format!("{API}/envelopes"), vec![created("env-c1")]);
    fake.reply("POST", &format!("{API}/envelopes/env-c1/documents"), vec![created("doc-c1")]);
    fake.respond_with(
        "POST",
        &format!("{API}/envelopes/env-c1/signers"),
        Arc::new(move |_, before| {
            let n = before.iter().filter(|r| r.path.ends_with("/signers")).count() + 1;
            Reply::json(201, json!({ "data": { "id": format!("sig-{n}"), "type": "signers" } }))
        }),
    );
    fake.reply("POST", &format!("{API}/envelopes/env-c1/requirements"), vec![created("req")]);
    fake.reply(
        "PATCH",
        &format!("{API}/envelopes/env-c1"),
        vec![Reply::json(200, json!({ "data": { "id": "env-c1" } }))],
    );
    fake.reply("POST", &format!("{API}/envelopes/env-c1/notifications"), vec![Reply::json(201, json!({}))]);
    Setup(s)
}

impl Setup {
    async fn send(&self) -> TestResponse {
        let body = json!({ "title": "Contrato 7",
            "document": { "filename": "contrato.pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(PDF) },
            "signers": [{ "email": "bia@example.com", "name": "Bia" }, { "email": "caio@example.com", "action": "witness" }] });
        self.app.post("/integrations/1/signature-requests").key(&self.ana.key).ws("acme").json(&body).send().await
    }

    /// A webhook delivery about `document`, signed with `secret` (none: unsigned).
    async fn deliver(&self, event: &str, signer: Option<&str>, document: &str, secret: Option<&str>) -> TestResponse {
        let data = match signer {
            Some(email) => json!({ "signer": { "email": email, "key": format!("k-{email}"), "sign_as": "sign" } }),
            None => Value::Null,
        };
        let body = json!({ "event": { "name": event, "data": data, "occurred_at": "2026-11-21T10:00:00.000-03:00" },
            "document": { "key": document, "filename": "contrato.pdf", "status": "running" } })
        .to_string();
        let mut request = self.app.post("/webhooks/clicksign");
        if let Some(secret) = secret {
            request = request
                .header("content-hmac", &format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), body.as_bytes())));
        }
        request.raw("application/json", body.into_bytes()).send().await
    }
}

fn writes(received: &[Received]) -> Vec<(String, String)> {
    received.iter().filter(|r| r.method != "GET").map(|r| (r.method.clone(), r.path.clone())).collect()
}

#[tokio::test]
async fn a_request_goes_out_as_an_envelope_and_ends_signed() {
    let s = setup().await;
    let sent = s.send().await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let body = sent.json();
    assert_eq!(
        (&body["provider"], &body["provider_id"], &body["status"]),
        (&json!("clicksign"), &json!("env-c1"), &json!("sent"))
    );
    assert_eq!(body["signers"][1]["action"], "witness");
    assert_eq!(body["signers"][0]["action"], "sign", "Clicksign's default role");

    let received = s.fake.received();
    let call = |m: &str, p: &str| (m.to_string(), format!("{API}{p}"));
    let requirement = call("POST", "/envelopes/env-c1/requirements");
    assert_eq!(
        writes(&received),
        [
            call("POST", "/envelopes"),
            call("POST", "/envelopes/env-c1/documents"),
            call("POST", "/envelopes/env-c1/signers"),
            requirement.clone(),
            requirement.clone(),
            call("POST", "/envelopes/env-c1/signers"),
            requirement.clone(),
            requirement,
            call("PATCH", "/envelopes/env-c1"),
            call("POST", "/envelopes/env-c1/notifications"),
        ]
    );
    for r in &received {
        assert_eq!(r.header("authorization"), Some(TOKEN), "the bare access token");
        assert_eq!(r.header("content-type"), Some("application/vnd.api+json"));
        assert_eq!(r.header("accept"), Some("application/vnd.api+json"));
    }
    assert_eq!(
        received[0].json(),
        json!({ "data": { "type": "envelopes", "attributes": { "name": "Contrato 7", "locale": "pt-BR", "auto_close": true,
            "remind_interval": 3, "block_after_refusal": true } } })
    );
    let data_uri = format!("data:application/pdf;base64,{}", base64::engine::general_purpose::STANDARD.encode(PDF));
    assert_eq!(
        received[1].json(),
        json!({ "data": { "type": "documents", "attributes": { "filename": "contrato.pdf", "content_base64": data_uri } } })
    );
    assert_eq!(
        received[2].json()["data"]["attributes"],
        json!({ "name": "Bia", "email": "bia@example.com", "communicate_events": { "signature_request": "email",
            "signature_reminder": "email", "document_signed": "email" } })
    );
    let relationships = |signer: &str| json!({ "document": { "data": { "type": "documents", "id": "doc-c1" } }, "signer": { "data": { "type": "signers", "id": signer } } });
    assert_eq!(
        received[3].json(),
        json!({ "data": { "type": "requirements", "attributes": { "action": "agree", "role": "sign" }, "relationships": relationships("sig-1") } })
    );
    assert_eq!(received[4].json()["data"]["attributes"], json!({ "action": "provide_evidence", "auth": "email" }));
    assert_eq!(received[6].json()["data"]["attributes"]["role"], "witness");
    assert_eq!(received[7].json()["data"]["relationships"], relationships("sig-2"));
    assert_eq!(
        received[8].json(),
        json!({ "data": { "id": "env-c1", "type": "envelopes", "attributes": { "status": "running" } } })
    );

    // Caio signs (delivered twice); the document closes before Bia's own event arrives.
    assert_eq!(s.deliver("sign", Some("caio@example.com"), "doc-c1", Some(SECRET)).await.status, 200);
    assert_eq!(s.deliver("sign", Some("CAIO@example.com"), "doc-c1", Some(SECRET)).await.status, 200);
    assert_eq!(s.request().await["status"], "partially_signed");
    assert_eq!(s.deliver("auto_close", None, "doc-c1", Some(SECRET)).await.status, 200);
    assert_eq!(s.deliver("sign", Some("bia@example.com"), "doc-c1", Some(SECRET)).await.status, 200);
    assert_eq!(s.deliver("document_closed", None, "doc-c1", Some(SECRET)).await.status, 200);
    let signed = s.request().await;
    assert_eq!(signed["status"], "signed");
    let events: Vec<&str> = signed["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(events, ["sign", "auto_close", "sign", "document_closed"]);
    assert!(signed["signers"].as_array().unwrap().iter().all(|x| x["status"] == "signed"));

    // The signed file is Clicksign's `signed` link.
    s.fake.reply(
        "GET",
        &format!("{API}/envelopes/env-c1/documents/doc-c1"),
        vec![Reply::json(
            200,
            json!({ "data": { "id": "doc-c1", "type": "documents", "attributes": { "status": "closed" },
            "links": { "files": { "signed": format!("{}/files/signed.pdf", s.fake.url) } } } }),
        )],
    );
    s.fake.reply("GET", "/files/signed.pdf", vec![Reply::status(200).body("%PDF signed by clicksign")]);
    let document = s.app.get("/ws/signature-requests/1/document").key(&s.ana.key).ws("acme").send().await;
    assert_eq!(document.status, 200, "{}", document.text());
    assert_eq!(document.text(), "%PDF signed by clicksign");
    assert!(!captured_logs().contains(TOKEN) && !captured_logs().contains(SECRET));
}

#[tokio::test]
async fn a_refusal_ends_it_and_forged_deliveries_change_nothing() {
    let s = setup().await;
    assert_eq!(s.send().await.status, 201);
    let before = s.request().await;
    s.deliver("refusal", Some("bia@example.com"), "doc-c1", Some("wrong-secret"))
        .await
        .assert_error(401, "Invalid Clicksign signature");
    s.deliver("refusal", Some("bia@example.com"), "doc-c1", None)
        .await
        .assert_error(401, "Invalid Clicksign signature");
    s.deliver("refusal", Some("bia@example.com"), "doc-unknown", Some(SECRET))
        .await
        .assert_error(401, "Invalid Clicksign signature");
    assert_eq!(s.request().await, before, "nothing changed");

    assert_eq!(s.deliver("sign", Some("caio@example.com"), "doc-c1", Some(SECRET)).await.status, 200);
    assert_eq!(s.deliver("refusal", Some("bia@example.com"), "doc-c1", Some(SECRET)).await.status, 200);
    assert_eq!(s.deliver("refusal", Some("bia@example.com"), "doc-c1", Some(SECRET)).await.status, 200);
    assert_eq!(s.deliver("auto_close", None, "doc-c1", Some(SECRET)).await.status, 200);
    let refused = s.request().await;
    assert_eq!(refused["status"], "refused");
    let statuses: Vec<&str> =
        refused["signers"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["refused", "signed"]);
    assert_eq!(refused["events"].as_array().unwrap().len(), 3, "the repeated refusal is recorded once");
}

#[tokio::test]
async fn a_clicksign_role_outside_its_vocabulary_is_refused() {
    let s = setup().await;
    let body = json!({ "title": "T", "document": { "filename": "a.pdf", "content_base64": "JVBERg==" },
        "signers": [{ "email": "bia@example.com", "action": "signer" }] });
    let answer = s.app.post("/integrations/1/signature-requests").key(&s.ana.key).ws("acme").json(&body).send().await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["details"][0]["path"], "signers[0].action");
    assert!(s.fake.received().is_empty(), "nothing reached Clicksign");
}
