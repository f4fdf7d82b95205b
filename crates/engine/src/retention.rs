//! Retention: what the server prunes, and how often. Pruning is a job, one pass per period
//! across every process on the database.

use std::time::Duration;

use enspace_domain::time::now_ms;
use enspace_store::{
    jobs::{JobRecord, NewJob},
    Db,
};
use serde_json::json;
use tokio::{sync::watch, task::JoinHandle};

use crate::jobs::{Handler, JobError, JobFuture, Jobs};

/// Finished (done or failed) jobs are kept this long for inspection [ours].
const FINISHED_JOBS_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

/// The shortest event retention: webhook deliveries retry for a day, and their events must
/// outlive them (decision 75).
pub const EVENT_RETENTION_MIN_DAYS: u32 = 2;

/// Prunes the event log: events older than `before`, except an existing item's (its history),
/// in small transactions so no writer waits long. Answers how many batches ran.
pub async fn prune_events(db: &Db, before: i64) -> enspace_store::Result<u64> {
    let mut cursor = 0;
    let mut batches = 0;
    while let Some(next) = enspace_store::events::prune_batch(db, cursor, before).await? {
        cursor = next;
        batches += 1;
        tokio::task::yield_now().await;
    }
    // Webhook attempts are kept as long as the events they delivered (decision 83).
    enspace_store::webhooks::prune_deliveries(db, before).await?;
    Ok(batches)
}

/// What is kept how long.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub request_log: Duration,
    pub events: Duration,
}

/// The job kind of a pruning pass.
pub const PRUNE: &str = "retention.prune";

/// Queues a pruning pass every `every`, until `stop` changes. The job's key names the period,
/// so however many processes share the database, one pass runs per period (by whichever worker
/// claims it), with the retention of the process that queued it first.
pub fn start(
    db: Db,
    jobs: Jobs,
    retention: Retention,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match queue_pass(&db, retention, every).await {
                Ok(()) => jobs.wake(),
                Err(error) => tracing::warn!(%error, "could not queue the pruning pass"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

/// Queues the pruning pass of the current period (nothing when it is queued already).
pub async fn queue_pass(db: &Db, retention: Retention, every: Duration) -> enspace_store::Result<()> {
    let now = now_ms();
    let period = now / (every.as_millis() as i64).max(1);
    let key = format!("retention:{period}");
    let payload = json!({
        "request_log_ms": retention.request_log.as_millis() as i64,
        "events_ms": retention.events.as_millis() as i64,
    });
    let job = NewJob { workspace_id: None, kind: PRUNE, payload, run_at: now, max_attempts: 3, dedupe_key: Some(&key) };
    let mut tx = db.begin().await?;
    enspace_store::jobs::enqueue(&mut tx, job, now).await?;
    tx.commit().await
}

/// A pruning pass: request-log rows and events older than their retention, finished jobs after
/// 30 days, and expired sessions, invitations and login failure counters.
pub struct Prune {
    pub db: Db,
}

impl Prune {
    async fn prune(&self, job: &JobRecord) -> Result<(), JobError> {
        let age =
            |name: &str| job.payload[name].as_i64().ok_or_else(|| JobError::Fatal(format!("no {name} in the job")));
        let (request_log, events) = (age("request_log_ms")?, age("events_ms")?);
        let db = &self.db;
        prune_events(db, now_ms() - events).await?;
        let n = enspace_store::request_logs::prune(db, now_ms() - request_log).await?;
        if n > 0 {
            tracing::info!(rows = n, "pruned request log");
        }
        let n = enspace_store::jobs::prune(db, now_ms() - FINISHED_JOBS_KEPT_MS).await?;
        if n > 0 {
            tracing::info!(rows = n, "pruned finished jobs");
        }
        let n = enspace_store::sessions::prune(db, now_ms()).await?;
        if n > 0 {
            tracing::info!(rows = n, "pruned expired sessions, invitations and login counters");
        }
        Ok(())
    }
}

impl Handler for Prune {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(self.prune(job))
    }
}
