//! Members: a user's link to one workspace. The member routes arrive with the access
//! milestone; workspaces need their owner, leaving, and the caller's membership now.

use enspace_domain::{
    access::{MemberStatus, MemberType},
    time::now_ms,
};

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub member_type: String,
    pub status: String,
    pub role_id: Option<i64>,
    /// v1 mode: a `standard` member is limited by its groups' permissions instead of a role.
    pub v1_compatibility: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The member columns as `member_*`, from the table aliased `alias` (empty for RETURNING).
pub(crate) fn member_columns(alias: &str) -> String {
    let p = if alias.is_empty() { String::new() } else { format!("{alias}.") };
    ["id", "workspace_id", "user_id", "type", "status", "role_id", "v1_compatibility", "created_at", "updated_at"]
        .iter()
        .map(|c| format!("{p}{c} AS member_{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl MemberRecord {
    /// Reads the `member_*` columns of [`member_columns`]; `None` when the join found no member.
    pub(crate) fn from_row(row: &Row) -> Result<Option<MemberRecord>> {
        let Some(id) = row.opt_i64("member_id")? else { return Ok(None) };
        Ok(Some(MemberRecord {
            id,
            workspace_id: row.i64("member_workspace_id")?,
            user_id: row.i64("member_user_id")?,
            member_type: row.text("member_type")?,
            status: row.text("member_status")?,
            role_id: row.opt_i64("member_role_id")?,
            v1_compatibility: row.bool("member_v1_compatibility")?,
            created_at: row.i64("member_created_at")?,
            updated_at: row.i64("member_updated_at")?,
        }))
    }
}

pub async fn add(
    tx: &mut Tx,
    workspace_id: i64,
    user_id: i64,
    member_type: MemberType,
    status: MemberStatus,
) -> Result<MemberRecord> {
    let now = now_ms();
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO members (workspace_id, user_id, type, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING {}",
                member_columns("")
            ),
            &params![workspace_id, user_id, member_type.as_str(), status.as_str(), now],
        )
        .await?;
    Ok(MemberRecord::from_row(&row)?.expect("RETURNING gives the member"))
}

/// The member's group ids, ascending.
pub async fn group_ids(db: &Db, workspace_id: i64, member_id: i64) -> Result<Vec<i64>> {
    let rows = db
        .fetch_all(
            "SELECT group_id FROM member_group_members WHERE workspace_id = $1 AND member_id = $2 ORDER BY group_id",
            &params![workspace_id, member_id],
        )
        .await?;
    rows.iter().map(|r| r.i64("group_id")).collect()
}

/// The permissions that limit a member, as (reference, fields): its role's (nothing while the
/// role is inactive), or in v1 mode for `standard` the union of its groups'. `None` when
/// nothing limits it: no role, or v1 `full`, which ignores its role [wire].
pub async fn grants(db: &Db, member: &MemberRecord) -> Result<Option<Vec<(String, Vec<String>)>>> {
    let rows = if member.v1_compatibility {
        if member.member_type != MemberType::Standard.as_str() {
            return Ok(None);
        }
        db.fetch_all(
            "SELECT p.reference, p.fields FROM member_group_permissions p \
             JOIN member_group_members g ON g.group_id = p.group_id \
             WHERE g.workspace_id = $1 AND g.member_id = $2 AND p.workspace_id = $1",
            &params![member.workspace_id, member.id],
        )
        .await?
    } else {
        let Some(role_id) = member.role_id else { return Ok(None) };
        db.fetch_all(
            "SELECT p.reference, p.fields FROM role_permissions p JOIN roles r ON r.id = p.role_id \
             WHERE p.workspace_id = $1 AND p.role_id = $2 AND r.status = 'active'",
            &params![member.workspace_id, role_id],
        )
        .await?
    };
    let grants = rows
        .iter()
        .map(|r| Ok((r.text("reference")?, serde_json::from_value(r.json("fields")?).unwrap_or_default())))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(grants))
}

/// Removes a member (leaving the workspace). What the member created stays.
pub async fn remove(db: &Db, workspace_id: i64, member_id: i64) -> Result<bool> {
    Ok(db.execute("DELETE FROM members WHERE workspace_id = $1 AND id = $2", &params![workspace_id, member_id]).await?
        == 1)
}
