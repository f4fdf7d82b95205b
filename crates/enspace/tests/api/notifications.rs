//! Deadline notifications through the router, the job worker at a controlled clock
//! (`run_jobs_at`), and a fake SendGrid that records each email: the three defaults with their
//! recipients and texts, custom rules, completion and due date changes, schedule tasks with
//! `notify`, a workspace without an email integration, and the settings routes.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{FakeProvider, Reply, TestApp, TestUser};
use serde_json::{json, Value};

use crate::validation;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

struct World {
    app: TestApp,
    ana: TestUser,
    bia: TestUser,
    caio: TestUser,
    fake: FakeProvider,
}

/// Acme with SendGrid installed (the fake), Bia (standard, with `en` as her language) and
/// Caio (standard) as members.
async fn world() -> World {
    let fake = FakeProvider::start().await;
    fake.reply("POST", "/v3/mail/send", vec![Reply::status(202).header("x-message-id", "m")]);
    let url = fake.url.clone();
    let install = json!({ "integration": 4, "data": { "environment": "stage", "api_key": "SG.k",
        "from_email": "no-reply@acme.com" } });
    let (app, ana) = crate::app_with_integration(|p| p.sendgrid = url, install).await;
    let bia = app.user("bia@example.com").await;
    let caio = app.user("caio@example.com").await;
    for user in [&bia, &caio] {
        app.add_member(1, user.id, MemberType::Standard, MemberStatus::Active).await;
    }
    app.put("/user").key(&bia.key).json(&json!({ "language": "en" })).send().await;
    World { app, ana, bia, caio, fake }
}

impl World {
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> enspace_testkit::TestResponse {
        let request = self.app.request(method, path).key(&self.ana.key).ws("acme");
        match body {
            Some(body) => request.json(&body).send().await,
            None => request.send().await,
        }
    }

    async fn task(&self, body: Value) -> Value {
        let made = self.send("POST", "/ws/tasks", Some(body)).await;
        assert_eq!(made.status, 201, "{}", made.text());
        made.json()
    }

    /// The emails SendGrid received since the last call: (to, subject, text), sorted.
    fn mail(&self, seen: &mut usize) -> Vec<(String, String, String)> {
        let received = self.fake.received();
        let mut out: Vec<(String, String, String)> = received[*seen..]
            .iter()
            .map(|r| {
                let body = r.json();
                (
                    body["personalizations"][0]["to"][0]["email"].as_str().unwrap().to_string(),
                    body["subject"].as_str().unwrap().to_string(),
                    body["content"][0]["value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        *seen = received.len();
        out.sort();
        out
    }
}

fn due_of(task: &Value) -> i64 {
    enspace_domain::time::parse_instant(task["due_date"].as_str().unwrap()).unwrap()
}

/// A due date `days` ahead, on a whole minute (Sao Paulo time shown in the texts).
fn ahead(days: i64) -> String {
    let now = enspace_domain::time::now_ms();
    enspace_domain::time::format_ms((now + days * DAY) / 60_000 * 60_000)
}

#[tokio::test]
async fn the_defaults_go_out_a_day_before_at_and_a_day_after_to_the_assignee_and_collaborators() {
    let w = world().await;
    let task = w
        .task(json!({ "name": "Ligar para o cliente", "due_date": ahead(3), "assigned_to": w.bia.id,
            "collaborators": [w.caio.id] }))
        .await;
    let due = due_of(&task);
    let shown = enspace_domain::notifications::due_text(due, "pt", &enspace_domain::calendar::Calendar::default());
    let shown_en = enspace_domain::notifications::due_text(due, "en", &enspace_domain::calendar::Calendar::default());
    let mut seen = 0;
    // Nothing before its time.
    w.app.run_jobs_at(due - DAY - 1000).await;
    assert_eq!(w.mail(&mut seen), []);
    w.app.run_jobs_at(due - DAY + 1000).await;
    assert_eq!(
        w.mail(&mut seen),
        [
            (
                "bia@example.com".to_string(),
                "Due tomorrow: Ligar para o cliente".to_string(),
                format!("The task \"Ligar para o cliente\" is due on {shown_en}.")
            ),
            (
                "caio@example.com".to_string(),
                "Vence amanhã: Ligar para o cliente".to_string(),
                format!("A tarefa \"Ligar para o cliente\" vence em {shown}.")
            ),
        ]
    );
    w.app.run_jobs_at(due + 1000).await;
    let at: Vec<String> = w.mail(&mut seen).into_iter().map(|(to, subject, _)| format!("{to}: {subject}")).collect();
    assert_eq!(
        at,
        ["bia@example.com: Due now: Ligar para o cliente", "caio@example.com: Vence agora: Ligar para o cliente"]
    );
    w.app.run_jobs_at(due + DAY + 1000).await;
    let after: Vec<String> = w.mail(&mut seen).into_iter().map(|(to, subject, _)| format!("{to}: {subject}")).collect();
    assert_eq!(
        after,
        ["bia@example.com: Overdue: Ligar para o cliente", "caio@example.com: Atrasada: Ligar para o cliente"]
    );
    // Each once: the worker running on finds nothing more.
    w.app.run_jobs_at(due + 30 * DAY).await;
    assert_eq!(w.mail(&mut seen), []);
    // An unassigned task notifies its creator.
    let mine = w.task(json!({ "name": "Minha", "due_date": ahead(2) })).await;
    w.app.run_jobs_at(due_of(&mine) - DAY + 1000).await;
    let to: Vec<String> = w.mail(&mut seen).into_iter().map(|m| m.0).collect();
    assert_eq!(to, ["ana@example.com"]);
}

#[tokio::test]
async fn custom_rules_replace_the_defaults_and_none_sends_nothing() {
    let w = world().await;
    let body = json!({ "quick_tasks": { "custom": true, "rules": [
        { "when": -2, "unit": "hours", "subject": "Lembrete: {{task.name}}", "body": "Vence em {{task.due_date}}." }
    ] } });
    let put = w.send("PUT", "/ws/notification-settings", Some(body)).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let settings = put.json();
    let id = settings["quick_tasks"]["rules"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        settings,
        json!({ "quick_tasks": { "custom": true, "rules": [{ "id": id, "when": -2, "unit": "hours",
            "subject": "Lembrete: {{task.name}}", "body": "Vence em {{task.due_date}}." }] },
            "scheduled_tasks": { "custom": false, "rules": [] }, "email_integration": true })
    );
    w.send("GET", "/ws/notification-settings", None).await.assert(200, settings.clone());
    w.app.run_jobs().await; // the replan
    let task = w.task(json!({ "name": "Relatório", "due_date": ahead(1), "assigned_to": w.caio.id })).await;
    let due = due_of(&task);
    let mut seen = 0;
    w.app.run_jobs_at(due - 2 * HOUR - 1000).await;
    assert_eq!(w.mail(&mut seen), []);
    w.app.run_jobs_at(due - 2 * HOUR + 1000).await;
    let shown = enspace_domain::notifications::due_text(due, "pt", &enspace_domain::calendar::Calendar::default());
    assert_eq!(
        w.mail(&mut seen),
        [("caio@example.com".to_string(), "Lembrete: Relatório".to_string(), format!("Vence em {shown}."))]
    );
    w.app.run_jobs_at(due + 10 * DAY).await;
    assert_eq!(w.mail(&mut seen), [], "the defaults are replaced");
    // Custom without rules: nothing at all.
    w.send("PUT", "/ws/notification-settings", Some(json!({ "quick_tasks": { "rules": [] } }))).await;
    w.app.run_jobs().await;
    let silent = w.task(json!({ "name": "Silêncio", "due_date": ahead(2), "assigned_to": w.caio.id })).await;
    w.app.run_jobs_at(due_of(&silent) + 10 * DAY).await;
    assert_eq!(w.mail(&mut seen), []);
}

#[tokio::test]
async fn a_completed_task_sends_nothing_more_and_a_new_due_date_replans() {
    let w = world().await;
    let mut seen = 0;
    let done = w.task(json!({ "name": "Feita", "due_date": ahead(3), "assigned_to": w.bia.id })).await;
    let due = due_of(&done);
    w.app.run_jobs_at(due - DAY + 1000).await;
    assert_eq!(w.mail(&mut seen).len(), 1);
    w.send("PUT", &format!("/ws/tasks/{}", done["id"]), Some(json!({ "status": "completed" }))).await;
    w.app.run_jobs_at(due + 10 * DAY).await;
    assert_eq!(w.mail(&mut seen), [], "completed before its other reminders");

    // Trashed, archived: nothing either.
    for change in [None, Some(json!({ "archived": true }))] {
        let task = w.task(json!({ "name": "Guardada", "due_date": ahead(3), "assigned_to": w.bia.id })).await;
        match change {
            Some(body) => w.send("PUT", &format!("/ws/tasks/{}", task["id"]), Some(body)).await,
            None => w.send("DELETE", &format!("/ws/tasks/{}", task["id"]), None).await,
        };
        w.app.run_jobs_at(due_of(&task) + 10 * DAY).await;
        assert_eq!(w.mail(&mut seen), []);
    }

    // Moved two days later: nothing at the old moments, all three at the new ones.
    let moved = w.task(json!({ "name": "Adiada", "due_date": ahead(3), "assigned_to": w.bia.id })).await;
    let old = due_of(&moved);
    let moved =
        w.send("PUT", &format!("/ws/tasks/{}", moved["id"]), Some(json!({ "due_date": ahead(5) }))).await.json();
    let new = due_of(&moved);
    w.app.run_jobs_at(old + 1000).await;
    assert_eq!(w.mail(&mut seen), []);
    w.app.run_jobs_at(new - DAY + 1000).await;
    assert_eq!(w.mail(&mut seen).len(), 1);
    w.app.run_jobs_at(new + DAY + 1000).await;
    assert_eq!(w.mail(&mut seen).len(), 2);
    // Reopened after completion: what was sent for this due date is not sent again.
    let reopened = w.send("PUT", &format!("/ws/tasks/{}", done["id"]), Some(json!({ "status": "pending" }))).await;
    assert_eq!(reopened.status, 200);
    w.app.run_jobs_at(due + 10 * DAY).await;
    assert_eq!(w.mail(&mut seen), [], "past moments are skipped, sent ones are not repeated");
}

#[tokio::test]
async fn schedule_tasks_notify_their_responsibles_unless_notify_is_off() {
    let w = world().await;
    let send = |path: &'static str, body: Value| w.send("POST", path, Some(body));
    assert_eq!(send("/ws/types", json!({ "name": "Contratos" })).await.status, 201);
    let flow = send("/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await.json();
    let stage = send("/c-flow-stages", json!({ "flow": flow["id"], "name": "S" })).await.json();
    for (name, notify, users) in [("Avisa", true, vec![w.bia.id, w.caio.id]), ("Calada", false, vec![w.bia.id])] {
        let task = json!({ "stage": stage["id"], "name": name, "action": "confirmation", "sla": 2, "sla_type": "days",
            "notify": notify, "responsibility_type": "users", "users": users });
        let made = send("/c-stage-tasks", task).await;
        assert_eq!(made.status, 201, "{}", made.text());
    }
    let item = send("/ws/types/contratos/items", json!({ "data": {} })).await.json();
    let tasks = w.send("GET", &format!("/c-flow-item-tasks?flow_item.item={}&_sort=id", item["id"]), None).await.json();
    let due = due_of(&tasks[0]);
    let mut seen = 0;
    w.app.run_jobs_at(due - DAY + 1000).await;
    let mail = w.mail(&mut seen);
    let shown: Vec<(&str, &str)> = mail.iter().map(|(to, subject, _)| (to.as_str(), subject.as_str())).collect();
    assert_eq!(shown, [("bia@example.com", "Due tomorrow: Avisa"), ("caio@example.com", "Vence amanhã: Avisa")]);
    // Taken by Caio: the assignee alone from now on.
    let taken =
        w.app.post(&format!("/c-flow-item-tasks/{}/assign", tasks[0]["id"])).key(&w.caio.key).ws("acme").send().await;
    assert_eq!(taken.status, 200, "{}", taken.text());
    w.app.run_jobs_at(due + 1000).await;
    let to: Vec<String> = w.mail(&mut seen).into_iter().map(|m| m.0).collect();
    assert_eq!(to, ["caio@example.com"]);
    w.app.run_jobs_at(due + 10 * DAY).await;
    assert_eq!(w.mail(&mut seen).len(), 1, "the day after, and nothing of the task with notify off");
}

#[tokio::test]
async fn without_an_email_integration_nothing_is_queued_and_the_settings_say_so() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let settings = app.get("/ws/notification-settings").key(&ana.key).ws("acme").send().await;
    settings.assert(
        200,
        json!({ "quick_tasks": { "custom": false, "rules": [] }, "scheduled_tasks": { "custom": false, "rules": [] },
            "email_integration": false }),
    );
    let task =
        app.post("/ws/tasks").key(&ana.key).ws("acme").json(&json!({ "name": "x", "due_date": ahead(2) })).send().await;
    let due = due_of(&task.json());
    app.run_jobs_at(due - DAY + 1000).await;
    let emails = app.get("/ws/emails").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(emails, json!([]));
    let notices = app
        .db
        .fetch_all("SELECT rule_id, outcome FROM deadline_notices ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("rule_id").unwrap(), r.text("outcome").unwrap()))
        .collect::<Vec<_>>();
    assert_eq!(notices, [("default_before".to_string(), "skipped".to_string())]);
}

#[tokio::test]
async fn settings_refuse_what_they_cannot_use() {
    let w = world().await;
    w.send(
        "PUT",
        "/ws/notification-settings",
        Some(json!({ "quick_tasks": { "custom": true, "rules": [{ "when": -1, "unit": "months", "subject": "x" }] },
            "email_integration": false })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "quick_tasks.rules[0].unit", "message": "expected minutes, hours, days or weeks, got \"months\"" },
            { "path": "quick_tasks.rules[0].body", "message": "is required" },
        ])),
    );
    // Nothing changed; a member without settings::system::manage may not read them.
    let settings = w.send("GET", "/ws/notification-settings", None).await.json();
    assert_eq!(settings["quick_tasks"], json!({ "custom": false, "rules": [] }));
    w.app
        .get("/ws/notification-settings")
        .key(&w.bia.key)
        .ws("acme")
        .send()
        .await
        .assert_error(403, "Permission denied: settings::system::manage");
}

/// A notification job run again — its worker died after the emails were queued but before the
/// job was marked done, or a second process took it — sends nothing again: the notice
/// recorded with the emails' queueing is found.
#[tokio::test]
async fn a_notification_job_run_twice_sends_once() {
    let w = world().await;
    let task = w.task(json!({ "name": "Uma vez", "due_date": ahead(3), "assigned_to": w.bia.id })).await;
    let due = due_of(&task);
    let mut seen = 0;
    w.app.run_jobs_at(due - DAY + 1000).await;
    assert_eq!(w.mail(&mut seen).len(), 1);
    let again = w
        .app
        .db
        .execute(
            "UPDATE jobs SET status = 'queued', run_at = 0 WHERE kind = 'deadline.notify' AND status = 'done'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(again, 1);
    assert!(w.app.run_jobs_at(due - DAY + 2000).await >= 1, "the job ran again");
    assert_eq!(w.mail(&mut seen), []);
    let notices = w.app.db.fetch_one("SELECT COUNT(*) AS n FROM deadline_notices", &[]).await.unwrap();
    assert_eq!(notices.i64("n").unwrap(), 1);
}

/// A schedule task whose due date follows an item field (decision 35) is reminded at the new
/// date when the field changes, and not at the old one.
#[tokio::test]
async fn a_schedule_task_following_a_field_is_replanned_when_the_field_moves() {
    let w = world().await;
    let send = |path: &'static str, body: Value| w.send("POST", path, Some(body));
    assert_eq!(send("/ws/types", json!({ "name": "Contratos" })).await.status, 201);
    let prazo = json!({ "name": "Prazo", "slug": "prazo", "type": "date" });
    assert_eq!(send("/ws/types/contratos/fields", prazo).await.status, 201);
    let flow = send("/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await.json();
    let stage = send("/c-flow-stages", json!({ "flow": flow["id"], "name": "S" })).await.json();
    let task = json!({ "stage": stage["id"], "name": "Renovar", "action": "confirmation", "sla": 0, "sla_type": "days",
        "sla_origin": "field", "sla_field": "prazo", "responsibility_type": "users", "users": [w.bia.id] });
    assert_eq!(send("/c-stage-tasks", task).await.status, 201);
    let item = send("/ws/types/contratos/items", json!({ "data": { "prazo": ahead(3) } })).await.json();
    let listed = w.send("GET", &format!("/c-flow-item-tasks?flow_item.item={}", item["id"]), None).await.json();
    let old = due_of(&listed[0]);
    let path = format!("/ws/types/contratos/items/{}", item["reference"].as_str().unwrap());
    let moved = w.send("PUT", &path, Some(json!({ "data": { "prazo": ahead(6) } }))).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let listed = w.send("GET", &format!("/c-flow-item-tasks?flow_item.item={}", item["id"]), None).await.json();
    let new = due_of(&listed[0]);
    assert!(new > old + 2 * DAY, "{old} → {new}");
    let mut seen = 0;
    w.app.run_jobs_at(old + 1000).await;
    assert_eq!(w.mail(&mut seen), [], "nothing at the old date");
    w.app.run_jobs_at(new - DAY + 1000).await;
    let subjects: Vec<String> = w.mail(&mut seen).into_iter().map(|m| m.1).collect();
    assert_eq!(subjects, ["Due tomorrow: Renovar"]);
}
