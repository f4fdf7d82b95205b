//! Quick tasks through the router: the wire shape at both paths, every filter and rejection of
//! the spec with its body, completion over every status pair, form, crud and approval tasks,
//! trash and restore, who may see and change what, and the events.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::{
    flows::{created, keys, send, setup},
    time, validation,
};

const KEYS: [&str; 26] = [
    "archived",
    "assigned_to",
    "collaborators",
    "completed_at",
    "completed_by",
    "created_at",
    "creator",
    "deleted_at",
    "description",
    "due_date",
    "external_task",
    "id",
    "item",
    "meta",
    "name",
    "node_execution",
    "notification_task",
    "permissions",
    "points",
    "priority",
    "reference",
    "status",
    "tag_ids",
    "type",
    "updated_at",
    "workspace",
];

/// Acme with ana (owner) and bia (a standard member with `roles`' permissions, none when
/// empty); answers (app, ana, bia).
async fn with_member(permissions: &[&str]) -> (TestApp, TestUser, TestUser) {
    let (app, ana) = setup().await;
    let bia = app.user("bia@example.com").await;
    // Acme is the first workspace: id 1.
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let grants: Vec<(&str, Option<Value>)> = permissions.iter().map(|p| (*p, None)).collect();
    let role = app.role(1, &grants).await;
    app.assign_role(member, role).await;
    (app, ana, bia)
}

async fn put(app: &TestApp, user: &TestUser, id: &Value, body: Value) -> Value {
    let answer = send(app, user, "PUT", &format!("/ws/tasks/{id}"), Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_task_has_every_key_at_both_paths() {
    let (app, ana) = setup().await;
    let task = created(&app, &ana, "/ws/tasks", json!({ "name": "Revisar a resposta" })).await;
    assert_eq!(keys(&task), KEYS);
    let reference = task["reference"].as_str().unwrap();
    assert!(reference.len() == 32 && reference.chars().all(|c| c.is_ascii_alphanumeric()), "{reference}");
    time(&task["created_at"]);
    time(&task["updated_at"]);
    let mut shown = task.clone();
    for key in ["id", "reference", "created_at", "updated_at"] {
        shown.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(
        shown,
        json!({ "name": "Revisar a resposta", "description": null, "type": "generic", "status": "pending",
            "priority": "normal", "due_date": null, "points": null, "meta": {}, "creator": ana.id,
            "assigned_to": null, "completed_by": null, "completed_at": null, "node_execution": null, "item": null,
            "notification_task": false, "archived": false, "external_task": null, "tag_ids": [],
            "workspace": "acme", "collaborators": [], "permissions": null, "deleted_at": null })
    );
    // `/tasks` answers the same task, list and count.
    let id = &task["id"];
    send(&app, &ana, "GET", &format!("/tasks/{id}"), None).await.assert(200, task.clone());
    send(&app, &ana, "GET", &format!("/ws/tasks/{id}"), None).await.assert(200, task.clone());
    send(&app, &ana, "GET", "/tasks", None).await.assert(200, json!([task.clone()]));
    send(&app, &ana, "GET", "/tasks/count", None).await.assert(200, json!(1));
    let other = created(&app, &ana, "/tasks", json!({ "name": "Outra" })).await;
    assert_ne!(other["reference"], task["reference"]);
    send(&app, &ana, "GET", "/ws/tasks/count", None).await.assert(200, json!(2));
    send(&app, &ana, "GET", "/ws/tasks/999999", None)
        .await
        .assert(404, json!({ "statusCode": 404, "error": "Not Found", "message": "Task not found" }));
}

#[tokio::test]
async fn every_rejection_names_what_and_where() {
    let (app, ana) = setup().await;
    let carla = app.user("carla@example.com").await; // not a member of acme
    app.workspace(&carla, "Outra").await;
    let foreign = app.post("/ws/types").key(&carla.key).ws("outra").json(&json!({ "name": "Pedidos" })).send().await;
    assert_eq!(foreign.status, 201);
    let foreign_item = app
        .post("/ws/types/pedidos/items")
        .key(&carla.key)
        .ws("outra")
        .json(&json!({ "data": {} }))
        .send()
        .await
        .json();

    send(
        &app,
        &ana,
        "POST",
        "/ws/tasks",
        Some(json!({ "description": "sem nome", "status": "done", "priority": "asap", "type": "chore",
            "points": -1, "assigned_to": carla.id, "collaborators": [ana.id, carla.id],
            "item": foreign_item["id"], "due_date": "amanhã" })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "name", "message": "is required" },
            { "path": "type", "message": "expected one of generic, form, crud, start, approval, got \"chore\"" },
            { "path": "status", "message": "expected one of pending, working, blocked, completed, got \"done\"" },
            { "path": "priority", "message": "expected one of low, normal, high, urgent, got \"asap\"" },
            { "path": "due_date", "message": "expected a date-time (RFC 3339, or YYYY-MM-DDTHH:MM in the workspace's time zone), got \"amanhã\"" },
            { "path": "points", "message": "must be a whole number of 0 or more" },
            { "path": "assigned_to", "message": format!("user {} is not a member of this workspace", carla.id) },
            { "path": "collaborators[1]", "message": format!("user {} is not a member of this workspace", carla.id) },
            { "path": "item", "message": format!("no item {} you may read in this workspace", foreign_item["id"]) },
        ])),
    );
    // By reference too.
    let reference = foreign_item["reference"].as_str().unwrap();
    send(&app, &ana, "POST", "/ws/tasks", Some(json!({ "name": "x", "item": reference }))).await.assert(
        400,
        validation(
            json!([{ "path": "item", "message": format!("no item {reference:?} you may read in this workspace") }]),
        ),
    );
    send(&app, &ana, "POST", "/ws/tasks", Some(json!({ "name": "x", "colour": "red" }))).await.assert(
        400,
        validation(json!([{ "path": "colour", "message": "unknown field `colour`, expected one of `name`, `description`, `type`, `status`, `priority`, `due_date`, `points`, `meta`, `assigned_to`, `collaborators`, `item`, `tag_ids`, `notification_task`, `archived`, `deleted_at`" }])),
    );
    send(&app, &ana, "POST", "/ws/tasks", Some(json!({ "name": "x", "deleted_at": null })))
        .await
        .assert(400, validation(json!([{ "path": "deleted_at", "message": "a new task is not in the trash" }])));
    let task = created(&app, &ana, "/ws/tasks", json!({ "name": "Tarefa" })).await;
    let id = &task["id"];
    send(&app, &ana, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "deleted_at": "2026-01-01T00:00:00Z" })))
        .await
        .assert(
            400,
            validation(json!([{ "path": "deleted_at", "message": "accepts only null (restore); DELETE moves a task to the trash" }])),
        );
    send(&app, &ana, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "name": " " })))
        .await
        .assert(400, validation(json!([{ "path": "name", "message": "must not be empty" }])));
    send(&app, &ana, "DELETE", &format!("/ws/tasks/{id}?permanent=yes"), None)
        .await
        .assert(400, validation(json!([{ "path": "permanent", "message": "expected true or false, got \"yes\"" }])));
    // Read-only keys sent back are ignored; nothing was changed by the refusals.
    let again =
        put(&app, &ana, id, json!({ "reference": "x", "creator": 1, "workspace": "y", "completed_by": 5 })).await;
    assert_eq!(again, task);
    // Lists refuse what they cannot filter.
    send(&app, &ana, "GET", "/ws/tasks?status=done", None).await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request",
            "message": "Invalid query parameter status: expected one of pending, working, blocked, completed, got \"done\"",
            "details": [{ "path": "status", "message": "expected one of pending, working, blocked, completed, got \"done\"" }] }),
    );
}

#[tokio::test]
async fn completion_follows_every_status_pair() {
    let (app, ana, bia) = with_member(&["tasks::quick::read", "tasks::quick::update", "tasks::quick::create"]).await;
    const STATUSES: [&str; 4] = ["pending", "working", "blocked", "completed"];
    let task = created(&app, &ana, "/ws/tasks", json!({ "name": "Ciclo" })).await;
    let id = &task["id"];
    for from in STATUSES {
        for to in STATUSES {
            // Reach `from` as ana, then move to `to` as bia.
            let at_from = put(&app, &ana, id, json!({ "status": from })).await;
            let after = put(&app, &bia, id, json!({ "status": to })).await;
            assert_eq!(after["status"], json!(to));
            match (from, to) {
                ("completed", "completed") => {
                    // Staying completed keeps who and when.
                    assert_eq!(
                        (&after["completed_by"], &after["completed_at"]),
                        (&json!(ana.id), &at_from["completed_at"])
                    );
                }
                (_, "completed") => {
                    assert_eq!(after["completed_by"], json!(bia.id), "{from} -> {to}");
                    time(&after["completed_at"]);
                }
                _ => assert_eq!(
                    (&after["completed_by"], &after["completed_at"]),
                    (&Value::Null, &Value::Null),
                    "{from} -> {to}"
                ),
            }
        }
    }
    // Created completed: completed by its creator, now (the product leaves both null).
    let done = created(&app, &bia, "/ws/tasks", json!({ "name": "Feita", "status": "completed" })).await;
    assert_eq!(done["completed_by"], json!(bia.id));
    assert_eq!(time(&done["completed_at"]), time(&done["created_at"]));
}

#[tokio::test]
async fn filters_select_and_archived_or_trashed_tasks_hide_unless_named() {
    let (app, ana, bia) = with_member(&["tasks::quick::read"]).await;
    let a = created(
        &app,
        &ana,
        "/ws/tasks",
        json!({ "name": "Ligar para o cliente", "description": "<p>Confirmar a proposta</p>", "priority": "high",
            "assigned_to": bia.id, "due_date": "2026-09-23T12:00", "points": 3, "tag_ids": [3, 7],
            "collaborators": [ana.id] }),
    )
    .await;
    // A zone-less due date is read in the workspace's zone (America/Sao_Paulo, −03:00).
    assert_eq!(a["due_date"], json!("2026-09-23T15:00:00.000Z"));
    let b = created(
        &app,
        &ana,
        "/ws/tasks",
        json!({ "name": "Enviar contrato", "status": "working",
        "due_date": "2026-10-01T12:00:00Z", "tag_ids": [7] }),
    )
    .await;
    let c =
        created(&app, &ana, "/ws/tasks", json!({ "name": "Arquivada", "archived": true, "assigned_to": bia.id })).await;
    let d = created(&app, &ana, "/ws/tasks", json!({ "name": "Na lixeira", "assigned_to": bia.id })).await;
    send(&app, &ana, "DELETE", &format!("/ws/tasks/{}", d["id"]), None).await;
    let e = created(&app, &ana, "/ws/tasks", json!({ "name": "Feita", "status": "completed" })).await;
    let id = |t: &Value| t["id"].as_i64().unwrap();
    for (query, expected) in [
        ("", vec![id(&a), id(&b), id(&e)]),
        ("?status=working", vec![id(&b)]),
        ("?status_in=pending&status_in=working", vec![id(&a), id(&b)]),
        (&format!("?assigned_to={}&status_in=pending&status_in=working&_limit=100", bia.id), vec![id(&a)]),
        ("?assigned_to_null=true", vec![id(&b), id(&e)]),
        ("?priority=high", vec![id(&a)]),
        ("?points=3", vec![id(&a)]),
        (&format!("?creator={}", ana.id), vec![id(&a), id(&b), id(&e)]),
        ("?due_date_lt=2026-09-30", vec![id(&a)]),
        ("?due_date_gte=2026-09-30T00:00:00Z", vec![id(&b)]),
        ("?due_date_null=true", vec![id(&e)]),
        ("?completed_at_null=false", vec![id(&e)]),
        ("?name_contains=contrato", vec![id(&b)]),
        ("?_q=proposta", vec![id(&a)]),
        ("?tag_ids=7", vec![id(&a), id(&b)]),
        (&format!("?collaborators={}", ana.id), vec![id(&a)]),
        ("?external_task_null=true", vec![id(&a), id(&b), id(&e)]),
        // Naming archived or deleted_at lifts its hiding.
        ("?archived=true", vec![id(&c)]),
        ("?deleted_at_null=false", vec![id(&d)]),
        ("?_sort=due_date:desc&due_date_null=false", vec![id(&b), id(&a)]),
    ] {
        let listed = send(&app, &bia, "GET", &format!("/ws/tasks{query}"), None).await;
        assert_eq!(listed.status, 200, "{query}: {}", listed.text());
        assert_eq!(ids(&listed.json()), expected, "{query}");
        let counted = send(&app, &bia, "GET", &format!("/ws/tasks/count{query}"), None).await;
        assert_eq!(counted.json(), json!(expected.len()), "count{query}");
    }
    // The trashed task is still there to get, with its deleted_at.
    let trashed = send(&app, &ana, "GET", &format!("/ws/tasks/{}", d["id"]), None).await.json();
    time(&trashed["deleted_at"]);
}

#[tokio::test]
async fn trash_restore_and_permanent_delete_each_leave_their_event() {
    let (app, ana) = setup().await;
    let task = created(&app, &ana, "/ws/tasks", json!({ "name": "Temporária" })).await;
    let id = &task["id"];
    let trashed = send(&app, &ana, "DELETE", &format!("/ws/tasks/{id}"), None).await;
    assert_eq!(trashed.status, 200, "{}", trashed.text());
    let trashed = trashed.json();
    time(&trashed["deleted_at"]);
    // Trashing again changes nothing.
    send(&app, &ana, "DELETE", &format!("/ws/tasks/{id}"), None).await.assert(200, trashed.clone());
    send(&app, &ana, "GET", "/ws/tasks/count", None).await.assert(200, json!(0));
    let restored = put(&app, &ana, id, json!({ "deleted_at": null })).await;
    assert_eq!(restored["deleted_at"], Value::Null);
    send(&app, &ana, "GET", "/ws/tasks/count", None).await.assert(200, json!(1));
    let gone = send(&app, &ana, "DELETE", &format!("/ws/tasks/{id}?permanent=true"), None).await;
    assert_eq!(gone.status, 200);
    assert_eq!(gone.json()["name"], json!("Temporária"));
    send(&app, &ana, "GET", &format!("/ws/tasks/{id}"), None).await.assert_error(404, "Task not found");

    let events = send(&app, &ana, "GET", "/ws/events?subject.type=quick_task", None).await.json();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["quick_task.created", "quick_task.updated", "quick_task.updated", "quick_task.deleted"]);
    let created_event = &events[0];
    assert_eq!(created_event["subject"], json!({ "type": "quick_task", "id": id, "reference": task["reference"] }));
    assert_eq!(
        created_event["changes"],
        json!({ "name": { "from": null, "to": "Temporária" }, "type": { "from": null, "to": "generic" },
            "status": { "from": null, "to": "pending" }, "priority": { "from": null, "to": "normal" },
            "meta": { "from": null, "to": {} }, "collaborators": { "from": null, "to": [] },
            "tag_ids": { "from": null, "to": [] }, "notification_task": { "from": null, "to": false },
            "archived": { "from": null, "to": false } })
    );
    assert_eq!(events[1]["changes"]["deleted_at"]["from"], Value::Null);
    time(&events[1]["changes"]["deleted_at"]["to"]);
    assert_eq!(events[2]["changes"]["deleted_at"]["to"], Value::Null);
    assert_eq!(events[3]["changes"]["name"], json!({ "from": "Temporária", "to": null }));
}

#[tokio::test]
async fn a_member_without_read_sees_and_changes_only_its_own() {
    let (app, ana, bia) = with_member(&["tasks::quick::create"]).await;
    let others = created(&app, &ana, "/ws/tasks", json!({ "name": "Só da Ana" })).await;
    let assigned = created(
        &app,
        &ana,
        "/ws/tasks",
        json!({ "name": "Para a Bia", "assigned_to": bia.id, "type": "form",
            "meta": { "form": [{ "refId": "parecer", "label": "Parecer", "type": "EnTextArea", "required": true }] } }),
    )
    .await;
    let collaborating =
        created(&app, &ana, "/ws/tasks", json!({ "name": "Com a Bia", "collaborators": [bia.id] })).await;
    let own = created(&app, &bia, "/ws/tasks", json!({ "name": "Da Bia" })).await;
    let listed = send(&app, &bia, "GET", "/ws/tasks", None).await.json();
    assert_eq!(
        ids(&listed),
        [&assigned, &collaborating, &own].iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>()
    );
    // "My tasks" by assignee or creator, and another's: still only the tasks naming bia.
    let mine = send(&app, &bia, "GET", &format!("/ws/tasks?assigned_to={}", bia.id), None).await.json();
    assert_eq!(ids(&mine), [assigned["id"].as_i64().unwrap()]);
    let made = send(&app, &bia, "GET", &format!("/ws/tasks?creator={}", bia.id), None).await.json();
    assert_eq!(ids(&made), [own["id"].as_i64().unwrap()]);
    let anas = send(&app, &bia, "GET", &format!("/ws/tasks?creator={}", ana.id), None).await.json();
    assert_eq!(ids(&anas), [assigned["id"].as_i64().unwrap(), collaborating["id"].as_i64().unwrap()]);
    send(&app, &bia, "GET", &format!("/ws/tasks/count?creator={}", ana.id), None).await.assert(200, json!(2));
    send(&app, &bia, "GET", &format!("/ws/tasks/{}", others["id"]), None)
        .await
        .assert_error(403, "Permission denied: tasks::quick::read");
    send(&app, &bia, "PUT", &format!("/ws/tasks/{}", others["id"]), Some(json!({ "status": "working" })))
        .await
        .assert_error(403, "Permission denied: tasks::quick::read");

    // The assignee: the status and the answers, nothing else.
    let id = &assigned["id"];
    send(&app, &bia, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "name": "Outro nome" })))
        .await
        .assert_error(403, "Permission denied: tasks::quick::update");
    send(&app, &bia, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "meta": { "form": [] } })))
        .await
        .assert_error(403, "Permission denied: tasks::quick::update");
    // Sending back an unchanged name is no change.
    let working = put(&app, &bia, id, json!({ "name": "Para a Bia", "status": "working" })).await;
    assert_eq!(working["status"], json!("working"));
    let done =
        put(&app, &bia, id, json!({ "status": "completed", "meta": { "form_result": { "parecer": "De acordo" } } }))
            .await;
    assert_eq!((&done["status"], &done["completed_by"]), (&json!("completed"), &json!(bia.id)));
    assert_eq!(done["meta"]["form_result"], json!({ "parecer": "De acordo" }));
    assert_eq!(done["meta"]["form"][0]["refId"], json!("parecer"), "meta merged, the form kept");
    send(&app, &bia, "DELETE", &format!("/ws/tasks/{id}"), None)
        .await
        .assert_error(403, "Permission denied: tasks::quick::delete");
    // A collaborator likewise; the creator changes and trashes its own.
    put(&app, &bia, &collaborating["id"], json!({ "status": "blocked" })).await;
    put(&app, &bia, &own["id"], json!({ "name": "Da Bia, renomeada", "priority": "urgent" })).await;
    let trashed = send(&app, &bia, "DELETE", &format!("/ws/tasks/{}", own["id"]), None).await;
    assert_eq!(trashed.status, 200, "{}", trashed.text());

    // Events: bia reads those of her tasks, not of ana's own.
    let events = send(&app, &bia, "GET", "/ws/events?subject.type=quick_task", None).await.json();
    let subjects: Vec<i64> = events.as_array().unwrap().iter().map(|e| e["subject"]["id"].as_i64().unwrap()).collect();
    assert!(!subjects.contains(&others["id"].as_i64().unwrap()), "{subjects:?}");
    assert!(subjects.contains(&assigned["id"].as_i64().unwrap()), "{subjects:?}");
}

#[tokio::test]
async fn a_viewer_reads_its_tasks_and_changes_none() {
    let (app, ana) = setup().await;
    let vera = app.user("vera@example.com").await;
    app.add_member(1, vera.id, MemberType::Viewer, MemberStatus::Active).await;
    let task = created(&app, &ana, "/ws/tasks", json!({ "name": "Para a Vera", "assigned_to": vera.id })).await;
    send(&app, &vera, "GET", &format!("/ws/tasks/{}", task["id"]), None).await.assert(200, task.clone());
    send(&app, &vera, "PUT", &format!("/ws/tasks/{}", task["id"]), Some(json!({ "status": "working" })))
        .await
        .assert_error(403, "Permission denied: tasks::quick::update");
    send(&app, &vera, "POST", "/ws/tasks", Some(json!({ "name": "Minha" })))
        .await
        .assert_error(403, "Permission denied: tasks::quick::create");
}

#[tokio::test]
async fn a_form_task_completes_only_with_answers_its_form_accepts() {
    let (app, ana) = setup().await;
    let form = json!([
        { "refId": "parecer", "label": "Parecer", "type": "EnTextArea", "required": true },
        { "refId": "nota", "label": "Nota", "type": "number" },
        { "refId": "contrato", "label": "Contrato", "type": "EnRel", "config": { "rel": { "collection": "contratos" } } }
    ]);
    send(
        &app,
        &ana,
        "POST",
        "/ws/tasks",
        Some(json!({ "name": "x", "type": "form", "meta": { "form": [
            { "refId": "a", "label": "A", "type": "EnRel", "config": { "rel": { "collection": "nada" } } },
            { "refId": "b", "label": "B", "type": "uploadFile" }
        ] } })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "meta.form[1].type", "message": "uploadFile cannot be a question of a task's form: its values are files or written by the server" },
            { "path": "meta.form[0].config.rel.collection", "message": "no type \"nada\" in this workspace" },
        ])),
    );
    let task =
        created(&app, &ana, "/ws/tasks", json!({ "name": "Parecer", "type": "form", "meta": { "form": form } })).await;
    let id = &task["id"];
    // Types are checked on every write; required only when completing.
    send(
        &app,
        &ana,
        "PUT",
        &format!("/ws/tasks/{id}"),
        Some(json!({ "meta": { "form_result": { "nota": "sete", "outra": 1 } } })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "meta.form_result.nota", "message": "expected a number, got \"sete\"" },
            { "path": "meta.form_result.outra", "message": "\"outra\" is not a question of the task's form" },
        ])),
    );
    put(&app, &ana, id, json!({ "meta": { "form_result": { "nota": 7 } } })).await;
    send(&app, &ana, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "status": "completed" })))
        .await
        .assert(400, validation(json!([{ "path": "meta.form_result.parecer", "message": "is required" }])));
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let done = put(
        &app,
        &ana,
        id,
        json!({ "status": "completed", "meta": { "form_result": { "parecer": "ok", "nota": 7, "contrato": item["reference"] } } }),
    )
    .await;
    assert_eq!(done["status"], json!("completed"));
    assert_eq!(
        done["meta"]["form_result"],
        json!({ "parecer": "ok", "nota": 7, "contrato": { "id": item["id"], "reference": item["reference"] } })
    );
    // A form task without a form is refused; a type change re-checks meta.
    send(&app, &ana, "POST", "/ws/tasks", Some(json!({ "name": "x", "type": "form" })))
        .await
        .assert(400, validation(json!([{ "path": "meta.form", "message": "is required for a form task" }])));
    let generic = created(&app, &ana, "/ws/tasks", json!({ "name": "g" })).await;
    send(&app, &ana, "PUT", &format!("/ws/tasks/{}", generic["id"]), Some(json!({ "type": "crud" }))).await.assert(
        400,
        validation(json!([{ "path": "meta.form", "message": "is required for a crud task: the hash of a form" }])),
    );
}

#[tokio::test]
async fn crud_and_approval_tasks_follow_their_rules() {
    let (app, ana) = setup().await;
    let form = created(&app, &ana, "/ws/types/contratos/forms", json!({ "name": "Novo contrato" })).await;
    let hash = form["hash"].as_str().unwrap().to_string();
    send(&app, &ana, "POST", "/ws/tasks", Some(json!({ "name": "x", "type": "crud", "meta": { "form": "nope" } })))
        .await
        .assert(
            400,
            validation(json!([{ "path": "meta.form", "message": "no create form \"nope\" in this workspace" }])),
        );
    let task =
        created(&app, &ana, "/ws/tasks", json!({ "name": "Cadastrar", "type": "crud", "meta": { "form": hash } }))
            .await;
    let id = &task["id"];
    send(&app, &ana, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "status": "completed" })))
        .await
        .assert(
            400,
            validation(json!([{ "path": "meta.itemReference", "message": "is required to complete a crud task: the reference of the item its form created" }])),
        );
    let other_type = created(&app, &ana, "/ws/types/segredos/items", json!({ "data": {} })).await;
    let reference = other_type["reference"].as_str().unwrap();
    send(&app, &ana, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "meta": { "itemReference": reference } })))
        .await
        .assert(
            400,
            validation(json!([{ "path": "meta.itemReference", "message": format!("no item {reference:?} of the form's type in this workspace") }])),
        );
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let done =
        put(&app, &ana, id, json!({ "status": "completed", "meta": { "itemReference": item["reference"] } })).await;
    assert_eq!(done["status"], json!("completed"));

    // Approval: completed needs a decision; a decision completes it; reopening keeps it.
    let approval = created(&app, &ana, "/ws/tasks", json!({ "name": "Aprovar", "type": "approval" })).await;
    let id = &approval["id"];
    send(&app, &ana, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "status": "completed" })))
        .await
        .assert(
            400,
            validation(json!([{ "path": "meta.decision", "message": "is required to complete an approval task: approved or rejected" }])),
        );
    send(&app, &ana, "PUT", &format!("/ws/tasks/{id}"), Some(json!({ "meta": { "decision": "maybe" } }))).await.assert(
        400,
        validation(
            json!([{ "path": "meta.decision", "message": "expected one of approved, rejected, got \"maybe\"" }]),
        ),
    );
    let decided = put(&app, &ana, id, json!({ "meta": { "decision": "approved", "comment": "ok" } })).await;
    assert_eq!((&decided["status"], &decided["completed_by"]), (&json!("completed"), &json!(ana.id)));
    let reopened = put(&app, &ana, id, json!({ "status": "pending" })).await;
    assert_eq!(
        (&reopened["status"], &reopened["meta"], &reopened["completed_at"]),
        (&json!("pending"), &json!({ "decision": "approved", "comment": "ok" }), &Value::Null)
    );
}

#[tokio::test]
async fn the_item_link_takes_an_id_or_a_reference_of_a_readable_item() {
    let (app, ana, bia) = with_member(&["tasks::quick::read", "tasks::quick::create", "types::contratos::read"]).await;
    let contrato = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": {} })).await;
    let segredo = created(&app, &ana, "/ws/types/segredos/items", json!({ "data": {} })).await;
    let by_id = created(&app, &bia, "/ws/tasks", json!({ "name": "a", "item": contrato["id"] })).await;
    let by_reference = created(&app, &bia, "/ws/tasks", json!({ "name": "b", "item": contrato["reference"] })).await;
    assert_eq!((&by_id["item"], &by_reference["item"]), (&contrato["id"], &contrato["id"]));
    send(&app, &bia, "POST", "/ws/tasks", Some(json!({ "name": "c", "item": segredo["id"] }))).await.assert(
        400,
        validation(
            json!([{ "path": "item", "message": format!("no item {} you may read in this workspace", segredo["id"]) }]),
        ),
    );
    let listed = send(&app, &bia, "GET", &format!("/ws/tasks?item={}", contrato["id"]), None).await.json();
    assert_eq!(ids(&listed).len(), 2);
    // The event names the item and its type.
    let events = send(&app, &ana, "GET", "/ws/events?subject.type=quick_task&_limit=1", None).await.json();
    assert_eq!(
        events[0]["subject"],
        json!({ "type": "quick_task", "id": by_id["id"], "reference": by_id["reference"], "item_type": "contratos",
            "item": { "id": contrato["id"], "reference": contrato["reference"] } })
    );
}
