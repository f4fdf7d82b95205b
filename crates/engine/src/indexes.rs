//! Index builds that outlive a request: an `indexed` field's index is built by a job
//! (`index.build`), queued in the transaction that set the field's `index_status: building`,
//! so exactly one process builds it whatever the number of processes, and a build a stopped
//! process left unfinished is taken over when its lease expires.

use enspace_domain::time::now_ms;
use enspace_store::{
    fields::FieldRecord,
    jobs::{JobRecord, NewJob},
    types::TypeRecord,
    Backend, Db, StoreError, Tx,
};
use serde_json::json;

use crate::{
    items::Author,
    jobs::{Handler, JobError, JobFuture},
    structure::{update_field, FieldWrite},
};

/// The job kind of a plain index build.
pub const BUILD: &str = "index.build";

/// Builds or drops the field's index after its definition changed from `before` to `after`. A
/// unique index is built before answering: existing duplicates refuse it (a `Conflict`) and
/// the field's definition is put back as it was. A plain one is built by the job the field's
/// write queued ([`queue_build`]), the field reporting `index_status: "building"` until it is
/// ready. Answers the field as stored.
pub async fn apply(
    db: &Db,
    record: &TypeRecord,
    before: Option<&FieldRecord>,
    after: &FieldRecord,
    author: &Author<'_>,
) -> Result<FieldRecord, StoreError> {
    let was_unique = before.is_some_and(|b| b.def.unique);
    let was_plain = before.is_some_and(|b| b.def.indexed && !b.def.unique);
    let is_plain = after.def.indexed && !after.def.unique;
    if was_unique && !after.def.unique {
        enspace_store::indexes::drop(db, after.id, true).await?;
    }
    if was_plain && !is_plain {
        enspace_store::indexes::drop(db, after.id, false).await?;
    }
    if after.def.unique && !was_unique {
        if let Err(error) = enspace_store::indexes::build(db, record.id, after.id, &after.def).await {
            // Put the definition back as it was: the field is not unique.
            let mut def = after.def.clone();
            def.unique = was_unique;
            def.validation.retain(|r| r != "unique");
            let write = FieldWrite { def: &def, order: Some(after.position), index_status: &after.index_status };
            update_field(db, record, after, write, author).await?;
            return Err(error);
        }
        enspace_store::fields::set_index_status(db, after.id, "ready").await?;
    }
    Ok(enspace_store::fields::get(db, record.workspace_id, record.id, after.id).await?.unwrap_or_else(|| after.clone()))
}

/// Queues the build of the field's plain index, in the transaction of the write that set it
/// `building` (the caller's), when that write started a build. The key names the write, so
/// queueing the same build again (at a restart) does nothing.
pub async fn queue_build(
    tx: &mut Tx,
    workspace_id: i64,
    before: Option<&FieldRecord>,
    after: &FieldRecord,
) -> Result<(), StoreError> {
    let plain = |f: &FieldRecord| f.def.indexed && !f.def.unique;
    let started = after.index_status == "building"
        && plain(after)
        && !before.is_some_and(|b| b.index_status == "building" && plain(b));
    if !started {
        return Ok(());
    }
    enqueue_build(tx, workspace_id, after, "index").await
}

/// `what`: `index` for a build, `counts` for counting a built index's values (its own key:
/// the build's job, done, may still hold the build's).
async fn enqueue_build(tx: &mut Tx, workspace_id: i64, field: &FieldRecord, what: &str) -> Result<(), StoreError> {
    let key = format!("{what}:{}:{}", field.id, field.updated_at);
    let job = NewJob {
        workspace_id: Some(workspace_id),
        kind: BUILD,
        payload: json!({ "type_id": field.type_id, "field_id": field.id }),
        run_at: now_ms(),
        max_attempts: 5,
        dedupe_key: Some(&key),
    };
    enspace_store::jobs::enqueue(tx, job, now_ms()).await?;
    Ok(())
}

/// Builds a field's plain index and records the outcome; a field that is gone, no longer
/// indexed or no longer building needs nothing. A failed attempt is retried; the last one leaves
/// the field `failed`.
pub struct BuildIndex {
    pub db: Db,
}

impl BuildIndex {
    async fn build(&self, job: &JobRecord) -> Result<(), JobError> {
        let id =
            |name: &str| job.payload[name].as_i64().ok_or_else(|| JobError::Fatal(format!("no {name} in the job")));
        let (type_id, field_id) = (id("type_id")?, id("field_id")?);
        let workspace_id = job.workspace_id.ok_or_else(|| JobError::Fatal("no workspace in the job".into()))?;
        let Some(field) = enspace_store::fields::get(&self.db, workspace_id, type_id, field_id).await? else {
            return Ok(());
        };
        if field.index_status == "ready" && enspace_store::indexes::counts_values(&field.def) {
            // Queued by [`resume`]: the index stands, its values are not counted yet.
            return Ok(enspace_store::indexes::count_values(&self.db, type_id, field_id, &field.def).await?);
        }
        if field.index_status != "building" || !field.def.indexed || field.def.unique {
            return Ok(());
        }
        match enspace_store::indexes::build(&self.db, type_id, field_id, &field.def).await {
            Ok(()) => {
                enspace_store::fields::set_index_status(&self.db, field_id, "ready").await?;
                Ok(())
            }
            Err(error) => {
                let error = JobError::from(error);
                let (message, last) = error.outcome(job);
                tracing::error!(error = message, field_id, last, "index build failed");
                if last {
                    enspace_store::fields::set_index_status(&self.db, field_id, "failed").await?;
                }
                Err(error)
            }
        }
    }
}

impl Handler for BuildIndex {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(self.build(job))
    }
}

/// Queues a build for every field left `building` without one (databases from before builds
/// were jobs): safe to run at every start of every process. Answers how many fields are building.
///
/// On PostgreSQL it also queues the counting of the values of option fields indexed before
/// counts existed (`indexes::count_values`), through the same job: once per field.
pub async fn resume(db: &Db) -> enspace_store::Result<usize> {
    let fields = enspace_store::fields::building(db).await?;
    let uncounted = match db.backend() {
        Backend::Postgres => enspace_store::fields::ready_uncounted(db).await?,
        Backend::Sqlite => Vec::new(),
    };
    let uncounted: Vec<_> =
        uncounted.into_iter().filter(|(_, f)| enspace_store::indexes::counts_values(&f.def)).collect();
    if fields.is_empty() && uncounted.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    for (workspace_id, field) in &fields {
        if field.def.indexed && !field.def.unique {
            enqueue_build(&mut tx, *workspace_id, field, "index").await?;
        }
    }
    for (workspace_id, field) in &uncounted {
        enqueue_build(&mut tx, *workspace_id, field, "counts").await?;
    }
    tx.commit().await?;
    tracing::info!(count = fields.len(), "index builds pending");
    Ok(fields.len())
}
