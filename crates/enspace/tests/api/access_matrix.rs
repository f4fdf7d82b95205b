//! The generated access matrix of issue 4: every workspace route × license type (owner, full,
//! standard, viewer) × role (none, one holding the route's permission, one holding only an
//! unrelated permission) × key scope (every scope, only the one the method needs, all but it).
//!
//! The expected outcome comes from [`expect`], a second, independent statement of the rules of
//! spec/access.md written here, not from the server's decision code: a regression in either
//! shows as a disagreement. Denials are asserted exactly (403 and message); an allowed request
//! may answer anything but 401/403 (a 400 for a deliberately invalid body, a 404 for a target
//! an earlier allowed case deleted). Each route runs on a fresh workspace, denials first.
//! Routes outside any workspace (user, keys, request log, workspaces) run by key scope alone.

use enspace_domain::{
    access::{MemberStatus, MemberType},
    key::{Scope, Scopes},
};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

/// What a route needs, in the spec's words.
#[derive(Debug, Clone)]
enum Need {
    /// Any active member.
    Member,
    /// The owner alone.
    Owner,
    /// Anyone but a viewer.
    Writer,
    /// Anyone but a viewer, in conversations.
    Converser,
    /// Anyone but a viewer, sending documents for signature.
    Sender,
    /// `settings::<area>::manage`.
    Settings(&'static str),
    /// A data permission; `true` when it only reads.
    Data(&'static str, bool),
    /// Reading a type's definition: its readers and the structure managers.
    TypeRead,
    /// Acting on schedule task 1 (an `everybody` task of `docs`): seeing it, then being a
    /// responsible (may update `docs`) or an override holder; never a viewer.
    TaskActor,
    /// Every one of these.
    All(Vec<Need>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    None,
    Holding,
    Unrelated,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyScope {
    Every,
    OnlyNeeded,
    AllButNeeded,
}

fn scopes(variant: KeyScope, needed: Scope) -> Scopes {
    let only = |s: Scope| Scopes { read: s == Scope::Read, write: s == Scope::Write, delete: s == Scope::Delete };
    match variant {
        KeyScope::Every => Scopes::EVERY,
        KeyScope::OnlyNeeded => only(needed),
        KeyScope::AllButNeeded => {
            let o = only(needed);
            Scopes { read: !o.read, write: !o.write, delete: !o.delete }
        }
    }
}

/// The rules of access.md, restated: `Ok(())` for allowed, `Err(message)` for the 403.
fn expect(t: MemberType, role: Role, key: KeyScope, needed: Scope, need: &Need) -> Result<(), String> {
    if key == KeyScope::AllButNeeded {
        return Err(format!("Token missing scope: {}", needed.as_str()));
    }
    let owner = t == MemberType::Owner;
    let holds = match role {
        Role::None => t == MemberType::Full || owner,
        Role::Holding => true,
        Role::Unrelated => owner,
    };
    match need {
        Need::Member => Ok(()),
        Need::Owner if owner => Ok(()),
        Need::Owner => Err("Permission denied: only the owner can delete the workspace".into()),
        Need::Writer if t != MemberType::Viewer => Ok(()),
        Need::Writer => Err("Permission denied: upload files".into()),
        Need::Converser if t != MemberType::Viewer => Ok(()),
        Need::Converser => Err("Permission denied: write in conversations".into()),
        Need::Sender if t != MemberType::Viewer => Ok(()),
        Need::Sender => Err("Permission denied: send documents for signature".into()),
        Need::Settings(area) => {
            if owner || (t == MemberType::Full && holds) {
                Ok(())
            } else {
                Err(format!("Permission denied: settings::{area}::manage"))
            }
        }
        Need::Data(reference, read_only) => {
            if owner || ((t != MemberType::Viewer || *read_only) && holds) {
                Ok(())
            } else {
                Err(format!("Permission denied: {reference}"))
            }
        }
        Need::TypeRead => expect(t, role, key, needed, &Need::Settings("structure"))
            .or_else(|_| expect(t, role, key, needed, &Need::Data("types::docs::read", true))),
        Need::TaskActor => {
            expect(t, role, key, needed, &Need::Data("tasks::scheduled::read", true))?;
            match t {
                MemberType::Viewer => Err("Permission denied: you are not a responsible of task 1".into()),
                _ => Ok(()),
            }
        }
        Need::All(needs) => needs.iter().try_for_each(|n| expect(t, role, key, needed, n)),
    }
}

/// Every permission the routes below need: the "holding" role has them all.
const EVERY_PERMISSION: &[&str] = &[
    "types::docs::read",
    "types::docs::create",
    "types::docs::update",
    "types::docs::delete",
    "forms::1::create",
    "settings::system::manage",
    "settings::structure::manage",
    "settings::access::manage",
    "settings::integrations::manage",
    "settings::emails::manage",
    "ai::chat::use",
    "tasks::scheduled::read",
    "tasks::scheduled::update",
    "tasks::scheduled::delete",
    "tasks::quick::read",
    "tasks::quick::create",
    "tasks::quick::update",
    "tasks::quick::delete",
];

struct Route {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    need: Need,
}

fn route(method: &'static str, path: &'static str, body: Option<Value>, need: Need) -> Route {
    Route { method, path, body, need }
}

fn data(action: &'static str) -> Need {
    let reference = match action {
        "read" => "types::docs::read",
        "create" => "types::docs::create",
        "update" => "types::docs::update",
        _ => "types::docs::delete",
    };
    Need::Data(reference, action == "read")
}

/// Bodies are well formed but, where a route validates after deciding, invalid (so that an
/// allowed case changes nothing it need not): the decision comes before validation.
fn workspace_routes() -> Vec<Route> {
    use Need::*;
    let structure = || Settings("structure");
    let access = || Settings("access");
    vec![
        route("GET", "/ws", None, Member),
        route("PUT", "/ws", Some(json!({ "name": "" })), Settings("system")),
        route("GET", "/ws/stats", None, Member),
        route("GET", "/ws/calendar", None, Member),
        route("GET", "/ws/notification-settings", None, Settings("system")),
        route("PUT", "/ws/notification-settings", Some(json!({ "quick_tasks": 1 })), Settings("system")),
        route("PUT", "/ws/calendar", Some(json!({ "work_days": [] })), Settings("system")),
        route("POST", "/ws/calendar/holidays/sync", Some(json!({ "country": "XX", "year": 2026 })), Settings("system")),
        // Every member reads the feed; what it shows is filtered per event (events.rs tests it).
        route("GET", "/ws/events", None, Member),
        route("GET", "/ws/events/stream", None, Member),
        route("GET", "/ws/deletion-preview", None, Owner),
        route("DELETE", "/ws?confirm=wrong", None, Owner),
        route("GET", "/ws/types", None, Member),
        route("GET", "/ws/types/count", None, Member),
        route("POST", "/ws/types", Some(json!({ "name": "" })), structure()),
        route("GET", "/ws/types/docs", None, TypeRead),
        route("PUT", "/ws/types/docs", Some(json!({ "name": "" })), structure()),
        route("DELETE", "/ws/types/docs", None, structure()),
        route("GET", "/ws/types/docs/fields", None, TypeRead),
        route("POST", "/ws/types/docs/fields", Some(json!({ "name": "" })), structure()),
        route("GET", "/ws/types/docs/fields/1", None, TypeRead),
        route("PUT", "/ws/types/docs/fields/1", Some(json!({ "name": "" })), structure()),
        route("DELETE", "/ws/types/docs/fields/1", None, structure()),
        route("GET", "/ws/types/docs/items", None, data("read")),
        route("GET", "/ws/types/docs/items/count", None, data("read")),
        route("POST", "/ws/types/docs/items", Some(json!({ "data": { "a": 5 } })), data("create")),
        route(
            "POST",
            "/ws/types/docs/items/bulk",
            Some(json!({ "delete": ["NOPE"] })),
            All(vec![data("read"), data("delete")]),
        ),
        route("GET", "/ws/types/docs/items/{item}", None, data("read")),
        route("PUT", "/ws/types/docs/items/{item}", Some(json!({ "data": { "a": 5 } })), data("update")),
        route("DELETE", "/ws/types/docs/items/{item}", None, data("delete")),
        route("GET", "/ws/types/docs/items/{item}/history", None, data("read")),
        route("GET", "/ws/types/docs/forms", None, TypeRead),
        route("POST", "/ws/types/docs/forms", Some(json!({ "name": "" })), structure()),
        route("GET", "/ws/types/docs/forms/create", None, Member),
        route("GET", "/ws/types/docs/forms/1", None, TypeRead),
        route("PUT", "/ws/types/docs/forms/1", Some(json!({ "name": "" })), structure()),
        route("DELETE", "/ws/types/docs/forms/1", None, structure()),
        route("POST", "/ws/files", None, Writer),
        route("GET", "/ws/files/1", None, data("read")),
        route("GET", "/ws/roles", None, access()),
        route("GET", "/ws/roles/count", None, access()),
        route("POST", "/ws/roles", Some(json!({ "name": "" })), access()),
        route("GET", "/ws/roles/1", None, access()),
        route("PUT", "/ws/roles/1", Some(json!({ "name": "" })), access()),
        route("DELETE", "/ws/roles/3", None, access()),
        route("GET", "/ws/roles/1/permissions", None, access()),
        route("POST", "/ws/roles/1/permissions", Some(json!({ "reference": "" })), access()),
        route("DELETE", "/ws/roles/1/permissions/999", None, access()),
        route("GET", "/ws/members", None, access()),
        route("GET", "/ws/members/count", None, access()),
        route("POST", "/ws/members", Some(json!({ "email": "" })), access()),
        route("GET", "/ws/members/{target}", None, access()),
        route("PUT", "/ws/members/{target}", Some(json!({ "type": "owner" })), access()),
        route("DELETE", "/ws/members/{target}", None, access()),
        route("GET", "/ws/member-groups", None, access()),
        route("GET", "/ws/member-groups/count", None, access()),
        route("POST", "/ws/member-groups", Some(json!({ "name": "" })), access()),
        route("GET", "/ws/member-groups/1", None, access()),
        route("PUT", "/ws/member-groups/1", Some(json!({ "name": "" })), access()),
        route("DELETE", "/ws/member-groups/1", None, access()),
        route("POST", "/ws/member-groups/1/add-users", Some(json!({ "members": [] })), access()),
        route("POST", "/ws/member-groups/1/remove-users", Some(json!({ "members": [] })), access()),
        route("GET", "/integrations", None, Member),
        route("POST", "/integrations", Some(json!({ "integration": 99, "data": {} })), Settings("integrations")),
        route("GET", "/integrations/1", None, Member),
        route("PUT", "/integrations/1", Some(json!({ "status": "paused" })), Settings("integrations")),
        route("DELETE", "/integrations/1", None, Settings("integrations")),
        route("POST", "/integrations/1/test", None, Settings("integrations")),
        route("POST", "/integrations/1/chat", Some(json!({ "messages": [] })), Data("ai::chat::use", false)),
        route("GET", "/ws/emails", None, Settings("emails")),
        route("POST", "/ws/emails", Some(json!({ "to": [] })), Settings("emails")),
        route("GET", "/ws/emails/1", None, Settings("emails")),
        route("GET", "/ws/conversations", None, Member),
        route("GET", "/ws/conversations/1", None, Member),
        route("GET", "/ws/conversations/1/messages", None, Member),
        route("POST", "/ws/conversations/1/messages", Some(json!({ "body": "" })), Converser),
        route("POST", "/ws/conversations/1/close", None, Converser),
        route("POST", "/integrations/1/signature-requests", Some(json!({})), Sender),
        route("GET", "/ws/signature-requests", None, Member),
        route("GET", "/ws/signature-requests/1", None, Member),
        route("GET", "/ws/signature-requests/1/document", None, Member),
        route("POST", "/ws/signature-requests/1/attach", Some(json!({ "field": "f" })), Sender),
        route("GET", "/ws/webhooks", None, Settings("integrations")),
        route("GET", "/ws/webhooks/count", None, Settings("integrations")),
        route("POST", "/ws/webhooks", Some(json!({ "url": "" })), Settings("integrations")),
        route("GET", "/ws/webhooks/1", None, Settings("integrations")),
        route("PUT", "/ws/webhooks/1", Some(json!({ "url": "" })), Settings("integrations")),
        route("DELETE", "/ws/webhooks/1", None, Settings("integrations")),
        route("POST", "/ws/webhooks/1/rotate-secret", None, Settings("integrations")),
        route("GET", "/ws/webhooks/1/deliveries", None, Settings("integrations")),
        route("GET", "/ws/webhooks/1/deliveries/count", None, Settings("integrations")),
        route("POST", "/ws/webhooks/1/test", None, Settings("integrations")),
        route("GET", "/c-type-flows", None, Member),
        route("GET", "/c-type-flows/count", None, Member),
        route("POST", "/c-type-flows", Some(json!({ "name": "" })), structure()),
        route("GET", "/c-type-flows/1", None, TypeRead),
        route("PUT", "/c-type-flows/1", Some(json!({ "name": "" })), structure()),
        route("DELETE", "/c-type-flows/1?force=maybe", None, structure()),
        route("GET", "/c-flow-stages", None, Member),
        route("GET", "/c-flow-stages/count", None, Member),
        route("POST", "/c-flow-stages", Some(json!({ "flow": 1, "name": "" })), structure()),
        route("GET", "/c-flow-stages/1", None, TypeRead),
        route("PUT", "/c-flow-stages/1", Some(json!({ "name": "" })), structure()),
        route("DELETE", "/c-flow-stages/999", None, structure()),
        route("GET", "/c-flow-transitions", None, Member),
        route("GET", "/c-flow-transitions/count", None, Member),
        route("POST", "/c-flow-transitions", Some(json!({ "flow": 1 })), structure()),
        route("GET", "/c-flow-transitions/1", None, TypeRead),
        route("PUT", "/c-flow-transitions/1", Some(json!({ "from": 999 })), structure()),
        route("DELETE", "/c-flow-transitions/999", None, structure()),
        route("GET", "/c-stage-tasks", None, Member),
        route("GET", "/c-stage-tasks/count", None, Member),
        route("POST", "/c-stage-tasks", Some(json!({ "stage": 1 })), structure()),
        route("GET", "/c-stage-tasks/1", None, TypeRead),
        route("PUT", "/c-stage-tasks/1", Some(json!({ "action": "nope" })), structure()),
        route("DELETE", "/c-stage-tasks/999", None, structure()),
        route("GET", "/c-flow-items", None, Member),
        route("GET", "/c-flow-items/count", None, Member),
        route("GET", "/c-flow-items/1", None, TypeRead),
        route("GET", "/c-flow-item-tasks", None, Member),
        route("GET", "/c-flow-item-tasks/count", None, Member),
        route("GET", "/c-flow-item-tasks/in-charge", None, Member),
        route("GET", "/c-flow-item-tasks/in-charge/count", None, Member),
        route("GET", "/c-flow-item-tasks/1", None, Data("tasks::scheduled::read", true)),
        route("POST", "/c-flow-item-tasks/1/assign", None, TaskActor),
        route("PUT", "/c-flow-item-tasks/1/complete", None, TaskActor),
        route(
            "DELETE",
            "/c-flow-item-tasks/1",
            None,
            All(vec![Data("tasks::scheduled::read", true), Data("tasks::scheduled::delete", false)]),
        ),
        // Quick task 1 is Ana's and names nobody else: the members of the matrix need the
        // permissions (their own tasks are quick_tasks.rs's).
        route("GET", "/ws/tasks", None, Member),
        route("GET", "/ws/tasks/count", None, Member),
        route("GET", "/tasks", None, Member),
        route("GET", "/tasks/count", None, Member),
        route("POST", "/ws/tasks", Some(json!({ "name": "" })), Data("tasks::quick::create", false)),
        route("POST", "/tasks", Some(json!({ "name": "" })), Data("tasks::quick::create", false)),
        route("GET", "/ws/tasks/1", None, Data("tasks::quick::read", true)),
        route("GET", "/tasks/1", None, Data("tasks::quick::read", true)),
        route(
            "PUT",
            "/ws/tasks/1",
            Some(json!({ "status": "nope" })),
            All(vec![Data("tasks::quick::read", true), Data("tasks::quick::update", false)]),
        ),
        route(
            "DELETE",
            "/ws/tasks/1",
            None,
            All(vec![Data("tasks::quick::read", true), Data("tasks::quick::delete", false)]),
        ),
        route("GET", "/c-responsibility-rules", None, Member),
        route("GET", "/c-responsibility-rules/count", None, Member),
        route("POST", "/c-responsibility-rules", Some(json!({ "name": "" })), structure()),
        route("GET", "/c-responsibility-rules/1", None, TypeRead),
        route("PUT", "/c-responsibility-rules/1", Some(json!({ "name": "" })), structure()),
        route("DELETE", "/c-responsibility-rules/999", None, structure()),
        // Last: an allowed leave removes the member.
        route("POST", "/ws/leave", None, Member),
    ]
}

/// The world a route runs in: Ana owns Acme with type `docs` (text field `a`, file field
/// `f`), an item with an attached file (file 1), form 1, roles 1 (every permission above),
/// 2 (an unrelated one) and 3 (held by nobody), group 1, integration 1 (OpenAI) and a standard
/// member to act on.
struct World {
    ana: TestUser,
    item: String,
    target: i64,
}

async fn world(app: &TestApp) -> World {
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let post = |path: &'static str, body: Value| app.post(path).key(&ana.key).ws("acme").json(&body).send();
    let every: Vec<Value> = EVERY_PERMISSION.iter().map(|r| json!({ "reference": r })).collect();
    let file = app.post("/ws/files").key(&ana.key).ws("acme").multipart(&[("file", Some("a.txt"), b"abc")]).send();
    let file_id = file.await.json()[0]["id"].as_i64().unwrap();
    let setup = [
        ("/ws/types", json!({ "name": "Docs" })),
        ("/ws/types/docs/fields", json!({ "name": "A", "slug": "a", "type": "text" })),
        ("/ws/types/docs/fields", json!({ "name": "F", "slug": "f", "type": "uploadFile" })),
        ("/ws/types/docs/forms", json!({ "name": "New" })),
        ("/ws/roles", json!({ "name": "Holding", "permissions": every })),
        ("/ws/roles", json!({ "name": "Unrelated", "permissions": [{ "reference": "calendar::*::read" }] })),
        ("/ws/roles", json!({ "name": "Spare" })),
        ("/ws/member-groups", json!({ "name": "G" })),
        ("/integrations", json!({ "integration": 7, "data": { "api_key": "sk-test" } })),
        ("/c-type-flows", json!({ "name": "F", "item_type": "docs" })),
        ("/c-flow-stages", json!({ "flow": 1, "name": "S" })),
        ("/c-flow-transitions", json!({ "flow": 1, "from": 1, "to": 1 })),
        ("/c-stage-tasks", json!({ "stage": 1, "name": "T", "action": "confirmation" })),
        ("/c-responsibility-rules", json!({ "item_type": "docs", "name": "R" })),
        ("/ws/tasks", json!({ "name": "T" })),
    ];
    for (path, body) in setup {
        let response = post(path, body).await;
        assert_eq!(response.status, 201, "{path}: {}", response.text());
    }
    let item = post("/ws/types/docs/items", json!({ "data": { "a": "x", "f": [{ "id": file_id }] } })).await;
    assert_eq!(item.status, 201, "{}", item.text());
    // Its run is flow item 1, waiting in stage 1 on schedule task 1.
    let target_user = app.user("target@example.com").await;
    let target = app.add_member(1, target_user.id, MemberType::Standard, MemberStatus::Active).await;
    World { ana, item: item.json()["reference"].as_str().unwrap().to_string(), target }
}

async fn set_role(app: &TestApp, member: i64, role: Role) {
    let role_id: Option<i64> = match role {
        Role::None => None,
        Role::Holding => Some(1),
        Role::Unrelated => Some(2),
    };
    app.db.execute("UPDATE members SET role_id = $2 WHERE id = $1", &[member.into(), role_id.into()]).await.unwrap();
}

struct Case {
    member_type: MemberType,
    role: Role,
    scope: KeyScope,
    key: String,
    expected: Result<(), String>,
}

/// Runs one route through every case; answers how many requests it made.
async fn run_route(route: &Route) -> usize {
    let app = TestApp::new().await;
    let world = world(&app).await;
    let needed = Scope::for_method(route.method);
    let mut cases = Vec::new();
    let mut n = 0;
    for member_type in MemberType::ALL {
        for role in [Role::None, Role::Holding, Role::Unrelated] {
            for scope in [KeyScope::Every, KeyScope::OnlyNeeded, KeyScope::AllButNeeded] {
                n += 1;
                let (user_id, member) = if member_type == MemberType::Owner {
                    (world.ana.id, 1)
                } else {
                    let user = app.user(&format!("u{n}@example.com")).await;
                    (user.id, app.add_member(1, user.id, member_type, MemberStatus::Active).await)
                };
                if member_type != MemberType::Owner {
                    set_role(&app, member, role).await;
                }
                let key = app.key(user_id, scopes(scope, needed), None).await;
                let expected = expect(member_type, role, scope, needed, &route.need);
                cases.push((member, Case { member_type, role, scope, key, expected }));
            }
        }
    }
    // Denials first, so that no allowed request has removed what a denial must find.
    cases.sort_by_key(|(_, c)| c.expected.is_ok());
    let path = route.path.replace("{item}", &world.item).replace("{target}", &world.target.to_string());
    for (member, case) in &cases {
        if case.member_type == MemberType::Owner {
            set_role(&app, *member, case.role).await;
        }
        let mut request = app.request(route.method, &path).key(&case.key).ws("acme");
        if route.path == "/ws/files" {
            request = request.multipart(&[("file", Some("b.txt"), b"b")]);
        } else if let Some(body) = &route.body {
            request = request.json(body);
        }
        let response = request.send().await;
        let label = format!(
            "{} {} as {:?} with role {:?} and key {:?}",
            route.method, route.path, case.member_type, case.role, case.scope
        );
        match &case.expected {
            Err(message) => {
                assert_eq!(
                    (response.status, response.json()),
                    (403, json!({ "statusCode": 403, "error": "Forbidden", "message": message })),
                    "{label}"
                );
            }
            Ok(()) => assert!(
                ![401, 403].contains(&response.status),
                "{label}: expected to be allowed, got {} {}",
                response.status,
                response.text()
            ),
        }
    }
    cases.len()
}

async fn run(routes: impl Fn(&Route) -> bool) -> (usize, usize) {
    let (mut routes_run, mut cases) = (0, 0);
    for route in workspace_routes().iter().filter(|r| routes(r)) {
        cases += run_route(route).await;
        routes_run += 1;
    }
    (routes_run, cases)
}

// Split by area so the suite runs them in parallel.

#[tokio::test]
async fn matrix_workspace_and_structure() {
    let (routes, cases) = run(|r| {
        !r.path.starts_with("/ws/types/docs/items")
            && !r.path.starts_with("/ws/roles")
            && !r.path.starts_with("/ws/member")
            && !r.path.starts_with("/ws/webhooks")
            && !r.path.starts_with("/c-")
            && !is_quick_task(r)
    })
    .await;
    assert_eq!((routes, cases), (52, 52 * 36));
}

#[tokio::test]
async fn matrix_items() {
    let (routes, cases) = run(|r| r.path.starts_with("/ws/types/docs/items")).await;
    assert_eq!((routes, cases), (8, 8 * 36));
}

#[tokio::test]
async fn matrix_flows() {
    let (routes, cases) = run(|r| r.path.starts_with("/c-")).await;
    assert_eq!((routes, cases), (41, 41 * 36));
}

fn is_quick_task(r: &Route) -> bool {
    r.path.starts_with("/ws/tasks") || r.path.starts_with("/tasks")
}

#[tokio::test]
async fn matrix_quick_tasks() {
    let (routes, cases) = run(is_quick_task).await;
    assert_eq!((routes, cases), (10, 10 * 36));
}

#[tokio::test]
async fn matrix_webhooks() {
    let (routes, cases) = run(|r| r.path.starts_with("/ws/webhooks")).await;
    assert_eq!((routes, cases), (10, 10 * 36));
}

#[tokio::test]
async fn matrix_access_settings() {
    let (routes, cases) = run(|r| r.path.starts_with("/ws/roles") || r.path.starts_with("/ws/member")).await;
    assert_eq!((routes, cases), (23, 23 * 36));
}

/// Routes outside any workspace have no license type: the key's scope alone decides, so each
/// runs with every scope, only the needed one, and all but it.
#[tokio::test]
async fn matrix_user_routes_by_key_scope() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let routes: [(&str, &str, Option<Value>); 12] = [
        ("GET", "/integrations/catalog", None),
        ("GET", "/user", None),
        ("PUT", "/user", Some(json!({ "language": "xx" }))),
        ("GET", "/user-api-keys", None),
        ("GET", "/user-api-keys/count", None),
        ("POST", "/user-api-keys", Some(json!({ "description": "" }))),
        ("DELETE", "/user-api-keys/AAAAAAAAAAAAAAAA", None),
        ("GET", "/user/request-logs", None),
        ("GET", "/user/request-logs/count", None),
        ("GET", "/workspaces", None),
        ("GET", "/workspaces/count", None),
        ("POST", "/workspaces", Some(json!({ "name": "" }))),
    ];
    let mut cases = 0;
    for (method, path, body) in routes {
        let needed = Scope::for_method(method);
        for variant in [KeyScope::Every, KeyScope::OnlyNeeded, KeyScope::AllButNeeded] {
            let key = app.key(ana.id, scopes(variant, needed), None).await;
            let mut request = app.request(method, path).key(&key);
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await;
            match expect(MemberType::Owner, Role::None, variant, needed, &Need::Member) {
                Err(message) => response.assert_error(403, &message),
                Ok(()) => assert!(
                    ![401, 403].contains(&response.status),
                    "{method} {path} with {variant:?}: {} {}",
                    response.status,
                    response.text()
                ),
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 36);
}

/// The oracle itself, on a few cases read straight off the spec.
#[test]
fn the_oracle_reads_like_the_spec() {
    use MemberType::*;
    let read = Need::Data("types::docs::read", true);
    let update = Need::Data("types::docs::update", false);
    assert!(expect(Viewer, Role::Holding, KeyScope::Every, Scope::Read, &read).is_ok());
    assert!(expect(Viewer, Role::Holding, KeyScope::Every, Scope::Write, &update).is_err());
    assert!(expect(Full, Role::None, KeyScope::Every, Scope::Write, &update).is_ok());
    assert!(expect(Standard, Role::None, KeyScope::Every, Scope::Read, &read).is_err());
    assert!(expect(Owner, Role::Unrelated, KeyScope::OnlyNeeded, Scope::Write, &Need::Settings("access")).is_ok());
    assert!(expect(Standard, Role::Holding, KeyScope::Every, Scope::Write, &Need::Settings("access")).is_err());
    assert_eq!(
        expect(Owner, Role::None, KeyScope::AllButNeeded, Scope::Delete, &Need::Owner),
        Err("Token missing scope: delete".into())
    );
}
