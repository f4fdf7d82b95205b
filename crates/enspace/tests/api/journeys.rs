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

/// chromedriver (and its URL), stopped with the journey.
struct Driver(Child, String);

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
    driver: std::sync::Arc<Driver>,
}

/// A headless Chromium session of the driver at `url` (retried while the driver starts).
async fn session(url: &str, dark: bool) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=pt-BR",
        "--accept-lang=pt-BR",
    ];
    if dark {
        // The system's dark theme: pages see `prefers-color-scheme: dark`.
        args.push("--force-dark-mode");
    }
    let mut options = json!({ "args": args });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let started = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(url).await {
            Ok(client) => return client,
            Err(_) if started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("chromedriver did not start a browser: {e}"),
        }
    }
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
        let driver = Driver(driver, format!("http://127.0.0.1:{port}"));
        let client = session(&driver.1, false).await;
        Some(Journey { client, base: format!("http://127.0.0.1:{}", server.port), driver: std::sync::Arc::new(driver) })
    }

    /// Another browser on the same server: a new session with a fresh profile (no cookies).
    async fn fresh(&self) -> Journey {
        Journey { client: session(&self.driver.1, false).await, base: self.base.clone(), driver: self.driver.clone() }
    }

    /// Another browser whose system theme is dark.
    async fn dark(&self) -> Journey {
        Journey { client: session(&self.driver.1, true).await, base: self.base.clone(), driver: self.driver.clone() }
    }

    async fn open(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// Waits for an element (the sign of the page it is on), and answers it, scrolled to the
    /// middle of the window (as a person brings what they use into view; the forms' sticky
    /// action bar covers the bottom edge).
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
        let at = serde_json::to_value(&element).unwrap();
        self.client.execute("arguments[0].scrollIntoView({ block: 'center' });", vec![at]).await.unwrap();
        element
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

    /// Clicks what posts the page's form and waits until the browser has left the page (the
    /// answer may be the same address, so the old document going stale is the sign).
    async fn click_and_leave(&self, css: &str) {
        let old = self.document().await;
        self.click(css).await;
        self.until_left(old, css).await;
    }

    /// The current document (its root element), to tell later that the browser has left it.
    async fn document(&self) -> fantoccini::elements::Element {
        self.client.find(Locator::Css("html")).await.unwrap()
    }

    /// Waits until the browser has left the document `old` belongs to (it went stale).
    async fn until_left(&self, old: fantoccini::elements::Element, what: &str) {
        let started = Instant::now();
        while old.attr("lang").await.is_ok() {
            assert!(started.elapsed() < Duration::from_secs(10), "{what}: the page did not change");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks something that makes htmx swap a region, and waits until the swap has settled
    /// (the page counts settled swaps on `body[data-settled]`).
    async fn click_and_settle(&self, css: &str) {
        let count = "return document.body.dataset.settled || '0'";
        let before = self.client.execute(count, vec![]).await.unwrap();
        self.click(css).await;
        let started = Instant::now();
        while self.client.execute(count, vec![]).await.unwrap() == before {
            assert!(started.elapsed() < Duration::from_secs(10), "{css}: htmx did not swap");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
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

    /// A checkpoint: the page at desktop and phone widths, each checked with axe-core and,
    /// when asked for, screenshotted (`<name>-desktop.png`, `<name>-phone.png`).
    async fn checkpoint(&self, name: &str) {
        let (width, height) = self.client.get_window_size().await.unwrap();
        for (size, (w, h)) in [("desktop", (1280, 900)), ("phone", (390, 844))] {
            self.client.set_window_size(w, h).await.unwrap();
            self.accessible(&format!("{name} ({size})")).await;
            if std::env::var("ENSPACE_SCREENSHOTS").as_deref() == Ok("1") {
                self.client.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
                let png = self.client.screenshot().await.unwrap();
                let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/console/screenshots");
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(format!("{name}-{size}.png")), png).unwrap();
            }
        }
        self.client.set_window_size(width as u32, height as u32).await.unwrap();
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
    browser.checkpoint("login").await;
    browser.fill("#email", "ana@example.com").await;
    browser.fill("#password", "wrong password").await;
    browser.click("form button[type=submit]").await;
    assert_eq!(browser.text("[role=alert]").await, "E-mail ou senha inválidos.");
    browser.fill("#password", PASSWORD).await;
    browser.click("form button[type=submit]").await;

    browser.wait_for("ul.cards").await;
    assert_eq!(browser.path().await, "/app/w");
    assert_eq!(browser.text("main h1").await, "Workspaces");
    browser.checkpoint("picker").await;
    browser.click("ul.cards h2 a[href='/app/w/acme']").await;
    browser.wait_for("#categories-title").await;
    assert_eq!(browser.text("main h1").await, "Acme");
    browser.checkpoint("home").await;

    browser.click("main .cards a").await;
    browser.wait_for("table.items").await;
    let cells = browser.client.find_all(Locator::Css("table.items tbody td")).await.unwrap();
    let mut texts = Vec::new();
    for cell in cells {
        texts.push(cell.text().await.unwrap());
    }
    assert_eq!(texts, ["Lima", "R$ 1.234,50", "Souza", "R$ 80,00"]);
    browser.checkpoint("items").await;

    // The language follows the profile.
    browser.open("/app/account").await;
    browser.wait_for("#language").await.select_by_value("en").await.unwrap();
    browser.click("form[action='/app/account'] button[type=submit]").await;
    browser.wait_for("html[lang=en]").await;
    assert_eq!(browser.text("main h1").await, "My account");
    browser.checkpoint("account").await;
    browser.open("/app/w/acme/types/nothing").await;
    assert_eq!(browser.text("h1").await, "Page not found");
    browser.checkpoint("not-found").await;
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
    browser.desktop().await;
    browser.checkpoint("items-en").await;

    // A dark system theme: the console follows it (and stays readable: axe checks contrast).
    let night = browser.dark().await;
    night.open("/app/login").await;
    night.wait_for("#email").await;
    let scheme = "return [matchMedia('(prefers-color-scheme: dark)').matches, getComputedStyle(document.documentElement).backgroundColor]";
    let (dark, light) =
        (night.client.execute(scheme, vec![]).await.unwrap(), browser.client.execute(scheme, vec![]).await.unwrap());
    assert_eq!((dark[0].clone(), light[0].clone()), (json!(true), json!(false)));
    assert_ne!(dark[1], light[1], "the dark theme has its own background");
    night.checkpoint("login-dark").await;
    night.client.close().await.unwrap();

    // Sign out: the console is closed again.
    browser.click("form[action='/app/logout'] button").await;
    browser.wait_for("#email").await;
    browser.open("/app/w").await;
    browser.wait_for("#email").await;
    assert_eq!(browser.path().await, "/app/login?next=%2Fapp%2Fw");
    browser.client.close().await.unwrap();
}

impl Journey {
    /// Sets an input's value as a person's typing would end (date and time inputs take
    /// their value in the browser's locale segments, so they are set directly).
    async fn set(&self, id: &str, value: &str) {
        self.wait_for(&format!("[id='{id}']")).await;
        let script = "const input = document.getElementById(arguments[0]); input.value = arguments[1];
            input.dispatchEvent(new Event('input', { bubbles: true })); input.dispatchEvent(new Event('change', { bubbles: true }));";
        self.client.execute(script, vec![json!(id), json!(value)]).await.unwrap();
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
            texts.push(element.text().await.unwrap());
        }
        texts
    }
}

async fn get_json(port: u16, key: &str, path: &str) -> Value {
    let (status, text) = http_in(port, "GET", path, Some(key), Some("acme"), None).await.unwrap();
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Clientes with Lima, and Contratos with a field of every kind a person fills in.
async fn contratos(port: u16, key: &str) {
    post(port, key, None, "/workspaces", json!({ "name": "Acme" })).await;
    let ws = Some("acme");
    post(port, key, ws, "/ws/types", json!({ "name": "Clientes" })).await;
    post(port, key, ws, "/ws/types/clientes/fields", json!({ "name": "Nome", "slug": "nome", "type": "text" })).await;
    post(port, key, ws, "/ws/types/clientes/items", json!({ "data": { "nome": "Lima" } })).await;
    post(port, key, ws, "/ws/types/clientes/items", json!({ "data": { "nome": "Souza" } })).await;
    post(port, key, ws, "/ws/types", json!({ "name": "Contratos" })).await;
    let options = json!([{ "value": "a", "label": "Alfa" }, { "value": "b", "label": "Beta" }]);
    let child = |name: &str, slug: &str, kind: &str| json!({ "name": name, "slug": slug, "type": kind });
    let fields = [
        json!({ "name": "Titulo", "slug": "titulo", "type": "text", "required": true }),
        json!({ "name": "Resumo", "slug": "resumo", "type": "EnTextArea" }),
        json!({ "name": "Corpo", "slug": "corpo", "type": "EnHtml" }),
        json!({ "name": "Notas", "slug": "notas", "type": "EnNotes" }),
        json!({ "name": "CEP", "slug": "cep", "type": "EnlMask", "config": { "mask": "99999-999" } }),
        json!({ "name": "Contato", "slug": "contato", "type": "email" }),
        json!({ "name": "Qtd", "slug": "qtd", "type": "number" }),
        json!({ "name": "Valor", "slug": "valor", "type": "EnCurrency" }),
        json!({ "name": "Tipo", "slug": "tipo", "type": "select", "options": options }),
        json!({ "name": "Canal", "slug": "canal", "type": "radioButton", "options": options }),
        json!({ "name": "Areas", "slug": "areas", "type": "multiSelect", "options": options }),
        json!({ "name": "Caixas", "slug": "caixas", "type": "checkbox", "options": options }),
        json!({ "name": "Tags", "slug": "tags", "type": "EnlChips" }),
        json!({ "name": "Local", "slug": "local", "type": "EnTreeSelect", "options": [{ "value": "p", "label": "Predial", "children": [{ "value": "e", "label": "Elétrica" }] }] }),
        json!({ "name": "Urgente", "slug": "urgente", "type": "boolean" }),
        json!({ "name": "Prazo", "slug": "prazo", "type": "date" }),
        json!({ "name": "Inicio", "slug": "inicio", "type": "date", "config": { "date_only": true } }),
        json!({ "name": "Cliente", "slug": "cliente", "type": "EnRel", "config": { "rel": { "collection": "clientes", "displayString": "nome" } } }),
        json!({ "name": "Outros", "slug": "outros", "type": "EnRelMulti", "config": { "rel": { "collection": "clientes", "displayString": "nome" } } }),
        json!({ "name": "Pessoa", "slug": "pessoa", "type": "EnPerson" }),
        json!({ "name": "Endereco", "slug": "endereco", "type": "EnAddress" }),
        json!({ "name": "Anexos", "slug": "anexos", "type": "uploadFile" }),
        json!({ "name": "Grupo", "slug": "grupo", "type": "group", "nested": [child("Obs", "obs", "text")] }),
        json!({ "name": "Itens", "slug": "itens", "type": "EnRepeater", "nested": [child("Produto", "produto", "text"), child("Quantidade", "quantidade", "number")] }),
        json!({ "name": "Codigo", "slug": "codigo", "type": "EnCustomCode", "config": { "components": [{ "type": "text", "value": "CT-" }, { "type": "counter", "width": 3 }] } }),
    ];
    for field in fields {
        post(port, key, ws, "/ws/types/contratos/fields", field).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_with_every_kind_of_field_is_created_found_edited_and_its_history_shows_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let server = Server::start(dir.path(), &url).await;
    let key = create_user(dir.path(), &url, "ana@example.com");
    contratos(server.port, &key).await;
    let Some(browser) = Journey::start(&server).await else { return };
    browser.sign_in("ana@example.com").await;

    browser.open("/app/w/acme/types/contratos").await;
    browser.click("a[data-shortcut=n]").await;
    browser.wait_for("form.item-form").await;
    browser.checkpoint("item-new").await;
    for (id, value) in [
        ("data-titulo", "Manutenção"),
        ("data-resumo", "Linha 1\nLinha 2"),
        ("data-corpo", "<p>Olá</p>"),
        ("data-notas", "nota"),
        ("data-cep", "50030-230"),
        ("data-contato", "ops@example.com"),
        ("data-qtd", "2,5"),
        ("data-valor-value", "1234,56"),
        ("data-tags", "x, y"),
        ("data-pessoa-name", "Ana"),
        ("data-pessoa-cpf", "529.982.247-25"),
        ("data-endereco-city", "Recife"),
        ("data-endereco-state", "PE"),
        ("data-grupo-obs", "observação"),
        ("data-itens-0-produto", "Cabo"),
        ("data-itens-0-quantidade", "3"),
    ] {
        browser.fill(&format!("[id='{id}']"), value).await;
    }
    browser.set("data-prazo", "2026-09-30T18:04").await;
    browser.set("data-inicio", "2026-10-01").await;
    browser.wait_for("#data-valor-currency").await.select_by_value("USD").await.unwrap();
    browser.wait_for("#data-tipo").await.select_by_value("b").await.unwrap();
    for css in [
        "#data-canal input[value=a]",
        "#data-areas input[value=a]",
        "#data-areas input[value=b]",
        "#data-caixas input[value=b]",
        "#data-local input[value='p.e']",
        "#data-urgente",
    ] {
        browser.click(css).await;
    }
    // The relation: search, then choose (htmx and the page's script fill the reference in).
    browser.fill("#data-cliente-search", "Lim").await;
    browser.click("#data-cliente-results button[data-fill]").await;
    let lima: String = browser.wait_for("#data-cliente").await.prop("value").await.unwrap().unwrap();
    assert!(lima.starts_with("CLI"), "{lima}");
    let clientes = get_json(server.port, &key, "/ws/types/clientes/items?data.nome=Souza").await;
    browser.fill("#data-outros-add", clientes[0]["reference"].as_str().unwrap()).await;
    // A file, uploaded as it is chosen.
    let upload = dir.path().join("contrato.pdf");
    std::fs::write(&upload, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF").unwrap();
    browser.wait_for("#data-anexos-upload").await.send_keys(upload.to_str().unwrap()).await.unwrap();
    browser.wait_for("#data-anexos-files input[type=checkbox]").await;
    browser.click("form.item-form .actions button[type=submit]").await;

    browser.wait_for("#item-reference").await;
    let reference = browser.text("#item-reference").await;
    let item = get_json(server.port, &key, &format!("/ws/types/contratos/items/{reference}")).await;
    let data = item["data"].clone();
    let file_id = data["anexos"][0]["id"].clone();
    assert_eq!(data["anexos"][0]["filename"], "contrato.pdf");
    assert_eq!(data["cliente"]["reference"], lima.as_str());
    assert_eq!(data["outros"][0]["display"], "Souza");
    let mut expected = json!({
        "titulo": "Manutenção", "resumo": "Linha 1\nLinha 2", "corpo": "<p>Olá</p>", "notas": "nota", "cep": "50030-230",
        "contato": "ops@example.com", "qtd": 2.5, "valor": { "value": 1234.56, "currency": "USD", "originalValue": 1234.56 },
        "tipo": "b", "canal": "a", "areas": ["a", "b"], "caixas": ["b"], "tags": ["x", "y"], "local": "p.e", "urgente": true,
        "prazo": "2026-09-30T21:04:00.000Z", "inicio": "2026-10-01",
        "pessoa": { "person_type": "PF", "name": "Ana", "cpf": "529.982.247-25" }, "endereco": { "city": "Recife", "state": "PE" },
        "grupo": { "obs": "observação" }, "itens": [{ "produto": "Cabo", "quantidade": 3 }], "codigo": "CT-001",
    });
    for key in ["cliente", "outros", "anexos"] {
        expected[key] = data[key].clone();
    }
    assert_eq!(data, expected, "the form's values, as the API holds them");
    let _ = file_id;
    browser.checkpoint("item-page").await;

    // Found by the table's filters: an option and a date range.
    browser.open("/app/w/acme/types/contratos").await;
    browser.click("details.filters summary").await;
    browser.click("#filter-tipo input[value=b]").await;
    browser.set("created-from", "2020-01-01").await;
    browser.click_and_settle(".search-row button[type=submit]").await;
    assert_eq!(browser.texts("table.items tbody tr").await.len(), 1);
    // The address holds the query (htmx pushes it with the swap).
    let started = Instant::now();
    loop {
        let path = browser.path().await;
        if path.contains("data.tipo_in=b") && path.contains("created_at_gte=2020-01-01") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the address is not the query: {path}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    browser.checkpoint("items-filtered").await;

    // Edit two fields in place; the history shows exactly those.
    browser.click("table.items tbody th a").await;
    browser.wait_for("form.item-form").await;
    browser.fill("#data-titulo", "Manutenção preventiva").await;
    browser.fill("#data-qtd", "3").await;
    browser.click_and_leave("form.item-form .actions button[type=submit]").await;
    browser.wait_for("#item-reference").await;
    browser.open(&format!("/app/w/acme/types/contratos/{reference}?tab=history")).await;
    browser.wait_for(".history").await;
    assert_eq!(
        browser.texts(".history > li:first-child .change").await,
        ["Titulo: Manutenção → Manutenção preventiva", "Qtd: 2,5 → 3"]
    );
    browser.checkpoint("item-history").await;
    browser.client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_member_signs_up_in_a_fresh_browser_and_never_sees_a_hidden_field_and_a_public_form_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let server = Server::start(dir.path(), &url).await;
    let key = create_user(dir.path(), &url, "ana@example.com");
    let port = server.port;
    post(port, &key, None, "/workspaces", json!({ "name": "Acme" })).await;
    let ws = Some("acme");
    post(port, &key, ws, "/ws/types", json!({ "name": "Pedidos" })).await;
    post(
        port,
        &key,
        ws,
        "/ws/types/pedidos/fields",
        json!({ "name": "Cliente", "slug": "cliente", "type": "text", "required": true }),
    )
    .await;
    post(port, &key, ws, "/ws/types/pedidos/fields", json!({ "name": "Segredo", "slug": "segredo", "type": "text" }))
        .await;
    post(port, &key, ws, "/ws/types/pedidos/items", json!({ "data": { "cliente": "Lima", "segredo": "cofre-42" } }))
        .await;
    let role = post(
        port,
        &key,
        ws,
        "/ws/roles",
        json!({ "name": "Leitura", "permissions": [
        { "reference": "types::pedidos::read", "fields": ["data.cliente", "status", "created_at"] }] }),
    )
    .await;
    let form = post(
        port,
        &key,
        ws,
        "/ws/types/pedidos/forms",
        json!({ "name": "Pedido pelo site", "type": "create",
        "visibility": "public", "fields": [{ "refId": "cliente", "required": true }] }),
    )
    .await;
    let Some(ana) = Journey::start(&server).await else { return };

    ana.sign_in("ana@example.com").await;
    ana.open("/app/w/acme/settings/members").await;
    ana.fill("#invite-email", "caio@example.com").await;
    ana.wait_for("#invite-role").await.select_by_value(&role["id"].to_string()).await.unwrap();
    ana.click("form[action='/app/w/acme/settings/members'] button[type=submit]").await;
    let link = ana.text("#invitation-url").await;
    ana.checkpoint("settings-members").await;
    ana.open(&format!("/app/w/acme/settings/roles/{}", role["id"])).await;
    ana.wait_for("table.matrix").await;
    ana.checkpoint("settings-role").await;
    ana.open("/app/w/acme/settings/groups").await;
    ana.wait_for("#group-name").await;
    ana.checkpoint("settings-groups").await;
    ana.open("/app/account/keys").await;
    ana.wait_for("#key-description").await;
    ana.checkpoint("account-keys").await;

    // Caio, in a browser of his own, accepts and lands in the workspace.
    let caio = ana.fresh().await;
    caio.client.goto(&link).await.unwrap();
    caio.wait_for("#fname").await;
    assert_eq!(caio.path().await.split('?').next(), Some("/app/invite"));
    caio.checkpoint("invite").await;
    caio.fill("#fname", "Caio").await;
    caio.fill("#lname", "Reis").await;
    caio.fill("#password", PASSWORD).await;
    caio.click("form button[type=submit]").await;
    caio.wait_for("#categories-title").await;
    assert_eq!(caio.path().await, "/app/w/acme");
    assert_eq!(caio.text(".user-name").await, "Caio Reis");

    // The field his role does not read is on no page he reaches.
    caio.open("/app/w/acme/types/pedidos").await;
    caio.wait_for("table.items").await;
    assert_eq!(caio.texts("table.items thead th").await, ["Referência", "Cliente"]);
    caio.open("/app/w/acme/types/pedidos?cols=data.segredo&cols=data.cliente").await;
    caio.wait_for("table.items").await;
    caio.click("table.items tbody th a").await;
    caio.wait_for("#item-reference").await;
    for page in ["table", "item"] {
        let source = caio.client.source().await.unwrap();
        assert!(!source.contains("cofre-42") && !source.contains("Segredo"), "{page}: {source}");
        if page == "table" {
            caio.open("/app/w/acme/types/pedidos").await;
        }
    }
    caio.checkpoint("item-page-restricted").await;
    caio.client.close().await.unwrap();

    // Anyone with the link answers the public form.
    let visitor = ana.fresh().await;
    visitor.open(&format!("/app/f/{}", form["hash"].as_str().unwrap())).await;
    visitor.wait_for("#data-cliente").await;
    visitor.checkpoint("public-form").await;
    visitor.click("form.item-form .actions button[type=submit]").await;
    assert_eq!(visitor.text(".error-summary li").await, "Cliente: is required");
    visitor.fill("#data-cliente", "Maria").await;
    visitor.fill("#request_email", "maria@example.com").await;
    visitor.click("form.item-form .actions button[type=submit]").await;
    assert_eq!(visitor.text("#form-sent").await, "Resposta enviada. Obrigado!");
    visitor.checkpoint("public-form-sent").await;
    visitor.client.close().await.unwrap();
    let answered = get_json(port, &key, "/ws/types/pedidos/items?data.cliente=Maria").await;
    assert_eq!(answered[0]["request_email"], "maria@example.com");
    ana.client.close().await.unwrap();
}

impl Journey {
    /// Signs in as `email` (from the sign-in page) and waits for the first page.
    async fn sign_in(&self, email: &str) {
        self.open("/app/login").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("form button[type=submit]").await;
        self.wait_for("#categories-title").await;
    }

    /// Marks the current document: [`Journey::same_document`] then says whether the browser
    /// is still on it (nothing reloaded it).
    async fn mark_document(&self) {
        self.client.execute("window.__journeyMark = 'kept';", vec![]).await.unwrap();
    }

    /// Texts as one line each (a lane title's name and count sit apart on screen; a visually
    /// hidden word is a line of its own to WebDriver).
    async fn flat_texts(&self, css: &str) -> Vec<String> {
        self.texts(css).await.into_iter().map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
    }

    async fn same_document(&self) -> bool {
        self.client.execute("return window.__journeyMark === 'kept';", vec![]).await.unwrap() == json!(true)
    }

    /// Waits until the live stream says it is connected (the header's indicator).
    async fn live(&self) {
        self.wait_for("#live-status[data-state=on]").await;
    }
}

/// Pedidos and its flow Atendimento: Triagem (Classificar: Tipo required; closes the stage; due
/// an hour after Prazo) → Execução. Answers the flow's and the two stages' ids.
async fn atendimento(port: u16, key: &str) -> (i64, i64, i64) {
    let ws = Some("acme");
    post(port, key, None, "/workspaces", json!({ "name": "Acme" })).await;
    post(port, key, ws, "/ws/types", json!({ "name": "Pedidos" })).await;
    for field in [
        json!({ "name": "Cliente", "slug": "cliente", "type": "text" }),
        json!({ "name": "Tipo", "slug": "tipo", "type": "select",
            "options": [{ "value": "compra", "label": "Compra" }, { "value": "venda", "label": "Venda" }] }),
        json!({ "name": "Prazo", "slug": "prazo", "type": "date" }),
    ] {
        post(port, key, ws, "/ws/types/pedidos/fields", field).await;
    }
    let flow = post(port, key, ws, "/c-type-flows", json!({ "name": "Atendimento", "item_type": "pedidos" })).await;
    let triagem =
        post(port, key, ws, "/c-flow-stages", json!({ "flow": flow["id"], "name": "Triagem", "hex_color": "#1e88e5" }))
            .await;
    let execucao = post(
        port,
        key,
        ws,
        "/c-flow-stages",
        json!({ "flow": flow["id"], "name": "Execução", "hex_color": "#43a047" }),
    )
    .await;
    post(
        port,
        key,
        ws,
        "/c-flow-transitions",
        json!({ "flow": flow["id"], "from": triagem["id"], "to": execucao["id"] }),
    )
    .await;
    post(
        port,
        key,
        ws,
        "/c-stage-tasks",
        json!({ "stage": triagem["id"], "name": "Classificar", "description": "Escolha o tipo do pedido.",
            "action": "close_stage", "fields": [{ "refId": "tipo", "required": true }],
            "sla": 1, "sla_type": "hours", "sla_origin": "field", "sla_field": "prazo" }),
    )
    .await;
    post(
        port,
        key,
        ws,
        "/c-stage-tasks",
        json!({ "stage": execucao["id"], "name": "Executar", "action": "close_flow" }),
    )
    .await;
    let id = |v: &Value| v["id"].as_i64().unwrap();
    (id(&flow), id(&triagem), id(&execucao))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_task_is_taken_and_completed_and_a_second_browser_sees_the_card_move() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let server = Server::start(dir.path(), &url).await;
    let key = create_user(dir.path(), &url, "ana@example.com");
    let (flow, triagem, execucao) = atendimento(server.port, &key).await;
    let Some(browser) = Journey::start(&server).await else { return };
    browser.sign_in("ana@example.com").await;

    // A second browser watches the flow's board before anything runs.
    let board = format!("/app/w/acme/flows/{flow}/board");
    let watcher = browser.fresh().await;
    watcher.sign_in("ana@example.com").await;
    watcher.open(&board).await;
    watcher.wait_for(&format!("#lane-{triagem}")).await;
    watcher.live().await;
    assert_eq!(watcher.flat_texts(".lane h2").await, ["Triagem 0", "Execução 0"]);
    watcher.mark_document().await;

    // An item made through its form starts the flow: its first task is late (Prazo is past).
    browser.open("/app/w/acme/types/pedidos/new").await;
    browser.fill("[id='data-cliente']", "Lima").await;
    browser.set("data-prazo", "2026-01-05T09:00").await;
    browser.click_and_leave("form.item-form button[type=submit]").await;
    let reference = browser.text("#item-reference").await;
    let card = |stage: i64| format!("#lane-{stage} article.card[data-reference='{reference}']");
    watcher.wait_for(&card(triagem)).await;
    assert!(watcher.same_document().await, "the board changed without a reload");
    assert_eq!(watcher.flat_texts(".lane h2").await, ["Triagem 1", "Execução 0"]);

    // My tasks: under Atrasadas, with the menu's badge; taken.
    browser.open("/app/w/acme/tasks/scheduled").await;
    browser.wait_for("#group-overdue a.task-link").await;
    assert_eq!(browser.texts("#group-overdue a.task-link").await, ["Classificar"]);
    assert_eq!(browser.text("#overdue-badge [aria-hidden]").await, "1");
    browser.checkpoint("tasks-inbox").await;
    browser.click_and_leave("#group-overdue button.take").await;
    browser.wait_for("#group-overdue a.task-link").await;
    assert_eq!(browser.text("#group-overdue tbody td:nth-child(7)").await, "Trabalhando");

    // Completed without its required answer: the summary names it; then with it.
    browser.click_and_leave("#group-overdue a.task-link").await;
    browser.wait_for("#complete-form").await;
    assert_eq!(browser.text("#closes").await, "Concluir esta tarefa conclui a etapa Triagem.");
    browser.checkpoint("task-complete").await;
    browser.click_and_leave("#complete").await;
    assert_eq!(browser.texts(".error-summary li").await, ["Tipo: is required by this task"]);
    browser.checkpoint("task-missing-answer").await;
    browser.wait_for("#data-tipo").await.select_by_value("compra").await.unwrap();
    browser.click_and_leave("#complete").await;
    assert_eq!(browser.text("#task-closed").await, "Tarefa concluída.");

    // The item's Fluxo tab: Execução now, Triagem closed by Ana.
    browser.open(&format!("/app/w/acme/types/pedidos/{reference}?tab=flow")).await;
    assert_eq!(browser.flat_texts(".stage-strip li[aria-current=step]").await, ["Execução (Etapa atual)"]);
    assert!(browser.texts(".timeline li").await[1].contains("ana@example.com"));
    browser.checkpoint("item-flow").await;

    // The second browser saw the card move to Execução, on the same page.
    watcher.wait_for(&card(execucao)).await;
    assert!(watcher.same_document().await, "the card moved without a reload");
    assert_eq!(watcher.flat_texts(".lane h2").await, ["Triagem 0", "Execução 1"]);
    watcher.checkpoint("flow-board").await;

    // An open edit form is not replaced when someone else changes the item: a banner says so.
    browser.open(&format!("/app/w/acme/types/pedidos/{reference}")).await;
    browser.live().await;
    browser.fill("[id='data-cliente']", "Lima e Filhos").await;
    let body = json!({ "data": { "cliente": "Souza" } }).to_string();
    let path = format!("/ws/types/pedidos/items/{reference}");
    let (status, _) = http_in(server.port, "PUT", &path, Some(&key), Some("acme"), Some(&body)).await.unwrap();
    assert_eq!(status, 200);
    browser.wait_for("#stale:not([hidden])").await;
    let typed = browser.wait_for("[id='data-cliente']").await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("Lima e Filhos"), "what was typed stays");
    browser.checkpoint("item-changed-elsewhere").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_task_is_made_moved_by_keyboard_and_drag_archived_trashed_and_restored() {
    use fantoccini::key::Key;
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let server = Server::start(dir.path(), &url).await;
    let key = create_user(dir.path(), &url, "ana@example.com");
    post(server.port, &key, None, "/workspaces", json!({ "name": "Acme" })).await;
    post(
        server.port,
        &key,
        Some("acme"),
        "/ws/tasks",
        json!({ "name": "Revisar contrato", "points": 3, "status": "blocked" }),
    )
    .await;
    let Some(browser) = Journey::start(&server).await else { return };
    browser.sign_in("ana@example.com").await;
    let lanes = || browser.flat_texts(".quick-lane h2");

    // Made from the board's form.
    browser.open("/app/w/acme/tasks/quick").await;
    browser.click("#new-task").await;
    browser.fill("#task-name", "Ligar para o cliente").await;
    browser.set("task-due_date", "2099-03-10T09:30").await;
    browser.fill("#task-points", "5").await;
    browser.wait_for("#task-priority").await.select_by_value("urgent").await.unwrap();
    browser.click_and_leave("#create-task").await;
    browser.wait_for("#lane-pending article.card").await;
    assert_eq!(lanes().await, ["Pendente 1", "Em andamento 0", "Bloqueada 1", "Concluída 0"]);
    assert_eq!(browser.text("#lane-pending .lane-points").await, "5 pts");
    browser.checkpoint("quick-board").await;
    let id = browser.wait_for("#lane-pending article.card").await.attr("data-card").await.unwrap().unwrap();
    let card = format!("#card-{id}");

    // Moved with the keyboard: open the card's menu, pick the next lane, send.
    let menu = browser.wait_for(&format!("{card} .card-menu summary")).await;
    menu.send_keys(&Key::Enter.to_string()).await.unwrap();
    let select = browser.wait_for(&format!("#move-{id}")).await;
    select.send_keys(&Key::Down.to_string()).await.unwrap();
    let old = browser.document().await;
    browser.wait_for(&format!("{card} .move-form button")).await.send_keys(&Key::Enter.to_string()).await.unwrap();
    browser.until_left(old, "the keyboard's move").await;
    browser.wait_for(&format!("#lane-working {card}")).await;
    assert_eq!(lanes().await, ["Pendente 0", "Em andamento 1", "Bloqueada 1", "Concluída 0"]);

    // Dragged to Concluída (the browser's drag events, as a mouse makes them).
    let old = browser.document().await;
    let drag = "const card = document.querySelector('[data-card=\"' + arguments[0] + '\"]');
        const lane = document.getElementById('lane-completed');
        const data = new DataTransfer();
        card.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: data }));
        lane.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
        lane.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));";
    browser.client.execute(drag, vec![json!(id)]).await.unwrap();
    browser.until_left(old, "the drop").await;
    browser.wait_for(&format!("#lane-completed {card}")).await;
    assert_eq!(lanes().await, ["Pendente 0", "Em andamento 0", "Bloqueada 1", "Concluída 1"]);

    // Archived: off the board, in Arquivadas; back, then to the trash, and restored.
    browser.click(&format!("{card} .card-menu summary")).await;
    browser.click_and_leave(&format!("{card} .act-archive")).await;
    browser.wait_for(".quick-lane").await;
    assert_eq!(lanes().await, ["Pendente 0", "Em andamento 0", "Bloqueada 1", "Concluída 0"]);
    browser.open("/app/w/acme/tasks/quick?view=archived").await;
    browser.wait_for(card.as_str()).await;
    browser.checkpoint("quick-archived").await;
    browser.click(&format!("{card} .card-menu summary")).await;
    browser.click_and_leave(&format!("{card} .act-unarchive")).await;
    browser.open("/app/w/acme/tasks/quick").await;
    browser.click(&format!("{card} .card-menu summary")).await;
    browser.click_and_leave(&format!("{card} .act-trash")).await;
    browser.wait_for(".quick-lane").await;
    assert_eq!(lanes().await, ["Pendente 0", "Em andamento 0", "Bloqueada 1", "Concluída 0"]);
    browser.open("/app/w/acme/tasks/quick?view=trash").await;
    browser.click(&format!("{card} .card-menu summary")).await;
    browser.checkpoint("quick-trash").await;
    browser.click_and_leave(&format!("{card} .act-restore")).await;
    browser.open("/app/w/acme/tasks/quick").await;
    browser.wait_for(&format!("#lane-completed {card}")).await;
    assert_eq!(lanes().await, ["Pendente 0", "Em andamento 0", "Bloqueada 1", "Concluída 1"]);
    let task = get_json(server.port, &key, &format!("/ws/tasks/{id}")).await;
    assert_eq!(
        (&task["status"], &task["archived"], &task["deleted_at"], &task["priority"]),
        (&json!("completed"), &json!(false), &Value::Null, &json!("urgent"))
    );

    // The Agenda shows what is still to do on its day (not the done one); the calendar's and
    // the notifications' settings pages.
    let due = json!({ "name": "Renovar seguro", "due_date": "2099-03-12T12:00:00.000Z" });
    post(server.port, &key, Some("acme"), "/ws/tasks", due).await;
    browser.open("/app/w/acme/calendar?month=2099-03").await;
    assert_eq!(browser.text("td[data-date='2099-03-12'] a").await, "09:00 Renovar seguro");
    assert!(browser.texts("td[data-date='2099-03-10'] a").await.is_empty());
    browser.checkpoint("agenda").await;
    browser.open("/app/w/acme/settings/calendar").await;
    browser.wait_for("#calendar-form").await;
    browser.checkpoint("settings-calendar").await;
    browser.open("/app/w/acme/settings/notifications").await;
    browser.wait_for("#notifications-form").await;
    browser.checkpoint("settings-notifications").await;
}
