use std::time::Duration;

use enspace_domain::time::now_ms;
use enspace_store::Db;
use tokio::{sync::watch, task::JoinHandle};

/// Finished (done or failed) jobs are kept this long for inspection [ours].
const FINISHED_JOBS_KEPT_MS: i64 = 30 * 24 * 3600 * 1000;

/// Prunes request-log rows older than `retention`, finished jobs after 30 days, and expired
/// sessions, invitations and login failure counters, every `every`, until `stop` changes.
pub fn start(db: Db, retention: Duration, every: Duration, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let before = now_ms() - retention.as_millis() as i64;
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
