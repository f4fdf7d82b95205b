//! D4Sign end to end through the router and a fake D4Sign API v1 that checks each call of a
//! send (the safe, the base64 upload, the signer list with acts, the webhook, the send — keys
//! in the query string), then form-encoded POSTBacks signed with `Content-Hmac` (the HMAC of
//! the document's uuid), duplicated and reordered, to `signed` or `refused`.

use base64::Engine;
use enspace_integrations::esign::hmac_sha256_hex;
use enspace_testkit::{captured_logs, Reply, TestResponse};
use serde_json::json;

const TOKEN: &str = "live_d4-token-secret";
const CRYPT: &str = "live_crypt_d4-crypt-secret";
const HMAC: &str = "d4-hmac-secret";
const PDF: &[u8] = b"%PDF-1.4 contrato";
const API: &str = "/d4/api/v1";
const DOC: &str = "8a5f-doc";

provider_setup!();

async fn setup() -> Setup {
    let s = crate::WithProvider::start(
        |p, url| p.d4sign = Some(format!("{url}{API}")),
        json!({ "integration": 3, "data": { "environment": "stage", "token": TOKEN, "crypt_key": CRYPT, "hmac_secret": HMAC } }),
    )
    .await;
    let fake = &s.fake;
    fake.reply(
        "GET",
        &format!("{API}/safes"),
        vec![Reply::json(200, json!([{ "uuid_safe": "safe-1", "name-safe": "Contratos" }]))],
    );
    fake.reply("POST", &format!("{API}/documents/safe-1/uploadbinary"), vec![Reply::json(200, json!({ "uuid": DOC }))]);
    let ok = |m: &str| Reply::json(200, json!({ "message": m }));
    fake.reply("POST", &format!("{API}/documents/{DOC}/createlist"), vec![ok("success")]);
    fake.reply("POST", &format!("{API}/documents/{DOC}/webhooks"), vec![ok("Webhook successfully registered")]);
    fake.reply("POST", &format!("{API}/documents/{DOC}/sendtosigner"), vec![ok("File sent to successfully signing")]);
    Setup(s)
}

impl Setup {
    async fn send(&self) -> TestResponse {
        let body = json!({ "title": "Contrato 9",
            "document": { "filename": "contrato.pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(PDF) },
            "signers": [{ "email": "bia@example.com" }, { "email": "caio@example.com", "action": 5 }] });
        self.app.post("/integrations/1/signature-requests").key(&self.ana.key).ws("acme").json(&body).send().await
    }

    /// A POSTBack about `uuid`, signed over that uuid with `secret` (none: unsigned).
    async fn postback(
        &self,
        uuid: &str,
        kind: &str,
        message: &str,
        email: Option<&str>,
        secret: Option<&str>,
    ) -> TestResponse {
        let mut fields = vec![("uuid", uuid), ("type_post", kind), ("message", message)];
        if let Some(email) = email {
            fields.push(("email", email));
        }
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut request = self.app.post("/webhooks/d4sign");
        if let Some(secret) = secret {
            request = request
                .header("content-hmac", &format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), uuid.as_bytes())));
        }
        request.raw("application/x-www-form-urlencoded", body).send().await
    }
}

#[tokio::test]
async fn a_request_goes_out_through_a_safe_and_ends_signed() {
    let s = setup().await;
    let sent = s.send().await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let body = sent.json();
    assert_eq!((&body["provider"], &body["provider_id"]), (&json!("d4sign"), &json!(DOC)));
    assert_eq!((&body["signers"][0]["action"], &body["signers"][1]["action"]), (&json!("1"), &json!("5")));

    let received = s.fake.received();
    let calls: Vec<(&str, &str)> = received.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    let path = |p: &str| format!("{API}{p}");
    assert_eq!(
        calls,
        [
            ("GET", path("/safes").as_str()),
            ("POST", path("/documents/safe-1/uploadbinary").as_str()),
            ("POST", path(&format!("/documents/{DOC}/createlist")).as_str()),
            ("POST", path(&format!("/documents/{DOC}/webhooks")).as_str()),
            ("POST", path(&format!("/documents/{DOC}/sendtosigner")).as_str()),
        ]
    );
    for r in &received {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(r.query.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
        assert_eq!(query, [("tokenAPI".to_string(), TOKEN.to_string()), ("cryptKey".into(), CRYPT.into())]);
    }
    assert_eq!(
        received[1].json(),
        json!({ "base64_binary_file": base64::engine::general_purpose::STANDARD.encode(PDF), "mime_type": "application/pdf",
            "name": "contrato.pdf" })
    );
    let signer = |email: &str, act: &str| {
        json!({ "email": email, "act": act, "foreign": "0", "certificadoicpbr": "0", "assinatura_presencial": "0",
            "embed_methodauth": "email", "embed_smsnumber": "" })
    };
    assert_eq!(
        received[2].json(),
        json!({ "signers": [signer("bia@example.com", "1"), signer("caio@example.com", "5")] })
    );
    assert_eq!(received[3].json(), json!({ "url": "http://127.0.0.1:8080/webhooks/d4sign" }));
    assert_eq!(received[4].json(), json!({ "message": "Contrato 9", "skip_email": "0", "workflow": "0" }));

    // Signed by Caio (twice), finished before Bia's own POSTBack arrives.
    assert_eq!(s.postback(DOC, "4", "Signed", Some("caio@example.com"), Some(HMAC)).await.status, 200);
    assert_eq!(s.postback(DOC, "4", "Signed", Some("caio@example.com"), Some(HMAC)).await.status, 200);
    assert_eq!(s.request().await["status"], "partially_signed");
    assert_eq!(s.postback(DOC, "1", "Finished document", None, Some(HMAC)).await.status, 200);
    assert_eq!(s.postback(DOC, "4", "Signed", Some("bia@example.com"), Some(HMAC)).await.status, 200);
    let signed = s.request().await;
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["events"].as_array().unwrap().len(), 3);

    // The PDF through D4Sign's download link.
    s.fake.reply(
        "GET",
        &format!("{API}/documents/{DOC}"),
        vec![Reply::json(200, json!([{ "uuidDoc": DOC, "statusId": "4", "statusName": "Finalizado" }]))],
    );
    s.fake.reply(
        "POST",
        &format!("{API}/documents/{DOC}/download"),
        vec![Reply::json(200, json!({ "url": format!("{}/files/d4.pdf", s.fake.url), "name": "contrato" }))],
    );
    s.fake.reply("GET", "/files/d4.pdf", vec![Reply::status(200).body("%PDF signed by d4sign")]);
    let document = s.app.get("/ws/signature-requests/1/document").key(&s.ana.key).ws("acme").send().await;
    assert_eq!(document.text(), "%PDF signed by d4sign");
    assert_eq!(
        s.fake.received().iter().find(|r| r.path.ends_with("/download")).unwrap().json(),
        json!({ "type": "PDF", "language": "pt" })
    );
    let logs = captured_logs();
    assert!(
        !logs.contains(TOKEN) && !logs.contains(CRYPT) && !logs.contains(HMAC),
        "D4Sign's keys travel in URLs: never logged"
    );
    // Nor in the database or the request log.
    s.app.flush_request_log().await;
    let stored = crate::database_text(&s.app).await;
    let request_log = s.app.get("/user/request-logs?_limit=1000").key(&s.ana.key).send().await.text();
    assert!(request_log.contains("signature-requests"), "the request log holds the requests");
    for secret in [TOKEN, CRYPT, HMAC] {
        assert!(
            !stored.contains(secret) && !request_log.contains(secret),
            "a credential is stored or logged in the clear"
        );
    }
}

#[tokio::test]
async fn a_refusal_ends_it_and_forged_postbacks_change_nothing() {
    let s = setup().await;
    assert_eq!(s.send().await.status, 201);
    let before = s.request().await;
    s.postback(DOC, "1", "Finished document", None, Some("not-the-secret"))
        .await
        .assert_error(401, "Invalid D4Sign signature");
    s.postback(DOC, "1", "Finished document", None, None).await.assert_error(401, "Invalid D4Sign signature");
    s.postback("other-doc", "1", "Finished document", None, Some(HMAC))
        .await
        .assert_error(401, "Invalid D4Sign signature");
    assert_eq!(s.request().await, before, "nothing changed");

    assert_eq!(
        s.postback(DOC, "3", "Document refused by signer", Some("caio@example.com"), Some(HMAC)).await.status,
        200
    );
    assert_eq!(s.postback(DOC, "4", "Signed", Some("bia@example.com"), Some(HMAC)).await.status, 200);
    assert_eq!(s.postback(DOC, "1", "Finished document", None, Some(HMAC)).await.status, 200);
    assert_eq!(
        s.postback(DOC, "3", "Document refused by signer", Some("caio@example.com"), Some(HMAC)).await.status,
        200
    );
    let refused = s.request().await;
    assert_eq!(refused["status"], "refused");
    let statuses: Vec<&str> =
        refused["signers"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["signed", "refused"]);
    assert_eq!(refused["events"].as_array().unwrap().len(), 3);
}
