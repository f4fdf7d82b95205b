//! The routes of spec/workspaces-and-users.md for workspaces.

use enspace_domain::{
    access::{MemberStatus, MemberType},
    key::Scopes,
};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::time;

fn expected_workspace(id: i64, name: &str, reference: &str, created: &Value) -> Value {
    let at = time(&created["created_at"]);
    json!({ "id": id, "name": name, "reference": reference, "status": "active", "description": "", "icon": null,
        "language": "pt", "modules": {}, "settings": {}, "members_count": 1, "created_at": at, "updated_at": at })
}

#[tokio::test]
async fn create_derives_the_reference_and_makes_the_caller_owner() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let response = app
        .post("/workspaces")
        .key(&ana.key)
        .json(&json!({ "name": "Acme Operações", "description": "Back office", "icon": "carbon:enterprise",
            "language": "en", "modules": { "flows": true } }))
        .send()
        .await;
    let body = response.json();
    let at = time(&body["created_at"]);
    response.assert(
        201,
        json!({ "id": 1, "name": "Acme Operações", "reference": "acme-operacoes", "status": "active",
            "description": "Back office", "icon": "carbon:enterprise", "language": "en", "modules": { "flows": true },
            "settings": {}, "members_count": 1, "created_at": at, "updated_at": at }),
    );
    // A derived reference that is taken gets the first free suffix.
    let second = app.workspace(&ana, "Acme Operações").await;
    assert_eq!(second["reference"], "acme-operacoes-2");
    let third = app.workspace(&ana, "acme   operacoes!").await;
    assert_eq!(third["reference"], "acme-operacoes-3");
    // `slug` is an alias of `reference`.
    let aliased = app.post("/workspaces").key(&ana.key).json(&json!({ "name": "X", "slug": "my-x" })).send().await;
    assert_eq!(aliased.json()["reference"], "my-x");
    // The owner is the member.
    let context = app.get("/ws").key(&ana.key).ws("acme-operacoes").send().await.json();
    assert_eq!(context["member"]["type"], "owner");
}

#[tokio::test]
async fn create_rejects_a_taken_reference_and_bad_input() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    app.post("/workspaces")
        .key(&ana.key)
        .json(&json!({ "name": "Other", "reference": "acme" }))
        .send()
        .await
        .assert_error(409, "The reference \"acme\" is already taken");
    app.post("/workspaces")
        .key(&ana.key)
        .json(&json!({ "reference": "1bad", "slug": "other", "language": "fr", "modules": { "a": 1 }, "description": "d" }))
        .send()
        .await
        .assert(
            400,
            json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": [
                { "path": "name", "message": "is required" },
                { "path": "slug", "message": "is an alias of reference and differs from it" },
                { "path": "reference", "message": "must start with a letter a-z" },
                { "path": "language", "message": "must be one of pt, en, es, got \"fr\"" },
                { "path": "modules.a", "message": "expected true or false, got 1" }
            ]}),
        );
    app.post("/workspaces").key(&ana.key).json(&json!({ "name": "   " })).send().await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed",
            "details": [{ "path": "name", "message": "must not be empty" }] }),
    );
}

#[tokio::test]
async fn list_shows_active_memberships_narrowed_by_the_key() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let bia = app.user("bia@example.com").await;
    let acme = app.workspace(&ana, "Acme").await;
    let beta = app.workspace(&ana, "Beta").await;
    app.workspace(&bia, "Bia Only").await;
    let listed = app.get("/workspaces").key(&ana.key).send().await;
    listed.assert(
        200,
        json!([expected_workspace(1, "Acme", "acme", &acme), expected_workspace(2, "Beta", "beta", &beta)]),
    );
    let narrow = app.key(ana.id, Scopes::EVERY, Some(&[2])).await;
    app.get("/workspaces").key(&narrow).send().await.assert(200, json!([expected_workspace(2, "Beta", "beta", &beta)]));
    app.get("/workspaces/count").key(&narrow).send().await.assert(200, json!(1));
}

async fn with_member(app: &TestApp, owner: &TestUser, email: &str, member_type: MemberType) -> (TestUser, i64) {
    let user = app.user(email).await;
    let member = app.add_member(1, user.id, member_type, MemberStatus::Active).await;
    let _ = owner;
    (user, member)
}

#[tokio::test]
async fn context_tells_a_client_what_to_draw() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    let acme = app.workspace(&ana, "Acme").await;
    let (bia, bia_member) = with_member(&app, &ana, "bia@example.com", MemberType::Standard).await;
    // A role with permissions and a group, set up directly in the store.
    let now = 1_773_348_400_548i64;
    app.db
        .execute(
            "INSERT INTO roles (workspace_id, name, created_at, updated_at) VALUES (1, 'Atendimento', $1, $1)",
            &[now.into()],
        )
        .await
        .unwrap();
    for (reference, fields) in [("types::orders::read", json!(["data.total"])), ("settings::system::manage", json!([]))]
    {
        app.db.execute(
            "INSERT INTO role_permissions (workspace_id, role_id, reference, fields, created_at, updated_at) VALUES (1, 1, $1, $2, $3, $3)",
            &[reference.into(), fields.into(), now.into()],
        ).await.unwrap();
    }
    app.db.execute("UPDATE members SET role_id = 1 WHERE id = $1", &[bia_member.into()]).await.unwrap();
    app.db
        .execute(
            "INSERT INTO member_groups (workspace_id, name, created_at, updated_at) VALUES (1, 'Financeiro', $1, $1)",
            &[now.into()],
        )
        .await
        .unwrap();
    app.db
        .execute(
            "INSERT INTO member_group_members (workspace_id, group_id, member_id) VALUES (1, 1, $1)",
            &[bia_member.into()],
        )
        .await
        .unwrap();

    let response = app.get("/ws").key(&bia.key).ws("acme").send().await;
    let body = response.json();
    let key_reference = body["key"]["reference"].as_str().unwrap().to_string();
    assert_eq!(key_reference.len(), 16);
    let mut workspace = expected_workspace(1, "Acme", "acme", &acme);
    workspace["members_count"] = json!(2);
    response.assert(
        200,
        json!({
            "workspace": workspace,
            "user": { "id": bia.id, "created_at": time(&body["user"]["created_at"]), "email": "bia@example.com",
                "meta": { "fname": "Test", "lname": "User" } },
            "member": { "id": bia_member, "type": "standard", "status": "active", "role": 1, "groups": [1] },
            // Effective permissions: a standard member's role cannot open settings.
            "permissions": [
                { "resource": "type", "resource_id": "orders", "action": "read", "fields": ["data.total"] }
            ],
            "key": { "reference": key_reference, "scope": { "global": ["read", "write", "delete"], "workspaces": ["*"] } }
        }),
    );
    let owner = app.get("/ws").key(&ana.key).ws("acme").send().await.json();
    assert_eq!(owner["permissions"], json!([{ "resource": "*", "resource_id": "*", "action": "*" }]));
    assert_eq!(owner["member"], json!({ "id": 1, "type": "owner", "status": "active", "role": null, "groups": [] }));
}

#[tokio::test]
async fn update_needs_the_owner_or_a_full_member_with_settings() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let (full, _) = with_member(&app, &ana, "full@example.com", MemberType::Full).await;
    let (standard, _) = with_member(&app, &ana, "std@example.com", MemberType::Standard).await;
    let (viewer, _) = with_member(&app, &ana, "view@example.com", MemberType::Viewer).await;

    let response = app
        .put("/ws")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "Acme 2", "description": "New", "icon": "i-x", "language": "es",
            "settings": { "theme": "dark" }, "reference": "acme", "members_count": 99, "status": "active" }))
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(
        (
            &body["name"],
            &body["description"],
            &body["icon"],
            &body["language"],
            &body["settings"],
            &body["reference"],
            &body["members_count"]
        ),
        (
            &json!("Acme 2"),
            &json!("New"),
            &json!("i-x"),
            &json!("es"),
            &json!({ "theme": "dark" }),
            &json!("acme"),
            &json!(4)
        )
    );
    assert!(time(&body["updated_at"]) >= time(&body["created_at"]));

    let full_update = app.put("/ws").key(&full.key).ws("acme").json(&json!({ "icon": null })).send().await;
    assert_eq!(full_update.status, 200);
    assert_eq!(full_update.json()["icon"], json!(null));
    for user in [&standard, &viewer] {
        app.put("/ws")
            .key(&user.key)
            .ws("acme")
            .json(&json!({ "name": "No" }))
            .send()
            .await
            .assert_error(403, "Permission denied: settings::system::manage");
    }
    app.put("/ws").key(&ana.key).ws("acme").json(&json!({ "reference": "renamed" })).send().await.assert(
        400,
        json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed",
            "details": [{ "path": "reference", "message": "is immutable" }] }),
    );
}

#[tokio::test]
async fn leave() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let (bia, _) = with_member(&app, &ana, "bia@example.com", MemberType::Full).await;
    app.post("/ws/leave")
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .assert_error(400, "The owner cannot leave the workspace");
    app.post("/ws/leave")
        .key(&bia.key)
        .ws("acme")
        .send()
        .await
        .assert(200, json!({ "data": true, "message": "You have successfully exited the workspace" }));
    app.get("/ws").key(&bia.key).ws("acme").send().await.assert_error(403, "You are not a member of this workspace");
    assert_eq!(app.get("/ws").key(&ana.key).ws("acme").send().await.json()["workspace"]["members_count"], 1);
}

/// Rows of every kind the workspace owns, inserted directly (their routes come in later milestones).
async fn populate(app: &TestApp, workspace_id: i64, now: i64) {
    let ws = workspace_id;
    let sql = [
        "INSERT INTO types (workspace_id, slug, name, prefix, created_at, updated_at) VALUES ($1, 'orders', 'Orders', 'ORD', $2, $2)",
        "INSERT INTO types (workspace_id, slug, name, prefix, created_at, updated_at) VALUES ($1, 'clients', 'Clients', 'CLI', $2, $2)",
        "INSERT INTO fields (workspace_id, type_id, ref_id, field_type, position, def, created_at, updated_at) SELECT $1, id, 'a', 'inputText', 1, '{}', $2, $2 FROM types WHERE workspace_id = $1",
        "INSERT INTO items (workspace_id, type_id, reference, created_at, updated_at) SELECT $1, id, 'ORD' || CAST(id AS TEXT) || 'X' || CAST($1 AS TEXT), $2, $2 FROM types WHERE workspace_id = $1 AND slug = 'orders'",
        "INSERT INTO items (workspace_id, type_id, reference, created_at, updated_at) SELECT $1, id, 'ORD' || CAST(id AS TEXT) || 'Y' || CAST($1 AS TEXT), $2, $2 FROM types WHERE workspace_id = $1 AND slug = 'orders'",
        "INSERT INTO roles (workspace_id, name, created_at, updated_at) VALUES ($1, 'R', $2, $2)",
        "INSERT INTO member_groups (workspace_id, name, created_at, updated_at) VALUES ($1, 'G', $2, $2)",
        "INSERT INTO integrations (workspace_id, integration_type, created_at, updated_at) VALUES ($1, 4, $2, $2)",
        "INSERT INTO flows (workspace_id, type_id, name, status, start_type, created_at, updated_at) SELECT $1, id, 'F', 'active', 'always', $2, $2 FROM types WHERE workspace_id = $1 AND slug = 'orders'",
        "INSERT INTO quick_tasks (workspace_id, reference, name, type, status, priority, due_date, meta, creator, notification_task, archived, tag_ids, collaborators, created_at, updated_at) VALUES ($1, 'q1' || CAST($1 AS TEXT), 'a', 'generic', 'pending', 'normal', 1000, '{}', 1, FALSE, FALSE, '[]', '[]', $2, $2)",
        "INSERT INTO quick_tasks (workspace_id, reference, name, type, status, priority, due_date, meta, creator, notification_task, archived, tag_ids, collaborators, created_at, updated_at) VALUES ($1, 'q2' || CAST($1 AS TEXT), 'b', 'generic', 'working', 'normal', NULL, '{}', 1, FALSE, FALSE, '[]', '[]', $2, $2)",
        "INSERT INTO quick_tasks (workspace_id, reference, name, type, status, priority, due_date, meta, creator, notification_task, archived, tag_ids, collaborators, created_at, updated_at) VALUES ($1, 'q3' || CAST($1 AS TEXT), 'c', 'generic', 'completed', 'normal', 1000, '{}', 1, FALSE, FALSE, '[]', '[]', $2, $2)",
        "INSERT INTO quick_tasks (workspace_id, reference, name, type, status, priority, due_date, meta, creator, notification_task, archived, tag_ids, collaborators, created_at, updated_at) VALUES ($1, 'q4' || CAST($1 AS TEXT), 'd', 'generic', 'pending', 'normal', 1000, '{}', 1, FALSE, TRUE, '[]', '[]', $2, $2)",
        "INSERT INTO files (workspace_id, filename, mime, size, storage_key, sha256, created_at, updated_at) VALUES ($1, 'a', 'text/plain', 1000, 'k1', '', $2, $2)",
        "INSERT INTO files (workspace_id, filename, mime, size, storage_key, sha256, created_at, updated_at) VALUES ($1, 'b', 'text/plain', 24, 'k2', '', $2, $2)",
    ];
    for statement in sql {
        app.db.execute(statement, &[ws.into(), now.into()]).await.unwrap();
    }
}

#[tokio::test]
async fn stats() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    with_member(&app, &ana, "v@example.com", MemberType::Viewer).await;
    let blocked = app.user("b@example.com").await;
    app.add_member(1, blocked.id, MemberType::Standard, MemberStatus::Blocked).await;
    populate(&app, 1, 5000).await;
    app.get("/ws/stats").key(&ana.key).ws("acme").send().await.assert(
        200,
        json!({
            "members": { "total": 3, "by_type": { "full": 0, "owner": 1, "standard": 1, "viewer": 1 },
                "by_status": { "active": 2, "blocked": 1, "inactive": 0 } },
            "types": 2, "fields": 2, "items": 2, "items_by_type": { "clients": 0, "orders": 2 },
            "roles": 1, "groups": 1, "integrations": 1, "flows": 1,
            "tasks": { "open": 2, "overdue": 1 },
            "storage_bytes": 1024
        }),
    );
}

#[tokio::test]
async fn deletion_preview_equals_what_deletion_removes() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    app.workspace(&ana, "Keep").await;
    with_member(&app, &ana, "bia@example.com", MemberType::Full).await;
    populate(&app, 1, 5000).await;
    populate(&app, 2, 5000).await;
    // Keys that list acme: one with acme alone, one with both; a revoked one is not counted.
    app.key(ana.id, Scopes::EVERY, Some(&[1])).await;
    let both = app.key(ana.id, Scopes::EVERY, Some(&[1, 2])).await;
    app.key(ana.id, Scopes::EVERY, Some(&[1])).await;
    app.db.execute("UPDATE api_keys SET revoked_at = 1 WHERE id = (SELECT MAX(id) FROM api_keys)", &[]).await.unwrap();

    let expected = json!({ "types": 2, "fields": 2, "items": 2, "files": 2, "tasks": 4, "quick_tasks": 4, "schedule_tasks": 0, "flows": 1, "integrations": 1,
        "groups": 1, "members": 2, "roles": 1, "api_keys_narrowed": 2, "requires_confirmation": "acme" });
    app.get("/ws/deletion-preview").key(&ana.key).ws("acme").send().await.assert(200, expected.clone());

    // The store's deletion reports what it removed: the same numbers.
    let removed = enspace_store::workspaces::deletion_preview(&app.db, 1).await.unwrap();
    let mut preview = serde_json::to_value(&removed).unwrap();
    preview["requires_confirmation"] = json!("acme");
    assert_eq!(preview, expected);

    app.delete("/ws")
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .assert_error(400, "Confirm deletion with ?confirm=<reference>");
    app.delete("/ws?confirm=keep")
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .assert_error(400, "Confirm deletion with ?confirm=<reference>");
    app.delete("/ws?confirm=acme")
        .key(&ana.key)
        .ws("acme")
        .send()
        .await
        .assert(200, json!({ "data": true, "message": "Workspace deleted" }));
    // Gone for every request at once; its rows leave through the purge job.
    app.get("/ws").key(&ana.key).ws("acme").send().await.assert_error(404, "Workspace not found");
    let items_left = || async {
        app.db.fetch_one("SELECT COUNT(*) AS n FROM items WHERE workspace_id = 1", &[]).await.unwrap().i64("n").unwrap()
    };
    assert!(items_left().await > 0);
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(items_left().await, 0);

    // Nothing of acme is left; keep is untouched.
    for table in [
        "types",
        "fields",
        "items",
        "files",
        "quick_tasks",
        "flows",
        "integrations",
        "member_groups",
        "members",
        "roles",
        "role_permissions",
        "member_group_members",
        "api_key_workspaces",
    ] {
        let left = app
            .db
            .fetch_one(&format!("SELECT COUNT(*) AS n FROM {table} WHERE workspace_id = 1"), &[])
            .await
            .unwrap()
            .i64("n")
            .unwrap();
        assert_eq!(left, 0, "{table} still has rows of the deleted workspace");
    }
    let workspaces = app.db.fetch_one("SELECT COUNT(*) AS n FROM workspaces WHERE id = 1", &[]).await.unwrap();
    assert_eq!(workspaces.i64("n").unwrap(), 0);
    assert_eq!(app.get("/ws/stats").key(&ana.key).ws("keep").send().await.json()["items"], 2);
    app.get("/ws").key(&ana.key).ws("acme").send().await.assert_error(404, "Workspace not found");
    // The key that listed both now lists keep alone.
    let context = app.get("/ws").key(&both).ws("keep").send().await.json();
    assert_eq!(context["key"]["scope"]["workspaces"], json!(["keep"]));
    // The deletion is in the deleter's request log.
    app.flush_request_log().await;
    let logs = app.get("/user/request-logs?method=DELETE&status=200").key(&ana.key).send().await.json();
    assert_eq!(logs[0]["path"], "/ws");
    assert_eq!(logs[0]["workspace"], "acme");
}

#[tokio::test]
async fn only_the_owner_previews_and_deletes() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let (full, _) = with_member(&app, &ana, "full@example.com", MemberType::Full).await;
    let denied = "Permission denied: only the owner can delete the workspace";
    app.get("/ws/deletion-preview").key(&full.key).ws("acme").send().await.assert_error(403, denied);
    app.delete("/ws?confirm=acme").key(&full.key).ws("acme").send().await.assert_error(403, denied);
    assert_eq!(app.get("/ws").key(&ana.key).ws("acme").send().await.status, 200);
}
