//! The console's work screens (issue 19): My tasks grouped by due date, a task's page with
//! taking and completing it, an item's Tarefas and Fluxo tabs and the flow board — each
//! checked against what the API answers the same member. Through the real router, on both
//! databases.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{Browser, Page, TestApp, TestResponse, TestUser};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

async fn api(app: &TestApp, user: &TestUser, method: &str, path: &str, body: Option<Value>) -> TestResponse {
    let request = app.request(method, path).key(&user.key).ws("acme");
    match body {
        Some(body) => request.json(&body).send().await,
        None => request.send().await,
    }
}

async fn created(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let answer = api(app, user, "POST", path, Some(body)).await;
    assert_eq!(answer.status, 201, "{path}: {}", answer.text());
    answer.json()
}

/// What the flow is made of.
struct Atendimento {
    flow: i64,
    classificar: i64,
    triagem: i64,
    execucao: i64,
}

/// Ana owns Acme: type Pedidos (Tipo, a select; Prazo, a date; Valor, a number) whose flow
/// Atendimento runs Triagem (Classificar: fill in Tipo, required; closes the stage; due an
/// hour after Prazo) → Execução (Executar: closes the flow, taken first, Ana's).
async fn setup(app: &TestApp) -> (TestUser, i64, Atendimento) {
    let ana = app.user_with_password("ana@example.com", PASSWORD).await;
    let acme = app.workspace(&ana, "Acme").await["id"].as_i64().unwrap();
    created(app, &ana, "/ws/types", json!({ "name": "Pedidos" })).await;
    for field in [
        json!({ "name": "Tipo", "slug": "tipo", "type": "select",
            "options": [{ "value": "compra", "label": "Compra" }, { "value": "venda", "label": "Venda" }] }),
        json!({ "name": "Prazo", "slug": "prazo", "type": "date" }),
        json!({ "name": "Valor", "slug": "valor", "type": "number" }),
    ] {
        created(app, &ana, "/ws/types/pedidos/fields", field).await;
    }
    let flow = created(app, &ana, "/c-type-flows", json!({ "name": "Atendimento", "item_type": "pedidos" })).await;
    let triagem = created(app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Triagem" })).await;
    let execucao = created(app, &ana, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Execução" })).await;
    created(
        app,
        &ana,
        "/c-flow-transitions",
        json!({ "flow": flow["id"], "from": triagem["id"], "to": execucao["id"] }),
    )
    .await;
    let classificar = created(
        app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": triagem["id"], "name": "Classificar", "description": "Escolha o tipo do pedido.",
            "action": "close_stage", "fields": [{ "refId": "tipo", "required": true }],
            "sla": 1, "sla_type": "hours", "sla_origin": "field", "sla_field": "prazo" }),
    )
    .await;
    created(
        app,
        &ana,
        "/c-stage-tasks",
        json!({ "stage": execucao["id"], "name": "Executar", "action": "close_flow", "require_assignment": true,
            "responsibility_type": "users", "users": [ana.id] }),
    )
    .await;
    let ids = |v: &Value| v["id"].as_i64().unwrap();
    let flow = Atendimento {
        flow: ids(&flow),
        classificar: ids(&classificar),
        triagem: ids(&triagem),
        execucao: ids(&execucao),
    };
    (ana, acme, flow)
}

/// A new Pedido (its flow starts with it); answers its id and reference.
async fn pedido(app: &TestApp, ana: &TestUser, data: Value) -> (i64, String) {
    let item = created(app, ana, "/ws/types/pedidos/items", json!({ "data": data })).await;
    (item["id"].as_i64().unwrap(), item["reference"].as_str().unwrap().to_string())
}

/// The open schedule task of an item, as the API lists it.
async fn task_of(app: &TestApp, user: &TestUser, item: i64) -> Value {
    let listed = api(
        app,
        user,
        "GET",
        &format!("/c-flow-item-tasks?flow_item.item={item}&work_status_in=waiting&work_status_in=working"),
        None,
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let list = listed.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    list[0].clone()
}

async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let mut browser = Browser::new(app);
    browser.sign_in(email, PASSWORD).await;
    browser
}

/// The inbox's groups: (id, title with its count, task links).
fn groups(page: &Page) -> Vec<(String, String, Vec<String>)> {
    page.attrs("section.task-group", "id")
        .into_iter()
        .map(|id| {
            let title = page.text(&format!("#{id}-title"));
            let links = page.attrs(&format!("#{id} a.task-link"), "href");
            (id, title, links)
        })
        .collect()
}

#[tokio::test]
async fn my_tasks_are_grouped_by_due_date_taken_and_completed_with_their_answers() {
    let app = TestApp::new().await;
    let (ana, _, flow) = setup(&app).await;
    let (late_id, late_ref) = pedido(&app, &ana, json!({ "prazo": "2026-01-05T12:00:00.000Z" })).await;
    let (later_id, _) = pedido(&app, &ana, json!({ "prazo": "2099-01-05T12:00:00.000Z" })).await;
    let (open_id, _) = pedido(&app, &ana, json!({})).await;
    let late = task_of(&app, &ana, late_id).await;
    let later = task_of(&app, &ana, later_id).await;
    let open = task_of(&app, &ana, open_id).await;
    let link = |task: &Value| format!("/app/w/acme/tasks/scheduled/{}", task["id"]);

    let mut browser = signed_in(&app, "ana@example.com").await;
    let tasks_home = browser.get("/app/w/acme/tasks").await;
    assert_eq!(tasks_home.header("location"), Some("/app/w/acme/tasks/scheduled"));
    let inbox = browser.get("/app/w/acme/tasks/scheduled").await;
    assert_eq!(inbox.status, 200);
    let page = Page::of(&inbox);
    assert_eq!(
        groups(&page),
        [
            ("group-overdue".into(), "Atrasadas 1".into(), vec![link(&late)]),
            ("group-today".into(), "Hoje 0".into(), vec![]),
            ("group-week".into(), "Esta semana 0".into(), vec![]),
            ("group-later".into(), "Depois 1".into(), vec![link(&later)]),
            ("group-none".into(), "Sem prazo 1".into(), vec![link(&open)]),
        ]
    );
    // The overdue row as the API tells it, and the menu's badge.
    let row = page.texts("#group-overdue tbody tr > *");
    assert_eq!(
        row[..7],
        [
            "Classificar".to_string(),
            format!("Pedidos · {}…{}", &late_ref[..3], &late_ref[late_ref.len() - 6..]),
            "Atendimento · Triagem".into(),
            "Todos".into(),
            "05/01/2026 10:00".into(),
            "Atrasada".into(),
            "Aguardando".into(),
        ]
    );
    assert_eq!(page.text("#overdue-badge [aria-hidden]"), "1");
    // Parity: the inbox lists exactly the API's in-charge open tasks.
    let mine = api(
        &app,
        &ana,
        "GET",
        "/c-flow-item-tasks/in-charge?work_status_in=waiting&work_status_in=working&_sort=id",
        None,
    )
    .await
    .json();
    let mut listed: Vec<String> = mine.as_array().unwrap().iter().map(link).collect();
    let mut shown = page.attrs("a.task-link", "href");
    listed.sort();
    shown.sort();
    assert_eq!(shown, listed);

    // Filters: a text that matches nothing, then the flow.
    let none = Page::of(&browser.get("/app/w/acme/tasks/scheduled?q=nada").await);
    assert!(none.attrs("a.task-link", "href").is_empty());
    let by_flow = Page::of(&browser.get(&format!("/app/w/acme/tasks/scheduled?flow={}", flow.flow)).await);
    assert_eq!(by_flow.attrs("a.task-link", "href").len(), 3);
    let only_overdue = Page::of(&browser.get("/app/w/acme/tasks/scheduled?due=overdue").await);
    assert_eq!(groups(&only_overdue), [("group-overdue".into(), "Atrasadas 1".into(), vec![link(&late)])]);

    // The task's page: what to do, and its completion form with Tipo required.
    let task_page = Page::of(&browser.get(&link(&late)).await);
    assert_eq!(task_page.text("h1"), "Classificar");
    assert_eq!(task_page.text(".task-description"), "Escolha o tipo do pedido.");
    assert_eq!(task_page.text("#closes"), "Concluir esta tarefa conclui a etapa Triagem.");
    assert_eq!(task_page.text(".item-facts .badge"), "Atrasada", "late on its own page too");
    assert_eq!(task_page.attrs("#complete-form select", "name"), ["data.tipo"]);
    assert_eq!(task_page.attrs("#complete-form select[required]", "name"), ["data.tipo"]);

    // Taken from the inbox: back to the inbox, and the task is Ana's.
    let token = browser.form_token().await;
    let back = "/app/w/acme/tasks/scheduled?due=overdue";
    let taken = browser.post(&format!("{}/assign", link(&late)), &[("_csrf", &token), ("back", back)]).await;
    assert_eq!((taken.status, taken.header("location")), (303, Some(back)));
    let task = api(&app, &ana, "GET", &format!("/c-flow-item-tasks/{}", late["id"]), None).await.json();
    assert_eq!((&task["work_status"], &task["assigned"]), (&json!("working"), &json!(ana.id)));
    // A way back elsewhere is not followed.
    let elsewhere = browser
        .post(&format!("{}/assign", link(&later)), &[("_csrf", &token), ("back", "https://evil.example/")])
        .await;
    assert_eq!(elsewhere.header("location"), Some(link(&later).as_str()));

    // Completed without Tipo: the summary names it, nothing changes.
    let missing = browser.post(&format!("{}/complete", link(&late)), &[("_csrf", &token), ("data.tipo", "")]).await;
    assert_eq!(missing.status, 422);
    let refused = Page::of(&missing);
    assert_eq!(refused.texts(".error-summary li"), ["Tipo: is required by this task"]);
    assert_eq!(refused.attrs(".error-summary a", "href"), ["#data-tipo"]);
    let task = api(&app, &ana, "GET", &format!("/c-flow-item-tasks/{}", late["id"]), None).await.json();
    assert_eq!(task["work_status"], "working");

    // Completed with it: the item has it, and its run is in Execução.
    let done = browser.post(&format!("{}/complete", link(&late)), &[("_csrf", &token), ("data.tipo", "compra")]).await;
    assert_eq!((done.status, done.header("location")), (303, Some(link(&late).as_str())));
    let task = api(&app, &ana, "GET", &format!("/c-flow-item-tasks/{}", late["id"]), None).await.json();
    assert_eq!((&task["work_status"], &task["updated_by_email"]), (&json!("complete"), &json!("ana@example.com")));
    let item = api(&app, &ana, "GET", &format!("/ws/types/pedidos/items/{late_ref}"), None).await.json();
    assert_eq!(item["data"]["tipo"], "compra");
    let run = api(&app, &ana, "GET", &format!("/c-flow-items?item={late_id}"), None).await.json();
    assert_eq!(run[0]["stage"], json!(flow.execucao));
    let closed = Page::of(&browser.get(&link(&late)).await);
    assert_eq!(closed.text("#task-status"), "Concluída");
    assert_eq!(closed.text("#task-closed"), "Tarefa concluída.");
    assert!(closed.attrs("#complete-form", "action").is_empty(), "no form on a completed task");
    let log = Page::of(&browser.get(&format!("{}?tab=history", link(&late))).await);
    assert_eq!(log.texts("#task-log li").len(), 3, "waiting, working, complete");

    // Completing it again with another answer: the engine's 409, as a banner with a reload link.
    let again = browser.post(&format!("{}/complete", link(&late)), &[("_csrf", &token), ("data.tipo", "venda")]).await;
    assert_eq!(again.status, 409);
    let banner = Page::of(&again);
    assert_eq!(banner.text("#conflict strong"), "Esta tarefa mudou enquanto você a via");
    assert_eq!(banner.attrs("#conflict a", "href"), [link(&late)]);
    let item = api(&app, &ana, "GET", &format!("/ws/types/pedidos/items/{late_ref}"), None).await.json();
    assert_eq!(item["data"]["tipo"], "compra", "nothing written");

    // The next stage's task must be taken first: the page says so and offers only that.
    let executar = task_of(&app, &ana, late_id).await;
    let next = Page::of(&browser.get(&link(&executar)).await);
    assert_eq!(next.text("#task-stage"), "Atendimento · Execução");
    assert_eq!(next.attrs("button#take", "id"), ["take"]);
    assert!(next.attrs("#complete-form", "action").is_empty());
}

#[tokio::test]
async fn a_responsible_without_read_on_the_type_sees_its_task_but_not_the_item() {
    let app = TestApp::new().await;
    let (ana, acme, flow) = setup(&app).await;
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let caio = app.user_with_password("caio@example.com", PASSWORD).await;
    let role = app.role(acme, &[]).await;
    for user in [&bia, &caio] {
        let member = app.add_member(acme, user.id, MemberType::Standard, MemberStatus::Active).await;
        app.assign_role(member, role).await;
    }
    // Bia is the responsible of the first stage's task.
    let changed = api(
        &app,
        &ana,
        "PUT",
        &format!("/c-stage-tasks/{}", flow.classificar),
        Some(json!({ "responsibility_type": "users", "users": [bia.id] })),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let (item_id, _) = pedido(&app, &ana, json!({ "valor": 1234 })).await;
    let task = task_of(&app, &ana, item_id).await;
    let link = format!("/app/w/acme/tasks/scheduled/{}", task["id"]);

    let mut bia_browser = signed_in(&app, "bia@example.com").await;
    let inbox = Page::of(&bia_browser.get("/app/w/acme/tasks/scheduled").await);
    assert_eq!(inbox.attrs("a.task-link", "href"), std::slice::from_ref(&link));
    assert!(inbox.attrs("#group-none td a", "href").is_empty(), "no link to an item Bia may not read");
    let item_tab = bia_browser.get(&format!("{link}?tab=item")).await;
    assert_eq!(item_tab.status, 200);
    let body = item_tab.text();
    assert!(body.contains("Você não tem acesso aos dados deste item."));
    assert!(!body.contains("1234") && !body.contains("1.234"), "no value of the item");
    // Her completion form still offers the task's own field.
    let form = Page::of(&bia_browser.get(&link).await);
    assert_eq!(form.attrs("#complete-form select", "name"), ["data.tipo"]);

    // Caio is not a responsible: the task is not his to see, and his inbox is empty.
    let mut caio_browser = signed_in(&app, "caio@example.com").await;
    let denied = caio_browser.get(&link).await;
    assert_eq!(denied.status, 403);
    assert_eq!(Page::of(&denied).text("h1"), "Acesso negado");
    let empty = Page::of(&caio_browser.get("/app/w/acme/tasks/scheduled").await);
    assert!(empty.attrs("a.task-link", "href").is_empty());
    let token = caio_browser.form_token().await;
    let taken = caio_browser.post(&format!("{link}/assign"), &[("_csrf", &token)]).await;
    assert_eq!(taken.status, 403);
    let unchanged = api(&app, &ana, "GET", &format!("/c-flow-item-tasks/{}", task["id"]), None).await.json();
    assert_eq!(unchanged["work_status"], "waiting");

    // Another workspace's member: the same 404 as a missing workspace.
    let other = app.user_with_password("dora@example.com", PASSWORD).await;
    app.workspace(&other, "Outra").await;
    let mut dora = signed_in(&app, "dora@example.com").await;
    assert_eq!(dora.get(&link).await.status, 404);
    assert_eq!(dora.get("/app/w/acme/tasks/scheduled").await.status, 404);
}

/// Completes an item's open task through the API, with `answers`.
async fn complete(app: &TestApp, ana: &TestUser, item: i64, answers: Value) {
    let task = task_of(app, ana, item).await;
    let done = api(app, ana, "PUT", &format!("/c-flow-item-tasks/{}/complete", task["id"]), Some(answers)).await;
    assert_eq!(done.status, 200, "{}", done.text());
}

#[tokio::test]
async fn an_items_tasks_and_flow_tabs_and_the_board_show_its_run() {
    let app = TestApp::new().await;
    let (ana, acme, flow) = setup(&app).await;
    let (a_id, a_ref) = pedido(&app, &ana, json!({ "prazo": "2026-01-05T12:00:00.000Z", "valor": 10 })).await;
    let (b_id, b_ref) = pedido(&app, &ana, json!({ "valor": 20 })).await;
    complete(&app, &ana, b_id, json!({ "tipo": "venda" })).await;
    let mut browser = signed_in(&app, "ana@example.com").await;

    // Tarefas: the item's schedule tasks as the API lists them, with "Assumir".
    let a_task = task_of(&app, &ana, a_id).await;
    let tasks = Page::of(&browser.get(&format!("/app/w/acme/types/pedidos/{a_ref}?tab=tasks")).await);
    assert_eq!(tasks.attrs("a.task-link", "href"), [format!("/app/w/acme/tasks/scheduled/{}", a_task["id"])]);
    assert_eq!(tasks.texts("button.take"), ["Assumir"]);
    assert_eq!(tasks.attrs("input[name=back]", "value"), [format!("/app/w/acme/types/pedidos/{a_ref}?tab=tasks")]);
    let b_tasks = Page::of(&browser.get(&format!("/app/w/acme/types/pedidos/{b_ref}?tab=tasks")).await);
    let statuses: Vec<String> = b_tasks.texts("tbody td:nth-child(7)");
    assert_eq!(statuses, ["Concluída", "Aguardando"]);

    // Fluxo: the stage strip with Execução current, and the timeline with who closed Triagem.
    let run = Page::of(&browser.get(&format!("/app/w/acme/types/pedidos/{b_ref}?tab=flow")).await);
    assert_eq!(run.texts(".run h2 a"), ["Atendimento"]);
    assert_eq!(run.texts(".stage-strip li.passed"), ["Triagem"]);
    assert_eq!(run.texts(".stage-strip li[aria-current=step]"), ["Execução (Etapa atual)"]);
    let log: Vec<String> = run.texts(".timeline li strong").into_iter().collect();
    assert_eq!(log, ["Entrou na etapa Triagem", "Concluiu a etapa Triagem", "Entrou na etapa Execução"]);
    assert!(run.texts(".timeline li")[1].contains("ana@example.com"), "{:?}", run.texts(".timeline li"));
    assert!(run.texts(".timeline li")[1].contains("Tempo na etapa: 0 min"), "{:?}", run.texts(".timeline li"));
    let none = Page::of(&browser.get(&format!("/app/w/acme/types/pedidos/{a_ref}?tab=flow")).await);
    assert_eq!(none.texts(".stage-strip li[aria-current=step]"), ["Triagem (Etapa atual)"]);

    // The flows list and the board: lanes in walking order, cards as the API's running runs.
    let flows = Page::of(&browser.get("/app/w/acme/flows").await);
    let board_href = format!("/app/w/acme/flows/{}/board", flow.flow);
    assert_eq!(flows.attrs("main .cards a", "href"), std::slice::from_ref(&board_href));
    let board = Page::of(&browser.get(&board_href).await);
    assert_eq!(board.texts(".lane h2"), ["Triagem 1", "Execução 1"]);
    for (stage, reference) in [(flow.triagem, &a_ref), (flow.execucao, &b_ref)] {
        let runs =
            api(&app, &ana, "GET", &format!("/c-flow-items?flow={}&stage={stage}&run_status=running", flow.flow), None)
                .await
                .json();
        assert_eq!(runs.as_array().unwrap().len(), 1);
        assert_eq!(
            board.attrs(&format!("#lane-{stage} article.card"), "data-reference"),
            std::slice::from_ref(reference)
        );
    }
    assert_eq!(board.texts(&format!("#lane-{} .badge.late", flow.triagem)), ["Atrasada"]);
    assert_eq!(board.texts(&format!("#lane-{} .card-menu a", flow.triagem)), ["Classificar"]);
    assert_eq!(board.texts(&format!("#lane-{} .card-menu button.take", flow.triagem)), ["Assumir"]);
    assert_eq!(board.texts(&format!("#lane-{} .card-meta", flow.execucao))[0], "Na etapa há 0 min · 1 tarefa aberta");
    let overdue = Page::of(&browser.get(&format!("{board_href}?overdue=1")).await);
    assert_eq!(overdue.texts(".lane h2"), ["Triagem 1", "Execução 0"]);
    let searched = Page::of(&browser.get(&format!("{board_href}?q={}", &b_ref[b_ref.len() - 8..])).await);
    assert_eq!(searched.attrs("article.card", "data-reference"), std::slice::from_ref(&b_ref));

    // Taken from the board's card menu: back to the board.
    let token = browser.form_token().await;
    let taken = browser
        .post(
            &format!("/app/w/acme/tasks/scheduled/{}/assign", a_task["id"]),
            &[("_csrf", &token), ("back", &board_href)],
        )
        .await;
    assert_eq!(taken.header("location"), Some(board_href.as_str()));

    // A member without read on the type gets no board; another workspace's, a 404.
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let member = app.add_member(acme, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(acme, &[]).await;
    app.assign_role(member, role).await;
    let mut bia_browser = signed_in(&app, "bia@example.com").await;
    assert_eq!(bia_browser.get(&board_href).await.status, 403);
    assert!(Page::of(&bia_browser.get("/app/w/acme/flows").await).attrs("main .cards a", "href").is_empty());
    let dora = app.user_with_password("dora@example.com", PASSWORD).await;
    app.workspace(&dora, "Outra").await;
    let mut dora_browser = signed_in(&app, "dora@example.com").await;
    assert_eq!(dora_browser.get(&board_href).await.status, 404);
}

/// The board's lanes: (status, title with count, points and overdue line, card ids).
fn lanes(page: &Page) -> Vec<(String, String, String, Vec<String>)> {
    page.attrs("section.quick-lane", "data-status")
        .into_iter()
        .map(|status| {
            let lane = format!("#lane-{status}");
            let cards = page.attrs(&format!("{lane} article[data-card]"), "data-card");
            (status, page.text(&format!("{lane} h2")), page.text(&format!("{lane} .lane-totals")), cards)
        })
        .collect()
}

async fn quick(app: &TestApp, ana: &TestUser, body: Value) -> i64 {
    created(app, ana, "/ws/tasks", body).await["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_quick_task_board_creates_moves_archives_trashes_and_restores() {
    let app = TestApp::new().await;
    let (ana, _, _) = setup(&app).await;
    let mut browser = signed_in(&app, "ana@example.com").await;
    let board = "/app/w/acme/tasks/quick";
    let token = browser.form_token().await;

    // Created from the board's form (the due date in the workspace's zone); a nameless one is
    // refused in place, with what was typed kept.
    let refused = browser.post(board, &[("_csrf", &token), ("name", " "), ("points", "3"), ("back", board)]).await;
    assert_eq!(refused.status, 422);
    let page = Page::of(&refused);
    assert_eq!(page.attrs("details.new-task[open]", "class"), ["new-task"]);
    assert_eq!(page.value("#task-points"), "3");
    assert_eq!(page.texts(".error-summary li").len(), 1);
    let made = browser
        .post(
            board,
            &[
                ("_csrf", &token),
                ("name", "Ligar para o cliente"),
                ("due_date", "2026-01-10T09:30"),
                ("priority", "urgent"),
                ("points", "5"),
                ("assigned_to", &ana.id.to_string()),
                ("description", "Confirmar o pedido."),
                ("back", board),
            ],
        )
        .await;
    assert_eq!((made.status, made.header("location")), (303, Some(board)));
    let listed = api(&app, &ana, "GET", "/ws/tasks", None).await.json();
    let call = listed[0].clone();
    assert_eq!(
        (&call["name"], &call["priority"], &call["points"], &call["due_date"], &call["assigned_to"], &call["status"]),
        (
            &json!("Ligar para o cliente"),
            &json!("urgent"),
            &json!(5),
            &json!("2026-01-10T12:30:00.000Z"),
            &json!(ana.id),
            &json!("pending")
        )
    );
    let call_id = call["id"].as_i64().unwrap();
    let other = quick(&app, &ana, json!({ "name": "Revisar", "points": 2, "status": "working" })).await;

    let page = Page::of(&browser.get(board).await);
    assert_eq!(
        lanes(&page),
        [
            ("pending".into(), "Pendente 1".into(), "5 pts · 1 atrasadas".into(), vec![call_id.to_string()]),
            ("working".into(), "Em andamento 1".into(), "2 pts".into(), vec![other.to_string()]),
            ("blocked".into(), "Bloqueada 0".into(), "0 pts".into(), vec![]),
            ("completed".into(), "Concluída 0".into(), "0 pts".into(), vec![]),
        ]
    );
    assert_eq!(page.text(&format!("#card-{call_id} .due")), "10/01/2026 09:30");
    assert_eq!(page.text(&format!("#card-{call_id} .badge")), "Urgente");
    let card = format!("/app/w/acme/tasks/quick/{call_id}");

    // Moved with the card's own form (the keyboard's and a drop's path), back to the board.
    let moved =
        browser.post(&format!("{card}/move"), &[("_csrf", &token), ("status", "completed"), ("back", board)]).await;
    assert_eq!(moved.header("location"), Some(board));
    let page = Page::of(&browser.get(board).await);
    assert_eq!(lanes(&page)[3].3, [call_id.to_string()]);
    assert_eq!(lanes(&page)[0].1, "Pendente 0");
    let task = api(&app, &ana, "GET", &format!("/ws/tasks/{call_id}"), None).await.json();
    assert_eq!((&task["status"], &task["completed_by"]), (&json!("completed"), &json!(ana.id)));

    // Archived: off the board, in Arquivadas; trashed: in Lixeira; restored: back.
    browser.post(&format!("{card}/archive"), &[("_csrf", &token), ("back", board)]).await;
    let page = Page::of(&browser.get(board).await);
    assert!(lanes(&page)[3].3.is_empty());
    let archived = Page::of(&browser.get(&format!("{board}?view=archived")).await);
    assert_eq!(archived.attrs("article[data-card]", "data-card"), [call_id.to_string()]);
    assert_eq!(archived.texts(&format!("#card-{call_id} .act-unarchive")), ["Desarquivar"]);
    browser.post(&format!("{card}/unarchive"), &[("_csrf", &token)]).await;
    browser.post(&format!("{card}/trash"), &[("_csrf", &token), ("back", board)]).await;
    let trash = Page::of(&browser.get(&format!("{board}?view=trash")).await);
    assert_eq!(trash.attrs("article[data-card]", "data-card"), [call_id.to_string()]);
    assert_eq!(trash.texts(&format!("#card-{call_id} button")), ["Restaurar", "Excluir definitivamente"]);
    let api_trash = api(&app, &ana, "GET", "/ws/tasks?deleted_at_null=false", None).await.json();
    assert_eq!(api_trash.as_array().unwrap().len(), 1);
    let restored =
        browser.post(&format!("{card}/restore"), &[("_csrf", &token), ("back", &format!("{board}?view=trash"))]).await;
    assert_eq!(restored.header("location"), Some(format!("{board}?view=trash").as_str()));
    assert_eq!(lanes(&Page::of(&browser.get(board).await))[3].3, [call_id.to_string()]);

    // Duplicated: a copy with its own name, opened in its panel; deleted for good from the trash.
    let copied = browser.post(&format!("/app/w/acme/tasks/quick/{other}/duplicate"), &[("_csrf", &token)]).await;
    let copy_href = copied.header("location").unwrap().to_string();
    let copy_id: i64 = copy_href.rsplit('/').next().unwrap().parse().unwrap();
    let copy = api(&app, &ana, "GET", &format!("/ws/tasks/{copy_id}"), None).await.json();
    assert_eq!(
        (&copy["name"], &copy["points"], &copy["status"]),
        (&json!("Revisar (cópia)"), &json!(2), &json!("pending"))
    );
    browser.post(&format!("{copy_href}/trash"), &[("_csrf", &token)]).await;
    let gone = browser.post(&format!("{copy_href}/delete"), &[("_csrf", &token)]).await;
    assert_eq!(gone.header("location"), Some(board));
    assert_eq!(api(&app, &ana, "GET", &format!("/ws/tasks/{copy_id}"), None).await.status, 404);
    assert_eq!(browser.post(&format!("{card}/fly"), &[("_csrf", &token)]).await.status, 404);
}

#[tokio::test]
async fn form_and_approval_tasks_are_completed_in_their_panel_and_lanes_page() {
    let app = TestApp::new().await;
    let (ana, _, _) = setup(&app).await;
    let mut browser = signed_in(&app, "ana@example.com").await;
    let token = browser.form_token().await;
    let form = quick(
        &app,
        &ana,
        json!({ "name": "Parecer", "type": "form",
            "meta": { "form": [{ "refId": "parecer", "label": "Parecer", "type": "EnTextArea", "required": true }] } }),
    )
    .await;
    let panel = format!("/app/w/acme/tasks/quick/{form}");

    // Moved to done without its answers: the engine's refusal on the panel, nothing changed.
    let early = browser.post(&format!("{panel}/move"), &[("_csrf", &token), ("status", "completed")]).await;
    assert_eq!(early.status, 422);
    assert_eq!(Page::of(&early).texts(".error-summary li").len(), 1);
    assert_eq!(api(&app, &ana, "GET", &format!("/ws/tasks/{form}"), None).await.json()["status"], "pending");
    // Answered empty: the question is required; answered: done, with the answers in its meta.
    let page = Page::of(&browser.get(&panel).await);
    assert_eq!(page.attrs("#answer-form textarea", "name"), ["data.parecer"]);
    let empty = browser.post(&format!("{panel}/answer"), &[("_csrf", &token), ("data.parecer", "")]).await;
    assert_eq!(empty.status, 422);
    assert_eq!(Page::of(&empty).attrs(".error-summary a", "href"), ["#data-parecer"]);
    let answered = browser.post(&format!("{panel}/answer"), &[("_csrf", &token), ("data.parecer", "De acordo.")]).await;
    assert_eq!(answered.header("location"), Some(panel.as_str()));
    let done = api(&app, &ana, "GET", &format!("/ws/tasks/{form}"), None).await.json();
    assert_eq!(
        (&done["status"], &done["meta"]["form_result"]),
        (&json!("completed"), &json!({ "parecer": "De acordo." }))
    );

    // An approval is decided with a comment.
    let approval = quick(&app, &ana, json!({ "name": "Aprovar compra", "type": "approval" })).await;
    let approval_panel = format!("/app/w/acme/tasks/quick/{approval}");
    let decided = browser
        .post(
            &format!("{approval_panel}/decide"),
            &[("_csrf", &token), ("decision", "rejected"), ("comment", "Caro demais")],
        )
        .await;
    assert_eq!(decided.header("location"), Some(approval_panel.as_str()));
    let task = api(&app, &ana, "GET", &format!("/ws/tasks/{approval}"), None).await.json();
    assert_eq!(
        (&task["status"], &task["meta"]["decision"], &task["meta"]["comment"]),
        (&json!("completed"), &json!("rejected"), &json!("Caro demais"))
    );
    assert_eq!(Page::of(&browser.get(&approval_panel).await).text("#decision"), "Reprovada · Caro demais");

    // Edited in the panel.
    let saved = browser
        .post(
            &approval_panel,
            &[
                ("_csrf", &token),
                ("name", "Aprovar compra grande"),
                ("priority", "high"),
                ("points", ""),
                ("due_date", ""),
                ("assigned_to", ""),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(saved.header("location"), Some(approval_panel.as_str()));
    let task = api(&app, &ana, "GET", &format!("/ws/tasks/{approval}"), None).await.json();
    assert_eq!((&task["name"], &task["priority"]), (&json!("Aprovar compra grande"), &json!("high")));

    // A lane pages 25 cards at a time: "Ver mais" brings the rest and no further link.
    for n in 0..27 {
        quick(&app, &ana, json!({ "name": format!("Tarefa {n:02}"), "status": "blocked" })).await;
    }
    let board = Page::of(&browser.get("/app/w/acme/tasks/quick").await);
    let blocked = &lanes(&board)[2];
    assert_eq!((blocked.1.as_str(), blocked.3.len()), ("Bloqueada 27", 25));
    let more = board.attrs("#lane-blocked li.more a", "href");
    assert_eq!(more, ["/app/w/acme/tasks/quick/lane/blocked?start=25"]);
    let rest = Page::of(&browser.get(&more[0]).await);
    assert_eq!(rest.texts("article[data-card] .card-name"), ["Tarefa 25", "Tarefa 26"]);
    assert!(rest.attrs("li.more a", "href").is_empty());
    // Parity: the lane's cards are the API's, in the same order.
    let api_lane = api(&app, &ana, "GET", "/ws/tasks?status=blocked&_sort=id:asc&_limit=25", None).await.json();
    let ids: Vec<String> = api_lane.as_array().unwrap().iter().map(|t| t["id"].to_string()).collect();
    assert_eq!(blocked.3, ids);
}

#[tokio::test]
async fn a_member_without_quick_read_sees_only_its_own_quick_tasks() {
    let app = TestApp::new().await;
    let (ana, acme, _) = setup(&app).await;
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let member = app.add_member(acme, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(acme, &[]).await;
    app.assign_role(member, role).await;
    let hers = quick(&app, &ana, json!({ "name": "Da Bia", "assigned_to": bia.id })).await;
    let secret = quick(&app, &ana, json!({ "name": "Segredo da Ana" })).await;
    let mut browser = signed_in(&app, "bia@example.com").await;
    let response = browser.get("/app/w/acme/tasks/quick").await;
    assert_eq!(response.status, 200);
    assert!(!response.text().contains("Segredo da Ana"));
    let page = Page::of(&response);
    assert_eq!(page.attrs("article[data-card]", "data-card"), [hers.to_string()]);
    assert!(page.attrs("#new-task-form", "action").is_empty(), "no create form without tasks::quick::create");
    assert_eq!(browser.get(&format!("/app/w/acme/tasks/quick/{secret}")).await.status, 403);
    let token = browser.form_token().await;
    let refused = browser.post(&format!("/app/w/acme/tasks/quick/{secret}/trash"), &[("_csrf", &token)]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(api(&app, &ana, "GET", &format!("/ws/tasks/{secret}"), None).await.json()["deleted_at"], Value::Null);
    // Her own task she may move (a participant changes the status).
    let moved = browser
        .post(&format!("/app/w/acme/tasks/quick/{hers}/move"), &[("_csrf", &token), ("status", "working")])
        .await;
    assert_eq!(moved.status, 303);
    assert_eq!(api(&app, &ana, "GET", &format!("/ws/tasks/{hers}"), None).await.json()["status"], "working");
}

/// The console's live stream of `browser`'s session.
async fn live(app: &TestApp, browser: &Browser<'_>) -> crate::events::Stream {
    let cookie = format!("enspace_session={}", browser.cookie("enspace_session").unwrap());
    let request = axum::http::Request::builder().uri("/app/w/acme/live").header("cookie", cookie);
    crate::events::Stream::request(app, request).await
}

#[tokio::test]
async fn a_change_signals_the_regions_of_members_who_may_read_it_and_nobody_else() {
    let app = TestApp::new().await;
    let (ana, acme, _) = setup(&app).await;
    let (item_id, reference) = pedido(&app, &ana, json!({ "valor": 1 })).await;
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let caio = app.user_with_password("caio@example.com", PASSWORD).await;
    for (user, permissions) in [(&bia, vec![("types::pedidos::read", None)]), (&caio, vec![])] {
        let member = app.add_member(acme, user.id, MemberType::Standard, MemberStatus::Active).await;
        let role = app.role(acme, &permissions).await;
        app.assign_role(member, role).await;
    }
    let bia_browser = signed_in(&app, "bia@example.com").await;
    let caio_browser = signed_in(&app, "caio@example.com").await;
    let mut bia_live = live(&app, &bia_browser).await;
    let mut caio_live = live(&app, &caio_browser).await;

    // Ana changes the item: Bia's page hears which regions changed, and nothing of the value.
    let changed = api(
        &app,
        &ana,
        "PUT",
        &format!("/ws/types/pedidos/items/{reference}"),
        Some(json!({ "data": { "valor": 2 } })),
    )
    .await;
    assert_eq!(changed.status, 200);
    let messages = bia_live.messages(2).await;
    let event = api(&app, &ana, "GET", "/ws/events?kind=item.updated", None).await.json();
    let id = event[0]["id"].to_string();
    // Nothing but the event's id (a browser drops a message without data).
    assert_eq!(
        messages,
        [(None, "items-pedidos".to_string(), id.clone()), (Some(id.clone()), format!("item-{reference}"), id)]
    );
    // The run moving on: its board and the task lists.
    complete(&app, &ana, item_id, json!({ "tipo": "compra" })).await;
    let kinds: Vec<String> = bia_live.messages(4).await.into_iter().map(|(_, kind, _)| kind).collect();
    assert!(kinds.contains(&"flows-pedidos".to_string()), "{kinds:?}");
    // Caio may not read Pedidos: his stream stays silent.
    caio_live.quiet().await;

    // Without a session there is no stream; another workspace's member gets the same 404.
    let mut anonymous = Browser::new(&app);
    let refused = anonymous.get("/app/w/acme/live").await;
    assert_eq!(refused.status, 303);
    let dora = app.user_with_password("dora@example.com", PASSWORD).await;
    app.workspace(&dora, "Outra").await;
    let mut dora_browser = signed_in(&app, "dora@example.com").await;
    assert_eq!(dora_browser.get("/app/w/acme/live").await.status, 404);
    // A page opens its stream from the layout.
    let mut ana_browser = signed_in(&app, "ana@example.com").await;
    let page = Page::of(&ana_browser.get("/app/w/acme/tasks/scheduled").await);
    assert_eq!(page.attrs("body", "sse-connect"), ["/app/w/acme/live"]);
    assert_eq!(page.attrs("#inbox", "hx-trigger"), ["sse:tasks throttle:1s"]);
}

#[tokio::test]
async fn calendar_and_notification_settings_are_edited_and_the_agenda_and_home_show_due_dates() {
    let app = TestApp::new().await;
    let (ana, acme, _) = setup(&app).await;
    let mut browser = signed_in(&app, "ana@example.com").await;
    let token = browser.form_token().await;
    let zone = api(&app, &ana, "GET", "/ws/calendar", None).await.json()["time_zone"].clone();
    let settings = "/app/w/acme/settings/calendar";

    // The calendar's form: every part saved as the API keeps it.
    let page = Page::of(&browser.get(settings).await);
    assert_eq!(page.text("#time-zone option[selected]"), zone.as_str().unwrap());
    let saved = browser
        .post(
            settings,
            &[
                ("_csrf", &token),
                ("time_zone", "America/Sao_Paulo"),
                ("work_days", "1"),
                ("work_days", "2"),
                ("work_days", "3"),
                ("work_days", "4"),
                ("work_days", "5"),
                ("work_days", "6"),
                ("hours_start", "08:00"),
                ("hours_end", "12:00"),
                ("hours_start", ""),
                ("hours_end", ""),
                ("holiday_date", "2026-12-25"),
                ("holiday_name", "Natal"),
                ("holiday_date", ""),
                ("holiday_name", ""),
            ],
        )
        .await;
    assert_eq!((saved.status, saved.header("location")), (303, Some(settings)));
    let calendar = api(&app, &ana, "GET", "/ws/calendar", None).await.json();
    assert_eq!(
        calendar,
        json!({ "time_zone": "America/Sao_Paulo", "work_days": [1, 2, 3, 4, 5, 6],
            "work_hours": [{ "start": "08:00", "end": "12:00" }], "holidays": [{ "date": "2026-12-25", "name": "Natal" }] })
    );
    // No working day at all is refused in place, and nothing changes.
    let refused = browser.post(settings, &[("_csrf", &token), ("time_zone", "America/Sao_Paulo")]).await;
    assert_eq!(refused.status, 422);
    assert_eq!(Page::of(&refused).texts(".error-summary li").len(), 1);
    assert_eq!(api(&app, &ana, "GET", "/ws/calendar", None).await.json(), calendar);
    // Brazil's holidays of 2027, added by the sync.
    let synced =
        browser.post(&format!("{settings}/sync"), &[("_csrf", &token), ("country", "BR"), ("year", "2027")]).await;
    assert_eq!(synced.status, 303);
    let holidays = api(&app, &ana, "GET", "/ws/calendar", None).await.json()["holidays"].clone();
    assert!(holidays.as_array().unwrap().iter().any(|h| h["date"] == "2027-01-01"), "{holidays}");

    // The Agenda: December 2026 shaded by the calendar, with what is due on its days.
    let (item_id, _) = pedido(&app, &ana, json!({ "prazo": "2026-12-15T12:00:00.000Z" })).await;
    let task = task_of(&app, &ana, item_id).await;
    let quick_id =
        quick(&app, &ana, json!({ "name": "Pagar fornecedor", "due_date": "2026-12-10T13:00:00.000Z" })).await;
    let agenda = Page::of(&browser.get("/app/w/acme/calendar?month=2026-12").await);
    assert_eq!(agenda.text("h1"), "Agenda: dezembro de 2026");
    assert_eq!(agenda.attrs("td.holiday", "data-date"), ["2026-12-25"]);
    assert_eq!(agenda.text("td[data-date='2026-12-25'] .holiday-name"), "Natal");
    assert_eq!(agenda.attrs("td[data-date='2026-12-05']", "class"), ["day work"], "Saturdays work now");
    assert_eq!(agenda.attrs("td[data-date='2026-12-06']", "class"), ["day rest"]);
    assert_eq!(agenda.attrs("td[data-date='2026-12-10'] a", "href"), [format!("/app/w/acme/tasks/quick/{quick_id}")]);
    assert_eq!(agenda.text("td[data-date='2026-12-10'] a"), "10:00 Pagar fornecedor");
    assert_eq!(
        agenda.attrs("td[data-date='2026-12-15'] a", "href"),
        [format!("/app/w/acme/tasks/scheduled/{}", task["id"])]
    );
    assert_eq!(agenda.attrs("#next-month", "href"), ["/app/w/acme/calendar?month=2027-01"]);

    // Home: the overdue schedule task, and the member's open quick tasks.
    let (late_id, _) = pedido(&app, &ana, json!({ "prazo": "2026-01-05T12:00:00.000Z" })).await;
    let late = task_of(&app, &ana, late_id).await;
    let mine = quick(&app, &ana, json!({ "name": "Minha", "assigned_to": ana.id })).await;
    let home = Page::of(&browser.get("/app/w/acme").await);
    assert_eq!(home.attrs("#home-overdue li a", "href"), [format!("/app/w/acme/tasks/scheduled/{}", late["id"])]);
    assert_eq!(home.attrs("#home-quick li a", "href"), [format!("/app/w/acme/tasks/quick/{mine}")]);

    // Notifications: no e-mail integration is said; own rules saved as the API keeps them.
    let notifications = "/app/w/acme/settings/notifications";
    let page = Page::of(&browser.get(notifications).await);
    assert_eq!(page.attrs("#no-email", "id"), ["no-email"]);
    let saved = browser
        .post(
            notifications,
            &[
                ("_csrf", &token),
                ("quick_tasks.custom", "on"),
                ("quick_tasks.rules.0.when", "-2"),
                ("quick_tasks.rules.0.unit", "hours"),
                ("quick_tasks.rules.0.subject", "Vence em breve: {{task.name}}"),
                ("quick_tasks.rules.0.body", "Até {{task.due_date}}"),
            ],
        )
        .await;
    assert_eq!(saved.header("location"), Some(notifications));
    let stored = api(&app, &ana, "GET", "/ws/notification-settings", None).await.json();
    let rule = &stored["quick_tasks"]["rules"][0];
    assert_eq!(
        (&stored["quick_tasks"]["custom"], &rule["when"], &rule["unit"]),
        (&json!(true), &json!(-2), &json!("hours"))
    );
    assert_eq!(stored["scheduled_tasks"]["custom"], false);
    let page = Page::of(&browser.get(notifications).await);
    assert_eq!(page.value("input[name='quick_tasks.rules.0.subject']"), "Vence em breve: {{task.name}}");
    let wrong = browser
        .post(
            notifications,
            &[
                ("_csrf", &token),
                ("quick_tasks.custom", "on"),
                ("quick_tasks.rules.0.when", "1"),
                ("quick_tasks.rules.0.unit", "years"),
                ("quick_tasks.rules.0.subject", "s"),
                ("quick_tasks.rules.0.body", "b"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        Page::of(&wrong).texts(".error-summary li")[0].contains("quick_tasks.rules[0].unit"),
        "{:?}",
        Page::of(&wrong).texts(".error-summary li")
    );

    // A member without the system settings sees the Agenda but not these settings.
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let member = app.add_member(acme, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(acme, &[]).await;
    app.assign_role(member, role).await;
    let mut bia_browser = signed_in(&app, "bia@example.com").await;
    assert_eq!(bia_browser.get("/app/w/acme/calendar").await.status, 200);
    assert_eq!(bia_browser.get(settings).await.status, 403);
    assert_eq!(bia_browser.get(notifications).await.status, 403);
    let bia_token = bia_browser.form_token().await;
    assert_eq!(
        bia_browser.post(settings, &[("_csrf", &bia_token), ("time_zone", "UTC"), ("work_days", "1")]).await.status,
        403
    );
    assert_eq!(api(&app, &ana, "GET", "/ws/calendar", None).await.json()["time_zone"], "America/Sao_Paulo");
}

#[tokio::test]
async fn no_work_screen_shows_a_field_the_member_may_not_read() {
    let app = TestApp::new().await;
    let (ana, acme, flow) = setup(&app).await;
    // Segredo is the type's only text field: a board card would show it if it could.
    let segredo = json!({ "name": "Segredo", "slug": "segredo", "type": "text" });
    created(&app, &ana, "/ws/types/pedidos/fields", segredo).await;
    let (item_id, reference) =
        pedido(&app, &ana, json!({ "segredo": "cofre-forte", "prazo": "2026-01-05T12:00:00.000Z" })).await;
    let task = task_of(&app, &ana, item_id).await;
    let quick_id = quick(&app, &ana, json!({ "name": "Ver o pedido", "item": reference })).await;
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let member = app.add_member(acme, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let readable = json!(["data.tipo", "data.prazo", "data.valor", "created_at", "status"]);
    let role = app
        .role(
            acme,
            &[("types::pedidos::read", Some(readable)), ("tasks::scheduled::read", None), ("tasks::quick::read", None)],
        )
        .await;
    app.assign_role(member, role).await;
    let mut browser = signed_in(&app, "bia@example.com").await;
    let task_link = format!("/app/w/acme/tasks/scheduled/{}", task["id"]);
    let item = format!("/app/w/acme/types/pedidos/{reference}");
    let board = format!("/app/w/acme/flows/{}/board", flow.flow);
    let mut seen = Vec::new();
    for path in [
        "/app/w/acme".to_string(),
        "/app/w/acme/tasks/scheduled?scope=all".to_string(),
        "/app/w/acme/tasks/scheduled?q=cofre".to_string(),
        task_link.clone(),
        format!("{task_link}?tab=item"),
        format!("{task_link}?tab=history"),
        format!("{item}?tab=tasks"),
        format!("{item}?tab=flow"),
        board.clone(),
        format!("{board}?q=cofre"),
        "/app/w/acme/flows".to_string(),
        "/app/w/acme/tasks/quick".to_string(),
        format!("/app/w/acme/tasks/quick/{quick_id}"),
        "/app/w/acme/calendar?month=2026-01".to_string(),
    ] {
        let response = browser.get(&path).await;
        let request = browser.request("GET", &path).header("hx-request", "true");
        let fragment = browser.send(request).await;
        for body in [response.text(), fragment.text()] {
            assert!(!body.contains("cofre-forte") && !body.contains("Segredo"), "{path}: {body}");
        }
        seen.push((path, response.status));
    }
    assert!(seen.iter().all(|(_, status)| *status == 200), "{seen:?}");
    // The board's search does not find an item by a value the member may not read; Ana's does,
    // and her card shows the value Bia's does not.
    let searched = Page::of(&browser.get(&format!("{board}?q=cofre")).await);
    assert!(searched.attrs("article.card", "data-reference").is_empty());
    let mut owner = signed_in(&app, "ana@example.com").await;
    let found = Page::of(&owner.get(&format!("{board}?q=cofre")).await);
    assert_eq!(found.texts("article.card .card-label"), ["cofre-forte"]);
}
