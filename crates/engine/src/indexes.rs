//! Index builds that outlive a request: an `indexed` field's index is built in the background
//! (`index_status: building` until it is `ready` or `failed`), and builds a stopped process left
//! unfinished are resumed at startup.

use enspace_domain::fields::FieldDef;
use enspace_store::{fields::FieldRecord, types::TypeRecord, Db, StoreError};

use crate::{
    items::Author,
    structure::{update_field, FieldWrite},
};

/// Builds or drops the field's index after its definition changed from `before` to `after`. A
/// unique index is built before answering: existing duplicates refuse it (a `Conflict`) and
/// the field's definition is put back as it was. A plain one is built in the background, the
/// field reporting `index_status: "building"` until it is ready. Answers the field as stored.
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
    } else if is_plain && !was_plain {
        build_in_background(db.clone(), record.id, after.id, after.def.clone());
    }
    Ok(enspace_store::fields::get(db, record.workspace_id, record.id, after.id).await?.unwrap_or_else(|| after.clone()))
}

/// Builds the field's plain index in the background and records the outcome.
pub fn build_in_background(db: Db, type_id: i64, field_id: i64, def: FieldDef) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let status = match enspace_store::indexes::build(&db, type_id, field_id, &def).await {
            Ok(()) => "ready",
            Err(error) => {
                tracing::error!(%error, field_id, "index build failed");
                "failed"
            }
        };
        if let Err(error) = enspace_store::fields::set_index_status(&db, field_id, status).await {
            tracing::error!(%error, field_id, "could not record the index status");
        }
    })
}

/// Restarts every build left `building` (an interrupted PostgreSQL build leaves an invalid
/// index, which `indexes::build` drops and builds again). Answers the builds started.
/// With several processes on one PostgreSQL each may resume the same build; the second
/// `CREATE INDEX CONCURRENTLY IF NOT EXISTS` finds the name taken and returns, so the work is
/// done once.
pub async fn resume(db: &Db) -> enspace_store::Result<Vec<tokio::task::JoinHandle<()>>> {
    let fields = enspace_store::fields::building(db).await?;
    if !fields.is_empty() {
        tracing::info!(count = fields.len(), "resuming interrupted index builds");
    }
    Ok(fields.into_iter().map(|f| build_in_background(db.clone(), f.type_id, f.id, f.def)).collect())
}
