//! The web console's shell (issue 18): sign-in and sign-out over login sessions, the three
//! CSRF refusals, invitations, the account page, the workspace picker and home, the headers
//! every answer carries, and what the console shows a restricted member. Through the real
//! router, on both databases.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{Browser, Page, TestApp, TestUser};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

/// Ana owns Acme (types Orders and Leads) and can sign in.
async fn setup(app: &TestApp) -> (TestUser, i64) {
    let ana = app.user_with_password("ana@example.com", PASSWORD).await;
    let acme = app.workspace(&ana, "Acme").await;
    for name in ["Orders", "Leads"] {
        let response = app.post("/ws/types").key(&ana.key).ws("acme").json(&json!({ "name": name })).send().await;
        assert_eq!(response.status, 201, "{}", response.text());
    }
    (ana, acme["id"].as_i64().unwrap())
}

async fn sessions(app: &TestApp) -> i64 {
    app.state.db.fetch_one("SELECT COUNT(*) AS n FROM sessions", &[]).await.unwrap().i64("n").unwrap()
}

#[tokio::test]
async fn signing_in_opens_the_only_workspace_and_signing_out_ends_the_session() {
    let app = TestApp::new().await;
    setup(&app).await;
    let mut browser = Browser::new(&app);

    // Not signed in: every page goes to the sign-in page, which comes back after.
    let start = browser.get("/app").await;
    assert_eq!((start.status, start.header("location")), (303, Some("/app/login")));
    let deep = browser.get("/app/w/acme?x=1").await;
    assert_eq!((deep.status, deep.header("location")), (303, Some("/app/login?next=%2Fapp%2Fw%2Facme%3Fx%3D1")));

    let login = browser.get("/app/login?next=%2Fapp%2Fw%2Facme").await;
    assert_eq!(login.status, 200);
    let form_cookie = login.header("set-cookie").unwrap().to_string();
    assert!(form_cookie.starts_with("enspace_form=") && form_cookie.ends_with("; HttpOnly; SameSite=Lax; Path=/"));
    let page = Page::of(&login);
    assert_eq!(page.text("h1"), "Entrar no Enspace");
    assert_eq!(page.attrs("html", "lang"), ["pt-BR"]);
    assert_eq!(page.value("input[name=next]"), "/app/w/acme");
    let token = page.value("input[name=_csrf]");
    assert_eq!(Some(token.as_str()), browser.cookie("enspace_form"));

    let fields =
        [("_csrf", token.as_str()), ("email", "ANA@example.com"), ("password", PASSWORD), ("next", "/app/w/acme")];
    let signed = browser.post("/app/login", &fields).await;
    assert_eq!((signed.status, signed.header("location")), (303, Some("/app/w/acme")));
    let cookie = signed.header("set-cookie").unwrap();
    let token = cookie.strip_prefix("enspace_session=").unwrap().split(';').next().unwrap();
    assert!(token.starts_with("ens."), "{cookie}");
    assert_eq!(cookie, format!("enspace_session={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000"));
    assert_eq!(sessions(&app).await, 1);
    // Signing in again from the same browser ends the session its cookie held.
    let again = browser.post("/app/login", &fields).await;
    let renewed = again.header("set-cookie").unwrap().strip_prefix("enspace_session=").unwrap().split(';').next();
    let renewed = renewed.unwrap().to_string();
    assert_ne!(renewed, token);
    assert_eq!(sessions(&app).await, 1, "the old session is gone, not left to expire");
    let token = renewed.as_str();

    // Signed in, the start is the only workspace; the sign-in page sends on.
    let start = browser.get("/app").await;
    assert_eq!((start.status, start.header("location")), (303, Some("/app/w/acme")));
    let again = browser.get("/app/login").await;
    assert_eq!((again.status, again.header("location")), (303, Some("/app")));
    let home = browser.get("/app/w/acme").await;
    assert_eq!(home.status, 200, "{}", home.text());
    let page = Page::of(&home);
    assert_eq!(page.text("main h1"), "Acme");
    assert_eq!(page.texts("main .cards a"), ["Orders", "Leads"]);
    assert_eq!(page.texts(".sidebar details.categories a"), ["Orders", "Leads"]);
    assert_eq!(page.text("#license"), "Licença: Proprietário");
    assert_eq!(page.text(".user-name"), "Test User");

    // Sign out: the session is gone, the cookie removed, and the old token is dead.
    let form_token = browser.form_token().await;
    let out = browser.post("/app/logout", &[("_csrf", &form_token)]).await;
    assert_eq!((out.status, out.header("location")), (303, Some("/app/login")));
    assert_eq!(out.header("set-cookie"), Some("enspace_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"));
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(browser.cookie("enspace_session"), None);
    browser.set_cookie("enspace_session", token);
    assert_eq!(browser.get("/app/w/acme").await.header("location"), Some("/app/login?next=%2Fapp%2Fw%2Facme"));
}

#[tokio::test]
async fn a_failed_sign_in_says_so_keeps_the_email_and_never_the_password() {
    let app = TestApp::new().await;
    setup(&app).await;
    let mut browser = Browser::new(&app);
    let token = Page::of(&browser.get("/app/login").await).value("input[name=_csrf]");

    let wrong =
        browser.post("/app/login", &[("_csrf", &token), ("email", "ana@example.com"), ("password", "nope-nope")]).await;
    assert_eq!(wrong.status, 401);
    let page = Page::of(&wrong);
    assert_eq!(page.text("[role=alert]"), "E-mail ou senha inválidos.");
    assert_eq!(page.value("input[name=email]"), "ana@example.com");
    assert_eq!(page.attrs("input[name=password]", "value"), Vec::<String>::new());
    assert!(!wrong.text().contains("nope-nope"));
    assert_eq!(page.value("input[name=_csrf]"), token, "the same form token to try again with");

    let missing = browser.post("/app/login", &[("_csrf", &token), ("email", ""), ("password", "")]).await;
    assert_eq!(missing.status, 422);
    let page = Page::of(&missing);
    assert_eq!(page.texts(".problem"), ["Preenchimento obrigatório.", "Preenchimento obrigatório."]);
    assert_eq!(page.attrs("input[aria-invalid=true]", "name"), ["email", "password"]);
    assert_eq!(sessions(&app).await, 0);

    // The browser's language before sign-in.
    let english = browser.request("GET", "/app/login").header("accept-language", "en-US,en;q=0.9");
    let english = browser.send(english).await;
    assert_eq!(Page::of(&english).text("h1"), "Sign in to Enspace");
}

#[tokio::test]
async fn posts_from_elsewhere_are_refused_three_ways_and_change_nothing() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let token = browser.form_token().await;
    let refused = |response: &enspace_testkit::TestResponse| {
        assert_eq!(response.status, 403, "{}", response.text());
        assert_eq!(Page::of(response).text("h1"), "Pedido recusado");
    };

    // (1) Another site: by Sec-Fetch-Site, or by Origin from a browser that does not send it.
    let cross = browser.form("/app/logout", &[("_csrf", &token)]).header("sec-fetch-site", "cross-site");
    refused(&browser.send(cross).await);
    let other_origin = browser
        .request("POST", "/app/logout")
        .header("origin", "http://evil.example")
        .raw("application/x-www-form-urlencoded", format!("_csrf={token}"));
    refused(&browser.send(other_origin).await);
    let no_origin =
        browser.request("POST", "/app/logout").raw("application/x-www-form-urlencoded", format!("_csrf={token}"));
    refused(&browser.send(no_origin).await);
    // (2) The form token: missing, or another session's.
    refused(&browser.post("/app/logout", &[]).await);
    refused(&browser.post("/app/logout", &[("_csrf", &"0".repeat(64))]).await);
    let account = browser.form("/app/account", &[("fname", "Eve"), ("lname", ""), ("language", "en")]);
    refused(&browser.send(account).await);
    assert_eq!(sessions(&app).await, 1, "still signed in");
    let user = app.get("/user").key(&ana.key).send().await.json();
    assert_eq!(user["meta"]["fname"], "Test", "the profile unchanged");

    // htmx sends the token as a header, and a same-origin fetch passes.
    let htmx = browser
        .form("/app/account", &[("fname", "Ana"), ("lname", "Lima"), ("language", "pt")])
        .header("sec-fetch-site", "same-origin")
        .header("x-csrf-token", &token);
    assert_eq!(browser.send(htmx).await.status, 303);

    // Sign-in has its own token (before any session) and the same origin check.
    let mut stranger = Browser::new(&app);
    let login = [("email", ana.email.as_str()), ("password", PASSWORD)];
    refused(&stranger.post("/app/login", &login).await);
    let form_token = Page::of(&stranger.get("/app/login").await).value("input[name=_csrf]");
    let with_token = [("_csrf", form_token.as_str()), ("email", ana.email.as_str()), ("password", PASSWORD)];
    let cross = stranger.form("/app/login", &with_token).header("sec-fetch-site", "cross-site");
    refused(&stranger.send(cross).await);
    refused(&stranger.post("/app/login", &[("_csrf", &"f".repeat(32)), login[0], login[1]]).await);
    assert_eq!(sessions(&app).await, 1, "no session from the refused sign-ins");
    assert_eq!(stranger.post("/app/login", &with_token).await.status, 303);
}

#[tokio::test]
async fn the_api_never_reads_the_console_cookie() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let token = browser.cookie("enspace_session").unwrap().to_string();
    let with_cookie = browser.request("GET", "/workspaces").send().await;
    with_cookie.assert_error(401, "Invalid or missing API key");
    // The same token is a session for the API when presented as one.
    let bearer = app.get("/workspaces").header("authorization", &format!("Bearer {token}")).send().await;
    assert_eq!(bearer.status, 200);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_files_are_immutable() {
    let app = TestApp::new().await;
    let mut browser = Browser::new(&app);
    let login = browser.get("/app/login").await;
    let scripts: Vec<String> = enspace_console::assets::all()
        .iter()
        .filter(|a| a.name.ends_with(".js"))
        .map(|a| format!("'{}'", a.sri))
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' {}; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        scripts.join(" ")
    );
    for response in [&login, &browser.get("/app/nothing-here").await] {
        assert_eq!(response.header("content-security-policy"), Some(policy.as_str()));
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("vary"), Some("HX-Request"));
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert_eq!(response.header("referrer-policy"), Some("same-origin"));
        assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
    }
    // The page names each file by its content, with the hash the policy allows.
    let page = Page::of(&login);
    let htmx = enspace_console::assets::get("htmx-2.0.11.min.js").unwrap();
    assert!(page.attrs("script", "src").contains(&htmx.url()));
    assert!(page.attrs("script", "integrity").contains(&htmx.sri));
    assert!(page.attrs("meta[name=htmx-config]", "content")[0].contains("\"allowEval\":false"));

    let file = browser.get(&htmx.url()).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, htmx.bytes);
    assert_eq!(file.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(file.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let stale = browser.get("/app/static/htmx-2.0.11.min.js?v=00000000").await;
    assert_eq!((stale.status, stale.header("cache-control")), (200, Some("no-cache")));

    let missing = browser.get("/app/nothing-here").await;
    assert_eq!(missing.status, 404);
    assert_eq!(Page::of(&missing).text("h1"), "Página não encontrada");
    // The API's own answers are untouched by the console.
    let api = app.get("/nothing-here").send().await;
    assert_eq!(api.header("content-security-policy"), None);
    api.assert_error(404, "Route not found");
}

#[tokio::test]
async fn another_workspace_and_a_missing_one_are_the_same_404() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    let eve = app.user_with_password("eve@example.com", PASSWORD).await;
    app.workspace(&eve, "Evil").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let theirs = browser.get("/app/w/evil").await;
    let missing = browser.get("/app/w/nowhere").await;
    assert_eq!((theirs.status, missing.status), (404, 404));
    assert_eq!(theirs.text(), missing.text());
    assert_eq!(Page::of(&theirs).text("h1"), "Página não encontrada");

    // An htmx request without a session is sent to sign in from the page it came from.
    let mut anonymous = Browser::new(&app);
    let request = anonymous
        .request("GET", "/app/w/acme")
        .header("hx-request", "true")
        .header("hx-current-url", "http://127.0.0.1:8080/app/w/acme?tab=x");
    let response = anonymous.send(request).await;
    assert_eq!(
        (response.status, response.header("hx-redirect")),
        (204, Some("/app/login?next=%2Fapp%2Fw%2Facme%3Ftab%3Dx"))
    );
    // An htmx request for a missing page gets the error region, aimed at the page's main.
    let request = browser.request("GET", "/app/w/nowhere").header("hx-request", "true");
    let fragment = browser.send(request).await;
    assert_eq!((fragment.status, fragment.header("hx-retarget")), (404, Some("#main")));
    assert!(
        fragment.text().trim_start().starts_with("<article class=\"error\" data-status=\"404\">"),
        "{}",
        fragment.text()
    );
}

#[tokio::test]
async fn the_picker_lists_and_searches_the_members_workspaces() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    let beta = app.workspace(&ana, "Beta Corp").await;
    let eve = app.user("eve@example.com").await;
    app.workspace(&eve, "Evil").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    assert_eq!(browser.get("/app").await.header("location"), Some("/app/w"), "two workspaces: the picker");
    let page = Page::of(&browser.get("/app/w").await);
    assert_eq!(page.texts("main .cards h2"), ["Acme", "Beta Corp"]);
    assert_eq!(
        page.texts("main .cards p.muted"),
        ["acme · 1 membro".to_string(), format!("{} · 1 membro", beta["reference"].as_str().unwrap())]
    );
    let found = Page::of(&browser.get("/app/w?q=beta").await);
    assert_eq!(found.texts("main .cards h2"), ["Beta Corp"]);
    assert_eq!(found.value("input[name=q]"), "beta");
    let none = Page::of(&browser.get("/app/w?q=zzz").await);
    assert_eq!(none.text("main > p"), "Nenhum workspace encontrado.");
}

#[tokio::test]
async fn a_restricted_member_sees_the_categories_the_api_gives_them() {
    let app = TestApp::new().await;
    let (_, ws) = setup(&app).await;
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let member = app.add_member(ws, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(ws, &[("types::leads::read", None)]).await;
    app.assign_role(member, role).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&bia.email, PASSWORD).await;
    let page = Page::of(&browser.get("/app/w/acme").await);
    let api = app.get("/ws/types").key(&bia.key).ws("acme").send().await;
    assert_eq!(api.status, 200, "{}", api.text());
    let api = api.json();
    let names: Vec<String> = api.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["Leads"]);
    assert_eq!(page.texts("main .cards a"), names);
    assert_eq!(page.texts(".sidebar details.categories a"), names);
    assert_eq!(page.text("#license"), "Licença: Padrão");
}

#[tokio::test]
async fn an_invitation_link_opens_the_acceptance_page_and_signs_the_person_in() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    let invited = app
        .post("/ws/members")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "email": "caio@example.com", "type": "viewer" }))
        .send()
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text());
    let url = invited.json()["invitation_url"].as_str().unwrap().to_string();
    let link = url.strip_prefix("http://127.0.0.1:8080").unwrap();
    let invitation = link.split("token=").nth(1).unwrap().to_string();

    let mut browser = Browser::new(&app);
    let opened = browser.get(link).await;
    assert_eq!(opened.status, 303);
    let page_url = opened.header("location").unwrap().to_string();
    assert_eq!(page_url, format!("/app/invite?token={invitation}"));
    let page = Page::of(&browser.get(&page_url).await);
    assert_eq!(page.text("h1"), "Aceitar convite");
    assert_eq!(page.value("input[name=token]"), invitation);
    let token = page.value("input[name=_csrf]");

    let short = [
        ("_csrf", token.as_str()),
        ("token", invitation.as_str()),
        ("fname", "Caio"),
        ("lname", ""),
        ("password", "short"),
    ];
    let rejected = browser.post("/app/invite", &short).await;
    assert_eq!(rejected.status, 422);
    let page = Page::of(&rejected);
    assert_eq!(page.text("#password-problem"), "Pelo menos 8 caracteres.");
    assert_eq!(page.value("input[name=fname]"), "Caio");

    let good = [
        ("_csrf", token.as_str()),
        ("token", invitation.as_str()),
        ("fname", "Caio"),
        ("lname", "Reis"),
        ("password", PASSWORD),
    ];
    let accepted = browser.post("/app/invite", &good).await;
    assert_eq!((accepted.status, accepted.header("location")), (303, Some("/app")));
    assert!(browser.cookie("enspace_session").is_some());
    assert_eq!(browser.get("/app").await.header("location"), Some("/app/w/acme"));
    let home = Page::of(&browser.get("/app/w/acme").await);
    assert_eq!(
        (home.text(".user-name"), home.text("#license")),
        ("Caio Reis".to_string(), "Licença: Visualizador".to_string())
    );

    // Taken once; and the new password signs in from a fresh browser.
    let mut other = Browser::new(&app);
    let token = Page::of(&other.get(&page_url).await).value("input[name=_csrf]");
    let again = [("_csrf", token.as_str()), ("token", invitation.as_str()), ("password", PASSWORD)];
    let reused = other.post("/app/invite", &again).await;
    assert_eq!(reused.status, 400);
    assert_eq!(Page::of(&reused).text("[role=alert]"), "Este convite é inválido, expirou ou já foi aceito.");
    other.sign_in("caio@example.com", PASSWORD).await;
}

#[tokio::test]
async fn the_account_page_changes_names_and_language() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let page = Page::of(&browser.get("/app/account").await);
    assert_eq!((page.value("#fname"), page.value("#lname")), ("Test".to_string(), "User".to_string()));
    assert_eq!(page.attrs("#language option[selected]", "value"), ["pt"]);
    let token = page.value("form[action='/app/account'] input[name=_csrf]");

    let long = "x".repeat(101);
    let bad = browser
        .post("/app/account", &[("_csrf", &token), ("fname", &long), ("lname", "Lima"), ("language", "en")])
        .await;
    assert_eq!(bad.status, 422);
    let page = Page::of(&bad);
    assert_eq!(page.texts(".error-summary li"), ["Nome: must be at most 100 characters"]);
    assert_eq!(page.attrs(".error-summary a", "href"), ["#fname"]);
    assert_eq!(page.attrs("#fname", "aria-describedby"), ["fname-problem"]);
    assert_eq!(page.value("#lname"), "Lima", "the submitted values kept");
    assert_eq!(app.get("/user").key(&ana.key).send().await.json()["meta"]["fname"], "Test");

    let saved =
        browser.post("/app/account", &[("_csrf", &token), ("fname", "Ana"), ("lname", ""), ("language", "en")]).await;
    assert_eq!((saved.status, saved.header("location")), (303, Some("/app/account")));
    let user = app.get("/user").key(&ana.key).send().await.json();
    assert_eq!((user["meta"].clone(), user["language"].clone()), (json!({ "fname": "Ana" }), json!("en")));
    let page = Page::of(&browser.get("/app/account").await);
    assert_eq!(page.attrs("html", "lang"), ["en"]);
    assert_eq!(page.text("main h1"), "My account");
    assert_eq!(page.text(".user-name"), "Ana");
}

/// Acme's Orders with five fields and three items; Bia reads every field but `segredo` and
/// changes only `cliente`.
async fn orders(app: &TestApp) -> (TestUser, TestUser, Vec<String>) {
    let (ana, ws) = setup(app).await;
    let fields = [
        json!({ "name": "Cliente", "slug": "cliente", "type": "text" }),
        json!({ "name": "Valor", "slug": "valor", "type": "number" }),
        json!({ "name": "Etapa", "slug": "etapa", "type": "select",
            "options": [{ "value": "novo", "label": "Novo" }, { "value": "pago", "label": "Pago" }] }),
        json!({ "name": "Urgente", "slug": "urgente", "type": "boolean" }),
        json!({ "name": "Segredo", "slug": "segredo", "type": "text" }),
    ];
    for body in fields {
        let response = app.post("/ws/types/orders/fields").key(&ana.key).ws("acme").json(&body).send().await;
        assert_eq!(response.status, 201, "{}", response.text());
    }
    let mut references = Vec::new();
    for (cliente, valor, etapa, urgente) in
        [("Lima", 900.5, "novo", true), ("Souza", 1250.0, "pago", false), ("Reis", 80.0, "novo", false)]
    {
        let data = json!({ "cliente": cliente, "valor": valor, "etapa": etapa, "urgente": urgente, "segredo": format!("cofre-{cliente}") });
        let response =
            app.post("/ws/types/orders/items").key(&ana.key).ws("acme").json(&json!({ "data": data })).send().await;
        assert_eq!(response.status, 201, "{}", response.text());
        references.push(response.json()["reference"].as_str().unwrap().to_string());
    }
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let member = app.add_member(ws, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let readable = json!(["data.cliente", "data.valor", "data.etapa", "data.urgente", "created_at", "status"]);
    let role = app
        .role(ws, &[("types::orders::read", Some(readable)), ("types::orders::update", Some(json!(["data.cliente"])))])
        .await;
    app.assign_role(member, role).await;
    (ana, bia, references)
}

fn rows(page: &Page) -> Vec<Vec<String>> {
    let width = page.texts("table.items thead th").len();
    let cells = page.texts("table.items tbody th, table.items tbody td");
    cells.chunks(width).map(<[String]>::to_vec).collect()
}

#[tokio::test]
async fn the_items_table_searches_filters_sorts_and_pages_in_the_url() {
    let app = TestApp::new().await;
    let (ana, _, refs) = orders(&app).await;
    let short: Vec<String> = refs.iter().map(|r| format!("{}…{}", &r[..3], &r[26..])).collect();
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;

    let table = browser.get("/app/w/acme/types/orders").await;
    assert_eq!(table.status, 200, "{}", table.text());
    let page = Page::of(&table);
    assert_eq!(page.text("main h1"), "Orders");
    assert_eq!(page.texts("table.items thead th"), ["Referência", "Cliente", "Valor", "Etapa", "Urgente", "Segredo"]);
    assert_eq!(
        rows(&page),
        [
            [&short[0], "Lima", "900,5", "Novo", "Sim", "cofre-Lima"],
            [&short[1], "Souza", "1.250", "Pago", "Não", "cofre-Souza"],
            [&short[2], "Reis", "80", "Novo", "Não", "cofre-Reis"],
        ]
    );
    assert_eq!(page.attrs("table.items tbody th a", "href")[0], format!("/app/w/acme/types/orders/{}", refs[0]));
    assert_eq!(page.text("#rows > p.muted"), "Mostrando 1–3 de 3");

    // Filters are the list language: a select's options, a number range, search, a switch.
    let filtered = Page::of(
        &browser.get("/app/w/acme/types/orders?data.etapa_in=novo&data.valor_gte=100&data.valor_lte=&_q=").await,
    );
    assert_eq!(rows(&filtered).iter().map(|r| r[1].clone()).collect::<Vec<_>>(), ["Lima"]);
    assert_eq!(filtered.attrs("#filter-etapa input[checked]", "value"), ["novo"]);
    assert_eq!(filtered.value("#filter-valor-from"), "100");
    let searched = Page::of(&browser.get("/app/w/acme/types/orders?_q=sou").await);
    assert_eq!(rows(&searched).iter().map(|r| r[1].clone()).collect::<Vec<_>>(), ["Souza"]);
    let urgent = Page::of(&browser.get("/app/w/acme/types/orders?data.urgente=false").await);
    assert_eq!(rows(&urgent).len(), 2);

    // Sorting by a header: its link toggles and says how it is sorted.
    let sorted = Page::of(&browser.get("/app/w/acme/types/orders?_sort=data.valor:desc").await);
    assert_eq!(rows(&sorted).iter().map(|r| r[1].clone()).collect::<Vec<_>>(), ["Souza", "Lima", "Reis"]);
    assert_eq!(sorted.attrs("th[aria-sort=descending] a", "href"), ["/app/w/acme/types/orders?_sort=data.valor%3Aasc"]);

    // Pages and columns.
    let first = Page::of(&browser.get("/app/w/acme/types/orders?_limit=2&cols=data.valor&cols=status").await);
    assert_eq!(first.texts("table.items thead th"), ["Referência", "Valor", "Situação"]);
    assert_eq!(rows(&first), [[&short[0], "900,5", "Ativo"], [&short[1], "1.250", "Ativo"]]);
    assert_eq!(first.text("#rows > p.muted"), "Mostrando 1–2 de 3");
    let next = first.attrs("a[rel=next]", "href");
    assert_eq!(next, ["/app/w/acme/types/orders?_limit=2&cols=data.valor&cols=status&_start=2"]);
    let second = Page::of(&browser.get(&next[0]).await);
    assert_eq!(rows(&second), [[&short[2], "80", "Ativo"]]);
    // A column named twice is shown once, where it was first named.
    let repeated = Page::of(&browser.get("/app/w/acme/types/orders?cols=status&cols=data.valor&cols=status").await);
    assert_eq!(repeated.texts("table.items thead th"), ["Referência", "Situação", "Valor"]);
    assert_eq!(second.text("#rows > p.muted"), "Mostrando 3–3 de 3");
    assert_eq!(
        second.attrs("a[rel=prev]", "href"),
        ["/app/w/acme/types/orders?_limit=2&cols=data.valor&cols=status&_start=0"]
    );

    // htmx asks for the rows only.
    let request = browser.request("GET", "/app/w/acme/types/orders?_q=lima").header("hx-request", "true");
    let fragment = browser.send(request).await;
    assert_eq!(fragment.status, 200);
    assert!(!fragment.text().contains("<html"), "a fragment");
    assert!(fragment.text().contains("Lima") && !fragment.text().contains("Souza"));

    // A query the list language refuses says why, in place, and shows no rows.
    let bad = browser.get("/app/w/acme/types/orders?data.valor_gte=muito").await;
    assert_eq!(bad.status, 400);
    let page = Page::of(&bad);
    assert_eq!(
        page.text("#rows [role=alert]"),
        "Não foi possível filtrar: data.valor_gte: expected a number, got \"muito\""
    );
    assert!(page.texts("table.items").is_empty());
    assert_eq!(browser.get("/app/w/acme/types/nothing").await.status, 404);
}

#[tokio::test]
async fn a_table_shows_a_restricted_member_what_the_api_gives_them_and_no_hidden_value() {
    let app = TestApp::new().await;
    let (_, bia, _) = orders(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&bia.email, PASSWORD).await;
    for query in
        ["", "?_sort=data.valor:desc", "?data.etapa_in=novo", "?cols=data.segredo&cols=data.cliente&cols=updated_at"]
    {
        let response = browser.get(&format!("/app/w/acme/types/orders{query}")).await;
        assert_eq!(response.status, 200, "{query}: {}", response.text());
        assert!(
            !response.text().contains("cofre") && !response.text().contains("Segredo"),
            "{query}: {}",
            response.text()
        );
        let page = Page::of(&response);
        // The same rows as the API's answer for the same member and query.
        let api_query = query.replace("cols=data.segredo&cols=data.cliente&cols=updated_at", "");
        let api = app.get(&format!("/ws/types/orders/items{api_query}")).key(&bia.key).ws("acme").send().await.json();
        let api_refs: Vec<String> =
            api.as_array().unwrap().iter().map(|i| i["reference"].as_str().unwrap().to_string()).collect();
        assert_eq!(page.attrs("table.items tbody th a", "title"), api_refs, "{query}");
        for item in api.as_array().unwrap() {
            assert!(item["data"].get("segredo").is_none());
        }
    }
    let chosen =
        Page::of(&browser.get("/app/w/acme/types/orders?cols=data.segredo&cols=data.cliente&cols=updated_at").await);
    assert_eq!(
        chosen.texts("table.items thead th"),
        ["Referência", "Cliente"],
        "neither a hidden field nor a hidden native"
    );
    assert_eq!(
        chosen.attrs(".columns input", "value"),
        ["data.cliente", "data.valor", "data.etapa", "data.urgente", "status", "created_at"]
    );
    assert!(chosen.texts("#filter-segredo").is_empty());

    // Filtering on the hidden field is refused as the API refuses it, and shows nothing of it.
    let probe = browser.get("/app/w/acme/types/orders?data.segredo_contains=cofre-L").await;
    assert_eq!(probe.status, 400);
    assert_eq!(
        Page::of(&probe).text("#rows [role=alert]"),
        "Não foi possível filtrar: data.segredo: you may not read this field"
    );
    assert!(!probe.text().contains("Lima"));
}

/// Acme's Contratos with a field of each family, and Clientes (Lima) to point at.
async fn contratos(app: &TestApp, ana: &TestUser) -> String {
    let post = |path: &'static str, body: serde_json::Value| async move {
        let response = app.post(path).key(&ana.key).ws("acme").json(&body).send().await;
        assert_eq!(response.status, 201, "{path} {body}: {}", response.text());
        response.json()
    };
    post("/ws/types", json!({ "name": "Clientes" })).await;
    post("/ws/types/clientes/fields", json!({ "name": "Nome", "slug": "nome", "type": "text" })).await;
    let lima = post("/ws/types/clientes/items", json!({ "data": { "nome": "Lima" } })).await;
    post("/ws/types", json!({ "name": "Contratos" })).await;
    let fields = [
        json!({ "name": "Titulo", "slug": "titulo", "type": "text", "required": true }),
        json!({ "name": "Qtd", "slug": "qtd", "type": "number" }),
        json!({ "name": "Valor", "slug": "valor", "type": "EnCurrency" }),
        json!({ "name": "Tipo", "slug": "tipo", "type": "select", "options": [{ "value": "hotfix", "label": "Hotfix" }, { "value": "patch", "label": "Patch" }] }),
        json!({ "name": "Areas", "slug": "areas", "type": "multiSelect", "options": [{ "value": "ti", "label": "TI" }, { "value": "rh", "label": "RH" }] }),
        json!({ "name": "Urgente", "slug": "urgente", "type": "boolean" }),
        json!({ "name": "Prazo", "slug": "prazo", "type": "date" }),
        json!({ "name": "Inicio", "slug": "inicio", "type": "date", "config": { "date_only": true } }),
        json!({ "name": "Cliente", "slug": "cliente", "type": "EnRel", "config": { "rel": { "collection": "clientes", "displayString": "nome" } } }),
        json!({ "name": "Pessoa", "slug": "pessoa", "type": "EnPerson" }),
        json!({ "name": "Endereco", "slug": "endereco", "type": "EnAddress" }),
        json!({ "name": "Tags", "slug": "tags", "type": "EnlChips" }),
        json!({ "name": "Codigo", "slug": "codigo", "type": "EnCustomCode", "config": { "components": [{ "type": "text", "value": "CT-" }, { "type": "counter", "width": 3 }] } }),
    ];
    for field in fields {
        post("/ws/types/contratos/fields", field).await;
    }
    lima["reference"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_item_is_created_through_its_form_and_edited_in_place_with_exact_history() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    let lima = contratos(&app, &ana).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;

    let table = Page::of(&browser.get("/app/w/acme/types/contratos").await);
    assert_eq!(table.attrs("a[data-shortcut=n]", "href"), ["/app/w/acme/types/contratos/new"]);
    let form = Page::of(&browser.get("/app/w/acme/types/contratos/new").await);
    assert_eq!(
        form.texts("form.item-form label[for], form.item-form legend"),
        [
            "Titulo *",
            "Qtd",
            "Valor",
            "Valor",
            "Valor (ISO 4217)",
            "Tipo",
            "Areas",
            "Urgente",
            "Prazo",
            "Inicio",
            "Cliente",
            "Buscar · Cliente",
            "Pessoa",
            "Nome",
            "CPF",
            "CNPJ",
            "Razão social",
            "Nome fantasia",
            "E-mail",
            "Telefone",
            "Endereco",
            "CEP",
            "Logradouro",
            "Número",
            "Complemento",
            "Bairro",
            "Cidade",
            "UF",
            "País",
            "Tags"
        ]
    );
    assert_eq!(form.attrs("#data-prazo", "type"), ["datetime-local"]);
    assert_eq!(form.attrs("#data-inicio", "type"), ["date"]);
    assert!(form.texts("#data-codigo").is_empty(), "a code is built by the server, not typed");
    let token = form.value("form.item-form input[name=_csrf]");

    // A missing required field and a value that does not parse: both shown, values kept.
    let bad = [("_csrf", token.as_str()), ("data.titulo", ""), ("data.qtd", "muitos"), ("data.tags", "a, b")];
    let refused = browser.post("/app/w/acme/types/contratos/new", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    let page = Page::of(&refused);
    assert_eq!(page.texts(".error-summary li"), ["Qtd: expected a number, got \"muitos\""]);
    assert_eq!(page.attrs(".error-summary a", "href"), ["#data-qtd"]);
    assert_eq!(page.text("#data-qtd-problem"), "expected a number, got \"muitos\"");
    assert_eq!(page.value("#data-tags"), "a, b");
    let engine = [("_csrf", token.as_str()), ("data.titulo", ""), ("data.qtd", "2")];
    let page = Page::of(&browser.post("/app/w/acme/types/contratos/new", &engine).await);
    assert_eq!(page.texts(".error-summary li"), ["Titulo: is required"]);
    assert_eq!(page.attrs("#data-titulo", "aria-invalid"), ["true"]);
    assert_eq!(app.get("/ws/types/contratos/items/count").key(&ana.key).ws("acme").send().await.json(), json!(0));

    let fields = [
        ("_csrf", token.as_str()),
        ("data.titulo", "Suporte"),
        ("data.qtd", "2,5"),
        ("data.valor.value", "1234.56"),
        ("data.valor.currency", "USD"),
        ("data.tipo", "patch"),
        ("data.areas", ""),
        ("data.areas", "ti"),
        ("data.areas", "rh"),
        ("data.urgente", "true"),
        ("data.prazo", "2026-09-30T18:04"),
        ("data.inicio", "2026-10-01"),
        ("data.cliente", lima.as_str()),
        ("data.pessoa.person_type", "PF"),
        ("data.pessoa.name", "Ana"),
        ("data.pessoa.cpf", "52998224725"),
        ("data.endereco.city", "Recife"),
        ("data.endereco.state", "PE"),
        ("data.tags", "x, y"),
    ];
    let created = browser.post("/app/w/acme/types/contratos/new", &fields).await;
    assert_eq!(created.status, 303, "{}", created.text());
    let href = created.header("location").unwrap().to_string();
    let reference = href.rsplit('/').next().unwrap().to_string();
    let item = app.get(&format!("/ws/types/contratos/items/{reference}")).key(&ana.key).ws("acme").send().await.json();
    let cliente = item["data"]["cliente"].clone();
    assert_eq!(
        item["data"],
        json!({ "titulo": "Suporte", "qtd": 2.5, "valor": { "value": 1234.56, "currency": "USD", "originalValue": 1234.56 },
            "tipo": "patch", "areas": ["ti", "rh"], "urgente": true, "prazo": "2026-09-30T21:04:00.000Z", "inicio": "2026-10-01",
            "cliente": cliente, "pessoa": { "person_type": "PF", "name": "Ana", "cpf": "52998224725" },
            "endereco": { "city": "Recife", "state": "PE" }, "tags": ["x", "y"], "codigo": "CT-001" })
    );
    assert_eq!(cliente["display"], "Lima");

    // The item page shows the form filled in (dates in the workspace's zone, codes as text).
    let page = Page::of(&browser.get(&href).await);
    assert_eq!(page.value("#data-prazo"), "2026-09-30T18:04:00");
    assert_eq!(page.value("#data-cliente"), lima);
    assert_eq!(page.attrs("#data-areas input[checked]", "value"), ["ti", "rh"]);
    assert_eq!(page.attrs("#data-valor-currency option[selected]", "value"), ["USD"]);
    assert_eq!(page.text("#data-codigo"), "CT-001");
    assert_eq!(page.text("#item-reference"), reference);

    // Saving the form as shown changes nothing and writes no history.
    let unchanged = page.form_pairs("form.item-form");
    let unchanged: Vec<(&str, &str)> = unchanged.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let same = browser.post(&href, &unchanged).await;
    assert_eq!((same.status, same.header("location")), (303, Some(href.as_str())));
    let history =
        app.get(&format!("/ws/types/contratos/items/{reference}/history")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(history.as_array().unwrap().len(), 1, "only the create: {history}");

    // Change two fields and clear a third.
    let mut edited: Vec<(&str, &str)> =
        unchanged.iter().filter(|(n, _)| !matches!(*n, "data.titulo" | "data.tipo" | "data.tags")).copied().collect();
    edited.extend([("data.titulo", "Suporte 24h"), ("data.tipo", "hotfix"), ("data.tags", "")]);
    let saved = browser.post(&href, &edited).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let item = app.get(&format!("/ws/types/contratos/items/{reference}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!((item["data"]["titulo"].clone(), item["data"]["tipo"].clone()), (json!("Suporte 24h"), json!("hotfix")));
    assert!(item["data"].get("tags").is_none(), "cleared");

    let history = Page::of(&browser.get(&format!("{href}?tab=history")).await);
    assert_eq!(history.texts(".history > li > p strong"), ["Alteração", "Criação"]);
    assert_eq!(
        history.texts(".history > li:first-child .change"),
        ["Titulo: Suporte → Suporte 24h", "Tipo: Patch → Hotfix", "Tags: x, y →"]
    );
    assert!(history.texts(".history > li:first-child > p")[0].ends_with("por Test User · api"));
}

#[tokio::test]
async fn a_restricted_member_edits_only_what_it_may_and_no_page_shows_a_hidden_value() {
    let app = TestApp::new().await;
    let (ana, bia, refs) = orders(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&bia.email, PASSWORD).await;
    let href = format!("/app/w/acme/types/orders/{}", refs[0]);
    let page = Page::of(&browser.get(&href).await);
    assert_eq!(page.value("#data-cliente"), "Lima", "an input for the field it may change");
    assert_eq!(page.texts(".shown"), ["Valor 900,5", "Etapa Novo", "Urgente Sim"], "text for those it may only read");
    assert!(page.texts("#data-segredo").is_empty());

    // A crafted post of fields it may not change is ignored; the one it may is saved.
    let token = page.value("form.item-form input[name=_csrf]");
    let crafted =
        [("_csrf", token.as_str()), ("data.cliente", "Lima Filho"), ("data.valor", "1"), ("data.segredo", "roubado")];
    let saved = browser.post(&href, &crafted).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let item = app.get(&format!("/ws/types/orders/items/{}", refs[0])).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        (item["data"]["cliente"].clone(), item["data"]["valor"].clone(), item["data"]["segredo"].clone()),
        (json!("Lima Filho"), json!(900.5), json!("cofre-Lima"))
    );
    // Ana changes the secret too: its change is in the history, which Bia reads without it.
    let changed = app
        .put(&format!("/ws/types/orders/items/{}", refs[0]))
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "data": { "segredo": "cofre-novo", "valor": 901 } }))
        .send()
        .await;
    assert_eq!(changed.status, 200);

    // The sweep: no page, fragment, form or error Bia can reach shows a hidden value or field.
    let mut seen = Vec::new();
    for path in [
        "/app/w/acme".to_string(),
        "/app/w/acme/types/orders".to_string(),
        "/app/w/acme/types/orders?cols=data.segredo&cols=data.cliente".to_string(),
        "/app/w/acme/types/orders?_q=cofre".to_string(),
        "/app/w/acme/types/orders?data.segredo=cofre-Lima".to_string(),
        "/app/w/acme/types/orders?_sort=data.segredo:asc".to_string(),
        href.clone(),
        format!("{href}?tab=history"),
        "/app/w/acme/types/orders/new".to_string(),
        format!("/app/w/acme/types/orders/{}", refs[1]),
    ] {
        let response = browser.get(&path).await;
        let request = browser.request("GET", &path).header("hx-request", "true");
        let fragment = browser.send(request).await;
        for body in [response.text(), fragment.text()] {
            // The values ("cofre-…"; a search may echo the word typed) and the field's name.
            assert!(
                !body.contains("cofre-") && !body.contains("Segredo") && !body.contains("roubado"),
                "{path}: {body}"
            );
        }
        seen.push((path, response.status));
    }
    assert_eq!(seen.iter().map(|(_, s)| *s).collect::<Vec<_>>(), [200, 200, 200, 200, 400, 400, 200, 200, 403, 200]);
    let searched = Page::of(&browser.get("/app/w/acme/types/orders?_q=cofre").await);
    assert_eq!(searched.text("#rows > p.muted"), "Nenhum item.", "a search does not reach a hidden field");
    let history = Page::of(&browser.get(&format!("{href}?tab=history")).await);
    assert_eq!(history.texts(".history > li:first-child .change"), ["Valor: 900,5 → 901"]);
    assert_eq!(history.texts(".history > li:nth-child(2) .change"), ["Cliente: Lima → Lima Filho"]);
}

/// Every console route, by method: what it answers without a session, and to a POST from a
/// signed-in browser that lacks the form token. The list is checked against the router's
/// source, so a new route without its row fails here.
#[tokio::test]
async fn every_console_route_is_in_the_access_matrix() {
    // (method, path pattern, example path, answer without a session)
    let matrix: &[(&str, &str, &str, &str)] = &[
        ("GET", "/", "/app", "sign-in"),
        ("GET", "/login", "/app/login", "public"),
        ("POST", "/login", "/app/login", "public-form"),
        ("POST", "/logout", "/app/logout", "sign-in"),
        ("GET", "/invite", "/app/invite?token=x", "public"),
        ("POST", "/invite", "/app/invite", "public-form"),
        ("GET", "/account", "/app/account", "sign-in"),
        ("POST", "/account", "/app/account", "sign-in"),
        ("GET", "/account/keys", "/app/account/keys", "sign-in"),
        ("POST", "/account/keys", "/app/account/keys", "sign-in"),
        ("POST", "/account/keys/{reference}/revoke", "/app/account/keys/x/revoke", "sign-in"),
        ("GET", "/w", "/app/w", "sign-in"),
        ("GET", "/w/{ws}", "/app/w/acme", "sign-in"),
        ("GET", "/w/{ws}/types/{slug}", "/app/w/acme/types/orders", "sign-in"),
        ("GET", "/w/{ws}/types/{slug}/new", "/app/w/acme/types/orders/new", "sign-in"),
        ("POST", "/w/{ws}/types/{slug}/new", "/app/w/acme/types/orders/new", "sign-in"),
        ("GET", "/w/{ws}/types/{slug}/{reference}", "/app/w/acme/types/orders/REF", "sign-in"),
        ("POST", "/w/{ws}/types/{slug}/{reference}", "/app/w/acme/types/orders/REF", "sign-in"),
        ("POST", "/w/{ws}/types/{slug}/{reference}/status", "/app/w/acme/types/orders/REF/status", "sign-in"),
        ("POST", "/w/{ws}/types/{slug}/{reference}/delete", "/app/w/acme/types/orders/REF/delete", "sign-in"),
        ("GET", "/w/{ws}/lookup/{slug}", "/app/w/acme/lookup/orders?q=x", "sign-in"),
        ("POST", "/w/{ws}/files", "/app/w/acme/files?field=data.x", "sign-in"),
        ("GET", "/w/{ws}/files/{id}", "/app/w/acme/files/1", "sign-in"),
        ("GET", "/w/{ws}/tasks", "/app/w/acme/tasks", "sign-in"),
        ("GET", "/w/{ws}/tasks/scheduled", "/app/w/acme/tasks/scheduled", "sign-in"),
        ("GET", "/w/{ws}/tasks/scheduled/{id}", "/app/w/acme/tasks/scheduled/1", "sign-in"),
        ("POST", "/w/{ws}/tasks/scheduled/{id}/assign", "/app/w/acme/tasks/scheduled/1/assign", "sign-in"),
        ("POST", "/w/{ws}/tasks/scheduled/{id}/complete", "/app/w/acme/tasks/scheduled/1/complete", "sign-in"),
        ("GET", "/w/{ws}/tasks/quick", "/app/w/acme/tasks/quick", "sign-in"),
        ("POST", "/w/{ws}/tasks/quick", "/app/w/acme/tasks/quick", "sign-in"),
        ("GET", "/w/{ws}/tasks/quick/lane/{status}", "/app/w/acme/tasks/quick/lane/pending", "sign-in"),
        ("GET", "/w/{ws}/tasks/quick/{id}", "/app/w/acme/tasks/quick/1", "sign-in"),
        ("POST", "/w/{ws}/tasks/quick/{id}", "/app/w/acme/tasks/quick/1", "sign-in"),
        ("POST", "/w/{ws}/tasks/quick/{id}/{action}", "/app/w/acme/tasks/quick/1/archive", "sign-in"),
        ("GET", "/w/{ws}/flows", "/app/w/acme/flows", "sign-in"),
        ("GET", "/w/{ws}/flows/{id}/board", "/app/w/acme/flows/1/board", "sign-in"),
        ("GET", "/w/{ws}/calendar", "/app/w/acme/calendar", "sign-in"),
        ("GET", "/w/{ws}/live", "/app/w/acme/live", "sign-in"),
        ("GET", "/w/{ws}/settings/members", "/app/w/acme/settings/members", "sign-in"),
        ("POST", "/w/{ws}/settings/members", "/app/w/acme/settings/members", "sign-in"),
        ("POST", "/w/{ws}/settings/members/{id}", "/app/w/acme/settings/members/1", "sign-in"),
        ("POST", "/w/{ws}/settings/members/{id}/remove", "/app/w/acme/settings/members/1/remove", "sign-in"),
        ("GET", "/w/{ws}/settings/groups", "/app/w/acme/settings/groups", "sign-in"),
        ("POST", "/w/{ws}/settings/groups", "/app/w/acme/settings/groups", "sign-in"),
        ("POST", "/w/{ws}/settings/groups/{id}/{change}", "/app/w/acme/settings/groups/1/add", "sign-in"),
        ("GET", "/w/{ws}/settings/roles", "/app/w/acme/settings/roles", "sign-in"),
        ("POST", "/w/{ws}/settings/roles", "/app/w/acme/settings/roles", "sign-in"),
        ("GET", "/w/{ws}/settings/roles/{id}", "/app/w/acme/settings/roles/1", "sign-in"),
        ("POST", "/w/{ws}/settings/roles/{id}/permissions", "/app/w/acme/settings/roles/1/permissions", "sign-in"),
        (
            "POST",
            "/w/{ws}/settings/roles/{id}/permissions/{permission}/remove",
            "/app/w/acme/settings/roles/1/permissions/1/remove",
            "sign-in",
        ),
        ("GET", "/w/{ws}/settings/calendar", "/app/w/acme/settings/calendar", "sign-in"),
        ("POST", "/w/{ws}/settings/calendar", "/app/w/acme/settings/calendar", "sign-in"),
        ("POST", "/w/{ws}/settings/calendar/sync", "/app/w/acme/settings/calendar/sync", "sign-in"),
        ("GET", "/w/{ws}/settings/notifications", "/app/w/acme/settings/notifications", "sign-in"),
        ("POST", "/w/{ws}/settings/notifications", "/app/w/acme/settings/notifications", "sign-in"),
        ("GET", "/f/{hash}", "/app/f/nohash", "not-found"),
        ("POST", "/f/{hash}", "/app/f/nohash", "public-form"),
        ("GET", "/static/{file}", "/app/static/console.css", "public"),
    ];
    let source = include_str!("../../../console/src/pages/mod.rs");
    let mut routed = Vec::new();
    for line in source.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
        let path = line.split('"').nth(1).unwrap();
        for method in ["get", "post"] {
            if line.contains(&format!("{method}(")) {
                routed.push((method.to_uppercase(), path.to_string()));
            }
        }
    }
    let listed: Vec<(String, String)> = matrix.iter().map(|(m, p, _, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(routed, listed, "the matrix lists every console route, in the router's order");

    let app = TestApp::new().await;
    let (ana, _, refs) = orders(&app).await;
    let mut anonymous = Browser::new(&app);
    let mut signed = Browser::new(&app);
    signed.sign_in(&ana.email, PASSWORD).await;
    for &(method, _, example, without) in matrix {
        let example = example.replace("REF", &refs[0]);
        let response =
            if method == "GET" { anonymous.get(&example).await } else { anonymous.post(&example, &[]).await };
        match without {
            "sign-in" => {
                assert_eq!(response.status, 303, "{method} {example}");
                assert!(response.header("location").unwrap().starts_with("/app/login"), "{method} {example}");
            }
            "public" => assert_eq!(response.status, 200, "{method} {example}"),
            "not-found" => assert_eq!(response.status, 404, "{method} {example}"),
            // A form posted without the pre-session token is refused before anything else.
            _ => assert_eq!(response.status, 403, "{method} {example}"),
        }
        if method == "POST" {
            let refused = signed.post(&example, &[("data.cliente", "x")]).await;
            assert_eq!(refused.status, 403, "{method} {example} without the form token");
            assert_eq!(Page::of(&refused).text("h1"), "Pedido recusado");
        }
    }
    let item = app.get(&format!("/ws/types/orders/items/{}", refs[0])).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(item["data"]["cliente"], "Lima", "nothing written");
    // A form posted without a session signs in afresh (a post is not replayed); a GET of an
    // address that takes only forms is the console's 405 page.
    let stale = anonymous.form("/app/w/acme/types/orders/new", &[("_csrf", "x")]);
    assert_eq!(anonymous.send(stale).await.header("location"), Some("/app/login"));
    let wrong = signed.get("/app/logout").await;
    assert_eq!(wrong.status, 405);
    assert_eq!(Page::of(&wrong).text("h1"), "Erro");
    assert_eq!(app.get("/ws/types/orders/items/count").key(&ana.key).ws("acme").send().await.json(), json!(3));
}

#[tokio::test]
async fn a_public_form_takes_an_answer_without_an_account() {
    let app = TestApp::new().await;
    let (ana, _, _) = orders(&app).await;
    let form = app
        .post("/ws/types/orders/forms")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "Pedido pelo site", "type": "create", "visibility": "public",
            "fields": [{ "refId": "cliente", "required": true }, { "refId": "valor" }, { "refId": "etapa" }] }))
        .send()
        .await;
    assert_eq!(form.status, 201, "{}", form.text());
    let (hash, form_id) = (form.json()["hash"].as_str().unwrap().to_string(), form.json()["id"].clone());
    let mut visitor = Browser::new(&app);
    let path = format!("/app/f/{hash}");
    let page = Page::of(&visitor.get(&path).await);
    assert_eq!(page.text("h1"), "Pedido pelo site");
    assert_eq!(page.texts("form.item-form label[for]"), ["Cliente *", "Valor", "Etapa", "Seu e-mail"]);
    let token = page.value("input[name=_csrf]");

    // Without the page's token: refused, nothing written.
    assert_eq!(visitor.post(&path, &[("data.cliente", "Maria")]).await.status, 403);
    let missing =
        visitor.post(&path, &[("_csrf", &token), ("data.cliente", ""), ("request_email", "nao-e-email")]).await;
    assert_eq!(missing.status, 422);
    let page = Page::of(&missing);
    assert_eq!(
        page.texts(".error-summary li"),
        ["E-mail: \"nao-e-email\" is not a valid email address", "Cliente: is required"]
    );
    assert_eq!(page.value("#request_email"), "nao-e-email");
    assert_eq!(app.get("/ws/types/orders/items/count").key(&ana.key).ws("acme").send().await.json(), json!(3));

    let answer = [
        ("_csrf", token.as_str()),
        ("data.cliente", "Maria"),
        ("data.valor", "42"),
        ("data.etapa", "novo"),
        ("request_email", "maria@example.com"),
    ];
    let sent = visitor.post(&path, &answer).await;
    assert_eq!((sent.status, sent.header("location")), (303, Some(format!("{path}?sent=1").as_str())));
    assert_eq!(
        Page::of(&visitor.get(&format!("{path}?sent=1")).await).text("#form-sent"),
        "Resposta enviada. Obrigado!"
    );
    let items = app.get("/ws/types/orders/items?data.cliente=Maria").key(&ana.key).ws("acme").send().await.json();
    let item = &items[0];
    assert_eq!(item["data"], json!({ "cliente": "Maria", "valor": 42, "etapa": "novo" }));
    assert_eq!(
        (item["request_email"].clone(), item["form"].clone()),
        (json!("maria@example.com"), json!(form_id.to_string()))
    );
    let reference = item["reference"].as_str().unwrap();
    let history =
        app.get(&format!("/ws/types/orders/items/{reference}/history")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(history[0]["source"], "form");

    // A private form is the same 404 as none.
    let private = app
        .post("/ws/types/orders/forms")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "Interno", "type": "create", "visibility": "private", "fields": [{ "refId": "cliente" }] }))
        .send()
        .await
        .json();
    let hidden = visitor.get(&format!("/app/f/{}", private["hash"].as_str().unwrap())).await;
    let none = visitor.get("/app/f/nothing").await;
    assert_eq!((hidden.status, none.status), (404, 404));
    assert_eq!(hidden.text(), none.text());

    // The table has an entry per create form: its items, and new ones through it.
    let mut owner = Browser::new(&app);
    owner.sign_in(&ana.email, PASSWORD).await;
    let table = Page::of(&owner.get("/app/w/acme/types/orders").await);
    assert_eq!(table.texts("nav.entries a"), ["Todos", "Pedido pelo site", "Interno"]);
    let entry = format!("/app/w/acme/types/orders?form={form_id}");
    assert_eq!(table.attrs("nav.entries a", "href")[1], entry);
    let answers = Page::of(&owner.get(&entry).await);
    assert_eq!(answers.attrs("table.items tbody th a", "title"), [reference.to_string()]);
    assert_eq!(answers.attrs("nav.entries a[aria-current=page]", "href"), std::slice::from_ref(&entry));
    assert_eq!(answers.attrs("a[data-shortcut=n]", "href"), [format!("/app/w/acme/types/orders/new?form={form_id}")]);
    let new = Page::of(&owner.get(&format!("/app/w/acme/types/orders/new?form={form_id}")).await);
    assert_eq!(new.texts("form.item-form label[for]"), ["Cliente *", "Valor", "Etapa"]);
}

#[tokio::test]
async fn api_keys_are_made_shown_once_and_revoked_from_the_account() {
    let app = TestApp::new().await;
    let (ana, _) = setup(&app).await;
    app.workspace(&ana, "Beta").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let page = Page::of(&browser.get("/app/account/keys").await);
    assert_eq!(page.texts("table.keys tbody th"), [format!("test key {}", ana_key_reference(&app, &ana).await)]);
    assert_eq!(page.attrs("#key-scopes input[checked]", "value"), ["read", "write"]);
    let token = page.value("form[action='/app/account/keys'] input[name=_csrf]");

    let none = browser
        .post("/app/account/keys", &[("_csrf", &token), ("description", "Planilha"), ("workspaces", "acme")])
        .await;
    assert_eq!(none.status, 422);
    assert_eq!(
        Page::of(&none).texts(".error-summary li"),
        ["Permissões: must name at least one of read, write, delete"]
    );

    let fields = [
        ("_csrf", token.as_str()),
        ("description", "Planilha"),
        ("scopes", "read"),
        ("workspaces", "acme"),
        ("expires_in", "1M"),
    ];
    let created = browser.post("/app/account/keys", &fields).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let page = Page::of(&created);
    let secret = page.text("#new-key");
    assert!(secret.starts_with("en."), "{secret}");
    let row = page.texts("table.keys tbody tr").into_iter().find(|r| r.starts_with("Planilha")).unwrap();
    assert!(row.contains("read acme") && !row.contains(&secret), "{row}");
    // The key reads Acme only, and is never shown again.
    assert_eq!(app.get("/ws/types").key(&secret).ws("acme").send().await.status, 200);
    app.post("/ws/types")
        .key(&secret)
        .ws("acme")
        .json(&json!({ "name": "X" }))
        .send()
        .await
        .assert_error(403, "Token missing scope: write");
    assert_eq!(app.get("/ws/types").key(&secret).ws("beta").send().await.status, 403);
    assert!(!browser.get("/app/account/keys").await.text().contains(&secret));

    let reference = app
        .get("/user-api-keys")
        .key(&ana.key)
        .send()
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["description"] == "Planilha")
        .unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = browser.post(&format!("/app/account/keys/{reference}/revoke"), &[("_csrf", &token)]).await;
    assert_eq!((revoked.status, revoked.header("location")), (303, Some("/app/account/keys")));
    app.get("/ws/types").key(&secret).ws("acme").send().await.assert_error(401, "Invalid or missing API key");
    assert_eq!(browser.post("/app/account/keys/nope/revoke", &[("_csrf", &token)]).await.status, 404);
}

async fn ana_key_reference(app: &TestApp, ana: &TestUser) -> String {
    app.get("/user-api-keys").key(&ana.key).send().await.json()[0]["reference"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn members_are_invited_changed_and_removed_by_a_manager_only() {
    let app = TestApp::new().await;
    let (ana, bia, _) = orders(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let home = Page::of(&browser.get("/app/w/acme").await);
    assert_eq!(
        home.attrs(".sidebar details.settings a", "href"),
        [
            "/app/w/acme/settings/members",
            "/app/w/acme/settings/groups",
            "/app/w/acme/settings/roles",
            "/app/w/acme/settings/calendar",
            "/app/w/acme/settings/notifications"
        ]
    );
    let page = Page::of(&browser.get("/app/w/acme/settings/members").await);
    assert_eq!(page.texts("table.members tbody td:nth-child(2)"), ["ana@example.com", "bia@example.com"]);
    let api = app.get("/ws/members").key(&ana.key).ws("acme").send().await.json();
    let ids: Vec<String> = api.as_array().unwrap().iter().map(|m| m["id"].to_string()).collect();
    assert_eq!(page.attrs("table.members tbody tr", "data-member"), ids);
    let token = page.value("form[action='/app/w/acme/settings/members'] input[name=_csrf]");

    let invited = browser
        .post(
            "/app/w/acme/settings/members",
            &[("_csrf", &token), ("email", "caio@example.com"), ("type", "viewer"), ("role", "")],
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text());
    let url = Page::of(&invited).text("#invitation-url");
    assert!(url.starts_with("http://127.0.0.1:8080/auth/accept-invite?token=eni."), "{url}");
    let again = browser
        .post("/app/w/acme/settings/members", &[("_csrf", &token), ("email", "caio@example.com"), ("type", "viewer")])
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(Page::of(&again).texts(".error-summary li"), ["E-mail: já é membro deste workspace"]);
    let bad =
        browser.post("/app/w/acme/settings/members", &[("_csrf", &token), ("email", "x"), ("type", "owner")]).await;
    assert_eq!(bad.status, 422);
    assert_eq!(Page::of(&bad).texts(".error-summary li").len(), 2);

    // Bia's member: viewer, no role, then removed.
    let bia_id = api.as_array().unwrap().iter().find(|m| m["email"] == "bia@example.com").unwrap()["id"].to_string();
    let changed = browser
        .post(
            &format!("/app/w/acme/settings/members/{bia_id}"),
            &[("_csrf", &token), ("type", "viewer"), ("role", ""), ("status", "active")],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.text());
    let member = app.get(&format!("/ws/members/{bia_id}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!((member["type"].clone(), member["role"].clone()), (json!("viewer"), json!(null)));

    // A member who does not manage access sees no settings and is refused them.
    let mut other = Browser::new(&app);
    other.sign_in(&bia.email, PASSWORD).await;
    assert!(Page::of(&other.get("/app/w/acme").await)
        .texts(".sidebar details summary")
        .iter()
        .all(|s| s != "Configurações"));
    let refused = other.get("/app/w/acme/settings/members").await;
    assert_eq!(refused.status, 403);
    assert_eq!(Page::of(&refused).text("h1"), "Acesso negado");
    let their_token = other.form_token().await;
    assert_eq!(
        other.post(&format!("/app/w/acme/settings/members/{bia_id}/remove"), &[("_csrf", &their_token)]).await.status,
        403
    );

    let removed = browser.post(&format!("/app/w/acme/settings/members/{bia_id}/remove"), &[("_csrf", &token)]).await;
    assert_eq!(removed.status, 303);
    assert_eq!(app.get(&format!("/ws/members/{bia_id}")).key(&ana.key).ws("acme").send().await.status, 404);
}

#[tokio::test]
async fn a_roles_permission_matrix_grants_and_revokes_one_permission_per_click() {
    let app = TestApp::new().await;
    let (ana, _, _) = orders(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let token = browser.form_token().await;
    let created = browser.post("/app/w/acme/settings/roles", &[("_csrf", &token), ("name", "Vendas")]).await;
    assert_eq!(created.status, 303);
    let role_path = created.header("location").unwrap().to_string();
    let role_id = role_path.rsplit('/').next().unwrap().to_string();
    let page = Page::of(&browser.get(&role_path).await);
    assert_eq!(page.text("main h1"), "Vendas");
    assert_eq!(
        page.texts("table.matrix thead th"),
        ["Permissões", "Ver", "Criar", "Atualizar", "Excluir", "Gerenciar"]
    );
    assert_eq!(page.attrs("button[aria-pressed=true]", "data-reference"), Vec::<String>::new());
    assert_eq!(page.attrs("button[data-reference='types::orders::read']", "aria-label"), ["Ver: Orders"]);

    let granted = browser
        .post(&format!("{role_path}/permissions"), &[("_csrf", &token), ("reference", "types::orders::read")])
        .await;
    assert_eq!((granted.status, granted.header("location")), (303, Some(role_path.as_str())));
    let permissions = app.get(&format!("/ws/roles/{role_id}/permissions")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(
        permissions.as_array().unwrap().iter().map(|p| p["reference"].clone()).collect::<Vec<_>>(),
        [json!("types::orders::read")]
    );
    let page = Page::of(&browser.get(&role_path).await);
    assert_eq!(page.attrs("button[aria-pressed=true]", "data-reference"), ["types::orders::read"]);
    let revoke = page.attrs("form:has(button[aria-pressed=true])", "action");
    assert_eq!(revoke, [format!("{role_path}/permissions/{}/remove", permissions[0]["id"])]);
    assert_eq!(browser.post(&revoke[0], &[("_csrf", &token)]).await.status, 303);
    assert_eq!(
        app.get(&format!("/ws/roles/{role_id}/permissions")).key(&ana.key).ws("acme").send().await.json(),
        json!([])
    );
    let unknown = browser
        .post(&format!("{role_path}/permissions"), &[("_csrf", &token), ("reference", "types::nada::read")])
        .await;
    assert_eq!(unknown.status, 400);
    assert!(Page::of(&browser.get("/app/w/acme/settings/roles").await)
        .texts("ul.roles a")
        .contains(&"Vendas".to_string()));
}

#[tokio::test]
async fn an_item_is_deactivated_activated_and_deleted_from_its_page() {
    let app = TestApp::new().await;
    let (ana, bia, refs) = orders(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let href = format!("/app/w/acme/types/orders/{}", refs[0]);
    let page = Page::of(&browser.get(&href).await);
    let token = page.value("form.item-form input[name=_csrf]");
    assert_eq!(page.text("#item-status"), "Ativo");
    assert_eq!(browser.post(&format!("{href}/status"), &[("_csrf", &token), ("status", "inactive")]).await.status, 303);
    let item = format!("/ws/types/orders/items/{}", refs[0]);
    let status = || async { app.get(&item).key(&ana.key).ws("acme").send().await.json()["status"].clone() };
    assert_eq!(status().await, json!("inactive"));
    let page = Page::of(&browser.get(&href).await);
    assert_eq!((page.text("#item-status"), page.texts("#activate").len()), ("Inativo".to_string(), 1));
    assert_eq!(browser.post(&format!("{href}/status"), &[("_csrf", &token), ("status", "active")]).await.status, 303);
    assert_eq!(status().await, json!("active"));

    // Bia reads and edits a field, but neither changes the status nor deletes.
    let mut other = Browser::new(&app);
    other.sign_in(&bia.email, PASSWORD).await;
    let theirs = Page::of(&other.get(&href).await);
    assert!(theirs.texts("#deactivate").is_empty() && theirs.texts("#delete-item").is_empty());
    let their_token = theirs.value("form.item-form input[name=_csrf]");
    assert_eq!(other.post(&format!("{href}/delete"), &[("_csrf", &their_token)]).await.status, 403);
    assert_eq!(
        other.post(&format!("{href}/status"), &[("_csrf", &their_token), ("status", "inactive")]).await.status,
        403
    );

    let deleted = browser.post(&format!("{href}/delete"), &[("_csrf", &token)]).await;
    assert_eq!((deleted.status, deleted.header("location")), (303, Some("/app/w/acme/types/orders")));
    assert_eq!(
        app.get(&format!("/ws/types/orders/items/{}", refs[0])).key(&ana.key).ws("acme").send().await.status,
        404
    );
    assert_eq!(browser.get(&href).await.status, 404);
}

#[tokio::test]
async fn relation_search_fills_a_reference_and_uploads_become_the_forms_files() {
    let app = TestApp::new().await;
    let (ana, ws) = setup(&app).await;
    let lima = contratos(&app, &ana).await;
    let response = app
        .post("/ws/types/contratos/fields")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({ "name": "Anexos", "slug": "anexos", "type": "uploadFile" }))
        .send()
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let form = Page::of(&browser.get("/app/w/acme/types/contratos/new").await);
    let lookup = form.attrs("#data-cliente-search", "hx-get");
    assert_eq!(lookup, ["/app/w/acme/lookup/clientes?target=data-cliente&display=nome"]);
    let found = Page::of(&browser.get(&format!("{}&_lookup=lim", lookup[0])).await);
    assert_eq!(found.attrs("button[data-fill=data-cliente]", "value"), std::slice::from_ref(&lima));
    assert_eq!(found.texts("button[data-fill]"), [format!("Lima · CLI…{}", &lima[26..])]);
    let none = Page::of(&browser.get(&format!("{}&_lookup=zzz", lookup[0])).await);
    assert_eq!(none.text("p.muted"), "Nenhum item.");
    assert_eq!(browser.get("/app/w/acme/lookup/clientes?target=x%22onclick").await.status, 400);

    // A member who may not read Clientes finds nothing there.
    let bia = app.user_with_password("bia@example.com", PASSWORD).await;
    let member = app.add_member(ws, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(ws, &[("types::contratos::create", None)]).await;
    app.assign_role(member, role).await;
    let mut other = Browser::new(&app);
    other.sign_in(&bia.email, PASSWORD).await;
    let refused = other.get(&format!("{}&_lookup=lim", lookup[0])).await;
    assert_eq!(refused.status, 403);
    assert!(!refused.text().contains("Lima"));

    // Upload: the session's token in the header (htmx), answered as kept files of the field.
    let token = form.value("form.item-form input[name=_csrf]");
    let upload = form.attrs("#data-anexos-upload", "hx-post");
    assert_eq!(upload, ["/app/w/acme/files?field=data.anexos"]);
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF";
    let parts = [("file", Some("contrato.pdf"), pdf)];
    let without = browser.request("POST", &upload[0]).header("origin", "http://127.0.0.1:8080").multipart(&parts);
    assert_eq!(browser.send(without).await.status, 403);
    let with = browser
        .request("POST", &upload[0])
        .header("origin", "http://127.0.0.1:8080")
        .header("x-csrf-token", &token)
        .multipart(&parts);
    let uploaded = browser.send(with).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    let chips = Page::of(&uploaded);
    let id = chips.value("input[name='data.anexos']");
    assert_eq!(chips.text("label a"), "contrato.pdf");

    let created = browser
        .post(
            "/app/w/acme/types/contratos/new",
            &[
                ("_csrf", &token),
                ("data.titulo", "Com anexo"),
                ("data.cliente", &lima),
                ("data.anexos", ""),
                ("data.anexos", &id),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.text());
    let reference = created.header("location").unwrap().rsplit('/').next().unwrap().to_string();
    let item = app.get(&format!("/ws/types/contratos/items/{reference}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(item["data"]["anexos"][0]["filename"], "contrato.pdf");
    let page = Page::of(&browser.get(created.header("location").unwrap()).await);
    assert_eq!(page.attrs("#data-anexos-files a", "href"), [format!("/app/w/acme/files/{id}")]);
    let file = browser.get(&format!("/app/w/acme/files/{id}")).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, pdf);
    assert_eq!(file.header("content-security-policy"), Some("sandbox; default-src 'none'"));
}

#[tokio::test]
async fn groups_are_made_and_members_added_and_removed() {
    let app = TestApp::new().await;
    let (ana, _, _) = orders(&app).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&ana.email, PASSWORD).await;
    let token = browser.form_token().await;
    assert_eq!(browser.post("/app/w/acme/settings/groups", &[("_csrf", &token), ("name", "")]).await.status, 422);
    assert_eq!(
        browser.post("/app/w/acme/settings/groups", &[("_csrf", &token), ("name", "Comercial")]).await.status,
        303
    );
    let page = Page::of(&browser.get("/app/w/acme/settings/groups").await);
    assert_eq!(page.texts("section.group h2"), ["Comercial"]);
    let group = page.attrs("section.group", "data-group")[0].clone();
    let bia = page.attrs(&format!("#add-{group} option"), "value")[1].clone();
    assert_eq!(page.texts(&format!("#add-{group} option")), ["ana@example.com", "bia@example.com"]);
    let added =
        browser.post(&format!("/app/w/acme/settings/groups/{group}/add"), &[("_csrf", &token), ("member", &bia)]).await;
    assert_eq!(added.status, 303);
    let api = app.get(&format!("/ws/member-groups/{group}")).key(&ana.key).ws("acme").send().await.json();
    assert_eq!(api["members"], json!([bia.parse::<i64>().unwrap()]));
    let page = Page::of(&browser.get("/app/w/acme/settings/groups").await);
    assert_eq!(
        page.texts("ul.group-members li").iter().map(|l| l.replace(" Remover", "")).collect::<Vec<_>>(),
        ["bia@example.com"]
    );
    let removed = browser
        .post(&format!("/app/w/acme/settings/groups/{group}/remove"), &[("_csrf", &token), ("member", &bia)])
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(
        app.get(&format!("/ws/member-groups/{group}")).key(&ana.key).ws("acme").send().await.json()["members"],
        json!([])
    );
    assert_eq!(
        browser
            .post(&format!("/app/w/acme/settings/groups/{group}/other"), &[("_csrf", &token), ("member", &bia)])
            .await
            .status,
        404
    );
}
