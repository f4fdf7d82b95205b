use std::time::Duration;

use enspace_domain::time::now_ms;
use enspace_store::Db;
use tokio::{sync::watch, task::JoinHandle};

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

/// Prunes request-log rows and events older than their retention, finished jobs after 30 days,
/// and expired sessions, invitations and login failure counters, every `every`, until `stop`
/// changes.
pub fn start(db: Db, retention: Retention, every: Duration, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match prune_events(&db, now_ms() - retention.events.as_millis() as i64).await {
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "event log pruning failed"),
            }
            let before = now_ms() - retention.request_log.as_millis() as i64;
            match enspace_store::request_logs::prune(&db, before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned request log"),
                Err(error) => tracing::warn!(%error, "request log pruning failed"),
            }
            match enspace_store::jobs::prune(&db, now_ms() - FINISHED_JOBS_KEPT_MS).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned finished jobs"),
                Err(error) => tracing::warn!(%error, "job pruning failed"),
            }
            match enspace_store::sessions::prune(&db, now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned expired sessions, invitations and login counters"),
                Err(error) => tracing::warn!(%error, "session pruning failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
        }
    })
}
