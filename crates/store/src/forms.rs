//! Forms of a type: named arrangements of its fields.

use serde_json::Value as Json;

use crate::{
    db::{Db, Row},
    error::Result,
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct FormRecord {
    pub id: i64,
    pub type_id: i64,
    pub hash: String,
    pub name: String,
    pub form_type: String,
    pub visibility: String,
    pub fields: Json,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, type_id, hash, name, form_type, visibility, fields, created_at, updated_at";

impl FormRecord {
    fn from_row(row: &Row) -> Result<FormRecord> {
        Ok(FormRecord {
            id: row.i64("id")?,
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
