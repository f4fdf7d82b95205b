//! Flows as they run: flow items started with their item, schedule tasks assigned and
//! completed, stages ending and the run moving on, every rejection with its body, and removal
//! with the item.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::{
    flows::{created, keys, send, setup},
    time, validation,
};

/// Strips the timestamps of log rows (checked to be timestamps) so sequences compare exactly.
fn rows(log: &Value) -> Vec<Value> {
    log.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let mut row = row.clone();
            time(&row["created_at"]);
            row.as_object_mut().unwrap().remove("created_at");
            row
        })
        .collect()
}

/// The walk-through flow: "Triagem" (a confirmation and a close_stage) → "Execução" (a
/// close_flow that must be taken first). Answers (flow, triagem, execucao, [conferir, encaminhar, executar]).
async fn walk_through_flow(app: &TestApp, ana: &TestUser) -> (Value, Value, Value, [Value; 3]) {
    created(app, ana, "/ws/types/contratos/fields", json!({ "name": "Tipo", "slug": "tipo", "type": "inputText" }))
        .await;
    let flow = created(app, ana, "/c-type-flows", json!({ "name": "Atendimento", "item_type": "contratos" })).await;
    let triagem = created(app, ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Triagem" })).await;
    let execucao = created(app, ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Execução" })).await;
    created(
        app,
        ana,
        "/c-flow-transitions",
        json!({ "flow": flow["id"], "from": triagem["id"], "to": execucao["id"] }),
    )
    .await;
    let conferir = created(
        app,
        ana,
        "/c-stage-tasks",
        json!({ "stage": triagem["id"], "name": "Conferir",
        "action": "confirmation", "sla": 2, "sla_type": "hours" }),
    )
    .await;
    let encaminhar = created(
        app,
        ana,
        "/c-stage-tasks",
        json!({ "stage": triagem["id"], "name": "Encaminhar",
        "action": "close_stage", "fields": [{ "refId": "tipo", "required": true }] }),
    )
    .await;
    let executar = created(
        app,
        ana,
        "/c-stage-tasks",
        json!({ "stage": execucao["id"], "name": "Executar",
        "action": "close_flow", "require_assignment": true, "responsibility_type": "users", "users": [ana.id] }),
    )
    .await;
    (flow, triagem, execucao, [conferir, encaminhar, executar])
}

async fn tasks_of(app: &TestApp, ana: &TestUser, item_id: &Value) -> Vec<Value> {
    let listed = send(app, ana, "GET", &format!("/c-flow-item-tasks?flow_item.item={item_id}&_sort=id"), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    listed.json().as_array().unwrap().clone()
}

async fn flow_item_of(app: &TestApp, ana: &TestUser, item_id: &Value) -> Value {
    let listed = send(app, ana, "GET", &format!("/c-flow-items?item={item_id}"), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    listed.json()[0].clone()
}

#[tokio::test]
async fn the_walk_through_runs_two_items_to_the_end() {
    let (app, ana) = setup().await;
    let (flow, triagem, execucao, [conferir, encaminhar, executar]) = walk_through_flow(&app, &ana).await;
    let (t, e) = (triagem["id"].clone(), execucao["id"].clone());
    let first = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let second = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": { "tipo": "compra" } })).await;

    // Each item runs in Triagem with its two tasks waiting, made in the create's transaction.
    let run = flow_item_of(&app, &ana, &first["id"]).await;
    assert_eq!(
        keys(&run),
        ["created_at", "flow", "id", "item", "run_status", "stage", "stages_log", "status", "updated_at"]
    );
    assert_eq!(
        (&run["flow"], &run["stage"], &run["run_status"], &run["status"]),
        (&flow["id"], &t, &json!("running"), &json!("active"))
    );
    assert_eq!(rows(&run["stages_log"]), [json!({ "status": "start", "stage_id": t })]);
    let tasks = tasks_of(&app, &ana, &first["id"]).await;
    assert_eq!(tasks.len(), 2);
    let conferir_1 = tasks[0].clone();
    assert_eq!(
        keys(&conferir_1),
        [
            "assigned",
            "created_at",
            "due_date",
            "flow_item",
            "flow_name",
            "id",
            "is_overdue",
            "item_reference",
            "item_type_name",
            "priority",
            "responsibility_type",
            "stage_name",
            "status",
            "task",
            "task_action_slug",
            "task_log",
            "task_name",
            "type",
            "unified_responsible",
            "updated_at",
            "work_status"
        ]
    );
    let mut shown = conferir_1.clone();
    let created_at = time(&shown["created_at"]);
    let due = time(&shown["due_date"]);
    assert_eq!(
        enspace_domain::time::parse_instant(&due).unwrap() - enspace_domain::time::parse_instant(&created_at).unwrap(),
        2 * 3_600_000,
        "a 2-hour SLA from the task's creation"
    );
    for key in ["created_at", "updated_at", "due_date"] {
        shown.as_object_mut().unwrap().remove(key);
    }
    shown["task_log"] = json!(rows(&shown["task_log"]));
    assert_eq!(
        shown,
        json!({ "id": conferir_1["id"], "task": conferir["id"], "flow_item": run["id"], "item_reference": first["reference"],
            "item_type_name": "Contratos", "flow_name": "Atendimento", "stage_name": "Triagem", "task_name": "Conferir",
            "task_action_slug": "confirmation", "work_status": "waiting", "status": "active", "is_overdue": "Em Dia",
            "priority": "0", "type": "default", "responsibility_type": "everybody", "unified_responsible": "Todos",
            "assigned": null, "task_log": [{ "email": null, "work_status": "waiting" }] })
    );
    assert_eq!(tasks[1]["task"], encaminhar["id"]);
    assert_eq!(tasks[1]["due_date"], Value::Null, "no SLA, no due date");

    // is_overdue is for lists only: the single get has none, and it filters nothing.
    let single = send(&app, &ana, "GET", &format!("/c-flow-item-tasks/{}", conferir_1["id"]), None).await;
    assert_eq!(single.status, 200);
    assert!(single.json().get("is_overdue").is_none());
    let filtered = send(&app, &ana, "GET", "/c-flow-item-tasks?is_overdue=Atrasado", None).await;
    assert_eq!(filtered.status, 400, "{}", filtered.text());

    // First item: confirm (the stage stays), then the closing task with its answer moves the run.
    let done = send(&app, &ana, "PUT", &format!("/c-flow-item-tasks/{}/complete", conferir_1["id"]), None).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let done = done.json();
    assert!(done.get("is_overdue").is_none());
    assert_eq!((&done["work_status"], &done["updated_by_email"]), (&json!("complete"), &json!("ana@example.com")));
    time(&done["completed_at"]);
    assert_eq!(
        rows(&done["task_log"]),
        [
            json!({ "email": null, "work_status": "waiting" }),
            json!({ "email": "ana@example.com", "work_status": "complete" })
        ]
    );
    assert_eq!(flow_item_of(&app, &ana, &first["id"]).await["stage"], t, "a confirmation does not close the stage");
    let encaminhar_1 = tasks[1]["id"].clone();
    let path = format!("/c-flow-item-tasks/{encaminhar_1}/complete");
    let answer = send(&app, &ana, "PUT", &path, Some(json!({ "tipo": "locacao" }))).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let item =
        send(&app, &ana, "GET", &format!("/ws/types/contratos/items/{}", first["reference"].as_str().unwrap()), None)
            .await;
    assert_eq!(item.json()["data"]["tipo"], "locacao", "answers are written to the item");
    let run = flow_item_of(&app, &ana, &first["id"]).await;
    assert_eq!(run["stage"], e);
    assert_eq!(
        rows(&run["stages_log"]),
        [
            json!({ "status": "start", "stage_id": t }),
            json!({ "status": "complete", "stage_id": t, "user": "ana@example.com" }),
            json!({ "status": "start", "stage_id": e })
        ]
    );
    let tasks = tasks_of(&app, &ana, &first["id"]).await;
    assert_eq!(tasks.len(), 3);
    let executar_1 = tasks[2].clone();
    assert_eq!((&executar_1["task"], &executar_1["stage_name"]), (&executar["id"], &json!("Execução")));
    assert_eq!(
        (&executar_1["responsibility_type"], &executar_1["unified_responsible"]),
        (&json!("users"), &json!("ana@example.com"))
    );

    // Execução must be taken before it is completed; then it ends the run.
    let path = format!("/c-flow-item-tasks/{}/complete", executar_1["id"]);
    let early = send(&app, &ana, "PUT", &path, None).await;
    early.assert_error(
        409,
        &format!("task {} is waiting: it must be assigned before it is completed", executar_1["id"]),
    );
    let taken = send(&app, &ana, "POST", &format!("/c-flow-item-tasks/{}/assign", executar_1["id"]), None).await;
    assert_eq!(taken.status, 200, "{}", taken.text());
    assert_eq!((&taken.json()["work_status"], &taken.json()["assigned"]), (&json!("working"), &json!(ana.id)));
    let done = send(&app, &ana, "PUT", &path, None).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(
        rows(&done.json()["task_log"]),
        [
            json!({ "email": null, "work_status": "waiting" }),
            json!({ "email": "ana@example.com", "work_status": "working" }),
            json!({ "email": "ana@example.com", "work_status": "complete" })
        ]
    );
    let run = flow_item_of(&app, &ana, &first["id"]).await;
    assert_eq!((&run["run_status"], &run["status"], &run["stage"]), (&json!("complete"), &json!("active"), &e));
    assert_eq!(
        rows(&run["stages_log"])[3..],
        [json!({ "status": "complete", "stage_id": e, "user": "ana@example.com" })]
    );

    // Second item: the closing task first (its required field already filled) removes the
    // confirmation left open.
    let tasks = tasks_of(&app, &ana, &second["id"]).await;
    let (conferir_2, encaminhar_2) = (tasks[0].clone(), tasks[1].clone());
    let done = send(&app, &ana, "PUT", &format!("/c-flow-item-tasks/{}/complete", encaminhar_2["id"]), None).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let removed = send(&app, &ana, "GET", &format!("/c-flow-item-tasks/{}", conferir_2["id"]), None).await.json();
    assert_eq!((&removed["work_status"], &removed["status"]), (&json!("removed"), &json!("inactive")));
    time(&removed["deleted_at"]);
    assert!(removed.get("completed_at").is_none() && removed.get("updated_by_email").is_none());
    assert_eq!(
        rows(&removed["task_log"]),
        [
            json!({ "email": null, "work_status": "waiting" }),
            json!({ "email": "ana@example.com", "work_status": "removed" })
        ]
    );
    let tasks = tasks_of(&app, &ana, &second["id"]).await;
    let executar_2 = tasks[2]["id"].clone();
    send(&app, &ana, "POST", &format!("/c-flow-item-tasks/{executar_2}/assign"), None).await;
    let done = send(&app, &ana, "PUT", &format!("/c-flow-item-tasks/{executar_2}/complete"), None).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let run = flow_item_of(&app, &ana, &second["id"]).await;
    assert_eq!(run["run_status"], "complete");
    let statuses: Vec<Value> =
        tasks_of(&app, &ana, &second["id"]).await.iter().map(|t| t["work_status"].clone()).collect();
    assert_eq!(statuses, [json!("removed"), json!("complete"), json!("complete")]);

    // The events tell the run in order, cause before consequence.
    let feed = send(&app, &ana, "GET", "/ws/events?_limit=100", None).await;
    assert_eq!(feed.status, 200, "{}", feed.text());
    let kinds: Vec<String> = feed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .filter(|k| k.starts_with("flow_item.") || k.starts_with("schedule_task.") || k.starts_with("item."))
        .collect();
    let expected = [
        // Both creates: each item, its run, its two tasks.
        "item.created",
        "flow_item.started",
        "schedule_task.created",
        "schedule_task.created",
        "item.created",
        "flow_item.started",
        "schedule_task.created",
        "schedule_task.created",
        // First item: the confirmation; the closing task's answer, its completion, the next stage.
        "schedule_task.completed",
        "item.updated",
        "schedule_task.completed",
        "flow_item.stage_changed",
        "schedule_task.created",
        "schedule_task.assigned",
        "schedule_task.completed",
        "flow_item.completed",
        // Second item: the closing task removes the confirmation left open.
        "schedule_task.completed",
        "schedule_task.removed",
        "flow_item.stage_changed",
        "schedule_task.created",
        "schedule_task.assigned",
        "schedule_task.completed",
        "flow_item.completed",
    ];
    assert_eq!(kinds, expected);
}

#[tokio::test]
async fn answers_are_checked_and_only_responsibles_act() {
    let (app, ana) = setup().await;
    let (_, _, _, [_, _, _]) = walk_through_flow(&app, &ana).await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let tasks = tasks_of(&app, &ana, &item["id"]).await;
    let encaminhar = tasks[1]["id"].clone();
    let path = format!("/c-flow-item-tasks/{encaminhar}/complete");

    // A key outside the task's fields, and its required field missing: one 400 naming both.
    let wrong = send(&app, &ana, "PUT", &path, Some(json!({ "valor": 10 }))).await;
    wrong.assert(
        400,
        validation(json!([{ "path": "valor", "message": "is not a field of this task" },
        { "path": "tipo", "message": "is required by this task" }])),
    );
    let cleared = send(&app, &ana, "PUT", &path, Some(json!({ "tipo": null }))).await;
    cleared.assert(400, validation(json!([{ "path": "tipo", "message": "is required by this task" }])));
    assert_eq!(tasks_of(&app, &ana, &item["id"]).await[1]["work_status"], "waiting", "a refusal changes nothing");

    // A member who only reads the type is not a responsible of an `everybody` task (that is
    // those who may update the type's items): 403 before any state is told.
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("types::contratos::read", None)]).await;
    app.assign_role(member, role).await;
    let refused = send(&app, &bia, "PUT", &path, Some(json!({ "tipo": "x" }))).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let refused = send(&app, &bia, "GET", &format!("/c-flow-item-tasks/{encaminhar}"), None).await;
    assert_eq!(refused.status, 403, "without tasks::scheduled::read a member sees only its own tasks");
    let none = send(&app, &bia, "GET", "/c-flow-item-tasks/in-charge", None).await;
    none.assert(200, json!([]));

    // Completed: a retry with the same answers is 200 and changes nothing; anything else is 409.
    let done = send(&app, &ana, "PUT", &path, Some(json!({ "tipo": "compra" }))).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let again = send(&app, &ana, "PUT", &path, Some(json!({ "tipo": "compra" }))).await;
    again.assert(200, done.json());
    let other = send(&app, &ana, "PUT", &path, Some(json!({ "tipo": "venda" }))).await;
    other.assert_error(409, &format!("task {encaminhar} is complete: it cannot be completed"));
    let assign = send(&app, &ana, "POST", &format!("/c-flow-item-tasks/{encaminhar}/assign"), None).await;
    assign.assert_error(409, &format!("task {encaminhar} is complete: only a waiting task can be assigned"));
    let missing = send(&app, &ana, "PUT", "/c-flow-item-tasks/999999/complete", None).await;
    missing.assert_error(404, "Schedule task not found");
}

#[tokio::test]
async fn deleting_an_item_removes_its_run_and_open_tasks() {
    let (app, ana) = setup().await;
    walk_through_flow(&app, &ana).await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let deleted =
        send(&app, &ana, "DELETE", &format!("/ws/types/contratos/items/{}", item["reference"].as_str().unwrap()), None)
            .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    let run = flow_item_of(&app, &ana, &item["id"]).await;
    assert_eq!((&run["run_status"], &run["status"]), (&json!("removed"), &json!("inactive")));
    assert_eq!(rows(&run["stages_log"]).len(), 1, "removal adds no stages_log row");
    for task in tasks_of(&app, &ana, &item["id"]).await {
        assert_eq!((&task["work_status"], &task["status"]), (&json!("removed"), &json!("inactive")));
        time(&task["deleted_at"]);
    }
}

#[tokio::test]
async fn drafts_start_their_flows_when_they_become_final() {
    let (app, ana) = setup().await;
    walk_through_flow(&app, &ana).await;
    let draft = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {}, "isDraft": true })).await;
    let runs = send(&app, &ana, "GET", &format!("/c-flow-items/count?item={}", draft["id"]), None).await;
    runs.assert(200, json!(0));
    let path = format!("/ws/types/contratos/items/{}", draft["reference"].as_str().unwrap());
    let finished = send(&app, &ana, "PUT", &path, Some(json!({ "isDraft": false }))).await;
    assert_eq!(finished.status, 200, "{}", finished.text());
    assert_eq!(tasks_of(&app, &ana, &draft["id"]).await.len(), 2);
}

#[tokio::test]
async fn sendmail_goes_through_the_outbox_and_completes_at_once() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types/contratos/fields", json!({ "name": "Contato", "slug": "contato", "type": "email" }))
        .await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "Aviso", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Avisar" })).await;
    created(&app, &ana, "/c-stage-tasks", json!({ "stage": stage["id"], "name": "Avisar", "action": "sendmail",
        "email": { "to": [{ "field": "contato" }, "request_user"], "subject": "Contrato {{reference}}", "body": "Valor: {{data.valor}}" } }))
    .await;
    let item = created(
        &app,
        &ana,
        "/ws/types/contratos/items",
        json!({ "data": { "contato": "cli@example.com", "valor": 1200 } }),
    )
    .await;
    // The only task was done by the server, so the visit and the run ended by themselves.
    let run = flow_item_of(&app, &ana, &item["id"]).await;
    assert_eq!(run["run_status"], "complete");
    let s = stage["id"].clone();
    assert_eq!(
        rows(&run["stages_log"]),
        [json!({ "status": "start", "stage_id": s }), json!({ "status": "complete", "stage_id": s })]
    );
    let task = tasks_of(&app, &ana, &item["id"]).await.remove(0);
    assert_eq!((&task["work_status"], &task["updated_by_email"]), (&json!("complete"), &Value::Null));
    assert!(task.as_object().unwrap().contains_key("updated_by_email"));
    assert_eq!(
        rows(&task["task_log"]),
        [json!({ "email": null, "work_status": "waiting" }), json!({ "email": null, "work_status": "complete" })]
    );
    // Without an active SendGrid the email is in the outbox as failed, saying why.
    let emails = send(&app, &ana, "GET", "/ws/emails", None).await.json();
    let email = &emails.as_array().unwrap()[0];
    let reference = item["reference"].as_str().unwrap();
    assert_eq!(email["subject"], format!("Contrato {reference}"));
    assert_eq!(email["to"], json!(["cli@example.com", "ana@example.com"]));
    assert_eq!((&email["status"], &email["last_error"]), (&json!("failed"), &json!("no_active_email_integration")));
}

/// A second member who may act on every task (a role-less `full` member).
async fn full_member(app: &TestApp, email: &str) -> TestUser {
    let user = app.user(email).await;
    app.add_member(1, user.id, MemberType::Full, MemberStatus::Active).await;
    user
}

/// A flow of one stage (`progress`) with `tasks` (name, action), then a last stage "Fim" with
/// one task; answers the first stage's id and the last's.
async fn one_stage_flow(app: &TestApp, ana: &TestUser, progress: &str, tasks: &[(&str, &str)]) -> (Value, Value) {
    let flow = created(app, ana, "/c-type-flows", json!({ "name": "Corrida", "item_type": "contratos" })).await;
    let first =
        created(app, ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A", "progress_type": progress }))
            .await;
    let last = created(app, ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Fim" })).await;
    created(app, ana, "/c-flow-transitions", json!({ "flow": flow["id"], "from": first["id"], "to": last["id"] }))
        .await;
    for (name, action) in tasks {
        created(app, ana, "/c-stage-tasks", json!({ "stage": first["id"], "name": name, "action": action })).await;
    }
    created(app, ana, "/c-stage-tasks", json!({ "stage": last["id"], "name": "Fechar", "action": "close_flow" })).await;
    (first["id"].clone(), last["id"].clone())
}

/// Completes `a` as `ana` and `b` as `bia` at the same time; answers both statuses.
async fn complete_both(app: &TestApp, (ana, a): (&TestUser, &Value), (bia, b): (&TestUser, &Value)) -> (u16, u16) {
    let (path_a, path_b) = (format!("/c-flow-item-tasks/{a}/complete"), format!("/c-flow-item-tasks/{b}/complete"));
    let first = send(app, ana, "PUT", &path_a, None);
    let second = send(app, bia, "PUT", &path_b, None);
    let (first, second) = tokio::join!(first, second);
    (first.status, second.status)
}

/// What the run's log says of the stages it went through: (status, stage) pairs.
async fn path_of(app: &TestApp, ana: &TestUser, item: &Value) -> Vec<(String, Value)> {
    let run = flow_item_of(app, ana, item).await;
    run["stages_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["status"].as_str().unwrap().to_string(), row["stage_id"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_completes_of_one_task_race_and_one_wins() {
    let (app, ana) = setup().await;
    let bia = full_member(&app, "bia@example.com").await;
    let (a, fim) = one_stage_flow(&app, &ana, "closing_task", &[("Fechar A", "close_stage")]).await;
    for _ in 0..8 {
        let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
        let task = tasks_of(&app, &ana, &item["id"]).await[0]["id"].clone();
        let (x, y) = complete_both(&app, (&ana, &task), (&bia, &task)).await;
        let mut statuses = [x, y];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "exactly one complete wins");
        let start = |s: &Value| ("start".to_string(), s.clone());
        let complete = |s: &Value| ("complete".to_string(), s.clone());
        assert_eq!(path_of(&app, &ana, &item["id"]).await, [start(&a), complete(&a), start(&fim)], "one advance");
        assert_eq!(tasks_of(&app, &ana, &item["id"]).await.len(), 2, "one instance of the next stage's task");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_closing_tasks_of_one_stage_advance_it_once() {
    let (app, ana) = setup().await;
    let bia = full_member(&app, "bia@example.com").await;
    let (a, fim) =
        one_stage_flow(&app, &ana, "closing_task", &[("Aprovar", "close_stage"), ("Recusar", "close_stage")]).await;
    for _ in 0..8 {
        let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
        let tasks = tasks_of(&app, &ana, &item["id"]).await;
        let (x, y) = complete_both(&app, (&ana, &tasks[0]["id"]), (&bia, &tasks[1]["id"])).await;
        let mut statuses = [x, y];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "the second closer finds its task removed");
        let path = path_of(&app, &ana, &item["id"]).await;
        assert_eq!(path.len(), 3, "{path:?}");
        assert_eq!(path[2], ("start".to_string(), fim.clone()));
        assert_eq!(path[1], ("complete".to_string(), a.clone()));
        let statuses: Vec<Value> =
            tasks_of(&app, &ana, &item["id"]).await.iter().map(|t| t["work_status"].clone()).collect();
        assert_eq!(statuses.iter().filter(|s| *s == "complete").count(), 1);
        assert_eq!(statuses.iter().filter(|s| *s == "removed").count(), 1);
        assert_eq!(statuses.len(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_two_tasks_of_an_all_tasks_stage_complete_at_once_and_it_ends_once() {
    let (app, ana) = setup().await;
    let bia = full_member(&app, "bia@example.com").await;
    let (a, fim) =
        one_stage_flow(&app, &ana, "all_tasks", &[("Ler", "confirmation"), ("Assinar", "confirmation")]).await;
    for _ in 0..8 {
        let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
        let tasks = tasks_of(&app, &ana, &item["id"]).await;
        let statuses = complete_both(&app, (&ana, &tasks[0]["id"]), (&bia, &tasks[1]["id"])).await;
        assert_eq!(statuses, (200, 200));
        let start = |s: &Value| ("start".to_string(), s.clone());
        let complete = |s: &Value| ("complete".to_string(), s.clone());
        assert_eq!(path_of(&app, &ana, &item["id"]).await, [start(&a), complete(&a), start(&fim)], "ends exactly once");
    }
}

#[tokio::test]
async fn an_all_tasks_stage_closes_only_when_the_rest_is_done() {
    let (app, ana) = setup().await;
    one_stage_flow(&app, &ana, "all_tasks", &[("Ler", "confirmation"), ("Fechar", "close_stage")]).await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let tasks = tasks_of(&app, &ana, &item["id"]).await;
    let (ler, fechar) = (tasks[0]["id"].clone(), tasks[1]["id"].clone());
    let early = send(&app, &ana, "PUT", &format!("/c-flow-item-tasks/{fechar}/complete"), None).await;
    early.assert_error(
        409,
        &format!("task {fechar} closes an all_tasks stage: complete the other open tasks first: {ler} (Ler)"),
    );
    let done = send(&app, &ana, "PUT", &format!("/c-flow-item-tasks/{ler}/complete"), None).await;
    assert_eq!(done.status, 200);
    assert_eq!(flow_item_of(&app, &ana, &item["id"]).await["stages_log"].as_array().unwrap().len(), 1, "still open");
    let done = send(&app, &ana, "PUT", &format!("/c-flow-item-tasks/{fechar}/complete"), None).await;
    assert_eq!(done.status, 200);
    assert_eq!(flow_item_of(&app, &ana, &item["id"]).await["stages_log"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn deleting_a_stage_task_with_open_instances_is_refused_until_forced() {
    let (app, ana) = setup().await;
    let (flow, triagem, execucao, [conferir, encaminhar, _]) = walk_through_flow(&app, &ana).await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let path = format!("/c-stage-tasks/{}", conferir["id"]);
    send(&app, &ana, "DELETE", &path, None)
        .await
        .assert_error(409, "1 schedule task(s) of this task are open: delete with ?force=true to remove them");
    // Forced, its instance is removed; the closing task is still open, so the stage waits.
    let forced = send(&app, &ana, "DELETE", &format!("{path}?force=true"), None).await;
    assert_eq!(forced.status, 200, "{}", forced.text());
    let tasks = tasks_of(&app, &ana, &item["id"]).await;
    assert_eq!((&tasks[0]["work_status"], &tasks[0]["task"]), (&json!("removed"), &conferir["id"]));
    assert_eq!(flow_item_of(&app, &ana, &item["id"]).await["stage"], triagem["id"]);
    // Removing the last open task of a visit ends it by itself: the run moves on.
    let path = format!("/c-stage-tasks/{}?force=true", encaminhar["id"]);
    assert_eq!(send(&app, &ana, "DELETE", &path, None).await.status, 200);
    let run = flow_item_of(&app, &ana, &item["id"]).await;
    assert_eq!(
        rows(&run["stages_log"]),
        [
            json!({ "status": "start", "stage_id": triagem["id"] }),
            json!({ "status": "complete", "stage_id": triagem["id"] }),
            json!({ "status": "start", "stage_id": execucao["id"] })
        ]
    );
    // A forced flow delete removes the runs and their open tasks.
    let forced = send(&app, &ana, "DELETE", &format!("/c-type-flows/{}?force=true", flow["id"]), None).await;
    assert_eq!(forced.status, 200, "{}", forced.text());
    let run = flow_item_of(&app, &ana, &item["id"]).await;
    assert_eq!((&run["run_status"], &run["status"]), (&json!("removed"), &json!("inactive")));
    let open =
        send(&app, &ana, "GET", "/c-flow-item-tasks/count?work_status_in=waiting&work_status_in=working", None).await;
    open.assert(200, json!(0));
}

/// A flow deleted while items are created on its type: the delete either counts the runs that
/// started (409) or no run starts in the deleted flow. The count is taken in the delete's
/// transaction, with the flow's row locked on PostgreSQL against the starts' key-share locks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_deleted_during_creates_is_refused_or_runs_nothing() {
    let (app, ana) = setup().await;
    for round in 0..12 {
        let flow =
            created(&app, &ana, "/c-type-flows", json!({ "name": format!("F{round}"), "item_type": "contratos" }))
                .await;
        let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
        created(&app, &ana, "/c-stage-tasks", json!({ "stage": stage["id"], "name": "T", "action": "close_flow" }))
            .await;
        let create = || send(&app, &ana, "POST", "/ws/types/contratos/items", Some(json!({ "data": {} })));
        let path = format!("/c-type-flows/{}", flow["id"]);
        let (deleted, a, b, c) = tokio::join!(send(&app, &ana, "DELETE", &path, None), create(), create(), create());
        assert_eq!([a.status, b.status, c.status], [201; 3]);
        let sql = "SELECT COUNT(*) AS n FROM flow_items WHERE flow_id = $1 AND run_status = 'running'";
        let running = app.db.fetch_one(sql, &[flow["id"].as_i64().unwrap().into()]).await.unwrap().i64("n").unwrap();
        match deleted.status {
            200 => assert_eq!(running, 0, "round {round}: a run started in a deleted flow"),
            409 => {
                assert!(running > 0, "round {round}: refused with nothing running");
                let forced = send(&app, &ana, "DELETE", &format!("{path}?force=true"), None).await;
                assert_eq!(forced.status, 200, "{}", forced.text());
            }
            other => panic!("round {round}: {other} {}", deleted.text()),
        }
    }
}

#[tokio::test]
async fn removing_a_task_by_hand_needs_the_permission_and_an_open_task() {
    let (app, ana) = setup().await;
    walk_through_flow(&app, &ana).await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": { "tipo": "x" } })).await;
    let tasks = tasks_of(&app, &ana, &item["id"]).await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app
        .role(
            1,
            &[("types::contratos::read", None), ("types::contratos::update", None), ("tasks::scheduled::read", None)],
        )
        .await;
    app.assign_role(member, role).await;
    let path = format!("/c-flow-item-tasks/{}", tasks[0]["id"]);
    send(&app, &bia, "DELETE", &path, None).await.assert_error(403, "Permission denied: tasks::scheduled::delete");
    let removed = send(&app, &ana, "DELETE", &path, None).await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert_eq!((&removed.json()["work_status"], &removed.json()["status"]), (&json!("removed"), &json!("inactive")));
    assert!(removed.json().get("is_overdue").is_none());
    send(&app, &ana, "DELETE", &path, None)
        .await
        .assert_error(409, &format!("task {} is removed: only an open task can be removed", tasks[0]["id"]));
    // bia may update the type: everybody tasks are hers — in her in-charge whatever their state
    // (no implicit status filter, decision 31), and hers to complete.
    let mine = send(&app, &bia, "GET", "/c-flow-item-tasks/in-charge?work_status=waiting", None).await.json();
    assert_eq!(mine.as_array().unwrap().iter().map(|t| t["id"].clone()).collect::<Vec<_>>(), [tasks[1]["id"].clone()]);
    send(&app, &bia, "GET", "/c-flow-item-tasks/in-charge/count", None).await.assert(200, json!(2));
    let all = send(&app, &bia, "GET", "/c-flow-item-tasks/in-charge", None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let done = send(&app, &bia, "PUT", &format!("/c-flow-item-tasks/{}/complete", tasks[1]["id"]), None).await;
    assert_eq!((done.status, &done.json()["updated_by_email"]), (200, &json!("bia@example.com")));
}

#[tokio::test]
async fn responsibles_come_from_groups_rules_and_fields_and_relations_show_them() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types/contratos/fields", json!({ "name": "Dono", "slug": "dono", "type": "email" })).await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let group = created(&app, &ana, "/ws/member-groups", json!({ "name": "Jurídico" })).await;
    let added = send(
        &app,
        &ana,
        "POST",
        &format!("/ws/member-groups/{}/add-users", group["id"]),
        Some(json!({ "members": [member] })),
    )
    .await;
    assert!(added.status < 300, "{}", added.text());
    created(&app, &ana, "/c-responsibility-rules", json!({ "item_type": "contratos", "name": "Grandes",
        "conditional": { "data.valor_gt": 1000 }, "responsible_type": "module_groups", "module_groups": [group["id"]] }))
    .await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    for body in [
        json!({ "stage": stage["id"], "name": "Regra", "action": "confirmation", "responsibility_type": "responsible_rules" }),
        json!({ "stage": stage["id"], "name": "Dono", "action": "confirmation", "responsibility_type": "field_based",
            "responsible_field": "dono" }),
        json!({ "stage": stage["id"], "name": "Fora", "action": "confirmation", "responsibility_type": "external_email",
            "external_email": "Parceiro@Example.com" }),
    ] {
        created(&app, &ana, "/c-stage-tasks", body).await;
    }
    let big = created(
        &app,
        &ana,
        "/ws/types/contratos/items",
        json!({ "data": { "valor": 5000, "dono": "BIA@example.com" } }),
    )
    .await;
    let small = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": { "valor": 10 } })).await;
    let path =
        format!("/c-flow-item-tasks?flow_item.item={}&_sort=id&__relations=assigned_users,module_groups", big["id"]);
    let tasks = send(&app, &ana, "GET", &path, None).await.json();
    let shown: Vec<(Value, Value, Value, Value)> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["responsibility_type"].clone(),
                t["unified_responsible"].clone(),
                t["assigned_users"].clone(),
                t["module_groups"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (json!("responsible_rules"), json!("Jurídico"), json!([]), json!([group["id"]])),
            (json!("field_based"), json!("bia@example.com"), json!([bia.id]), json!([])),
            (json!("external_email"), json!("parceiro@example.com"), json!([]), json!([])),
        ]
    );
    // bia (in the group, and named by the field) has the first two in charge; not the small item's.
    let mine = send(&app, &bia, "GET", "/c-flow-item-tasks/in-charge?_sort=id", None).await.json();
    let ids: Vec<Value> = mine.as_array().unwrap().iter().map(|t| t["id"].clone()).collect();
    assert_eq!(ids, [tasks[0]["id"].clone(), tasks[1]["id"].clone()]);
    let path = format!("/c-flow-item-tasks?flow_item.item={}&_sort=id", small["id"]);
    let small_tasks = send(&app, &ana, "GET", &path, None).await.json();
    let unified: Vec<Value> =
        small_tasks.as_array().unwrap().iter().map(|t| t["unified_responsible"].clone()).collect();
    assert_eq!(unified, [json!("Todos"), json!(""), json!("parceiro@example.com")], "no rule holds: everybody");
    // __relations names only what it knows.
    let bad = send(&app, &ana, "GET", "/c-flow-item-tasks?__relations=item", None).await;
    bad.assert(
        400,
        validation(json!([{ "path": "__relations",
        "message": "expected assigned_users, module_groups or flow_item.item, got \"item\"" }])),
    );
    // flow_item.item embeds the run with the item as the caller reads it.
    let embedded =
        send(&app, &bia, "GET", &format!("/c-flow-item-tasks/{}?__relations=flow_item.item", tasks[1]["id"]), None)
            .await;
    assert_eq!(embedded.status, 200, "{}", embedded.text());
    let embedded = embedded.json();
    assert_eq!(embedded["flow_item"]["item"]["reference"], big["reference"]);
    assert_eq!(embedded["flow_item"]["item"]["id"], big["id"]);
}

#[tokio::test]
async fn a_responsible_without_read_on_the_type_reads_its_task_the_stage_task_and_the_run() {
    let (app, ana) = setup().await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("types::segredos::read", None)]).await;
    app.assign_role(member, role).await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    let hers = created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "Dela", "action": "close_stage",
        "responsibility_type": "users", "users": [bia.id] }),
    )
    .await;
    let other = created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "Outra", "action": "confirmation" }),
    )
    .await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let run = flow_item_of(&app, &ana, &item["id"]).await;
    let mine = send(&app, &bia, "GET", "/c-flow-item-tasks/in-charge", None).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let task = mine[0]["id"].clone();
    assert_eq!(send(&app, &bia, "GET", &format!("/c-flow-item-tasks/{task}"), None).await.status, 200);
    assert_eq!(send(&app, &bia, "GET", &format!("/c-stage-tasks/{}", hers["id"]), None).await.json()["name"], "Dela");
    assert_eq!(send(&app, &bia, "GET", &format!("/c-flow-items/{}", run["id"]), None).await.json()["id"], run["id"]);
    send(&app, &bia, "GET", &format!("/c-stage-tasks/{}", other["id"]), None)
        .await
        .assert_error(403, "Permission denied: types::contratos::read");
    send(&app, &bia, "GET", "/c-flow-items/count", None).await.assert(200, json!(0));
    // Without read on the type, the embedded item is its identity only.
    let embedded =
        send(&app, &bia, "GET", &format!("/c-flow-item-tasks/{task}?__relations=flow_item.item"), None).await;
    assert_eq!(embedded.json()["flow_item"]["item"], json!({ "id": item["id"], "reference": item["reference"] }));
    let done = send(&app, &bia, "PUT", &format!("/c-flow-item-tasks/{task}/complete"), None).await;
    assert_eq!(done.status, 200, "{}", done.text());
    // Her own task's events reach her (decision 66); the other task's and the run's do not.
    let feed = send(&app, &bia, "GET", "/ws/events?kind_in=schedule_task.*&kind_in=flow_item.*", None).await.json();
    let seen: Vec<(Value, Value)> =
        feed.as_array().unwrap().iter().map(|e| (e["kind"].clone(), e["subject"]["id"].clone())).collect();
    assert_eq!(
        seen,
        [(json!("schedule_task.created"), task.clone()), (json!("schedule_task.completed"), task.clone())],
        "{feed}"
    );
}

#[tokio::test]
async fn open_tasks_follow_their_fields_when_the_item_changes() {
    let (app, ana) = setup().await;
    for body in [
        json!({ "name": "Prazo", "slug": "prazo", "type": "date" }),
        json!({ "name": "Dono", "slug": "dono", "type": "email" }),
    ] {
        created(&app, &ana, "/ws/types/contratos/fields", body).await;
    }
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "No prazo", "action": "confirmation",
        "sla": 1, "sla_type": "days", "sla_origin": "field", "sla_field": "prazo" }),
    )
    .await;
    created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "Do dono", "action": "confirmation",
        "responsibility_type": "field_based", "responsible_field": "dono" }),
    )
    .await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let tasks = tasks_of(&app, &ana, &item["id"]).await;
    assert_eq!((&tasks[0]["due_date"], &tasks[1]["unified_responsible"]), (&Value::Null, &json!("")));
    let base = send(&app, &ana, "GET", "/ws/events?kind=schedule_task.updated", None).await;
    base.assert(200, json!([]));
    let path = format!("/ws/types/contratos/items/{}", item["reference"].as_str().unwrap());
    let changed = send(
        &app,
        &ana,
        "PUT",
        &path,
        Some(json!({ "data": { "prazo": "2026-12-01T10:00:00Z", "dono": "ana@example.com" } })),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let tasks = tasks_of(&app, &ana, &item["id"]).await;
    assert_eq!(tasks[0]["due_date"], "2026-12-02T10:00:00.000Z");
    assert_eq!(tasks[1]["unified_responsible"], "ana@example.com");
    let events = send(&app, &ana, "GET", "/ws/events?kind=schedule_task.updated", None).await.json();
    let changes: Vec<Value> = events.as_array().unwrap().iter().map(|e| e["changes"].clone()).collect();
    assert_eq!(
        changes,
        [
            json!({ "due_date": { "from": null, "to": "2026-12-02T10:00:00.000Z" } }),
            json!({ "unified_responsible": { "from": "", "to": "ana@example.com" } })
        ]
    );
    // The one named by the field now has it in charge.
    let mine = send(&app, &ana, "GET", "/c-flow-item-tasks/in-charge?task_name=Do%20dono", None).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_answer_taken_by_another_item_is_a_conflict_as_on_an_update() {
    let (app, ana) = setup().await;
    created(
        &app,
        &ana,
        "/ws/types/contratos/fields",
        json!({ "name": "Codigo", "slug": "codigo", "type": "text", "unique": true }),
    )
    .await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "Codificar", "action": "fill_fields",
        "fields": [{ "refId": "codigo", "required": true }] }),
    )
    .await;
    created(&app, &ana, "/ws/types/contratos/items", json!({ "data": { "codigo": "C-1" } })).await;
    let other = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let task = tasks_of(&app, &ana, &other["id"]).await[0]["id"].clone();
    let taken =
        send(&app, &ana, "PUT", &format!("/c-flow-item-tasks/{task}/complete"), Some(json!({ "codigo": "C-1" }))).await;
    taken.assert(
        409,
        json!({ "statusCode": 409, "error": "Conflict", "message": "A unique field's value is already used",
            "details": [{ "path": "codigo", "message": "\"C-1\" is already used by another item (the field is unique)" }] }),
    );
    assert_eq!(tasks_of(&app, &ana, &other["id"]).await[0]["work_status"], "waiting", "nothing changed");
}

#[tokio::test]
async fn a_cycle_of_empty_stages_stops_at_the_cap_and_waits() {
    let (app, ana) = setup().await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "Loop", "item_type": "contratos" })).await;
    let a = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    let b = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "B" })).await;
    for (from, to) in [(&a, &b), (&b, &a)] {
        created(&app, &ana, "/c-flow-transitions", json!({ "flow": flow["id"], "from": from["id"], "to": to["id"] }))
            .await;
    }
    // Nothing to do anywhere: the run goes round by itself, 32 stage entries at most per
    // command (decision 18), then waits running in the last one entered.
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let run = flow_item_of(&app, &ana, &item["id"]).await;
    let log = rows(&run["stages_log"]);
    let starts = log.iter().filter(|r| r["status"] == "start").count();
    let completes = log.iter().filter(|r| r["status"] == "complete").count();
    assert_eq!((starts, completes), (32, 31));
    assert_eq!((&run["run_status"], &run["stage"]), (&json!("running"), &b["id"]), "the 32nd entry is B");
    assert_eq!(log.last().unwrap(), &json!({ "status": "start", "stage_id": b["id"] }));
    // …and says so once, as the server's own event about the run.
    let stalled = send(&app, &ana, "GET", "/ws/events?kind=flow_item.stalled", None).await.json();
    let stalled = rows(&stalled);
    assert_eq!(stalled.len(), 1);
    assert_eq!(
        (&stalled[0]["source"], &stalled[0]["subject"]["id"], &stalled[0]["changes"], &stalled[0]["actor"]),
        (&json!("system"), &run["id"], &json!({ "automatic_entries": { "from": null, "to": 32 } }), &Value::Null)
    );
}

#[tokio::test]
async fn whoever_holds_a_task_has_it_in_charge_until_it_is_taken_over() {
    let (app, ana) = setup().await;
    let bia = full_member(&app, "bia@example.com").await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "Da Ana", "action": "close_flow",
        "require_assignment": true, "responsibility_type": "users", "users": [ana.id] }),
    )
    .await;
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let task = tasks_of(&app, &ana, &item["id"]).await[0]["id"].clone();
    let in_charge = |user: &TestUser| {
        let user = user.clone();
        let app = &app;
        async move { send(app, &user, "GET", "/c-flow-item-tasks/in-charge/count", None).await.json() }
    };
    assert_eq!((in_charge(&ana).await, in_charge(&bia).await), (json!(1), json!(0)));
    // bia (role-less full) takes it over: it is hers to hold, so in her charge.
    let taken = send(&app, &bia, "POST", &format!("/c-flow-item-tasks/{task}/assign"), None).await;
    assert_eq!((taken.status, &taken.json()["assigned"]), (200, &json!(bia.id)));
    assert_eq!((in_charge(&ana).await, in_charge(&bia).await), (json!(1), json!(1)));
    // ana takes it back: bia no longer holds it.
    let back = send(&app, &ana, "POST", &format!("/c-flow-item-tasks/{task}/assign"), None).await;
    assert_eq!((back.status, &back.json()["assigned"]), (200, &json!(ana.id)));
    assert_eq!((in_charge(&ana).await, in_charge(&bia).await), (json!(1), json!(0)));
    let log: Vec<Value> = rows(&back.json()["task_log"]).iter().map(|r| r["email"].clone()).collect();
    assert_eq!(log, [Value::Null, json!("bia@example.com"), json!("ana@example.com")]);
}
