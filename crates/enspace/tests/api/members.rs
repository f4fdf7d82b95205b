//! Members, member groups, invitations and login sessions through the router: the wire shapes,
//! the transition table, owner rules, mass assignment refused, nobody conferring more than they
//! hold, v1 group permissions, and secrets kept only as hashes and digests.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestResponse, TestUser};
use serde_json::{json, Value};

use crate::{time, validation};

fn send<'a>(
    app: &'a TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> impl std::future::Future<Output = TestResponse> + 'a {
    let mut request = app.request(method, path).key(key).ws("acme");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send()
}

async fn bearer(app: &TestApp, token: &str, method: &str, path: &str) -> TestResponse {
    app.request(method, path).header("authorization", &format!("Bearer {token}")).ws("acme").send().await
}

/// Ana owns Acme with type `orders` (field `status`), role 1 (reads orders) and group 1.
async fn setup(app: &TestApp) -> TestUser {
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    for (path, body) in [
        ("/ws/types", json!({ "name": "Orders" })),
        ("/ws/types/orders/fields", json!({ "name": "Status", "slug": "status", "type": "text" })),
        ("/ws/roles", json!({ "name": "Leitura", "permissions": [{ "reference": "types::orders::read" }] })),
        ("/ws/member-groups", json!({ "name": "Financeiro" })),
    ] {
        let response = send(app, &ana.key, "POST", path, Some(body)).await;
        assert_eq!(response.status, 201, "{path}: {}", response.text());
    }
    ana
}

fn token_of(url: &str) -> String {
    url.strip_prefix("http://127.0.0.1:8080/auth/accept-invite?token=").expect("an acceptance link").to_string()
}

#[tokio::test]
async fn an_invitation_creates_the_member_and_its_acceptance_a_session() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let invite = json!({ "email": "Carla@Example.com", "type": "standard", "role": "1", "mgroups": [1],
        "fname": "Carla", "lname": "Souza" });
    let created = send(&app, &ana.key, "POST", "/ws/members", Some(invite.clone())).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body = created.json();
    let url = body["invitation_url"].as_str().unwrap().to_string();
    let at = time(&body["created_at"]);
    let member = json!({ "id": 2, "created_at": at, "updated_at": at,
        "user": { "id": 2, "created_at": time(&body["user"]["created_at"]), "email": "Carla@Example.com",
            "meta": { "fname": "Carla", "lname": "Souza" } },
        "email": "Carla@Example.com", "type": "standard", "role": 1, "groups": [1], "status": "active" });
    let mut expected = member.clone();
    expected["invitation_url"] = json!(url);
    assert_eq!(body, expected);
    send(&app, &ana.key, "GET", "/ws/members/2", None).await.assert(200, member.clone());
    assert_eq!(send(&app, &ana.key, "GET", "/ws/members?type=standard", None).await.json(), json!([member]));
    assert_eq!(send(&app, &ana.key, "GET", "/ws/members/count?email_contains=carla", None).await.json(), json!(1));
    assert_eq!(send(&app, &ana.key, "GET", "/ws/members/count?_q=souza", None).await.json(), json!(1));
    send(&app, &ana.key, "POST", "/ws/members", Some(invite))
        .await
        .assert_error(409, "Already a member of this workspace");
    assert_eq!(send(&app, &ana.key, "GET", "/ws/member-groups/1", None).await.json()["members"], json!([2]));

    // The invited user cannot log in before accepting; accepting sets the password once.
    let login = |email: &'static str, password: &'static str| {
        app.post("/auth/login").json(&json!({ "email": email, "password": password })).send()
    };
    login("carla@example.com", "")
        .await
        .assert(400, validation(json!([{ "path": "password", "message": "is required" }])));
    login("carla@example.com", "whatever1").await.assert_error(401, "Invalid email or password");
    let token = token_of(&url);
    let accept = |password: &str| {
        app.post("/auth/accept-invite").json(&json!({ "token": token, "password": password, "fname": "Carla" })).send()
    };
    accept("short")
        .await
        .assert(400, validation(json!([{ "path": "password", "message": "must have at least 8 characters" }])));
    let accepted = accept("correct horse battery").await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    accept("another password").await.assert_error(400, "This invitation is invalid, expired or already accepted");

    // A session works as Bearer on every route, with all the user's rights and no key.
    let session = login("carla@example.com", "correct horse battery").await;
    assert_eq!(session.status, 200, "{}", session.text());
    let session_token = session.json()["token"].as_str().unwrap().to_string();
    assert!(session_token.starts_with("ens.") && session_token.len() == 47, "{session_token}");
    time(&session.json()["expires_at"]);
    let context = bearer(&app, &session_token, "GET", "/ws").await.json();
    assert_eq!(context["member"]["type"], "standard");
    assert_eq!(context["key"], Value::Null);
    assert_eq!(
        context["permissions"],
        json!([{ "resource": "type", "resource_id": "orders", "action": "read", "fields": ["*"] }])
    );
    assert_eq!(bearer(&app, &session_token, "GET", "/ws/types/orders/items").await.status, 200);
    bearer(&app, &session_token, "GET", "/ws/members")
        .await
        .assert_error(403, "Permission denied: settings::access::manage");
    assert_eq!(bearer(&app, &session_token, "POST", "/auth/logout").await.json()["data"], true);
    bearer(&app, &session_token, "GET", "/ws").await.assert_error(401, "Invalid or missing API key");

    // Only hashes and digests are stored.
    let row = app
        .db
        .fetch_one("SELECT password_hash FROM users WHERE id = 2", &[])
        .await
        .unwrap()
        .opt_text("password_hash")
        .unwrap()
        .unwrap();
    assert!(row.starts_with("$argon2id$") && !row.contains("correct horse"), "{row}");
    let digests = app.db.fetch_all("SELECT digest FROM sessions UNION ALL SELECT digest FROM invitations", &[]).await;
    for digest in digests.unwrap() {
        let digest = digest.text("digest").unwrap();
        assert!(digest.len() == 64 && digest != session_token && digest != token, "{digest}");
    }
    // Nor do they reach the log.
    let logs = enspace_testkit::captured_logs();
    for secret in ["correct horse battery", session_token.as_str(), token.as_str()] {
        assert!(!logs.contains(secret), "{secret} was logged");
    }
}

/// Invites `email` as a viewer and accepts with `password` (a user who can then log in).
async fn invite_and_accept(app: &TestApp, ana: &TestUser, email: &str, password: &str) {
    let invited = send(app, &ana.key, "POST", "/ws/members", Some(json!({ "email": email, "type": "viewer" }))).await;
    let url = invited.json()["invitation_url"].as_str().unwrap().to_string();
    let accepted =
        app.post("/auth/accept-invite").json(&json!({ "token": token_of(&url), "password": password })).send();
    assert_eq!(accepted.await.status, 200);
}

#[tokio::test]
async fn wrong_email_and_wrong_password_look_alike_and_are_then_refused() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    invite_and_accept(&app, &ana, "dan@example.com", "a good password").await;
    let login = |email: &'static str, password: &'static str| {
        app.post("/auth/login").json(&json!({ "email": email, "password": password })).send()
    };
    let unknown = login("nobody@example.com", "a good password").await;
    let wrong = login("dan@example.com", "a bad password").await;
    assert_eq!((unknown.status, unknown.json()), (wrong.status, wrong.json()));
    wrong.assert_error(401, "Invalid email or password");
    // Eva logs in from the same address (the in-process suite has one) as Dan.
    invite_and_accept(&app, &ana, "eva@example.com", "eva's password").await;
    // Ten failures for one email from one address lock it there, the right password included,
    // with Retry-After.
    for _ in 0..9 {
        login("dan@example.com", "a bad password").await.assert_error(401, "Invalid email or password");
    }
    let locked = login("dan@example.com", "a good password").await;
    assert_eq!(locked.status, 429, "{}", locked.text());
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Another account behind the same address is not locked out, and its own failure there
    // does not lock it either.
    login("eva@example.com", "a bad password").await.assert_error(401, "Invalid email or password");
    let eva = login("eva@example.com", "eva's password").await;
    assert_eq!(eva.status, 200, "{}", eva.text());
    assert_eq!(login("dan@example.com", "a good password").await.status, 429);
    // Retention forgets counters, sessions and invitations once they are stale.
    let count = |table: &'static str| {
        let db = app.db.clone();
        async move { db.fetch_one(&format!("SELECT COUNT(*) AS n FROM {table}"), &[]).await.unwrap().i64("n").unwrap() }
    };
    // The address's counter; pair and email counters of nobody and Dan; Eva's email counter
    // (her success cleared her pair's).
    assert_eq!((count("login_failures").await, count("sessions").await, count("invitations").await), (6, 3, 2));
    let later = enspace_domain::time::now_ms() + 40 * 24 * 3600 * 1000;
    assert_eq!(enspace_store::sessions::prune(&app.db, later).await.unwrap(), 11);
    assert_eq!((count("login_failures").await, count("sessions").await, count("invitations").await), (0, 0, 0));
}

#[tokio::test]
async fn the_owner_and_the_transition_table() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let bia = app.user("bia@example.com").await;
    let bia_member = app.add_member(1, bia.id, MemberType::Full, MemberStatus::Active).await;
    let put = |id: i64, body: Value| send(&app, &ana.key, "PUT", &format!("/ws/members/{id}"), Some(body));
    put(1, json!({ "type": "full" }))
        .await
        .assert(400, validation(json!([{ "path": "type", "message": "the owner's type cannot change" }])));
    put(1, json!({ "status": "inactive", "role": 1 })).await.assert(
        400,
        validation(json!([
            { "path": "status", "message": "the owner's status cannot change" },
            { "path": "role", "message": "the owner has no role: no role can reduce it" }
        ])),
    );
    put(bia_member, json!({ "type": "owner" }))
        .await
        .assert(400, validation(json!([{ "path": "type", "message": "no member can be made the owner" }])));
    send(&app, &ana.key, "DELETE", "/ws/members/1", None)
        .await
        .assert_error(400, "The owner cannot be removed from the workspace");
    for (to, status) in [("viewer", "active"), ("standard", "inactive"), ("full", "active")] {
        let changed = put(bia_member, json!({ "type": to, "status": status })).await;
        assert_eq!((changed.json()["type"].as_str(), changed.json()["status"].as_str()), (Some(to), Some(status)));
    }
    // Mass assignment: the server's keys are ignored, the others refused.
    let ignored = put(bia_member, json!({ "id": 99, "created_at": "2000-01-01T00:00:00.000Z", "role": 1 })).await;
    assert_eq!((ignored.json()["id"].as_i64(), ignored.json()["role"].as_i64()), (Some(bia_member), Some(1)));
    for key in ["user", "email", "groups", "v1_compatibility"] {
        let refused = put(bia_member, json!({ key: 1 })).await;
        assert_eq!(refused.status, 400, "{key}: {}", refused.text());
        assert!(refused.json()["details"][0]["message"].as_str().unwrap().contains("unknown field"), "{key}");
    }
    // A role of another workspace is no role here.
    let other = app.user("eve@example.com").await;
    app.workspace(&other, "Other").await;
    let foreign = app.post("/ws/roles").key(&other.key).ws("other").json(&json!({ "name": "X" })).send().await;
    let foreign_id = foreign.json()["id"].as_i64().unwrap();
    put(bia_member, json!({ "role": foreign_id })).await.assert(
        400,
        validation(json!([{ "path": "role", "message": format!("no role {foreign_id} in this workspace") }])),
    );
    let removed = send(&app, &ana.key, "DELETE", &format!("/ws/members/{bia_member}"), None).await;
    assert_eq!(removed.json()["email"], "bia@example.com");
    send(&app, &ana.key, "GET", &format!("/ws/members/{bia_member}"), None).await.assert_error(404, "Member not found");
}

#[tokio::test]
async fn nobody_confers_more_than_they_hold() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    // Role 2 manages access and reads orders; role 3 deletes orders.
    let role = |body: Value| send(&app, &ana.key, "POST", "/ws/roles", Some(body));
    role(json!({ "name": "Gestor", "permissions": [{ "reference": "settings::access::manage" }, { "reference": "types::orders::read" }] })).await;
    role(json!({ "name": "Apagar", "permissions": [{ "reference": "types::orders::delete" }] })).await;
    let bia = app.user("bia@example.com").await;
    let bia_member = app.add_member(1, bia.id, MemberType::Full, MemberStatus::Active).await;
    app.assign_role(bia_member, 2).await;
    let admin = app.user("admin@example.com").await;
    let admin_member = app.add_member(1, admin.id, MemberType::Full, MemberStatus::Active).await;
    let denied = "Permission denied: a member cannot be given, or be changed by someone with, fewer rights";
    let invite = |body: Value| send(&app, &bia.key, "POST", "/ws/members", Some(body));
    invite(json!({ "email": "c@example.com", "type": "full" })).await.assert_error(403, denied);
    invite(json!({ "email": "c@example.com", "type": "standard", "role": 3 })).await.assert_error(403, denied);
    invite(json!({ "email": "c@example.com", "type": "full", "v1_compatibility": true }))
        .await
        .assert_error(403, denied);
    let ok = invite(json!({ "email": "c@example.com", "type": "standard", "role": 1 })).await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    let c = ok.json()["id"].as_i64().unwrap();
    send(&app, &bia.key, "PUT", &format!("/ws/members/{c}"), Some(json!({ "role": 3 })))
        .await
        .assert_error(403, denied);
    // A role-less full member holds more than Bia: she can neither change nor remove them.
    send(&app, &bia.key, "PUT", &format!("/ws/members/{admin_member}"), Some(json!({ "type": "viewer" })))
        .await
        .assert_error(403, denied);
    send(&app, &bia.key, "DELETE", &format!("/ws/members/{admin_member}"), None).await.assert_error(403, denied);
    // Nor raise herself.
    send(&app, &bia.key, "PUT", &format!("/ws/members/{bia_member}"), Some(json!({ "role": null })))
        .await
        .assert_error(403, denied);
    // A standard member manages no one.
    let std_user = app.user("s@example.com").await;
    app.add_member(1, std_user.id, MemberType::Standard, MemberStatus::Active).await;
    send(&app, &std_user.key, "GET", "/ws/members", None)
        .await
        .assert_error(403, "Permission denied: settings::access::manage");
}

#[tokio::test]
async fn groups_carry_v1_permissions() {
    let app = TestApp::new().await;
    let ana = setup(&app).await;
    let group = send(
        &app,
        &ana.key,
        "POST",
        "/ws/member-groups",
        Some(json!({ "name": "Leitores", "description": "v1", "permissions": [{ "reference": "types::orders::read", "fields": ["data.status"] }] })),
    )
    .await;
    assert_eq!(group.status, 201, "{}", group.text());
    let body = group.json();
    let at = time(&body["created_at"]);
    assert_eq!(
        body,
        json!({ "id": 2, "name": "Leitores", "description": "v1", "members": [],
            "permissions": [{ "id": 1, "reference": "types::orders::read", "fields": ["data.status"], "rules": [] }],
            "created_at": at, "updated_at": at })
    );
    let dan = app.user("dan@example.com").await;
    let invited = send(
        &app,
        &ana.key,
        "POST",
        "/ws/members",
        Some(json!({ "email": "dan@example.com", "type": "standard", "v1_compatibility": true, "role": 1 })),
    )
    .await;
    assert_eq!(invited.status, 201, "{}", invited.text());
    // v1 ignores the role: the groups decide what Dan may do.
    assert_eq!(invited.json()["role"], Value::Null);
    let member = invited.json()["id"].as_i64().unwrap();
    let items = || send(&app, &dan.key, "GET", "/ws/types/orders/items", None);
    items().await.assert_error(403, "Permission denied: types::orders::read");
    let added =
        send(&app, &ana.key, "POST", "/ws/member-groups/2/add-users", Some(json!({ "members": [member, member] })))
            .await;
    assert_eq!(added.json()["members"], json!([member]));
    assert_eq!(items().await.status, 200);
    send(&app, &ana.key, "POST", "/ws/member-groups/2/add-users", Some(json!({ "members": [99] })))
        .await
        .assert(400, validation(json!([{ "path": "members[0]", "message": "no member 99 in this workspace" }])));
    send(&app, &ana.key, "POST", "/ws/member-groups/2/remove-users", Some(json!({ "members": [member] }))).await;
    items().await.assert_error(403, "Permission denied: types::orders::read");
    assert_eq!(send(&app, &ana.key, "GET", "/ws/member-groups/count?name=Leitores", None).await.json(), json!(1));
    let deleted = send(&app, &ana.key, "DELETE", "/ws/member-groups/2", None).await;
    assert_eq!(deleted.json()["name"], "Leitores");
    send(&app, &ana.key, "GET", "/ws/member-groups/2", None).await.assert_error(404, "Member group not found");
    assert_eq!(send(&app, &ana.key, "GET", &format!("/ws/members/{member}"), None).await.status, 200);
}
