//! Members: a user's link to one workspace, with its license type, status, role and groups.

use enspace_domain::{
    access::{MemberStatus, MemberType},
    list::{FieldKind, ListQuery},
    members::{grant_source, GrantSource},
    time::now_ms,
};

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
    users::UserRecord,
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
    let values = MemberValues { member_type, status, role_id: None, v1_compatibility: false };
    insert(tx, workspace_id, user_id, &values).await
}

/// What a member's row holds besides its identity.
#[derive(Debug, Clone, Copy)]
pub struct MemberValues {
    pub member_type: MemberType,
    pub status: MemberStatus,
    pub role_id: Option<i64>,
    pub v1_compatibility: bool,
}

/// Adds a member; a user already in the workspace is a `Conflict`.
pub async fn insert(tx: &mut Tx, workspace_id: i64, user_id: i64, values: &MemberValues) -> Result<MemberRecord> {
    let now = now_ms();
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO members (workspace_id, user_id, type, status, role_id, v1_compatibility, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {}",
                member_columns("")
            ),
            &params![
                workspace_id,
                user_id,
                values.member_type.as_str(),
                values.status.as_str(),
                values.role_id,
                values.v1_compatibility,
                now
            ],
        )
        .await?;
    Ok(MemberRecord::from_row(&row)?.expect("RETURNING gives the member"))
}

/// Changes a member's type, status and role.
pub async fn update(tx: &mut Tx, member: &MemberRecord, values: &MemberValues) -> Result<()> {
    tx.execute(
        "UPDATE members SET type = $3, status = $4, role_id = $5, updated_at = $6 WHERE workspace_id = $1 AND id = $2",
        &params![
            member.workspace_id,
            member.id,
            values.member_type.as_str(),
            values.status.as_str(),
            values.role_id,
            now_ms()
        ],
    )
    .await?;
    Ok(())
}

/// Replaces nothing: adds `member_id` to each group (already there is fine).
pub async fn join_groups(tx: &mut Tx, workspace_id: i64, member_id: i64, group_ids: &[i64]) -> Result<()> {
    for group_id in group_ids {
        tx.execute(
            "INSERT INTO member_group_members (workspace_id, group_id, member_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            &params![workspace_id, *group_id, member_id],
        )
        .await?;
    }
    Ok(())
}

/// The users who are members of the workspace.
pub async fn user_ids(db: &Db, workspace_id: i64) -> Result<Vec<i64>> {
    db.fetch_all("SELECT user_id FROM members WHERE workspace_id = $1 ORDER BY user_id", &params![workspace_id])
        .await?
        .iter()
        .map(|r| r.i64("user_id"))
        .collect()
}

/// A member with its user and groups, as the member routes answer it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberDetail {
    pub member: MemberRecord,
    pub user: UserRecord,
    pub groups: Vec<i64>,
}

impl MemberDetail {
    /// The member's type, status, role and mode. Rows are written from the domain types, so an
    /// unknown value is corrupt data: read as the least privileged.
    pub fn values(&self) -> MemberValues {
        MemberValues {
            member_type: MemberType::parse(&self.member.member_type).unwrap_or(MemberType::Viewer),
            status: MemberStatus::parse(&self.member.status).unwrap_or(MemberStatus::Inactive),
            role_id: self.member.role_id,
            v1_compatibility: self.member.v1_compatibility,
        }
    }
}

/// Filters and sorts of the members list [spec: `type`, `status`, `role`, `email_contains`, `_q`].
pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "m.id" },
        ListField { name: "type", kind: FieldKind::Enum(MemberType::NAMES), sql: "m.type" },
        ListField { name: "status", kind: FieldKind::Enum(MemberStatus::NAMES), sql: "m.status" },
        ListField { name: "role", kind: FieldKind::Int, sql: "m.role_id" },
        ListField { name: "email", kind: FieldKind::Text, sql: "u.email" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "m.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "m.updated_at" },
    ],
    search: &["u.email", "u.fname", "u.lname"],
    default_sort: ("id", false),
};

fn detail_select(head: Option<&str>, workspace_id: i64) -> Sql {
    let head = head.map(str::to_string).unwrap_or_else(|| {
        format!(
            "SELECT {}, u.id, u.email, u.fname, u.lname, u.language, u.created_at, u.updated_at",
            member_columns("m")
        )
    });
    let mut sql = Sql::new(&head);
    sql.push(" FROM members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ").bind(workspace_id);
    sql
}

async fn with_groups(db: &Db, workspace_id: i64, rows: Vec<Row>) -> Result<Vec<MemberDetail>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let member = MemberRecord::from_row(row)?.expect("the query selects members");
        out.push(MemberDetail { member, user: UserRecord::from_row(row)?, groups: Vec::new() });
    }
    if out.is_empty() {
        return Ok(out);
    }
    let mut sql = Sql::new("SELECT member_id, group_id FROM member_group_members WHERE workspace_id = ");
    sql.bind(workspace_id).push(" AND member_id IN ").bind_list(out.iter().map(|d| d.member.id));
    sql.push(" ORDER BY group_id");
    for row in db.fetch_all(&sql.text, &sql.params).await? {
        let member_id = row.i64("member_id")?;
        if let Some(detail) = out.iter_mut().find(|d| d.member.id == member_id) {
            detail.groups.push(row.i64("group_id")?);
        }
    }
    Ok(out)
}

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<MemberDetail>> {
    let mut sql = detail_select(None, workspace_id);
    LIST.push_conditions(&mut sql, db.backend(), query);
    LIST.push_page(&mut sql, query);
    let rows = db.fetch_all(&sql.text, &sql.params).await?;
    with_groups(db, workspace_id, rows).await
}

pub async fn count(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<i64> {
    let mut sql = detail_select(Some("SELECT COUNT(*) AS n"), workspace_id);
    LIST.push_conditions(&mut sql, db.backend(), query);
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

/// One member of the workspace, with its user and groups.
pub async fn detail(db: &Db, workspace_id: i64, id: i64) -> Result<Option<MemberDetail>> {
    let mut sql = detail_select(None, workspace_id);
    sql.push(" AND m.id = ").bind(id);
    let rows = db.fetch_all(&sql.text, &sql.params).await?;
    Ok(with_groups(db, workspace_id, rows).await?.pop())
}

/// The member a user is in the workspace, if any.
pub async fn of_user(db: &Db, workspace_id: i64, user_id: i64) -> Result<Option<MemberRecord>> {
    let row = db
        .fetch_optional(
            &format!("SELECT {} FROM members m WHERE m.workspace_id = $1 AND m.user_id = $2", member_columns("m")),
            &params![workspace_id, user_id],
        )
        .await?;
    Ok(match row {
        Some(row) => MemberRecord::from_row(&row)?,
        None => None,
    })
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

/// (reference, fields) rows.
pub type GrantRows = Vec<(String, Vec<String>)>;

fn grant_rows(rows: Vec<Row>) -> Result<GrantRows> {
    rows.iter()
        .map(|r| Ok((r.text("reference")?, serde_json::from_value(r.json("fields")?).unwrap_or_default())))
        .collect()
}

/// What a role grants: its permissions, or nothing while it is inactive.
pub async fn role_grants(db: &Db, workspace_id: i64, role_id: i64) -> Result<GrantRows> {
    grant_rows(
        db.fetch_all(
            "SELECT p.reference, p.fields FROM role_permissions p JOIN roles r ON r.id = p.role_id \
             WHERE p.workspace_id = $1 AND p.role_id = $2 AND r.status = 'active'",
            &params![workspace_id, role_id],
        )
        .await?,
    )
}

/// What groups grant in v1 mode: their permissions, a reference once per group.
pub async fn group_grants(db: &Db, workspace_id: i64, group_ids: &[i64]) -> Result<GrantRows> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT reference, fields FROM member_group_permissions WHERE workspace_id = ");
    sql.bind(workspace_id).push(" AND group_id IN ").bind_list(group_ids.iter().copied());
    grant_rows(db.fetch_all(&sql.text, &sql.params).await?)
}

/// The permissions that limit a member: its role's, or in v1 mode for `standard` the union of
/// its groups'. `None` when nothing limits it: no role, or v1 `full`, which ignores its role
/// [wire].
pub async fn grants(db: &Db, member: &MemberRecord) -> Result<Option<GrantRows>> {
    let member_type = MemberType::parse(&member.member_type).unwrap_or(MemberType::Viewer);
    match grant_source(member_type, member.v1_compatibility, member.role_id) {
        GrantSource::None => Ok(None),
        GrantSource::Role(role_id) => Ok(Some(role_grants(db, member.workspace_id, role_id).await?)),
        GrantSource::Groups => {
            let groups = group_ids(db, member.workspace_id, member.id).await?;
            Ok(Some(group_grants(db, member.workspace_id, &groups).await?))
        }
    }
}

/// Removes a member (leaving the workspace). What the member created stays.
pub async fn remove(tx: &mut Tx, workspace_id: i64, member_id: i64) -> Result<bool> {
    Ok(tx.execute("DELETE FROM members WHERE workspace_id = $1 AND id = $2", &params![workspace_id, member_id]).await?
        == 1)
}
