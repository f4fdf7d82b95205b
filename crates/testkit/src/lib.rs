//! The test-app builder: the real router on a fresh database per test.
//!
//! SQLite always (a file in a temporary directory); PostgreSQL instead when
//! `ENSPACE_TEST_DATABASE_URL` is set, with a database created for the test and dropped after it.
//! Requests go through the whole router and middleware in-process.

mod browser;
mod database;
mod fake;
mod logs;
mod request;
mod s3;

use axum::Router;
use enspace_api::{rate_limit::RateSettings, ApiConfig, AppState};
use enspace_domain::{
    access::{MemberStatus, MemberType},
    key::{self, Scopes},
};
use std::sync::Arc;

use enspace_domain::secrets::{Keyring, MasterKey};
use enspace_engine::{
    jobs::{Jobs, WorkerSettings},
    request_log::{self, RequestLogWriter, WriterSettings},
};
use enspace_integrations::{ProviderUrls, Providers, TwilioAccount};
use enspace_store::{api_keys::NewApiKey, Db};
use serde_json::{json, Value};

pub use browser::{Browser, Page};
pub use database::TestDatabase;
pub use fake::{FakeProvider, Received, Reply, Responder};
pub use logs::captured_logs;
pub use request::{TestRequest, TestResponse};
pub use s3::S3Server;

pub struct TestApp {
    pub db: Db,
    pub router: Router,
    pub state: AppState,
    writer: Option<RequestLogWriter>,
    _database: TestDatabase,
    files_dir: tempfile::TempDir,
    s3: Option<(S3Server, enspace_integrations::object_storage::BucketSettings)>,
}

/// A user with a key that can do everything (`read`, `write`, `delete`, `["*"]`).
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub key: String,
}

pub struct TestAppBuilder {
    config: ApiConfig,
    extra: Option<Router<AppState>>,
    providers: ProviderUrls,
    twilio_account: Option<TwilioAccount>,
    s3: Option<S3Server>,
}

impl Default for TestAppBuilder {
    fn default() -> Self {
        // Tests send bursts far above the production default; rate-limit tests set their own.
        let rate = RateSettings::per_second(100_000, 100_000);
        // Providers point at a closed local port unless a test starts a fake for them, so no
        // test ever reaches a real provider.
        let nowhere = "http://127.0.0.1:9".to_string();
        TestAppBuilder {
            config: ApiConfig { rate, ..ApiConfig::default() },
            extra: None,
            providers: ProviderUrls {
                sendgrid: nowhere.clone(),
                twilio: nowhere.clone(),
                openai: nowhere.clone(),
                certisign: Some(nowhere.clone()),
                d4sign: Some(nowhere.clone()),
                clicksign: Some(nowhere.clone()),
                docusign_auth: Some(nowhere.clone()),
                adobe_sign: Some(nowhere),
            },
            twilio_account: None,
            s3: None,
        }
    }
}

impl TestAppBuilder {
    pub fn config(mut self, f: impl FnOnce(&mut ApiConfig)) -> Self {
        f(&mut self.config);
        self
    }

    /// Where the provider clients go (usually a [`FakeProvider`]'s `url`).
    pub fn providers(mut self, f: impl FnOnce(&mut ProviderUrls)) -> Self {
        f(&mut self.providers);
        self
    }

    /// The server-wide Twilio account.
    pub fn twilio_account(mut self, sid: &str, token: &str) -> Self {
        self.twilio_account = Some(TwilioAccount { sid: sid.into(), token: token.into() });
        self
    }

    /// Files in a new bucket of this S3-compatible server instead of a temporary directory.
    pub fn s3(mut self, server: S3Server) -> Self {
        self.s3 = Some(server);
        self
    }

    /// Routes merged under the real middleware (for failure paths no real route has).
    pub fn extra_routes(mut self, routes: Router<AppState>) -> Self {
        self.extra = Some(routes);
        self
    }

    pub async fn build(self) -> TestApp {
        logs::install();
        let database = TestDatabase::create().await;
        let db = database.connect().await;
        enspace_store::migrate::run(&db).await.expect("migrations apply");
        // Rows are written when a test flushes (or a batch fills), never on a timer, so what a
        // test reads from the log does not depend on timing.
        let settings = WriterSettings { max_delay: std::time::Duration::from_secs(3600), ..WriterSettings::default() };
        let (sink, writer) = request_log::start(db.clone(), settings);
        let files_dir = tempfile::tempdir().expect("a temporary directory for files");
        let (files, s3) = match self.s3 {
            Some(server) => {
                let settings = server.bucket("files").await;
                let store = enspace_engine::files::FileStore::bucket(&settings).await.expect("the test bucket opens");
                (store, Some((server, settings)))
            }
            None => (enspace_engine::files::FileStore::local(files_dir.path()), None),
        };
        let keyring = Arc::new(Keyring::new(MasterKey::generate()));
        let providers = Providers::new(self.providers).with_twilio_account(self.twilio_account);
        let jobs = Jobs::standard(
            &db,
            keyring.clone(),
            providers.clone(),
            files.clone(),
            &self.config.public_url,
            self.config.allow_private_webhooks,
        );
        let state = AppState::new(db.clone(), self.config, sink, files, keyring, jobs, providers);
        let console = enspace_console::ConsoleSettings::new(&state.config.public_url, false)
            .expect("the test public URL is a loopback address");
        let extra = self.extra.unwrap_or_default().merge(enspace_console::router(console));
        let router = enspace_api::router_with(state.clone(), extra);
        TestApp { db, router, state, writer: Some(writer), _database: database, files_dir, s3 }
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::builder().build().await
    }

    /// Runs every due job (as the server's worker would), until none is left; answers how many
    /// ran. Tests call it where the server would have run them in the background. New events
    /// are first dispatched to webhooks, as the server's dispatcher would.
    pub async fn run_jobs(&self) -> usize {
        self.run_jobs_until(None).await
    }

    /// [`run_jobs`](Self::run_jobs) with the worker's clock at `at` (milliseconds): every job
    /// due by then runs — the controllable clock of timed work such as deadline notifications.
    pub async fn run_jobs_at(&self, at: i64) -> usize {
        self.run_jobs_until(Some(at)).await
    }

    /// With no `at`, the clock is read before each batch, as the server's worker does.
    async fn run_jobs_until(&self, at: Option<i64>) -> usize {
        let settings = WorkerSettings { worker_id: "test-worker".into(), ..WorkerSettings::default() };
        let mut total = 0;
        loop {
            enspace_engine::webhooks::dispatch(&self.db).await.expect("webhook dispatch works");
            let now = at.unwrap_or_else(enspace_domain::time::now_ms);
            let ran = self.state.jobs.run_due_at(&self.db, &settings, now).await.expect("the job queue works");
            if ran == 0 {
                return total;
            }
            total += ran;
        }
    }

    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// Removes an object of the S3 file store behind the server's back (its readiness marker is
    /// `.enspace`).
    pub async fn remove_from_bucket(&self, name: &str) {
        let (server, settings) = self.s3.as_ref().expect("an app built with .s3(…)");
        server.delete(settings, name).await;
    }

    /// The keys of the files' bytes the file store holds (the bucket's objects, or the files of
    /// the directory), sorted: what uploads add and deletions remove.
    pub async fn stored_file_keys(&self) -> Vec<String> {
        if let Some((server, settings)) = &self.s3 {
            return server
                .keys(settings)
                .await
                .into_iter()
                .map(|k| k.rsplit('/').next().unwrap().to_string())
                .collect();
        }
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                    out.push(name.to_string());
                }
            }
        }
        let mut keys = Vec::new();
        walk(self.files_dir.path(), &mut keys);
        keys.sort();
        keys
    }

    pub fn request(&self, method: &str, path: &str) -> TestRequest<'_> {
        TestRequest::new(&self.router, method, path)
    }

    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request("POST", path)
    }

    pub fn put(&self, path: &str) -> TestRequest<'_> {
        self.request("PUT", path)
    }

    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request("DELETE", path)
    }

    /// Writes the queued request-log rows.
    pub async fn flush_request_log(&self) {
        if let Some(writer) = &self.writer {
            writer.flush().await;
        }
    }

    /// Stops the request-log writer as a graceful shutdown does (flushing it).
    pub async fn shutdown_request_log(&mut self) {
        if let Some(writer) = self.writer.take() {
            writer.shutdown().await;
        }
    }

    /// A new user with an all-powerful key.
    pub async fn user(&self, email: &str) -> TestUser {
        let mut tx = self.db.begin().await.unwrap();
        let user = enspace_store::users::create(&mut tx, email, Some("Test"), Some("User")).await.unwrap();
        tx.commit().await.unwrap();
        let key = self.key(user.id, Scopes::EVERY, None).await;
        TestUser { id: user.id, email: user.email, key }
    }

    /// A new user with an all-powerful key and a login password (for the console).
    pub async fn user_with_password(&self, email: &str, password: &str) -> TestUser {
        let user = self.user(email).await;
        let hash = enspace_domain::password::hash_password(password);
        let mut tx = self.db.begin().await.unwrap();
        enspace_store::users::set_password(&mut tx, user.id, &hash).await.unwrap();
        tx.commit().await.unwrap();
        user
    }

    /// Issues a key for a user directly in the store: `workspaces: None` is `["*"]`.
    pub async fn key(&self, user_id: i64, scopes: Scopes, workspaces: Option<&[i64]>) -> String {
        let issued = key::issue();
        let mut tx = self.db.begin().await.unwrap();
        enspace_store::api_keys::create(
            &mut tx,
            NewApiKey {
                user_id,
                reference: &issued.reference,
                digest: &issued.digest,
                description: "test key",
                scopes,
                all_workspaces: workspaces.is_none(),
                workspace_ids: workspaces.unwrap_or_default(),
                expires_at: None,
            },
            enspace_domain::time::now_ms(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        issued.secret
    }

    /// Creates a workspace through the API; answers its JSON.
    pub async fn workspace(&self, owner: &TestUser, name: &str) -> Value {
        let response = self.post("/workspaces").key(&owner.key).json(&json!({ "name": name })).send().await;
        assert_eq!(response.status, 201, "creating workspace {name}: {}", response.text());
        response.json()
    }

    /// Adds `user` to a workspace directly in the store; answers the member id.
    pub async fn add_member(
        &self,
        workspace_id: i64,
        user_id: i64,
        member_type: MemberType,
        status: MemberStatus,
    ) -> i64 {
        let mut tx = self.db.begin().await.unwrap();
        let member = enspace_store::members::add(&mut tx, workspace_id, user_id, member_type, status).await.unwrap();
        tx.commit().await.unwrap();
        member.id
    }

    /// Creates a role with permissions (`(reference, fields)`) directly in the store (roles get
    /// their routes with the access milestone); answers the role id.
    pub async fn role(&self, workspace_id: i64, permissions: &[(&str, Option<Value>)]) -> i64 {
        let mut tx = self.db.begin().await.unwrap();
        let role_id = tx
            .fetch_one(
                "INSERT INTO roles (workspace_id, name, created_at, updated_at) VALUES ($1, 'Role', 1, 1) RETURNING id",
                &[workspace_id.into()],
            )
            .await
            .unwrap()
            .i64("id")
            .unwrap();
        for (reference, fields) in permissions {
            tx.execute(
                "INSERT INTO role_permissions (workspace_id, role_id, reference, fields, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, 1)",
                &[
                    workspace_id.into(),
                    role_id.into(),
                    (*reference).into(),
                    fields.clone().unwrap_or_else(|| json!(["*"])).into(),
                ],
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        role_id
    }

    /// Gives a member a role directly in the store.
    pub async fn assign_role(&self, member_id: i64, role_id: i64) {
        self.db
            .execute("UPDATE members SET role_id = $2 WHERE id = $1", &[member_id.into(), role_id.into()])
            .await
            .unwrap();
    }
}
