//! Several `enspace serve` processes on one PostgreSQL database, as an operator who outgrew one
//! machine runs them: the same master key (`ENSPACE_MASTER_KEY`), a data directory each, and
//! clients spread over them. What one process was told, every other one sees: unique values,
//! the job queue (emails, reminders, index builds), the event log, files in a shared bucket, and
//! a process killed mid-burst loses nothing it answered while the others keep serving.
//!
//! SQLite is one process by design: there these tests return at once.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use enspace_store::{Db, DbOptions};
use enspace_testkit::{S3Server, TestDatabase};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::server::{
    acme_with_pedidos, assert_each_once, assert_none_lost, fake_sendgrid, http, http_in, queue_emails,
    reminders_due_now, sends_per_email, subjects, until_emails_sent, until_sent, Server,
};

/// The master key every process of a test cluster shares (64 hex digits).
const MASTER_KEY: &str = "5be1a7c3d2f0e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4";

/// Processes on one fresh PostgreSQL database; the first one's first run printed `key`.
struct Cluster {
    servers: Vec<Server>,
    key: String,
    url: String,
    dir: tempfile::TempDir,
    _database: TestDatabase,
}

impl Cluster {
    /// `n` processes with these extra arguments and environment, or `None` on SQLite.
    async fn start(n: usize, extra: &[&str], env: &[(&str, &str)]) -> Option<Cluster> {
        let database = TestDatabase::create().await;
        if !database.is_postgres() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut env = env.to_vec();
        env.push(("ENSPACE_MASTER_KEY", MASTER_KEY));
        let mut servers = Vec::new();
        for i in 0..n {
            servers.push(Server::start_env(&dir.path().join(format!("p{i}")), &database.url, extra, &env).await);
        }
        let key = servers[0].first_run_key().expect("the first process's first run prints a key");
        assert!(servers[1..].iter().all(|s| s.first_run_key().is_none()), "one first run");
        let url = database.url.clone();
        Some(Cluster { servers, key, url, dir, _database: database })
    }

    fn port(&self, i: usize) -> u16 {
        self.servers[i % self.servers.len()].port
    }

    async fn db(&self) -> Db {
        Db::connect(&DbOptions { url: self.url.clone(), max_connections: 2 }).await.unwrap()
    }

    fn logs(&self) -> String {
        self.servers.iter().map(Server::stderr).collect::<Vec<_>>().join("\n")
    }
}

async fn post(port: u16, key: &str, path: &str, body: &str) -> serde_json::Value {
    let (status, text) = http_in(port, "POST", path, Some(key), Some("acme"), Some(body)).await.unwrap();
    assert_eq!(status, 201, "POST {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Processes started at once on an empty database: migrations apply once (sqlx's advisory
/// lock), exactly one of them makes the first-run administrator, and every one serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_set_up_the_database_once() {
    let database = TestDatabase::create().await;
    if !database.is_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = [("ENSPACE_MASTER_KEY", MASTER_KEY)];
    let starts: Vec<_> = (0..3)
        .map(|i| {
            let (path, url) = (dir.path().join(format!("p{i}")), database.url.clone());
            tokio::spawn(async move { Server::start_env(&path, &url, &[], &env).await })
        })
        .collect();
    let mut servers = Vec::new();
    for start in starts {
        servers.push(start.await.unwrap());
    }
    let keys: Vec<String> = servers.iter().filter_map(Server::first_run_key).collect();
    assert_eq!(keys.len(), 1, "one first run among three processes");
    for server in &servers {
        assert_eq!(http(server.port, "GET", "/workspaces", Some(&keys[0]), None).await.unwrap(), (200, "[]".into()));
    }
    let db = Db::connect(&DbOptions { url: database.url.clone(), max_connections: 2 }).await.unwrap();
    let users = db.fetch_one("SELECT COUNT(*) AS n FROM users", &[]).await.unwrap().i64("n").unwrap();
    assert_eq!(users, 1);
    db.close().await;
}

/// A burst of creates through two processes on a `unique` field: each value has one winner
/// (201) and every other attempt is the unique field's 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unique_value_has_one_winner_across_processes() {
    let Some(cluster) = Cluster::start(2, &[], &[]).await else { return };
    let key = cluster.key.clone();
    acme_with_pedidos(cluster.port(0), &key).await;
    post(
        cluster.port(1),
        &key,
        "/ws/types/pedidos/fields",
        r#"{"name":"Código","slug":"codigo","type":"text","unique":true}"#,
    )
    .await;
    let values = 40;
    let outcomes = Arc::new(Mutex::new(BTreeMap::<usize, Vec<u16>>::new()));
    let mut clients = Vec::new();
    for client in 0..16usize {
        let (port, key, outcomes) = (cluster.port(client), key.clone(), outcomes.clone());
        clients.push(tokio::spawn(async move {
            // Each client tries every value, starting at its own place: values are contended.
            for n in 0..values {
                let value = (n + client * 5) % values;
                let body = format!(r#"{{"data":{{"nome":"cliente {client}","codigo":"C-{value}"}}}}"#);
                let (status, text) =
                    http_in(port, "POST", "/ws/types/pedidos/items", Some(&key), Some("acme"), Some(&body))
                        .await
                        .unwrap();
                if status == 409 {
                    let error: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(error["message"], "A unique field's value is already used", "{text}");
                    assert_eq!(
                        error["details"][0]["message"],
                        format!("\"C-{value}\" is already used by another item (the field is unique)")
                    );
                } else {
                    assert_eq!(status, 201, "{text}");
                }
                outcomes.lock().unwrap().entry(value).or_default().push(status);
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let outcomes = outcomes.lock().unwrap().clone();
    assert_eq!(outcomes.len(), values);
    for (value, statuses) in &outcomes {
        let won = statuses.iter().filter(|s| **s == 201).count();
        assert_eq!((won, statuses.len()), (1, 16), "C-{value}: {statuses:?}");
    }
    let db = cluster.db().await;
    let stored =
        db.fetch_one("SELECT COUNT(*) AS n, COUNT(DISTINCT data->>'codigo') AS d FROM items", &[]).await.unwrap();
    assert_eq!((stored.i64("n").unwrap(), stored.i64("d").unwrap()), (values as i64, values as i64));
    db.close().await;
}

/// Emails queued through one process, with the workers of both running: SendGrid receives each
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_queued_through_one_process_are_sent_once() {
    let fake = fake_sendgrid().await;
    let args = ["--sendgrid-url", fake.url.as_str(), "--job-lease-seconds", "2"];
    let Some(cluster) = Cluster::start(2, &args, &[]).await else { return };
    let key = cluster.key.clone();
    let total = 40;
    queue_emails(cluster.port(0), &key, total).await;
    until_emails_sent(cluster.port(1), &key, total, &cluster.servers.iter().collect::<Vec<_>>()).await;
    // Two more lease times for anything that would go out twice.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let times = sends_per_email(&fake);
    assert_each_once(&times, total, "every email reached SendGrid");
}

/// Two processes, both running workers: each deadline reminder goes out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_send_each_reminder_once() {
    let fake = fake_sendgrid().await;
    let args =
        ["--sendgrid-url", fake.url.as_str(), "--job-lease-seconds", "2", "--sendgrid-activity-delay-seconds", "1"];
    let Some(cluster) = Cluster::start(2, &args, &[]).await else { return };
    let tasks = 40;
    reminders_due_now(cluster.port(0), &cluster.key, &cluster.url, tasks).await;
    until_sent(&fake, tasks, &cluster.servers.iter().collect::<Vec<_>>()).await;
    let times = subjects(&fake);
    assert_each_once(&times, tasks, "one reminder for each task");
}

/// A stream opened on one process receives the events written through another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_on_one_process_sees_events_written_through_another() {
    let Some(cluster) = Cluster::start(2, &[], &[]).await else { return };
    let (key, writer, reader) = (cluster.key.clone(), cluster.port(0), cluster.port(1));
    acme_with_pedidos(writer, &key).await;
    let mut stream = TcpStream::connect(("127.0.0.1", reader)).await.unwrap();
    let request =
        format!("GET /ws/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {key}\r\nen-workspace: acme\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    // The stream starts at the head it read before answering: write only once it has answered.
    let mut received = Vec::new();
    read_until(&mut stream, &mut received, "\r\n\r\n").await;
    let created = post(writer, &key, "/ws/types/pedidos/items", r#"{"data":{"nome":"de outro processo"}}"#).await;
    read_until(&mut stream, &mut received, created["reference"].as_str().unwrap()).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("event: item.created"), "{text}");
}

/// Reads the stream into `received` until it holds `needle` (10 s at most).
async fn read_until(stream: &mut TcpStream, received: &mut Vec<u8>, needle: &str) {
    let started = Instant::now();
    while !String::from_utf8_lossy(received).contains(needle) {
        assert!(started.elapsed() < Duration::from_secs(10), "not streamed: {}", String::from_utf8_lossy(received));
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await.unwrap().unwrap();
        assert!(n > 0, "the stream closed: {}", String::from_utf8_lossy(received));
        received.extend_from_slice(&chunk[..n]);
    }
}

/// A field index requested through one process is built once, by whichever worker claims the
/// build; a process starting meanwhile queues no second build.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_index_requested_through_one_process_is_built_once() {
    let Some(mut cluster) = Cluster::start(2, &[], &[]).await else { return };
    let key = cluster.key.clone();
    acme_with_pedidos(cluster.port(0), &key).await;
    for n in 0..200 {
        post(cluster.port(n), &key, "/ws/types/pedidos/items", &format!(r#"{{"data":{{"nome":"item {n}"}}}}"#)).await;
    }
    let field = post(
        cluster.port(0),
        &key,
        "/ws/types/pedidos/fields",
        r#"{"name":"Valor","slug":"valor","type":"number","indexed":true}"#,
    )
    .await;
    let id = field["id"].as_i64().unwrap();
    let env = [("ENSPACE_MASTER_KEY", MASTER_KEY)];
    let third = Server::start_env(&cluster.dir.path().join("p2"), &cluster.url, &[], &env).await;
    cluster.servers.push(third);
    let started = Instant::now();
    loop {
        let path = format!("/ws/types/pedidos/fields/{id}");
        let (_, body) = http_in(cluster.port(2), "GET", &path, Some(&key), Some("acme"), None).await.unwrap();
        let status = serde_json::from_str::<serde_json::Value>(&body).unwrap()["index_status"].clone();
        if status == "ready" {
            break;
        }
        assert_eq!(status, "building", "{body}");
        assert!(started.elapsed() < Duration::from_secs(30), "the index was not built: {}", cluster.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let db = cluster.db().await;
    let builds = db.fetch_all("SELECT status, attempts FROM jobs WHERE kind = 'index.build'", &[]).await.unwrap();
    let builds: Vec<(String, i64)> =
        builds.iter().map(|r| (r.text("status").unwrap(), r.i64("attempts").unwrap())).collect();
    assert_eq!(builds, [("done".to_string(), 1)], "one build, claimed once");
    let indexes = db
        .fetch_one(
            "SELECT COUNT(*) AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND i.indisvalid",
            &[format!("items_f{id}").into()],
        )
        .await
        .unwrap();
    assert_eq!(indexes.i64("n").unwrap(), 1);
    db.close().await;
}

/// A SIGKILL of one process in the middle of a burst through both: every creation either
/// process answered is stored, and the survivor's clients never see an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_nothing_it_answered_and_the_other_keeps_serving() {
    let Some(mut cluster) = Cluster::start(2, &[], &[]).await else { return };
    let key = Arc::new(cluster.key.clone());
    acme_with_pedidos(cluster.port(0), &key).await;
    let answered = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let (through_victim, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let mut clients = Vec::new();
    for client in 0..16usize {
        let process = client % 2;
        let port = cluster.port(process);
        let (key, answered, through_victim, stop) =
            (key.clone(), answered.clone(), through_victim.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let body = format!(r#"{{"data":{{"nome":"{client} {n}"}}}}"#);
                n += 1;
                match http_in(port, "POST", "/ws/types/pedidos/items", Some(&key), Some("acme"), Some(&body)).await {
                    Ok((201, text)) => {
                        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                        answered.lock().unwrap().push((process, json["reference"].as_str().unwrap().to_string()));
                        if process == 0 {
                            through_victim.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Ok((status, text)) => panic!("process {process} answered {status}: {text}"),
                    Err(_) if process == 0 => return, // the killed process is gone
                    Err(error) => panic!("the surviving process failed a request: {error}"),
                }
            }
        }));
    }
    let started = Instant::now();
    while through_victim.load(Ordering::SeqCst) < 200 {
        assert!(started.elapsed() < Duration::from_secs(60), "the burst is too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cluster.servers[0].child.kill().unwrap(); // SIGKILL, mid-burst
    cluster.servers[0].child.wait().unwrap();
    let at_kill = answered.lock().unwrap().iter().filter(|(p, _)| *p == 1).count();
    while answered.lock().unwrap().iter().filter(|(p, _)| *p == 1).count() < at_kill + 200 {
        assert!(started.elapsed() < Duration::from_secs(90), "the surviving process stopped serving");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let answered: Vec<String> = answered.lock().unwrap().iter().map(|(_, reference)| reference.clone()).collect();
    assert_none_lost(&cluster.url, "items", &answered).await;
}

/// One multipart upload of `bytes` as `filename`: (status, body).
async fn upload(port: u16, key: &str, filename: &str, bytes: &[u8]) -> (u16, String) {
    let boundary = "enspace-cluster-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /ws/files HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nx-api-key: {key}\r\nen-workspace: acme\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap();
    (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// Files in a shared bucket: uploaded through one process, downloaded through the other; both
/// unready while the bucket lacks its marker. Without a bucket, a process on PostgreSQL warns
/// that its files are its own; a bucket that does not exist stops the start with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_in_a_bucket_are_shared_by_every_process() {
    let Some(s3) = S3Server::start_or_skip("cluster::files_in_a_bucket_are_shared_by_every_process").await else {
        return;
    };
    let bucket = s3.bucket("enspace").await;
    let args = ["--file-store", bucket.url.as_str(), "--s3-endpoint", s3.endpoint.as_str()];
    let env = [("AWS_ACCESS_KEY_ID", "test-access-key"), ("AWS_SECRET_ACCESS_KEY", "test-secret-key")];
    let Some(cluster) = Cluster::start(2, &args, &env).await else { return };
    let key = cluster.key.clone();
    assert_eq!(
        http(cluster.port(0), "POST", "/workspaces", Some(&key), Some(r#"{"name":"Acme"}"#)).await.unwrap().0,
        201
    );
    let bytes = b"id;nome\n1;Ana\n2;Bia\n";
    let (status, body) = upload(cluster.port(0), &key, "pessoas.csv", bytes).await;
    assert_eq!(status, 201, "{body}");
    let (status, downloaded) =
        http_in(cluster.port(1), "GET", "/ws/files/1", Some(&key), Some("acme"), None).await.unwrap();
    assert_eq!((status, downloaded.as_bytes()), (200, bytes.as_slice()));
    assert_eq!(s3.keys(&bucket).await.len(), 1);
    assert!(!cluster.logs().contains("files are kept in this process's data directory"), "{}", cluster.logs());

    for port in [cluster.port(0), cluster.port(1)] {
        assert_eq!(http(port, "GET", "/ready", None, None).await.unwrap(), (200, r#"{"status":"ready"}"#.into()));
    }
    s3.delete(&bucket, ".enspace").await;
    for port in [cluster.port(0), cluster.port(1)] {
        let unready = r#"{"statusCode":503,"error":"Service Unavailable","message":"File store unavailable"}"#;
        assert_eq!(http(port, "GET", "/ready", None, None).await.unwrap(), (503, unready.into()));
    }

    // The data directory on PostgreSQL: a warning at start.
    let local =
        Server::start_env(&cluster.dir.path().join("local"), &cluster.url, &[], &[("ENSPACE_MASTER_KEY", MASTER_KEY)])
            .await;
    assert!(local.stderr().contains("files are kept in this process's data directory"), "{}", local.stderr());
    // A bucket that does not exist: no start, and the reason.
    let missing = "s3://enspace-no-such-bucket/files";
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_enspace"))
        .args(["--data-dir", cluster.dir.path().join("missing").to_str().unwrap(), "--database-url", &cluster.url])
        .args(["serve", "--addr", "127.0.0.1:0", "--file-store", missing, "--s3-endpoint", &s3.endpoint])
        .envs(env.iter().copied())
        .env("ENSPACE_MASTER_KEY", MASTER_KEY)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains(&format!("error: opening the file store {missing}: Object at location files/.enspace not found"))
            && stderr.contains("NoSuchBucket"),
        "{stderr}"
    );
    assert!(!stderr.contains("test-secret-key"), "{stderr}");
}

/// A type's definition is cached per process under its workspace's structure version: a field
/// made required through one process is enforced by the other at its next request, and a flow
/// activated through one starts with the next item created through the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_structure_change_through_one_process_holds_at_once_in_the_other() {
    let Some(cluster) = Cluster::start(2, &[], &[]).await else { return };
    let (key, a, b) = (cluster.key.clone(), cluster.port(0), cluster.port(1));
    acme_with_pedidos(a, &key).await;
    let first = post(b, &key, "/ws/types/pedidos/items", r#"{"data":{"nome":"antes"}}"#).await;
    assert_eq!(first["data"]["nome"], "antes");
    post(a, &key, "/ws/types/pedidos/fields", r#"{"name":"Código","slug":"codigo","type":"text","required":true}"#)
        .await;
    let (status, body) =
        http_in(b, "POST", "/ws/types/pedidos/items", Some(&key), Some("acme"), Some(r#"{"data":{"nome":"depois"}}"#))
            .await
            .unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(r#"{"path":"data.codigo","message":"is required"}"#), "{body}");

    let flow = post(a, &key, "/c-type-flows", r#"{"name":"F","item_type":"pedidos"}"#).await;
    let stage = post(a, &key, "/c-flow-stages", &format!(r#"{{"flow":{},"name":"A"}}"#, flow["id"])).await;
    post(
        a,
        &key,
        "/c-stage-tasks",
        &format!(r#"{{"stage":{},"name":"Conferir","action":"confirmation"}}"#, stage["id"]),
    )
    .await;
    let item = post(b, &key, "/ws/types/pedidos/items", r#"{"data":{"nome":"com fluxo","codigo":"C-1"}}"#).await;
    let db = cluster.db().await;
    let runs = db
        .fetch_one("SELECT COUNT(*) AS n FROM flow_items WHERE item_id = $1", &[item["id"].as_i64().unwrap().into()])
        .await
        .unwrap();
    assert_eq!(runs.i64("n").unwrap(), 1, "the item started the flow activated through the other process");
    db.close().await;
}
