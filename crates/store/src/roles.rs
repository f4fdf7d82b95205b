//! Roles and their permissions.

use enspace_domain::list::{FieldKind, ListQuery};
use serde_json::Value as Json;

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec},
    params,
    record::{self, Record},
};

/// The tables holding permissions with field lists: roles', and member groups' (v1 mode).
pub const PERMISSION_TABLES: [&str; 2] = ["role_permissions", "member_group_permissions"];

#[derive(Debug, Clone, PartialEq)]
pub struct RoleRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub description: String,
    pub icon: Option<String>,
    pub status: String,
    pub permissions_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "r.id, r.workspace_id, r.name, r.description, r.icon, r.status, r.created_at, r.updated_at, \
     (SELECT COUNT(*) FROM role_permissions p WHERE p.role_id = r.id) AS permissions_count";

impl Record for RoleRecord {
    const FROM: &'static str = "roles r";
    const COLUMNS: &'static str = COLUMNS;
    const SCOPE: &'static str = "r.workspace_id";
    const ID: &'static str = "r.id";
    const LIST: &'static ListSpec = &LIST;

    fn from_row(row: &Row) -> Result<RoleRecord> {
        Ok(RoleRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            name: row.text("name")?,
            description: row.text("description")?,
            icon: row.opt_text("icon")?,
            status: row.text("status")?,
            permissions_count: row.i64("permissions_count")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// Filters and sorts of the roles list.
pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "r.id" },
        ListField { name: "name", kind: FieldKind::Text, sql: "r.name" },
        ListField { name: "description", kind: FieldKind::Text, sql: "r.description" },
        ListField { name: "status", kind: FieldKind::Text, sql: "r.status" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "r.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "r.updated_at" },
    ],
    search: &["r.name", "r.description"],
    default_sort: ("id", false),
};

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<RoleRecord>> {
    record::list(db, workspace_id, query).await
}

pub async fn count(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<i64> {
    record::count::<RoleRecord>(db, workspace_id, query).await
}

pub async fn get(db: &Db, workspace_id: i64, id: i64) -> Result<Option<RoleRecord>> {
    record::get(db, workspace_id, id).await
}

async fn get_in(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<RoleRecord> {
    let row = tx
        .fetch_one(
            &format!("SELECT {COLUMNS} FROM roles r WHERE r.workspace_id = $1 AND r.id = $2"),
            &params![workspace_id, id],
        )
        .await?;
    RoleRecord::from_row(&row)
}

pub struct RoleValues<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub icon: Option<&'a str>,
    pub status: &'a str,
}

pub async fn create(tx: &mut Tx, workspace_id: i64, values: RoleValues<'_>, now: i64) -> Result<RoleRecord> {
    let id = tx
        .fetch_one(
            "INSERT INTO roles (workspace_id, name, description, icon, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            &params![workspace_id, values.name, values.description, values.icon, values.status, now],
        )
        .await?
        .i64("id")?;
    get_in(tx, workspace_id, id).await
}

pub async fn update(tx: &mut Tx, role: &RoleRecord, values: RoleValues<'_>, now: i64) -> Result<RoleRecord> {
    tx.execute(
        "UPDATE roles SET name = $3, description = $4, icon = $5, status = $6, updated_at = $7 \
         WHERE workspace_id = $1 AND id = $2",
        &params![role.workspace_id, role.id, values.name, values.description, values.icon, values.status, now],
    )
    .await?;
    get_in(tx, role.workspace_id, role.id).await
}

/// Members holding the role.
pub async fn holders(db: &Db, workspace_id: i64, role_id: i64) -> Result<i64> {
    db.fetch_one(
        "SELECT COUNT(*) AS n FROM members WHERE workspace_id = $1 AND role_id = $2",
        &params![workspace_id, role_id],
    )
    .await?
    .i64("n")
}

/// Deletes the role (its permissions go with it); its members move to `reassign_to`, or to no
/// role when the caller checked there are none.
pub async fn delete(tx: &mut Tx, role: &RoleRecord, reassign_to: Option<i64>) -> Result<()> {
    tx.execute(
        "UPDATE members SET role_id = $3 WHERE workspace_id = $1 AND role_id = $2",
        &params![role.workspace_id, role.id, reassign_to],
    )
    .await?;
    tx.execute("DELETE FROM roles WHERE workspace_id = $1 AND id = $2", &params![role.workspace_id, role.id]).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct PermissionRecord {
    pub id: i64,
    pub role_id: i64,
    pub reference: String,
    pub fields: Json,
    pub rules: Json,
    pub created_at: i64,
    pub updated_at: i64,
}

const PERMISSION_COLUMNS: &str = "id, role_id, reference, fields, rules, created_at, updated_at";

impl PermissionRecord {
    fn from_row(row: &Row) -> Result<PermissionRecord> {
        Ok(PermissionRecord {
            id: row.i64("id")?,
            role_id: row.i64("role_id")?,
            reference: row.text("reference")?,
            fields: row.json("fields")?,
            rules: row.json("rules")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

pub async fn permissions(db: &Db, workspace_id: i64, role_id: i64) -> Result<Vec<PermissionRecord>> {
    db.fetch_all(
        &format!(
            "SELECT {PERMISSION_COLUMNS} FROM role_permissions WHERE workspace_id = $1 AND role_id = $2 ORDER BY id"
        ),
        &params![workspace_id, role_id],
    )
    .await?
    .iter()
    .map(PermissionRecord::from_row)
    .collect()
}

/// Adds a permission, or replaces the `fields` and `rules` of the role's permission with the
/// same reference [wire].
pub async fn put_permission(
    tx: &mut Tx,
    workspace_id: i64,
    role_id: i64,
    reference: &str,
    fields: Json,
    rules: Json,
    now: i64,
) -> Result<PermissionRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO role_permissions (workspace_id, role_id, reference, fields, rules, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (role_id, reference) DO UPDATE SET fields = excluded.fields, rules = excluded.rules, \
                 updated_at = excluded.updated_at RETURNING {PERMISSION_COLUMNS}"
            ),
            &params![workspace_id, role_id, reference, fields, rules, now],
        )
        .await?;
    PermissionRecord::from_row(&row)
}

/// Removes one permission of the role; answers it as it was.
pub async fn remove_permission(
    tx: &mut Tx,
    workspace_id: i64,
    role_id: i64,
    id: i64,
) -> Result<Option<PermissionRecord>> {
    tx.fetch_optional(
        &format!(
            "DELETE FROM role_permissions WHERE workspace_id = $1 AND role_id = $2 AND id = $3 \
             RETURNING {PERMISSION_COLUMNS}"
        ),
        &params![workspace_id, role_id, id],
    )
    .await?
    .as_ref()
    .map(PermissionRecord::from_row)
    .transpose()
}
