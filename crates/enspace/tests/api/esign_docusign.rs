//! Docusign end to end through the router and a fake Docusign: the envelope it receives
//! (document, recipients by role, its own Connect subscription), then Connect callbacks signed
//! with HMAC — duplicated, reordered, under a rotating key — moving the request to `signed` or
//! `refused`; forged or unmatched callbacks change nothing; the signed document downloads.

use base64::Engine;
use enspace_integrations::esign::hmac_sha256_base64;
use enspace_testkit::{captured_logs, FakeProvider, Reply, TestApp, TestResponse, TestUser};
use serde_json::{json, Value};

use crate::validation;

const TOKEN: &str = "ds-access-token-secret";
const OLD_KEY: &str = "connect-key-old";
const NEW_KEY: &str = "connect-key-new";
const PDF: &[u8] = b"%PDF-1.4 contrato";

struct Setup {
    app: TestApp,
    ana: TestUser,
    fake: FakeProvider,
    reference: String,
}

async fn setup() -> Setup {
    let fake = FakeProvider::start().await;
    let url = fake.url.clone();
    let (app, ana) = crate::app_with_integration(
        |p| p.docusign_auth = Some(format!("{url}/auth")),
        json!({ "integration": 8, "data": { "environment": "stage", "user_id": "u-1", "account_id": "acc-1",
            "integration_key": "ik", "access_token": TOKEN, "connect_hmac_keys": format!("{OLD_KEY}, {NEW_KEY}") } }),
    )
    .await;
    let post = |path: &str, body: Value| app.post(path).key(&ana.key).ws("acme").json(&body).send();
    assert_eq!(post("/ws/types", json!({ "name": "Contratos" })).await.status, 201);
    for field in [
        json!({ "name": "Assinatura", "slug": "assinatura", "type": "EnESign" }),
        json!({ "name": "Anexos", "slug": "anexos", "type": "uploadFile" }),
        json!({ "name": "Pequeno", "slug": "pequeno", "type": "uploadFile", "config": { "max_size": 4 } }),
    ] {
        let created = post("/ws/types/contratos/fields", field).await;
        assert_eq!(created.status, 201, "{}", created.text());
    }
    let item = post("/ws/types/contratos/items", json!({ "data": {} })).await;
    assert_eq!(item.status, 201, "{}", item.text());
    let reference = item.json()["reference"].as_str().unwrap().to_string();
    fake.reply(
        "GET",
        "/auth/oauth/userinfo",
        vec![Reply::json(
            200,
            json!({ "sub": "u-1", "accounts": [{ "account_id": "acc-1", "account_name": "Acme", "is_default": true,
                "base_uri": format!("{url}/ds") }] }),
        )],
    );
    Setup { app, ana, fake, reference }
}

const ENVELOPES: &str = "/ds/restapi/v2.1/accounts/acc-1/envelopes";

impl Setup {
    async fn send(&self, body: Value) -> TestResponse {
        self.app.post("/integrations/1/signature-requests").key(&self.ana.key).ws("acme").json(&body).send().await
    }

    async fn request(&self, id: i64) -> Value {
        self.app.get(&format!("/ws/signature-requests/{id}")).key(&self.ana.key).ws("acme").send().await.json()
    }

    /// A Connect message for `envelope`, signed with each of `keys` (one header per key).
    async fn connect(&self, event: &str, envelope: &str, recipient: Option<&str>, keys: &[&str]) -> TestResponse {
        let mut data = json!({ "accountId": "acc-1", "userId": "u-1", "envelopeId": envelope });
        if let Some(r) = recipient {
            data["recipientId"] = json!(r);
        }
        let body = json!({ "event": event, "apiVersion": "v2.1", "uri": format!("/restapi/v2.1/accounts/acc-1/envelopes/{envelope}"),
            "retryCount": 0, "configurationId": 10, "generatedDateTime": "2026-11-21T10:00:00.000Z", "data": data })
        .to_string();
        let mut request = self.app.post("/webhooks/docusign");
        for (i, key) in keys.iter().enumerate() {
            request = request.header(
                &format!("x-docusign-signature-{}", i + 1),
                &hmac_sha256_base64(key.as_bytes(), body.as_bytes()),
            );
        }
        request.raw("application/json", body.into_bytes()).send().await
    }
}

fn contract(reference: &str) -> Value {
    json!({ "title": "Contrato 42", "item": { "type": "contratos", "reference": reference },
        "document": { "filename": "contrato.pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(PDF) },
        "signers": [{ "email": "bia@example.com", "name": "Bia" }, { "email": "caio@example.com", "action": "signer" },
            { "email": "dora@example.com", "action": "carbon_copy" }] })
}

#[tokio::test]
async fn a_request_goes_out_as_an_envelope_and_ends_signed() {
    let s = setup().await;
    s.fake.reply(
        "POST",
        ENVELOPES,
        vec![Reply::json(
            201,
            json!({ "envelopeId": "env-1", "status": "sent", "statusDateTime": "2026-11-21T10:00:00Z" }),
        )],
    );
    let sent = s.send(contract(&s.reference)).await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let body = sent.json();
    let at = crate::time(&body["created_at"]);
    assert_eq!(
        body,
        json!({ "id": 1, "integration": 1, "provider": "docusign", "provider_id": "env-1", "title": "Contrato 42", "status": "sent",
            "signers": [
                { "email": "bia@example.com", "name": "Bia", "action": "signer", "status": "pending", "signed_at": null },
                { "email": "caio@example.com", "name": null, "action": "signer", "status": "pending", "signed_at": null },
                { "email": "dora@example.com", "name": null, "action": "carbon_copy", "status": "pending", "signed_at": null }],
            "events": [], "item": { "type": "contratos", "reference": s.reference }, "document_name": "contrato.pdf",
            "created_at": at, "updated_at": at })
    );
    let received = s.fake.received();
    let create = received.iter().find(|r| r.method == "POST").expect("the envelope was created");
    assert_eq!(create.path, ENVELOPES);
    assert_eq!(create.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    let envelope = create.json();
    assert_eq!(envelope["emailSubject"], "Contrato 42");
    assert_eq!(envelope["status"], "sent");
    assert_eq!(
        envelope["documents"],
        json!([{ "documentId": "1", "name": "contrato.pdf", "fileExtension": "pdf",
            "documentBase64": base64::engine::general_purpose::STANDARD.encode(PDF) }])
    );
    let signers = &envelope["recipients"]["signers"];
    assert_eq!(
        (&signers[0]["email"], &signers[0]["name"], &signers[0]["recipientId"]),
        (&json!("bia@example.com"), &json!("Bia"), &json!("1"))
    );
    assert_eq!((&signers[1]["email"], &signers[1]["recipientId"]), (&json!("caio@example.com"), &json!("2")));
    assert_eq!(
        envelope["recipients"]["carbonCopies"],
        json!([{ "email": "dora@example.com", "name": "dora@example.com", "recipientId": "3", "routingOrder": "1" }])
    );
    let notification = &envelope["eventNotification"];
    assert_eq!(notification["url"], "http://127.0.0.1:8080/webhooks/docusign");
    assert_eq!((&notification["deliveryMode"], &notification["includeHMAC"]), (&json!("SIM"), &json!("true")));

    // Caio signs; the message arrives twice, once signed only with the new key.
    assert_eq!(s.connect("recipient-completed", "env-1", Some("2"), &[OLD_KEY]).await.status, 200);
    assert_eq!(s.connect("recipient-completed", "env-1", Some("2"), &["other", NEW_KEY]).await.status, 200);
    let partial = s.request(1).await;
    assert_eq!(partial["status"], "partially_signed");
    assert_eq!(partial["signers"][1]["status"], "signed");
    assert_eq!(partial["events"].as_array().unwrap().len(), 1, "a repeated delivery is recorded once");
    // The envelope's completion outruns Bia's own message.
    assert_eq!(s.connect("envelope-completed", "env-1", None, &[NEW_KEY]).await.status, 200);
    assert_eq!(s.connect("recipient-completed", "env-1", Some("1"), &[NEW_KEY]).await.status, 200);
    assert_eq!(s.connect("envelope-completed", "env-1", None, &[NEW_KEY]).await.status, 200);
    let signed = s.request(1).await;
    assert_eq!(signed["status"], "signed");
    let statuses: Vec<&str> =
        signed["signers"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["signed", "signed", "pending"], "a carbon copy does not sign");
    let events: Vec<&str> = signed["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(events, ["recipient-completed", "envelope-completed", "recipient-completed"]);

    // The item's history tells the story.
    let history = s
        .app
        .get(&format!("/ws/types/contratos/items/{}/history", s.reference))
        .key(&s.ana.key)
        .ws("acme")
        .send()
        .await
        .json();
    let told: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "signature_request")
        .map(|h| &h["changes"]["signature_request"]["status"])
        .collect();
    assert_eq!(told, [&json!("signed"), &json!("sent")], "newest first");
    // The same lines are the request's events, naming the item they belong to (decision 64).
    let item = s.app.get(&format!("/ws/types/contratos/items/{}", s.reference)).key(&s.ana.key).ws("acme").send().await;
    let feed = s.app.get("/ws/events?kind=signature_request.*").key(&s.ana.key).ws("acme").send().await.json();
    let subjects: Vec<(&Value, &Value)> =
        feed.as_array().unwrap().iter().map(|e| (&e["kind"], &e["subject"])).collect();
    let subject = json!({ "type": "signature_request", "id": 1, "item_type": "contratos",
        "item": { "id": item.json()["id"], "reference": s.reference } });
    assert_eq!(
        subjects,
        [(&json!("signature_request.created"), &subject), (&json!("signature_request.updated"), &subject)]
    );

    // The signed document comes from Docusign.
    s.fake.reply(
        "GET",
        &format!("{ENVELOPES}/env-1"),
        vec![Reply::json(200, json!({ "envelopeId": "env-1", "status": "completed" }))],
    );
    s.fake.reply("GET", &format!("{ENVELOPES}/env-1/documents/combined"), vec![Reply::status(200).body("%PDF signed")]);
    let document = s.app.get("/ws/signature-requests/1/document").key(&s.ana.key).ws("acme").send().await;
    assert_eq!(document.status, 200);
    assert_eq!(document.header("content-type"), Some("application/pdf"));
    assert_eq!(document.header("content-disposition"), Some("attachment; filename=\"contrato-signed.pdf\""));
    assert_eq!(document.text(), "%PDF signed");
    // The signed document goes into the item: an EnESign field, then appended to a file field.
    let attach = |field: &str| {
        s.app.post("/ws/signature-requests/1/attach").key(&s.ana.key).ws("acme").json(&json!({ "field": field })).send()
    };
    let signed_at =
        signed["signers"][0]["signed_at"].as_str().unwrap().max(signed["signers"][1]["signed_at"].as_str().unwrap());
    attach("assinatura").await.assert(
        200,
        json!({ "field": "assinatura", "value": { "signer": "bia@example.com, caio@example.com", "signedAt": signed_at, "url": "/ws/files/1" } }),
    );
    let files = attach("anexos").await;
    assert_eq!(files.status, 200, "{}", files.text());
    assert_eq!(files.json()["value"][0]["url"], "/ws/files/2");
    assert_eq!(files.json()["value"][0]["filename"], "contrato-signed.pdf");
    let item =
        s.app.get(&format!("/ws/types/contratos/items/{}", s.reference)).key(&s.ana.key).ws("acme").send().await.json();
    assert_eq!(item["data"]["assinatura"]["url"], "/ws/files/1");
    assert_eq!(item["data"]["anexos"].as_array().unwrap().len(), 1);
    let file = s.app.get("/ws/files/2").key(&s.ana.key).ws("acme").send().await;
    assert_eq!(file.text(), "%PDF signed");
    // The attach goes through the item writer: the field's own rules refuse what they refuse.
    attach("pequeno").await.assert(
        400,
        crate::validation(
            json!([{ "path": "data.pequeno[0]", "message": "is 11 bytes, over the field's limit of 4 bytes" }]),
        ),
    );
    // And each attach is an item update in the event log, made through the integration.
    let events = s.app.get("/ws/events?kind=item.updated").key(&s.ana.key).ws("acme").send().await.json();
    let attached: Vec<(&Value, Vec<&String>)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (&e["source"], e["changes"].as_object().unwrap().keys().collect()))
        .collect();
    assert_eq!(
        attached,
        [
            (&json!("integration"), vec![&"assinatura".to_string()]),
            (&json!("integration"), vec![&"anexos".to_string()])
        ]
    );
    attach("nope").await.assert(
        400,
        crate::validation(
            json!([{ "path": "field", "message": "no EnESign or file field \"nope\" in type contratos" }]),
        ),
    );
    let listed = s.app.get("/ws/signature-requests?status=signed").key(&s.ana.key).ws("acme").send().await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!captured_logs().contains(TOKEN) && !captured_logs().contains(OLD_KEY));
    // Nor in the database or the request log.
    s.app.flush_request_log().await;
    let stored = crate::database_text(&s.app).await;
    let request_log = s.app.get("/user/request-logs?_limit=1000").key(&s.ana.key).send().await.text();
    assert!(request_log.contains("signature-requests"), "the request log holds the requests");
    for secret in [TOKEN, OLD_KEY, NEW_KEY] {
        assert!(
            !stored.contains(secret) && !request_log.contains(secret),
            "a credential is stored or logged in the clear"
        );
    }
}

#[tokio::test]
async fn a_refusal_is_final_whatever_arrives_after_it() {
    let s = setup().await;
    s.fake.reply("POST", ENVELOPES, vec![Reply::json(201, json!({ "envelopeId": "env-9", "status": "sent" }))]);
    assert_eq!(s.send(contract(&s.reference)).await.status, 201);
    assert_eq!(s.connect("recipient-declined", "env-9", Some("1"), &[OLD_KEY]).await.status, 200);
    assert_eq!(s.connect("recipient-completed", "env-9", Some("2"), &[OLD_KEY]).await.status, 200);
    assert_eq!(s.connect("envelope-declined", "env-9", None, &[OLD_KEY]).await.status, 200);
    assert_eq!(s.connect("recipient-declined", "env-9", Some("1"), &[OLD_KEY]).await.status, 200);
    assert_eq!(s.connect("envelope-completed", "env-9", None, &[OLD_KEY]).await.status, 200);
    let refused = s.request(1).await;
    assert_eq!(refused["status"], "refused");
    let statuses: Vec<&str> =
        refused["signers"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["refused", "signed", "pending"]);
    assert_eq!(refused["events"].as_array().unwrap().len(), 4, "the repeated decline is recorded once");
    s.app
        .get("/ws/signature-requests/1/document")
        .key(&s.ana.key)
        .ws("acme")
        .send()
        .await
        .assert_error(409, "The request is refused: there is no signed document");
    s.app
        .post("/ws/signature-requests/1/attach")
        .key(&s.ana.key)
        .ws("acme")
        .json(&json!({ "field": "assinatura" }))
        .send()
        .await
        .assert_error(409, "The request is refused: there is no signed document");
}

#[tokio::test]
async fn forged_unmatched_and_bad_callbacks_change_nothing() {
    let s = setup().await;
    s.fake.reply("POST", ENVELOPES, vec![Reply::json(201, json!({ "envelopeId": "env-1", "status": "sent" }))]);
    assert_eq!(s.send(contract(&s.reference)).await.status, 201);
    let before = s.request(1).await;
    s.connect("envelope-completed", "env-1", None, &["not-our-key"])
        .await
        .assert_error(401, "Invalid Docusign signature");
    s.connect("envelope-completed", "env-1", None, &[]).await.assert_error(401, "Invalid Docusign signature");
    s.connect("envelope-completed", "env-404", None, &[OLD_KEY]).await.assert_error(401, "Invalid Docusign signature");
    let garbage = s.app.post("/webhooks/docusign").raw("application/json", b"{".to_vec()).send().await;
    assert_eq!(garbage.status, 400);
    assert_eq!(s.request(1).await, before, "nothing changed");

    // Bad requests name every problem; other integrations' ids are 404s.
    s.send(json!({ "signers": [{ "email": "x", "action": "witness" }], "document": { "content_base64": "***" },
        "item": { "type": "nope", "reference": "1" } }))
        .await
        .assert(
            400,
            validation(json!([
                { "path": "title", "message": "is required" },
                { "path": "signers[0].email", "message": "\"x\" is not a valid email address" },
                { "path": "signers[0].action", "message": "expected a Docusign role: one of signer, carbon_copy, certified_delivery, agent, configurator, intermediary, got \"witness\"" },
                { "path": "item.type", "message": "no type \"nope\" in this workspace" },
                { "path": "document.filename", "message": "is required with content_base64" },
                { "path": "document.content_base64", "message": "is not base64" }
            ])),
        );
    s.app
        .post("/integrations/99/signature-requests")
        .key(&s.ana.key)
        .ws("acme")
        .json(&contract(&s.reference))
        .send()
        .await
        .assert_error(404, "Integration not found");
    // A provider refusal is a 502 with Docusign's message, and nothing is recorded.
    s.fake.reply(
        "POST",
        ENVELOPES,
        vec![Reply::json(400, json!({ "errorCode": "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT", "message": "The email address for the recipient is invalid." }))],
    );
    s.send(contract(&s.reference))
        .await
        .assert_error(502, "Docusign answered 400: The email address for the recipient is invalid.");
    let all = s.app.get("/ws/signature-requests").key(&s.ana.key).ws("acme").send().await.json();
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_uploaded_file_can_be_the_document() {
    let s = setup().await;
    let uploaded = s
        .app
        .post("/ws/files")
        .key(&s.ana.key)
        .ws("acme")
        .multipart(&[("file", Some("proposta.pdf"), PDF)])
        .send()
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    let file = uploaded.json()[0]["id"].as_i64().unwrap();
    s.fake.reply("POST", ENVELOPES, vec![Reply::json(201, json!({ "envelopeId": "env-f", "status": "sent" }))]);
    let sent = s
        .send(json!({ "title": "Proposta", "document": { "file": file }, "signers": [{ "email": "bia@example.com" }] }))
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    assert_eq!(sent.json()["document_name"], "proposta.pdf");
    let create = s.fake.received().into_iter().find(|r| r.method == "POST").unwrap().json();
    assert_eq!(create["documents"][0]["documentBase64"], base64::engine::general_purpose::STANDARD.encode(PDF));
    assert_eq!(create["documents"][0]["name"], "proposta.pdf");
    s.send(json!({ "title": "X", "document": { "file": 999 }, "signers": [{ "email": "bia@example.com" }] }))
        .await
        .assert(400, validation(json!([{ "path": "document.file", "message": "no file 999 in this workspace" }])));
}
