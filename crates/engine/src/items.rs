//! The item write path: check the body (domain), resolve relations and attachments, build
//! codes, write the item and its history in one transaction (store).
//!
//! Handlers call these; nothing here knows HTTP. A unique field's conflict is reported by the
//! database's unique index, so two concurrent creates can never both win.

use std::collections::HashMap;

use enspace_domain::{
    catalogue::Shape,
    code::CodeTemplate,
    fields::FieldDef,
    items::{changes, new_reference},
    time::now_ms,
    values::{check_data, each_value, each_value_mut, file_fits, CheckedData, Mode, RelKey},
    Detail,
};
use enspace_store::{
    events::{Actor, NewEvent, Subject},
    fields::FieldRecord,
    items::{self, ItemRecord, NewItem, Related},
    types::TypeRecord,
    Db, Reader, StoreError, Tx,
};
use serde_json::{json, Map, Value};

#[derive(Debug)]
pub enum ItemError {
    /// The body is wrong: every problem, each with its path.
    Invalid(Vec<Detail>),
    /// A unique field's value is taken.
    Duplicate(Detail),
    Store(StoreError),
}

impl From<StoreError> for ItemError {
    fn from(e: StoreError) -> Self {
        ItemError::Store(e)
    }
}

type Result<T> = std::result::Result<T, ItemError>;

/// What happened to an item: its event's kind (its history line is named from the kind, see
/// `domain::events::history_action`).
#[derive(Debug, Clone, Copy)]
enum Change {
    Created,
    Updated,
    Deleted,
}

impl Change {
    fn kind(self) -> &'static str {
        match self {
            Change::Created => "item.created",
            Change::Updated => "item.updated",
            Change::Deleted => "item.deleted",
        }
    }
}

/// Who writes, and through what.
#[derive(Debug, Clone)]
pub struct Author<'a> {
    pub user_id: Option<i64>,
    /// The writer's email (a public form's filler is known by nothing else).
    pub email: Option<&'a str>,
    /// The API key's reference, when the writer used one.
    pub key: Option<&'a str>,
    /// `api`, `form`, `flow`, `integration` or `system`.
    pub source: &'a str,
}

impl Author<'_> {
    /// The writer as events name it.
    pub fn actor(&self) -> Actor<'_> {
        Actor { user_id: self.user_id, email: self.email, key: self.key }
    }
}

/// Records an item change: its event, which is also its line in the item's history (one
/// record of each change), in the change's transaction.
async fn record_change(
    tx: &mut Tx,
    record: &TypeRecord,
    item: &ItemRecord,
    author: &Author<'_>,
    what: Change,
    changes: Map<String, Value>,
    now: i64,
) -> std::result::Result<(), StoreError> {
    enspace_store::events::append(tx, item_event(record, Some(item.id), &item.reference, author, what, changes, now));
    Ok(())
}

/// The event of a change to an item (its id unknown until a create's insert).
fn item_event<'a>(
    record: &'a TypeRecord,
    id: Option<i64>,
    reference: &'a str,
    author: &'a Author<'_>,
    what: Change,
    changes: Map<String, Value>,
    now: i64,
) -> NewEvent<'a> {
    NewEvent {
        workspace_id: record.workspace_id,
        kind: what.kind(),
        subject: Subject {
            kind: "item",
            id,
            reference: Some(reference),
            type_id: Some(record.id),
            item_type: Some(&record.slug),
            item_id: id,
            item_reference: None,
        },
        changes,
        actor: author.actor(),
        source: author.source,
        now,
    }
}

/// What a create asks for, beside `data`.
#[derive(Debug, Clone)]
pub struct CreateRequest<'a> {
    pub data: &'a Map<String, Value>,
    pub status: &'a str,
    pub is_draft: bool,
    pub form: String,
    pub request_email: Option<&'a str>,
    /// refIds a form marks required.
    pub form_required: &'a [String],
    /// Problems the caller found in the rest of the body (a status, a form): answered together
    /// with the data's own, so that one answer names every problem.
    pub problems: Vec<Detail>,
    /// Whether the type may start flows: `false` only when the caller knows it has no
    /// startable flow (the structure cache's `starts_flows`), which saves the read of its plan.
    pub starts_flows: bool,
}

pub struct UpdateRequest<'a> {
    pub data: Option<&'a Map<String, Value>>,
    /// Values the server itself made for fields only it writes (a signed document's `EnESign`
    /// value): never from a client's body. They join the stored data as they are, like codes.
    pub server_values: Option<&'a Map<String, Value>>,
    pub status: Option<&'a str>,
    pub is_draft: Option<bool>,
    /// As in [`CreateRequest::problems`].
    pub problems: Vec<Detail>,
}

fn defs(fields: &[FieldRecord]) -> Vec<FieldDef> {
    fields.iter().map(|f| f.def.clone()).collect()
}

/// `data` without values of fields the type no longer has (a deleted field's values leave the
/// items in the background, `purge`): never shown, never written back.
fn current_fields_only(data: &Map<String, Value>, fields: &[FieldRecord]) -> Map<String, Value> {
    data.iter()
        .filter(|(key, _)| fields.iter().any(|f| &f.def.ref_id == *key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The caller's problems, then the data's at paths the caller did not already name (a public
/// form's key outside the form is not also reported as outside the type).
fn merged(problems: &[Detail], shape: Vec<Detail>) -> Vec<Detail> {
    let mut out = problems.to_vec();
    out.extend(shape.into_iter().filter(|d| !problems.iter().any(|p| p.path == d.path)));
    out
}

/// Resolves relations (items of the named type in this workspace) and attachments (files
/// uploaded to this workspace by the author, or already attached to this item) in place. A
/// file someone else uploaded and has not attached yet is theirs alone: naming it is refused
/// as if it did not exist, so that attaching cannot be used to read another's upload.
/// Problems join `details` (the body's other problems), so one answer names them all.
pub(crate) async fn resolve(
    tx: &mut Tx,
    workspace_id: i64,
    item_id: Option<i64>,
    author: &Author<'_>,
    checked: &mut CheckedData,
    mut details: Vec<Detail>,
) -> Result<Resolved> {
    let ids: Vec<i64> =
        checked.rels.iter().filter_map(|r| if let RelKey::Id(id) = r.key { Some(id) } else { None }).collect();
    let refs: Vec<String> = checked
        .rels
        .iter()
        .filter_map(|r| if let RelKey::Reference(s) = &r.key { Some(s.clone()) } else { None })
        .collect();
    let found = items::related(&mut Reader::Tx(tx), workspace_id, &ids, &refs).await?;
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    for rel in checked.rels.clone() {
        let hit = found.iter().find(|r| {
            r.type_slug == rel.collection
                && match &rel.key {
                    RelKey::Id(id) => r.id == *id,
                    RelKey::Reference(s) => &r.reference == s,
                }
        });
        let shown = match &rel.key {
            RelKey::Id(id) => id.to_string(),
            RelKey::Reference(s) => format!("{s:?}"),
        };
        match hit {
            None => details.push(Detail::new(&rel.path, format!("no item {shown} in {}", rel.collection))),
            Some(r) => {
                // No item twice in one multi-relation (its pointer's parent is the list).
                let parent = rel.pointer.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default();
                let list = seen.entry(parent).or_default();
                if rel.pointer.rsplit('/').next().is_some_and(|i| i.parse::<usize>().is_ok()) && list.contains(&r.id) {
                    details.push(Detail::new(&rel.path, format!("item {shown} is listed twice")));
                }
                list.push(r.id);
                checked.set(&rel.pointer, json!({ "id": r.id, "reference": r.reference }));
            }
        }
    }
    let mut attach = Vec::new();
    for file in checked.files.clone() {
        let record = enspace_store::files::get(&mut Reader::Tx(tx), workspace_id, file.id).await?;
        let record = record.filter(|f| f.item_id.is_some() || (f.user_id.is_some() && f.user_id == author.user_id));
        match record {
            None => details.push(Detail::new(&file.path, format!("no uploaded file {} in this workspace", file.id))),
            Some(f) if f.item_id.is_some() && f.item_id != item_id => {
                details.push(Detail::new(&file.path, format!("file {} is attached to another item", file.id)))
            }
            Some(f) => {
                if let Err(message) = file_fits(&file, &f.mime) {
                    details.push(Detail::new(&file.path, message));
                } else if file.max_size.is_some_and(|max| f.size as f64 > max) {
                    details.push(Detail::new(
                        &file.path,
                        format!(
                            "is {} bytes, over the field's limit of {} bytes",
                            f.size,
                            file.max_size.unwrap_or_default()
                        ),
                    ));
                }
                checked.set(&file.pointer, f.value());
                attach.push(f.id);
            }
        }
    }
    if details.is_empty() {
        Ok(Resolved { attach, related: found })
    } else {
        Err(ItemError::Invalid(details))
    }
}

/// What [`resolve`] found: the files to attach, and the related items (which also display the
/// relations in the answer, so it reads them only once).
pub(crate) struct Resolved {
    pub attach: Vec<i64>,
    pub related: Vec<items::Related>,
}

fn duplicate(error: StoreError, fields: &[FieldRecord], data: &Map<String, Value>) -> ItemError {
    if let StoreError::UniqueField(id) = &error {
        if let Some(field) = fields.iter().find(|f| f.id == *id) {
            let value = data.get(&field.def.ref_id).cloned().unwrap_or(Value::Null);
            return ItemError::Duplicate(Detail::new(
                format!("data.{}", field.def.ref_id),
                format!("{value} is already used by another item (the field is unique)"),
            ));
        }
    }
    ItemError::Store(error)
}

/// Writes server-built codes into `data`, taking each counter's next number in `tx`.
async fn build_codes(
    tx: &mut Tx,
    type_id: i64,
    fields: &[FieldRecord],
    data: &mut Map<String, Value>,
    now: i64,
) -> Result<()> {
    for field in fields.iter().filter(|f| f.def.shape() == Shape::Code) {
        let Ok(template) = CodeTemplate::parse(field.def.config.get("components")) else { continue };
        let counter = match template.counter_start() {
            Some(start) => Some(items::next_counter(tx, type_id, &field.def.ref_id, start).await?),
            None => None,
        };
        let code = template.render(now, data, counter);
        data.insert(field.def.ref_id.clone(), Value::String(code));
    }
    Ok(())
}

/// Creates one item inside `tx` (the caller commits; bulk runs several in one transaction).
pub async fn create_in(
    tx: &mut Tx,
    record: &TypeRecord,
    fields: &[FieldRecord],
    request: &CreateRequest<'_>,
    author: &Author<'_>,
) -> Result<ItemRecord> {
    Ok(create_resolved(tx, record, fields, request, author, false).await?.item)
}

/// An item as its create wrote it, with the items its relations name.
pub struct Created {
    pub item: ItemRecord,
    /// The related items the create resolved: [`present_with`] shows its relations from them.
    pub related: Vec<items::Related>,
}

/// `alone`: the create is its transaction's only command (nothing follows it but the commit).
async fn create_resolved(
    tx: &mut Tx,
    record: &TypeRecord,
    fields: &[FieldRecord],
    request: &CreateRequest<'_>,
    author: &Author<'_>,
    alone: bool,
) -> Result<Created> {
    let defs = defs(fields);
    let (mut checked, shape) =
        check_data(&defs, request.data, &Map::new(), Mode::Create, request.is_draft, request.form_required);
    let details = merged(&request.problems, shape);
    let Resolved { attach, related } = resolve(tx, record.workspace_id, None, author, &mut checked, details).await?;
    let now = now_ms();
    let mut data = checked.data;
    build_codes(tx, record.id, fields, &mut data, now).await?;
    let reference = new_reference(&record.prefix, now);
    let mut change = changes(&Map::new(), &data);
    for (key, value) in [("status", json!(request.status)), ("isDraft", json!(request.is_draft))] {
        change.insert(key.into(), json!({ "from": null, "to": value }));
    }
    let starts_flows = !request.is_draft && request.starts_flows;
    let new = NewItem {
        workspace_id: record.workspace_id,
        type_id: record.id,
        reference: &reference,
        status: request.status,
        is_draft: request.is_draft,
        form: &request.form,
        request_email: request.request_email,
        user_id: author.user_id,
        data: &data,
        now,
    };
    // The subject's ids are the new item's, filled in by the insert.
    let created = item_event(record, None, &reference, author, Change::Created, change, now);
    let last = alone && attach.is_empty() && !starts_flows;
    let item = items::insert_created(tx, new, created, last).await.map_err(|e| duplicate(e, fields, &data))?;
    enspace_store::files::attach(tx, record.workspace_id, record.id, item.id, &attach).await?;
    // No item is answered without its flow items and their first tasks (step 1).
    if starts_flows {
        crate::flow_run::start(tx, record, fields, &item, author, now).await?;
    }
    Ok(Created { item, related })
}

pub async fn create(
    db: &Db,
    record: &TypeRecord,
    fields: &[FieldRecord],
    request: &CreateRequest<'_>,
    author: &Author<'_>,
) -> Result<Created> {
    // Grouped: concurrent creates share one commit (one disk sync) on SQLite.
    let mut batch = db.grouped().await?;
    let result = create_resolved(batch.tx(), record, fields, request, author, true).await;
    batch.finish(result).await
}

/// A partial update as one command; `None` when the item does not exist.
pub async fn update(
    db: &Db,
    record: &TypeRecord,
    fields: &[FieldRecord],
    reference: &str,
    request: &UpdateRequest<'_>,
    author: &Author<'_>,
) -> Result<Option<ItemRecord>> {
    let mut batch = db.grouped().await?;
    let result = update_in(batch.tx(), record, fields, reference, request, author).await;
    batch.finish(result).await
}

/// Deletes an item as one command, then its files' bytes; `None` when it does not exist.
pub async fn delete(
    db: &Db,
    files: &crate::files::FileStore,
    record: &TypeRecord,
    reference: &str,
    author: &Author<'_>,
) -> Result<Option<ItemRecord>> {
    let mut batch = db.grouped().await?;
    let result = delete_in(batch.tx(), record, reference, author).await;
    let Some((item, keys)) = batch.finish(result).await? else { return Ok(None) };
    files.remove_all(&keys).await;
    Ok(Some(item))
}

/// One operation of a bulk request: ready to run, or refused by the caller's own checks (its
/// problems, paths relative to the operation).
pub enum BulkOp<T> {
    Ready(T),
    Refused(Vec<Detail>),
}

/// A bulk request's operations, in the order given.
pub struct Bulk<'a> {
    pub create: Vec<BulkOp<CreateRequest<'a>>>,
    pub update: Vec<(&'a str, UpdateRequest<'a>)>,
    pub delete: Vec<&'a str>,
}

/// What a bulk request did, per kind, in the order given.
pub struct BulkDone {
    pub created: Vec<ItemRecord>,
    pub updated: Vec<ItemRecord>,
    pub deleted: Vec<ItemRecord>,
}

pub enum BulkError {
    /// Every problem, with its operation's path (`create[3].data.valor`).
    Invalid(Vec<Detail>),
    /// A unique value is taken (the last detail), beside the other problems: nothing changed.
    Conflict(Vec<Detail>),
    Store(StoreError),
}

impl From<StoreError> for BulkError {
    fn from(e: StoreError) -> Self {
        BulkError::Store(e)
    }
}

fn prefixed(prefix: &str, details: Vec<Detail>) -> impl Iterator<Item = Detail> + '_ {
    details.into_iter().map(move |d| Detail::new(format!("{prefix}.{}", d.path), d.message))
}

/// Runs a bulk request in one transaction: every operation applies, or none does. Every
/// operation is checked so that all problems are reported; after a database-level refusal (a
/// unique value) the transaction is spent and the remaining writes are skipped.
pub async fn bulk(
    db: &Db,
    files: &crate::files::FileStore,
    record: &TypeRecord,
    fields: &[FieldRecord],
    request: Bulk<'_>,
    author: &Author<'_>,
) -> std::result::Result<BulkDone, BulkError> {
    let mut details = Vec::new();
    let mut conflict = None;
    let mut done = BulkDone { created: Vec::new(), updated: Vec::new(), deleted: Vec::new() };
    let mut keys = Vec::new();
    let mut tx = db.begin().await?;
    for (i, op) in request.create.into_iter().enumerate() {
        let path = format!("create[{i}]");
        let op = match op {
            BulkOp::Ready(op) if conflict.is_none() => op,
            BulkOp::Ready(op) => {
                details.extend(prefixed(&path, op.problems));
                continue;
            }
            BulkOp::Refused(problems) => {
                details.extend(prefixed(&path, problems));
                continue;
            }
        };
        match create_in(&mut tx, record, fields, &op, author).await {
            Ok(item) => done.created.push(item),
            Err(ItemError::Invalid(problems)) => details.extend(prefixed(&path, problems)),
            Err(ItemError::Duplicate(d)) => conflict = Some(Detail::new(format!("{path}.{}", d.path), d.message)),
            Err(ItemError::Store(e)) => return Err(e.into()),
        }
    }
    for (i, (reference, op)) in request.update.into_iter().enumerate() {
        let path = format!("update[{i}]");
        if conflict.is_some() {
            details.extend(prefixed(&path, op.problems));
            continue;
        }
        match update_in(&mut tx, record, fields, reference, &op, author).await {
            Ok(Some(item)) => done.updated.push(item),
            Ok(None) => details
                .push(Detail::new(format!("{path}.reference"), format!("no item {reference:?} in {}", record.slug))),
            Err(ItemError::Invalid(problems)) => details.extend(prefixed(&path, problems)),
            Err(ItemError::Duplicate(d)) => conflict = Some(Detail::new(format!("{path}.{}", d.path), d.message)),
            Err(ItemError::Store(e)) => return Err(e.into()),
        }
    }
    for (i, reference) in request.delete.into_iter().enumerate() {
        if conflict.is_some() {
            break;
        }
        match delete_in(&mut tx, record, reference, author).await {
            Ok(Some((item, k))) => {
                done.deleted.push(item);
                keys.extend(k);
            }
            Ok(None) => {
                details.push(Detail::new(format!("delete[{i}]"), format!("no item {reference:?} in {}", record.slug)))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(conflict) = conflict {
        details.push(conflict);
        return Err(BulkError::Conflict(details));
    }
    if !details.is_empty() {
        return Err(BulkError::Invalid(details));
    }
    tx.commit().await?;
    files.remove_all(&keys).await;
    Ok(done)
}

/// A partial update inside `tx`; `None` when the item does not exist.
pub async fn update_in(
    tx: &mut Tx,
    record: &TypeRecord,
    fields: &[FieldRecord],
    reference: &str,
    request: &UpdateRequest<'_>,
    author: &Author<'_>,
) -> Result<Option<ItemRecord>> {
    let Some(item) = items::get_in(tx, record.workspace_id, record.id, reference).await? else { return Ok(None) };
    let defs = defs(fields);
    let is_draft = request.is_draft.unwrap_or(item.is_draft);
    let empty = Map::new();
    let mut base = current_fields_only(&item.data, fields);
    if let Some(values) = request.server_values {
        base.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let (mut checked, shape) = check_data(&defs, request.data.unwrap_or(&empty), &base, Mode::Update, is_draft, &[]);
    let details = merged(&request.problems, shape);
    // Only what this body named needs resolving; stored values were resolved when written.
    let attach = resolve(tx, record.workspace_id, Some(item.id), author, &mut checked, details).await?.attach;
    let status = request.status.unwrap_or(&item.status);
    let now = now_ms();
    let updated = items::update(tx, &item, &checked.data, status, is_draft, now)
        .await
        .map_err(|e| duplicate(e, fields, &checked.data))?;
    enspace_store::files::attach(tx, record.workspace_id, record.id, item.id, &attach).await?;
    enspace_store::files::detach_missing(tx, record.workspace_id, item.id, &attach_ids(&updated.data, fields)).await?;
    let mut change = changes(&item.data, &updated.data);
    let status_changed = item.status != updated.status;
    if status_changed {
        change.insert("status".into(), json!({ "from": item.status, "to": updated.status }));
    }
    if item.is_draft != updated.is_draft {
        change.insert("isDraft".into(), json!({ "from": item.is_draft, "to": updated.is_draft }));
    }
    let changed: Vec<String> =
        change.keys().filter(|k| updated.data.contains_key(*k) || item.data.contains_key(*k)).cloned().collect();
    // A body that changes no value leaves no history line and no event: there is nothing to tell.
    if !change.is_empty() {
        record_change(tx, record, &updated, author, Change::Updated, change, now).await?;
    }
    // Then the open flow tasks that follow a changed field move with it (decision 35).
    crate::flow_run::follow_fields(tx, record, fields, &updated, &changed, author, now).await?;
    // A draft becoming final starts its flows, as a create does.
    if item.is_draft && !updated.is_draft {
        crate::flow_run::start(tx, record, fields, &updated, author, now).await?;
    }
    Ok(Some(updated))
}

/// Ids of the files the data refers to (top level and inside groups and repeaters).
fn attach_ids(data: &Map<String, Value>, fields: &[FieldRecord]) -> Vec<i64> {
    let mut out = Vec::new();
    each_value(data, fields.iter().map(|f| &f.def), &mut |def, value| {
        if def.shape() == Shape::Files {
            out.extend(value.as_array().into_iter().flatten().filter_map(|f| f.get("id").and_then(Value::as_i64)));
        }
    });
    out
}

/// Deletes inside `tx`; returns the item and the storage keys of its files (delete them after
/// commit).
pub async fn delete_in(
    tx: &mut Tx,
    record: &TypeRecord,
    reference: &str,
    author: &Author<'_>,
) -> std::result::Result<Option<(ItemRecord, Vec<String>)>, StoreError> {
    let Some(item) = items::get_in(tx, record.workspace_id, record.id, reference).await? else { return Ok(None) };
    let keys = items::delete(tx, &item).await?;
    let change = changes(&item.data, &Map::new());
    let now = now_ms();
    record_change(tx, record, &item, author, Change::Deleted, change, now).await?;
    crate::flow_run::remove_with_item(tx, record, &item, author, now).await?;
    Ok(Some((item, keys)))
}

/// Relation values as clients read them: `{id, reference, display}`, the display read live from
/// the related item; a related item that is gone reads `display: null, missing: true`.
pub async fn present(
    db: &Db,
    workspace_id: i64,
    fields: &[FieldRecord],
    items: &mut [ItemRecord],
) -> std::result::Result<(), StoreError> {
    present_with(db, workspace_id, fields, items, Vec::new()).await
}

/// [`present`] with related items already in hand (a create's): only the others are read.
pub async fn present_with(
    db: &Db,
    workspace_id: i64,
    fields: &[FieldRecord],
    items: &mut [ItemRecord],
    known: Vec<items::Related>,
) -> std::result::Result<(), StoreError> {
    for item in items.iter_mut() {
        if item.data.keys().any(|key| !fields.iter().any(|f| &f.def.ref_id == key)) {
            item.data = current_fields_only(&item.data, fields);
        }
    }
    let mut ids = Vec::new();
    for item in items.iter() {
        each_value(&item.data, fields.iter().map(|f| &f.def), &mut |def, value| match def.shape() {
            Shape::Rel => ids.extend(value.get("id").and_then(Value::as_i64)),
            Shape::RelMulti => {
                ids.extend(value.as_array().into_iter().flatten().filter_map(|v| v.get("id").and_then(Value::as_i64)))
            }
            _ => {}
        });
    }
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let mut found: HashMap<i64, Related> = known.into_iter().map(|r| (r.id, r)).collect();
    ids.retain(|id| !found.contains_key(id));
    found.extend(items::related(&mut Reader::Db(db), workspace_id, &ids, &[]).await?.into_iter().map(|r| (r.id, r)));
    for item in items.iter_mut() {
        each_value_mut(&mut item.data, fields.iter().map(|f| &f.def), &mut |def, value| match def.shape() {
            Shape::Rel => show_one(value, def, &found),
            Shape::RelMulti => {
                for v in value.as_array_mut().into_iter().flatten() {
                    show_one(v, def, &found);
                }
            }
            _ => {}
        });
    }
    Ok(())
}

fn show_one(value: &mut Value, def: &FieldDef, found: &HashMap<i64, Related>) {
    let Some(id) = value.get("id").and_then(Value::as_i64) else { return };
    match found.get(&id) {
        Some(related) => {
            let display = match def.rel_display() {
                Some(key) => related.data.get(key).cloned().unwrap_or(Value::Null),
                None => Value::String(related.reference.clone()),
            };
            *value = json!({ "id": id, "display": display, "reference": related.reference });
        }
        None => {
            let reference = value.get("reference").cloned().unwrap_or(Value::Null);
            *value = json!({ "id": id, "display": null, "reference": reference, "missing": true });
        }
    }
}
