//! Deadline notifications' rows: the workspace's settings, the notices that went out, and the
//! open tasks with a due date a replan walks through.

use serde_json::Value as Json;

use crate::{
    db::{Db, Tx},
    error::Result,
    list::Sql,
    params,
};

/// The workspace's stored settings (`None`: never changed, the defaults).
pub async fn get(db: &Db, workspace_id: i64) -> Result<Option<Json>> {
    let row = db
        .fetch_optional("SELECT settings FROM notification_settings WHERE workspace_id = $1", &params![workspace_id])
        .await?;
    row.map(|r| r.json("settings")).transpose()
}

/// [`get`] in a command's transaction.
pub async fn get_in(tx: &mut Tx, workspace_id: i64) -> Result<Option<Json>> {
    let row = tx
        .fetch_optional("SELECT settings FROM notification_settings WHERE workspace_id = $1", &params![workspace_id])
        .await?;
    row.map(|r| r.json("settings")).transpose()
}

pub async fn put(tx: &mut Tx, workspace_id: i64, settings: Json, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO notification_settings (workspace_id, settings, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        &params![workspace_id, settings, now],
    )
    .await?;
    Ok(())
}

/// One notification of a task, as it went out.
pub struct Notice<'a> {
    pub workspace_id: i64,
    pub task_kind: &'a str,
    pub task_id: i64,
    pub rule_id: &'a str,
    pub due_date: i64,
    /// `sent` or `skipped`.
    pub outcome: &'a str,
    pub recipients: i64,
}

/// Records a notice unless one for the same (task, rule, due date) exists: answers whether
/// this call recorded it (and so may send).
pub async fn record_notice(tx: &mut Tx, notice: &Notice<'_>, now: i64) -> Result<bool> {
    let row = tx
        .fetch_optional(
            "INSERT INTO deadline_notices (workspace_id, task_kind, task_id, rule_id, due_date, outcome, recipients, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace_id, task_kind, task_id, rule_id, due_date) DO NOTHING RETURNING id",
            &params![
                notice.workspace_id,
                notice.task_kind,
                notice.task_id,
                notice.rule_id,
                notice.due_date,
                notice.outcome,
                notice.recipients,
                now
            ],
        )
        .await?;
    Ok(row.is_some())
}

/// Up to `limit` open quick tasks with a due date after id `after`, in id order: (id, due).
/// Open: not completed, archived or trashed.
pub async fn open_quick_tasks(db: &Db, workspace_id: i64, after: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
    let rows = db
        .fetch_all(
            "SELECT id, due_date FROM quick_tasks WHERE workspace_id = $1 AND id > $2 AND due_date IS NOT NULL \
             AND status <> 'completed' AND archived = $3 AND deleted_at IS NULL ORDER BY id LIMIT $4",
            &params![workspace_id, after, false, limit],
        )
        .await?;
    rows.iter().map(|r| Ok((r.i64("id")?, r.i64("due_date")?))).collect()
}

/// Up to `limit` open schedule tasks with a due date after id `after`, in id order: (id, due,
/// whether its stage task notifies).
pub async fn open_schedule_tasks(db: &Db, workspace_id: i64, after: i64, limit: i64) -> Result<Vec<(i64, i64, bool)>> {
    let rows = db
        .fetch_all(
            "SELECT st.id, st.due_date, k.def FROM schedule_tasks st JOIN stage_tasks k ON k.id = st.task_id \
             WHERE st.workspace_id = $1 AND st.id > $2 AND st.due_date IS NOT NULL \
             AND st.work_status IN ('waiting', 'working') ORDER BY st.id LIMIT $3",
            &params![workspace_id, after, limit],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let notify = r.json("def")?.get("notify").and_then(Json::as_bool).unwrap_or(true);
            Ok((r.i64("id")?, r.i64("due_date")?, notify))
        })
        .collect()
}

/// Someone a notification goes to: an active member of the workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub user_id: i64,
    pub email: String,
    pub language: String,
}

/// The active members among `user_ids` or in one of `group_ids`, once each, in user id order
/// (decision 59: resolved when the notification is sent).
pub async fn recipients(tx: &mut Tx, workspace_id: i64, user_ids: &[i64], group_ids: &[i64]) -> Result<Vec<Recipient>> {
    if user_ids.is_empty() && group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT m.user_id, u.email, u.language FROM members m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = ",
    );
    sql.bind(workspace_id).push(" AND m.status = 'active' AND (1 = 0");
    if !user_ids.is_empty() {
        sql.push(" OR m.user_id IN ").bind_list(user_ids.iter().copied());
    }
    if !group_ids.is_empty() {
        sql.push(" OR m.id IN (SELECT member_id FROM member_group_members WHERE workspace_id = ").bind(workspace_id);
        sql.push(" AND group_id IN ").bind_list(group_ids.iter().copied()).push(")");
    }
    sql.push(") ORDER BY m.user_id");
    let rows = tx.fetch_all(&sql.text, &sql.params).await?;
    rows.iter()
        .map(|r| Ok(Recipient { user_id: r.i64("user_id")?, email: r.text("email")?, language: r.text("language")? }))
        .collect()
}
