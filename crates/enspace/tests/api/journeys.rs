//! The console in a real browser (issue 18, console-design §4.12): the real binary on free
//! ports, Debian's Chromium driven headless through chromedriver by a WebDriver client, each
//! page checked with axe-core (no serious or critical violation). Without `chromedriver` on
//! the PATH the journeys say so in one line and pass, except under `CI=true`, where they
//! fail (`.ci/run` installs it). `ENSPACE_SCREENSHOTS=1` writes each checkpoint's screenshot
//! to `docs/console/screenshots/`.

use std::{
    io::Write,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::server::{database, free_port, http, http_in, Server};

const PASSWORD: &str = "correct horse battery";
const AXE: &str = include_str!("../fixtures/axe-core/axe-4.14.1.min.js");

/// chromedriver, stopped with the journey.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A journey's browser on a server, and where its screenshots go.
struct Journey {
    client: Client,
    base: String,
    _driver: Driver,
}

fn found(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

impl Journey {
    /// A headless browser pointed at `server`; `None` (after one line) when chromedriver is
    /// not installed outside CI.
    async fn start(server: &Server) -> Option<Journey> {
        if !found("chromedriver") {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "chromedriver not found: CI must run the browser journeys (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipped: chromedriver not found (apt-get install chromium chromium-driver)");
            return None;
        }
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver(driver);
        let mut options = json!({ "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,900", "--lang=pt-BR", "--accept-lang=pt-BR"] });
        if std::path::Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver did not start a browser: {e}"),
            }
        };
        Some(Journey { client, base: format!("http://127.0.0.1:{}", server.port), _driver: driver })
    }

    async fn open(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits for an element (the sign of the page it is on), and answers it.
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    async fn fill(&self, css: &str, value: &str) {
        let input = self.wait_for(css).await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// axe-core over the page: no serious or critical violation.
    async fn accessible(&self, name: &str) {
        self.client.execute(&format!("{AXE}\nreturn true;"), vec![]).await.unwrap();
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))));";
        let found = self.client.execute_async(script, vec![]).await.unwrap();
        assert_eq!(found, json!([]), "{name}: accessibility violations");
    }

    /// A checkpoint: the accessibility check, and the screenshot when they are asked for.
    async fn checkpoint(&self, name: &str) {
        self.accessible(name).await;
        if std::env::var("ENSPACE_SCREENSHOTS").as_deref() == Ok("1") {
            let png = self.client.screenshot().await.unwrap();
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/console/screenshots");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    async fn phone(&self) {
        self.client.set_window_size(390, 844).await.unwrap();
    }

    async fn desktop(&self) {
        self.client.set_window_size(1280, 900).await.unwrap();
    }
}

/// `enspace user create --password` (the password on standard input, as a script gives it):
/// the first person who can sign in. Answers the key it prints.
fn create_user(dir: &std::path::Path, url: &str, email: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_enspace"))
        .args(["--data-dir", dir.to_str().unwrap(), "--database-url", url])
        .args(["user", "create", "--email", email, "--fname", "Ana", "--lname", "Lima", "--password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

async fn post(port: u16, key: &str, ws: Option<&str>, path: &str, body: Value) -> Value {
    let (status, text) = match ws {
        Some(ws) => http_in(port, "POST", path, Some(key), Some(ws), Some(&body.to_string())).await.unwrap(),
        None => http(port, "POST", path, Some(key), Some(&body.to_string())).await.unwrap(),
    };
    assert!(status == 201 || status == 200, "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_pick_a_workspace_switch_language_and_use_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let server = Server::start(dir.path(), &url).await;
    let key = create_user(dir.path(), &url, "ana@example.com");
    post(server.port, &key, None, "/workspaces", json!({ "name": "Acme" })).await;
    post(server.port, &key, None, "/workspaces", json!({ "name": "Beta" })).await;
    post(server.port, &key, Some("acme"), "/ws/types", json!({ "name": "Pedidos" })).await;
    post(
        server.port,
        &key,
        Some("acme"),
        "/ws/types/pedidos/fields",
        json!({ "name": "Cliente", "slug": "cliente", "type": "text" }),
    )
    .await;
    post(
        server.port,
        &key,
        Some("acme"),
        "/ws/types/pedidos/fields",
        json!({ "name": "Valor", "slug": "valor", "type": "EnCurrency" }),
    )
    .await;
    for (cliente, valor) in [("Lima", 1234.5), ("Souza", 80.0)] {
        let data = json!({ "data": { "cliente": cliente, "valor": { "value": valor, "currency": "BRL" } } });
        post(server.port, &key, Some("acme"), "/ws/types/pedidos/items", data).await;
    }
    let Some(browser) = Journey::start(&server).await else { return };

    browser.open("/app").await;
    assert_eq!(browser.text("h1").await, "Entrar no Enspace");
    browser.checkpoint("login-desktop").await;
    browser.fill("#email", "ana@example.com").await;
    browser.fill("#password", "wrong password").await;
    browser.click("form button[type=submit]").await;
    assert_eq!(browser.text("[role=alert]").await, "E-mail ou senha inválidos.");
    browser.fill("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;

    browser.wait_for("ul.cards").await;
    assert_eq!(browser.path().await, "/app/w");
    assert_eq!(browser.text("main h1").await, "Workspaces");
    browser.checkpoint("picker-desktop").await;
    browser.click("ul.cards h2 a[href='/app/w/acme']").await;
    browser.wait_for("#categories-title").await;
    assert_eq!(browser.text("main h1").await, "Acme");
    browser.checkpoint("home-desktop").await;

    browser.click("main .cards a").await;
    browser.wait_for("table.items").await;
    let cells = browser.client.find_all(Locator::Css("table.items tbody td")).await.unwrap();
    let mut texts = Vec::new();
    for cell in cells {
        texts.push(cell.text().await.unwrap());
    }
    assert_eq!(texts, ["Lima", "R$ 1.234,50", "Souza", "R$ 80,00"]);
    browser.checkpoint("items-desktop").await;

    // The language follows the profile.
    browser.open("/app/account").await;
    browser.wait_for("#language").await.select_by_value("en").await.unwrap();
    browser.click("form[action='/app/account'] button[type=submit]").await;
    browser.wait_for("html[lang=en]").await;
    assert_eq!(browser.text("main h1").await, "My account");
    browser.open("/app/w/acme/types/pedidos").await;
    browser.wait_for("table.items").await;
    assert_eq!(browser.text("#rows > p.muted").await, "Showing 1–2 of 2");
    let money = browser.text("table.items tbody tr:first-child td:nth-child(3)").await;
    assert_eq!(money, "R$1,234.50");

    // A phone: the table is cards, each value labelled.
    browser.phone().await;
    browser.open("/app/w/acme/types/pedidos").await;
    browser.wait_for("table.items").await;
    let header_width: i64 = serde_json::from_value(
        browser
            .client
            .execute("return document.querySelector('table.items thead').getBoundingClientRect().width", vec![])
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(header_width <= 1, "the header row is hidden on a phone");
    let label = browser
        .client
        .execute("return getComputedStyle(document.querySelector('table.items tbody td'), '::before').content", vec![])
        .await
        .unwrap();
    assert_eq!(label, json!("\"Cliente: \""));
    browser.checkpoint("items-phone").await;
    browser.desktop().await;

    // Sign out: the console is closed again.
    browser.click("form[action='/app/logout'] button").await;
    browser.wait_for("#email").await;
    browser.open("/app/w").await;
    browser.wait_for("#email").await;
    assert_eq!(browser.path().await, "/app/login?next=%2Fapp%2Fw");
    browser.client.close().await.unwrap();
}
