//! The job queue's rows: enqueue (inside the caller's transaction), claim under a lease, and
//! record the outcome. The worker that runs them is `engine::jobs`.

use serde_json::Value;

use crate::{
    db::{Backend, Db, Row, Tx},
    error::Result,
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub kind: String,
    pub payload: Value,
    pub dedupe_key: Option<String>,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub run_at: i64,
    /// Claims so far, this one included while running.
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, workspace_id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, \
     locked_by, locked_until, last_error, created_at, updated_at";

impl JobRecord {
    fn from_row(row: &Row) -> Result<JobRecord> {
        Ok(JobRecord {
            id: row.i64("id")?,
            workspace_id: row.opt_i64("workspace_id")?,
            kind: row.text("kind")?,
            payload: row.json("payload")?,
            dedupe_key: row.opt_text("dedupe_key")?,
            status: row.text("status")?,
            run_at: row.i64("run_at")?,
            attempts: row.i64("attempts")?,
            max_attempts: row.i64("max_attempts")?,
            locked_by: row.opt_text("locked_by")?,
            locked_until: row.opt_i64("locked_until")?,
            last_error: row.opt_text("last_error")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

pub struct NewJob<'a> {
    pub workspace_id: Option<i64>,
    pub kind: &'a str,
    pub payload: Value,
    pub run_at: i64,
    pub max_attempts: i64,
    /// At most one job with this key exists: a second enqueue is a no-op.
    pub dedupe_key: Option<&'a str>,
}

/// Enqueues in the caller's transaction, so the job exists exactly when the change that caused
/// it does. Answers the new id, or `None` when a job with the same `dedupe_key` exists.
pub async fn enqueue(tx: &mut Tx, job: NewJob<'_>, now: i64) -> Result<Option<i64>> {
    let row = tx
        .fetch_optional(
            "INSERT INTO jobs (workspace_id, kind, payload, dedupe_key, run_at, max_attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            &params![job.workspace_id, job.kind, job.payload, job.dedupe_key, job.run_at, job.max_attempts, now],
        )
        .await?;
    row.map(|r| r.i64("id")).transpose()
}

/// [`enqueue`] for several jobs in one statement; those whose `dedupe_key` exists are skipped.
pub async fn enqueue_many(tx: &mut Tx, jobs: &[NewJob<'_>], now: i64) -> Result<()> {
    for chunk in jobs.chunks(200) {
        let mut sql = crate::list::Sql::new(
            "INSERT INTO jobs (workspace_id, kind, payload, dedupe_key, run_at, max_attempts, created_at, updated_at) \
             VALUES ",
        );
        for (i, job) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_list(params![
                job.workspace_id,
                job.kind,
                job.payload.clone(),
                job.dedupe_key,
                job.run_at,
                job.max_attempts,
                now,
                now
            ]);
        }
        sql.push(" ON CONFLICT (dedupe_key) DO NOTHING");
        tx.execute(&sql.text, &sql.params).await?;
    }
    Ok(())
}

/// Claims up to `limit` due jobs for `worker` until `now + lease_ms`: queued jobs whose time has
/// come, and running jobs whose lease expired (their worker died). Each job goes to exactly one
/// claimer: PostgreSQL skips rows another claimer holds; SQLite has one writer.
pub async fn claim(db: &Db, worker: &str, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<JobRecord>> {
    let lock = if db.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let mut tx = db.begin().await?;
    let rows = tx
        .fetch_all(
            &format!(
                "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, \
                 updated_at = $3 WHERE id IN (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) \
                 OR (status = 'running' AND locked_until <= $3) ORDER BY run_at, id LIMIT $4{lock}) \
                 RETURNING {COLUMNS}"
            ),
            &params![worker, now + lease_ms, now, limit],
        )
        .await?;
    tx.commit().await?;
    let mut jobs = rows.iter().map(JobRecord::from_row).collect::<Result<Vec<_>>>()?;
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

/// Extends the leases of the jobs `worker` is running to `until`: a long job (an index build, a
/// large purge) keeps its claim while its process lives, and only a stopped process's jobs
/// expire and move to another worker.
pub async fn extend_leases(db: &Db, worker: &str, until: i64) -> Result<u64> {
    db.execute(
        "UPDATE jobs SET locked_until = $2 WHERE locked_by = $1 AND status = 'running' AND locked_until < $2",
        &params![worker, until],
    )
    .await
}

/// Marks a job done, if `worker` still holds it (a worker whose lease expired and was claimed
/// again must not overwrite the new claim). Answers whether it did.
pub async fn complete(db: &Db, id: i64, worker: &str, now: i64) -> Result<bool> {
    let changed = db
        .execute(
            "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, updated_at = $3 \
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
            &params![id, worker, now],
        )
        .await?;
    Ok(changed == 1)
}

/// Records a failed attempt: queued again at `retry_at`, or `failed` for good when `None`.
pub async fn fail(db: &Db, id: i64, worker: &str, error: &str, retry_at: Option<i64>, now: i64) -> Result<bool> {
    let (status, run_at) = match retry_at {
        Some(at) => ("queued", Some(at)),
        None => ("failed", None),
    };
    let changed = db
        .execute(
            "UPDATE jobs SET status = $4, run_at = COALESCE($5, run_at), last_error = $3, locked_by = NULL, \
             locked_until = NULL, updated_at = $6 WHERE id = $1 AND locked_by = $2 AND status = 'running'",
            &params![id, worker, error, status, run_at, now],
        )
        .await?;
    Ok(changed == 1)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<JobRecord>> {
    db.fetch_optional(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"), &params![id])
        .await?
        .as_ref()
        .map(JobRecord::from_row)
        .transpose()
}

/// The earliest time a queued job is due, to sleep until then.
pub async fn next_due(db: &Db) -> Result<Option<i64>> {
    let row = db.fetch_one("SELECT MIN(run_at) AS at FROM jobs WHERE status = 'queued'", &[]).await?;
    row.opt_i64("at")
}

/// Whether a queued or running job has a dedupe key starting with `prefix`.
pub async fn pending_with_prefix(db: &Db, prefix: &str) -> Result<bool> {
    let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let row = db
        .fetch_optional(
            "SELECT id FROM jobs WHERE dedupe_key LIKE $1 ESCAPE '\\' AND status IN ('queued', 'running') LIMIT 1",
            &params![pattern],
        )
        .await?;
    Ok(row.is_some())
}

/// Drops finished jobs older than `before` (the retention task calls it).
pub async fn prune(db: &Db, before: i64) -> Result<u64> {
    db.execute("DELETE FROM jobs WHERE status IN ('done', 'failed') AND updated_at < $1", &params![before]).await
}
