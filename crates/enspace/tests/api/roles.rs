//! Roles and permissions through the router: the wire shapes, references checked against what
//! exists, replacement by reference, deletion with reassignment, and nobody granting what they
//! do not hold.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::{time, validation};

async fn send(
    app: &TestApp,
    user: &TestUser,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> enspace_testkit::TestResponse {
    let mut request = app.request(method, path).key(&user.key).ws("acme");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await
}

/// Ana owns Acme, which has type `orders` (field `status`) and a form on it.
async fn setup(app: &TestApp) -> TestUser {
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    for (path, body) in [
        ("/ws/types", json!({ "name": "Orders" })),
        ("/ws/types/orders/fields", json!({ "name": "Status", "slug": "status", "type": "text" })),
        ("/ws/types/orders/forms", json!({ "name": "New order" })),
    ] {
        assert_eq!(send(app, &ana, "POST", path, Some(body)).await.status, 201, "{path}");
    }
    ana
}

#[tokio::test]
async fn roles_and_permissions_follow_the_wire_shape() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let body = |form_permission: Value| {
        json!({ "name": "Atendimento", "description": "Front desk", "icon": "i-lucide-headset", "permissions": [
            { "reference": "types::orders::read" },
            { "reference": "types::orders::update", "fields": ["data.status", "created_at"], "rules": [{ "field": "data.status", "op": "eq", "value": "open" }] },
            form_permission
        ] })
    };
    let created = send(
        &app,
        &ana,
        "POST",
        "/ws/roles",
        Some(body(json!({ "reference": "forms::1::create", "role": "ignored-when-creating-is-not-allowed" }))),
    )
    .await;
    // `role` in a permission must be the role's id: on create there is none yet.
    created.assert(
        400,
        validation(json!([{ "path": "permissions[2].role", "message": "must be this role's id, or absent" }])),
    );

    let created = send(&app, &ana, "POST", "/ws/roles", Some(body(json!({ "reference": "forms::1::create" })))).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let role = created.json();
    let at = time(&role["created_at"]);
    assert_eq!(
        role,
        json!({ "id": 1, "name": "Atendimento", "description": "Front desk", "icon": "i-lucide-headset", "status": "active",
            "permissions_count": 3, "created_at": at, "updated_at": at })
    );
    let permissions = send(&app, &ana, "GET", "/ws/roles/1/permissions", None).await.json();
    let shapes: Vec<Value> = permissions
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["id"], p["reference"], p["fields"], p["rules"], p["role"]]))
        .collect();
    assert_eq!(
        shapes,
        [
            json!([1, "types::orders::read", ["*"], [], "1"]),
            json!([2, "types::orders::update", ["data.status", "created_at"], [{ "field": "data.status", "op": "eq", "value": "open" }], "1"]),
            json!([3, "forms::1::create", [], [], "1"]),
        ]
    );
    assert_eq!(send(&app, &ana, "GET", "/ws/roles", None).await.json(), json!([role]));
    assert_eq!(send(&app, &ana, "GET", "/ws/roles/count?name=Atendimento", None).await.json(), json!(1));
    send(&app, &ana, "GET", "/ws/roles/1", None).await.assert(200, role.clone());
    send(&app, &ana, "GET", "/ws/roles/9", None).await.assert_error(404, "Role not found");

    // Adding an existing reference replaces its fields and rules; `role` as a number or string.
    let replaced = send(
        &app,
        &ana,
        "POST",
        "/ws/roles/1/permissions",
        Some(json!({ "reference": "types::orders::update", "fields": ["data.status"], "role": 1 })),
    )
    .await;
    assert_eq!(replaced.status, 201, "{}", replaced.text());
    assert_eq!(
        [&replaced.json()["id"], &replaced.json()["fields"], &replaced.json()["rules"], &replaced.json()["role"]],
        [&json!(2), &json!(["data.status"]), &json!([]), &json!("1")]
    );
    let added = send(
        &app,
        &ana,
        "POST",
        "/ws/roles/1/permissions",
        Some(json!({ "reference": "settings::logs::manage", "role": "1" })),
    )
    .await;
    // (Ids are not contiguous: a replacing insert may spend one, on either backend.)
    assert_eq!((added.status, added.json()["reference"].as_str()), (201, Some("settings::logs::manage")));
    let added_id = added.json()["id"].as_i64().unwrap();
    assert_eq!(send(&app, &ana, "GET", "/ws/roles/1", None).await.json()["permissions_count"], 4);

    // Every problem at once, with its path.
    send(
        &app,
        &ana,
        "POST",
        "/ws/roles/1/permissions",
        Some(json!({ "reference": "types::orders::delete", "fields": ["data.status"], "rules": "x", "role": "2" })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "fields", "message": "field lists apply only to read and update of a type" },
            { "path": "rules", "message": "expected a list" },
            { "path": "role", "message": "must be this role's id, or absent" }
        ])),
    );
    send(
        &app,
        &ana,
        "POST",
        "/ws/roles",
        Some(json!({ "name": "", "status": "inactive", "permissions": [
            { "reference": "types::nope::read" },
            { "reference": "tasks::scheduled::create" },
            { "reference": "types::orders::read", "fields": ["data.nope"] },
            { "fields": [] }
        ] })),
    )
    .await
    .assert(
        400,
        validation(json!([
            { "path": "name", "message": "must not be empty" },
            { "path": "status", "message": "new roles are active; change it with an update" },
            { "path": "permissions[0].reference", "message": "no type \"nope\" in this workspace" },
            { "path": "permissions[1].reference", "message": "tasks::scheduled takes read, update, delete, not \"create\"" },
            { "path": "permissions[2].fields[0]", "message": "no field \"data.nope\" in this type" },
            { "path": "permissions[3].reference", "message": "is required" }
        ])),
    );

    // Update: name, description, icon, status; permissions have their own routes.
    let updated = send(&app, &ana, "PUT", "/ws/roles/1", Some(json!({ "status": "inactive", "name": "Front" }))).await;
    assert_eq!((updated.json()["status"].as_str(), updated.json()["name"].as_str()), (Some("inactive"), Some("Front")));
    send(&app, &ana, "PUT", "/ws/roles/1", Some(json!({ "permissions": [] }))).await.assert(
        400,
        validation(json!([{ "path": "permissions", "message": "change them with /ws/roles/{roleId}/permissions" }])),
    );

    // Removing one permission answers it; another role's permission id is not found here.
    let removed = send(&app, &ana, "DELETE", &format!("/ws/roles/1/permissions/{added_id}"), None).await;
    assert_eq!(removed.json()["reference"], "settings::logs::manage");
    send(&app, &ana, "DELETE", &format!("/ws/roles/1/permissions/{added_id}"), None)
        .await
        .assert_error(404, "Permission not found");
}

#[tokio::test]
async fn deleting_a_held_role_needs_a_reassignment() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    for name in ["A", "B"] {
        assert_eq!(send(&app, &ana, "POST", "/ws/roles", Some(json!({ "name": name }))).await.status, 201);
    }
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    app.assign_role(member, 1).await;

    send(&app, &ana, "DELETE", "/ws/roles/1", None).await.assert_error(
        409,
        "1 member(s) hold this role; reassign them with ?reassign_to=<roleId> or change their role first",
    );
    for target in ["1", "9", "x"] {
        send(&app, &ana, "DELETE", &format!("/ws/roles/1?reassign_to={target}"), None).await.assert(
            400,
            validation(json!([{ "path": "reassign_to", "message": format!("expected the id of another role of this workspace, got {target:?}") }])),
        );
    }
    let deleted = send(&app, &ana, "DELETE", "/ws/roles/1?reassign_to=2", None).await;
    assert_eq!((deleted.status, deleted.json()["name"].as_str()), (200, Some("A")));
    let role: Option<i64> = app
        .db
        .fetch_one("SELECT role_id FROM members WHERE id = $1", &[member.into()])
        .await
        .unwrap()
        .opt_i64("role_id")
        .unwrap();
    assert_eq!(role, Some(2));
    // An unheld role goes without ceremony, its permissions with it.
    send(
        &app,
        &ana,
        "POST",
        "/ws/roles",
        Some(json!({ "name": "C", "permissions": [{ "reference": "ai::chat::use" }] })),
    )
    .await;
    assert_eq!(send(&app, &ana, "DELETE", "/ws/roles/3", None).await.status, 200);
    let left = app.db.fetch_one("SELECT COUNT(*) AS n FROM role_permissions", &[]).await.unwrap().i64("n").unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn nobody_grants_what_they_do_not_hold() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    // Caio is a full member whose role manages access and reads orders, and nothing else.
    let caio = app.user("caio@example.com").await;
    let member = app.add_member(1, caio.id, MemberType::Full, MemberStatus::Active).await;
    let own = app
        .role(
            1,
            &[
                ("settings::access::manage", None),
                ("types::orders::read", None),
                ("types::orders::update", Some(json!(["data.status"]))),
            ],
        )
        .await;
    app.assign_role(member, own).await;
    let role = send(
        &app,
        &caio,
        "POST",
        "/ws/roles",
        Some(json!({ "name": "Readers", "permissions": [{ "reference": "types::orders::read" }] })),
    )
    .await;
    assert_eq!(role.status, 201, "{}", role.text());
    let id = role.json()["id"].as_i64().unwrap();
    for (method, path, body) in [
        (
            "POST",
            "/ws/roles".to_string(),
            json!({ "name": "Admins", "permissions": [{ "reference": "types::orders::delete" }] }),
        ),
        ("POST", format!("/ws/roles/{id}/permissions"), json!({ "reference": "settings::system::manage" })),
        // Not even into his own role.
        ("POST", format!("/ws/roles/{own}/permissions"), json!({ "reference": "types::orders::delete" })),
        // Nor more fields than his own list covers ("*" included).
        ("POST", format!("/ws/roles/{id}/permissions"), json!({ "reference": "types::orders::update" })),
        (
            "POST",
            format!("/ws/roles/{id}/permissions"),
            json!({ "reference": "types::orders::update", "fields": ["data.status", "created_at"] }),
        ),
    ] {
        let refused = send(&app, &caio, method, &path, Some(body.clone())).await;
        let reference = body.get("reference").or_else(|| body["permissions"][0].get("reference")).unwrap();
        refused.assert_error(
            403,
            &format!(
                "Permission denied: {} cannot be granted by a member who does not hold it",
                reference.as_str().unwrap()
            ),
        );
    }
    let within = send(
        &app,
        &caio,
        "POST",
        &format!("/ws/roles/{id}/permissions"),
        Some(json!({ "reference": "types::orders::update", "fields": ["data.status"] })),
    )
    .await;
    assert_eq!(within.status, 201, "{}", within.text());
    // Standard members and viewers never manage roles, whatever their role says.
    let dora = app.user("dora@example.com").await;
    let member = app.add_member(1, dora.id, MemberType::Standard, MemberStatus::Active).await;
    app.assign_role(member, own).await;
    send(&app, &dora, "GET", "/ws/roles", None).await.assert_error(403, "Permission denied: settings::access::manage");
    // The owner grants anything that exists.
    let granted = send(
        &app,
        &ana,
        "POST",
        &format!("/ws/roles/{id}/permissions"),
        Some(json!({ "reference": "settings::system::manage" })),
    )
    .await;
    assert_eq!(granted.status, 201);
    // Another workspace's role is not found through this one.
    let out = app.user("out@example.com").await;
    app.workspace(&out, "Other").await;
    app.get(&format!("/ws/roles/{id}")).key(&out.key).ws("other").send().await.assert_error(404, "Role not found");
}
