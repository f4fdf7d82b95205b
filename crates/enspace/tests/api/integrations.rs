//! Integrations through the router: the catalogue, installs in the reference's shape with
//! secrets never answered, validation with every problem, one per type (per phone for
//! WhatsApp), merge on update, uninstall, and secrets kept out of the database, logs and
//! request log.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::{time, validation};

fn kind(id: i64, name: &str, slug: &str) -> Value {
    json!({ "id": id, "name": name, "description": format!("integrations.{slug}.description"),
        "category": format!("integrations.{slug}.category"), "slug": slug,
        "created_at": "2025-06-17T15:40:10.459Z", "updated_at": "2025-06-17T15:40:10.459Z", "media": [] })
}

async fn setup(app: &TestApp) -> TestUser {
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    ana
}

fn send<'a>(
    app: &'a TestApp,
    user: &TestUser,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> impl std::future::Future<Output = enspace_testkit::TestResponse> + 'a {
    let mut request = app.request(method, path).key(&user.key).ws("acme");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send()
}

const SECRET: &str = "SG.never-show-this-4b1d";

#[tokio::test]
async fn the_catalogue_lists_the_eight_with_their_schemas() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let catalogue = app.get("/integrations/catalog").key(&ana.key).send().await.json();
    let ids: Vec<i64> = catalogue.as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8]);
    let mut whatsapp = catalogue[5].clone();
    let schema = whatsapp.as_object_mut().unwrap().remove("schema").unwrap();
    assert_eq!(whatsapp, kind(6, "Whatsapp Twilio", "whatsapp_twilio"));
    assert_eq!(schema["required"], json!(["phone_number"]));
    assert_eq!(
        schema["properties"]["auth_token"],
        json!({ "type": "string", "maxLength": 4096, "writeOnly": true, "x-secret": true })
    );
    assert_eq!(schema["properties"]["autoclose_minutes"], json!({ "type": "integer", "minimum": 0, "maximum": 59 }));
    app.get("/integrations/catalog").send().await.assert_error(401, "Invalid or missing API key");
}

#[tokio::test]
async fn installs_answer_in_the_reference_shape_without_secrets() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let sendgrid = send(
        &app,
        &ana,
        "POST",
        "/integrations",
        Some(json!({ "integration": 4, "data": { "environment": "stage", "api_key": SECRET,
            "from_email": "no-reply@acme.com", "from_name": "Acme", "changeKeys": false } })),
    )
    .await;
    assert_eq!(sendgrid.status, 201, "{}", sendgrid.text());
    let body = sendgrid.json();
    let at = time(&body["created_at"]);
    let expected = json!({ "id": 1,
        "data": { "environment": "stage", "from_email": "no-reply@acme.com", "from_name": "Acme", "changeKeys": false },
        "integration": kind(4, "Sendgrid", "sendgrid"), "status": "active", "configured_secrets": ["api_key"],
        "created_at": at, "updated_at": time(&body["updated_at"]) });
    assert_eq!(body, expected);
    assert!(!sendgrid.text().contains(SECRET));

    let whatsapp_data = json!({ "changeKeys": false, "phone_number": "21 99999-9999", "autoclose_hours": 23,
        "autoclose_minutes": 30, "send_autoclose_message_minutes": 10, "autoclose_message": "Ainda está aí?",
        "post_autoclose_message": "Conversa encerrada." });
    let whatsapp =
        send(&app, &ana, "POST", "/integrations", Some(json!({ "integration": 6, "data": whatsapp_data }))).await;
    assert_eq!(whatsapp.status, 201, "{}", whatsapp.text());
    assert_eq!(whatsapp.json()["data"], whatsapp_data);
    assert_eq!(whatsapp.json()["configured_secrets"], json!([]));
    // One per phone number (however it is written), one per type otherwise.
    send(
        &app,
        &ana,
        "POST",
        "/integrations",
        Some(json!({ "integration": "6", "data": { "phone_number": "(21) 999999999" } })),
    )
    .await
    .assert_error(409, "This workspace already has a Whatsapp Twilio integration for this phone number");
    let second_phone = send(
        &app,
        &ana,
        "POST",
        "/integrations",
        Some(json!({ "integration": 6, "data": { "phone_number": "11 3333-4444" } })),
    )
    .await;
    assert_eq!(second_phone.status, 201);
    send(
        &app,
        &ana,
        "POST",
        "/integrations",
        Some(json!({ "integration": 4, "data": { "environment": "stage", "api_key": "x", "from_email": "a@b.co" } })),
    )
    .await
    .assert_error(409, "This workspace already has a Sendgrid integration");
    // The others of the catalogue install too and answer in the same shape: the public settings
    // (Certisign's and Clicksign's webhook address defaulting to this server's), the secrets only
    // by name.
    let hook = |slug: &str| format!("http://127.0.0.1:8080/webhooks/{slug}");
    for (id, name, slug, data, public, secrets) in [
        (
            1,
            "Certisign",
            "certisign",
            json!({ "environment": "stage", "token": "cert-token" }),
            json!({ "environment": "stage", "webhookCatcherEndpoint": hook("certisign"), "changeKeys": false }),
            // The callback address's secret segment is generated at install.
            json!(["token", "callback_token"]),
        ),
        (
            3,
            "D4Sign",
            "d4sign",
            json!({ "environment": "stage", "token": "d4-token", "crypt_key": "d4-crypt" }),
            json!({ "environment": "stage", "changeKeys": false }),
            json!(["token", "crypt_key"]),
        ),
        (
            5,
            "Clicksign",
            "clicksign",
            json!({ "environment": "production", "token": "cs-token", "changeKeys": true }),
            json!({ "environment": "production", "webhookCatcherEndpoint": hook("clicksign"), "changeKeys": true }),
            json!(["token"]),
        ),
        (
            8,
            "Docusign",
            "docusign",
            json!({ "environment": "stage", "user_id": "u", "account_id": "a", "integration_key": "k", "access_token": "ds-secret" }),
            json!({ "environment": "stage", "user_id": "u", "account_id": "a", "integration_key": "k", "changeKeys": false }),
            json!(["access_token"]),
        ),
    ] {
        let installed =
            send(&app, &ana, "POST", "/integrations", Some(json!({ "integration": id, "data": data }))).await;
        assert_eq!(installed.status, 201, "{id}: {}", installed.text());
        let body = installed.json();
        let expected = json!({ "id": body["id"], "data": public, "integration": kind(id, name, slug), "status": "active",
            "configured_secrets": secrets, "created_at": time(&body["created_at"]), "updated_at": time(&body["updated_at"]) });
        assert_eq!(body, expected);
    }
    assert_eq!(send(&app, &ana, "GET", "/integrations", None).await.json().as_array().unwrap().len(), 7);

    // The secrets are nowhere: not in the database file, the logs, or the request log.
    app.flush_request_log().await;
    let stored = crate::database_text(&app).await;
    let logs = enspace_testkit::captured_logs();
    let request_log = send(&app, &ana, "GET", "/user/request-logs?_limit=1000", None).await.text();
    assert!(request_log.contains("/integrations"), "the request log holds the installs: {request_log}");
    for secret in [SECRET, "cert-token", "d4-token", "d4-crypt", "cs-token", "ds-secret"] {
        assert!(!stored.contains(secret), "{secret} is stored in plain text");
        assert!(!logs.contains(secret), "{secret} is in the logs");
        assert!(!request_log.contains(secret), "{secret} is in the request log");
    }
    assert!(stored.contains("no-reply@acme.com"), "the database text holds the public settings");
}

#[tokio::test]
async fn bad_data_reports_every_problem_and_never_quotes_a_secret() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let post = |body: Value| send(&app, &ana, "POST", "/integrations", Some(body));
    post(json!({ "integration": 99, "data": {} })).await.assert(
        400,
        validation(json!([{ "path": "integration", "message": "no integration type 99; see /integrations/catalog" }])),
    );
    post(json!({ "integration": 4 }))
        .await
        .assert(400, validation(json!([{ "path": "data", "message": "is required" }])));
    post(json!({ "integration": 4, "data": { "environment": "dev", "api_key": 12345, "from_email": "nope", "colour": SECRET } }))
        .await
        .assert(
            400,
            validation(json!([
                { "path": "data.api_key", "message": "expected a string" },
                { "path": "data.colour", "message": "unknown setting for sendgrid" },
                { "path": "data.environment", "message": "expected one of stage, production, got \"dev\"" },
                { "path": "data.from_email", "message": "\"nope\" is not a valid email address" }
            ])),
        );
    post(json!({ "integration": 6, "data": { "phone_number": "1", "autoclose_hours": 1, "send_autoclose_message_minutes": 60 } }))
        .await
        .assert(
            400,
            validation(json!([{ "path": "data.send_autoclose_message_minutes", "message": "must be smaller than the auto-close window of 60 minutes" }])),
        );
    assert_eq!(send(&app, &ana, "GET", "/integrations", None).await.json(), json!([]));
}

#[tokio::test]
async fn updates_merge_keep_absent_secrets_and_uninstall_destroys_them() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let installed = send(
        &app,
        &ana,
        "POST",
        "/integrations",
        Some(json!({ "integration": 7, "data": { "api_key": SECRET, "organization": "org-1" } })),
    )
    .await;
    assert_eq!(
        installed.json()["data"],
        json!({ "model": "gpt-4o-mini", "organization": "org-1", "changeKeys": false })
    );
    let put = |body: Value| send(&app, &ana, "PUT", "/integrations/1", Some(body));
    let updated = put(json!({ "data": { "model": "gpt-4o", "organization": null }, "status": "inactive" })).await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let body = updated.json();
    assert_eq!(
        (&body["data"], &body["status"], &body["configured_secrets"]),
        (&json!({ "model": "gpt-4o", "changeKeys": false }), &json!("inactive"), &json!(["api_key"]))
    );
    put(json!({ "data": { "api_key": null } }))
        .await
        .assert(400, validation(json!([{ "path": "data.api_key", "message": "is required" }])));
    put(json!({ "status": "paused" })).await.assert(
        400,
        validation(json!([{ "path": "status", "message": "expected active or inactive, got \"paused\"" }])),
    );
    // Sending the answer back (with its read-only keys) is fine.
    let mut echoed = body.clone();
    echoed["status"] = json!("active");
    echoed
        .as_object_mut()
        .unwrap()
        .retain(|k, _| ["data", "status", "integration", "configured_secrets", "id"].contains(&k.as_str()));
    assert_eq!(put(echoed).await.json()["status"], "active");

    let removed = send(&app, &ana, "DELETE", "/integrations/1", None).await;
    assert_eq!(removed.json()["configured_secrets"], json!(["api_key"]));
    send(&app, &ana, "GET", "/integrations/1", None).await.assert_error(404, "Integration not found");
    let left = app.db.fetch_all("SELECT id FROM integrations", &[]).await.unwrap();
    assert!(left.is_empty());
}

#[tokio::test]
async fn members_read_and_only_integration_managers_change() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    send(&app, &ana, "POST", "/integrations", Some(json!({ "integration": 6, "data": { "phone_number": "1" } }))).await;
    let bia = app.user("bia@example.com").await;
    app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    assert_eq!(send(&app, &bia, "GET", "/integrations/1", None).await.status, 200);
    for (method, path, body) in [
        ("POST", "/integrations", Some(json!({ "integration": 4, "data": {} }))),
        ("PUT", "/integrations/1", Some(json!({ "status": "inactive" }))),
        ("DELETE", "/integrations/1", None),
    ] {
        send(&app, &bia, method, path, body)
            .await
            .assert_error(403, "Permission denied: settings::integrations::manage");
    }
}
