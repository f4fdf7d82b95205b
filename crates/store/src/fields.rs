//! Fields of a type. The definition is one JSON document (`domain::fields::FieldDef`); the
//! columns beside it are what queries select and order by.

use enspace_domain::fields::FieldDef;
use serde_json::Value as Json;

use crate::{
    db::{Backend, Db, Row, Tx},
    error::{Result, StoreError},
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct FieldRecord {
    pub id: i64,
    pub type_id: i64,
    pub position: i64,
    pub def: FieldDef,
    /// `none`, `building`, `ready` or `failed`.
    pub index_status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, type_id, position, def, index_status, created_at, updated_at";

/// The columns as `f.<column> AS f_<column>`, for reading fields beside another table's row.
pub(crate) fn prefixed_columns() -> String {
    COLUMNS.split(", ").map(|c| format!("f.{c} AS f_{c}")).collect::<Vec<_>>().join(", ")
}

impl FieldRecord {
    fn from_row(row: &Row) -> Result<FieldRecord> {
        Self::from_prefixed(row, "")
    }

    /// A field read under `prefixed_columns()` names (`prefix` = `f_`).
    pub(crate) fn from_prefixed(row: &Row, prefix: &str) -> Result<FieldRecord> {
        let name = |column: &str| format!("{prefix}{column}");
        Ok(FieldRecord {
            id: row.i64(&name("id"))?,
            type_id: row.i64(&name("type_id"))?,
            position: row.i64(&name("position"))?,
            def: serde_json::from_value(row.json(&name("def"))?)
                .map_err(|e| StoreError::Decode(format!("field def: {e}")))?,
            index_status: row.text(&name("index_status"))?,
            created_at: row.i64(&name("created_at"))?,
            updated_at: row.i64(&name("updated_at"))?,
        })
    }
}

fn def_json(def: &FieldDef) -> Json {
    serde_json::to_value(def).unwrap_or(Json::Null)
}

/// The type's fields in order.
pub async fn of_type(db: &Db, workspace_id: i64, type_id: i64) -> Result<Vec<FieldRecord>> {
    of_type_from(&mut crate::Reader::Db(db), workspace_id, type_id).await
}

/// [`of_type`] inside a command's transaction.
pub async fn of_type_in(tx: &mut Tx, workspace_id: i64, type_id: i64) -> Result<Vec<FieldRecord>> {
    of_type_from(&mut crate::Reader::Tx(tx), workspace_id, type_id).await
}

async fn of_type_from(reader: &mut crate::Reader<'_>, workspace_id: i64, type_id: i64) -> Result<Vec<FieldRecord>> {
    reader
        .fetch_all(
            &format!("SELECT {COLUMNS} FROM fields WHERE workspace_id = $1 AND type_id = $2 ORDER BY position, id"),
            &params![workspace_id, type_id],
        )
        .await?
        .iter()
        .map(FieldRecord::from_row)
        .collect()
}

/// Every field of the workspace (to find relations pointing at a type).
pub async fn of_workspace(db: &Db, workspace_id: i64) -> Result<Vec<FieldRecord>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM fields WHERE workspace_id = $1 \
             AND type_id IN (SELECT id FROM types WHERE workspace_id = $1 AND deleted_at IS NULL) ORDER BY id"
        ),
        &params![workspace_id],
    )
    .await?
    .iter()
    .map(FieldRecord::from_row)
    .collect()
}

pub(crate) async fn ids_of_type(tx: &mut Tx, workspace_id: i64, type_id: i64) -> Result<Vec<i64>> {
    tx.fetch_all("SELECT id FROM fields WHERE workspace_id = $1 AND type_id = $2", &params![workspace_id, type_id])
        .await?
        .iter()
        .map(|r| r.i64("id"))
        .collect()
}

pub async fn get(db: &Db, workspace_id: i64, type_id: i64, id: i64) -> Result<Option<FieldRecord>> {
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM fields WHERE workspace_id = $1 AND type_id = $2 AND id = $3"),
        &params![workspace_id, type_id, id],
    )
    .await?
    .as_ref()
    .map(FieldRecord::from_row)
    .transpose()
}

/// Adds a field at `position` (default: after the last). A taken refId is a conflict.
pub async fn create(
    tx: &mut Tx,
    workspace_id: i64,
    type_id: i64,
    def: &FieldDef,
    position: Option<i64>,
    index_status: &str,
    now: i64,
) -> Result<FieldRecord> {
    let position = match position {
        Some(p) => p,
        None => tx
            .fetch_one(
                "SELECT COALESCE(MAX(position), 0) + 1 AS n FROM fields WHERE workspace_id = $1 AND type_id = $2",
                &params![workspace_id, type_id],
            )
            .await?
            .i64("n")?,
    };
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO fields (workspace_id, type_id, ref_id, field_type, position, def, index_status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
            ),
            &params![workspace_id, type_id, &def.ref_id, def.field_type.key(), position, def_json(def), index_status, now],
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!("field {}", def.ref_id)),
            other => other,
        })?;
    FieldRecord::from_row(&row)
}

pub async fn update(
    tx: &mut Tx,
    workspace_id: i64,
    field: &FieldRecord,
    def: &FieldDef,
    position: i64,
    index_status: &str,
    now: i64,
) -> Result<FieldRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "UPDATE fields SET field_type = $3, position = $4, def = $5, index_status = $6, updated_at = $7 \
                 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
            ),
            &params![workspace_id, field.id, def.field_type.key(), position, def_json(def), index_status, now],
        )
        .await?;
    FieldRecord::from_row(&row)
}

pub async fn set_index_status(db: &Db, field_id: i64, status: &str) -> Result<()> {
    db.execute("UPDATE fields SET index_status = $2 WHERE id = $1", &params![field_id, status]).await?;
    Ok(())
}

/// Fields of every workspace whose index build has not finished, with their workspace ids: the
/// one cross-workspace read, made by the server itself at startup.
pub async fn building(db: &Db) -> Result<Vec<(i64, FieldRecord)>> {
    db.fetch_all(
        &format!("SELECT workspace_id, {COLUMNS} FROM fields WHERE index_status = 'building' ORDER BY id"),
        &[],
    )
    .await?
    .iter()
    .map(|row| Ok((row.i64("workspace_id")?, FieldRecord::from_row(row)?)))
    .collect()
}

/// Fields with a built index whose values are not counted (`indexes::count_values`): on
/// PostgreSQL, those indexed before counts existed. With their workspace.
pub async fn ready_uncounted(db: &Db) -> Result<Vec<(i64, FieldRecord)>> {
    db.fetch_all(
        &format!(
            "SELECT workspace_id, {COLUMNS} FROM fields WHERE index_status = 'ready' AND NOT EXISTS \
             (SELECT 1 FROM counted_fields c WHERE c.field_id = fields.id AND c.type_id = fields.type_id) ORDER BY id"
        ),
        &[],
    )
    .await?
    .iter()
    .map(|row| Ok((row.i64("workspace_id")?, FieldRecord::from_row(row)?)))
    .collect()
}

/// Whether any item of the type holds a value for `ref_id`.
pub async fn has_values(db: &Db, workspace_id: i64, type_id: i64, ref_id: &str) -> Result<bool> {
    let sql = match db.backend() {
        Backend::Sqlite => format!(
            "SELECT 1 AS one FROM items WHERE workspace_id = $1 AND type_id = $2 AND json_type(data, '$.{ref_id}') IS NOT NULL LIMIT 1"
        ),
        Backend::Postgres => {
            "SELECT 1 AS one FROM items WHERE workspace_id = $1 AND type_id = $2 AND data ? $3 LIMIT 1".to_string()
        }
    };
    let params = match db.backend() {
        Backend::Sqlite => params![workspace_id, type_id].to_vec(),
        Backend::Postgres => params![workspace_id, type_id, ref_id].to_vec(),
    };
    Ok(db.fetch_optional(&sql, &params).await?.is_some())
}

/// Removes the field, its index, and every mention of it in permissions and forms, in the
/// caller's transaction. Its values stay in the items until `purge::field_values_batch` has
/// removed them (item reads show only the type's fields meanwhile).
pub async fn delete(tx: &mut Tx, workspace_id: i64, type_slug: &str, field: &FieldRecord) -> Result<()> {
    let ref_id = &field.def.ref_id;
    crate::indexes::drop_in(tx, field.id).await?;
    let path = format!("data.{ref_id}");
    for table in crate::roles::PERMISSION_TABLES {
        let perms = tx
            .fetch_all(
                &format!("SELECT id, fields FROM {table} WHERE workspace_id = $1 AND reference LIKE $2 ESCAPE '\\'"),
                &params![workspace_id, format!("types::{}::%", type_slug.replace('_', "\\_"))],
            )
            .await?;
        for perm in perms {
            let fields: Vec<String> = serde_json::from_value(perm.json("fields")?).unwrap_or_default();
            if fields.contains(&path) {
                let kept: Vec<&String> = fields.iter().filter(|f| **f != path).collect();
                tx.execute(
                    &format!("UPDATE {table} SET fields = $2 WHERE id = $1"),
                    &params![perm.i64("id")?, serde_json::json!(kept)],
                )
                .await?;
            }
        }
    }
    let forms = tx
        .fetch_all(
            "SELECT id, fields FROM forms WHERE workspace_id = $1 AND type_id = $2",
            &params![workspace_id, field.type_id],
        )
        .await?;
    for form in forms {
        let fields = form.json("fields")?;
        let list = fields.as_array().cloned().unwrap_or_default();
        let kept: Vec<Json> =
            list.iter().filter(|f| f.get("refId").and_then(Json::as_str) != Some(ref_id)).cloned().collect();
        if kept.len() != list.len() {
            tx.execute("UPDATE forms SET fields = $2 WHERE id = $1", &params![form.i64("id")?, Json::Array(kept)])
                .await?;
        }
    }
    tx.execute("DELETE FROM fields WHERE workspace_id = $1 AND id = $2", &params![workspace_id, field.id]).await?;
    Ok(())
}
