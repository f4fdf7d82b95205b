//! Types, fields and forms as commands: each write and its event (`type.*`, `field.*`, `form.*`)
//! in one transaction. Deleting them is `purge`'s (they may be large); index builds stay with
//! `indexes`.

use enspace_domain::{fields::field_json, items::changes, time::now_ms};
use enspace_store::{
    events::{NewEvent, Subject},
    fields::FieldRecord,
    types::{TypeRecord, TypeValues},
    Db, StoreError, Tx,
};
use serde_json::{json, Map, Value};

use crate::items::Author;

/// A type's definition as its events show it.
fn type_definition(record: &TypeRecord) -> Map<String, Value> {
    let value = json!({ "name": record.name, "slug": record.slug, "description": record.description,
        "icon": record.icon, "color": record.color, "settings": record.settings,
        "itemVersioning": record.item_versioning });
    let mut out = value.as_object().cloned().unwrap_or_default();
    // Unset is absent, as in item data, so a create shows only what was set.
    out.retain(|_, v| !v.is_null());
    out
}

/// A field's definition as its events show it (the field's wire keys).
pub(crate) fn field_definition(field: &FieldRecord) -> Map<String, Value> {
    let mut out = field_json(&field.def);
    out.insert("order".into(), json!(field.position));
    out.retain(|_, v| !v.is_null());
    out
}

pub(crate) fn type_subject(record: &TypeRecord) -> Subject<'_> {
    Subject {
        kind: "type",
        id: Some(record.id),
        reference: Some(&record.slug),
        type_id: Some(record.id),
        item_type: Some(&record.slug),
        item_id: None,
        item_reference: None,
    }
}

pub(crate) fn field_subject<'a>(type_slug: &'a str, field: &'a FieldRecord) -> Subject<'a> {
    Subject {
        kind: "field",
        id: Some(field.id),
        reference: Some(&field.def.ref_id),
        type_id: Some(field.type_id),
        item_type: Some(type_slug),
        item_id: None,
        item_reference: None,
    }
}

/// An event about a definition: what it was and what it is (empty for a create, a delete).
pub(crate) struct DefinitionChange<'a> {
    pub kind: &'a str,
    pub subject: Subject<'a>,
    pub before: Map<String, Value>,
    pub after: Map<String, Value>,
}

/// Appends `change`'s event in the caller's transaction, with what differs between before and
/// after; nothing when nothing does (an update that changes nothing).
pub(crate) async fn record_definition(
    tx: &mut Tx,
    workspace_id: i64,
    change: DefinitionChange<'_>,
    author: &Author<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let changes = changes(&change.before, &change.after);
    if changes.is_empty() {
        return Ok(());
    }
    let (kind, subject) = (change.kind, change.subject);
    let event = NewEvent { workspace_id, kind, subject, changes, actor: author.actor(), source: author.source, now };
    enspace_store::events::append(tx, event);
    Ok(())
}

/// Creates a type (`slug` given, or derived from the name).
pub async fn create_type(
    db: &Db,
    workspace_id: i64,
    slug: Option<&str>,
    prefix: &str,
    values: TypeValues<'_>,
    author: &Author<'_>,
) -> Result<TypeRecord, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let created = enspace_store::types::create(&mut tx, workspace_id, slug, prefix, values, now).await?;
    let after = type_definition(&created);
    let change = DefinitionChange { kind: "type.created", subject: type_subject(&created), before: Map::new(), after };
    record_definition(&mut tx, workspace_id, change, author, now).await?;
    tx.commit().await?;
    Ok(created)
}

/// Updates a type's definition; an update that changes nothing writes no event.
pub async fn update_type(
    db: &Db,
    record_before: &TypeRecord,
    values: TypeValues<'_>,
    author: &Author<'_>,
) -> Result<TypeRecord, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let updated = enspace_store::types::update(&mut tx, record_before, values, now).await?;
    let (before, after) = (type_definition(record_before), type_definition(&updated));
    let change = DefinitionChange { kind: "type.updated", subject: type_subject(&updated), before, after };
    record_definition(&mut tx, updated.workspace_id, change, author, now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// What a field write asks for: its checked definition, place and index state.
pub struct FieldWrite<'a> {
    pub def: &'a enspace_domain::fields::FieldDef,
    pub order: Option<i64>,
    pub index_status: &'a str,
}

/// Creates a field of `record`.
pub async fn create_field(
    db: &Db,
    record: &TypeRecord,
    write: FieldWrite<'_>,
    author: &Author<'_>,
) -> Result<FieldRecord, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let created = enspace_store::fields::create(
        &mut tx,
        record.workspace_id,
        record.id,
        write.def,
        write.order,
        write.index_status,
        now,
    )
    .await?;
    let subject = field_subject(&record.slug, &created);
    let change =
        DefinitionChange { kind: "field.created", subject, before: Map::new(), after: field_definition(&created) };
    record_definition(&mut tx, record.workspace_id, change, author, now).await?;
    crate::indexes::queue_build(&mut tx, record.workspace_id, None, &created).await?;
    tx.commit().await?;
    Ok(created)
}

/// Updates a field of `record`; an update that changes nothing writes no event. Also how a
/// definition is put back when a requested unique index cannot be built.
pub async fn update_field(
    db: &Db,
    record: &TypeRecord,
    field: &FieldRecord,
    write: FieldWrite<'_>,
    author: &Author<'_>,
) -> Result<FieldRecord, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let position = write.order.unwrap_or(field.position);
    let updated = enspace_store::fields::update(
        &mut tx,
        record.workspace_id,
        field,
        write.def,
        position,
        write.index_status,
        now,
    )
    .await?;
    // The index's progress is the record's, not the definition's: never a change here.
    let (before, after) = (field_definition(field), field_definition(&updated));
    let change =
        DefinitionChange { kind: "field.updated", subject: field_subject(&record.slug, &updated), before, after };
    record_definition(&mut tx, record.workspace_id, change, author, now).await?;
    crate::indexes::queue_build(&mut tx, record.workspace_id, Some(field), &updated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// A form's definition as its events show it (its hash is a secret of public forms: never in
/// the log).
fn form_definition(form: &enspace_store::forms::FormRecord) -> Map<String, Value> {
    let value =
        json!({ "name": form.name, "type": form.form_type, "visibility": form.visibility, "fields": form.fields });
    value.as_object().cloned().unwrap_or_default()
}

fn form_subject<'a>(type_slug: &'a str, form: &'a enspace_store::forms::FormRecord) -> Subject<'a> {
    Subject {
        kind: "form",
        id: Some(form.id),
        reference: None,
        type_id: Some(form.type_id),
        item_type: Some(type_slug),
        item_id: None,
        item_reference: None,
    }
}

/// Creates a form of `record` with its (random) public hash.
pub async fn create_form(
    db: &Db,
    record: &TypeRecord,
    hash: &str,
    values: enspace_store::forms::FormValues<'_>,
    author: &Author<'_>,
) -> Result<enspace_store::forms::FormRecord, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let form = enspace_store::forms::create(&mut tx, record.workspace_id, record.id, hash, values, now).await?;
    let subject = form_subject(&record.slug, &form);
    let change = DefinitionChange { kind: "form.created", subject, before: Map::new(), after: form_definition(&form) };
    record_definition(&mut tx, record.workspace_id, change, author, now).await?;
    tx.commit().await?;
    Ok(form)
}

/// Updates a form; an update that changes nothing writes no event.
pub async fn update_form(
    db: &Db,
    record: &TypeRecord,
    form: &enspace_store::forms::FormRecord,
    values: enspace_store::forms::FormValues<'_>,
    author: &Author<'_>,
) -> Result<enspace_store::forms::FormRecord, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let updated = enspace_store::forms::update(&mut tx, form, values, now).await?;
    let (before, after) = (form_definition(form), form_definition(&updated));
    let change =
        DefinitionChange { kind: "form.updated", subject: form_subject(&record.slug, &updated), before, after };
    record_definition(&mut tx, record.workspace_id, change, author, now).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a form and the permissions naming it.
pub async fn delete_form(
    db: &Db,
    record: &TypeRecord,
    form: &enspace_store::forms::FormRecord,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::forms::delete(&mut tx, record.workspace_id, form).await?;
    let subject = form_subject(&record.slug, form);
    let change = DefinitionChange { kind: "form.deleted", subject, before: form_definition(form), after: Map::new() };
    record_definition(&mut tx, record.workspace_id, change, author, now).await?;
    tx.commit().await
}
