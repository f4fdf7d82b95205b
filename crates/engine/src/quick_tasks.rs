//! Quick tasks as commands (spec/flows-and-tasks.md § Quick tasks): create, update (also
//! trash-restore), trash and permanent delete, each with its `quick_task.*` event in the same
//! transaction. The checks that need the database live here — members for `assigned_to` and
//! `collaborators`, the linked item, a `crud` task's form and item, a `form` task's relation
//! answers — beside the domain's rules (`domain::quick_tasks`), which decide what a body means.

use enspace_domain::{
    access::{decide, Action, MemberAccess},
    quick_tasks::{
        self as rules, check_choice, check_completable, check_form_result, check_meta, completion, Completion,
        Standing, PRIORITIES, STATUSES, TYPES,
    },
    time::{format_ms, now_ms, parse_instant},
    workspace::check_text,
    Detail,
};
use enspace_store::{
    events::{NewEvent, Subject},
    items::Related,
    quick_tasks::{LinkedItem, QuickTaskRecord, QuickTaskValues},
    Db, Reader, StoreError, Tx,
};
use serde_json::{json, Map, Value};

use crate::items::{Author, ItemError};

pub const NAME_MAX: usize = 500;
pub const DESCRIPTION_MAX: usize = 100_000;

#[derive(Debug)]
pub enum TaskError {
    NotFound,
    /// The permission the caller lacks.
    Forbidden(&'static str),
    Invalid(Vec<Detail>),
    Store(StoreError),
}

impl From<StoreError> for TaskError {
    fn from(e: StoreError) -> Self {
        TaskError::Store(e)
    }
}

/// An item as a body names it: its id or its reference.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKey {
    Id(i64),
    Reference(String),
}

/// A create or update body: absent keys keep (or default) their value; `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub task_type: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    /// An instant (RFC 3339), a date, or a zone-less `YYYY-MM-DDTHH:MM[:SS]` in the
    /// workspace's zone (decision 39).
    pub due_date: Option<Option<String>>,
    pub points: Option<Option<i64>>,
    /// Merged into the stored meta at the top level: present keys replace, `null` removes
    /// (decision 53); `Some(None)` empties it.
    pub meta: Option<Option<Map<String, Value>>>,
    pub assigned_to: Option<Option<i64>>,
    pub collaborators: Option<Vec<i64>>,
    pub item: Option<Option<ItemKey>>,
    pub tag_ids: Option<Vec<i64>>,
    pub notification_task: Option<bool>,
    pub archived: Option<bool>,
    /// `deleted_at: null`: take the task out of the trash.
    pub restore: bool,
}

/// Who acts, and with what powers over quick tasks.
pub struct Doer<'a> {
    pub author: Author<'a>,
    pub user_id: i64,
    pub access: &'a MemberAccess,
    /// `tasks::quick::update` / `delete` (computed by the caller from `access`).
    pub update_any: bool,
    pub delete_any: bool,
    pub viewer: bool,
}

impl Doer<'_> {
    fn standing(&self, task: &QuickTaskRecord) -> Standing {
        Standing {
            update_any: self.update_any,
            delete_any: self.delete_any,
            viewer: self.viewer,
            creator: task.creator == self.user_id,
            participant: task.values.assigned_to == Some(self.user_id)
                || task.values.collaborators.contains(&self.user_id),
        }
    }
}

/// The task as events and diffs see it: its wire keys (meta as one value).
fn wire_state(values: &QuickTaskValues, done: Completion, deleted_at: Option<i64>) -> Map<String, Value> {
    let v = values;
    let mut out = json!({
        "name": v.name, "description": v.description, "type": v.task_type, "status": v.status,
        "priority": v.priority, "due_date": v.due_date.map(format_ms), "points": v.points, "meta": v.meta,
        "assigned_to": v.assigned_to, "collaborators": v.collaborators, "item": v.item.as_ref().map(|i| i.id),
        "tag_ids": v.tag_ids, "notification_task": v.notification_task, "archived": v.archived,
        "completed_by": done.completed_by, "completed_at": done.completed_at.map(format_ms),
        "deleted_at": deleted_at.map(format_ms),
    });
    std::mem::take(out.as_object_mut().expect("an object"))
}

fn done_of(task: &QuickTaskRecord) -> Completion {
    Completion { completed_at: task.completed_at, completed_by: task.completed_by }
}

/// One `quick_task.*` event: its kind, the task (id, reference, workspace), its item, everyone
/// it named before and after the change, and what changed.
struct TaskEvent<'a> {
    kind: &'a str,
    task: (i64, &'a str, i64),
    item: Option<&'a LinkedItem>,
    people: Vec<i64>,
    changes: Map<String, Value>,
}

/// Appends the task's event: about the task, and its item's type when it has an item; read by
/// `tasks::quick::read` and by the task's people before and after (decision 66).
async fn record(tx: &mut Tx, event: TaskEvent<'_>, author: &Author<'_>, now: i64) -> Result<(), StoreError> {
    let (id, reference, workspace_id) = event.task;
    let item = event.item;
    let item_type = match item {
        Some(item) => enspace_store::types::by_id_in(tx, workspace_id, item.type_id).await?.map(|t| t.slug),
        None => None,
    };
    let new = NewEvent {
        workspace_id,
        kind: event.kind,
        subject: Subject {
            kind: "quick_task",
            id: Some(id),
            reference: Some(reference),
            type_id: item_type.as_ref().and(item.map(|i| i.type_id)),
            item_type: item_type.as_deref(),
            item_id: item.map(|i| i.id),
            item_reference: item.map(|i| i.reference.as_str()),
        },
        changes: event.changes,
        actor: author.actor(),
        source: author.source,
        now,
    };
    enspace_store::events::append_for(tx, new, Some(json!({ "people": event.people })));
    Ok(())
}

/// The values `patch` asks for over `base` (the stored task, or the defaults of a new one),
/// with every problem of the body (empty when it passed). The values are answered also when
/// the body has problems, so that whether the caller may make the change is decided first.
async fn checked(
    tx: &mut Tx,
    db: &Db,
    workspace_id: i64,
    base: &QuickTaskValues,
    patch: Patch,
    doer: &Doer<'_>,
    completing_from: Option<&str>,
) -> Result<(QuickTaskValues, Vec<Detail>), StoreError> {
    let mut details = Vec::new();
    let mut v = base.clone();
    if let Some(name) = patch.name {
        check_text(&mut details, "name", Some(&name), true, NAME_MAX);
        v.name = name.trim().to_string();
    }
    if let Some(description) = patch.description {
        check_text(&mut details, "description", description.as_deref(), false, DESCRIPTION_MAX);
        v.description = description;
    }
    if let Some(t) = patch.task_type {
        check_choice(&mut details, "type", &t, &TYPES);
        v.task_type = t;
    }
    let decided = v.task_type == "approval"
        && patch
            .meta
            .as_ref()
            .and_then(|m| m.as_ref())
            .is_some_and(|m| m.get("decision").is_some_and(|d| !d.is_null()));
    if let Some(status) = patch.status {
        check_choice(&mut details, "status", &status, &STATUSES);
        if decided && status != "completed" {
            details.push(Detail::new("status", "a decision completes an approval task: leave status out or completed"));
        }
        v.status = status;
    }
    // A decision completes the approval in the same write (decision 55).
    if decided {
        v.status = "completed".to_string();
    }
    if let Some(priority) = patch.priority {
        check_choice(&mut details, "priority", &priority, &PRIORITIES);
        v.priority = priority;
    }
    if let Some(due) = patch.due_date {
        v.due_date = match due {
            None => None,
            Some(text) => {
                let instant = match parse_instant(&text) {
                    Some(at) => Some(at),
                    None => crate::calendar::get_in(tx, workspace_id).await?.local_instant(&text),
                };
                if instant.is_none() {
                    details.push(Detail::new(
                        "due_date",
                        format!("expected a date-time (RFC 3339, or YYYY-MM-DDTHH:MM in the workspace's time zone), got {text:?}"),
                    ));
                }
                instant
            }
        };
    }
    if let Some(points) = patch.points {
        if points.is_some_and(|p| p < 0) {
            details.push(Detail::new("points", "must be a whole number of 0 or more"));
        }
        v.points = points;
    }
    if let Some(meta) = patch.meta {
        match meta {
            None => v.meta = Map::new(),
            Some(meta) => {
                for (key, value) in meta {
                    if value.is_null() {
                        v.meta.remove(&key);
                    } else {
                        v.meta.insert(key, value);
                    }
                }
            }
        }
    }
    if let Some(assigned) = patch.assigned_to {
        v.assigned_to = assigned;
    }
    if let Some(collaborators) = patch.collaborators {
        let mut unique = Vec::new();
        for c in collaborators {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        v.collaborators = unique;
    }
    if let Some(tags) = patch.tag_ids {
        v.tag_ids = tags;
    }
    if let Some(n) = patch.notification_task {
        v.notification_task = n;
    }
    if let Some(a) = patch.archived {
        v.archived = a;
    }

    // People must be members (checked when they change: a member who left stays named).
    let mut named: Vec<(String, i64)> = Vec::new();
    if v.assigned_to != base.assigned_to {
        named.extend(v.assigned_to.map(|a| ("assigned_to".to_string(), a)));
    }
    for (i, c) in v.collaborators.iter().enumerate() {
        if !base.collaborators.contains(c) {
            named.push((format!("collaborators[{i}]"), *c));
        }
    }
    let ids: Vec<i64> = named.iter().map(|(_, id)| *id).collect();
    let members: Vec<i64> = enspace_store::schedule_tasks::people(tx, workspace_id, &ids, &[])
        .await?
        .into_iter()
        .map(|person| person.user_id)
        .collect();
    for (path, id) in named.into_iter().filter(|(_, id)| !members.contains(id)) {
        details.push(Detail::new(path, format!("user {id} is not a member of this workspace")));
    }

    // The item: one of this workspace the caller may read, checked when set or changed
    // (decision 56).
    if let Some(key) = patch.item {
        v.item = match key {
            None => None,
            Some(key) => {
                let found = find_item(tx, workspace_id, &key).await?;
                let shown = match &key {
                    ItemKey::Id(id) => id.to_string(),
                    ItemKey::Reference(r) => format!("{r:?}"),
                };
                match found.filter(|item| decide(doer.access, &Action::read_type(&item.type_slug)).is_ok()) {
                    Some(item) => Some(LinkedItem { id: item.id, reference: item.reference, type_id: item.type_id }),
                    None => {
                        details.push(Detail::new("item", format!("no item {shown} you may read in this workspace")));
                        base.item.clone()
                    }
                }
            }
        };
    }

    // Meta, by type; answers checked on every write, required ones when completing.
    let completing = v.status == "completed" && completing_from != Some("completed");
    let form = check_meta(&mut details, &v.task_type, &v.meta);
    for (path, slug, _) in &form.relations {
        if enspace_store::types::get(db, workspace_id, slug).await?.is_none() {
            details.push(Detail::new(path, format!("no type {slug:?} in this workspace")));
        }
    }
    if completing {
        check_completable(&mut details, &v.task_type, &v.meta);
    }
    match v.task_type.as_str() {
        "form" if !form.fields.is_empty() => {
            let answers = v.meta.get("form_result").and_then(Value::as_object).cloned();
            if answers.is_some() || completing {
                let (mut result, problems) = check_form_result(&form.fields, &answers.unwrap_or_default(), completing);
                if details.is_empty() {
                    // Relation answers resolved as an item's are (`{id, reference}`).
                    match crate::items::resolve(tx, workspace_id, None, &doer.author, &mut result, problems).await {
                        Ok(_) if v.meta.contains_key("form_result") => {
                            v.meta.insert("form_result".into(), Value::Object(result.data));
                        }
                        Ok(_) => {}
                        Err(ItemError::Store(e)) => return Err(e),
                        Err(ItemError::Invalid(problems)) => details.extend(problems),
                        Err(ItemError::Duplicate(problem)) => details.push(problem),
                    }
                } else {
                    details.extend(problems);
                }
            }
        }
        "crud" if details.is_empty() => {
            let hash = v.meta.get("form").and_then(Value::as_str).unwrap_or_default();
            match enspace_store::quick_tasks::create_form_type(tx, workspace_id, hash).await? {
                None => details.push(Detail::new("meta.form", format!("no create form {hash:?} in this workspace"))),
                Some(type_id) => match v.meta.get("itemReference").and_then(Value::as_str) {
                    Some(reference) => {
                        let found = find_item(tx, workspace_id, &ItemKey::Reference(reference.to_string())).await?;
                        if found.is_none_or(|item| item.type_id != type_id) {
                            details.push(Detail::new(
                                "meta.itemReference",
                                format!("no item {reference:?} of the form's type in this workspace"),
                            ));
                        }
                    }
                    // "Completes only once its item exists" (spec).
                    None if completing => details.push(Detail::new(
                        "meta.itemReference",
                        "is required to complete a crud task: the reference of the item its form created",
                    )),
                    None => {}
                },
            }
        }
        _ => {}
    }
    Ok((v, details))
}

async fn find_item(tx: &mut Tx, workspace_id: i64, key: &ItemKey) -> Result<Option<Related>, StoreError> {
    let (ids, refs) = match key {
        ItemKey::Id(id) => (vec![*id], Vec::new()),
        ItemKey::Reference(r) => (Vec::new(), vec![r.clone()]),
    };
    Ok(enspace_store::items::related(&mut Reader::Tx(tx), workspace_id, &ids, &refs).await?.into_iter().next())
}

/// Creates a task: the caller is its creator; one created `completed` is completed by the
/// caller now (the product leaves both null; we do not copy that).
pub async fn create(db: &Db, workspace_id: i64, patch: Patch, doer: &Doer<'_>) -> Result<QuickTaskRecord, TaskError> {
    let now = now_ms();
    let base = QuickTaskValues {
        task_type: TYPES[0].to_string(),
        status: STATUSES[0].to_string(),
        priority: rules::DEFAULT_PRIORITY.to_string(),
        ..QuickTaskValues::default()
    };
    let mut problems = Vec::new();
    if patch.name.is_none() {
        problems.push(Detail::new("name", "is required"));
    }
    let mut tx = db.begin().await?;
    let (values, more) = checked(&mut tx, db, workspace_id, &base, patch, doer, None).await?;
    problems.extend(more);
    if !problems.is_empty() {
        return Err(TaskError::Invalid(problems));
    }
    let done = completion(None, &values.status, doer.user_id, now);
    let reference = rules::new_reference();
    let id = enspace_store::quick_tasks::insert(
        &mut tx,
        workspace_id,
        &reference,
        &values,
        doer.user_id,
        (done.completed_at, done.completed_by),
        now,
    )
    .await?;
    let changes: Map<String, Value> = wire_state(&values, done, None)
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k, json!({ "from": null, "to": v })))
        .collect();
    let mut people = vec![doer.user_id];
    people.extend(values.assigned_to);
    people.extend(&values.collaborators);
    let event = TaskEvent {
        kind: "quick_task.created",
        task: (id, &reference, workspace_id),
        item: values.item.as_ref(),
        people,
        changes,
    };
    record(&mut tx, event, &doer.author, now).await?;
    let task = enspace_store::record::get_in(&mut tx, workspace_id, id).await?.ok_or(TaskError::NotFound)?;
    crate::notifications::plan_quick_task(&mut tx, &task, now).await?;
    tx.commit().await?;
    Ok(task)
}

/// Changes a task (partial, meta merged): what the caller may change is decided on the change
/// itself, so a client sending back unchanged keys is not refused for them.
pub async fn update(
    db: &Db,
    workspace_id: i64,
    id: i64,
    patch: Patch,
    doer: &Doer<'_>,
) -> Result<QuickTaskRecord, TaskError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let task = enspace_store::quick_tasks::lock(&mut tx, workspace_id, id).await?.ok_or(TaskError::NotFound)?;
    let standing = doer.standing(&task);
    let restore = patch.restore && task.deleted_at.is_some();
    if restore {
        rules::may_remove(&standing).map_err(TaskError::Forbidden)?;
    }
    let (values, problems) =
        checked(&mut tx, db, workspace_id, &task.values, patch, doer, Some(&task.values.status)).await?;
    let before_done = done_of(&task);
    let done = completion(Some((&task.values.status, before_done)), &values.status, doer.user_id, now);
    let deleted_at = if restore { None } else { task.deleted_at };
    let before = wire_state(&task.values, before_done, task.deleted_at);
    let after = wire_state(&values, done, deleted_at);
    let changes = rules::diff(&before, &after);
    let mut content = changes.clone();
    content.remove("deleted_at");
    rules::may_change(&standing, &content).map_err(TaskError::Forbidden)?;
    if !problems.is_empty() {
        return Err(TaskError::Invalid(problems));
    }
    if changes.is_empty() {
        return Ok(task);
    }
    enspace_store::quick_tasks::update(
        &mut tx,
        &task,
        &values,
        (done.completed_at, done.completed_by),
        deleted_at,
        now,
    )
    .await?;
    let mut people = task.people();
    people.extend(values.assigned_to);
    people.extend(&values.collaborators);
    let item = values.item.as_ref().or(task.values.item.as_ref());
    let replan = ["due_date", "status", "archived", "deleted_at"].iter().any(|k| changes.contains_key(*k));
    let event =
        TaskEvent { kind: "quick_task.updated", task: (id, &task.reference, workspace_id), item, people, changes };
    record(&mut tx, event, &doer.author, now).await?;
    let task: QuickTaskRecord =
        enspace_store::record::get_in(&mut tx, workspace_id, id).await?.ok_or(TaskError::NotFound)?;
    // What decides its notifications changed: plan for the task as it is now (a job planned
    // for what it was finds it changed and sends nothing).
    if replan {
        crate::notifications::plan_quick_task(&mut tx, &task, now).await?;
    }
    tx.commit().await?;
    Ok(task)
}

/// Moves a task to the trash (`deleted_at` set; an update event), or with `permanent` removes
/// it for good (`quick_task.deleted`). Answers the task as it was last.
pub async fn delete(
    db: &Db,
    workspace_id: i64,
    id: i64,
    permanent: bool,
    doer: &Doer<'_>,
) -> Result<QuickTaskRecord, TaskError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let task = enspace_store::quick_tasks::lock(&mut tx, workspace_id, id).await?.ok_or(TaskError::NotFound)?;
    rules::may_remove(&doer.standing(&task)).map_err(TaskError::Forbidden)?;
    let before = wire_state(&task.values, done_of(&task), task.deleted_at);
    let subject = (id, task.reference.as_str(), workspace_id);
    let answer = if permanent {
        enspace_store::quick_tasks::delete(&mut tx, workspace_id, id).await?;
        let changes =
            before.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, json!({ "from": v, "to": null })));
        let item = task.values.item.as_ref();
        record(
            &mut tx,
            TaskEvent {
                kind: "quick_task.deleted",
                task: subject,
                item,
                people: task.people(),
                changes: changes.collect(),
            },
            &doer.author,
            now,
        )
        .await?;
        task
    } else if task.deleted_at.is_some() {
        // Already in the trash: nothing changes.
        return Ok(task);
    } else {
        enspace_store::quick_tasks::update(
            &mut tx,
            &task,
            &task.values,
            (task.completed_at, task.completed_by),
            Some(now),
            now,
        )
        .await?;
        let changes = rules::diff(&before, &wire_state(&task.values, done_of(&task), Some(now)));
        let item = task.values.item.as_ref();
        record(
            &mut tx,
            TaskEvent { kind: "quick_task.updated", task: subject, item, people: task.people(), changes },
            &doer.author,
            now,
        )
        .await?;
        enspace_store::record::get_in(&mut tx, workspace_id, id).await?.ok_or(TaskError::NotFound)?
    };
    tx.commit().await?;
    Ok(answer)
}
