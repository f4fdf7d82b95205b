//! The harness of the process tests: the real `enspace` binary started on free ports, one
//! HTTP/1.1 request per connection, the database each test's servers share, and the fakes
//! several tests drive them with.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use enspace_store::{Db, DbOptions};
use enspace_testkit::TestDatabase;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn collect(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let out = Arc::new(Mutex::new(String::new()));
    let sink = out.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    out
}

impl Server {
    pub(crate) async fn start(data_dir: &std::path::Path, database_url: &str) -> Server {
        Server::start_with(data_dir, database_url, &[]).await
    }

    pub(crate) async fn start_with(data_dir: &std::path::Path, database_url: &str, extra: &[&str]) -> Server {
        Server::start_env(data_dir, database_url, extra, &[]).await
    }

    /// [`Server::start_with`] with environment variables (what an operator sets for secrets).
    pub(crate) async fn start_env(
        data_dir: &std::path::Path,
        database_url: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_enspace"))
            .envs(env.iter().copied())
            .args(["--data-dir", data_dir.to_str().unwrap(), "--database-url", database_url, "--log", "debug"])
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--rate-limit-per-second",
                "100000",
                "--rate-limit-burst",
                "100000",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start enspace");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        let server = Server { child, port, stdout, stderr };
        let started = Instant::now();
        while http(port, "GET", "/health", None, None).await.ok().map(|r| r.0) != Some(200) {
            assert!(started.elapsed() < Duration::from_secs(30), "server did not start: {}", server.stderr());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub(crate) fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub(crate) fn first_run_key(&self) -> Option<String> {
        let out = self.stdout();
        out.split_whitespace().find(|w| enspace_domain::key::is_well_formed(w)).map(str::to_string)
    }

    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    pub(crate) fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < limit, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection: (status, body).
pub(crate) async fn http(
    port: u16,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    http_in(port, method, path, key, None, body).await
}

/// [`http`] with an `en-workspace` header.
pub(crate) async fn http_in(
    port: u16,
    method: &str,
    path: &str,
    key: Option<&str>,
    workspace: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.unwrap_or("");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(key) = key {
        request.push_str(&format!("x-api-key: {key}\r\n"));
    }
    if let Some(workspace) = workspace {
        request.push_str(&format!("en-workspace: {workspace}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// 32 clients POST `body(client, n)` to `path` until the server is SIGKILLed, which happens once
/// 200 creations were answered; answers the references of every answered creation.
pub(crate) async fn burst_until_killed(
    server: &mut Server,
    key: &str,
    path: &'static str,
    workspace: Option<&'static str>,
    body: fn(usize, usize) -> String,
) -> Vec<String> {
    let (port, key) = (server.port, Arc::new(key.to_string()));
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for task in 0..32 {
        let (key, answered, count) = (key.clone(), answered.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..1000 {
                match http_in(port, "POST", path, Some(&key), workspace, Some(&body(task, i))).await {
                    Ok((201, text)) => {
                        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                        answered.lock().unwrap().push(json["reference"].as_str().unwrap().to_string());
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok((status, text)) => panic!("unexpected {status}: {text}"),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    let started = Instant::now();
    while count.load(Ordering::SeqCst) < 200 {
        assert!(started.elapsed() < Duration::from_secs(60), "the burst is too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().unwrap(); // SIGKILL, mid-burst
    server.child.wait().unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 200);
    answered
}

/// Workspace `acme` with type `pedidos` and its text field `nome`, through the server at `port`.
pub(crate) async fn acme_with_pedidos(port: u16, key: &str) {
    for (path, workspace, body) in [
        ("/workspaces", None, r#"{"name":"Acme"}"#),
        ("/ws/types", Some("acme"), r#"{"name":"Pedidos"}"#),
        ("/ws/types/pedidos/fields", Some("acme"), r#"{"name":"Nome","slug":"nome","type":"text"}"#),
    ] {
        let (status, text) = http_in(port, "POST", path, Some(key), workspace, Some(body)).await.unwrap();
        assert_eq!(status, 201, "{path}: {text}");
    }
}

/// The database the server runs on: SQLite in `dir`, or a fresh PostgreSQL database.
pub(crate) async fn database(dir: &std::path::Path) -> (String, Option<TestDatabase>) {
    let test_db = TestDatabase::create().await;
    if test_db.is_postgres() {
        (test_db.url.clone(), Some(test_db))
    } else {
        (format!("sqlite://{}", dir.join("enspace.db").display()), None)
    }
}

pub(crate) fn enspace<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_enspace")).args(args).output().expect("run enspace")
}

/// A fake SendGrid that answers each send slowly (so a kill can land mid-sending) and keeps an
/// Email Activity of every email it received, found by its `enspace_send` argument.
pub(crate) async fn fake_sendgrid() -> enspace_testkit::FakeProvider {
    let fake = enspace_testkit::FakeProvider::start().await;
    fake.reply(
        "POST",
        "/v3/mail/send",
        vec![enspace_testkit::Reply::status(202).header("x-message-id", "m").delay(Duration::from_millis(40))],
    );
    fake.respond_with(
        "GET",
        "/v3/messages",
        std::sync::Arc::new(|request, before| {
            let query: std::collections::HashMap<String, String> =
                form_urlencoded::parse(request.query.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
            let messages: Vec<serde_json::Value> = before
                .iter()
                .filter(|r| r.method == "POST")
                .filter(|r| {
                    let key = r.json()["custom_args"]["enspace_send"].as_str().unwrap_or_default().to_string();
                    query["query"] == format!("unique_args['enspace_send']=\"{key}\"")
                })
                .map(|_| serde_json::json!({ "msg_id": "m.filter-1", "status": "delivered" }))
                .collect();
            enspace_testkit::Reply::json(200, serde_json::json!({ "messages": messages }))
        }),
    );
    fake
}

/// How many times SendGrid received each subject.
pub(crate) fn subjects(fake: &enspace_testkit::FakeProvider) -> std::collections::BTreeMap<String, usize> {
    let mut times = std::collections::BTreeMap::new();
    for request in fake.received().iter().filter(|r| r.method == "POST") {
        *times.entry(request.json()["subject"].as_str().unwrap().to_string()).or_default() += 1;
    }
    times
}

/// Every answered reference is in `table` of the database at `url`: a crash lost nothing a client
/// was told succeeded.
pub(crate) async fn assert_none_lost(url: &str, table: &str, answered: &[String]) {
    let db = Db::connect(&DbOptions { url: url.to_string(), max_connections: 2 }).await.unwrap();
    let rows = db.fetch_all(&format!("SELECT reference FROM {table}"), &[]).await.unwrap();
    let stored: std::collections::HashSet<String> = rows.iter().map(|r| r.text("reference").unwrap()).collect();
    let lost: Vec<&String> = answered.iter().filter(|r| !stored.contains(*r)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered creations were lost: {:?}",
        lost.len(),
        answered.len(),
        &lost[..lost.len().min(5)]
    );
    db.close().await;
}

/// Workspace Acme with SendGrid in production mode (so an interrupted send is looked up in
/// its Email Activity, not repeated), through the server at `port`.
pub(crate) async fn acme_with_sendgrid(port: u16, key: &str) {
    assert_eq!(http(port, "POST", "/workspaces", Some(key), Some(r#"{"name":"Acme"}"#)).await.unwrap().0, 201);
    let install = r#"{"integration":4,"data":{"environment":"production","api_key":"SG.k","from_email":"a@acme.com"}}"#;
    assert_eq!(http_in(port, "POST", "/integrations", Some(key), Some("acme"), Some(install)).await.unwrap().0, 201);
}

/// Acme with SendGrid, and `total` emails queued through the server at `port` (each accepted).
pub(crate) async fn queue_emails(port: u16, key: &str, total: usize) {
    acme_with_sendgrid(port, key).await;
    for i in 0..total {
        let email = format!(r#"{{"to":["p{i}@example.com"],"subject":"n{i}","text":"t"}}"#);
        let (status, body) = http_in(port, "POST", "/ws/emails", Some(key), Some("acme"), Some(&email)).await.unwrap();
        assert_eq!(status, 202, "{body}");
    }
}

/// Waits until the server at `port` lists `total` of Acme's emails as sent (60 s at most).
pub(crate) async fn until_emails_sent(port: u16, key: &str, total: usize, servers: &[&Server]) {
    let started = Instant::now();
    loop {
        let (_, sent) =
            http_in(port, "GET", "/ws/emails?status=sent&_limit=1000", Some(key), Some("acme"), None).await.unwrap();
        let sent: serde_json::Value = serde_json::from_str(&sent).unwrap();
        if sent.as_array().map(Vec::len) == Some(total) {
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let logs: Vec<String> = servers.iter().map(|s| s.stderr()).collect();
            panic!("not every email was sent: {sent}\n{}", logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each of `expected` sends arrived exactly once: `times` counts arrivals by what identifies a
/// send (a subject, an email id, a message body).
pub(crate) fn assert_each_once<K: std::fmt::Debug>(
    times: &std::collections::BTreeMap<K, usize>,
    expected: usize,
    what: &str,
) {
    assert_eq!(times.len(), expected, "{what}: {times:?}");
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
}

/// How many times SendGrid received each email (by its `enspace_email` argument).
pub(crate) fn sends_per_email(fake: &enspace_testkit::FakeProvider) -> std::collections::BTreeMap<String, usize> {
    let mut times = std::collections::BTreeMap::new();
    for request in fake.received().iter().filter(|r| r.method == "POST") {
        *times.entry(request.json()["custom_args"]["enspace_email"].as_str().unwrap().to_string()).or_default() += 1;
    }
    times
}

/// Acme with SendGrid in production mode (so an interrupted send is looked up, not repeated)
/// and `tasks` quick tasks due in two days, their first reminders made due now. Answers the
/// database the server runs on.
pub(crate) async fn reminders_due_now(port: u16, key: &str, url: &str, tasks: usize) {
    acme_with_sendgrid(port, key).await;
    let due = enspace_domain::time::format_ms(enspace_domain::time::now_ms() + 2 * 86_400_000);
    for i in 0..tasks {
        let task = format!(r#"{{"name":"Lembrete {i:03}","due_date":"{due}"}}"#);
        let (status, body) = http_in(port, "POST", "/ws/tasks", Some(key), Some("acme"), Some(&task)).await.unwrap();
        assert_eq!(status, 201, "{body}");
    }
    // A day passes: each task's "1 day before" falls due.
    let db = Db::connect(&DbOptions { url: url.to_string(), max_connections: 2 }).await.unwrap();
    let moved = db
        .execute("UPDATE jobs SET run_at = $1 WHERE kind = 'deadline.notify'", &[enspace_domain::time::now_ms().into()])
        .await
        .unwrap();
    assert_eq!(moved, tasks as u64);
    db.close().await;
}

/// Waits until SendGrid received `n` reminders (60 s at most), then two more lease times for
/// anything that would go out twice.
pub(crate) async fn until_sent(fake: &enspace_testkit::FakeProvider, n: usize, servers: &[&Server]) {
    let started = Instant::now();
    while subjects(fake).len() < n {
        if started.elapsed() > Duration::from_secs(60) {
            let logs: Vec<String> = servers.iter().map(|s| s.stderr()).collect();
            panic!("{} of {n} reminders sent: {:?}\n{}", subjects(fake).len(), subjects(fake), logs.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
}
