//! Flow configuration as commands: flows, stages and transitions, each write with its event
//! (`flow.*`, `stage.*`, `transition.*`, decision 70) in one transaction. The rules that need
//! the database — a flow's first stage is its start, one start per flow, nothing running where
//! a stage is switched off or deleted — live here; value checks are the handler's
//! (`domain::flows`).

use enspace_domain::time::now_ms;
use enspace_store::{
    events::Subject,
    flows::{
        FlowRecord, FlowValues, RuleRecord, StageRecord, StageTaskRecord, StageValues, TransitionRecord,
        TransitionValues,
    },
    types::TypeRecord,
    Db, StoreError, Tx,
};
use serde_json::{json, Map, Value};

use crate::{
    items::Author,
    structure::{record_definition, DefinitionChange},
};

#[derive(Debug)]
pub enum FlowError {
    /// Flow items run where the change would strand them: how many.
    Running(i64),
    /// Instances of a stage task are open: how many.
    OpenTasks(i64),
    Store(StoreError),
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        FlowError::Store(e)
    }
}

fn subject<'a>(kind: &'a str, id: i64, type_id: i64, slug: &'a str) -> Subject<'a> {
    Subject {
        kind,
        id: Some(id),
        reference: None,
        type_id: Some(type_id),
        item_type: Some(slug),
        item_id: None,
        item_reference: None,
    }
}

/// The type a configuration record belongs to: who may read its events.
struct Of<'a> {
    workspace_id: i64,
    type_id: i64,
    slug: &'a str,
}

impl<'a> Of<'a> {
    fn flow(flow: &'a FlowRecord) -> Of<'a> {
        Of { workspace_id: flow.workspace_id, type_id: flow.type_id, slug: &flow.type_slug }
    }
}

/// Appends a configuration event about `id`, the resource its `kind` names (`stage` of
/// `stage.created`), with what differs between `before` and `after`.
async fn record_config(
    tx: &mut Tx,
    kind: &str,
    id: i64,
    of: &Of<'_>,
    (before, after): (Map<String, Value>, Map<String, Value>),
    author: &Author<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let resource = kind.split_once('.').map_or(kind, |(resource, _)| resource);
    let change = DefinitionChange { kind, subject: subject(resource, id, of.type_id, of.slug), before, after };
    record_definition(tx, of.workspace_id, change, author, now).await
}

fn map(value: Value) -> Map<String, Value> {
    let mut out = value.as_object().cloned().unwrap_or_default();
    out.retain(|_, v| !v.is_null());
    out
}

fn flow_state(v: &FlowValues<'_>) -> Map<String, Value> {
    map(json!({ "name": v.name, "status": v.status, "start_type": v.start_type, "conditional": v.conditional,
        "icon": v.icon }))
}

fn stage_state(v: &StageValues<'_>) -> Map<String, Value> {
    map(json!({ "name": v.name, "status": v.status, "progress_type": v.progress_type, "is_start": v.is_start,
        "hex_color": v.hex_color, "icon": v.icon }))
}

fn transition_state(v: &TransitionValues<'_>, position: Option<i64>) -> Map<String, Value> {
    map(json!({ "from": v.from_stage, "to": v.to_stage, "name": v.name, "conditional": v.conditional,
        "order": position }))
}

fn flow_values(flow: &FlowRecord) -> FlowValues<'_> {
    FlowValues {
        name: &flow.name,
        status: &flow.status,
        start_type: &flow.start_type,
        conditional: flow.conditional.as_ref(),
        icon: flow.icon.as_deref(),
    }
}

fn stage_values(stage: &StageRecord) -> StageValues<'_> {
    StageValues {
        name: &stage.name,
        status: &stage.status,
        progress_type: &stage.progress_type,
        is_start: stage.is_start,
        hex_color: stage.hex_color.as_deref(),
        icon: stage.icon.as_deref(),
    }
}

pub async fn create_flow(
    db: &Db,
    record: &TypeRecord,
    values: &FlowValues<'_>,
    author: &Author<'_>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id =
        enspace_store::flows::insert_flow(&mut tx, record.workspace_id, record.id, values, author.user_id, now).await?;
    let of = Of { workspace_id: record.workspace_id, type_id: record.id, slug: &record.slug };
    record_config(&mut tx, "flow.created", id, &of, (Map::new(), flow_state(values)), author, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a flow. Switching it off starts no new flow items; running ones carry on
/// (decision 13).
pub async fn update_flow(
    db: &Db,
    flow: &FlowRecord,
    values: &FlowValues<'_>,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::flows::update_flow(&mut tx, flow, values, now).await?;
    let changes = (flow_state(&flow_values(flow)), flow_state(values));
    record_config(&mut tx, "flow.updated", flow.id, &Of::flow(flow), changes, author, now).await?;
    tx.commit().await
}

/// Deletes a flow (tombstoned: its runs keep their history). While flow items run it is a
/// [`FlowError::Running`] unless `force`, which first marks them `removed` (decision 14).
pub async fn delete_flow(db: &Db, flow: &FlowRecord, force: bool, author: &Author<'_>) -> Result<(), FlowError> {
    let mut tx = db.begin().await?;
    // Counted in the delete's transaction, so that no run can start in between.
    let running = enspace_store::flows::running_in_flow(&mut tx, flow.workspace_id, flow.id).await?;
    if running > 0 && !force {
        return Err(FlowError::Running(running));
    }
    let now = now_ms();
    let changes = (flow_state(&flow_values(flow)), Map::new());
    record_config(&mut tx, "flow.deleted", flow.id, &Of::flow(flow), changes, author, now).await?;
    // Each running flow item's removal, and its open tasks', is its own event (bounded by what
    // runs, decision 71).
    crate::flow_run::remove_with_flow(&mut tx, flow, author, now).await?;
    enspace_store::flows::delete_flow(&mut tx, flow, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a stage. The flow's first stage is its start whatever was asked; a new start takes
/// the place of the old one (decision 15).
pub async fn create_stage(
    db: &Db,
    flow: &FlowRecord,
    values: &StageValues<'_>,
    author: &Author<'_>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let first = enspace_store::flows::stages_of(db, flow.workspace_id, flow.id).await?.is_empty();
    let values = StageValues { is_start: values.is_start || first, ..*values };
    let mut tx = db.begin().await?;
    if values.is_start {
        enspace_store::flows::clear_start(&mut tx, flow.workspace_id, flow.id).await?;
    }
    let id =
        enspace_store::flows::insert_stage(&mut tx, flow.workspace_id, flow.id, &values, author.user_id, now).await?;
    record_config(&mut tx, "stage.created", id, &Of::flow(flow), (Map::new(), stage_state(&values)), author, now)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a stage; switching it off is refused while flow items are in it (decision 16).
pub async fn update_stage(
    db: &Db,
    flow: &FlowRecord,
    stage: &StageRecord,
    values: &StageValues<'_>,
    author: &Author<'_>,
) -> Result<(), FlowError> {
    let mut tx = db.begin().await?;
    if stage.status == "active" && values.status == "inactive" {
        let running = enspace_store::flows::running_in_stage(&mut tx, stage).await?;
        if running > 0 {
            return Err(FlowError::Running(running));
        }
    }
    let now = now_ms();
    if values.is_start && !stage.is_start {
        enspace_store::flows::clear_start(&mut tx, stage.workspace_id, stage.flow_id).await?;
    }
    enspace_store::flows::update_stage(&mut tx, stage, values, now).await?;
    let (before, after) = (stage_state(&stage_values(stage)), stage_state(values));
    record_config(&mut tx, "stage.updated", stage.id, &Of::flow(flow), (before, after), author, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a stage and its transitions; refused while flow items are in it.
pub async fn delete_stage(
    db: &Db,
    flow: &FlowRecord,
    stage: &StageRecord,
    author: &Author<'_>,
) -> Result<(), FlowError> {
    let mut tx = db.begin().await?;
    let running = enspace_store::flows::running_in_stage(&mut tx, stage).await?;
    if running > 0 {
        return Err(FlowError::Running(running));
    }
    let now = now_ms();
    enspace_store::flows::delete_stage(&mut tx, stage, now).await?;
    let before = stage_state(&stage_values(stage));
    record_config(&mut tx, "stage.deleted", stage.id, &Of::flow(flow), (before, Map::new()), author, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_transition(
    db: &Db,
    flow: &FlowRecord,
    values: &TransitionValues<'_>,
    author: &Author<'_>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id = enspace_store::flows::insert_transition(&mut tx, flow.workspace_id, flow.id, values, now).await?;
    let after = transition_state(values, values.position);
    record_config(&mut tx, "transition.created", id, &Of::flow(flow), (Map::new(), after), author, now).await?;
    tx.commit().await?;
    Ok(id)
}

fn transition_values(t: &TransitionRecord) -> TransitionValues<'_> {
    TransitionValues {
        from_stage: t.from_stage,
        to_stage: t.to_stage,
        name: &t.name,
        conditional: t.conditional.as_ref(),
        position: Some(t.position),
    }
}

pub async fn update_transition(
    db: &Db,
    flow: &FlowRecord,
    transition: &TransitionRecord,
    values: &TransitionValues<'_>,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::flows::update_transition(&mut tx, transition, values, now).await?;
    let before = transition_state(&transition_values(transition), Some(transition.position));
    let after = transition_state(values, values.position.or(Some(transition.position)));
    record_config(&mut tx, "transition.updated", transition.id, &Of::flow(flow), (before, after), author, now).await?;
    tx.commit().await
}

pub async fn delete_transition(
    db: &Db,
    flow: &FlowRecord,
    transition: &TransitionRecord,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::flows::delete_transition(&mut tx, transition).await?;
    let before = transition_state(&transition_values(transition), Some(transition.position));
    record_config(&mut tx, "transition.deleted", transition.id, &Of::flow(flow), (before, Map::new()), author, now)
        .await?;
    tx.commit().await
}

fn task_state(def: &Map<String, Value>, position: Option<i64>) -> Map<String, Value> {
    let mut out = def.clone();
    if let Some(position) = position {
        out.insert("order".into(), json!(position));
    }
    out.retain(|_, v| !v.is_null());
    out
}

/// Adds a task to a stage (after its last unless `position`); answers its id.
pub async fn create_stage_task(
    db: &Db,
    flow: &FlowRecord,
    stage: &StageRecord,
    def: &Map<String, Value>,
    position: Option<i64>,
    author: &Author<'_>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id = enspace_store::flows::insert_stage_task(&mut tx, stage, def, position, author.user_id, now).await?;
    let after = task_state(def, position);
    record_config(&mut tx, "stage_task.created", id, &Of::flow(flow), (Map::new(), after), author, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a stage task. Open instances read its action, fields, assignment, email and
/// notification live; their responsibles and due dates stay as they were resolved (decision 22).
pub async fn update_stage_task(
    db: &Db,
    flow: &FlowRecord,
    task: &StageTaskRecord,
    def: &Map<String, Value>,
    position: Option<i64>,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::flows::update_stage_task(&mut tx, task, def, position, now).await?;
    let before = task_state(&task.def, Some(task.position));
    let after = task_state(def, Some(position.unwrap_or(task.position)));
    record_config(&mut tx, "stage_task.updated", task.id, &Of::flow(flow), (before, after), author, now).await?;
    tx.commit().await
}

/// Deletes a stage task (tombstoned: completed instances keep it). While instances of it are
/// open it is a [`FlowError::OpenTasks`] unless `force`, which removes them first — their
/// visits ending by themselves when nothing else is open (decision 23).
pub async fn delete_stage_task(
    db: &Db,
    flow: &FlowRecord,
    task: &StageTaskRecord,
    force: bool,
    author: &Author<'_>,
) -> Result<(), FlowError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let open = enspace_store::schedule_tasks::open_of_task(&mut tx, task).await?.len();
    if open > 0 && !force {
        return Err(FlowError::OpenTasks(open as i64));
    }
    enspace_store::flows::delete_stage_task(&mut tx, task, now).await?;
    let before = task_state(&task.def, Some(task.position));
    record_config(&mut tx, "stage_task.deleted", task.id, &Of::flow(flow), (before, Map::new()), author, now).await?;
    crate::flow_run::remove_instances(&mut tx, task, author, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a responsibility rule to a type (after its last unless `position`); answers its id.
pub async fn create_rule(
    db: &Db,
    record: &TypeRecord,
    def: &Map<String, Value>,
    position: Option<i64>,
    author: &Author<'_>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id = enspace_store::flows::insert_rule(&mut tx, record.workspace_id, record.id, def, position, now).await?;
    let after = task_state(def, position);
    let of = Of { workspace_id: record.workspace_id, type_id: record.id, slug: &record.slug };
    record_config(&mut tx, "responsibility_rule.created", id, &of, (Map::new(), after), author, now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_rule(
    db: &Db,
    rule: &RuleRecord,
    def: &Map<String, Value>,
    position: Option<i64>,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::flows::update_rule(&mut tx, rule, def, position, now).await?;
    let before = task_state(&rule.def, Some(rule.position));
    let after = task_state(def, Some(position.unwrap_or(rule.position)));
    let of = Of { workspace_id: rule.workspace_id, type_id: rule.type_id, slug: &rule.type_slug };
    record_config(&mut tx, "responsibility_rule.updated", rule.id, &of, (before, after), author, now).await?;
    tx.commit().await
}

pub async fn delete_rule(db: &Db, rule: &RuleRecord, author: &Author<'_>) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::flows::delete_rule(&mut tx, rule).await?;
    let before = task_state(&rule.def, Some(rule.position));
    let of = Of { workspace_id: rule.workspace_id, type_id: rule.type_id, slug: &rule.type_slug };
    record_config(&mut tx, "responsibility_rule.deleted", rule.id, &of, (before, Map::new()), author, now).await?;
    tx.commit().await
}

/// What in a type's flow configuration tests the field `ref_id` in a conditional: a field
/// delete is refused while any does, since dropping the key would widen the condition
/// (decision 9).
pub async fn conditionals_using(
    db: &Db,
    workspace_id: i64,
    record: &TypeRecord,
    ref_id: &str,
) -> Result<Vec<String>, StoreError> {
    let fields = enspace_store::fields::of_type(db, workspace_id, record.id).await?;
    let columns = enspace_domain::item_columns::TypeColumns::new(fields.iter().map(|f| &f.def));
    let (exact, nested) = (format!("data.{ref_id}"), format!("data.{ref_id}."));
    fn uses(condition: &enspace_domain::conditions::Condition, exact: &str, nested: &str) -> bool {
        condition.filters.iter().any(|f| f.field == exact || f.field.starts_with(nested))
            || condition.any_of.iter().any(|c| uses(c, exact, nested))
    }
    let mut out = Vec::new();
    for (what, conditional) in enspace_store::flows::conditionals_of_type(db, workspace_id, record.id).await? {
        let parsed = enspace_domain::conditions::parse(&conditional, &columns);
        if parsed.is_ok_and(|c| uses(&c, &exact, &nested)) {
            out.push(what);
        }
    }
    Ok(out)
}

/// A field is gone: it leaves the tasks' `fields`, and `sla_field`/`responsible_field` naming it
/// become null, in the delete's transaction (decision 9).
pub async fn forget_field(
    tx: &mut Tx,
    workspace_id: i64,
    type_id: i64,
    ref_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    for (id, of_type, mut def) in enspace_store::flows::task_defs(tx, workspace_id).await? {
        if of_type != type_id {
            continue;
        }
        let before = def.clone();
        if let Some(Value::Array(fields)) = def.get_mut("fields") {
            fields.retain(|f| f.get("refId").and_then(Value::as_str) != Some(ref_id));
        }
        for key in ["sla_field", "responsible_field"] {
            if def.get(key).and_then(Value::as_str) == Some(ref_id) {
                def.insert(key.into(), Value::Null);
            }
        }
        if def != before {
            enspace_store::flows::set_task_def(tx, id, &def, now).await?;
        }
    }
    for (id, of_type, mut def) in enspace_store::flows::rule_defs(tx, workspace_id).await? {
        if of_type == type_id && def.get("responsible_field").and_then(Value::as_str) == Some(ref_id) {
            def.insert("responsible_field".into(), Value::Null);
            enspace_store::flows::set_rule_def(tx, id, &def, now).await?;
        }
    }
    Ok(())
}

/// A group is gone: its id leaves the tasks' and rules' `module_groups` (decision 9).
pub async fn forget_group(tx: &mut Tx, workspace_id: i64, group_id: i64, now: i64) -> Result<(), StoreError> {
    let strip = |def: &mut Map<String, Value>| -> bool {
        match def.get_mut("module_groups") {
            Some(Value::Array(groups)) => {
                let before = groups.len();
                groups.retain(|g| g.as_i64() != Some(group_id));
                groups.len() != before
            }
            _ => false,
        }
    };
    for (id, _, mut def) in enspace_store::flows::task_defs(tx, workspace_id).await? {
        if strip(&mut def) {
            enspace_store::flows::set_task_def(tx, id, &def, now).await?;
        }
    }
    for (id, _, mut def) in enspace_store::flows::rule_defs(tx, workspace_id).await? {
        if strip(&mut def) {
            enspace_store::flows::set_rule_def(tx, id, &def, now).await?;
        }
    }
    Ok(())
}
