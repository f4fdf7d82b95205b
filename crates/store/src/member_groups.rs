//! Member groups: people organised together, and in v1 mode a set of permissions.

use enspace_domain::list::{FieldKind, ListQuery};
use serde_json::Value as Json;

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct GroupPermission {
    pub id: i64,
    pub reference: String,
    pub fields: Json,
    pub rules: Json,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Member ids, ascending.
    pub members: Vec<i64>,
    pub permissions: Vec<GroupPermission>,
}

const COLUMNS: &str = "g.id, g.workspace_id, g.name, g.description, g.created_at, g.updated_at";

impl GroupRecord {
    fn from_row(row: &Row) -> Result<GroupRecord> {
        Ok(GroupRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            name: row.text("name")?,
            description: row.text("description")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
            members: Vec::new(),
            permissions: Vec::new(),
        })
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "g.id" },
        ListField { name: "name", kind: FieldKind::Text, sql: "g.name" },
        ListField { name: "description", kind: FieldKind::Text, sql: "g.description" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "g.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "g.updated_at" },
    ],
    search: &["g.name", "g.description"],
    default_sort: ("id", false),
};

fn scoped(head: &str, workspace_id: i64) -> Sql {
    let mut sql = Sql::new(head);
    sql.push(" FROM member_groups g WHERE g.workspace_id = ").bind(workspace_id);
    sql
}

/// Fills in the groups' members and permissions (two queries for the whole page).
async fn complete(db: &Db, workspace_id: i64, rows: Vec<Row>) -> Result<Vec<GroupRecord>> {
    let mut groups = rows.iter().map(GroupRecord::from_row).collect::<Result<Vec<_>>>()?;
    if groups.is_empty() {
        return Ok(groups);
    }
    let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let in_groups = |head: &str, tail: &str| {
        let mut sql = Sql::new(head);
        sql.bind(workspace_id).push(" AND group_id IN ").bind_list(group_ids.iter().copied()).push(tail);
        sql
    };
    let sql =
        in_groups("SELECT group_id, member_id FROM member_group_members WHERE workspace_id = ", " ORDER BY member_id");
    for row in db.fetch_all(&sql.text, &sql.params).await? {
        let group_id = row.i64("group_id")?;
        if let Some(g) = groups.iter_mut().find(|g| g.id == group_id) {
            g.members.push(row.i64("member_id")?);
        }
    }
    let sql = in_groups(
        "SELECT id, group_id, reference, fields, rules FROM member_group_permissions WHERE workspace_id = ",
        " ORDER BY id",
    );
    for row in db.fetch_all(&sql.text, &sql.params).await? {
        let group_id = row.i64("group_id")?;
        if let Some(g) = groups.iter_mut().find(|g| g.id == group_id) {
            g.permissions.push(GroupPermission {
                id: row.i64("id")?,
                reference: row.text("reference")?,
                fields: row.json("fields")?,
                rules: row.json("rules")?,
            });
        }
    }
    Ok(groups)
}

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<GroupRecord>> {
    let mut sql = scoped(&format!("SELECT {COLUMNS}"), workspace_id);
    LIST.push_conditions(&mut sql, db.backend(), query);
    LIST.push_page(&mut sql, query);
    let rows = db.fetch_all(&sql.text, &sql.params).await?;
    complete(db, workspace_id, rows).await
}

pub async fn count(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<i64> {
    let mut sql = scoped("SELECT COUNT(*) AS n", workspace_id);
    LIST.push_conditions(&mut sql, db.backend(), query);
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

pub async fn get(db: &Db, workspace_id: i64, id: i64) -> Result<Option<GroupRecord>> {
    let rows = db
        .fetch_all(
            &format!("SELECT {COLUMNS} FROM member_groups g WHERE g.workspace_id = $1 AND g.id = $2"),
            &params![workspace_id, id],
        )
        .await?;
    Ok(complete(db, workspace_id, rows).await?.pop())
}

/// The workspace's group ids.
pub async fn ids(db: &Db, workspace_id: i64) -> Result<Vec<i64>> {
    db.fetch_all("SELECT id FROM member_groups WHERE workspace_id = $1", &params![workspace_id])
        .await?
        .iter()
        .map(|r| r.i64("id"))
        .collect()
}

pub async fn create(tx: &mut Tx, workspace_id: i64, name: &str, description: &str, now: i64) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO member_groups (workspace_id, name, description, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
        &params![workspace_id, name, description, now],
    )
    .await?
    .i64("id")
}

pub async fn update(tx: &mut Tx, workspace_id: i64, id: i64, name: &str, description: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE member_groups SET name = $3, description = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, name, description, now],
    )
    .await?;
    Ok(())
}

/// Replaces the group's permissions with `(reference, fields, rules)`.
pub async fn set_permissions(
    tx: &mut Tx,
    workspace_id: i64,
    group_id: i64,
    permissions: &[(String, Json, Json)],
    now: i64,
) -> Result<()> {
    tx.execute(
        "DELETE FROM member_group_permissions WHERE workspace_id = $1 AND group_id = $2",
        &params![workspace_id, group_id],
    )
    .await?;
    for (reference, fields, rules) in permissions {
        tx.execute(
            "INSERT INTO member_group_permissions (workspace_id, group_id, reference, fields, rules, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (group_id, reference) DO UPDATE SET \
             fields = excluded.fields, rules = excluded.rules",
            &params![workspace_id, group_id, reference.as_str(), fields.clone(), rules.clone(), now],
        )
        .await?;
    }
    Ok(())
}

/// Adds members (already present is fine).
pub async fn add_members(tx: &mut Tx, workspace_id: i64, group_id: i64, member_ids: &[i64]) -> Result<()> {
    for member_id in member_ids {
        crate::members::join_groups(tx, workspace_id, *member_id, &[group_id]).await?;
    }
    Ok(())
}

pub async fn remove_members(tx: &mut Tx, workspace_id: i64, group_id: i64, member_ids: &[i64]) -> Result<()> {
    for member_id in member_ids {
        tx.execute(
            "DELETE FROM member_group_members WHERE workspace_id = $1 AND group_id = $2 AND member_id = $3",
            &params![workspace_id, group_id, *member_id],
        )
        .await?;
    }
    Ok(())
}

/// Deletes the group, its permissions and memberships (members stay members).
pub async fn delete(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<()> {
    for table in ["member_group_permissions", "member_group_members"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE workspace_id = $1 AND group_id = $2"),
            &params![workspace_id, id],
        )
        .await?;
    }
    tx.execute("DELETE FROM member_groups WHERE workspace_id = $1 AND id = $2", &params![workspace_id, id]).await?;
    Ok(())
}

/// Which of `ids` are members of the workspace.
pub async fn member_ids_in(db: &Db, workspace_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id FROM members WHERE workspace_id = ");
    sql.bind(workspace_id).push(" AND id IN ").bind_list(ids.iter().copied());
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(|r| r.i64("id")).collect()
}
