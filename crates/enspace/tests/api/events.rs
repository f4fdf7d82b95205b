//! The event log and its feed: every item write (API, bulk, public form) appends exactly one event
//! in its transaction, which is also its line in the item's history; the feed
//! pages by `after` with `x-next-after`, filters by kind patterns and subject, and shows each
//! reader only what a GET would.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestResponse, TestUser};
use serde_json::{json, Value};

use crate::{time, validation};

async fn setup() -> (TestApp, TestUser) {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    for (path, body) in [
        ("/ws/types", json!({ "name": "Pedidos" })),
        ("/ws/types/pedidos/fields", json!({ "name": "Nome", "slug": "nome", "type": "text" })),
        ("/ws/types/pedidos/fields", json!({ "name": "Valor", "slug": "valor", "type": "number" })),
        ("/ws/types", json!({ "name": "Segredos" })),
        ("/ws/types/segredos/fields", json!({ "name": "Texto", "slug": "texto", "type": "text" })),
    ] {
        let created = app.post(path).key(&ana.key).ws("acme").json(&body).send().await;
        assert_eq!(created.status, 201, "{path}: {}", created.text());
    }
    (app, ana)
}

async fn send(app: &TestApp, user: &TestUser, method: &str, path: &str, body: Option<Value>) -> TestResponse {
    let request = app.request(method, path).key(&user.key).ws("acme");
    match body {
        Some(body) => request.json(&body).send().await,
        None => request.send().await,
    }
}

async fn feed(app: &TestApp, user: &TestUser, query: &str) -> (Vec<Value>, i64) {
    let answer = send(app, user, "GET", &format!("/ws/events{query}"), None).await;
    assert_eq!(answer.status, 200, "{query}: {}", answer.text());
    let next: i64 = answer.header("x-next-after").expect("x-next-after").parse().unwrap();
    (answer.json().as_array().unwrap().clone(), next)
}

/// A public form of `pedidos` showing `nome`, as created.
async fn public_form(app: &TestApp, ana: &TestUser) -> TestResponse {
    let body = json!({ "name": "Pedido", "visibility": "public", "fields": [{ "refId": "nome" }] });
    let form = send(app, ana, "POST", "/ws/types/pedidos/forms", Some(body)).await;
    assert_eq!(form.status, 201, "{}", form.text());
    form
}

fn kinds(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (e["kind"].as_str().unwrap().to_string(), e["subject"]["reference"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

#[tokio::test]
async fn every_item_write_appends_one_event_with_its_history_changes() {
    let (app, ana) = setup().await;
    let created =
        send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "a", "valor": 1 } }))).await;
    assert_eq!(created.status, 201);
    let a = created.json()["reference"].as_str().unwrap().to_string();
    let a_path = format!("/ws/types/pedidos/items/{a}");
    assert_eq!(send(&app, &ana, "PUT", &a_path, Some(json!({ "data": { "valor": 2 } }))).await.status, 200);
    // A body that changes nothing leaves no history line and no event.
    assert_eq!(send(&app, &ana, "PUT", &a_path, Some(json!({ "data": { "valor": 2 } }))).await.status, 200);
    let bulk = send(
        &app,
        &ana,
        "POST",
        "/ws/types/pedidos/items/bulk",
        Some(json!({ "create": [{ "data": { "nome": "b" } }, { "data": { "nome": "c" } }], "update": [{ "reference": a, "status": "inactive" }] })),
    )
    .await;
    assert_eq!(bulk.status, 200, "{}", bulk.text());
    let b = bulk.json()["create"][0]["reference"].as_str().unwrap().to_string();
    let c = bulk.json()["create"][1]["reference"].as_str().unwrap().to_string();
    // A public form's answer: the filler is known by the email it gave.
    let form = public_form(&app, &ana).await;
    let answered = app
        .post(&format!("/public/forms/{}/answer", form.json()["hash"].as_str().unwrap()))
        .json(&json!({ "data": { "nome": "d" }, "request_email": "cliente@example.com" }))
        .send()
        .await;
    assert_eq!(answered.status, 201, "{}", answered.text());
    let d = answered.json()["reference"].as_str().unwrap().to_string();
    assert_eq!(send(&app, &ana, "DELETE", &format!("/ws/types/pedidos/items/{b}"), None).await.status, 200);

    let (events, next) = feed(&app, &ana, "?kind=item.*").await;
    assert_eq!(
        kinds(&events),
        [
            ("item.created".into(), a.clone()),
            ("item.updated".into(), a.clone()),
            ("item.created".into(), b.clone()),
            ("item.created".into(), c.clone()),
            ("item.updated".into(), a.clone()),
            ("item.created".into(), d.clone()),
            ("item.deleted".into(), b.clone()),
        ]
    );
    assert_eq!(next, events.last().unwrap()["id"].as_i64().unwrap());
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // The whole first event, in the wire shape.
    let first = &events[0];
    let key = app.db.fetch_one("SELECT reference FROM api_keys WHERE user_id = $1", &[ana.id.into()]).await.unwrap();
    assert_eq!(
        first,
        &json!({ "id": ids[0], "kind": "item.created", "created_at": time(&first["created_at"]), "workspace": "acme",
            "subject": { "type": "item", "id": created.json()["id"], "reference": a, "item_type": "pedidos" },
            "changes": { "nome": { "from": null, "to": "a" }, "valor": { "from": null, "to": 1 },
                "status": { "from": null, "to": "active" }, "isDraft": { "from": null, "to": false } },
            "actor": { "user": ana.id, "email": "ana@example.com", "key": key.text("reference").unwrap() },
            "source": "api" })
    );
    // Each event's changes are its history line's (one record: history is read from the log).
    let history = send(&app, &ana, "GET", &format!("{a_path}/history"), None).await.json();
    let history_changes: Vec<&Value> = history.as_array().unwrap().iter().rev().map(|h| &h["changes"]).collect();
    let event_changes: Vec<&Value> =
        events.iter().filter(|e| e["subject"]["reference"] == a.as_str()).map(|e| &e["changes"]).collect();
    assert_eq!(event_changes, history_changes);
    assert_eq!(events[4]["changes"], json!({ "status": { "from": "active", "to": "inactive" } }));
    assert_eq!(
        (&events[5]["actor"], &events[5]["source"]),
        (&json!({ "user": null, "email": "cliente@example.com", "key": null }), &json!("form"))
    );
    assert_eq!(events[6]["changes"], json!({ "nome": { "from": "b", "to": null } }));
    // One event row per item write, no more.
    let rows = app.db.fetch_one("SELECT COUNT(*) AS n FROM events WHERE kind LIKE 'item.%'", &[]).await.unwrap();
    assert_eq!(rows.i64("n").unwrap(), 7);
}

#[tokio::test]
async fn the_feed_pages_by_after_and_filters_by_kind_and_subject() {
    let (app, ana) = setup().await;
    // From after the setup's own events (its types and fields).
    let (_, base) = feed(&app, &ana, "").await;
    let mut references = Vec::new();
    for nome in ["a", "b", "c"] {
        let created =
            send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": nome } }))).await;
        references.push(created.json()["reference"].as_str().unwrap().to_string());
    }
    let a_path = format!("/ws/types/pedidos/items/{}", references[0]);
    send(&app, &ana, "PUT", &a_path, Some(json!({ "data": { "nome": "a2" } }))).await;
    let (all, head) = feed(&app, &ana, &format!("?after={base}")).await;
    assert_eq!(all.len(), 4);
    // Pages of two: the second ends at the head, the third is empty and says so.
    let (page1, next1) = feed(&app, &ana, &format!("?_limit=2&after={base}")).await;
    assert_eq!((page1.len(), next1), (2, all[1]["id"].as_i64().unwrap()));
    let (page2, next2) = feed(&app, &ana, &format!("?_limit=2&after={next1}")).await;
    assert_eq!(page2, all[2..].to_vec());
    assert_eq!(next2, head);
    let (page3, next3) = feed(&app, &ana, &format!("?_limit=2&after={next2}")).await;
    assert_eq!((page3.len(), next3), (0, head));
    // A filter that matches little still moves the reader to the head.
    let (updated, next) = feed(&app, &ana, "?kind=item.updated").await;
    assert_eq!((kinds(&updated), next), (vec![("item.updated".to_string(), references[0].clone())], head));
    for query in ["kind=item.*", "kind=*", "kind_in[]=item.created&kind_in[]=item.updated", "kind_in[0]=item.*"] {
        assert_eq!(feed(&app, &ana, &format!("?{query}&after={base}")).await.0, all, "{query}");
    }
    let (created, _) = feed(&app, &ana, "?kind_in=item.created&kind_in=item.deleted").await;
    assert_eq!(created.len(), 3);
    let (about_a, _) = feed(&app, &ana, &format!("?subject.reference={}", references[0])).await;
    assert_eq!(about_a.len(), 2);
    assert_eq!(feed(&app, &ana, "?subject.item_type=segredos&subject.type=item").await.0, Vec::<Value>::new());
    assert_eq!(feed(&app, &ana, "?subject.type=item&_limit=1").await.0, all[..1].to_vec());
    // The setup's own events: one type.created and its fields' field.created each.
    let structure = feed(&app, &ana, "?kind_in=type.*&kind_in=field.*").await.0;
    let named: Vec<(String, String)> = kinds(&structure);
    assert_eq!(
        named[..2],
        [("type.created".to_string(), "pedidos".to_string()), ("field.created".to_string(), "nome".to_string())]
    );
    // Mistakes are named.
    let kinds_list = enspace_domain::events::KINDS.join(", ");
    send(&app, &ana, "GET", "/ws/events?kind=item.exploded&_sort=id:desc&after=x", None).await.assert(
        400,
        validation(json!([
            { "path": "kind", "message": format!("expected an event kind ({kinds_list}), <resource>.* or *, got \"item.exploded\"") },
            { "path": "_sort", "message": "the feed is read in id order with after=<id>" },
            { "path": "after", "message": "expected an event id, got \"x\"" }
        ])),
    );
    send(&app, &ana, "GET", "/ws/events?nope=1", None).await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Invalid query parameter nope: unknown field or operator",
            "details": [{ "path": "nope", "message": "unknown field or operator" }] }),
    );
}

/// A reader receives what a GET of the subject would show it: nothing of a type it may not
/// read, no field it may not read, and no `item.updated` whose only changes it may not see.
#[tokio::test]
async fn readers_see_only_what_they_may_read() {
    let (app, ana) = setup().await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("types::pedidos::read", Some(json!(["data.nome"])))]).await;
    app.assign_role(member, role).await;
    let created =
        send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "a", "valor": 1 } }))).await;
    let a_path = format!("/ws/types/pedidos/items/{}", created.json()["reference"].as_str().unwrap());
    send(&app, &ana, "PUT", &a_path, Some(json!({ "data": { "valor": 5 } }))).await;
    send(&app, &ana, "PUT", &a_path, Some(json!({ "data": { "nome": "b", "valor": 6 } }))).await;
    send(&app, &ana, "POST", "/ws/types/segredos/items", Some(json!({ "data": { "texto": "x" } }))).await;
    assert_eq!(feed(&app, &ana, "?kind=item.*").await.0.len(), 4);
    let (seen, next) = feed(&app, &bia, "?kind=item.*").await;
    let changes: Vec<(&Value, &Value)> = seen.iter().map(|e| (&e["kind"], &e["changes"])).collect();
    assert_eq!(
        changes,
        [
            (
                &json!("item.created"),
                &json!({ "nome": { "from": null, "to": "a" }, "isDraft": { "from": null, "to": false } })
            ),
            (&json!("item.updated"), &json!({ "nome": { "from": "a", "to": "b" } })),
        ]
    );
    // The reader still moves past what it may not see.
    assert_eq!(next, feed(&app, &ana, "?kind=item.*").await.1);
    // Definitions too: the type it reads and its fields, not the other type.
    let structure: Vec<(String, String)> = kinds(&feed(&app, &bia, "?kind_in=type.*&kind_in=field.*").await.0);
    assert_eq!(
        structure,
        [("type.created", "pedidos"), ("field.created", "nome"), ("field.created", "valor")]
            .map(|(k, r)| (k.to_string(), r.to_string()))
    );
}

/// Two writers in one workspace, and a reader never sees a later id before an earlier one: on
/// SQLite the second writer waits for the first (one writer); on PostgreSQL it commits at once
/// (writers share the log lock, so their commits group) and the reader's head waits for the
/// first writer instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_event_never_becomes_visible_before_an_earlier_one() {
    let (app, ana) = setup().await;
    let event = |n: i64| enspace_store::events::NewEvent {
        workspace_id: 1,
        kind: "item.created",
        subject: enspace_store::events::Subject {
            kind: "item",
            id: Some(n),
            reference: None,
            type_id: None,
            item_type: None,
            item_id: None,
            item_reference: None,
        },
        changes: Default::default(),
        actor: Default::default(),
        source: "system",
        now: n,
    };
    let mut first = app.db.begin().await.unwrap();
    enspace_store::events::append(&mut first, event(1));
    // Written now rather than at the commit: the log lock is then held from here.
    let first_id = enspace_store::events::flush(&mut first).await.unwrap()[0];
    let db = app.db.clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        enspace_store::events::append(&mut tx, event(2));
        let id = enspace_store::events::flush(&mut tx).await.unwrap()[0];
        tx.commit().await.unwrap();
        id
    });
    if app.db.backend() == enspace_store::Backend::Postgres {
        let second_id = tokio::time::timeout(std::time::Duration::from_secs(10), second).await.unwrap().unwrap();
        assert!(first_id < second_id);
        // The second is committed, the first is not: a reader waits for the first rather than
        // answer the second alone (and resume past the first).
        let commit_later = async {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            first.commit().await.unwrap();
        };
        let ((events, _), ()) = tokio::join!(feed(&app, &ana, "?kind=item.created"), commit_later);
        let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [first_id, second_id]);
        return;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The second writer waits; readers see neither event yet.
    assert!(!second.is_finished());
    let (events, next) = feed(&app, &ana, "?kind=item.created").await;
    assert_eq!((events.len(), next < first_id), (0, true));
    first.commit().await.unwrap();
    let second_id = second.await.unwrap();
    assert!(first_id < second_id);
    let (events, _) = feed(&app, &ana, &format!("?kind=item.created&after={next}")).await;
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [first_id, second_id]);
}

/// An open stream's body, read message by message (the API's stream, and the console's).
pub(crate) struct Stream {
    pub(crate) body: axum::body::Body,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, user: &TestUser, query: &str, last_event_id: Option<i64>) -> Stream {
        let mut request = axum::http::Request::builder()
            .uri(format!("/ws/events/stream{query}"))
            .header("x-api-key", &user.key)
            .header("en-workspace", "acme");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        Stream::request(app, request).await
    }

    /// A stream `request` opens (answered 200, `text/event-stream`, never cached).
    pub(crate) async fn request(app: &TestApp, request: axum::http::request::Builder) -> Stream {
        use tower::ServiceExt;
        let response = app.router.clone().oneshot(request.body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        Stream { body: response.into_body(), buffer: String::new() }
    }

    /// The next `n` event messages as `(id, kind, data)`; keep-alive comments are skipped.
    async fn next(&mut self, n: usize) -> Vec<(i64, String, Value)> {
        let messages = self.messages(n).await;
        messages
            .into_iter()
            .map(|(id, kind, data)| (id.unwrap().parse().unwrap(), kind, serde_json::from_str(&data).unwrap()))
            .collect()
    }

    /// The next `n` messages with an `event:` as `(id, event, data)`, as sent.
    pub(crate) async fn messages(&mut self, n: usize) -> Vec<(Option<String>, String, String)> {
        use http_body_util::BodyExt;
        let mut out = Vec::new();
        while out.len() < n {
            if let Some(end) = self.buffer.find("\n\n") {
                let message: String = self.buffer.drain(..end + 2).collect();
                let field =
                    |name: &str| message.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim_start().to_string());
                if let Some(kind) = field("event:") {
                    out.push((field("id:"), kind, field("data:").unwrap_or_default()));
                }
                continue;
            }
            let frame = tokio::time::timeout(std::time::Duration::from_secs(10), self.body.frame())
                .await
                .expect("a message within 10 s")
                .expect("the stream is open")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
        out
    }

    /// Nothing more arrives for a while (no repeat, nothing unreadable).
    pub(crate) async fn quiet(&mut self) {
        use http_body_util::BodyExt;
        let more = tokio::time::timeout(std::time::Duration::from_millis(700), self.body.frame()).await;
        assert!(more.is_err(), "unexpected: {more:?} after {:?}", self.buffer);
    }
}

#[tokio::test]
async fn the_stream_resumes_after_last_event_id_and_follows_new_events() {
    let (app, ana) = setup().await;
    for nome in ["a", "b", "c"] {
        send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": nome } }))).await;
    }
    let (all, _) = feed(&app, &ana, "?kind=item.*").await;
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    // Resumed after the first: the other two, as the feed shows them, then what comes next.
    let mut stream = Stream::open(&app, &ana, "?kind=item.*", Some(ids[0])).await;
    let resumed = stream.next(2).await;
    assert_eq!(resumed.iter().map(|m| m.0).collect::<Vec<_>>(), ids[1..]);
    assert_eq!(resumed[0].1, "item.created");
    assert_eq!(resumed[0].2, all[1]);
    send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "d" } }))).await;
    let live = stream.next(1).await;
    assert_eq!((live[0].1.as_str(), &live[0].2["changes"]["nome"]["to"]), ("item.created", &json!("d")));
    assert!(live[0].0 > ids[2]);
    stream.quiet().await;
    // Without a position it starts live; `Last-Event-ID` beats `after`; filters apply.
    let mut fresh = Stream::open(&app, &ana, "?after=0&kind=item.updated", Some(live[0].0)).await;
    let reference = live[0].2["subject"]["reference"].as_str().unwrap().to_string();
    send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "e" } }))).await;
    let path = format!("/ws/types/pedidos/items/{reference}");
    send(&app, &ana, "PUT", &path, Some(json!({ "data": { "nome": "d2" } }))).await;
    let updated = fresh.next(1).await;
    assert_eq!(
        (updated[0].1.as_str(), updated[0].2["subject"]["reference"].as_str()),
        ("item.updated", Some(reference.as_str()))
    );
    fresh.quiet().await;
}

#[tokio::test]
async fn a_stream_shows_a_reader_only_what_it_may_read_and_streams_are_bounded() {
    let (app, ana) = setup().await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("types::pedidos::read", Some(json!(["data.nome"])))]).await;
    app.assign_role(member, role).await;
    let mut stream = Stream::open(&app, &bia, "", None).await;
    send(&app, &ana, "POST", "/ws/types/segredos/items", Some(json!({ "data": { "texto": "x" } }))).await;
    send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "a", "valor": 3 } }))).await;
    let seen = stream.next(1).await;
    assert_eq!(seen[0].2["subject"]["item_type"], "pedidos");
    assert_eq!(
        seen[0].2["changes"],
        json!({ "nome": { "from": null, "to": "a" }, "isDraft": { "from": null, "to": false } })
    );
    stream.quiet().await;
    // Ten open streams per credential; the eleventh is refused until one closes.
    let mut open = Vec::new();
    for _ in 0..9 {
        open.push(Stream::open(&app, &bia, "", None).await);
    }
    send(&app, &bia, "GET", "/ws/events/stream", None)
        .await
        .assert_error(429, "Too many requests: retry after 15 seconds");
    drop(open.pop());
    assert_eq!(Stream::open(&app, &bia, "", None).await.buffer, "");
}

/// Types and fields are commands with events too: what changed in a definition, and its end.
#[tokio::test]
async fn definitions_write_their_events() {
    let (app, ana) = setup().await;
    let (_, base) = feed(&app, &ana, "").await;
    let fields = send(&app, &ana, "GET", "/ws/types/pedidos/fields", None).await.json();
    let valor = fields.as_array().unwrap().iter().find(|f| f["refId"] == "valor").unwrap()["id"].as_i64().unwrap();
    let path = format!("/ws/types/pedidos/fields/{valor}");
    assert_eq!(send(&app, &ana, "PUT", &path, Some(json!({ "name": "Preço" }))).await.status, 200);
    // Nothing changed: no event.
    assert_eq!(send(&app, &ana, "PUT", &path, Some(json!({ "name": "Preço" }))).await.status, 200);
    assert_eq!(
        send(&app, &ana, "PUT", "/ws/types/pedidos", Some(json!({ "description": "Vendas" }))).await.status,
        200
    );
    assert_eq!(send(&app, &ana, "DELETE", &path, None).await.status, 200);
    assert_eq!(send(&app, &ana, "DELETE", "/ws/types/segredos", None).await.status, 200);
    let (events, _) = feed(&app, &ana, &format!("?after={base}")).await;
    assert_eq!(
        kinds(&events),
        [
            ("field.updated", "valor"),
            ("type.updated", "pedidos"),
            ("field.deleted", "valor"),
            ("type.deleted", "segredos")
        ]
        .map(|(k, r)| (k.to_string(), r.to_string()))
    );
    assert_eq!(events[0]["changes"]["name"], json!({ "from": "Valor", "to": "Preço" }));
    assert_eq!(
        events[0]["subject"],
        json!({ "type": "field", "id": valor, "reference": "valor", "item_type": "pedidos" })
    );
    assert_eq!(events[1]["changes"], json!({ "description": { "from": "", "to": "Vendas" } }));
    assert_eq!(events[2]["changes"]["name"], json!({ "from": "Preço", "to": null }));
    assert_eq!(
        events[3]["changes"],
        json!({ "name": { "from": "Segredos", "to": null }, "slug": { "from": "segredos", "to": null } })
    );
    assert!(events.iter().all(|e| e["actor"]["email"] == "ana@example.com" && e["source"] == "api"));
}

/// Retention prunes the log but not an existing item's events (its history); a reader resuming
/// below what was pruned is told so: 410 on the feed, `event: reset` on the stream.
#[tokio::test]
async fn pruned_events_are_announced_and_item_history_stays() {
    let (app, ana) = setup().await;
    let a = send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "a" } }))).await.json();
    let b = send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "b" } }))).await.json();
    let b_path = format!("/ws/types/pedidos/items/{}", b["reference"].as_str().unwrap());
    assert_eq!(send(&app, &ana, "DELETE", &b_path, None).await.status, 200);
    let (before, head) = feed(&app, &ana, "").await;
    assert_eq!(before.len(), 8, "five definitions, two creates, a delete");
    // Everything is older than a cutoff a day ahead: only `a`'s event stays.
    let tomorrow = enspace_domain::time::now_ms() + 24 * 3600 * 1000;
    assert!(enspace_engine::retention::prune_events(&app.db, tomorrow).await.unwrap() >= 1);
    let left = app.db.fetch_all("SELECT id, kind FROM events ORDER BY id", &[]).await.unwrap();
    let left: Vec<String> = left.iter().map(|r| r.text("kind").unwrap()).collect();
    assert_eq!(left, ["item.created"]);
    let a_history =
        send(&app, &ana, "GET", &format!("/ws/types/pedidos/items/{}/history", a["reference"].as_str().unwrap()), None)
            .await
            .json();
    assert_eq!(a_history.as_array().unwrap().len(), 1);
    // Without `after` the feed starts after what was pruned; below it, a 410.
    assert_eq!(feed(&app, &ana, "").await, (vec![], head));
    send(&app, &ana, "GET", "/ws/events?after=1", None).await.assert_error(
        410,
        &format!(
            "Events after 1 were pruned (through {head}): read the current state, then continue with after={head}"
        ),
    );
    // The stream says `reset` with the head, then goes on live.
    let mut stream = Stream::open(&app, &ana, "", Some(1)).await;
    use http_body_util::BodyExt;
    let frame =
        tokio::time::timeout(std::time::Duration::from_secs(5), stream.body.frame()).await.unwrap().unwrap().unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert_eq!(text, format!("event: reset\ndata: {{\"head\":{head}}}\n\n"));
    send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "c" } }))).await;
    assert_eq!(stream.next(1).await[0].2["changes"]["nome"]["to"], "c");
}

/// Forms are definitions with events too; patterns also leave kinds out.
#[tokio::test]
async fn forms_write_their_events_and_patterns_exclude() {
    let (app, ana) = setup().await;
    let (_, base) = feed(&app, &ana, "").await;
    let form = public_form(&app, &ana).await;
    let path = format!("/ws/types/pedidos/forms/{}", form.json()["id"]);
    assert_eq!(send(&app, &ana, "PUT", &path, Some(json!({ "name": "Pedido online" }))).await.status, 200);
    assert_eq!(send(&app, &ana, "DELETE", &path, None).await.status, 200);
    send(&app, &ana, "POST", "/ws/types/pedidos/items", Some(json!({ "data": { "nome": "a" } }))).await;
    let (events, _) = feed(&app, &ana, &format!("?after={base}&kind_nin=item.*")).await;
    let seen: Vec<&Value> = events.iter().map(|e| &e["kind"]).collect();
    assert_eq!(seen, [&json!("form.created"), &json!("form.updated"), &json!("form.deleted")]);
    assert_eq!(events[0]["subject"], json!({ "type": "form", "id": form.json()["id"], "item_type": "pedidos" }));
    assert_eq!(events[1]["changes"], json!({ "name": { "from": "Pedido", "to": "Pedido online" } }));
    // The public form's hash (what lets anyone answer it) is never in the log.
    let hash = form.json()["hash"].as_str().unwrap().to_string();
    assert!(!serde_json::to_string(&events).unwrap().contains(&hash));
    let (items, _) = feed(&app, &ana, &format!("?after={base}&kind_ne=form.*")).await;
    assert_eq!(kinds(&items).into_iter().map(|k| k.0).collect::<Vec<_>>(), ["item.created"]);
}

/// Member changes are `member.*` events (decision 66): shown to whoever may manage members, to
/// nobody else.
#[tokio::test]
async fn member_changes_are_events_for_access_managers_only() {
    let (app, ana) = setup().await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("types::pedidos::read", None)]).await;
    app.assign_role(member, role).await;
    let ceo = app.user("ceo@example.com").await;
    let manager = app.add_member(1, ceo.id, MemberType::Full, MemberStatus::Active).await;
    let managing = app.role(1, &[("settings::access::manage", None)]).await;
    app.assign_role(manager, managing).await;
    let (_, base) = feed(&app, &ana, "").await;

    let invited =
        send(&app, &ana, "POST", "/ws/members", Some(json!({ "email": "carla@example.com", "type": "standard" })))
            .await;
    assert_eq!(invited.status, 201, "{}", invited.text());
    let carla = invited.json()["id"].as_i64().unwrap();
    let changed = send(&app, &ana, "PUT", &format!("/ws/members/{carla}"), Some(json!({ "status": "inactive" }))).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let group =
        send(&app, &ana, "POST", "/ws/member-groups", Some(json!({ "name": "Vendas", "members": [carla] }))).await;
    assert_eq!(group.status, 201, "{}", group.text());
    let group = group.json()["id"].as_i64().unwrap();
    assert_eq!(send(&app, &ana, "DELETE", &format!("/ws/members/{carla}"), None).await.status, 200);

    let (events, _) = feed(&app, &ana, &format!("?after={base}&kind=member.*")).await;
    let seen: Vec<(&Value, &Value, &Value)> =
        events.iter().map(|e| (&e["kind"], &e["subject"], &e["changes"])).collect();
    let subject = json!({ "type": "member", "id": carla });
    assert_eq!(
        seen,
        [
            (
                &json!("member.added"),
                &subject,
                &json!({ "email": { "from": null, "to": "carla@example.com" }, "type": { "from": null, "to": "standard" },
                    "status": { "from": null, "to": "active" }, "groups": { "from": null, "to": [] },
                    "v1_compatibility": { "from": null, "to": false } })
            ),
            (&json!("member.updated"), &subject, &json!({ "status": { "from": "active", "to": "inactive" } })),
            (&json!("member.updated"), &subject, &json!({ "groups": { "from": [], "to": [group] } })),
            (
                &json!("member.removed"),
                &subject,
                &json!({ "email": { "from": "carla@example.com", "to": null }, "type": { "from": "standard", "to": null },
                    "status": { "from": "inactive", "to": null }, "groups": { "from": [group], "to": null },
                    "v1_compatibility": { "from": false, "to": null } })
            ),
        ]
    );
    assert!(events.iter().all(|e| e["actor"]["email"] == "ana@example.com" && e["source"] == "api"));
    // Whoever manages access sees the same; a reader of items sees none of them.
    assert_eq!(feed(&app, &ceo, &format!("?after={base}&kind=member.*")).await.0, events);
    assert_eq!(feed(&app, &bia, &format!("?after={base}&kind=member.*")).await.0, Vec::<Value>::new());
}
