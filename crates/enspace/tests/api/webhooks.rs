//! Outgoing webhooks: management, signed deliveries on the job queue with retries and
//! deactivation, the creator's access at delivery time, the ping, rotation, SSRF refusal, and
//! secrets that never rest in the clear. Receivers are local fakes that record what they got.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{captured_logs, FakeProvider, Received, Reply, TestApp, TestUser};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::database_text;

async fn app_allowing_private() -> (TestApp, TestUser) {
    let app = TestApp::builder().config(|c| c.allow_private_webhooks = true).build().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    for (path, body) in [
        ("/ws/types", json!({ "name": "Pedidos" })),
        ("/ws/types/pedidos/fields", json!({ "name": "Nome", "slug": "nome", "type": "text" })),
        ("/ws/types/pedidos/fields", json!({ "name": "Valor", "slug": "valor", "type": "number" })),
        ("/ws/types", json!({ "name": "Segredos" })),
    ] {
        let created = app.post(path).key(&ana.key).ws("acme").json(&body).send().await;
        assert_eq!(created.status, 201, "{path}: {}", created.text());
    }
    (app, ana)
}

async fn create_hook(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let created = app.post("/ws/webhooks").key(&user.key).ws("acme").json(&body).send().await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()
}

async fn create_item(app: &TestApp, user: &TestUser, slug: &str, data: Value) -> Value {
    let created = app
        .post(&format!("/ws/types/{slug}/items"))
        .key(&user.key)
        .ws("acme")
        .json(&json!({ "data": data }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()
}

/// Makes every queued retry due now (the backoff is minutes to hours).
async fn retries_due(app: &TestApp) {
    app.db.execute("UPDATE jobs SET run_at = 0 WHERE status = 'queued'", &[]).await.unwrap();
}

/// Checks `x-enspace-signature` as a receiver would, with its own HMAC: answers the `v1`
/// signatures that `secret` makes valid (0 or 1).
fn valid_signatures(received: &Received, secret: &str) -> usize {
    let header = received.header("x-enspace-signature").expect("a signature header");
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_string()),
            Some(("v1", value)) => signatures.push(value.to_string()),
            _ => panic!("unexpected part {part:?} in {header:?}"),
        }
    }
    let t = t.expect("a timestamp");
    let now = chrono::Utc::now().timestamp();
    assert!((now - t.parse::<i64>().unwrap()).abs() < 300, "t is the time of sending");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&received.body);
    let expected = hex::encode(mac.finalize().into_bytes());
    signatures.iter().filter(|s| **s == expected).count()
}

#[tokio::test]
async fn a_delivery_is_signed_and_retried_until_the_receiver_takes_it() {
    let (app, ana) = app_allowing_private().await;
    let receiver = FakeProvider::start().await;
    receiver.reply("POST", "/hook", vec![Reply::status(500), Reply::status(500), Reply::status(200)]);
    let hook = create_hook(
        &app,
        &ana,
        json!({ "url": format!("{}/hook", receiver.url), "events": ["item.*"],
        "description": "ERP" }),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() == 38, "{secret}");
    assert_eq!(hook["events"], json!(["item.*"]));
    assert_eq!(hook["active"], true);
    assert_eq!(hook["last_delivery"], Value::Null);
    let id = hook["id"].as_i64().unwrap();

    // A definition event is not asked for; the item's is.
    create_item(&app, &ana, "pedidos", json!({ "nome": "a", "valor": 1 })).await;
    app.run_jobs().await;
    retries_due(&app).await;
    app.run_jobs().await;
    retries_due(&app).await;
    app.run_jobs().await;
    retries_due(&app).await;
    assert_eq!(app.run_jobs().await, 0, "nothing left after the success");

    let got = receiver.received();
    assert_eq!(got.len(), 3, "two failures, then the success");
    let feed = app.get("/ws/events?kind=item.*").key(&ana.key).ws("acme").send().await.json();
    let event = &feed[0];
    for attempt in &got {
        assert_eq!(attempt.header("content-type"), Some("application/json"));
        assert_eq!(attempt.header("x-enspace-event"), Some("item.created"));
        assert_eq!(attempt.header("x-enspace-delivery"), Some(event["id"].to_string().as_str()));
        assert_eq!(attempt.header("x-enspace-workspace"), Some("acme"));
        assert_eq!(valid_signatures(attempt, &secret), 1);
        assert_eq!(valid_signatures(attempt, "whsec_not-the-secret"), 0);
        // The body is the event exactly as the feed shows it to the webhook's creator.
        assert_eq!(&attempt.json(), event);
    }

    let deliveries = app.get(&format!("/ws/webhooks/{id}/deliveries")).key(&ana.key).ws("acme").send().await;
    assert_eq!(deliveries.status, 200, "{}", deliveries.text());
    let rows: Vec<(Value, Value, Value, Value)> = deliveries
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["attempt"].clone(), d["status"].clone(), d["event"].clone(), d["error"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!(3), json!(200), event["id"].clone(), Value::Null),
            (json!(2), json!(500), event["id"].clone(), json!("the receiver answered 500")),
            (json!(1), json!(500), event["id"].clone(), json!("the receiver answered 500")),
        ]
    );
    let count =
        app.get(&format!("/ws/webhooks/{id}/deliveries/count?status=500")).key(&ana.key).ws("acme").send().await;
    count.assert(200, json!(2));
    let shown = app.get(&format!("/ws/webhooks/{id}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(shown["last_delivery"]["status"], 200);
    assert_eq!(shown["last_delivery"]["error"], Value::Null);
    assert!(shown.get("secret").is_none(), "the secret is shown at creation only");
}

#[tokio::test]
async fn private_addresses_and_bad_settings_are_refused() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let post = |body: Value| {
        let app = &app;
        let key = ana.key.clone();
        async move { app.post("/ws/webhooks").key(&key).ws("acme").json(&body).send().await }
    };
    let refused = post(json!({ "url": "https://127.0.0.1:8443/hook", "events": ["*"] })).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(
        refused.json()["details"],
        json!([{ "path": "url", "message": "127.0.0.1 is a loopback, private, link-local or metadata address; webhooks may not call it" }])
    );
    for url in ["https://10.0.0.8/", "https://169.254.169.254/latest", "https://[::1]/", "https://localhost/"] {
        let refused = post(json!({ "url": url, "events": ["*"] })).await;
        assert_eq!(refused.status, 400, "{url}: {}", refused.text());
    }
    let plain_http = post(json!({ "url": "http://erp.example.com/hook", "events": ["*"] })).await;
    assert_eq!(plain_http.json()["details"][0]["message"], "expected an https:// URL, got http://");
    let bad = post(
        json!({ "url": "https://erp.example.com/hook", "events": ["item.*", "*.created"], "item_types": ["nada"] }),
    )
    .await;
    assert_eq!(bad.status, 400);
    let details = bad.json()["details"].clone();
    let paths: Vec<&Value> = details.as_array().unwrap().iter().map(|d| &d["path"]).collect();
    assert_eq!(paths, [&json!("events[1]"), &json!("item_types[0]")]);
    let missing = post(json!({})).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json()["details"],
        json!([{ "path": "url", "message": "is required" }, { "path": "events", "message": "is required" }])
    );

    // A name is checked when it is called: one that does not resolve is a failed delivery, and
    // the ping answers it.
    let hook = post(json!({ "url": "https://receiver.invalid/hook", "events": ["*"] })).await;
    assert_eq!(hook.status, 201, "{}", hook.text());
    let id = hook.json()["id"].as_i64().unwrap();
    let ping = app.post(&format!("/ws/webhooks/{id}/test")).key(&ana.key).ws("acme").send().await;
    assert_eq!(ping.status, 200, "{}", ping.text());
    let ping = ping.json();
    assert_eq!((&ping["kind"], &ping["status"], &ping["event"]), (&json!("ping"), &Value::Null, &Value::Null));
    assert!(ping["error"].as_str().unwrap().starts_with("receiver.invalid does not resolve"), "{ping}");
}

#[tokio::test]
async fn a_loopback_receiver_is_refused_at_delivery_unless_allowed() {
    // Without the flag even a webhook stored earlier (by a server that had it) is refused
    // when it is called: the check is made again at each delivery.
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let receiver = FakeProvider::start().await;
    receiver.reply("POST", "/hook", vec![Reply::status(200)]);
    let hook = create_hook(&app, &ana, json!({ "url": "https://erp.example.com/hook", "events": ["*"] })).await;
    let id = hook["id"].as_i64().unwrap();
    app.db
        .execute("UPDATE webhooks SET url = $1 WHERE id = $2", &[format!("{}/hook", receiver.url).into(), id.into()])
        .await
        .unwrap();
    let ping = app.post(&format!("/ws/webhooks/{id}/test")).key(&ana.key).ws("acme").send().await.json();
    assert!(ping["error"].as_str().unwrap().contains("127.0.0.1) is a loopback"), "{ping}");
    assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");
}

#[tokio::test]
async fn a_webhook_delivers_what_its_creator_may_read() {
    let (app, ana) = app_allowing_private().await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Full, MemberStatus::Active).await;
    let role = app
        .role(1, &[("settings::integrations::manage", None), ("types::pedidos::read", Some(json!(["data.nome"])))])
        .await;
    app.assign_role(member, role).await;
    let receiver = FakeProvider::start().await;
    receiver.reply("POST", "/hook", vec![Reply::status(204)]);
    create_hook(&app, &bia, json!({ "url": format!("{}/hook", receiver.url), "events": ["*"] })).await;

    let item = create_item(&app, &ana, "pedidos", json!({ "nome": "a", "valor": 1 })).await;
    let path = format!("/ws/types/pedidos/items/{}", item["reference"].as_str().unwrap());
    let put = |data: Value| app.put(&path).key(&ana.key).ws("acme").json(&json!({ "data": data })).send();
    assert_eq!(put(json!({ "valor": 2 })).await.status, 200);
    assert_eq!(put(json!({ "nome": "b" })).await.status, 200);
    create_item(&app, &ana, "segredos", json!({})).await;
    app.run_jobs().await;

    let got: Vec<(Value, Value)> =
        receiver.received().iter().map(|r| (r.json()["kind"].clone(), r.json()["changes"].clone())).collect();
    assert_eq!(
        got,
        [
            (
                json!("item.created"),
                json!({ "nome": { "from": null, "to": "a" }, "isDraft": { "from": null, "to": false } })
            ),
            (json!("item.updated"), json!({ "nome": { "from": "a", "to": "b" } })),
        ],
        "no valor, no update of valor alone, nothing of segredos"
    );

    // A creator who is no longer an active member turns the webhook off at its next delivery.
    app.db.execute("UPDATE members SET status = 'inactive' WHERE id = $1", &[member.into()]).await.unwrap();
    create_item(&app, &ana, "pedidos", json!({ "nome": "c" })).await;
    app.run_jobs().await;
    assert_eq!(receiver.received().len(), 2);
    let hooks = app.get("/ws/webhooks").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(hooks[0]["active"], false);
    assert_eq!(hooks[0]["disabled_reason"], "its creator is no longer an active member of the workspace");
}

#[tokio::test]
async fn gone_turns_a_webhook_off_and_a_deleted_type_leaves_its_list() {
    let (app, ana) = app_allowing_private().await;
    let receiver = FakeProvider::start().await;
    receiver.reply("POST", "/gone", vec![Reply::status(410)]);
    let gone =
        create_hook(&app, &ana, json!({ "url": format!("{}/gone", receiver.url), "events": ["item.created"] })).await;
    let only_segredos = create_hook(
        &app,
        &ana,
        json!({ "url": format!("{}/s", receiver.url), "events": ["*"],
        "item_types": ["segredos"] }),
    )
    .await;
    let both = create_hook(
        &app,
        &ana,
        json!({ "url": format!("{}/b", receiver.url), "events": ["*"],
        "item_types": ["segredos", "pedidos"] }),
    )
    .await;
    create_item(&app, &ana, "pedidos", json!({ "nome": "a" })).await;
    create_item(&app, &ana, "pedidos", json!({ "nome": "b" })).await;
    app.run_jobs().await;
    let hook = |id: &Value| {
        let path = format!("/ws/webhooks/{id}");
        let app = &app;
        let key = ana.key.clone();
        async move { app.get(&path).key(&key).ws("acme").send().await.json() }
    };
    let shown = hook(&gone["id"]).await;
    assert_eq!(
        (&shown["active"], &shown["disabled_reason"]),
        (&json!(false), &json!("the receiver answered 410 Gone"))
    );
    assert_eq!(receiver.received().iter().filter(|r| r.path == "/gone").count(), 1, "no delivery after the 410");

    assert_eq!(app.delete("/ws/types/segredos").key(&ana.key).ws("acme").send().await.status, 200);
    let shown = hook(&only_segredos["id"]).await;
    assert_eq!(shown["item_types"], json!([]));
    assert_eq!(
        (&shown["active"], &shown["disabled_reason"]),
        (&json!(false), &json!("its only type segredos was deleted"))
    );
    let shown = hook(&both["id"]).await;
    assert_eq!((&shown["item_types"], &shown["active"]), (&json!(["pedidos"]), &json!(true)));

    // Turned on again, a webhook starts from now: what happened while it was off is not sent.
    let path = format!("/ws/webhooks/{}", gone["id"]);
    receiver.reply("POST", "/gone", vec![Reply::status(200)]);
    let on = app.put(&path).key(&ana.key).ws("acme").json(&json!({ "active": true })).send().await;
    assert_eq!(on.status, 200, "{}", on.text());
    assert_eq!(on.json()["disabled_reason"], Value::Null);
    create_item(&app, &ana, "pedidos", json!({ "nome": "c" })).await;
    app.run_jobs().await;
    let sent: Vec<Value> = receiver
        .received()
        .iter()
        .filter(|r| r.path == "/gone")
        .map(|r| r.json()["changes"]["nome"]["to"].clone())
        .collect();
    assert_eq!(sent, [json!("a"), json!("c")]);
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_for_a_while_and_the_ping_says_so() {
    let (app, ana) = app_allowing_private().await;
    let receiver = FakeProvider::start().await;
    receiver.reply("POST", "/hook", vec![Reply::status(200)]);
    let hook =
        create_hook(&app, &ana, json!({ "url": format!("{}/hook", receiver.url), "events": ["*"], "active": false }))
            .await;
    let (id, first) = (hook["id"].as_i64().unwrap(), hook["secret"].as_str().unwrap().to_string());
    let rotate = |body: Option<Value>| {
        let request = app.post(&format!("/ws/webhooks/{id}/rotate-secret")).key(&ana.key).ws("acme");
        async move {
            let answer = match body {
                Some(body) => request.json(&body).send().await,
                None => request.send().await,
            };
            assert_eq!(answer.status, 200, "{}", answer.text());
            answer.json()["secret"].as_str().unwrap().to_string()
        }
    };
    let second = rotate(None).await;
    assert_ne!(second, first);
    // A ping works on an inactive webhook, under both live secrets, the new one first.
    let ping = app.post(&format!("/ws/webhooks/{id}/test")).key(&ana.key).ws("acme").send().await;
    assert_eq!((ping.status, &ping.json()["status"]), (200, &json!(200)));
    let got = receiver.received();
    let last = got.last().unwrap();
    assert_eq!((valid_signatures(last, &second), valid_signatures(last, &first)), (1, 1));
    let header = last.header("x-enspace-signature").unwrap();
    assert!(header.split(",v1=").nth(1).unwrap().len() == 64 && valid_signatures(last, &second) == 1);
    assert!(last.header("x-enspace-delivery").unwrap().starts_with("ping-"));
    let body = last.json();
    assert_eq!(
        (&body["kind"], &body["id"], &body["subject"]),
        (&json!("ping"), &Value::Null, &json!({ "type": "webhook", "id": id }))
    );

    // Rotating again drops the oldest at once; with no overlap asked, only the newest signs.
    let third = rotate(Some(json!({ "expire_previous_in_hours": 0 }))).await;
    app.post(&format!("/ws/webhooks/{id}/test")).key(&ana.key).ws("acme").send().await;
    let last = receiver.received().last().unwrap().clone();
    assert_eq!(
        (valid_signatures(&last, &third), valid_signatures(&last, &second), valid_signatures(&last, &first)),
        (1, 0, 0)
    );
    assert_eq!(last.header("x-enspace-signature").unwrap().matches("v1=").count(), 1);
    let bad = app
        .post(&format!("/ws/webhooks/{id}/rotate-secret"))
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "expire_previous_in_hours": 25 }))
        .send()
        .await;
    assert_eq!(bad.status, 400);

    // No secret rests in the clear, nor reaches a log or the request log.
    app.flush_request_log().await;
    let stored = database_text(&app).await;
    let logs = captured_logs();
    let request_log = app.get("/user/request-logs?_limit=1000").key(&ana.key).send().await.text();
    for secret in [&first, &second, &third] {
        assert!(!stored.contains(secret.as_str()), "a webhook secret is stored in the clear");
        assert!(!logs.contains(secret.as_str()), "a webhook secret is logged");
        assert!(!request_log.contains(secret.as_str()), "a webhook secret is in the request log");
    }
}

#[tokio::test]
async fn webhooks_are_bounded_per_workspace_and_deleted_with_their_log() {
    let (app, ana) = app_allowing_private().await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let hook =
            create_hook(&app, &ana, json!({ "url": format!("https://erp{n}.example.com/"), "events": ["*"] })).await;
        ids.push(hook["id"].as_i64().unwrap());
    }
    let over = app
        .post("/ws/webhooks")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "url": "https://x.example.com/", "events": ["*"] }))
        .send()
        .await;
    over.assert_error(409, "A workspace has at most 20 webhooks");
    app.get("/ws/webhooks/count").key(&ana.key).ws("acme").send().await.assert(200, json!(20));
    let deleted = app.delete(&format!("/ws/webhooks/{}", ids[0])).key(&ana.key).ws("acme").send().await;
    assert_eq!((deleted.status, &deleted.json()["id"]), (200, &json!(ids[0])));
    app.get(&format!("/ws/webhooks/{}", ids[0]))
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .assert_error(404, "Webhook not found");
}
