//! The job queue on both databases: enqueue in a transaction, exactly-once claims across
//! concurrent workers, leases that expire, backoff with the last error kept, and dedupe keys.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use enspace_domain::time::now_ms;
use enspace_engine::jobs::{Handler, JobError, JobFuture, Jobs, WorkerSettings};
use enspace_store::jobs::{JobRecord, NewJob};
use enspace_testkit::TestApp;
use serde_json::json;

/// Records the ids it ran, and answers each run with `outcome`.
struct Recorder {
    ran: Mutex<Vec<i64>>,
    outcome: Result<(), JobError>,
}

impl Handler for Recorder {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(async move {
            self.ran.lock().unwrap().push(job.id);
            self.outcome.clone()
        })
    }
}

fn recorder(outcome: Result<(), JobError>) -> Arc<Recorder> {
    Arc::new(Recorder { ran: Mutex::new(Vec::new()), outcome })
}

fn worker(id: &str) -> WorkerSettings {
    WorkerSettings { worker_id: id.into(), lease: Duration::from_secs(60), batch: 7, poll: Duration::from_millis(10) }
}

async fn enqueue(app: &TestApp, kind: &str, max_attempts: i64, dedupe: Option<&str>) -> Option<i64> {
    let mut tx = app.db.begin().await.unwrap();
    let job = NewJob {
        workspace_id: None,
        kind,
        payload: json!({ "n": 1 }),
        run_at: now_ms(),
        max_attempts,
        dedupe_key: dedupe,
    };
    let id = enspace_store::jobs::enqueue(&mut tx, job, now_ms()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn job(app: &TestApp, id: i64) -> JobRecord {
    enspace_store::jobs::get(&app.db, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_job_runs_once_and_is_done() {
    let app = TestApp::new().await;
    let handler = recorder(Ok(()));
    let jobs = Jobs::new(vec![("mail", handler.clone() as Arc<dyn Handler>)]);
    let id = enqueue_one(&app, "mail").await;
    assert_eq!(jobs.run_due(&app.db, &worker("w1")).await.unwrap(), 1);
    assert_eq!(jobs.run_due(&app.db, &worker("w1")).await.unwrap(), 0);
    assert_eq!(*handler.ran.lock().unwrap(), [id]);
    let done = job(&app, id).await;
    assert_eq!((done.status.as_str(), done.attempts, done.locked_by, done.last_error), ("done", 1, None, None));
    // A rolled-back enqueue leaves nothing to run.
    let mut tx = app.db.begin().await.unwrap();
    let new =
        NewJob { workspace_id: None, kind: "mail", payload: json!({}), run_at: 0, max_attempts: 1, dedupe_key: None };
    enspace_store::jobs::enqueue(&mut tx, new, now_ms()).await.unwrap();
    drop(tx);
    assert_eq!(jobs.run_due(&app.db, &worker("w1")).await.unwrap(), 0);
}

/// A job of `kind` with three attempts, due now.
async fn enqueue_one(app: &TestApp, kind: &str) -> i64 {
    enqueue(app, kind, 3, None).await.unwrap()
}

#[tokio::test]
async fn failures_back_off_keep_the_last_error_and_then_fail_for_good() {
    let app = TestApp::new().await;
    let retry = JobError::Retry { message: "SendGrid answered 503".into(), after: None };
    let jobs = Jobs::new(vec![("mail", recorder(Err(retry)) as Arc<dyn Handler>)]);
    let id = enqueue(&app, "mail", 2, None).await.unwrap();
    let before = now_ms();
    jobs.run_due(&app.db, &worker("w1")).await.unwrap();
    let waiting = job(&app, id).await;
    assert_eq!((waiting.status.as_str(), waiting.attempts), ("queued", 1));
    assert_eq!(waiting.last_error.as_deref(), Some("SendGrid answered 503"));
    assert!(waiting.run_at >= before + 30_000 && waiting.run_at <= now_ms() + 30_000, "{}", waiting.run_at);
    // Not due yet: nothing runs.
    assert_eq!(jobs.run_due(&app.db, &worker("w1")).await.unwrap(), 0);
    app.db.execute("UPDATE jobs SET run_at = 0 WHERE id = $1", &[id.into()]).await.unwrap();
    jobs.run_due(&app.db, &worker("w1")).await.unwrap();
    let failed = job(&app, id).await;
    assert_eq!((failed.status.as_str(), failed.attempts), ("failed", 2));

    // A provider's Retry-After beats a shorter backoff; a fatal error fails at once.
    let later = JobError::Retry { message: "429".into(), after: Some(Duration::from_secs(600)) };
    let jobs = Jobs::new(vec![
        ("later", recorder(Err(later)) as Arc<dyn Handler>),
        ("fatal", recorder(Err(JobError::Fatal("401 from provider".into()))) as Arc<dyn Handler>),
    ]);
    let (later_id, fatal_id, orphan_id) = (
        enqueue_one(&app, "later").await,
        enqueue_one(&app, "fatal").await,
        enqueue_one(&app, "nobody-handles-this").await,
    );
    jobs.run_due(&app.db, &worker("w1")).await.unwrap();
    assert!(job(&app, later_id).await.run_at >= before + 600_000);
    let fatal = job(&app, fatal_id).await;
    assert_eq!((fatal.status.as_str(), fatal.last_error.as_deref()), ("failed", Some("401 from provider")));
    let orphan = job(&app, orphan_id).await;
    assert_eq!(orphan.last_error.as_deref(), Some("no handler for jobs of kind \"nobody-handles-this\""));
}

#[tokio::test]
async fn concurrent_workers_claim_every_job_exactly_once() {
    let app = TestApp::new().await;
    let handler = recorder(Ok(()));
    let jobs = Jobs::new(vec![("mail", handler.clone() as Arc<dyn Handler>)]);
    let mut ids = Vec::new();
    for _ in 0..120 {
        ids.push(enqueue_one(&app, "mail").await);
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let (jobs, db) = (jobs.clone(), app.db.clone());
        workers.push(tokio::spawn(async move {
            let settings = worker(&format!("w{w}"));
            while jobs.run_due(&db, &settings).await.unwrap() > 0 {}
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let mut ran = handler.ran.lock().unwrap().clone();
    ran.sort();
    assert_eq!(ran, ids, "every job ran, once");
    let done = app.db.fetch_one("SELECT COUNT(*) AS n FROM jobs WHERE status = 'done'", &[]).await.unwrap();
    assert_eq!(done.i64("n").unwrap(), 120);
}

#[tokio::test]
async fn an_expired_lease_is_claimed_again_and_the_stale_worker_records_nothing() {
    let app = TestApp::new().await;
    let id = enqueue_one(&app, "mail").await;
    let now = now_ms();
    let first = enspace_store::jobs::claim(&app.db, "crashed", now, 1_000, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    // Within the lease, nobody else gets it.
    assert!(enspace_store::jobs::claim(&app.db, "other", now + 500, 1_000, 10).await.unwrap().is_empty());
    let again = enspace_store::jobs::claim(&app.db, "other", now + 1_000, 60_000, 10).await.unwrap();
    assert_eq!((again[0].id, again[0].attempts, again[0].locked_by.as_deref()), (id, 2, Some("other")));
    assert!(!enspace_store::jobs::complete(&app.db, id, "crashed", now).await.unwrap());
    assert!(enspace_store::jobs::complete(&app.db, id, "other", now).await.unwrap());
    assert_eq!(job(&app, id).await.status, "done");
}

#[tokio::test]
async fn a_dedupe_key_allows_one_job() {
    let app = TestApp::new().await;
    let first = enqueue(&app, "autoclose", 3, Some("conversation:1:message:9")).await;
    assert!(first.is_some());
    assert_eq!(enqueue(&app, "autoclose", 3, Some("conversation:1:message:9")).await, None);
    assert!(enqueue(&app, "autoclose", 3, Some("conversation:1:message:10")).await.is_some());
}

/// Runs for `for_` (a job longer than its lease).
struct Slow {
    for_: Duration,
}

impl Handler for Slow {
    fn run<'a>(&'a self, _: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(self.for_).await;
            Ok(())
        })
    }
}

/// A job longer than its lease keeps its claim while its worker lives (the worker renews the
/// lease every third of it): no other worker takes it over meanwhile, and it runs once.
#[tokio::test]
async fn a_running_job_keeps_its_claim_past_its_lease() {
    let app = TestApp::new().await;
    let id = enqueue_one(&app, "build").await;
    let jobs = Jobs::new(vec![("build", Arc::new(Slow { for_: Duration::from_millis(2500) }) as Arc<dyn Handler>)]);
    let settings = WorkerSettings { lease: Duration::from_secs(1), ..worker("w1") };
    let db = app.db.clone();
    let running = tokio::spawn(async move { jobs.run_due(&db, &settings).await.unwrap() });
    for (at, wait) in [(1500, 1500), (2200, 700)] {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let taken = enspace_store::jobs::claim(&app.db, "w2", now_ms(), 1000, 10).await.unwrap();
        assert_eq!(taken.len(), 0, "another worker took the job over {at} ms in, past its first lease");
    }
    assert_eq!(running.await.unwrap(), 1);
    let done = job(&app, id).await;
    assert_eq!((done.status.as_str(), done.attempts, done.locked_by), ("done", 1, None));
}

/// Pruning is one job per period: two processes queueing the same period's pass make one job,
/// which prunes with the retention it was queued with.
#[tokio::test]
async fn one_pruning_pass_per_period_whatever_the_processes() {
    use enspace_engine::retention::{queue_pass, Retention};
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let created = app.post("/ws/types").key(&ana.key).ws("acme").json(&json!({ "name": "Pedidos" })).send().await;
    assert_eq!(created.status, 201, "{}", created.text());
    let count = |sql: &'static str| {
        let db = app.db.clone();
        async move { db.fetch_one(sql, &[]).await.unwrap().i64("n").unwrap() }
    };
    assert_eq!(count("SELECT COUNT(*) AS n FROM events").await, 1, "type.created");
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Events kept for no time at all: the pass prunes every event that is not an item's.
    let retention = Retention { request_log: Duration::from_secs(3600), events: Duration::ZERO };
    for _process in 0..2 {
        queue_pass(&app.db, retention, Duration::from_secs(3600)).await.unwrap();
    }
    assert_eq!(count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'retention.prune'").await, 1);
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(count("SELECT COUNT(*) AS n FROM events").await, 0);
    assert_eq!(count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'retention.prune' AND status = 'done'").await, 1);
}
