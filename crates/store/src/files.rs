//! Uploaded files: their records (the bytes live in a `FileStore` of the engine).

use serde_json::{json, Value as Json};

use crate::{
    db::{Reader, Row, Tx},
    error::Result,
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: Option<i64>,
    pub filename: String,
    pub mime: String,
    pub size: i64,
    pub storage_key: String,
    pub sha256: String,
    pub type_id: Option<i64>,
    pub item_id: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, workspace_id, user_id, filename, mime, size, storage_key, sha256, type_id, item_id, created_at";

impl FileRecord {
    fn from_row(row: &Row) -> Result<FileRecord> {
        Ok(FileRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            user_id: row.opt_i64("user_id")?,
            filename: row.text("filename")?,
            mime: row.text("mime")?,
            size: row.i64("size")?,
            storage_key: row.text("storage_key")?,
            sha256: row.text("sha256")?,
            type_id: row.opt_i64("type_id")?,
            item_id: row.opt_i64("item_id")?,
            created_at: row.i64("created_at")?,
        })
    }

    /// This server's path to the file's bytes [ours].
    pub fn url(&self) -> String {
        format!("/ws/files/{}", self.id)
    }

    /// The file as an attachment value and as the upload answer: `{id, url, filename, mime, size}`.
    pub fn value(&self) -> Json {
        json!({ "id": self.id, "url": self.url(), "filename": self.filename, "mime": self.mime, "size": self.size })
    }
}

pub struct NewFile<'a> {
    pub workspace_id: i64,
    pub user_id: i64,
    pub filename: &'a str,
    pub mime: &'a str,
    pub size: i64,
    pub storage_key: &'a str,
    pub sha256: &'a str,
    pub now: i64,
}

pub async fn insert(tx: &mut Tx, new: NewFile<'_>) -> Result<FileRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO files (workspace_id, user_id, filename, mime, size, storage_key, sha256, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
            ),
            &params![new.workspace_id, new.user_id, new.filename, new.mime, new.size, new.storage_key, new.sha256, new.now],
        )
        .await?;
    FileRecord::from_row(&row)
}

/// A file of the workspace, read outside or inside a write transaction.
pub async fn get(reader: &mut Reader<'_>, workspace_id: i64, id: i64) -> Result<Option<FileRecord>> {
    reader
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM files WHERE workspace_id = $1 AND id = $2"),
            &params![workspace_id, id],
        )
        .await?
        .as_ref()
        .map(FileRecord::from_row)
        .transpose()
}

/// Marks files as attached to an item (from then on they follow the item's access rules).
pub async fn attach(tx: &mut Tx, workspace_id: i64, type_id: i64, item_id: i64, ids: &[i64]) -> Result<()> {
    for id in ids {
        tx.execute(
            "UPDATE files SET type_id = $3, item_id = $4 WHERE workspace_id = $1 AND id = $2",
            &params![workspace_id, *id, type_id, item_id],
        )
        .await?;
    }
    Ok(())
}

/// Files of the item that its data no longer names go back to their uploader.
pub async fn detach_missing(tx: &mut Tx, workspace_id: i64, item_id: i64, kept: &[i64]) -> Result<()> {
    let rows = tx
        .fetch_all("SELECT id FROM files WHERE +workspace_id = $1 AND item_id = $2", &params![workspace_id, item_id])
        .await?;
    for row in rows {
        let id = row.i64("id")?;
        if !kept.contains(&id) {
            tx.execute("UPDATE files SET type_id = NULL, item_id = NULL WHERE id = $1", &params![id]).await?;
        }
    }
    Ok(())
}

/// Removes files that no item names (an upload request that failed part-way); answers their
/// storage keys for the bytes to be removed too.
pub async fn remove_unattached(tx: &mut Tx, workspace_id: i64, ids: &[i64]) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    for id in ids {
        if let Some(row) = tx
            .fetch_optional(
                "DELETE FROM files WHERE workspace_id = $1 AND id = $2 AND item_id IS NULL RETURNING storage_key",
                &params![workspace_id, *id],
            )
            .await?
        {
            keys.push(row.text("storage_key")?);
        }
    }
    Ok(keys)
}
