//! The integration suite: every route through the real router, on SQLite, and on PostgreSQL
//! when `ENSPACE_TEST_DATABASE_URL` is set (each test on a fresh database).

/// A provider test's `Setup`: a [`WithProvider`] under a type of the test's own, so that each
/// provider's tests can add their helpers to it. Defined before the modules that use it.
macro_rules! provider_setup {
    () => {
        struct Setup(crate::WithProvider);

        impl std::ops::Deref for Setup {
            type Target = crate::WithProvider;
            fn deref(&self) -> &crate::WithProvider {
                &self.0
            }
        }
    };
}

mod access_matrix;
mod ai;
mod api_keys;
mod auth;
mod calendar;
mod cluster;
mod conditions;
mod console;
mod console_work;
mod contract;
mod emails;
mod errors;
mod esign_adobe;
mod esign_certisign;
mod esign_clicksign;
mod esign_d4sign;
mod esign_docusign;
mod events;
mod field_access;
mod files;
mod flow_runs;
mod flows;
mod forms;
mod grouped_writes;
mod indexes;
mod integration_checks;
mod integrations;
mod isolation;
mod items;
mod jobs;
mod journeys;
mod lists;
mod members;
mod notifications;
mod openapi;
mod ops;
mod process;
mod quick_tasks;
mod rate_limits;
mod request_log;
mod roles;
mod secrets;
mod server;
mod user;
mod webhooks;
mod whatsapp;
mod workspaces;

use enspace_integrations::ProviderUrls;
use enspace_testkit::{FakeProvider, TestApp, TestUser};
use serde_json::{json, Value};

/// The 400 body of a rejected input with its `details`.
pub fn validation(details: Value) -> Value {
    json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": details })
}

/// Asserts that `value` is a wire timestamp (`2026-03-12T20:46:40.548Z`) and returns it.
#[track_caller]
pub fn time(value: &Value) -> String {
    let text = value.as_str().unwrap_or_else(|| panic!("expected a timestamp, got {value}"));
    let bytes = text.as_bytes();
    let shape_ok = text.len() == 24
        && text.ends_with('Z')
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && enspace_domain::time::parse_instant(text).is_some();
    assert!(shape_ok, "not an ISO 8601 UTC timestamp with milliseconds: {text}");
    text.to_string()
}

/// Everything the database holds, as text.
pub async fn database_text(app: &TestApp) -> String {
    match app.db.backend() {
        enspace_store::Backend::Sqlite => {
            // The file and its write-ahead log, byte for byte.
            let path = app
                .db
                .fetch_one("SELECT file FROM pragma_database_list WHERE name = 'main'", &[])
                .await
                .unwrap()
                .text("file")
                .unwrap();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            String::from_utf8_lossy(&bytes).into_owned()
        }
        enspace_store::Backend::Postgres => {
            let tables =
                app.db.fetch_all("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", &[]).await.unwrap();
            let mut out = String::new();
            for table in tables {
                let name = table.text("tablename").unwrap();
                let rows =
                    app.db.fetch_all(&format!("SELECT CAST(t AS TEXT) AS row FROM \"{name}\" t"), &[]).await.unwrap();
                for row in rows {
                    out.push_str(&row.text("row").unwrap());
                    out.push('\n');
                }
            }
            out
        }
    }
}

/// An app whose providers `urls` points at fakes, with Ana owning workspace Acme and the
/// integration `install` (`{integration, data}`) installed there as integration 1.
pub async fn app_with_integration(urls: impl FnOnce(&mut ProviderUrls), install: Value) -> (TestApp, TestUser) {
    let app = TestApp::builder().providers(urls).build().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let installed = app.post("/integrations").key(&ana.key).ws("acme").json(&install).send().await;
    assert_eq!(installed.status, 201, "{}", installed.text());
    (app, ana)
}

/// An app with one installed integration (id 1, in Ana's workspace Acme) and the fake that
/// stands in for its provider; each provider's tests add their own helpers to it.
pub struct WithProvider {
    pub app: TestApp,
    pub ana: TestUser,
    pub fake: FakeProvider,
}

impl WithProvider {
    /// `urls` points the provider at the fake (given the fake's address).
    pub async fn start(urls: impl FnOnce(&mut ProviderUrls, &str), install: Value) -> WithProvider {
        let fake = FakeProvider::start().await;
        let url = fake.url.clone();
        let (app, ana) = app_with_integration(|p| urls(p, &url), install).await;
        WithProvider { app, ana, fake }
    }

    /// Signature request 1 as Ana reads it.
    pub async fn request(&self) -> Value {
        self.app.get("/ws/signature-requests/1").key(&self.ana.key).ws("acme").send().await.json()
    }
}
