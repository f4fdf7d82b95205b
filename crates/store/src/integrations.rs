//! Installed integrations. Secrets arrive here already sealed: the store never sees them in
//! the clear.

use enspace_domain::list::{FieldKind, ListQuery};
use serde_json::{Map, Value};

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec},
    params,
    record::{self, Record},
};

#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub integration_type: i64,
    pub status: String,
    /// Non-secret settings.
    pub data: Map<String, Value>,
    /// The sealed secrets (`domain::secrets`), if any were set.
    pub secrets: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "i.id, i.workspace_id, i.integration_type, i.status, i.data, i.secrets, i.created_at, i.updated_at";

impl Record for IntegrationRecord {
    const FROM: &'static str = "integrations i";
    const COLUMNS: &'static str = COLUMNS;
    const SCOPE: &'static str = "i.workspace_id";
    const ID: &'static str = "i.id";
    const LIST: &'static ListSpec = &LIST;

    fn from_row(row: &Row) -> Result<IntegrationRecord> {
        Ok(IntegrationRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            integration_type: row.i64("integration_type")?,
            status: row.text("status")?,
            data: match row.json("data")? {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            secrets: row.opt_text("secrets")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

impl IntegrationRecord {
    /// The associated data that binds this row's sealed secrets to it.
    pub fn aad(workspace_id: i64, id: i64) -> String {
        format!("enspace integration {workspace_id}/{id}")
    }
}

/// Filters of the installed list [ours]: `integration` (type id), `status`.
pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "i.id" },
        ListField { name: "integration", kind: FieldKind::Int, sql: "i.integration_type" },
        ListField { name: "status", kind: FieldKind::Enum(&["active", "inactive"]), sql: "i.status" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "i.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "i.updated_at" },
    ],
    search: &[],
    default_sort: ("id", false),
};

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<IntegrationRecord>> {
    record::list(db, workspace_id, query).await
}

pub async fn get(db: &Db, workspace_id: i64, id: i64) -> Result<Option<IntegrationRecord>> {
    record::get(db, workspace_id, id).await
}

/// An installation by id alone: only for provider webhooks, which name their integration in
/// the path and are then authenticated by the provider's signature against its credentials.
pub async fn for_webhook(db: &Db, id: i64) -> Result<Option<IntegrationRecord>> {
    // A deleted workspace's integrations take no more callbacks (its rows go in the background).
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM integrations i WHERE i.id = $1 AND i.workspace_id IN (SELECT id FROM workspaces WHERE deleted_at IS NULL)"),
        &params![id],
    )
        .await?
        .as_ref()
        .map(IntegrationRecord::from_row)
        .transpose()
}

/// Every active installation of a type, in every workspace (for a provider's verification call,
/// which names no workspace: Adobe Sign's webhook handshake).
pub async fn active_everywhere(db: &Db, integration_type: i64) -> Result<Vec<IntegrationRecord>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM integrations i WHERE i.integration_type = $1 AND i.status = 'active' \
             AND i.workspace_id IN (SELECT id FROM workspaces WHERE deleted_at IS NULL) ORDER BY i.id"
        ),
        &params![integration_type],
    )
    .await?
    .iter()
    .map(IntegrationRecord::from_row)
    .collect()
}

/// The workspace's active installation of a type (the first, for types with several).
pub async fn active_of_type(db: &Db, workspace_id: i64, integration_type: i64) -> Result<Option<IntegrationRecord>> {
    db.fetch_optional(
        &format!(
            "SELECT {COLUMNS} FROM integrations i WHERE i.workspace_id = $1 AND i.integration_type = $2 \
             AND i.status = 'active' ORDER BY i.id LIMIT 1"
        ),
        &params![workspace_id, integration_type],
    )
    .await?
    .as_ref()
    .map(IntegrationRecord::from_row)
    .transpose()
}

/// Inserts an installation without its secrets (they are sealed against the new row's id and
/// set with [`set_secrets`] in the same transaction); a second one with the same `unique_key`
/// is a `Conflict`.
pub async fn insert(
    tx: &mut Tx,
    workspace_id: i64,
    integration_type: i64,
    unique_key: &str,
    data: &Map<String, Value>,
    now: i64,
) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO integrations (workspace_id, integration_type, status, data, unique_key, created_at, updated_at) \
         VALUES ($1, $2, 'active', $3, $4, $5, $5) RETURNING id",
        &params![workspace_id, integration_type, Value::Object(data.clone()), unique_key, now],
    )
    .await?
    .i64("id")
}

pub async fn update(
    tx: &mut Tx,
    record: &IntegrationRecord,
    unique_key: &str,
    sealed: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE integrations SET data = $3, secrets = $4, unique_key = $5, status = $6, updated_at = $7 \
         WHERE workspace_id = $1 AND id = $2",
        &params![
            record.workspace_id,
            record.id,
            Value::Object(record.data.clone()),
            sealed,
            unique_key,
            record.status.as_str(),
            now
        ],
    )
    .await?;
    Ok(())
}

pub async fn set_secrets(tx: &mut Tx, workspace_id: i64, id: i64, sealed: Option<&str>) -> Result<()> {
    tx.execute(
        "UPDATE integrations SET secrets = $3 WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, sealed],
    )
    .await?;
    Ok(())
}

/// Uninstalls: the row and its sealed secrets go, with the conversations held through it.
pub async fn delete(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<()> {
    for table in ["conversation_messages", "conversations"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE workspace_id = $1 AND integration_id = $2"),
            &params![workspace_id, id],
        )
        .await?;
    }
    tx.execute("DELETE FROM integrations WHERE workspace_id = $1 AND id = $2", &params![workspace_id, id]).await?;
    Ok(())
}

/// Every installation with secrets, across workspaces: for re-sealing under a new master key
/// (the one operation that is not tenant-scoped, run by the operator's command).
pub async fn all_sealed(tx: &mut Tx) -> Result<Vec<(i64, i64, String)>> {
    tx.fetch_all("SELECT id, workspace_id, secrets FROM integrations WHERE secrets IS NOT NULL ORDER BY id", &[])
        .await?
        .iter()
        .map(|r| Ok((r.i64("id")?, r.i64("workspace_id")?, r.text("secrets")?)))
        .collect()
}
