//! Quick tasks (spec/flows-and-tasks.md § Quick tasks): the rows, who each task's people are
//! (`quick_task_people`: creator, assignee, collaborators, one row each), and the list's
//! filters. The rules — completion, meta, who may do what — are the domain's and the engine's.

use enspace_domain::{
    list::{FieldKind, ListQuery, Op, Scalar},
    quick_tasks::{PRIORITIES, STATUSES, TYPES},
};
use serde_json::{Map, Value as Json};

use crate::{
    db::{Backend, Row, Tx, Value},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
    record::{self, Record},
};

#[derive(Debug, Clone, PartialEq)]
pub struct QuickTaskRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub reference: String,
    pub values: QuickTaskValues,
    pub creator: i64,
    pub completed_by: Option<i64>,
    pub completed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

/// What a write sets: every column a client may change (directly or through a rule).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuickTaskValues {
    pub name: String,
    pub description: Option<String>,
    pub task_type: String,
    pub status: String,
    pub priority: String,
    pub due_date: Option<i64>,
    pub points: Option<i64>,
    pub meta: Map<String, Json>,
    pub assigned_to: Option<i64>,
    pub collaborators: Vec<i64>,
    pub tag_ids: Vec<i64>,
    /// The linked item: id, reference and type, copied when the link is made.
    pub item: Option<LinkedItem>,
    pub notification_task: bool,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinkedItem {
    pub id: i64,
    pub reference: String,
    pub type_id: i64,
}

/// Filters of the quick tasks list [wire; decision 58]. `tag_ids` and `collaborators` mean
/// "contains"; `node_execution` and `external_task` are always null until the node engine
/// exists, and filter as such.
pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "qt.id" },
        ListField { name: "reference", kind: FieldKind::Text, sql: "qt.reference" },
        ListField { name: "name", kind: FieldKind::Text, sql: "qt.name" },
        ListField { name: "description", kind: FieldKind::Text, sql: "qt.description" },
        ListField { name: "type", kind: FieldKind::Enum(&TYPES), sql: "qt.type" },
        ListField { name: "status", kind: FieldKind::Enum(&STATUSES), sql: "qt.status" },
        ListField { name: "priority", kind: FieldKind::Enum(&PRIORITIES), sql: "qt.priority" },
        ListField { name: "due_date", kind: FieldKind::Time, sql: "qt.due_date" },
        ListField { name: "points", kind: FieldKind::Int, sql: "qt.points" },
        ListField { name: "item", kind: FieldKind::Int, sql: "qt.item_id" },
        ListField { name: "creator", kind: FieldKind::Int, sql: "qt.creator" },
        ListField { name: "assigned_to", kind: FieldKind::Int, sql: "qt.assigned_to" },
        ListField { name: "completed_by", kind: FieldKind::Int, sql: "qt.completed_by" },
        ListField { name: "completed_at", kind: FieldKind::Time, sql: "qt.completed_at" },
        ListField { name: "collaborators", kind: FieldKind::ManyInt, sql: "qt.collaborators" },
        ListField { name: "tag_ids", kind: FieldKind::ManyInt, sql: "qt.tag_ids" },
        ListField { name: "notification_task", kind: FieldKind::Bool, sql: "qt.notification_task" },
        ListField { name: "archived", kind: FieldKind::Bool, sql: "qt.archived" },
        ListField { name: "node_execution", kind: FieldKind::Int, sql: "CAST(NULL AS BIGINT)" },
        ListField { name: "external_task", kind: FieldKind::Int, sql: "CAST(NULL AS BIGINT)" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "qt.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "qt.updated_at" },
        ListField { name: "deleted_at", kind: FieldKind::Time, sql: "qt.deleted_at" },
    ],
    search: &["qt.name", "qt.description"],
    default_sort: ("id", false),
};

fn ids(value: Json) -> Vec<i64> {
    value.as_array().map(|l| l.iter().filter_map(Json::as_i64).collect()).unwrap_or_default()
}

impl Record for QuickTaskRecord {
    const FROM: &'static str = "quick_tasks qt";
    const COLUMNS: &'static str = "qt.id, qt.workspace_id, qt.reference, qt.name, qt.description, qt.type, qt.status, \
        qt.priority, qt.due_date, qt.points, qt.meta, qt.creator, qt.assigned_to, qt.completed_by, qt.completed_at, \
        qt.item_id, qt.item_reference, qt.item_type_id, qt.notification_task, qt.archived, qt.tag_ids, \
        qt.collaborators, qt.created_at, qt.updated_at, qt.deleted_at";
    const SCOPE: &'static str = "qt.workspace_id";
    const ID: &'static str = "qt.id";
    const LIST: &'static ListSpec = &LIST;

    fn from_row(row: &Row) -> Result<QuickTaskRecord> {
        let item = match (row.opt_i64("item_id")?, row.opt_text("item_reference")?, row.opt_i64("item_type_id")?) {
            (Some(id), Some(reference), Some(type_id)) => Some(LinkedItem { id, reference, type_id }),
            _ => None,
        };
        Ok(QuickTaskRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            reference: row.text("reference")?,
            values: QuickTaskValues {
                name: row.text("name")?,
                description: row.opt_text("description")?,
                task_type: row.text("type")?,
                status: row.text("status")?,
                priority: row.text("priority")?,
                due_date: row.opt_i64("due_date")?,
                points: row.opt_i64("points")?,
                meta: row.json("meta")?.as_object().cloned().unwrap_or_default(),
                assigned_to: row.opt_i64("assigned_to")?,
                collaborators: ids(row.json("collaborators")?),
                tag_ids: ids(row.json("tag_ids")?),
                item,
                notification_task: row.bool("notification_task")?,
                archived: row.bool("archived")?,
            },
            creator: row.i64("creator")?,
            completed_by: row.opt_i64("completed_by")?,
            completed_at: row.opt_i64("completed_at")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
            deleted_at: row.opt_i64("deleted_at")?,
        })
    }
}

impl QuickTaskRecord {
    /// Everyone the task names: its creator, assignee and collaborators.
    pub fn people(&self) -> Vec<i64> {
        people_of(self.creator, &self.values)
    }
}

fn people_of(creator: i64, values: &QuickTaskValues) -> Vec<i64> {
    let mut people = vec![creator];
    people.extend(values.assigned_to);
    people.extend(&values.collaborators);
    people.sort_unstable();
    people.dedup();
    people
}

/// The task's `quick_task_people` rows.
async fn write_people(
    tx: &mut Tx,
    workspace_id: i64,
    task_id: i64,
    creator: i64,
    values: &QuickTaskValues,
) -> Result<()> {
    let mut rows: Vec<(i64, &str)> = vec![(creator, "creator")];
    rows.extend(values.assigned_to.map(|a| (a, "assignee")));
    rows.extend(values.collaborators.iter().map(|c| (*c, "collaborator")));
    let mut sql = Sql::new("INSERT INTO quick_task_people (workspace_id, user_id, task_id, role) VALUES ");
    for (i, (user, role)) in rows.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_list(params![workspace_id, user, task_id, role]);
    }
    tx.execute(&sql.text, &sql.params).await?;
    Ok(())
}

/// The columns a write sets from [`QuickTaskValues`], in [`value_params`]' order.
const VALUE_COLUMNS: [&str; 16] = [
    "name",
    "description",
    "type",
    "status",
    "priority",
    "due_date",
    "points",
    "meta",
    "assigned_to",
    "item_id",
    "item_reference",
    "item_type_id",
    "notification_task",
    "archived",
    "tag_ids",
    "collaborators",
];

fn value_params(v: &QuickTaskValues) -> [Value; 16] {
    params![
        v.name.as_str(),
        v.description.as_deref(),
        v.task_type.as_str(),
        v.status.as_str(),
        v.priority.as_str(),
        v.due_date,
        v.points,
        Json::Object(v.meta.clone()),
        v.assigned_to,
        v.item.as_ref().map(|i| i.id),
        v.item.as_ref().map(|i| i.reference.as_str()),
        v.item.as_ref().map(|i| i.type_id),
        v.notification_task,
        v.archived,
        Json::from(v.tag_ids.clone()),
        Json::from(v.collaborators.clone())
    ]
}

/// Inserts a task and its people rows; answers its id. `completion`: (completed_at,
/// completed_by).
pub async fn insert(
    tx: &mut Tx,
    workspace_id: i64,
    reference: &str,
    values: &QuickTaskValues,
    creator: i64,
    completion: (Option<i64>, Option<i64>),
    now: i64,
) -> Result<i64> {
    let mut sql = Sql::new("INSERT INTO quick_tasks (workspace_id, reference, creator, completed_at, completed_by, ");
    sql.push(&VALUE_COLUMNS.join(", ")).push(", created_at, updated_at) VALUES ");
    let mut row = params![workspace_id, reference, creator, completion.0, completion.1].to_vec();
    row.extend(value_params(values));
    row.extend(params![now, now]);
    sql.bind_list(row).push(" RETURNING id");
    let id = tx.fetch_one(&sql.text, &sql.params).await?.i64("id")?;
    write_people(tx, workspace_id, id, creator, values).await?;
    Ok(id)
}

/// The task locked for a change (on PostgreSQL; SQLite's writer is already alone), trashed or
/// not.
pub async fn lock(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<Option<QuickTaskRecord>> {
    if tx.backend() == Backend::Postgres {
        tx.execute(
            "SELECT id FROM quick_tasks WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
            &params![workspace_id, id],
        )
        .await?;
    }
    record::get_in(tx, workspace_id, id).await
}

/// Writes a task's new values, completion and trash state; rewrites its people rows when they
/// changed.
pub async fn update(
    tx: &mut Tx,
    task: &QuickTaskRecord,
    values: &QuickTaskValues,
    completion: (Option<i64>, Option<i64>),
    deleted_at: Option<i64>,
    now: i64,
) -> Result<()> {
    let mut sql = Sql::new("UPDATE quick_tasks SET ");
    for (column, value) in VALUE_COLUMNS.iter().zip(value_params(values)) {
        sql.push(column).push(" = ").bind(value).push(", ");
    }
    sql.push("completed_at = ").bind(completion.0).push(", completed_by = ").bind(completion.1);
    sql.push(", deleted_at = ").bind(deleted_at).push(", updated_at = ").bind(now);
    sql.push(" WHERE workspace_id = ").bind(task.workspace_id).push(" AND id = ").bind(task.id);
    tx.execute(&sql.text, &sql.params).await?;
    if values.assigned_to != task.values.assigned_to || values.collaborators != task.values.collaborators {
        tx.execute(
            "DELETE FROM quick_task_people WHERE workspace_id = $1 AND task_id = $2",
            &params![task.workspace_id, task.id],
        )
        .await?;
        write_people(tx, task.workspace_id, task.id, task.creator, values).await?;
    }
    Ok(())
}

/// Removes a task for good (its people rows go with it).
pub async fn delete(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<()> {
    tx.execute("DELETE FROM quick_tasks WHERE workspace_id = $1 AND id = $2", &params![workspace_id, id]).await?;
    Ok(())
}

/// What a list shows beside its filters: only the tasks naming `user_id` (when the caller may
/// not read every task), and — unless the query filters on them (decision 58) — neither
/// archived nor trashed tasks.
pub fn shown<'a>(workspace_id: i64, only_of: Option<i64>, query: &'a ListQuery) -> impl Fn(&mut Sql) + Sync + 'a {
    let names = |field: &str| query.filters.iter().any(|f| f.field == field);
    let (archived, trashed) = (names("archived"), names("deleted_at"));
    // "My tasks" (`assigned_to=<me>` or `creator=<me>`) name the caller already: the lookup in
    // the people rows would only slow the index walk down.
    let only_of = only_of.filter(|user| {
        !query.filters.iter().any(|f| {
            matches!(f.field.as_str(), "assigned_to" | "creator") && f.op == Op::Eq && f.values == [Scalar::Int(*user)]
        })
    });
    move |sql: &mut Sql| {
        if let Some(user) = only_of {
            sql.push(" AND qt.id IN (SELECT task_id FROM quick_task_people WHERE workspace_id = ").bind(workspace_id);
            sql.push(" AND user_id = ").bind(user).push(")");
        }
        if !archived {
            sql.push(" AND qt.archived = ").bind(false);
        }
        if !trashed {
            sql.push(" AND qt.deleted_at IS NULL");
        }
    }
}

/// Whether `user_id` is one of the task's people.
pub fn names(task: &QuickTaskRecord, user_id: i64) -> bool {
    task.people().contains(&user_id)
}

/// A `crud` task's form: its type, by the form's hash, if it is a create form of the workspace.
pub async fn create_form_type(tx: &mut Tx, workspace_id: i64, hash: &str) -> Result<Option<i64>> {
    let row = tx
        .fetch_optional(
            "SELECT f.type_id FROM forms f JOIN types t ON t.id = f.type_id WHERE f.workspace_id = $1 AND f.hash = $2 \
             AND f.form_type = 'create' AND t.deleted_at IS NULL",
            &params![workspace_id, hash],
        )
        .await?;
    row.map(|r| r.i64("type_id")).transpose()
}
