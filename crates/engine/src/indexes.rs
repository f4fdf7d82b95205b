//! Index builds that outlive a request: an `indexed` field's index is built in the background
//! (`index_status: building` until it is `ready` or `failed`), and builds a stopped process left
//! unfinished are resumed at startup.

use enspace_domain::fields::FieldDef;
use enspace_store::Db;

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
