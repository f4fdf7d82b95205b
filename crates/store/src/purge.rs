//! Deleting what may be large — a workspace, a type, a field's values — without holding the
//! writer: one short transaction hides the subject (what the client is answered after), then
//! the rows go in small batches, each its own transaction, so that other writers (every
//! tenant's, on SQLite's single writer) get their turn between two batches. Every batch
//! function is idempotent and answers how many rows it touched, so a purge interrupted by a
//! crash simply runs again (the job queue retries it) and continues where it stopped.

use crate::{
    db::{Backend, Db, Tx},
    error::Result,
    params,
    types::TypeRecord,
};

/// Rows one batch removes or rewrites: a batch stays within a few milliseconds (measured in
/// docs/performance.md), far below the ~100 ms any one request may hold the SQLite writer.
pub const BATCH: i64 = 500;

/// Tables of a workspace's own rows that can grow large, removed in batches before the
/// workspace row (whose cascade then only meets small tables).
const WORKSPACE_TABLES: &[&str] = &[
    "events",
    "webhook_deliveries",
    "emails",
    "conversation_messages",
    "conversations",
    "signature_requests",
    "ai_usage",
    "quick_tasks",
    "deadline_notices",
];

/// Hides a workspace at once: no member, no key, no pending job, no invitation; its reference
/// moved aside (free for a new workspace) and marked deleted, so no lookup finds it again.
pub async fn hide_workspace(tx: &mut Tx, workspace_id: i64, now: i64) -> Result<()> {
    tx.execute("DELETE FROM api_key_workspaces WHERE workspace_id = $1", &params![workspace_id]).await?;
    tx.execute("DELETE FROM invitations WHERE workspace_id = $1", &params![workspace_id]).await?;
    tx.execute("DELETE FROM member_group_members WHERE workspace_id = $1", &params![workspace_id]).await?;
    tx.execute("DELETE FROM members WHERE workspace_id = $1", &params![workspace_id]).await?;
    tx.execute("DELETE FROM jobs WHERE workspace_id = $1", &params![workspace_id]).await?;
    // `~` never occurs in a reference, so the moved name can match no live one.
    tx.execute(
        "UPDATE workspaces SET reference = '~deleted~' || CAST(id AS TEXT) || '~' || reference, deleted_at = $2 \
         WHERE id = $1",
        &params![workspace_id, now],
    )
    .await?;
    Ok(())
}

/// Hides a type at once: its slug moved aside (free for a new type), marked deleted, the
/// permissions naming it or its forms removed, its field indexes dropped. Its fields, forms,
/// items and history stay until [`type_batch`] has removed them.
pub async fn hide_type(tx: &mut Tx, record: &TypeRecord, now: i64) -> Result<()> {
    let ws = record.workspace_id;
    for table in crate::roles::PERMISSION_TABLES {
        tx.execute(
            &format!(
                "DELETE FROM {table} WHERE workspace_id = $1 AND (reference LIKE $2 ESCAPE '\\' OR reference IN \
                 (SELECT 'forms::' || CAST(id AS TEXT) || '::create' FROM forms WHERE workspace_id = $1 AND type_id = $3))"
            ),
            &params![ws, format!("types::{}::%", record.slug.replace('_', "\\_")), record.id],
        )
        .await?;
    }
    for field_id in crate::fields::ids_of_type(tx, ws, record.id).await? {
        crate::indexes::drop_in(tx, field_id).await?;
    }
    tx.execute(
        "UPDATE types SET slug = '~deleted~' || CAST(id AS TEXT) || '~' || slug, deleted_at = $3 \
         WHERE workspace_id = $1 AND id = $2",
        &params![ws, record.id, now],
    )
    .await?;
    Ok(())
}

/// Deletes up to [`BATCH`] files matching `condition` (over `$1`, `$2`) in their own
/// transaction; answers their storage keys.
async fn files_batch(db: &Db, condition: &str, params: &[crate::db::Value]) -> Result<Vec<String>> {
    let mut tx = db.begin().await?;
    let rows = tx
        .fetch_all(
            &format!(
                "DELETE FROM files WHERE id IN (SELECT id FROM files WHERE {condition} LIMIT {BATCH}) RETURNING storage_key"
            ),
            params,
        )
        .await?;
    tx.commit().await?;
    rows.iter().map(|r| r.text("storage_key")).collect()
}

/// Deletes up to [`BATCH`] rows of `table` where `column = value`, in its own transaction.
async fn delete_batch(db: &Db, table: &str, column: &str, value: i64) -> Result<u64> {
    db.execute(
        &format!("DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {column} = $1 LIMIT {BATCH})"),
        &params![value],
    )
    .await
}

/// What one batch did: rows removed, and the storage keys of removed files (to delete from
/// storage after the batch committed).
#[derive(Debug, Default)]
pub struct Batch {
    pub rows: u64,
    pub file_keys: Vec<String>,
}

/// One batch of a hidden type's removal: its files, its items, its flow items; when none are
/// left, the type row itself (cascading to its fields, forms, counters and flows). `rows == 0` when
/// the type is gone.
pub async fn type_batch(db: &Db, workspace_id: i64, type_id: i64) -> Result<Batch> {
    let file_keys = files_batch(db, "workspace_id = $1 AND type_id = $2", &params![workspace_id, type_id]).await?;
    if !file_keys.is_empty() {
        return Ok(Batch { rows: file_keys.len() as u64, file_keys });
    }
    // The type's events stay: they are the log's past (`type.deleted` implies them), read by
    // those who may still read a deleted type's events, until the log's retention.
    let rows = delete_batch(db, "items", "type_id", type_id).await?;
    if rows > 0 {
        return Ok(Batch { rows, file_keys });
    }
    // Schedule tasks, then flow items: in batches too, before the flows cascade.
    let rows = delete_batch(db, "schedule_tasks", "type_id", type_id).await?;
    if rows > 0 {
        return Ok(Batch { rows, file_keys });
    }
    // Flow items are one per item and flow: in batches too, before the flows cascade.
    let rows = db
        .execute(
            &format!(
                "DELETE FROM flow_items WHERE id IN (SELECT id FROM flow_items WHERE flow_id IN \
                 (SELECT id FROM flows WHERE type_id = $1) LIMIT {BATCH})"
            ),
            &params![type_id],
        )
        .await?;
    if rows > 0 {
        return Ok(Batch { rows, file_keys });
    }
    let rows = db
        .execute(
            "DELETE FROM types WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NOT NULL",
            &params![workspace_id, type_id],
        )
        .await?;
    Ok(Batch { rows, file_keys })
}

/// One batch of a hidden workspace's removal: its types first (each as [`type_batch`]), then
/// its other large tables, then the workspace row (cascading to what is left, all small).
/// `rows == 0` when the workspace is gone.
pub async fn workspace_batch(db: &Db, workspace_id: i64, now: i64) -> Result<Batch> {
    let first_type = db
        .fetch_optional("SELECT id FROM types WHERE workspace_id = $1 ORDER BY id LIMIT 1", &params![workspace_id])
        .await?;
    if let Some(row) = first_type {
        let type_id = row.i64("id")?;
        // A live type of a hidden workspace is hidden first, so that its batches apply.
        db.execute(
            "UPDATE types SET deleted_at = $3 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL",
            &params![workspace_id, type_id, now],
        )
        .await?;
        let batch = type_batch(db, workspace_id, type_id).await?;
        return Ok(Batch { rows: batch.rows.max(1), file_keys: batch.file_keys });
    }
    let file_keys = files_batch(db, "workspace_id = $1", &params![workspace_id]).await?;
    if !file_keys.is_empty() {
        return Ok(Batch { rows: file_keys.len() as u64, file_keys });
    }
    for table in WORKSPACE_TABLES {
        let rows = delete_batch(db, table, "workspace_id", workspace_id).await?;
        if rows > 0 {
            return Ok(Batch { rows, file_keys });
        }
    }
    let rows =
        db.execute("DELETE FROM workspaces WHERE id = $1 AND deleted_at IS NOT NULL", &params![workspace_id]).await?;
    Ok(Batch { rows, file_keys })
}

/// One batch of removing a deleted field's values: the next [`BATCH`] items of the type after
/// `after` (an item id), rewritten without `ref_id` where they have it. Answers the last item
/// id looked at, or `None` when no item is left after `after`.
pub async fn field_values_batch(
    db: &Db,
    workspace_id: i64,
    type_id: i64,
    ref_id: &str,
    after: i64,
) -> Result<Option<i64>> {
    let row = db
        .fetch_one(
            &format!(
                "SELECT MAX(id) AS last FROM (SELECT id FROM items WHERE workspace_id = $1 AND type_id = $2 AND id > $3 \
                 ORDER BY id LIMIT {BATCH}) page"
            ),
            &params![workspace_id, type_id, after],
        )
        .await?;
    let Some(last) = row.opt_i64("last")? else { return Ok(None) };
    let sql = match db.backend() {
        // The key is a refId (a slug: letters, digits, `_`), safe inside the JSON path.
        Backend::Sqlite => format!(
            "UPDATE items SET data = json_remove(data, '$.{ref_id}') WHERE workspace_id = $1 AND type_id = $2 \
             AND id > $3 AND id <= $4 AND json_type(data, '$.{ref_id}') IS NOT NULL"
        ),
        Backend::Postgres => "UPDATE items SET data = data - $5 WHERE workspace_id = $1 AND type_id = $2 \
             AND id > $3 AND id <= $4 AND data ? $5"
            .to_string(),
    };
    let params = match db.backend() {
        Backend::Sqlite => params![workspace_id, type_id, after, last].to_vec(),
        Backend::Postgres => params![workspace_id, type_id, after, last, ref_id].to_vec(),
    };
    db.execute(&sql, &params).await?;
    Ok(Some(last))
}
