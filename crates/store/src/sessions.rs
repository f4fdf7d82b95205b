//! Login sessions, invitations and login failure counters. Tokens are kept as digests only.

use crate::{
    db::{Db, Tx},
    error::Result,
    params,
    users::{UserRecord, USER_COLUMNS},
};

pub async fn create(db: &Db, user_id: i64, digest: &str, now: i64, expires_at: i64) -> Result<()> {
    db.execute(
        "INSERT INTO sessions (user_id, digest, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        &params![user_id, digest, now, expires_at],
    )
    .await?;
    Ok(())
}

/// The user of an unexpired session with this digest, with the session's id.
pub async fn find(db: &Db, digest: &str, now: i64) -> Result<Option<(i64, String, UserRecord)>> {
    let columns = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    let row = db
        .fetch_optional(
            &format!(
                "SELECT s.id AS session_id, s.digest AS session_digest, {columns} FROM sessions s \
                 JOIN users u ON u.id = s.user_id WHERE s.digest = $1 AND s.expires_at > $2 AND u.status = 'active'"
            ),
            &params![digest, now],
        )
        .await?;
    row.map(|r| Ok((r.i64("session_id")?, r.text("session_digest")?, UserRecord::from_row(&r)?))).transpose()
}

/// Ends a session; answers whether it existed.
pub async fn delete(db: &Db, id: i64) -> Result<bool> {
    Ok(db.execute("DELETE FROM sessions WHERE id = $1", &params![id]).await? == 1)
}

/// Failure counters older than this are forgotten by [`prune`] (longer than any window or lock).
const FAILURES_KEPT_MS: i64 = 24 * 3600 * 1000;

/// Drops expired sessions, expired invitations and stale login failure counters (the retention
/// task calls it).
pub async fn prune(db: &Db, now: i64) -> Result<u64> {
    let sessions = db.execute("DELETE FROM sessions WHERE expires_at <= $1", &params![now]).await?;
    let invitations = db.execute("DELETE FROM invitations WHERE expires_at <= $1", &params![now]).await?;
    let failures = db
        .execute(
            "DELETE FROM login_failures WHERE window_start <= $1 AND (locked_until IS NULL OR locked_until <= $2)",
            &params![now - FAILURES_KEPT_MS, now],
        )
        .await?;
    Ok(sessions + invitations + failures)
}

pub async fn create_invitation(
    tx: &mut Tx,
    workspace_id: i64,
    member_id: i64,
    user_id: i64,
    digest: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO invitations (workspace_id, member_id, user_id, digest, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &params![workspace_id, member_id, user_id, digest, now, expires_at],
    )
    .await?;
    Ok(())
}

/// Takes an unexpired, unaccepted invitation (marking it accepted); answers its user id.
pub async fn take_invitation(tx: &mut Tx, digest: &str, now: i64) -> Result<Option<i64>> {
    let row = tx
        .fetch_optional(
            "UPDATE invitations SET accepted_at = $2 WHERE digest = $1 AND accepted_at IS NULL AND expires_at > $2 \
             RETURNING user_id",
            &params![digest, now],
        )
        .await?;
    row.map(|r| r.i64("user_id")).transpose()
}

/// Whether logins for `key` are refused until some time; answers that time.
pub async fn locked_until(db: &Db, key: &str, now: i64) -> Result<Option<i64>> {
    let row = db.fetch_optional("SELECT locked_until FROM login_failures WHERE key = $1", &params![key]).await?;
    Ok(row.map(|r| r.opt_i64("locked_until")).transpose()?.flatten().filter(|until| *until > now))
}

/// Counts a failure for `key` in a window of `window_ms` (one atomic upsert, so concurrent
/// failures all count); at `max` failures in one window the key is locked for `lock_ms`.
/// Answers the failures counted in the current window.
pub async fn record_failure(db: &Db, key: &str, now: i64, window_ms: i64, max: i64, lock_ms: i64) -> Result<i64> {
    let mut tx = db.begin().await?;
    let failures = tx
        .fetch_one(
            "INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN login_failures.window_start > $3 THEN login_failures.failures + 1 ELSE 1 END, \
             window_start = CASE WHEN login_failures.window_start > $3 THEN login_failures.window_start ELSE $2 END \
             RETURNING failures",
            &params![key, now, now - window_ms],
        )
        .await?
        .i64("failures")?;
    if failures >= max {
        tx.execute("UPDATE login_failures SET locked_until = $2 WHERE key = $1", &params![key, now + lock_ms]).await?;
    }
    tx.commit().await?;
    Ok(failures)
}

/// Forgets the failures of `key` (after a successful login).
pub async fn clear_failures(db: &Db, key: &str) -> Result<()> {
    db.execute("DELETE FROM login_failures WHERE key = $1", &params![key]).await?;
    Ok(())
}
