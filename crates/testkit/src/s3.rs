//! A real S3-compatible server for the tests of the bucket file store.
//!
//! `ENSPACE_TEST_S3_ENDPOINT` names a running one (`.ci/run` starts moto's server and sets it);
//! otherwise a `moto_server` found through `ENSPACE_TEST_MOTO_SERVER`, on the `PATH` or in the
//! virtual environment `.ci/run` installs (`target/ci-tools/venv`) is started for the test. With
//! none, the S3 variants of the tests say so in one line and are skipped — except under
//! `CI=true`, where a missing server fails them.
//!
//! Each test gets a bucket of its own, created with an unsigned request (moto accepts it; a
//! store that insists on signatures needs the bucket made beforehand).

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use enspace_integrations::object_storage::BucketSettings;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub const ENDPOINT_ENV: &str = "ENSPACE_TEST_S3_ENDPOINT";

/// An S3-compatible server: one the environment names, or a `moto_server` child of this test.
pub struct S3Server {
    pub endpoint: String,
    child: Option<Child>,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ENSPACE_TEST_MOTO_SERVER") {
        return Some(path.into());
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("moto_server"));
    let ci_venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-tools/venv/bin/moto_server");
    on_path.chain([ci_venv]).find(|p| p.is_file())
}

impl S3Server {
    /// The server, or `None` (after one line saying why) where none is available outside CI.
    pub async fn start_or_skip(test: &str) -> Option<S3Server> {
        if let Ok(endpoint) = std::env::var(ENDPOINT_ENV) {
            if !endpoint.is_empty() {
                return Some(S3Server { endpoint: endpoint.trim_end_matches('/').to_string(), child: None });
            }
        }
        let Some(program) = moto_server() else {
            let why = format!(
                "{test}: no S3-compatible server (set {ENDPOINT_ENV}, or `pip install 'moto[server]'`): skipped"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("{why}");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        let server = S3Server { endpoint: format!("http://127.0.0.1:{port}"), child: Some(child) };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "{} did not start", program.display());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(server)
    }

    /// A new bucket of this server, with settings for the file store (under `prefix`).
    pub async fn bucket(&self, prefix: &str) -> BucketSettings {
        let name = format!("enspace-test-{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
        let (status, body) = self.request("PUT", &format!("/{name}")).await;
        assert_eq!(status, 200, "creating bucket {name}: {body}");
        BucketSettings {
            url: format!("s3://{name}/{prefix}"),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some("test-access-key".into()),
            secret_access_key: Some("test-secret-key".into()),
            session_token: None,
        }
    }

    /// The keys of the objects in the bucket the settings name, under their prefix (the store's
    /// marker left out), sorted.
    pub async fn keys(&self, settings: &BucketSettings) -> Vec<String> {
        let (bucket, prefix) = enspace_integrations::object_storage::parse_url(&settings.url).unwrap();
        let (status, body) = self.request("GET", &format!("/{bucket}?list-type=2&prefix={prefix}")).await;
        assert_eq!(status, 200, "listing {bucket}: {body}");
        let mut keys: Vec<String> = body
            .split("<Key>")
            .skip(1)
            .filter_map(|part| part.split_once("</Key>").map(|(key, _)| key.to_string()))
            .filter(|key| !key.ends_with("/.enspace") && key != ".enspace")
            .collect();
        keys.sort();
        keys
    }

    /// Deletes the object `name` under the settings' prefix (behind the server's back), with a
    /// signed request as the store's own client sends.
    pub async fn delete(&self, settings: &BucketSettings, name: &str) {
        let bucket = enspace_integrations::object_storage::Bucket::open(settings).unwrap();
        bucket.delete(name).await.unwrap_or_else(|e| panic!("deleting {name}: {e}"));
    }

    /// One unsigned HTTP/1.1 request: (status, body).
    async fn request(&self, method: &str, path: &str) -> (u16, String) {
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).await.unwrap_or_else(|e| panic!("{}: {e}", self.endpoint));
        let request =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
    }
}
