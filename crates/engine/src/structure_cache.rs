//! Types' definitions (with their fields, and whether they start flows), cached per process
//! under their workspace's structure version (`workspaces.structure_version`, bumped by the
//! database with every change to types, fields, flows and stages). A request reads its
//! workspace anyway; with the version in hand, the type costs no round trip until something in
//! the workspace's structure changes — through any process.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use enspace_store::{fields::FieldRecord, types::TypeRecord, workspaces::WorkspaceRecord, Db, StoreError};

/// A type as item routes use it.
#[derive(Debug, Clone)]
pub struct TypeStructure {
    pub record: TypeRecord,
    pub fields: Vec<FieldRecord>,
    /// Whether an item create may start flows (an active flow with an active start stage).
    pub starts_flows: bool,
}

/// Entries kept before the cache starts over (a few kilobytes each).
const MAX_ENTRIES: usize = 10_000;

type Entries = HashMap<(i64, String), (i64, Arc<TypeStructure>)>;

#[derive(Clone, Default)]
pub struct StructureCache {
    entries: Arc<RwLock<Entries>>,
}

impl StructureCache {
    /// The workspace's type `slug` as of the version read with `workspace` (or later), `None`
    /// when it has none.
    pub async fn type_by_slug(
        &self,
        db: &Db,
        workspace: &WorkspaceRecord,
        slug: &str,
    ) -> Result<Option<Arc<TypeStructure>>, StoreError> {
        let key = (workspace.id, slug.to_string());
        if let Some((version, structure)) = self.entries.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            if *version == workspace.structure_version {
                return Ok(Some(structure.clone()));
            }
        }
        let Some((record, fields)) = enspace_store::types::with_fields(db, workspace.id, slug).await? else {
            return Ok(None);
        };
        let starts_flows = enspace_store::schedule_tasks::starts_flows(db, workspace.id, record.id).await?;
        let structure = Arc::new(TypeStructure { record, fields, starts_flows });
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (workspace.structure_version, structure.clone()));
        Ok(Some(structure))
    }
}
