//! Forms of a type: named arrangements of its fields.

use serde_json::Value as Json;

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct FormRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub type_id: i64,
    pub hash: String,
    pub name: String,
    pub form_type: String,
    pub visibility: String,
    pub fields: Json,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, workspace_id, type_id, hash, name, form_type, visibility, fields, created_at, updated_at";

impl FormRecord {
    fn from_row(row: &Row) -> Result<FormRecord> {
        Ok(FormRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            type_id: row.i64("type_id")?,
            hash: row.text("hash")?,
            name: row.text("name")?,
            form_type: row.text("form_type")?,
            visibility: row.text("visibility")?,
            fields: row.json("fields")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

pub async fn of_type(db: &Db, workspace_id: i64, type_id: i64) -> Result<Vec<FormRecord>> {
    db.fetch_all(
        &format!("SELECT {COLUMNS} FROM forms WHERE workspace_id = $1 AND type_id = $2 ORDER BY id"),
        &params![workspace_id, type_id],
    )
    .await?
    .iter()
    .map(FormRecord::from_row)
    .collect()
}

pub async fn get(db: &Db, workspace_id: i64, type_id: i64, id: i64) -> Result<Option<FormRecord>> {
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM forms WHERE workspace_id = $1 AND type_id = $2 AND id = $3"),
        &params![workspace_id, type_id, id],
    )
    .await?
    .as_ref()
    .map(FormRecord::from_row)
    .transpose()
}

/// A form by its public hash, in any workspace (the public routes have no workspace header).
pub async fn by_hash(db: &Db, hash: &str) -> Result<Option<FormRecord>> {
    db.fetch_optional(
        &format!(
            "SELECT {COLUMNS} FROM forms WHERE hash = $1 AND type_id IN (SELECT id FROM types WHERE deleted_at IS NULL)"
        ),
        &params![hash],
    )
    .await?
    .as_ref()
    .map(FormRecord::from_row)
    .transpose()
}

pub struct FormValues<'a> {
    pub name: &'a str,
    pub form_type: &'a str,
    pub visibility: &'a str,
    pub fields: Json,
}

pub async fn create(
    tx: &mut Tx,
    workspace_id: i64,
    type_id: i64,
    hash: &str,
    values: FormValues<'_>,
    now: i64,
) -> Result<FormRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO forms (workspace_id, type_id, hash, name, form_type, visibility, fields, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
            ),
            &params![workspace_id, type_id, hash, values.name, values.form_type, values.visibility, values.fields, now],
        )
        .await?;
    FormRecord::from_row(&row)
}

pub async fn update(tx: &mut Tx, form: &FormRecord, values: FormValues<'_>, now: i64) -> Result<FormRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "UPDATE forms SET name = $2, form_type = $3, visibility = $4, fields = $5, updated_at = $6 \
                 WHERE id = $1 RETURNING {COLUMNS}"
            ),
            &params![form.id, values.name, values.form_type, values.visibility, values.fields, now],
        )
        .await?;
    FormRecord::from_row(&row)
}

/// Removes the form and the role and group permissions naming it. Items created through it keep its id
/// in `form` as a record of where they came from.
pub async fn delete(tx: &mut Tx, workspace_id: i64, form: &FormRecord) -> Result<()> {
    for table in crate::roles::PERMISSION_TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE workspace_id = $1 AND reference = $2"),
            &params![workspace_id, format!("forms::{}::create", form.id)],
        )
        .await?;
    }
    tx.execute("DELETE FROM forms WHERE workspace_id = $1 AND id = $2", &params![workspace_id, form.id]).await?;
    Ok(())
}

/// The ids of every form of the workspace (permission references name them).
pub async fn ids_of_workspace(db: &Db, workspace_id: i64) -> Result<Vec<i64>> {
    db.fetch_all(
        "SELECT id FROM forms WHERE workspace_id = $1 \
         AND type_id IN (SELECT id FROM types WHERE workspace_id = $1 AND deleted_at IS NULL) ORDER BY id",
        &params![workspace_id],
    )
    .await?
    .iter()
    .map(|r| r.i64("id"))
    .collect()
}
