//! Adobe Acrobat Sign end to end through the router and a fake Adobe Sign REST v6 that checks
//! each call of a send (token refresh, multipart transient document, agreement with a
//! participant set per signer, a webhook on the agreement), the verification-of-intent
//! handshake, and notifications — duplicated and reordered — to `signed` or `refused`.

use base64::Engine;
use enspace_testkit::{captured_logs, Reply, TestResponse};
use serde_json::json;

const CLIENT_ID: &str = "CBJCHBCAABAA-client";
const CLIENT_SECRET: &str = "adobe-client-secret";
const REFRESH: &str = "adobe-refresh-token";
const PDF: &[u8] = b"%PDF-1.4 contrato";
const API: &str = "/adobe/api/rest/v6";

provider_setup!();

async fn setup() -> Setup {
    let s = crate::WithProvider::start(
        |p, url| p.adobe_sign = Some(format!("{url}/adobe")),
        json!({ "integration": 2, "data": { "environment": "production", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "refresh_token": REFRESH } }),
    )
    .await;
    let fake = &s.fake;
    fake.reply(
        "POST",
        "/adobe/oauth/v2/refresh",
        vec![Reply::json(200, json!({ "access_token": "3AAA-access", "token_type": "Bearer", "expires_in": 3600 }))],
    );
    fake.reply(
        "POST",
        &format!("{API}/transientDocuments"),
        vec![Reply::json(201, json!({ "transientDocumentId": "td-1" }))],
    );
    fake.reply("POST", &format!("{API}/agreements"), vec![Reply::json(201, json!({ "id": "agr-1" }))]);
    fake.reply("POST", &format!("{API}/webhooks"), vec![Reply::json(201, json!({ "id": "wh-1" }))]);
    Setup(s)
}

impl Setup {
    async fn send(&self) -> TestResponse {
        let body = json!({ "title": "Contrato 3",
            "document": { "filename": "contrato.pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(PDF) },
            "signers": [{ "email": "bia@example.com" }, { "email": "caio@example.com", "action": "APPROVER" }] });
        self.app.post("/integrations/1/signature-requests").key(&self.ana.key).ws("acme").json(&body).send().await
    }

    async fn notify(&self, id: &str, event: &str, participant: Option<&str>, client_id: Option<&str>) -> TestResponse {
        let mut body = json!({ "webhookId": "wh-1", "webhookName": "enspace agr-1", "webhookNotificationId": id,
            "event": event, "eventDate": "2026-11-21T13:00:00Z", "agreement": { "id": "agr-1", "name": "Contrato 3" } });
        if let Some(email) = participant {
            body["participantUserEmail"] = json!(email);
        }
        let mut request = self.app.post("/webhooks/adobe_sign");
        if let Some(client_id) = client_id {
            request = request.header("x-adobesign-clientid", client_id);
        }
        request.raw("application/json", body.to_string().into_bytes()).send().await
    }
}

#[tokio::test]
async fn a_request_goes_out_as_an_agreement_and_ends_signed() {
    let s = setup().await;
    let sent = s.send().await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    assert_eq!((&sent.json()["provider"], &sent.json()["provider_id"]), (&json!("adobe_sign"), &json!("agr-1")));

    let received = s.fake.received();
    let calls: Vec<(&str, &str)> = received.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(
        calls,
        [
            ("POST", "/adobe/oauth/v2/refresh"),
            ("POST", format!("{API}/transientDocuments").as_str()),
            ("POST", format!("{API}/agreements").as_str()),
            ("POST", format!("{API}/webhooks").as_str()),
        ]
    );
    let refresh: Vec<(String, String)> = received[0].form();
    assert!(
        refresh.contains(&("client_secret".into(), CLIENT_SECRET.into()))
            && refresh.contains(&("refresh_token".into(), REFRESH.into()))
    );
    for r in &received[1..] {
        assert_eq!(r.header("authorization"), Some("Bearer 3AAA-access"));
    }
    let upload = &received[1];
    assert!(upload.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let multipart = String::from_utf8_lossy(&upload.body).into_owned();
    assert!(multipart.contains("name=\"File\"; filename=\"contrato.pdf\""), "{multipart}");
    assert!(multipart.contains("%PDF-1.4 contrato") && multipart.contains("name=\"Mime-Type\"\r\n\r\napplication/pdf"));
    assert_eq!(
        received[2].json(),
        json!({ "fileInfos": [{ "transientDocumentId": "td-1" }], "name": "Contrato 3", "signatureType": "ESIGN", "state": "IN_PROCESS",
            "participantSetsInfo": [
                { "memberInfos": [{ "email": "bia@example.com" }], "order": 1, "role": "SIGNER" },
                { "memberInfos": [{ "email": "caio@example.com" }], "order": 2, "role": "APPROVER" }] })
    );
    let webhook = received[3].json();
    assert_eq!(
        (&webhook["scope"], &webhook["resourceType"], &webhook["resourceId"]),
        (&json!("RESOURCE"), &json!("AGREEMENT"), &json!("agr-1"))
    );
    assert_eq!(webhook["webhookUrlInfo"]["url"], "http://127.0.0.1:8080/webhooks/adobe_sign");

    // The verification of intent echoes a known client id, refuses another.
    let verify = s.app.get("/webhooks/adobe_sign").header("x-adobesign-clientid", CLIENT_ID).send().await;
    assert_eq!((verify.status, verify.header("x-adobesign-clientid")), (200, Some(CLIENT_ID)));
    s.app
        .get("/webhooks/adobe_sign")
        .header("x-adobesign-clientid", "someone-else")
        .send()
        .await
        .assert_error(401, "Invalid Adobe Sign client id");

    // Caio approves (notified twice); the workflow completes before Bia's own action arrives.
    let approved = s.notify("n-1", "AGREEMENT_ACTION_COMPLETED", Some("caio@example.com"), Some(CLIENT_ID)).await;
    assert_eq!((approved.status, approved.header("x-adobesign-clientid")), (200, Some(CLIENT_ID)));
    assert_eq!(
        s.notify("n-1", "AGREEMENT_ACTION_COMPLETED", Some("caio@example.com"), Some(CLIENT_ID)).await.status,
        200
    );
    assert_eq!(s.request().await["status"], "partially_signed");
    assert_eq!(s.notify("n-3", "AGREEMENT_WORKFLOW_COMPLETED", None, Some(CLIENT_ID)).await.status, 200);
    assert_eq!(
        s.notify("n-2", "AGREEMENT_ACTION_COMPLETED", Some("bia@example.com"), Some(CLIENT_ID)).await.status,
        200
    );
    let signed = s.request().await;
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["events"].as_array().unwrap().len(), 3);

    s.fake.reply(
        "GET",
        &format!("{API}/agreements/agr-1"),
        vec![Reply::json(200, json!({ "id": "agr-1", "status": "SIGNED" }))],
    );
    s.fake.reply(
        "GET",
        &format!("{API}/agreements/agr-1/combinedDocument"),
        vec![Reply::status(200).body("%PDF signed by adobe")],
    );
    let document = s.app.get("/ws/signature-requests/1/document").key(&s.ana.key).ws("acme").send().await;
    assert_eq!(document.text(), "%PDF signed by adobe");
    assert!(!captured_logs().contains(CLIENT_SECRET) && !captured_logs().contains(REFRESH));
}

#[tokio::test]
async fn a_rejection_ends_it_and_foreign_notifications_change_nothing() {
    let s = setup().await;
    assert_eq!(s.send().await.status, 201);
    let before = s.request().await;
    s.notify("n-9", "AGREEMENT_REJECTED", Some("bia@example.com"), Some("another-app"))
        .await
        .assert_error(401, "Invalid Adobe Sign signature");
    s.notify("n-9", "AGREEMENT_REJECTED", Some("bia@example.com"), None)
        .await
        .assert_error(401, "Invalid Adobe Sign signature");
    let unknown = json!({ "webhookNotificationId": "n-8", "event": "AGREEMENT_WORKFLOW_COMPLETED", "agreement": { "id": "agr-404" } });
    let answer = s
        .app
        .post("/webhooks/adobe_sign")
        .header("x-adobesign-clientid", CLIENT_ID)
        .raw("application/json", unknown.to_string().into_bytes())
        .send()
        .await;
    // About no request of ours: the same answer as a bad signature.
    answer.assert_error(401, "Invalid Adobe Sign signature");
    assert_eq!(s.request().await, before, "nothing changed");

    assert_eq!(
        s.notify("n-1", "AGREEMENT_ACTION_COMPLETED", Some("caio@example.com"), Some(CLIENT_ID)).await.status,
        200
    );
    assert_eq!(s.notify("n-2", "AGREEMENT_REJECTED", Some("bia@example.com"), Some(CLIENT_ID)).await.status, 200);
    assert_eq!(s.notify("n-2", "AGREEMENT_REJECTED", Some("bia@example.com"), Some(CLIENT_ID)).await.status, 200);
    assert_eq!(s.notify("n-3", "AGREEMENT_WORKFLOW_COMPLETED", None, Some(CLIENT_ID)).await.status, 200);
    let refused = s.request().await;
    assert_eq!(refused["status"], "refused");
    let statuses: Vec<&str> =
        refused["signers"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["refused", "signed"]);
    assert_eq!(refused["events"].as_array().unwrap().len(), 3);
}
