//! The real binary, over real TCP: first run, crash safety, graceful shutdown. (Several
//! processes on one database: `cluster.rs`.)

use std::{
    process::Command,
    time::{Duration, Instant},
};

use enspace_store::{Db, DbOptions};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::server::{
    acme_with_pedidos, assert_each_once, assert_none_lost, burst_until_killed, database, enspace, fake_sendgrid, http,
    http_in, queue_emails, reminders_due_now, sends_per_email, subjects, until_emails_sent, until_sent, Server,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_prints_one_key_once_and_never_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let mut server = Server::start(dir.path(), &url).await;
    let key = server.first_run_key().expect("the first run prints a key");
    assert_eq!(server.stdout().matches(&key).count(), 2, "the key and the curl hint: {}", server.stdout());
    assert!(server.stdout().contains("FIRST RUN"));
    let (status, body) = http(server.port, "GET", "/workspaces", Some(&key), None).await.unwrap();
    assert_eq!((status, body.as_str()), (200, "[]"));
    let (status, body) = http(server.port, "GET", "/user", Some(&key), None).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("\"email\":\"admin@localhost\""), "{body}");
    // Past the API's header limit the answer is the error body, not hyper's empty 431.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let mut request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".to_string();
    for n in 0..150 {
        request.push_str(&format!("x-extra-{n}: {n}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
    assert!(
        response.ends_with(r#"{"statusCode":431,"error":"Request Header Fields Too Large","message":"Too many request headers: 152, at most 100"}"#),
        "{response}"
    );
    server.signal("TERM");
    assert!(server.wait(Duration::from_secs(30)).success());
    assert!(!server.stderr().contains(&key[3..]), "the key reached the log");
    // The log goes to a pipe here, not a terminal: no colour codes in it.
    assert!(server.stderr().contains("listening") && !server.stderr().contains('\u{1b}'), "{}", server.stderr());

    // Later starts print nothing, and the key still works.
    let second = Server::start(dir.path(), &url).await;
    assert_eq!(second.first_run_key(), None, "{}", second.stdout());
    assert_eq!(http(second.port, "GET", "/workspaces", Some(&key), None).await.unwrap().0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_burst_loses_no_answered_creation() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let mut server = Server::start(dir.path(), &url).await;
    let key = server.first_run_key().unwrap();
    let body = |task: usize, i: usize| format!(r#"{{"name":"Burst {task} {i}"}}"#);
    let answered = burst_until_killed(&mut server, &key, "/workspaces", None, body).await;

    assert_none_lost(&url, "workspaces", &answered).await;
}

/// Items and their events are one transaction: killed mid-burst, the database holds an
/// `item.created` event for every answered item, and no event without its item (nor an item
/// without its event).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_item_creates_leaves_an_event_for_exactly_every_stored_item() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let mut server = Server::start(dir.path(), &url).await;
    let key = server.first_run_key().unwrap();
    acme_with_pedidos(server.port, &key).await;
    let body = |task: usize, i: usize| format!(r#"{{"data":{{"nome":"Burst {task} {i}"}}}}"#);
    let answered = burst_until_killed(&mut server, &key, "/ws/types/pedidos/items", Some("acme"), body).await;

    let db = Db::connect(&DbOptions { url: url.clone(), max_connections: 2 }).await.unwrap();
    let set = |rows: Vec<enspace_store::db::Row>, column: &str| -> Vec<String> {
        let mut out: Vec<String> = rows.iter().map(|r| r.text(column).unwrap()).collect();
        out.sort();
        out
    };
    // One statement, one snapshot: on PostgreSQL a killed server's last COMMIT may still land
    // while this reads, and two reads could straddle it.
    let unmatched = db
        .fetch_all(
            "SELECT COALESCE(i.reference, e.subject_reference) AS reference FROM items i FULL JOIN \
             (SELECT subject_reference FROM events WHERE kind = 'item.created') e ON e.subject_reference = i.reference \
             WHERE i.reference IS NULL OR e.subject_reference IS NULL",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        set(unmatched, "reference"),
        Vec::<String>::new(),
        "items without their event, or events without their item"
    );
    let items = set(db.fetch_all("SELECT reference FROM items", &[]).await.unwrap(), "reference");
    let missing: Vec<&String> = answered.iter().filter(|r| items.binary_search(r).is_err()).collect();
    assert!(missing.is_empty(), "{} answered items are missing: {:?}", missing.len(), &missing[..missing.len().min(5)]);
    assert!(answered.len() >= 200);
    db.close().await;
}

/// Flow runs start in the item's transaction: killed mid-burst on a type with an active flow,
/// every stored item (so every answered one) has its flow item and its start stage's two tasks
/// after a restart, and nothing else has any.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_item_creates_on_a_flow_leaves_every_item_with_its_run() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let mut server = Server::start(dir.path(), &url).await;
    let key = server.first_run_key().unwrap();
    acme_with_pedidos(server.port, &key).await;
    let post = |path: &'static str, body: String| {
        let key = key.clone();
        let port = server.port;
        async move {
            let (status, text) = http_in(port, "POST", path, Some(&key), Some("acme"), Some(&body)).await.unwrap();
            assert_eq!(status, 201, "{path}: {text}");
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        }
    };
    let flow = post("/c-type-flows", r#"{"name":"F","item_type":"pedidos"}"#.into()).await;
    let stage = post("/c-flow-stages", format!(r#"{{"flow":{},"name":"A"}}"#, flow["id"])).await;
    for name in ["Conferir", "Fechar"] {
        let action = if name == "Fechar" { "close_stage" } else { "confirmation" };
        post("/c-stage-tasks", format!(r#"{{"stage":{},"name":"{name}","action":"{action}"}}"#, stage["id"])).await;
    }
    let body = |task: usize, i: usize| format!(r#"{{"data":{{"nome":"Burst {task} {i}"}}}}"#);
    let answered = burst_until_killed(&mut server, &key, "/ws/types/pedidos/items", Some("acme"), body).await;

    let restarted = Server::start(dir.path(), &url).await;
    let db = Db::connect(&DbOptions { url: url.clone(), max_connections: 2 }).await.unwrap();
    let counts = db
        .fetch_all(
            "SELECT i.reference, (SELECT COUNT(*) FROM flow_items f WHERE f.item_id = i.id AND f.run_status = 'running') AS runs, \
             (SELECT COUNT(*) FROM schedule_tasks t WHERE t.item_reference = i.reference AND t.work_status = 'waiting') AS tasks \
             FROM items i",
            &[],
        )
        .await
        .unwrap();
    let stored: std::collections::HashSet<String> = counts.iter().map(|r| r.text("reference").unwrap()).collect();
    for row in &counts {
        let (runs, tasks) = (row.i64("runs").unwrap(), row.i64("tasks").unwrap());
        assert_eq!(
            (runs, tasks),
            (1, 2),
            "item {} has {runs} runs and {tasks} open tasks",
            row.text("reference").unwrap()
        );
    }
    let orphans = db.fetch_one("SELECT COUNT(*) AS n FROM flow_items WHERE item_id NOT IN (SELECT id FROM items)", &[]);
    assert_eq!(orphans.await.unwrap().i64("n").unwrap(), 0, "no run without its item");
    let missing: Vec<&String> = answered.iter().filter(|r| !stored.contains(*r)).collect();
    assert!(missing.is_empty(), "{} answered items are missing: {:?}", missing.len(), &missing[..missing.len().min(5)]);
    db.close().await;
    drop(restarted);
}

/// Running servers deliver webhooks by themselves (the dispatcher and the job worker), and on
/// PostgreSQL two of them deliver each event once: the dispatcher's position moves only in the
/// transaction that enqueued the deliveries, and only if no other process moved it first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_servers_deliver_each_webhook_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = database(dir.path()).await;
    let receiver = enspace_testkit::FakeProvider::start().await;
    receiver.reply("POST", "/hook", vec![enspace_testkit::Reply::status(200)]);
    let first = Server::start_with(dir.path(), &url, &["--allow-private-webhooks"]).await;
    let key = first.first_run_key().unwrap();
    let second = match pg {
        // Processes on one database share the master key (webhook secrets are sealed with it).
        Some(_) => {
            let key_file = dir.path().join("master.key");
            let extra = ["--allow-private-webhooks", "--master-key-file", key_file.to_str().unwrap()];
            Some(Server::start_with(&dir.path().join("second"), &url, &extra).await)
        }
        None => None,
    };
    let ports: Vec<u16> = [Some(first.port), second.as_ref().map(|s| s.port)].into_iter().flatten().collect();
    acme_with_pedidos(first.port, &key).await;
    let hook = format!(r#"{{"url":"{}/hook","events":["item.created"]}}"#, receiver.url);
    let (status, text) =
        http_in(first.port, "POST", "/ws/webhooks", Some(&key), Some("acme"), Some(&hook)).await.unwrap();
    assert_eq!(status, 201, "{text}");
    let items = 20;
    for n in 0..items {
        let body = format!(r#"{{"data":{{"nome":"item {n}"}}}}"#);
        let port = ports[n % ports.len()];
        let (status, text) =
            http_in(port, "POST", "/ws/types/pedidos/items", Some(&key), Some("acme"), Some(&body)).await.unwrap();
        assert_eq!(status, 201, "{text}");
    }
    let started = Instant::now();
    while receiver.received().len() < items {
        if started.elapsed() > Duration::from_secs(30) {
            let warnings = |server: &Server| -> String {
                server
                    .stderr()
                    .lines()
                    .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let second = second.as_ref().map(warnings).unwrap_or_default();
            panic!("delivered {} of {items}:\n{}\n{second}", receiver.received().len(), warnings(&first));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both dispatchers have had several passes since: still one delivery per event.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut deliveries: Vec<String> =
        receiver.received().iter().map(|r| r.header("x-enspace-delivery").unwrap().to_string()).collect();
    assert_eq!(deliveries.len(), items);
    deliveries.sort();
    deliveries.dedup();
    assert_eq!(deliveries.len(), items, "an event was delivered twice");
}

/// An open event stream never finishes by itself: a graceful stop ends it rather than waiting
/// out the grace period for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_open_event_streams() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let mut server = Server::start(dir.path(), &url).await;
    let key = server.first_run_key().unwrap();
    let (status, text) =
        http(server.port, "POST", "/workspaces", Some(&key), Some(r#"{"name":"Acme"}"#)).await.unwrap();
    assert_eq!(status, 201, "{text}");
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let request =
        format!("GET /ws/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {key}\r\nen-workspace: acme\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut head)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));
    let stopping = Instant::now();
    server.signal("TERM");
    assert!(server.wait(Duration::from_secs(20)).success(), "{}", server.stderr());
    assert!(stopping.elapsed() < Duration::from_secs(10), "the stop waited {:?}", stopping.elapsed());
    assert!(!server.stderr().contains("did not finish in time"), "{}", server.stderr());
    let mut rest = Vec::new();
    let _ =
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await.expect("the stream ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_and_flushes_the_request_log() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let mut server = Server::start(dir.path(), &url).await;
    let key = server.first_run_key().unwrap();
    for _ in 0..20 {
        assert_eq!(http(server.port, "GET", "/user", Some(&key), None).await.unwrap().0, 200);
    }
    server.signal("TERM");
    assert!(server.wait(Duration::from_secs(30)).success(), "{}", server.stderr());
    assert!(server.stderr().contains("stopped"), "{}", server.stderr());
    let db = Db::connect(&DbOptions { url, max_connections: 2 }).await.unwrap();
    let n = db.fetch_one("SELECT COUNT(*) AS n FROM request_logs", &[]).await.unwrap().i64("n").unwrap();
    assert_eq!(n, 20, "every answered request is in the log after a graceful shutdown");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let base = ["--data-dir", dir.path().to_str().unwrap(), "--database-url", url.as_str()];
    let with = |extra: &[&'static str]| -> Vec<String> { base.iter().chain(extra).map(|s| s.to_string()).collect() };

    let migrated = enspace(&with(&["migrate"]));
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));

    // A new user and a key, printed alone on stdout so scripts can capture it.
    let created = enspace(&with(&[
        "user",
        "create",
        "--email",
        "Ops@Example.com",
        "--fname",
        "Ops",
        "--scopes",
        "read",
        "--key",
    ]));
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let key = String::from_utf8(created.stdout).unwrap().trim().to_string();
    assert!(enspace_domain::key::is_well_formed(&key), "{key:?}");
    // Same email, any case: the same user, a second key.
    let again = enspace(&with(&["user", "create", "--email", "ops@example.com"]));
    let second = String::from_utf8(again.stdout).unwrap().trim().to_string();
    assert!(enspace_domain::key::is_well_formed(&second) && second != key);
    // Refusals say what is wrong and exit non-zero.
    let refused = enspace(&with(&["user", "create", "--email", "ops@example.com", "--workspaces", "acme"]));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("error: --workspaces: Ops@Example.com is not a member of \"acme\""));
    let refused = enspace(&with(&["user", "create", "--email", "not-an-email"]));
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("error: --email: \"not-an-email\" is not a valid email address"));
    let refused = enspace(&with(&["user", "create", "--email", "a@b.co", "--scopes", "admin"]));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--scopes: unknown scope \"admin\""));

    // A password from standard input (too short is refused and sets nothing).
    let set_password = |password: &'static str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_enspace"))
            .args(with(&["user", "set-password", "--email", "ops@example.com"]))
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short = set_password("short");
    assert!(String::from_utf8_lossy(&short.stderr).contains("the password must have at least 8 characters"));
    let set = set_password("an operator's password");
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));

    // The CLI-made user exists before the first serve, so the first run creates no administrator.
    let server = Server::start(dir.path(), &url).await;
    let login = r#"{"email":"OPS@example.com","password":"an operator's password"}"#;
    let (status, body) = http(server.port, "POST", "/auth/login", None, Some(login)).await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.first_run_key(), None, "{}", server.stdout());
    let (status, body) = http(server.port, "GET", "/user", Some(&key), None).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("\"email\":\"Ops@Example.com\"") && body.contains("\"fname\":\"Ops\""), "{body}");
    let (status, _) = http(server.port, "POST", "/workspaces", Some(&key), Some(r#"{"name":"x"}"#)).await.unwrap();
    assert_eq!(status, 403, "a read-only key");

    let openapi = enspace(&["openapi"]);
    let doc: serde_json::Value = serde_json::from_slice(&openapi.stdout).unwrap();
    assert_eq!(doc, serde_json::to_value(enspace_api::openapi()).unwrap());
}

#[test]
fn help_documents_every_option() {
    let serve = String::from_utf8(enspace(&["serve", "--help"]).stdout).unwrap();
    for option in [
        "--data-dir",
        "--addr",
        "--database-url",
        "--public-url",
        "--log-format",
        "--body-limit",
        "--page-size-max",
        "--rate-limit-per-second",
        "--rate-limit-burst",
        "--admin-email",
        "--request-log-retention-days",
        "--file-store",
        "--s3-endpoint",
        "--s3-region",
        "ENSPACE_FILE_STORE",
        "ENSPACE_S3_ENDPOINT",
        "AWS_ACCESS_KEY_ID",
        "ENSPACE_DATA_DIR",
        "ENSPACE_ADDR",
        "ENSPACE_DATABASE_URL",
    ] {
        assert!(serve.contains(option), "serve --help lacks {option}:\n{serve}");
    }
    let top = String::from_utf8(enspace(&["--help"]).stdout).unwrap();
    for command in ["serve", "migrate", "user", "openapi"] {
        assert!(top.contains(command), "--help lacks {command}");
    }
}

/// Integration secrets survive a master-key rotation: the key file is generated owner-only on
/// first start, `enspace secrets rotate` replaces it, and the restarted server still opens every
/// secret; neither the secret nor any key reaches the database file or the log in the clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_survive_a_master_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let base = ["--data-dir", dir.path().to_str().unwrap(), "--database-url", url.as_str()];
    let mut server = Server::start(dir.path(), &url).await;
    let key = server.first_run_key().unwrap();
    let key_file = dir.path().join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let first_key = std::fs::read_to_string(&key_file).unwrap();
    let (status, _) = http(server.port, "POST", "/workspaces", Some(&key), Some(r#"{"name":"Acme"}"#)).await.unwrap();
    assert_eq!(status, 201);
    let secret = "SG.do-not-leak-7f3a9c";
    let install = format!(
        r#"{{"integration":4,"data":{{"environment":"stage","api_key":"{secret}","from_email":"no-reply@acme.com"}}}}"#
    );
    let (status, body) =
        http_in(server.port, "POST", "/integrations", Some(&key), Some("acme"), Some(&install)).await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert!(body.contains(r#""configured_secrets":["api_key"]"#) && !body.contains(secret), "{body}");
    server.signal("TERM");
    assert!(server.wait(Duration::from_secs(30)).success());
    assert!(!server.stderr().contains(secret), "the secret reached the log");
    if !url.starts_with("postgres") {
        for file in ["enspace.db", "enspace.db-wal"] {
            let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{file} holds the secret");
            assert!(!bytes.windows(64).any(|w| w == first_key.trim().as_bytes()), "{file} holds the master key");
        }
    }

    let rotated = Command::new(env!("CARGO_BIN_EXE_enspace")).args(base).args(["secrets", "rotate"]).output().unwrap();
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    assert!(String::from_utf8_lossy(&rotated.stdout).contains("re-sealed 1 integration(s)"));
    let second_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(first_key, second_key);
    assert!(!dir.path().join("master.key.next").exists());

    let server = Server::start(dir.path(), &url).await;
    let (status, body) = http_in(server.port, "GET", "/integrations/1", Some(&key), Some("acme"), None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""configured_secrets":["api_key"]"#), "{body}");
}

/// Reminders that fall due are each sent once across a SIGKILL in the middle of them: the
/// notice recorded with the emails' queueing makes a second run of the job send nothing, and
/// the outbox finds an interrupted send in SendGrid's activity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_reminders_are_sent_once_across_a_kill() {
    let fake = fake_sendgrid().await;
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let args =
        ["--sendgrid-url", fake.url.as_str(), "--job-lease-seconds", "2", "--sendgrid-activity-delay-seconds", "1"];
    let mut server = Server::start_with(dir.path(), &url, &args).await;
    let key = server.first_run_key().unwrap();
    let tasks = 30;
    reminders_due_now(server.port, &key, &url, tasks).await;
    let started = Instant::now();
    while subjects(&fake).len() < 6 {
        assert!(started.elapsed() < Duration::from_secs(30), "the worker is not sending: {}", server.stderr());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().unwrap(); // SIGKILL, mid-sending
    server.child.wait().unwrap();
    assert!(subjects(&fake).len() < tasks, "the kill came after everything was sent");

    let server = Server::start_with(dir.path(), &url, &args).await;
    until_sent(&fake, tasks, &[&server]).await;
    let times = subjects(&fake);
    assert_each_once(&times, tasks, "one reminder for each task");
    assert!(times.keys().all(|s| s.starts_with("Vence amanhã: Lembrete ")), "{times:?}");
}

/// Emails accepted (202) before the server is killed mid-sending are all sent after a restart,
/// each exactly once: the one whose request was in flight at the kill is found in SendGrid's
/// Email Activity (by its `enspace_send` argument) and not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_emails_are_sent_exactly_once_across_a_kill() {
    let fake = fake_sendgrid().await;
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let args =
        ["--sendgrid-url", fake.url.as_str(), "--job-lease-seconds", "2", "--sendgrid-activity-delay-seconds", "1"];
    let server = Server::start_with(dir.path(), &url, &args).await;
    let key = server.first_run_key().unwrap();
    let total = 40;
    queue_emails(server.port, &key, total).await;
    let started = Instant::now();
    while fake.received().len() < 8 {
        assert!(started.elapsed() < Duration::from_secs(30), "the worker is not sending");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL, mid-sending
    server.child.wait().unwrap();
    let before_restart = fake.received().len();
    assert!(before_restart < total, "the kill came after everything was sent");

    let server = Server::start_with(dir.path(), &url, &args).await;
    until_emails_sent(server.port, &key, total, &[&server]).await;
    let times = sends_per_email(&fake);
    assert_each_once(&times, total, "every email reached SendGrid");
}

/// One form-encoded POST signed the way Twilio signs its webhooks.
async fn twilio_post(port: u16, path: &str, token: &str, params: &[(&str, &str)]) -> (u16, String) {
    let params: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let url = format!("http://127.0.0.1:{port}{path}");
    let signature = enspace_integrations::twilio::signature(token, &url, &params);
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    (text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0), text)
}

/// The POSTs among what a fake received.
fn posts(all: &[enspace_testkit::Received]) -> Vec<enspace_testkit::Received> {
    all.iter().filter(|r| r.method == "POST").cloned().collect()
}

/// A fake Twilio for account `AC1`: the Messages API creates (numbering the sids, 40 ms each,
/// so a kill lands mid-sending) and lists what it created, newest first, as Twilio does.
async fn fake_twilio() -> enspace_testkit::FakeProvider {
    let fake = enspace_testkit::FakeProvider::start().await;
    let path = "/2010-04-01/Accounts/AC1/Messages.json";
    let message = |n: usize, r: &enspace_testkit::Received| {
        let form: std::collections::HashMap<String, String> = r.form().into_iter().collect();
        let created = chrono::DateTime::from_timestamp_millis(r.at_ms).unwrap().to_rfc2822();
        serde_json::json!({ "sid": format!("SM{n:032}"), "status": "queued", "body": form["Body"], "to": form["To"],
            "from": form["From"], "date_created": created })
    };
    fake.respond_with(
        "POST",
        path,
        std::sync::Arc::new(move |request, before| {
            let n = posts(before).len() + 1;
            enspace_testkit::Reply::json(201, message(n, request)).delay(Duration::from_millis(40))
        }),
    );
    fake.respond_with(
        "GET",
        path,
        std::sync::Arc::new(move |_, before| {
            let list: Vec<serde_json::Value> =
                posts(before).iter().enumerate().map(|(i, r)| message(i + 1, r)).rev().collect();
            enspace_testkit::Reply::json(200, serde_json::json!({ "messages": list }))
        }),
    );
    fake
}

/// Waits for the fake to have received `n` POSTs, then SIGKILLs the server.
async fn kill_after_posts(mut server: Server, fake: &enspace_testkit::FakeProvider, n: usize) {
    let started = Instant::now();
    while posts(&fake.received()).len() < n {
        assert!(started.elapsed() < Duration::from_secs(30), "the worker is not sending");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().unwrap(); // SIGKILL, mid-sending
    server.child.wait().unwrap();
}

/// WhatsApp messages accepted before a SIGKILL mid-sending are each sent exactly once after the
/// restart: the one in flight at the kill is found in Twilio's message list and not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_messages_are_sent_exactly_once_across_a_kill() {
    let fake = fake_twilio().await;
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let args = ["--twilio-url", fake.url.as_str(), "--job-lease-seconds", "2"];
    let server = Server::start_with(dir.path(), &url, &args).await;
    let key = server.first_run_key().unwrap();
    let port = server.port;
    assert_eq!(http(port, "POST", "/workspaces", Some(&key), Some(r#"{"name":"Acme"}"#)).await.unwrap().0, 201);
    let install = r#"{"integration":6,"data":{"phone_number":"21 3333-4444","account_sid":"AC1","auth_token":"tok"}}"#;
    assert_eq!(http_in(port, "POST", "/integrations", Some(&key), Some("acme"), Some(install)).await.unwrap().0, 201);
    let inbound = [("MessageSid", "SMin1"), ("From", "whatsapp:+5521999990000"), ("Body", "Oi")];
    let (status, text) = twilio_post(port, "/webhooks/whatsapp_twilio/1", "tok", &inbound).await;
    assert_eq!(status, 200, "{text}");
    let total = 30;
    for i in 0..total {
        let body = format!(r#"{{"body":"resposta {i}"}}"#);
        let (status, text) =
            http_in(port, "POST", "/ws/conversations/1/messages", Some(&key), Some("acme"), Some(&body)).await.unwrap();
        assert_eq!(status, 202, "{text}");
    }
    kill_after_posts(server, &fake, 8).await;
    assert!(posts(&fake.received()).len() < total, "the kill came after everything was sent");

    let server = Server::start_with(dir.path(), &url, &args).await;
    let started = Instant::now();
    loop {
        let (_, list) = http_in(
            server.port,
            "GET",
            "/ws/conversations/1/messages?direction=outbound&_limit=1000",
            Some(&key),
            Some("acme"),
            None,
        )
        .await
        .unwrap();
        let list: serde_json::Value = serde_json::from_str(&list).unwrap();
        let sent = list.as_array().unwrap().iter().filter(|m| !m["provider_sid"].is_null()).count();
        if sent == total {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{sent} of {total} sent after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut times = std::collections::BTreeMap::<String, usize>::new();
    for request in posts(&fake.received()) {
        let body = request.form().into_iter().find(|(k, _)| k == "Body").unwrap().1;
        *times.entry(body).or_default() += 1;
    }
    assert_each_once(&times, total, "every message reached Twilio");
}

/// Auto-closes that fall due are each applied once across a SIGKILL in the middle of them: every
/// conversation gets one warning and one closing message at Twilio, and ends closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_auto_closes_happen_once_across_a_kill() {
    let fake = fake_twilio().await;
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let args = ["--twilio-url", fake.url.as_str(), "--job-lease-seconds", "2"];
    let server = Server::start_with(dir.path(), &url, &args).await;
    let key = server.first_run_key().unwrap();
    let port = server.port;
    assert_eq!(http(port, "POST", "/workspaces", Some(&key), Some(r#"{"name":"Acme"}"#)).await.unwrap().0, 201);
    let install = r#"{"integration":6,"data":{"phone_number":"21 3333-4444","account_sid":"AC1","auth_token":"tok",
        "autoclose_hours":1,"autoclose_minutes":0,"send_autoclose_message_minutes":30,
        "autoclose_message":"Ainda está aí?","post_autoclose_message":"Conversa encerrada."}}"#;
    assert_eq!(http_in(port, "POST", "/integrations", Some(&key), Some("acme"), Some(install)).await.unwrap().0, 201);
    let contacts = 15;
    for i in 0..contacts {
        let (sid, from) = (format!("SMin{i}"), format!("whatsapp:+55219999{i:05}"));
        let inbound = [("MessageSid", sid.as_str()), ("From", from.as_str()), ("Body", "Oi")];
        let (status, text) = twilio_post(port, "/webhooks/whatsapp_twilio/1", "tok", &inbound).await;
        assert_eq!(status, 200, "{text}");
    }
    // An hour passes: the warnings, then the closings, fall due.
    let db = Db::connect(&DbOptions { url: url.clone(), max_connections: 2 }).await.unwrap();
    let now = enspace_domain::time::now_ms();
    let due = "UPDATE jobs SET run_at = $1 WHERE kind = $2";
    db.execute(due, &[(now - 2000).into(), "whatsapp.autoclose_warning".into()]).await.unwrap();
    db.execute(due, &[(now - 1000).into(), "whatsapp.autoclose".into()]).await.unwrap();
    db.close().await;
    kill_after_posts(server, &fake, 8).await;
    assert!(posts(&fake.received()).len() < 2 * contacts, "the kill came after everything was sent");

    let server = Server::start_with(dir.path(), &url, &args).await;
    let started = Instant::now();
    loop {
        let path = "/ws/conversations?status=closed&_limit=1000";
        let (_, closed) = http_in(server.port, "GET", path, Some(&key), Some("acme"), None).await.unwrap();
        let closed: serde_json::Value = serde_json::from_str(&closed).unwrap();
        let all_closed = closed.as_array().map(Vec::len) == Some(contacts);
        if all_closed && posts(&fake.received()).len() >= 2 * contacts {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "auto-closes not done after the restart: {closed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Anything left to go wrong (a second closing) would be sent within a lease and a poll.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut times = std::collections::BTreeMap::<(String, String), usize>::new();
    for request in posts(&fake.received()) {
        let form: std::collections::HashMap<String, String> = request.form().into_iter().collect();
        *times.entry((form["To"].clone(), form["Body"].clone())).or_default() += 1;
    }
    assert_each_once(&times, 2 * contacts, "a warning and a closing message for each conversation");
}

/// The console is on by default (its address printed at start) and off with `--console false`
/// (an API-only server: `/app` is the API's 404).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_unless_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(dir.path()).await;
    let server = Server::start(dir.path(), &url).await;
    assert!(
        server.stdout().contains(&format!("Web console: http://127.0.0.1:{}/app\n", server.port)),
        "{}",
        server.stdout()
    );
    let (status, body) = http(server.port, "GET", "/app/login", None, None).await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("<form method=\"post\" action=\"/app/login\""), "{body}");
    drop(server);

    let off = Server::start_with(dir.path(), &url, &["--console", "false"]).await;
    assert!(!off.stdout().contains("Web console"), "{}", off.stdout());
    let (status, body) = http(off.port, "GET", "/app/login", None, None).await.unwrap();
    assert_eq!((status, body.as_str()), (404, r#"{"statusCode":404,"error":"Not Found","message":"Route not found"}"#));
}
