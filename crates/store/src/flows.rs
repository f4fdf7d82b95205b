//! Flow configuration: flows, stages, transitions; and how many flow items run where (what
//! decides the 409s of deletes). Configuration is tombstoned (`deleted_at`): reads never see
//! it again, runs keep their history (decision 14).

use enspace_domain::list::{FieldKind, ListQuery};
use serde_json::Value as Json;

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
    record::{self, Record},
    Backend,
};

/// A configuration record belongs to a type: who may read it follows the type.
pub trait OfType {
    fn type_slug(&self) -> &str;
}

macro_rules! of_type {
    ($($record:ty),*) => {$(
        impl OfType for $record {
            fn type_slug(&self) -> &str {
                &self.type_slug
            }
        }
    )*};
}

of_type!(FlowRecord, StageRecord, TransitionRecord, StageTaskRecord, RuleRecord);

fn opt_json(row: &Row, name: &str) -> Result<Option<Json>> {
    Ok(Some(row.json(name)?).filter(|v| !v.is_null()))
}

/// Only the types in `readable` (slugs), when the caller may not read them all.
pub fn readable_types(readable: Option<&[String]>) -> impl Fn(&mut Sql) + Sync + '_ {
    move |sql: &mut Sql| {
        if let Some(slugs) = readable {
            if slugs.is_empty() {
                sql.push(" AND 1 = 0");
            } else {
                sql.push(" AND t.slug IN ").bind_list(slugs.iter().map(String::as_str));
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub type_id: i64,
    pub type_slug: String,
    pub name: String,
    pub status: String,
    pub start_type: String,
    pub conditional: Option<Json>,
    pub icon: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters of the flows list [wire: `item_type`, `item_type.slug`, `status`, `name_contains`].
pub const FLOWS: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "f.id" },
        ListField { name: "name", kind: FieldKind::Text, sql: "f.name" },
        ListField { name: "status", kind: FieldKind::Enum(&["active", "inactive"]), sql: "f.status" },
        ListField { name: "start_type", kind: FieldKind::Enum(&["always", "conditional"]), sql: "f.start_type" },
        ListField { name: "item_type", kind: FieldKind::Int, sql: "f.type_id" },
        ListField { name: "item_type.slug", kind: FieldKind::Text, sql: "t.slug" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "f.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "f.updated_at" },
    ],
    search: &["f.name"],
    default_sort: ("id", false),
};

impl Record for FlowRecord {
    const FROM: &'static str = "flows f JOIN types t ON t.id = f.type_id";
    const COLUMNS: &'static str = "f.id, f.workspace_id, f.type_id, t.slug AS type_slug, f.name, f.status, \
        f.start_type, f.conditional, f.icon, f.created_by, f.created_at, f.updated_at";
    const SCOPE: &'static str = "f.workspace_id";
    const ID: &'static str = "f.id";
    const LIST: &'static ListSpec = &FLOWS;
    const ALIVE: &'static str = "f.deleted_at IS NULL AND t.deleted_at IS NULL";

    fn from_row(row: &Row) -> Result<FlowRecord> {
        Ok(FlowRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            type_id: row.i64("type_id")?,
            type_slug: row.text("type_slug")?,
            name: row.text("name")?,
            status: row.text("status")?,
            start_type: row.text("start_type")?,
            conditional: opt_json(row, "conditional")?,
            icon: row.opt_text("icon")?,
            created_by: row.opt_i64("created_by")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// A flow's settings as written.
pub struct FlowValues<'a> {
    pub name: &'a str,
    pub status: &'a str,
    pub start_type: &'a str,
    pub conditional: Option<&'a Json>,
    pub icon: Option<&'a str>,
}

pub async fn insert_flow(
    tx: &mut Tx,
    workspace_id: i64,
    type_id: i64,
    values: &FlowValues<'_>,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO flows (workspace_id, type_id, name, status, start_type, conditional, icon, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        &params![
            workspace_id,
            type_id,
            values.name,
            values.status,
            values.start_type,
            values.conditional.cloned(),
            values.icon,
            created_by,
            now
        ],
    )
    .await?
    .i64("id")
}

pub async fn update_flow(tx: &mut Tx, flow: &FlowRecord, values: &FlowValues<'_>, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE flows SET name = $3, status = $4, start_type = $5, conditional = $6, icon = $7, updated_at = $8 \
         WHERE workspace_id = $1 AND id = $2",
        &params![
            flow.workspace_id,
            flow.id,
            values.name,
            values.status,
            values.start_type,
            values.conditional.cloned(),
            values.icon,
            now
        ],
    )
    .await?;
    Ok(())
}

/// Tombstones a flow with its stages; its transitions go (they are nothing without it).
pub async fn delete_flow(tx: &mut Tx, flow: &FlowRecord, now: i64) -> Result<()> {
    let (ws, id) = (flow.workspace_id, flow.id);
    tx.execute("DELETE FROM flow_transitions WHERE workspace_id = $1 AND flow_id = $2", &params![ws, id]).await?;
    tx.execute(
        "UPDATE flow_stages SET deleted_at = $3, is_start = FALSE WHERE workspace_id = $1 AND flow_id = $2 \
         AND deleted_at IS NULL",
        &params![ws, id, now],
    )
    .await?;
    tx.execute("UPDATE flows SET deleted_at = $3 WHERE workspace_id = $1 AND id = $2", &params![ws, id, now]).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub flow_id: i64,
    pub type_id: i64,
    pub type_slug: String,
    pub name: String,
    pub status: String,
    pub progress_type: String,
    pub is_start: bool,
    pub hex_color: Option<String>,
    pub icon: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters of the stages list [wire: `flow`, `is_start`, `status`; decision 2: `flow.item_type`].
pub const STAGES: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "s.id" },
        ListField { name: "name", kind: FieldKind::Text, sql: "s.name" },
        ListField { name: "flow", kind: FieldKind::Int, sql: "s.flow_id" },
        ListField { name: "flow.item_type", kind: FieldKind::Int, sql: "f.type_id" },
        ListField { name: "is_start", kind: FieldKind::Bool, sql: "s.is_start" },
        ListField { name: "status", kind: FieldKind::Enum(&["active", "inactive"]), sql: "s.status" },
        ListField {
            name: "progress_type",
            kind: FieldKind::Enum(&["closing_task", "all_tasks"]),
            sql: "s.progress_type",
        },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "s.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "s.updated_at" },
    ],
    search: &["s.name"],
    default_sort: ("id", false),
};

impl Record for StageRecord {
    const FROM: &'static str = "flow_stages s JOIN flows f ON f.id = s.flow_id JOIN types t ON t.id = f.type_id";
    const COLUMNS: &'static str = "s.id, s.workspace_id, s.flow_id, f.type_id, t.slug AS type_slug, s.name, s.status, \
        s.progress_type, s.is_start, s.hex_color, s.icon, s.created_by, s.created_at, s.updated_at";
    const SCOPE: &'static str = "s.workspace_id";
    const ID: &'static str = "s.id";
    const LIST: &'static ListSpec = &STAGES;
    const ALIVE: &'static str = "s.deleted_at IS NULL AND f.deleted_at IS NULL AND t.deleted_at IS NULL";

    fn from_row(row: &Row) -> Result<StageRecord> {
        Ok(StageRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            flow_id: row.i64("flow_id")?,
            type_id: row.i64("type_id")?,
            type_slug: row.text("type_slug")?,
            name: row.text("name")?,
            status: row.text("status")?,
            progress_type: row.text("progress_type")?,
            is_start: row.bool("is_start")?,
            hex_color: row.opt_text("hex_color")?,
            icon: row.opt_text("icon")?,
            created_by: row.opt_i64("created_by")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

#[derive(Clone, Copy)]
pub struct StageValues<'a> {
    pub name: &'a str,
    pub status: &'a str,
    pub progress_type: &'a str,
    pub is_start: bool,
    pub hex_color: Option<&'a str>,
    pub icon: Option<&'a str>,
}

/// The flow's stages (not tombstoned), in id order.
pub async fn stages_of(db: &Db, workspace_id: i64, flow_id: i64) -> Result<Vec<StageRecord>> {
    record::list(db, workspace_id, &every_of("flow", flow_id, "id")).await
}

/// Every row whose `field` is `id`, by `sort` (then id): a parent's children.
fn every_of(field: &str, id: i64, sort: &str) -> ListQuery {
    use enspace_domain::list::{Filter, Op, Scalar, Sort};
    ListQuery {
        limit: u32::MAX,
        start: 0,
        sort: vec![Sort { field: sort.into(), desc: false }],
        q: None,
        filters: vec![Filter { field: field.into(), op: Op::Eq, values: vec![Scalar::Int(id)] }],
    }
}

/// The start moves: no other stage of the flow is the start any more.
pub async fn clear_start(tx: &mut Tx, workspace_id: i64, flow_id: i64) -> Result<()> {
    tx.execute(
        "UPDATE flow_stages SET is_start = FALSE WHERE workspace_id = $1 AND flow_id = $2 AND is_start",
        &params![workspace_id, flow_id],
    )
    .await?;
    Ok(())
}

pub async fn insert_stage(
    tx: &mut Tx,
    workspace_id: i64,
    flow_id: i64,
    values: &StageValues<'_>,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO flow_stages (workspace_id, flow_id, name, status, progress_type, is_start, hex_color, icon, \
         created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        &params![
            workspace_id,
            flow_id,
            values.name,
            values.status,
            values.progress_type,
            values.is_start,
            values.hex_color,
            values.icon,
            created_by,
            now
        ],
    )
    .await?
    .i64("id")
}

pub async fn update_stage(tx: &mut Tx, stage: &StageRecord, values: &StageValues<'_>, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE flow_stages SET name = $3, status = $4, progress_type = $5, is_start = $6, hex_color = $7, icon = $8, \
         updated_at = $9 WHERE workspace_id = $1 AND id = $2",
        &params![
            stage.workspace_id,
            stage.id,
            values.name,
            values.status,
            values.progress_type,
            values.is_start,
            values.hex_color,
            values.icon,
            now
        ],
    )
    .await?;
    Ok(())
}

/// Tombstones a stage; its transitions, both ways, go (decision 16).
pub async fn delete_stage(tx: &mut Tx, stage: &StageRecord, now: i64) -> Result<()> {
    let (ws, id) = (stage.workspace_id, stage.id);
    tx.execute(
        "DELETE FROM flow_transitions WHERE workspace_id = $1 AND (from_stage = $2 OR to_stage = $2)",
        &params![ws, id],
    )
    .await?;
    tx.execute(
        "UPDATE flow_stages SET deleted_at = $3, is_start = FALSE WHERE workspace_id = $1 AND id = $2",
        &params![ws, id, now],
    )
    .await?;
    tx.execute(
        "UPDATE stage_tasks SET deleted_at = $3 WHERE workspace_id = $1 AND stage_id = $2 AND deleted_at IS NULL",
        &params![ws, id, now],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransitionRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub flow_id: i64,
    pub type_id: i64,
    pub type_slug: String,
    pub from_stage: i64,
    pub to_stage: i64,
    pub name: String,
    pub conditional: Option<Json>,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters of the transitions list [ours: `flow`, `from`, `to`]; in `order`, then id.
pub const TRANSITIONS: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "r.id" },
        ListField { name: "flow", kind: FieldKind::Int, sql: "r.flow_id" },
        ListField { name: "from", kind: FieldKind::Int, sql: "r.from_stage" },
        ListField { name: "to", kind: FieldKind::Int, sql: "r.to_stage" },
        ListField { name: "order", kind: FieldKind::Int, sql: "r.position" },
        ListField { name: "name", kind: FieldKind::Text, sql: "r.name" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "r.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "r.updated_at" },
    ],
    search: &[],
    default_sort: ("order", false),
};

impl Record for TransitionRecord {
    const FROM: &'static str = "flow_transitions r JOIN flows f ON f.id = r.flow_id JOIN types t ON t.id = f.type_id";
    const COLUMNS: &'static str = "r.id, r.workspace_id, r.flow_id, f.type_id, t.slug AS type_slug, r.from_stage, \
        r.to_stage, r.name, r.conditional, r.position, r.created_at, r.updated_at";
    const SCOPE: &'static str = "r.workspace_id";
    const ID: &'static str = "r.id";
    const LIST: &'static ListSpec = &TRANSITIONS;
    const ALIVE: &'static str = "f.deleted_at IS NULL AND t.deleted_at IS NULL";

    fn from_row(row: &Row) -> Result<TransitionRecord> {
        Ok(TransitionRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            flow_id: row.i64("flow_id")?,
            type_id: row.i64("type_id")?,
            type_slug: row.text("type_slug")?,
            from_stage: row.i64("from_stage")?,
            to_stage: row.i64("to_stage")?,
            name: row.text("name")?,
            conditional: opt_json(row, "conditional")?,
            position: row.i64("position")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

pub struct TransitionValues<'a> {
    pub from_stage: i64,
    pub to_stage: i64,
    pub name: &'a str,
    pub conditional: Option<&'a Json>,
    /// `None`: after the flow's last.
    pub position: Option<i64>,
}

pub async fn insert_transition(
    tx: &mut Tx,
    workspace_id: i64,
    flow_id: i64,
    values: &TransitionValues<'_>,
    now: i64,
) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO flow_transitions (workspace_id, flow_id, from_stage, to_stage, name, conditional, position, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, \
         COALESCE($7, (SELECT COALESCE(MAX(position), 0) + 1 FROM flow_transitions WHERE flow_id = $2)), $8, $8) \
         RETURNING id",
        &params![
            workspace_id,
            flow_id,
            values.from_stage,
            values.to_stage,
            values.name,
            values.conditional.cloned(),
            values.position,
            now
        ],
    )
    .await?
    .i64("id")
}

pub async fn update_transition(
    tx: &mut Tx,
    transition: &TransitionRecord,
    values: &TransitionValues<'_>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE flow_transitions SET from_stage = $3, to_stage = $4, name = $5, conditional = $6, \
         position = COALESCE($7, position), updated_at = $8 WHERE workspace_id = $1 AND id = $2",
        &params![
            transition.workspace_id,
            transition.id,
            values.from_stage,
            values.to_stage,
            values.name,
            values.conditional.cloned(),
            values.position,
            now
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete_transition(tx: &mut Tx, transition: &TransitionRecord) -> Result<()> {
    tx.execute(
        "DELETE FROM flow_transitions WHERE workspace_id = $1 AND id = $2",
        &params![transition.workspace_id, transition.id],
    )
    .await?;
    Ok(())
}

/// Flow items running in the flow, counted in the transaction about to delete it. On
/// PostgreSQL the flow's row is locked first: a create starting the flow holds a key-share
/// lock on it (`schedule_tasks::start_plan`), so it either commits before the count (and is
/// counted) or reads the flow again after this commits (and finds it gone). SQLite's one
/// writer orders them anyway.
pub async fn running_in_flow(tx: &mut Tx, workspace_id: i64, flow_id: i64) -> Result<i64> {
    if tx.backend() == Backend::Postgres {
        tx.execute(
            "SELECT id FROM flows WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
            &params![workspace_id, flow_id],
        )
        .await?;
    }
    tx.fetch_one(
        "SELECT COUNT(*) AS n FROM flow_items WHERE workspace_id = $1 AND flow_id = $2 AND run_status = 'running'",
        &params![workspace_id, flow_id],
    )
    .await?
    .i64("n")
}

/// Flow items running in `stage`, counted in the transaction about to delete it or switch it
/// off; the stage's row is locked first on PostgreSQL, as in [`running_in_flow`] (a run
/// entering the stage key-share-locks it, `enterable_stage`).
pub async fn running_in_stage(tx: &mut Tx, stage: &StageRecord) -> Result<i64> {
    if tx.backend() == Backend::Postgres {
        tx.execute(
            "SELECT id FROM flow_stages WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
            &params![stage.workspace_id, stage.id],
        )
        .await?;
    }
    tx.fetch_one(
        "SELECT COUNT(*) AS n FROM flow_items WHERE workspace_id = $1 AND flow_id = $2 AND run_status = 'running' \
         AND stage_id = $3",
        &params![stage.workspace_id, stage.flow_id, stage.id],
    )
    .await?
    .i64("n")
}

/// Whether a run may enter stage `id` (alive and active), read by the command moving it; on
/// PostgreSQL with a key-share lock that waits for a delete or a switch-off in flight
/// ([`running_in_stage`]) and then sees its outcome.
pub async fn enterable_stage(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<bool> {
    let lock = if tx.backend() == Backend::Postgres { " FOR KEY SHARE OF s" } else { "" };
    let sql = format!(
        "SELECT s.id FROM {} WHERE {} = $1 AND {} = $2 AND s.status = 'active' AND {}{lock}",
        StageRecord::FROM,
        StageRecord::SCOPE,
        StageRecord::ID,
        StageRecord::ALIVE
    );
    Ok(tx.fetch_optional(&sql, &params![workspace_id, id]).await?.is_some())
}

pub async fn flow(db: &Db, workspace_id: i64, id: i64) -> Result<Option<FlowRecord>> {
    record::get(db, workspace_id, id).await
}

pub async fn stage(db: &Db, workspace_id: i64, id: i64) -> Result<Option<StageRecord>> {
    record::get(db, workspace_id, id).await
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageTaskRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub stage_id: i64,
    pub flow_id: i64,
    pub type_id: i64,
    pub type_slug: String,
    pub position: i64,
    /// The definition (`domain::stage_tasks::StageTaskDef::to_map`).
    pub def: serde_json::Map<String, Json>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters of the stage tasks list [wire: `stage`, `action`]; by `order`, then id.
pub const STAGE_TASKS: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "k.id" },
        ListField { name: "stage", kind: FieldKind::Int, sql: "k.stage_id" },
        ListField { name: "stage.flow", kind: FieldKind::Int, sql: "s.flow_id" },
        ListField { name: "action", kind: FieldKind::Enum(&enspace_domain::stage_tasks::ACTIONS), sql: "k.action" },
        ListField { name: "order", kind: FieldKind::Int, sql: "k.position" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "k.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "k.updated_at" },
    ],
    search: &[],
    default_sort: ("order", false),
};

impl Record for StageTaskRecord {
    const FROM: &'static str =
        "stage_tasks k JOIN flow_stages s ON s.id = k.stage_id JOIN flows f ON f.id = s.flow_id \
        JOIN types t ON t.id = f.type_id";
    const COLUMNS: &'static str = "k.id, k.workspace_id, k.stage_id, s.flow_id, f.type_id, t.slug AS type_slug, \
        k.position, k.def, k.created_by, k.created_at, k.updated_at";
    const SCOPE: &'static str = "k.workspace_id";
    const ID: &'static str = "k.id";
    const LIST: &'static ListSpec = &STAGE_TASKS;
    const ALIVE: &'static str =
        "k.deleted_at IS NULL AND s.deleted_at IS NULL AND f.deleted_at IS NULL AND t.deleted_at IS NULL";

    fn from_row(row: &Row) -> Result<StageTaskRecord> {
        Ok(StageTaskRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            stage_id: row.i64("stage_id")?,
            flow_id: row.i64("flow_id")?,
            type_id: row.i64("type_id")?,
            type_slug: row.text("type_slug")?,
            position: row.i64("position")?,
            def: row.json("def")?.as_object().cloned().unwrap_or_default(),
            created_by: row.opt_i64("created_by")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// The transitions leaving `stage`, in the order they are tried.
pub async fn transitions_from(db: &Db, workspace_id: i64, stage_id: i64) -> Result<Vec<TransitionRecord>> {
    record::list(db, workspace_id, &every_of("from", stage_id, "order")).await
}

/// A stage's tasks, by `order`.
pub async fn tasks_of(db: &Db, workspace_id: i64, stage_id: i64) -> Result<Vec<StageTaskRecord>> {
    record::list(db, workspace_id, &every_of("stage", stage_id, "order")).await
}

/// Adds a task to a stage: at `position`, or after the stage's last.
pub async fn insert_stage_task(
    tx: &mut Tx,
    stage: &StageRecord,
    def: &serde_json::Map<String, Json>,
    position: Option<i64>,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let action = def.get("action").and_then(Json::as_str).unwrap_or_default().to_string();
    tx.fetch_one(
        "INSERT INTO stage_tasks (workspace_id, stage_id, position, action, def, created_by, created_at, updated_at) \
         VALUES ($1, $2, COALESCE($3, (SELECT COALESCE(MAX(position), 0) + 1 FROM stage_tasks WHERE stage_id = $2 \
         AND deleted_at IS NULL)), $4, $5, $6, $7, $7) RETURNING id",
        &params![stage.workspace_id, stage.id, position, action, Json::Object(def.clone()), created_by, now],
    )
    .await?
    .i64("id")
}

pub async fn update_stage_task(
    tx: &mut Tx,
    task: &StageTaskRecord,
    def: &serde_json::Map<String, Json>,
    position: Option<i64>,
    now: i64,
) -> Result<()> {
    let action = def.get("action").and_then(Json::as_str).unwrap_or_default().to_string();
    tx.execute(
        "UPDATE stage_tasks SET def = $3, action = $4, position = COALESCE($5, position), updated_at = $6 \
         WHERE workspace_id = $1 AND id = $2",
        &params![task.workspace_id, task.id, Json::Object(def.clone()), action, position, now],
    )
    .await?;
    Ok(())
}

pub async fn delete_stage_task(tx: &mut Tx, task: &StageTaskRecord, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE stage_tasks SET deleted_at = $3 WHERE workspace_id = $1 AND id = $2",
        &params![task.workspace_id, task.id, now],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub type_id: i64,
    pub type_slug: String,
    pub position: i64,
    /// The rule (`domain::stage_tasks::RuleDef`, as the wire keys).
    pub def: serde_json::Map<String, Json>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters of the rules list (decision 3: `item_type`, `responsible_type`); by `order`.
pub const RULES: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "u.id" },
        ListField { name: "item_type", kind: FieldKind::Int, sql: "u.type_id" },
        ListField { name: "item_type.slug", kind: FieldKind::Text, sql: "t.slug" },
        ListField {
            name: "responsible_type",
            kind: FieldKind::Enum(&enspace_domain::stage_tasks::RULE_TYPES),
            sql: "u.responsible_type",
        },
        ListField { name: "order", kind: FieldKind::Int, sql: "u.position" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "u.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "u.updated_at" },
    ],
    search: &[],
    default_sort: ("order", false),
};

impl Record for RuleRecord {
    const FROM: &'static str = "responsibility_rules u JOIN types t ON t.id = u.type_id";
    const COLUMNS: &'static str =
        "u.id, u.workspace_id, u.type_id, t.slug AS type_slug, u.position, u.def, u.created_at, u.updated_at";
    const SCOPE: &'static str = "u.workspace_id";
    const ID: &'static str = "u.id";
    const LIST: &'static ListSpec = &RULES;
    const ALIVE: &'static str = "t.deleted_at IS NULL";

    fn from_row(row: &Row) -> Result<RuleRecord> {
        Ok(RuleRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            type_id: row.i64("type_id")?,
            type_slug: row.text("type_slug")?,
            position: row.i64("position")?,
            def: row.json("def")?.as_object().cloned().unwrap_or_default(),
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// Adds a rule to a type: at `position`, or after its last.
pub async fn insert_rule(
    tx: &mut Tx,
    workspace_id: i64,
    type_id: i64,
    def: &serde_json::Map<String, Json>,
    position: Option<i64>,
    now: i64,
) -> Result<i64> {
    let kind = def.get("responsible_type").and_then(Json::as_str).unwrap_or_default().to_string();
    tx.fetch_one(
        "INSERT INTO responsibility_rules (workspace_id, type_id, position, responsible_type, def, created_at, updated_at) \
         VALUES ($1, $2, COALESCE($3, (SELECT COALESCE(MAX(position), 0) + 1 FROM responsibility_rules \
         WHERE type_id = $2)), $4, $5, $6, $6) RETURNING id",
        &params![workspace_id, type_id, position, kind, Json::Object(def.clone()), now],
    )
    .await?
    .i64("id")
}

pub async fn update_rule(
    tx: &mut Tx,
    rule: &RuleRecord,
    def: &serde_json::Map<String, Json>,
    position: Option<i64>,
    now: i64,
) -> Result<()> {
    let kind = def.get("responsible_type").and_then(Json::as_str).unwrap_or_default().to_string();
    tx.execute(
        "UPDATE responsibility_rules SET def = $3, responsible_type = $4, position = COALESCE($5, position), \
         updated_at = $6 WHERE workspace_id = $1 AND id = $2",
        &params![rule.workspace_id, rule.id, Json::Object(def.clone()), kind, position, now],
    )
    .await?;
    Ok(())
}

pub async fn delete_rule(tx: &mut Tx, rule: &RuleRecord) -> Result<()> {
    tx.execute(
        "DELETE FROM responsibility_rules WHERE workspace_id = $1 AND id = $2",
        &params![rule.workspace_id, rule.id],
    )
    .await?;
    Ok(())
}

/// Every live stage task's definition in the workspace (or of one type): `(id, type id, def)`.
pub async fn task_defs(tx: &mut Tx, workspace_id: i64) -> Result<Vec<(i64, i64, serde_json::Map<String, Json>)>> {
    let rows = tx
        .fetch_all(
            "SELECT k.id, f.type_id, k.def FROM stage_tasks k JOIN flow_stages s ON s.id = k.stage_id \
             JOIN flows f ON f.id = s.flow_id WHERE k.workspace_id = $1 AND k.deleted_at IS NULL",
            &params![workspace_id],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.i64("id")?, r.i64("type_id")?, r.json("def")?.as_object().cloned().unwrap_or_default())))
        .collect()
}

pub async fn set_task_def(tx: &mut Tx, id: i64, def: &serde_json::Map<String, Json>, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE stage_tasks SET def = $2, updated_at = $3 WHERE id = $1",
        &params![id, Json::Object(def.clone()), now],
    )
    .await?;
    Ok(())
}

/// Every responsibility rule's definition in the workspace: `(id, type id, def)`.
pub async fn rule_defs(tx: &mut Tx, workspace_id: i64) -> Result<Vec<(i64, i64, serde_json::Map<String, Json>)>> {
    let rows = tx
        .fetch_all("SELECT id, type_id, def FROM responsibility_rules WHERE workspace_id = $1", &params![workspace_id])
        .await?;
    rows.iter()
        .map(|r| Ok((r.i64("id")?, r.i64("type_id")?, r.json("def")?.as_object().cloned().unwrap_or_default())))
        .collect()
}

pub async fn set_rule_def(tx: &mut Tx, id: i64, def: &serde_json::Map<String, Json>, now: i64) -> Result<()> {
    let kind = def.get("responsible_type").and_then(Json::as_str).unwrap_or_default().to_string();
    tx.execute(
        "UPDATE responsibility_rules SET def = $2, responsible_type = $3, updated_at = $4 WHERE id = $1",
        &params![id, Json::Object(def.clone()), kind, now],
    )
    .await?;
    Ok(())
}

/// The conditionals of a type's live configuration, each with what holds it (`flow 3`,
/// `transition 5`, `stage task 7`, `responsibility rule 2`).
pub async fn conditionals_of_type(db: &Db, workspace_id: i64, type_id: i64) -> Result<Vec<(String, Json)>> {
    let mut out = Vec::new();
    let queries = [
        (
            "flow",
            "SELECT id, conditional AS c FROM flows WHERE workspace_id = $1 AND type_id = $2 AND deleted_at IS NULL",
        ),
        (
            "transition",
            "SELECT r.id, r.conditional AS c FROM flow_transitions r JOIN flows f ON f.id = r.flow_id \
             WHERE r.workspace_id = $1 AND f.type_id = $2 AND f.deleted_at IS NULL",
        ),
        (
            "stage task",
            "SELECT k.id, k.def AS c FROM stage_tasks k JOIN flow_stages s ON s.id = k.stage_id \
             JOIN flows f ON f.id = s.flow_id WHERE k.workspace_id = $1 AND f.type_id = $2 AND k.deleted_at IS NULL \
             AND s.deleted_at IS NULL AND f.deleted_at IS NULL",
        ),
        (
            "responsibility rule",
            "SELECT id, def AS c FROM responsibility_rules WHERE workspace_id = $1 AND type_id = $2",
        ),
    ];
    for (what, sql) in queries {
        for row in db.fetch_all(sql, &params![workspace_id, type_id]).await? {
            let value = row.json("c")?;
            // Tasks and rules keep theirs inside their definition.
            let conditional = match what {
                "stage task" | "responsibility rule" => value.get("conditional").cloned().unwrap_or(Json::Null),
                _ => value,
            };
            if !conditional.is_null() {
                out.push((format!("{what} {}", row.i64("id")?), conditional));
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowItemRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub item_id: i64,
    /// The item's reference; `None` once the item is deleted.
    pub item_reference: Option<String>,
    pub flow_id: i64,
    pub stage_id: Option<i64>,
    pub type_slug: String,
    pub status: String,
    pub run_status: String,
    pub stages_log: Json,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters of the flow items list [wire: `item`, `item.reference`, `flow`, `stage`, `run_status`].
pub const FLOW_ITEMS: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "fi.id" },
        ListField { name: "item", kind: FieldKind::Int, sql: "fi.item_id" },
        ListField { name: "item.reference", kind: FieldKind::Text, sql: "i.reference" },
        ListField { name: "flow", kind: FieldKind::Int, sql: "fi.flow_id" },
        ListField { name: "stage", kind: FieldKind::Int, sql: "fi.stage_id" },
        ListField { name: "status", kind: FieldKind::Enum(&["active", "inactive"]), sql: "fi.status" },
        ListField {
            name: "run_status",
            kind: FieldKind::Enum(&["running", "complete", "removed"]),
            sql: "fi.run_status",
        },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "fi.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "fi.updated_at" },
    ],
    search: &[],
    default_sort: ("id", false),
};

impl Record for FlowItemRecord {
    // A deleted flow's runs stay readable as history (decision 14); a deleted item's too.
    const FROM: &'static str = "flow_items fi JOIN flows f ON f.id = fi.flow_id JOIN types t ON t.id = f.type_id \
        LEFT JOIN items i ON i.id = fi.item_id";
    const COLUMNS: &'static str = "fi.id, fi.workspace_id, fi.item_id, i.reference AS item_reference, fi.flow_id, \
        fi.stage_id, t.slug AS type_slug, \
        fi.status, fi.run_status, fi.stages_log, fi.created_at, fi.updated_at";
    const SCOPE: &'static str = "fi.workspace_id";
    const ID: &'static str = "fi.id";
    const LIST: &'static ListSpec = &FLOW_ITEMS;
    const ALIVE: &'static str = "t.deleted_at IS NULL";

    fn from_row(row: &Row) -> Result<FlowItemRecord> {
        Ok(FlowItemRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            item_id: row.i64("item_id")?,
            item_reference: row.opt_text("item_reference")?,
            flow_id: row.i64("flow_id")?,
            stage_id: row.opt_i64("stage_id")?,
            type_slug: row.text("type_slug")?,
            status: row.text("status")?,
            run_status: row.text("run_status")?,
            stages_log: row.json("stages_log")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

of_type!(FlowItemRecord);
