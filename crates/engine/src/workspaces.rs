//! Workspaces as commands: create (with its owner) and change settings. Deleting one is
//! `purge`'s (it may be large).

use enspace_store::{
    workspaces::{NewWorkspace, WorkspacePatch, WorkspaceRecord},
    Db, StoreError,
};

/// Creates a workspace with `owner` as its owner member. A reference that was asked for and
/// is taken is a `Conflict`; a derived one gets the first free suffix.
pub async fn create(db: &Db, new: &NewWorkspace, owner: i64) -> Result<WorkspaceRecord, StoreError> {
    enspace_store::workspaces::create(db, new, owner).await
}

/// Changes the settings that `patch` names, in one statement (concurrent changes of different
/// settings never undo each other).
pub async fn update(db: &Db, workspace_id: i64, patch: WorkspacePatch) -> Result<WorkspaceRecord, StoreError> {
    enspace_store::workspaces::update(db, workspace_id, patch).await
}
