//! Flow configuration: flows, stages and transitions — their wire shapes, every reference and
//! rule checked when saved, the start stage's rules, the 409s for what runs, tombstoned deletes,
//! their events, and who reads them.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestResponse, TestUser};
use serde_json::{json, Value};

use crate::validation;

pub(crate) async fn setup() -> (TestApp, TestUser) {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    for (path, body) in [
        ("/ws/types", json!({ "name": "Contratos" })),
        ("/ws/types/contratos/fields", json!({ "name": "Valor", "slug": "valor", "type": "number" })),
        ("/ws/types", json!({ "name": "Segredos" })),
    ] {
        let created = app.post(path).key(&ana.key).ws("acme").json(&body).send().await;
        assert_eq!(created.status, 201, "{path}: {}", created.text());
    }
    (app, ana)
}

pub(crate) async fn send(
    app: &TestApp,
    user: &TestUser,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    let request = app.request(method, path).key(&user.key).ws("acme");
    match body {
        Some(body) => request.json(&body).send().await,
        None => request.send().await,
    }
}

pub(crate) async fn created(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let answer = send(app, user, "POST", path, Some(body)).await;
    assert_eq!(answer.status, 201, "{path}: {}", answer.text());
    answer.json()
}

pub(crate) fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn a_flow_embeds_its_type_and_creator_and_checks_what_it_is_given() {
    let (app, ana) = setup().await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "Aprovação", "item_type": "contratos" })).await;
    assert_eq!(
        keys(&flow),
        ["conditional", "created_at", "id", "item_type", "name", "start_type", "status", "updated_at", "user"]
    );
    assert_eq!(
        (&flow["status"], &flow["start_type"], &flow["conditional"]),
        (&json!("active"), &json!("always"), &Value::Null)
    );
    let types = send(&app, &ana, "GET", "/ws/types?slug=contratos", None).await.json();
    assert_eq!(flow["item_type"], types[0], "the type as the types list shows it");
    assert_eq!((&flow["user"]["id"], &flow["user"]["email"]), (&json!(ana.id), &json!("ana@example.com")));
    let id = flow["id"].as_i64().unwrap();
    send(&app, &ana, "GET", &format!("/c-type-flows/{id}"), None).await.assert(200, flow.clone());
    // By the type's id too, with a start condition checked against the type's fields.
    let type_id = types[0]["id"].clone();
    let conditional = created(
        &app,
        &ana,
        "/c-type-flows",
        json!({ "name": "Grandes", "item_type": type_id,
        "start_type": "conditional", "conditional": { "data.valor_gt": 5000 }, "icon": "i-lucide-workflow" }),
    )
    .await;
    assert_eq!(
        (&conditional["conditional"], &conditional["icon"]),
        (&json!({ "data.valor_gt": 5000 }), &json!("i-lucide-workflow"))
    );

    let refused = |body: Value| send(&app, &ana, "POST", "/c-type-flows", Some(body));
    refused(json!({ "name": "x" }))
        .await
        .assert(400, validation(json!([{ "path": "item_type", "message": "is required" }])));
    refused(json!({ "name": "x", "item_type": "nada" }))
        .await
        .assert(400, validation(json!([{ "path": "item_type", "message": "no type \"nada\" in this workspace" }])));
    refused(json!({ "item_type": "contratos", "start_type": "conditional", "status": "paused" })).await.assert(
        400,
        validation(json!([
            { "path": "name", "message": "is required" },
            { "path": "status", "message": "expected one of active, inactive, got \"paused\"" },
            { "path": "conditional", "message": "is required with start_type conditional" },
        ])),
    );
    refused(json!({ "name": "x", "item_type": "contratos", "start_type": "conditional", "conditional": { "data.nada_gt": 1 } }))
        .await
        .assert(400, validation(json!([{ "path": "conditional.data.nada_gt", "message": "unknown field or operator" }])));

    // An update changes what it names; the type never changes.
    let path = format!("/c-type-flows/{id}");
    let renamed = send(&app, &ana, "PUT", &path, Some(json!({ "name": "Aprovação 2", "status": "inactive" }))).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(
        (&renamed.json()["name"], &renamed.json()["status"], &renamed.json()["start_type"]),
        (&json!("Aprovação 2"), &json!("inactive"), &json!("always"))
    );
    send(&app, &ana, "PUT", &path, Some(json!({ "item_type": "segredos" })))
        .await
        .assert(400, validation(json!([{ "path": "item_type", "message": "a flow's type cannot change" }])));

    // Lists filter on the type (by id or slug) and the status.
    let names = |query: &str| {
        let app = &app;
        let key = ana.key.clone();
        let query = query.to_string();
        async move {
            let list = app.get(&format!("/c-type-flows{query}")).key(&key).ws("acme").send().await.json();
            list.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names("?item_type.slug=contratos").await, ["Aprovação 2", "Grandes"]);
    assert_eq!(names("?status=active").await, ["Grandes"]);
    assert_eq!(names("?name_contains=apro").await, ["Aprovação 2"]);
    send(&app, &ana, "GET", "/c-type-flows/count?item_type.slug=segredos", None).await.assert(200, json!(0));
}

#[tokio::test]
async fn a_flows_first_stage_is_its_start_and_the_start_moves_but_never_goes() {
    let (app, ana) = setup().await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let triagem =
        created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Triagem", "is_start": false }))
            .await;
    assert_eq!(
        keys(&triagem),
        [
            "created_at",
            "flow",
            "id",
            "is_start",
            "item_type",
            "name",
            "progress_type",
            "status",
            "tasks",
            "updated_at",
            "user"
        ]
    );
    assert_eq!(
        (&triagem["is_start"], &triagem["progress_type"], &triagem["tasks"]),
        (&json!(true), &json!("closing_task"), &json!([]))
    );
    assert_eq!(triagem["flow"], flow);
    let execucao = created(
        &app,
        &ana,
        "/c-flow-stages",
        json!({ "flow": flow["id"], "name": "Execução",
        "progress_type": "all_tasks", "hex_color": "#3B82F6" }),
    )
    .await;
    assert_eq!((&execucao["is_start"], &execucao["hex_color"]), (&json!(false), &json!("#3B82F6")));
    // Making Execução the start moves it.
    let moved =
        send(&app, &ana, "PUT", &format!("/c-flow-stages/{}", execucao["id"]), Some(json!({ "is_start": true }))).await;
    assert_eq!(moved.json()["is_start"], true);
    let starts =
        send(&app, &ana, "GET", &format!("/c-flow-stages?flow={}&is_start=true", flow["id"]), None).await.json();
    assert_eq!(starts.as_array().unwrap().len(), 1);
    assert_eq!(starts[0]["id"], execucao["id"]);
    let path = format!("/c-flow-stages/{}", execucao["id"]);
    send(&app, &ana, "PUT", &path, Some(json!({ "is_start": false }))).await.assert(
        400,
        validation(
            json!([{ "path": "is_start", "message": "a flow keeps its start: make another stage the start instead" }]),
        ),
    );
    send(&app, &ana, "PUT", &path, Some(json!({ "status": "inactive" })))
        .await
        .assert(400, validation(json!([{ "path": "status", "message": "the start stage cannot be inactive" }])));
    send(&app, &ana, "POST", "/c-flow-stages", Some(json!({ "flow": 999, "name": "x", "hex_color": "blue" })))
        .await
        .assert(400, validation(json!([{ "path": "flow", "message": "no flow 999 in this workspace" }])));
    send(
        &app,
        &ana,
        "POST",
        "/c-flow-stages",
        Some(json!({ "flow": flow["id"], "name": "x", "hex_color": "blue", "progress_type": "some" })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "progress_type", "message": "expected one of closing_task, all_tasks, got \"some\"" },
            { "path": "hex_color", "message": "expected a colour #RGB or #RRGGBB, got \"blue\"" },
        ])),
    );
    send(&app, &ana, "GET", &format!("/c-flow-stages/count?flow={}", flow["id"]), None).await.assert(200, json!(2));
}

#[tokio::test]
async fn transitions_join_stages_of_their_flow_in_order() {
    let (app, ana) = setup().await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let other = created(&app, &ana, "/c-type-flows", json!({ "name": "G", "item_type": "contratos" })).await;
    let stage = |flow: &Value, name: &str| {
        let body = json!({ "flow": flow["id"], "name": name });
        let app = &app;
        let ana = ana.clone();
        async move { created(app, &ana, "/c-flow-stages", body).await["id"].as_i64().unwrap() }
    };
    let (a, b, c) = (stage(&flow, "A").await, stage(&flow, "B").await, stage(&flow, "C").await);
    let elsewhere = stage(&other, "X").await;
    let first = created(
        &app,
        &ana,
        "/c-flow-transitions",
        json!({ "flow": flow["id"], "from": a, "to": b,
        "name": "grande", "conditional": { "data.valor_gte": 1000 } }),
    )
    .await;
    // Every exit of A conditional: the run would end when none holds (decision 20).
    assert_eq!(first["warnings"], json!(["no unconditional fallback"]));
    let stage_a = send(&app, &ana, "PUT", &format!("/c-flow-stages/{a}"), Some(json!({ "name": "A" }))).await.json();
    assert_eq!(stage_a["warnings"], json!(["no unconditional fallback"]));
    let second = created(&app, &ana, "/c-flow-transitions", json!({ "flow": flow["id"], "from": a, "to": c })).await;
    assert_eq!(keys(&second), ["conditional", "created_at", "flow", "from", "id", "name", "order", "to", "updated_at"]);
    let stage_a = send(&app, &ana, "PUT", &format!("/c-flow-stages/{a}"), Some(json!({ "name": "A" }))).await.json();
    assert!(stage_a.get("warnings").is_none(), "a fallback exists now");
    assert_eq!(
        (&first["order"], &second["order"], &second["conditional"], &second["name"]),
        (&json!(1), &json!(2), &Value::Null, &json!(""))
    );
    send(
        &app,
        &ana,
        "POST",
        "/c-flow-transitions",
        Some(json!({ "flow": flow["id"], "from": a, "to": elsewhere,
        "conditional": { "data.valor_gte": "muito" } })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "to", "message": format!("no stage {elsewhere} in flow {}", flow["id"]) },
            { "path": "conditional.data.valor_gte", "message": "expected a number, got \"muito\"" },
        ])),
    );
    // Reordered: the list follows `order`.
    let path = format!("/c-flow-transitions/{}", second["id"]);
    assert_eq!(send(&app, &ana, "PUT", &path, Some(json!({ "order": 0 }))).await.json()["order"], 0);
    let listed = send(&app, &ana, "GET", &format!("/c-flow-transitions?from={a}"), None).await.json();
    let ids: Vec<&Value> = listed.as_array().unwrap().iter().map(|t| &t["id"]).collect();
    assert_eq!(ids, [&second["id"], &first["id"]]);
    // A stage's deletion takes its transitions with it.
    assert_eq!(send(&app, &ana, "DELETE", &format!("/c-flow-stages/{b}"), None).await.status, 200);
    send(&app, &ana, "GET", &format!("/c-flow-transitions/count?flow={}", flow["id"]), None)
        .await
        .assert(200, json!(1));
    send(&app, &ana, "GET", &format!("/c-flow-stages/{b}"), None).await.assert_error(404, "Stage not found");
}

#[tokio::test]
async fn what_runs_holds_its_flow_and_stage_until_forced() {
    let (app, ana) = setup().await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let start = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    created(&app, &ana, "/c-stage-tasks", json!({ "stage": start["id"], "name": "T", "action": "confirmation" })).await;
    // The item's run waits in the start stage on its task.
    let item = created(&app, &ana, "/ws/types/contratos/items", json!({ "data": { "valor": 1 } })).await;
    let flow_path = format!("/c-type-flows/{}", flow["id"]);
    let stage_path = format!("/c-flow-stages/{}", start["id"]);
    send(&app, &ana, "DELETE", &stage_path, None).await.assert_error(409, "1 flow item(s) are running in this stage");
    send(&app, &ana, "DELETE", &flow_path, None)
        .await
        .assert_error(409, "1 flow item(s) are running in this flow: delete with ?force=true to remove them");
    send(&app, &ana, "DELETE", &format!("{flow_path}?force=maybe"), None)
        .await
        .assert(400, validation(json!([{ "path": "force", "message": "expected true or false, got \"maybe\"" }])));
    // The run is readable as a flow item [wire shape].
    let reference = item["reference"].as_str().unwrap();
    let runs = send(&app, &ana, "GET", &format!("/c-flow-items?item.reference={reference}"), None).await.json();
    let run_id = runs[0]["id"].clone();
    let at = crate::time(&runs[0]["created_at"]);
    assert_eq!(
        runs,
        json!([{ "id": run_id, "item": item["id"], "flow": flow["id"], "stage": start["id"], "status": "active",
            "run_status": "running", "stages_log": [{ "status": "start", "stage_id": start["id"], "created_at": at }],
            "created_at": at, "updated_at": at }])
    );
    let count = format!("/c-flow-items/count?flow={}&run_status=running", flow["id"]);
    send(&app, &ana, "GET", &count, None).await.assert(200, json!(1));
    let base =
        send(&app, &ana, "GET", "/ws/events?kind=flow_item.*", None).await.header("x-next-after").unwrap().to_string();
    let forced = send(&app, &ana, "DELETE", &format!("{flow_path}?force=true"), None).await;
    assert_eq!((forced.status, &forced.json()["id"]), (200, &flow["id"]));
    send(&app, &ana, "GET", &flow_path, None).await.assert_error(404, "Flow not found");
    send(&app, &ana, "GET", &stage_path, None).await.assert_error(404, "Stage not found");
    send(&app, &ana, "GET", "/c-type-flows/count", None).await.assert(200, json!(0));
    // Its runs stay readable as history.
    let run = send(&app, &ana, "GET", &format!("/c-flow-items/{run_id}"), None).await.json();
    assert_eq!((&run["run_status"], &run["status"]), (&json!("removed"), &json!("inactive")));
    let run = app.db.fetch_one("SELECT run_status, status FROM flow_items", &[]).await.unwrap();
    assert_eq!(
        (run.text("run_status").unwrap(), run.text("status").unwrap()),
        ("removed".to_string(), "inactive".to_string())
    );
    let removed = send(&app, &ana, "GET", &format!("/ws/events?kind=flow_item.*&after={base}"), None).await.json();
    assert_eq!(removed[0]["subject"]["type"], "flow_item");
    assert_eq!(removed[0]["subject"]["item_type"], "contratos");
    assert_eq!(removed[0]["changes"], json!({ "run_status": { "from": "running", "to": "removed" } }));
}

#[tokio::test]
async fn configuration_writes_its_events_and_reads_follow_the_type() {
    let (app, ana) = setup().await;
    let (_, base) = {
        let answer = send(&app, &ana, "GET", "/ws/events", None).await;
        (answer.json(), answer.header("x-next-after").unwrap().to_string())
    };
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    let transition = created(
        &app,
        &ana,
        "/c-flow-transitions",
        json!({ "flow": flow["id"], "from": stage["id"], "to": stage["id"] }),
    )
    .await;
    send(&app, &ana, "PUT", &format!("/c-type-flows/{}", flow["id"]), Some(json!({ "name": "F2" }))).await;
    send(&app, &ana, "DELETE", &format!("/c-flow-transitions/{}", transition["id"]), None).await;
    let events = send(&app, &ana, "GET", &format!("/ws/events?after={base}"), None).await.json();
    let seen: Vec<(&Value, &Value, &Value)> =
        events.as_array().unwrap().iter().map(|e| (&e["kind"], &e["subject"]["id"], &e["changes"])).collect();
    assert_eq!(
        seen,
        [
            (
                &json!("flow.created"),
                &flow["id"],
                &json!({ "name": { "from": null, "to": "F" }, "status": { "from": null, "to": "active" }, "start_type": { "from": null, "to": "always" } })
            ),
            (
                &json!("stage.created"),
                &stage["id"],
                &json!({ "name": { "from": null, "to": "A" }, "status": { "from": null, "to": "active" }, "progress_type": { "from": null, "to": "closing_task" }, "is_start": { "from": null, "to": true } })
            ),
            (
                &json!("transition.created"),
                &transition["id"],
                &json!({ "from": { "from": null, "to": stage["id"] }, "to": { "from": null, "to": stage["id"] }, "name": { "from": null, "to": "" } })
            ),
            (&json!("flow.updated"), &flow["id"], &json!({ "name": { "from": "F", "to": "F2" } })),
            (
                &json!("transition.deleted"),
                &transition["id"],
                &json!({ "from": { "from": stage["id"], "to": null }, "to": { "from": stage["id"], "to": null }, "name": { "from": "", "to": null }, "order": { "from": 1, "to": null } })
            ),
        ]
    );

    // A reader of the type reads its flows; a member who may not read it sees none of them.
    let bia = app.user("bia@example.com").await;
    let reader = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("types::contratos::read", None)]).await;
    app.assign_role(reader, role).await;
    let caio = app.user("caio@example.com").await;
    let outsider = app.add_member(1, caio.id, MemberType::Standard, MemberStatus::Active).await;
    let other_role = app.role(1, &[("types::segredos::read", None)]).await;
    app.assign_role(outsider, other_role).await;
    assert_eq!(send(&app, &bia, "GET", "/c-type-flows", None).await.json().as_array().unwrap().len(), 1);
    assert_eq!(send(&app, &bia, "GET", &format!("/c-flow-stages/{}", stage["id"]), None).await.status, 200);
    send(&app, &bia, "POST", "/c-type-flows", Some(json!({ "name": "x", "item_type": "contratos" })))
        .await
        .assert_error(403, "Permission denied: settings::structure::manage");
    send(&app, &caio, "GET", "/c-type-flows", None).await.assert(200, json!([]));
    send(&app, &caio, "GET", "/c-flow-stages/count", None).await.assert(200, json!(0));
    send(&app, &caio, "GET", &format!("/c-type-flows/{}", flow["id"]), None)
        .await
        .assert_error(403, "Permission denied: types::contratos::read");
}

#[tokio::test]
async fn stage_tasks_check_every_reference_and_show_every_key() {
    let (app, ana) = setup().await;
    for body in [
        json!({ "name": "Prazo", "slug": "prazo", "type": "date" }),
        json!({ "name": "Contato", "slug": "contato", "type": "email" }),
    ] {
        created(&app, &ana, "/ws/types/contratos/fields", body).await;
    }
    let group = created(&app, &ana, "/ws/member-groups", json!({ "name": "Jurídico" })).await;
    let flow = created(&app, &ana, "/c-type-flows", json!({ "name": "F", "item_type": "contratos" })).await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Triagem" })).await;
    let task = created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "Classificar pedido",
        "action": "fill_fields", "sla": 1, "responsibility_type": "module_groups", "module_groups": [group["id"]],
        "fields": [{ "refId": "valor", "required": true }] }),
    )
    .await;
    let id = task["id"].clone();
    let mut expected = json!({ "id": id, "name": "Classificar pedido", "description": "", "stage": stage["id"], "order": 1,
        "action": "fill_fields", "start_type": "always", "conditional": null, "sla": 1, "sla_type": "hours",
        "sla_origin": "task_created", "sla_field": null, "responsibility_type": "module_groups", "users": [],
        "module_groups": [group["id"]], "external_email": null, "responsible_field": null, "require_assignment": false,
        "notify": true, "fields": [{ "refId": "valor", "required": true }], "email": null, "user": ana.id });
    let mut shown = task.clone();
    for key in ["created_at", "updated_at"] {
        assert!(shown.as_object_mut().unwrap().remove(key).is_some(), "{key}");
    }
    assert_eq!(shown, expected);
    // The stage shows its tasks by order.
    let mail = created(&app, &ana, "/c-stage-tasks", json!({ "stage": stage["id"], "name": "Avisar", "action": "sendmail",
        "email": { "to": [{ "field": "contato" }, "request_user"], "subject": "Contrato {{reference}}", "body": "Valor: {{data.valor}}" } }))
    .await;
    assert_eq!(mail["order"], 2);
    let tasks = send(&app, &ana, "GET", &format!("/c-flow-stages/{}", stage["id"]), None).await.json()["tasks"].clone();
    let names: Vec<&Value> = tasks.as_array().unwrap().iter().map(|t| &t["name"]).collect();
    assert_eq!(names, [&json!("Classificar pedido"), &json!("Avisar")]);

    send(&app, &ana, "POST", "/c-stage-tasks", Some(json!({ "stage": stage["id"], "name": "x", "action": "confirmation",
        "sla_origin": "field", "sla_field": "valor", "responsibility_type": "field_based", "responsible_field": "contato",
        "module_groups": [999], "color": "red" })))
    .await
    .assert(
        400,
        validation(json!([
            { "path": "color", "message": "unknown field" },
            { "path": "sla_field", "message": "\"valor\" is not a date field" },
            { "path": "module_groups[0]", "message": "no group 999 in this workspace" },
        ])),
    );
    send(&app, &ana, "POST", "/c-stage-tasks", Some(json!({ "name": "x", "action": "confirmation" })))
        .await
        .assert(400, validation(json!([{ "path": "stage", "message": "is required" }])));

    // An update keeps what it does not name; the stage never changes.
    let path = format!("/c-stage-tasks/{id}");
    let changed = send(
        &app,
        &ana,
        "PUT",
        &path,
        Some(json!({ "sla": 2, "sla_type": "workDays", "sla_origin": "field",
        "sla_field": "prazo", "order": 5 })),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    expected["sla"] = json!(2);
    expected["sla_type"] = json!("workDays");
    expected["sla_origin"] = json!("field");
    expected["sla_field"] = json!("prazo");
    expected["order"] = json!(5);
    let mut shown = changed.json();
    for key in ["created_at", "updated_at"] {
        shown.as_object_mut().unwrap().remove(key);
    }
    assert_eq!(shown, expected);
    send(&app, &ana, "PUT", &path, Some(json!({ "stage": 999 })))
        .await
        .assert(400, validation(json!([{ "path": "stage", "message": "a task's stage cannot change" }])));
    let listed =
        send(&app, &ana, "GET", &format!("/c-stage-tasks?stage={}&action=sendmail", stage["id"]), None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let kinds = send(&app, &ana, "GET", "/ws/events?kind=stage_task.*", None).await.json();
    let kinds: Vec<&Value> = kinds.as_array().unwrap().iter().map(|e| &e["kind"]).collect();
    assert_eq!(kinds, [&json!("stage_task.created"), &json!("stage_task.created"), &json!("stage_task.updated")]);
    // Deleting the stage takes its tasks out of the configuration.
    assert_eq!(send(&app, &ana, "DELETE", &format!("/c-flow-stages/{}", stage["id"]), None).await.status, 200);
    send(&app, &ana, "GET", &path, None).await.assert_error(404, "Task not found");
    send(&app, &ana, "GET", "/c-stage-tasks/count", None).await.assert(200, json!(0));
}

#[tokio::test]
async fn responsibility_rules_are_tried_in_order_and_checked_when_saved() {
    let (app, ana) = setup().await;
    created(&app, &ana, "/ws/types/contratos/fields", json!({ "name": "Contato", "slug": "contato", "type": "email" }))
        .await;
    let group = created(&app, &ana, "/ws/member-groups", json!({ "name": "Jurídico" })).await;
    let big = created(&app, &ana, "/c-responsibility-rules", json!({ "item_type": "contratos", "name": "Grandes",
        "conditional": { "data.valor_gte": 10000 }, "responsible_type": "module_groups", "module_groups": [group["id"]] }))
    .await;
    let types = send(&app, &ana, "GET", "/ws/types?slug=contratos", None).await.json();
    let mut shown = big.clone();
    for key in ["created_at", "updated_at"] {
        assert!(shown.as_object_mut().unwrap().remove(key).is_some());
    }
    assert_eq!(
        shown,
        json!({ "id": big["id"], "item_type": types[0]["id"], "name": "Grandes", "description": "", "order": 1,
            "conditional": { "data.valor_gte": 10000 }, "responsible_type": "module_groups", "users": [],
            "module_groups": [group["id"]], "responsible_field": null })
    );
    let by_field = created(
        &app,
        &ana,
        "/c-responsibility-rules",
        json!({ "item_type": types[0]["id"], "name": "Pelo contato",
        "responsible_type": "field_based", "responsible_field": "contato" }),
    )
    .await;
    assert_eq!(by_field["order"], 2);
    send(&app, &ana, "POST", "/c-responsibility-rules", Some(json!({ "item_type": "contratos", "name": "x",
        "responsible_type": "external_email", "users": [999] })))
    .await
    .assert(
        400,
        validation(json!([
            { "path": "responsible_type", "message": "expected one of everybody, request_user, users, module_groups, field_based, got \"external_email\"" },
            { "path": "users[0]", "message": "no member user 999 in this workspace" },
        ])),
    );
    let path = format!("/c-responsibility-rules/{}", by_field["id"]);
    let moved = send(&app, &ana, "PUT", &path, Some(json!({ "order": 0, "responsible_type": "request_user" }))).await;
    assert_eq!((&moved.json()["order"], &moved.json()["responsible_type"]), (&json!(0), &json!("request_user")));
    send(&app, &ana, "PUT", &path, Some(json!({ "item_type": "segredos" })))
        .await
        .assert(400, validation(json!([{ "path": "item_type", "message": "a rule's type cannot change" }])));
    let listed = send(&app, &ana, "GET", "/c-responsibility-rules?item_type.slug=contratos", None).await.json();
    let names: Vec<&Value> = listed.as_array().unwrap().iter().map(|r| &r["name"]).collect();
    assert_eq!(names, [&json!("Pelo contato"), &json!("Grandes")]);
    send(&app, &ana, "GET", "/c-responsibility-rules/count?responsible_type=module_groups", None)
        .await
        .assert(200, json!(1));
    assert_eq!(send(&app, &ana, "DELETE", &path, None).await.status, 200);
    send(&app, &ana, "GET", &path, None).await.assert_error(404, "Responsibility rule not found");
    let kinds = send(&app, &ana, "GET", "/ws/events?kind=responsibility_rule.*", None).await.json();
    let kinds: Vec<&Value> = kinds.as_array().unwrap().iter().map(|e| &e["kind"]).collect();
    assert_eq!(
        kinds,
        [
            &json!("responsibility_rule.created"),
            &json!("responsibility_rule.created"),
            &json!("responsibility_rule.updated"),
            &json!("responsibility_rule.deleted")
        ]
    );
}

#[tokio::test]
async fn deleting_what_flows_name_is_refused_or_leaves_no_dangling_reference() {
    let (app, ana) = setup().await;
    let prazo =
        created(&app, &ana, "/ws/types/contratos/fields", json!({ "name": "Prazo", "slug": "prazo", "type": "date" }))
            .await;
    let group = created(&app, &ana, "/ws/member-groups", json!({ "name": "Jurídico" })).await;
    let flow = created(
        &app,
        &ana,
        "/c-type-flows",
        json!({ "name": "F", "item_type": "contratos",
        "start_type": "conditional", "conditional": { "_or": [{ "status": "inactive" }, { "data.valor_gt": 10 }] } }),
    )
    .await;
    let stage = created(&app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "A" })).await;
    let task = created(
        &app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": stage["id"], "name": "T", "action": "fill_fields",
        "fields": [{ "refId": "prazo" }, { "refId": "valor" }], "sla": 1, "sla_origin": "field", "sla_field": "prazo",
        "responsibility_type": "module_groups", "module_groups": [group["id"]] }),
    )
    .await;
    let valor = send(&app, &ana, "GET", "/ws/types/contratos/fields", None).await.json()[0]["id"].clone();
    // A conditional tests valor: deleting it would widen the flow's start.
    send(&app, &ana, "DELETE", &format!("/ws/types/contratos/fields/{valor}"), None)
        .await
        .assert_error(409, &format!("The field is tested by conditionals of flow {}: change them first", flow["id"]));
    // Prazo is only a task's answer and its SLA's origin: it leaves them.
    assert_eq!(
        send(&app, &ana, "DELETE", &format!("/ws/types/contratos/fields/{}", prazo["id"]), None).await.status,
        200
    );
    assert_eq!(send(&app, &ana, "DELETE", &format!("/ws/member-groups/{}", group["id"]), None).await.status, 200);
    let after = send(&app, &ana, "GET", &format!("/c-stage-tasks/{}", task["id"]), None).await.json();
    assert_eq!(
        (&after["fields"], &after["sla_field"], &after["module_groups"]),
        (&json!([{ "refId": "valor", "required": false }]), &Value::Null, &json!([]))
    );
}
