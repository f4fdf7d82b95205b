//! Deleting a workspace, a type or a field: one short transaction hides the subject and queues
//! its purge (the answer comes then), and the purge jobs remove the rows in small batches
//! (`store::purge`), so that no request — in any workspace — waits behind a large delete on
//! SQLite's single writer. A purge interrupted by a crash is claimed again when its lease
//! expires and continues where the rows stop.

use enspace_domain::time::now_ms;
use enspace_store::{
    fields::FieldRecord,
    jobs::{JobRecord, NewJob},
    purge,
    types::TypeRecord,
    workspaces::DeletionCounts,
    Db, Tx,
};
use serde_json::{json, Map, Value};

use crate::{
    files::FileStore,
    items::Author,
    jobs::{Handler, JobError, JobFuture},
    structure::{field_definition, field_subject, record_definition, type_subject, DefinitionChange},
};

pub const WORKSPACE: &str = "purge.workspace";
pub const TYPE: &str = "purge.type";
pub const FIELD: &str = "purge.field";

/// A purge fails only when the database does; it keeps trying (with the queue's backoff)
/// rather than leave hidden rows behind.
const MAX_ATTEMPTS: i64 = 50;

async fn enqueue(tx: &mut Tx, kind: &str, payload: Value, dedupe_key: &str, now: i64) -> enspace_store::Result<()> {
    let job = NewJob {
        workspace_id: None,
        kind,
        payload,
        run_at: now,
        max_attempts: MAX_ATTEMPTS,
        dedupe_key: Some(dedupe_key),
    };
    enspace_store::jobs::enqueue(tx, job, now).await?;
    Ok(())
}

/// The dedupe key of a field's purge; [`field_values_pending`] looks for it by prefix.
fn field_key_prefix(type_id: i64, ref_id: &str) -> String {
    format!("{FIELD}:{type_id}:{ref_id}:")
}

/// Deletes a workspace: answers what it held (counted in the same transaction that hides it).
pub async fn delete_workspace(db: &Db, workspace_id: i64) -> enspace_store::Result<DeletionCounts> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let counts = enspace_store::workspaces::deletion_counts(&mut tx, workspace_id).await?;
    purge::hide_workspace(&mut tx, workspace_id, now).await?;
    enqueue(&mut tx, WORKSPACE, json!({ "workspace": workspace_id }), &format!("{WORKSPACE}:{workspace_id}"), now)
        .await?;
    tx.commit().await?;
    Ok(counts)
}

/// Hides a field and queues the removal of its values, in the caller's transaction.
async fn delete_field_in(
    tx: &mut Tx,
    workspace_id: i64,
    type_slug: &str,
    field: &FieldRecord,
    author: &Author<'_>,
    now: i64,
) -> enspace_store::Result<()> {
    enspace_store::fields::delete(tx, workspace_id, type_slug, field).await?;
    crate::flows::forget_field(tx, workspace_id, field.type_id, &field.def.ref_id, now).await?;
    let change = DefinitionChange {
        kind: "field.deleted",
        subject: field_subject(type_slug, field),
        before: field_definition(field),
        after: Map::new(),
    };
    record_definition(tx, workspace_id, change, author, now).await?;
    let payload = json!({ "workspace": workspace_id, "type": field.type_id, "ref_id": field.def.ref_id });
    let key = format!("{}{}", field_key_prefix(field.type_id, &field.def.ref_id), field.id);
    enqueue(tx, FIELD, payload, &key, now).await
}

/// Deletes a field: gone from the type at once; its values leave the items in the background
/// (reads never show a value of a field the type no longer has).
pub async fn delete_field(
    db: &Db,
    workspace_id: i64,
    type_slug: &str,
    field: &FieldRecord,
    author: &Author<'_>,
) -> enspace_store::Result<()> {
    let mut tx = db.begin().await?;
    delete_field_in(&mut tx, workspace_id, type_slug, field, author, now_ms()).await?;
    tx.commit().await
}

/// Deletes a type, and the relation fields of other types that point at it (`pointing`, each
/// with its type's slug).
pub async fn delete_type(
    db: &Db,
    record: &TypeRecord,
    pointing: &[(String, &FieldRecord)],
    author: &Author<'_>,
) -> enspace_store::Result<()> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    for (owner, field) in pointing {
        delete_field_in(&mut tx, record.workspace_id, owner, field, author, now).await?;
    }
    // `type.deleted` stands for its items too (decision 71): no event per item.
    let before = json!({ "name": record.name, "slug": record.slug }).as_object().cloned().unwrap_or_default();
    let change = DefinitionChange { kind: "type.deleted", subject: type_subject(record), before, after: Map::new() };
    record_definition(&mut tx, record.workspace_id, change, author, now).await?;
    enspace_store::webhooks::forget_type(&mut tx, record.workspace_id, &record.slug, now).await?;
    purge::hide_type(&mut tx, record, now).await?;
    let payload = json!({ "workspace": record.workspace_id, "type": record.id });
    enqueue(&mut tx, TYPE, payload, &format!("{TYPE}:{}", record.id), now).await?;
    tx.commit().await
}

/// Whether a deleted field named `ref_id` still has values in the type's items: a new field of
/// that name must wait, or it would show them (and the purge would remove its own).
pub async fn field_values_pending(db: &Db, type_id: i64, ref_id: &str) -> enspace_store::Result<bool> {
    enspace_store::jobs::pending_with_prefix(db, &field_key_prefix(type_id, ref_id)).await
}

/// Runs the three purge kinds.
pub struct Purge {
    pub db: Db,
    pub files: FileStore,
}

fn number(payload: &Value, key: &str) -> Result<i64, JobError> {
    payload[key].as_i64().ok_or_else(|| JobError::Fatal(format!("purge job without {key:?}")))
}

impl Purge {
    /// Runs `next` batch after batch until one removes nothing, deleting removed files' bytes
    /// after each batch committed; answers the batches that removed something.
    async fn drain<F, Fut>(&self, mut next: F) -> Result<u64, JobError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = enspace_store::Result<purge::Batch>>,
    {
        let mut batches = 0;
        loop {
            let batch = next().await?;
            self.files.remove_all(&batch.file_keys).await;
            if batch.rows == 0 {
                return Ok(batches);
            }
            batches += 1;
            tokio::task::yield_now().await;
        }
    }

    async fn run_job(&self, job: &JobRecord) -> Result<(), JobError> {
        let payload = &job.payload;
        let mut batches = 0u64;
        match job.kind.as_str() {
            WORKSPACE => {
                let workspace = number(payload, "workspace")?;
                batches = self.drain(|| purge::workspace_batch(&self.db, workspace, now_ms())).await?;
            }
            TYPE => {
                let (workspace, type_id) = (number(payload, "workspace")?, number(payload, "type")?);
                batches = self.drain(|| purge::type_batch(&self.db, workspace, type_id)).await?;
            }
            FIELD => {
                let (workspace, type_id) = (number(payload, "workspace")?, number(payload, "type")?);
                let ref_id =
                    payload["ref_id"].as_str().ok_or_else(|| JobError::Fatal("purge job without ref_id".into()))?;
                let mut after = 0;
                while let Some(last) = purge::field_values_batch(&self.db, workspace, type_id, ref_id, after).await? {
                    after = last;
                    batches += 1;
                    tokio::task::yield_now().await;
                }
            }
            other => return Err(JobError::Fatal(format!("not a purge job: {other}"))),
        }
        tracing::info!(job = job.id, kind = %job.kind, batches, "purge finished");
        Ok(())
    }
}

impl Handler for Purge {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(self.run_job(job))
    }
}
