//! Flow runs: flow items as commands change them, and schedule tasks (stage-task instances) with
//! who is responsible for each. Every command on a flow item's tasks first locks the flow item
//! row (`lock_flow_item`), so two of them on one run take turns (decision 41).

use std::collections::HashMap;

use enspace_domain::list::FieldKind;
use serde_json::Value as Json;

use crate::{
    calendars::CalendarRow,
    db::{Row, Tx},
    error::{Result, StoreError},
    flows::{FlowItemRecord, FlowRecord, StageTaskRecord},
    list::{ListField, ListSpec, Sql},
    params,
    record::{self, Record},
    Backend,
};

/// A schedule task with the names it shows (read live through the joins, decision 22).
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleTaskRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub type_id: i64,
    pub type_slug: String,
    pub type_name: String,
    pub flow_item_id: i64,
    pub item_id: i64,
    pub item_reference: String,
    pub flow_id: i64,
    pub flow_name: String,
    pub task_id: i64,
    pub task_name: String,
    pub task_action: String,
    /// The task's definition (`domain::stage_tasks::StageTaskDef`), read live.
    pub task_def: serde_json::Map<String, Json>,
    pub stage_id: i64,
    pub stage_name: String,
    pub visit: i64,
    pub work_status: String,
    pub status: String,
    pub due_date: Option<i64>,
    pub responsibility_type: String,
    pub everybody: bool,
    pub responsible_users: Vec<i64>,
    pub responsible_groups: Vec<i64>,
    pub external_email: Option<String>,
    pub unified_responsible: String,
    pub assigned: Option<i64>,
    pub task_log: Vec<Json>,
    pub completed_by: Option<i64>,
    pub answers_digest: Option<String>,
    pub completed_at: Option<i64>,
    pub updated_by_email: Option<String>,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const WORK_STATUSES: [&str; 4] = ["waiting", "working", "complete", "removed"];

/// Filters of the schedule tasks list [wire: every key but `is_overdue`, and through `task` and
/// `flow_item`; decision 48]. `is_overdue` is absent on purpose: naming it is a 400.
pub const SCHEDULE_TASKS: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "st.id" },
        ListField { name: "task", kind: FieldKind::Int, sql: "st.task_id" },
        ListField { name: "task.name", kind: FieldKind::Text, sql: "(k.def ->> 'name')" },
        ListField {
            name: "task.action",
            kind: FieldKind::Enum(&enspace_domain::stage_tasks::ACTIONS),
            sql: "k.action",
        },
        ListField { name: "task.stage", kind: FieldKind::Int, sql: "k.stage_id" },
        ListField { name: "flow_item", kind: FieldKind::Int, sql: "st.flow_item_id" },
        ListField { name: "flow_item.item", kind: FieldKind::Int, sql: "fi.item_id" },
        ListField { name: "flow_item.flow", kind: FieldKind::Int, sql: "fi.flow_id" },
        ListField { name: "flow_item.stage", kind: FieldKind::Int, sql: "fi.stage_id" },
        ListField {
            name: "flow_item.run_status",
            kind: FieldKind::Enum(&["running", "complete", "removed"]),
            sql: "fi.run_status",
        },
        ListField { name: "item_reference", kind: FieldKind::Text, sql: "st.item_reference" },
        ListField { name: "item_type_name", kind: FieldKind::Text, sql: "t.name" },
        ListField { name: "flow_name", kind: FieldKind::Text, sql: "f.name" },
        ListField { name: "stage_name", kind: FieldKind::Text, sql: "s.name" },
        ListField { name: "task_name", kind: FieldKind::Text, sql: "(k.def ->> 'name')" },
        ListField {
            name: "task_action_slug",
            kind: FieldKind::Enum(&enspace_domain::stage_tasks::ACTIONS),
            sql: "k.action",
        },
        ListField { name: "work_status", kind: FieldKind::Enum(&WORK_STATUSES), sql: "st.work_status" },
        ListField { name: "status", kind: FieldKind::Enum(&["active", "inactive"]), sql: "st.status" },
        ListField { name: "due_date", kind: FieldKind::Time, sql: "st.due_date" },
        ListField {
            name: "responsibility_type",
            kind: FieldKind::Enum(&enspace_domain::stage_tasks::RESPONSIBILITY_TYPES),
            sql: "st.responsibility_type",
        },
        ListField { name: "unified_responsible", kind: FieldKind::Text, sql: "st.unified_responsible" },
        ListField { name: "assigned", kind: FieldKind::Int, sql: "st.assigned" },
        ListField { name: "completed_at", kind: FieldKind::Time, sql: "st.completed_at" },
        ListField { name: "updated_by_email", kind: FieldKind::Text, sql: "st.updated_by_email" },
        ListField { name: "deleted_at", kind: FieldKind::Time, sql: "st.deleted_at" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "st.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "st.updated_at" },
    ],
    search: &["(k.def ->> 'name')", "f.name", "s.name", "st.item_reference", "st.unified_responsible"],
    default_sort: ("id", false),
};

fn ids(value: Json) -> Vec<i64> {
    value.as_array().map(|l| l.iter().filter_map(Json::as_i64).collect()).unwrap_or_default()
}

impl Record for ScheduleTaskRecord {
    const FROM: &'static str = "schedule_tasks st JOIN flow_items fi ON fi.id = st.flow_item_id \
        JOIN flows f ON f.id = fi.flow_id JOIN types t ON t.id = st.type_id \
        JOIN stage_tasks k ON k.id = st.task_id JOIN flow_stages s ON s.id = st.stage_id";
    const COLUMNS: &'static str = "st.id, st.workspace_id, st.type_id, t.slug AS type_slug, t.name AS type_name, \
        st.flow_item_id, fi.item_id, st.item_reference, fi.flow_id, f.name AS flow_name, st.task_id, k.action, k.def, \
        st.stage_id, s.name AS stage_name, st.visit, st.work_status, st.status, st.due_date, st.responsibility_type, \
        st.everybody, st.responsible_users, st.responsible_groups, st.external_email, st.unified_responsible, \
        st.assigned, st.task_log, st.completed_by, st.answers_digest, st.completed_at, st.updated_by_email, \
        st.deleted_at, st.created_at, st.updated_at";
    const SCOPE: &'static str = "st.workspace_id";
    const ID: &'static str = "st.id";
    const LIST: &'static ListSpec = &SCHEDULE_TASKS;
    const ALIVE: &'static str = "t.deleted_at IS NULL";

    fn from_row(row: &Row) -> Result<ScheduleTaskRecord> {
        let task_def = row.json("def")?.as_object().cloned().unwrap_or_default();
        Ok(ScheduleTaskRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            type_id: row.i64("type_id")?,
            type_slug: row.text("type_slug")?,
            type_name: row.text("type_name")?,
            flow_item_id: row.i64("flow_item_id")?,
            item_id: row.i64("item_id")?,
            item_reference: row.text("item_reference")?,
            flow_id: row.i64("flow_id")?,
            flow_name: row.text("flow_name")?,
            task_id: row.i64("task_id")?,
            task_name: task_def.get("name").and_then(Json::as_str).unwrap_or_default().to_string(),
            task_action: row.text("action")?,
            task_def,
            stage_id: row.i64("stage_id")?,
            stage_name: row.text("stage_name")?,
            visit: row.i64("visit")?,
            work_status: row.text("work_status")?,
            status: row.text("status")?,
            due_date: row.opt_i64("due_date")?,
            responsibility_type: row.text("responsibility_type")?,
            everybody: row.bool("everybody")?,
            responsible_users: ids(row.json("responsible_users")?),
            responsible_groups: ids(row.json("responsible_groups")?),
            external_email: row.opt_text("external_email")?,
            unified_responsible: row.text("unified_responsible")?,
            assigned: row.opt_i64("assigned")?,
            task_log: row.json("task_log")?.as_array().cloned().unwrap_or_default(),
            completed_by: row.opt_i64("completed_by")?,
            answers_digest: row.opt_text("answers_digest")?,
            completed_at: row.opt_i64("completed_at")?,
            updated_by_email: row.opt_text("updated_by_email")?,
            deleted_at: row.opt_i64("deleted_at")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

impl crate::flows::OfType for ScheduleTaskRecord {
    fn type_slug(&self) -> &str {
        &self.type_slug
    }
}

/// Who the caller is, for "the tasks I am responsible for or have taken" in SQL: the same
/// meaning as `domain::flow_run::is_responsible` (decisions 30, 31).
pub struct Mine<'a> {
    pub workspace_id: i64,
    pub user_id: i64,
    pub groups: &'a [i64],
    /// Slugs of the types whose items the caller may update (`None`: every type); `everybody`
    /// tasks of those are the caller's.
    pub updates: Option<&'a [String]>,
    /// Viewers are responsible for nothing.
    pub viewer: bool,
}

impl Mine<'_> {
    /// Appends `joiner` and the condition "the caller is a responsible or the assignee".
    /// Without `everybody` tasks it is one `id IN (…)` over the people rows, which PostgreSQL
    /// plans from the caller's few rows instead of walking every task id for a page.
    pub fn push(&self, sql: &mut Sql, joiner: &str) {
        sql.push(joiner);
        if self.viewer {
            // Viewers are responsible for nothing (decision 30).
            sql.push("1 = 0");
            return;
        }
        sql.push("(st.id IN (SELECT r.task_id FROM schedule_task_responsibles r WHERE r.workspace_id = ")
            .bind(self.workspace_id)
            .push(" AND (r.user_id = ")
            .bind(self.user_id);
        if !self.groups.is_empty() {
            sql.push(" OR r.group_id IN ").bind_list(self.groups.iter().copied());
        }
        sql.push("))");
        match self.updates {
            None => {
                sql.push(" OR st.everybody");
            }
            Some([]) => {}
            Some(slugs) => {
                sql.push(" OR (st.everybody AND t.slug IN ").bind_list(slugs.iter().map(String::as_str)).push(")");
            }
        }
        sql.push(")");
    }
}

/// What the caller may list: every task of `readable` types (`tasks::scheduled::read` and read on
/// the type; `None` = all), or its own.
pub fn visible<'a>(readable: Option<&'a [String]>, mine: &'a Mine<'a>) -> impl Fn(&mut Sql) + Sync + 'a {
    move |sql: &mut Sql| match readable {
        None => {}
        Some(slugs) => {
            sql.push(" AND (");
            if slugs.is_empty() {
                sql.push("1 = 0");
            } else {
                sql.push("t.slug IN ").bind_list(slugs.iter().map(String::as_str));
            }
            mine.push(sql, " OR ");
            sql.push(")");
        }
    }
}

/// Only the caller's own tasks (`in-charge`).
pub fn only_mine<'a>(mine: &'a Mine<'a>) -> impl Fn(&mut Sql) + Sync + 'a {
    move |sql: &mut Sql| mine.push(sql, " AND ")
}

/// What a caller may be responsible through: a stage task's instances, or a flow item's tasks.
#[derive(Debug, Clone, Copy)]
pub enum Through {
    StageTask,
    FlowItem,
}

/// Whether `mine` is a responsible (or the assignee) of an instance of the stage task, or of a
/// task of the flow item, `id` (decision 33: it may read those).
pub async fn is_responsible(
    db: &crate::Db,
    workspace_id: i64,
    through: Through,
    id: i64,
    mine: &Mine<'_>,
) -> Result<bool> {
    let column = match through {
        Through::StageTask => "st.task_id",
        Through::FlowItem => "st.flow_item_id",
    };
    let mut sql =
        Sql::new("SELECT st.id FROM schedule_tasks st JOIN types t ON t.id = st.type_id WHERE st.workspace_id = ");
    sql.bind(workspace_id).push(" AND ").push(column).push(" = ").bind(id);
    mine.push(&mut sql, " AND ");
    sql.push(" LIMIT 1");
    Ok(db.fetch_optional(&sql.text, &sql.params).await?.is_some())
}

/// The flow item, locked for the rest of the transaction: commands on its tasks take turns
/// (PostgreSQL's row lock; SQLite has one writer).
pub async fn lock_flow_item(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<Option<FlowItemRecord>> {
    if tx.backend() == Backend::Postgres {
        tx.execute(
            "SELECT id FROM flow_items WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
            &params![workspace_id, id],
        )
        .await?;
    }
    record::get_in(tx, workspace_id, id).await
}

/// A flow that starts on the type's new items: its start stage and that stage's tasks, in order.
#[derive(Debug, Clone)]
pub struct Startable {
    pub flow: FlowRecord,
    pub start_stage: i64,
    pub tasks: Vec<StageTaskRecord>,
}

/// What starting an item's flows needs, read in one statement because every item create asks:
/// the type's active flows that have a start stage (in id order, none for most types), their
/// start stages' tasks, and the workspace's calendar (`None` while it keeps the default).
#[derive(Debug, Clone, Default)]
pub struct StartPlan {
    pub flows: Vec<Startable>,
    pub calendar: Option<CalendarRow>,
    /// The workspace's deadline notification settings, as stored (none: the defaults).
    pub notifications: Option<Json>,
}

/// Whether the type has an active flow with an active start stage: whether an item create must
/// read [`start_plan`] at all (the structure cache keeps the answer).
pub async fn starts_flows(db: &crate::Db, workspace_id: i64, type_id: i64) -> Result<bool> {
    let sql = format!(
        "SELECT 1 AS one FROM {} JOIN flow_stages s ON s.flow_id = f.id AND s.is_start AND s.deleted_at IS NULL \
         AND s.status = 'active' WHERE f.workspace_id = $1 AND f.type_id = $2 AND f.status = 'active' AND {} LIMIT 1",
        FlowRecord::FROM,
        FlowRecord::ALIVE,
    );
    Ok(db.fetch_optional(&sql, &params![workspace_id, type_id]).await?.is_some())
}

pub async fn start_plan(tx: &mut Tx, workspace_id: i64, type_id: i64) -> Result<StartPlan> {
    let sql = format!(
        "SELECT {}, s.id AS start_stage, k.id AS task_id, k.position AS task_position, k.def AS task_def, \
         k.created_by AS task_created_by, k.created_at AS task_created_at, k.updated_at AS task_updated_at, \
         c.time_zone, c.work_days, c.work_hours, c.holidays, ns.settings AS notify_settings \
         FROM {} JOIN flow_stages s ON s.flow_id = f.id AND s.is_start AND s.deleted_at IS NULL \
         AND s.status = 'active' LEFT JOIN stage_tasks k ON k.stage_id = s.id AND k.deleted_at IS NULL \
         LEFT JOIN workspace_calendars c ON c.workspace_id = f.workspace_id \
         LEFT JOIN notification_settings ns ON ns.workspace_id = f.workspace_id \
         WHERE f.workspace_id = $1 AND f.type_id = $2 AND f.status = 'active' AND {} \
         ORDER BY f.id, k.position, k.id{}",
        FlowRecord::COLUMNS,
        FlowRecord::FROM,
        FlowRecord::ALIVE,
        // A flow or start stage being deleted is waited for, then read again (the FK checks
        // of the inserts that follow take the same locks anyway): `flows::running_in_flow`.
        if tx.backend() == Backend::Postgres { " FOR KEY SHARE OF f, s" } else { "" }
    );
    let mut plan = StartPlan::default();
    for row in tx.fetch_all(&sql, &params![workspace_id, type_id]).await? {
        if plan.calendar.is_none() && row.opt_text("time_zone")?.is_some() {
            plan.calendar = Some(crate::calendars::from_row(&row)?);
        }
        if plan.notifications.is_none() {
            plan.notifications = Some(row.json("notify_settings")?).filter(|s| !s.is_null());
        }
        let flow_id = row.i64("id")?;
        if plan.flows.last().is_none_or(|last| last.flow.id != flow_id) {
            let flow = FlowRecord::from_row(&row)?;
            plan.flows.push(Startable { flow, start_stage: row.i64("start_stage")?, tasks: Vec::new() });
        }
        let startable = plan.flows.last_mut().expect("pushed above");
        let Some(id) = row.opt_i64("task_id")? else { continue };
        startable.tasks.push(StageTaskRecord {
            id,
            workspace_id,
            stage_id: startable.start_stage,
            flow_id,
            type_id: startable.flow.type_id,
            type_slug: startable.flow.type_slug.clone(),
            position: row.i64("task_position")?,
            def: row.json("task_def")?.as_object().cloned().unwrap_or_default(),
            created_by: row.opt_i64("task_created_by")?,
            created_at: row.i64("task_created_at")?,
            updated_at: row.i64("task_updated_at")?,
        });
    }
    Ok(plan)
}

pub async fn insert_flow_item(
    tx: &mut Tx,
    workspace_id: i64,
    item_id: i64,
    flow_id: i64,
    stage_id: i64,
    stages_log: &Json,
    now: i64,
) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO flow_items (workspace_id, item_id, flow_id, stage_id, status, run_status, stages_log, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, 'active', 'running', $5, $6, $6) RETURNING id",
        &params![workspace_id, item_id, flow_id, stage_id, stages_log.clone(), now],
    )
    .await?
    .i64("id")
}

/// Writes a flow item's state (its stage, run status and log), changed at `now`.
pub async fn save_flow_item(tx: &mut Tx, item: &mut FlowItemRecord, now: i64) -> Result<()> {
    item.updated_at = now;
    tx.execute(
        "UPDATE flow_items SET stage_id = $3, status = $4, run_status = $5, stages_log = $6, updated_at = $7 \
         WHERE workspace_id = $1 AND id = $2",
        &params![
            item.workspace_id,
            item.id,
            item.stage_id,
            item.status.as_str(),
            item.run_status.as_str(),
            item.stages_log.clone(),
            now
        ],
    )
    .await?;
    Ok(())
}

/// An item's running flow items (an item delete removes them), locked.
pub async fn running_of_item(tx: &mut Tx, workspace_id: i64, item_id: i64) -> Result<Vec<FlowItemRecord>> {
    running_where(tx, workspace_id, "item_id", item_id).await
}

/// A flow's running flow items (a forced flow delete removes them), locked.
pub async fn running_of_flow(tx: &mut Tx, workspace_id: i64, flow_id: i64) -> Result<Vec<FlowItemRecord>> {
    running_where(tx, workspace_id, "flow_id", flow_id).await
}

async fn running_where(tx: &mut Tx, workspace_id: i64, column: &str, value: i64) -> Result<Vec<FlowItemRecord>> {
    let sql = format!(
        "SELECT id FROM flow_items WHERE workspace_id = $1 AND {column} = $2 AND run_status = 'running' ORDER BY id"
    );
    let ids: Vec<i64> =
        tx.fetch_all(&sql, &params![workspace_id, value]).await?.iter().map(|r| r.i64("id")).collect::<Result<_>>()?;
    let mut out = Vec::new();
    for id in ids {
        out.extend(lock_flow_item(tx, workspace_id, id).await?);
    }
    Ok(out)
}

/// A member as responsibility reads it.
pub struct PersonRow {
    pub user_id: i64,
    pub email: String,
    pub member_type: String,
    pub status: String,
}

/// The workspace's members among `user_ids` or with one of `emails` (lowercase).
pub async fn people(tx: &mut Tx, workspace_id: i64, user_ids: &[i64], emails: &[String]) -> Result<Vec<PersonRow>> {
    if user_ids.is_empty() && emails.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT m.user_id, u.email, m.type AS member_type, m.status FROM members m JOIN users u ON u.id = m.user_id \
         WHERE m.workspace_id = ",
    );
    sql.bind(workspace_id).push(" AND (1 = 0");
    if !user_ids.is_empty() {
        sql.push(" OR m.user_id IN ").bind_list(user_ids.iter().copied());
    }
    if !emails.is_empty() {
        sql.push(" OR LOWER(u.email) IN ").bind_list(emails.iter().map(String::as_str));
    }
    sql.push(")");
    let rows = tx.fetch_all(&sql.text, &sql.params).await?;
    rows.iter()
        .map(|r| {
            Ok(PersonRow {
                user_id: r.i64("user_id")?,
                email: r.text("email")?,
                member_type: r.text("member_type")?,
                status: r.text("status")?,
            })
        })
        .collect()
}

/// The names of the workspace's groups among `ids`.
pub async fn group_names(tx: &mut Tx, workspace_id: i64, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT id, name FROM member_groups WHERE workspace_id = ");
    sql.bind(workspace_id).push(" AND id IN ").bind_list(ids.iter().copied());
    let rows = tx.fetch_all(&sql.text, &sql.params).await?;
    rows.iter().map(|r| Ok((r.i64("id")?, r.text("name")?))).collect()
}

/// A new instance.
pub struct NewScheduleTask<'a> {
    pub workspace_id: i64,
    pub type_id: i64,
    pub flow_item_id: i64,
    pub task_id: i64,
    pub stage_id: i64,
    pub visit: i64,
    pub item_reference: &'a str,
    pub due_date: Option<i64>,
    pub responsibility_type: &'a str,
    pub everybody: bool,
    pub users: &'a [i64],
    pub groups: &'a [i64],
    pub external_email: Option<&'a str>,
    pub unified_responsible: &'a str,
    pub task_log: &'a Json,
    pub now: i64,
}

/// Makes a visit's instances in one statement (each of a different stage task), with their
/// people rows in one more; answers their ids in `new`'s order.
pub async fn insert_tasks(tx: &mut Tx, new: &[NewScheduleTask<'_>]) -> Result<Vec<i64>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "INSERT INTO schedule_tasks (workspace_id, type_id, flow_item_id, task_id, stage_id, visit, item_reference, \
         work_status, status, due_date, responsibility_type, everybody, responsible_users, responsible_groups, \
         external_email, unified_responsible, task_log, created_at, updated_at) VALUES ",
    );
    for (i, task) in new.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_list(params![
            task.workspace_id,
            task.type_id,
            task.flow_item_id,
            task.task_id,
            task.stage_id,
            task.visit,
            task.item_reference,
            "waiting",
            "active",
            task.due_date,
            task.responsibility_type,
            task.everybody,
            Json::from(task.users.to_vec()),
            Json::from(task.groups.to_vec()),
            task.external_email,
            task.unified_responsible,
            task.task_log.clone(),
            task.now,
            task.now
        ]);
    }
    sql.push(" RETURNING id, task_id");
    let made: HashMap<i64, i64> = tx
        .fetch_all(&sql.text, &sql.params)
        .await?
        .iter()
        .map(|r| Ok((r.i64("task_id")?, r.i64("id")?)))
        .collect::<Result<_>>()?;
    // RETURNING's order is not promised: each instance is found by its stage task.
    let ids: Vec<i64> =
        new.iter().map(|task| made.get(&task.task_id).copied().ok_or(StoreError::NotFound)).collect::<Result<_>>()?;
    let people: Vec<PeopleRow> =
        new.iter().zip(&ids).flat_map(|(task, id)| people_rows(*id, task.users, None, task.groups)).collect();
    insert_people(tx, new[0].workspace_id, &people).await?;
    Ok(ids)
}

/// Writes an instance's due date and responsibles again (they follow their fields, decision
/// 35), with the one-per-row copy `in-charge` reads.
pub async fn save_plan(tx: &mut Tx, task: &mut ScheduleTaskRecord, now: i64) -> Result<()> {
    task.updated_at = now;
    tx.execute(
        "UPDATE schedule_tasks SET due_date = $3, everybody = $4, responsible_users = $5, responsible_groups = $6, \
         external_email = $7, unified_responsible = $8, updated_at = $9 WHERE workspace_id = $1 AND id = $2",
        &params![
            task.workspace_id,
            task.id,
            task.due_date,
            task.everybody,
            Json::from(task.responsible_users.clone()),
            Json::from(task.responsible_groups.clone()),
            task.external_email.as_deref(),
            task.unified_responsible.as_str(),
            now
        ],
    )
    .await?;
    save_people(tx, task).await
}

/// Writes the task's people rows again: its responsible users and groups, and its assignee
/// (what `in-charge` reads; the assignee is "in charge" too).
pub async fn save_people(tx: &mut Tx, task: &ScheduleTaskRecord) -> Result<()> {
    tx.execute("DELETE FROM schedule_task_responsibles WHERE task_id = $1", &params![task.id]).await?;
    let (users, groups) = (&task.responsible_users, &task.responsible_groups);
    insert_people(tx, task.workspace_id, &people_rows(task.id, users, task.assigned, groups)).await
}

/// A task's people row: (task, user, group).
type PeopleRow = (i64, Option<i64>, Option<i64>);

/// A task's people rows: each responsible user, its assignee when not one of them, each group.
fn people_rows(task_id: i64, users: &[i64], assigned: Option<i64>, groups: &[i64]) -> Vec<PeopleRow> {
    let assignee = assigned.filter(|a| !users.contains(a));
    let users = users.iter().chain(assignee.iter()).map(|user| (task_id, Some(*user), None));
    users.chain(groups.iter().map(|group| (task_id, None, Some(*group)))).collect()
}

async fn insert_people(tx: &mut Tx, workspace_id: i64, rows: &[PeopleRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("INSERT INTO schedule_task_responsibles (task_id, workspace_id, user_id, group_id) VALUES ");
    for (i, (task_id, user, group)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_list(params![*task_id, workspace_id, *user, *group]);
    }
    tx.execute(&sql.text, &sql.params).await?;
    Ok(())
}

/// Writes an instance's state as a command changed it at `now`.
pub async fn save_task(tx: &mut Tx, task: &mut ScheduleTaskRecord, now: i64) -> Result<()> {
    task.updated_at = now;
    tx.execute(
        "UPDATE schedule_tasks SET work_status = $3, status = $4, assigned = $5, task_log = $6, completed_by = $7, \
         answers_digest = $8, completed_at = $9, updated_by_email = $10, deleted_at = $11, updated_at = $12 \
         WHERE workspace_id = $1 AND id = $2",
        &params![
            task.workspace_id,
            task.id,
            task.work_status.as_str(),
            task.status.as_str(),
            task.assigned,
            Json::from(task.task_log.clone()),
            task.completed_by,
            task.answers_digest.as_deref(),
            task.completed_at,
            task.updated_by_email.as_deref(),
            task.deleted_at,
            now
        ],
    )
    .await?;
    Ok(())
}

/// A flow item's open instances (only its current visit has any), oldest first.
pub async fn open_of_flow_item(tx: &mut Tx, workspace_id: i64, flow_item_id: i64) -> Result<Vec<ScheduleTaskRecord>> {
    open_where(tx, "st.flow_item_id = $2", &params![workspace_id, flow_item_id]).await
}

/// Open instances of a stage task (its delete is refused while any exist, decision 23). Open
/// tasks exist only in runs that are in their stage, so the runs' index finds them.
pub async fn open_of_task(tx: &mut Tx, task: &crate::flows::StageTaskRecord) -> Result<Vec<ScheduleTaskRecord>> {
    let runs = "SELECT id FROM flow_items WHERE flow_id = $3 AND run_status = 'running' AND stage_id = $4";
    let filter = format!("st.task_id = $2 AND st.flow_item_id IN ({runs})");
    let values = params![task.workspace_id, task.id, task.flow_id, task.stage_id];
    open_where(tx, &filter, &values).await
}

async fn open_where(tx: &mut Tx, filter: &str, values: &[crate::Value]) -> Result<Vec<ScheduleTaskRecord>> {
    // Sorted here: an ORDER BY id leads SQLite's planner to walk the workspace's tasks in id
    // order rather than use the (workspace, flow item, status) index.
    let sql = format!(
        "SELECT {} FROM {} WHERE st.workspace_id = $1 AND {filter} AND st.work_status IN ('waiting', 'working')",
        ScheduleTaskRecord::COLUMNS,
        ScheduleTaskRecord::FROM
    );
    let rows = tx.fetch_all(&sql, values).await?;
    let mut found: Vec<ScheduleTaskRecord> = rows.iter().map(ScheduleTaskRecord::from_row).collect::<Result<_>>()?;
    found.sort_by_key(|t| t.id);
    Ok(found)
}

/// Whether the workspace has an active integration of `integration_type` (read in the
/// command's transaction).
pub async fn has_active_integration(tx: &mut Tx, workspace_id: i64, integration_type: i64) -> Result<bool> {
    Ok(tx
        .fetch_optional(
            "SELECT id FROM integrations WHERE workspace_id = $1 AND integration_type = $2 AND status = 'active' LIMIT 1",
            &params![workspace_id, integration_type],
        )
        .await?
        .is_some())
}
