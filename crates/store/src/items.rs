//! Items of a type, their history, code counters, and relation lookups.
//!
//! Item queries name the type id as a literal (`type_id = 12`) so that the partial per-field
//! indexes of [`crate::indexes`] apply; the workspace id is always a bound parameter beside it.

use enspace_domain::{
    catalogue::Shape,
    item_columns::NATIVE,
    list::{FieldKind, ListQuery, ListSchema, Op, Scalar, Sort},
};
use serde_json::{Map, Value as Json};

use crate::{
    db::{Backend, Db, Reader, Row, Tx, Value},
    error::{Result, StoreError},
    events::{self, NewEvent, Subject},
    fields::FieldRecord,
    indexes::{self, ValueColumn},
    list::{push_conditions, push_page, Column, Columns, Repr, Sql},
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub type_id: i64,
    pub reference: String,
    pub status: String,
    pub is_draft: bool,
    pub form: String,
    pub request_email: Option<String>,
    pub user_id: Option<i64>,
    pub data: Map<String, Json>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, workspace_id, type_id, reference, status, is_draft, form, request_email, user_id, data, created_at, updated_at";

impl ItemRecord {
    fn from_row(row: &Row) -> Result<ItemRecord> {
        Ok(ItemRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            type_id: row.i64("type_id")?,
            reference: row.text("reference")?,
            status: row.text("status")?,
            is_draft: row.bool("is_draft")?,
            form: row.text("form")?,
            request_email: row.opt_text("request_email")?,
            user_id: row.opt_i64("user_id")?,
            data: match row.json("data")? {
                Json::Object(map) => map,
                _ => Map::new(),
            },
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// The SQL column of a native list-language field (`item_columns::NATIVE`).
fn native_sql(name: &str) -> &str {
    match name {
        "isDraft" => "is_draft",
        "user" | "created_by" => "user_id",
        other => other,
    }
}

struct IndexedField {
    /// `data.<refId>`.
    name: String,
    index: String,
    /// One of a few values (an option, a flag): an equality on it matches a large share of the
    /// items, so it narrows less than reading in the sort's order does.
    few_values: bool,
}

/// The list language of one type's items: natives plus `data.<refId>` for every field.
pub struct ItemColumns {
    columns: Vec<ValueColumn>,
    /// `_q`'s columns: (field path, SQL).
    search: Vec<(String, String)>,
    /// SQLite only: the fields with a built index.
    indexed: Vec<IndexedField>,
    /// PostgreSQL only: the fields whose values are counted (`indexes::counts_values`):
    /// (list name, field id, refId).
    counted: Vec<(String, i64, String)>,
}

impl ItemColumns {
    pub fn new(backend: Backend, fields: &[FieldRecord]) -> ItemColumns {
        let mut columns: Vec<ValueColumn> = NATIVE
            .iter()
            .map(|(name, kind)| ValueColumn {
                name: name.to_string(),
                kind: *kind,
                sql: native_sql(name).to_string(),
                repr: Repr::Scalar,
            })
            .collect();
        let mut search = vec![("reference".to_string(), "reference".to_string())];
        let mut indexed = Vec::new();
        let mut counted = Vec::new();
        for field in fields {
            if backend == Backend::Postgres && field.index_status == "ready" && indexes::counts_values(&field.def) {
                counted.push((format!("data.{}", field.def.ref_id), field.id, field.def.ref_id.clone()));
            }
            if backend == Backend::Sqlite
                && field.def.wants_index()
                && field.index_status == "ready"
                && indexes::index_expression(backend, &field.def).is_some()
            {
                indexed.push(IndexedField {
                    name: format!("data.{}", field.def.ref_id),
                    index: indexes::index_name(field.id, field.def.unique),
                    few_values: !field.def.unique
                        && matches!(field.def.shape(), Shape::Choice | Shape::Tree | Shape::Bool),
                });
            }
            let cols = indexes::value_columns(backend, &field.def);
            if field.def.field_type.searchable() {
                search.push((format!("data.{}", field.def.ref_id), cols[0].sql.clone()));
            }
            columns.extend(cols);
        }
        ItemColumns { columns, search, indexed, counted }
    }

    /// Keeps `_q` to the fields `readable` accepts, so that a search cannot probe hidden values.
    pub fn search_only(mut self, readable: impl Fn(&str) -> bool) -> ItemColumns {
        self.search.retain(|(path, _)| readable(path));
        self
    }

    /// The field index a SQLite query should use, if any. Without statistics SQLite rates an
    /// equality on the type above a field index's range, and so sorts every item of the type
    /// for a page of 100; we know better which index narrows or orders: an equality on a field
    /// of many values first, then the first sort key (rows come in order and the LIMIT stops
    /// early), then an equality on a field of few values, then a range. PostgreSQL plans from
    /// its own statistics and gets no hint.
    fn chosen_index(&self, query: &ListQuery, sorted: bool) -> Option<&str> {
        let indexed = |name: &str| self.indexed.iter().find(|f| f.name == name);
        let equal = |few: bool| {
            query
                .filters
                .iter()
                .filter(|f| matches!(f.op, Op::Eq | Op::In))
                .filter_map(|f| indexed(&f.field))
                .find(|f| f.few_values == few)
        };
        let sort = sorted.then(|| query.sort.first().and_then(|s| indexed(&s.field))).flatten();
        let range = query
            .filters
            .iter()
            .filter(|f| matches!(f.op, Op::Lt | Op::Lte | Op::Gt | Op::Gte))
            .find_map(|f| indexed(&f.field));
        equal(false).or(sort).or_else(|| equal(true)).or(range).map(|f| f.index.as_str())
    }
}

impl ListSchema for ItemColumns {
    fn field(&self, name: &str) -> Option<FieldKind> {
        self.columns.iter().find(|c| c.name == name).map(|c| c.kind)
    }

    fn searchable(&self) -> bool {
        true
    }

    fn default_sort(&self) -> Sort {
        Sort { field: "id".into(), desc: false }
    }
}

impl Columns for ItemColumns {
    fn column(&self, name: &str) -> Option<Column<'_>> {
        self.columns.iter().find(|c| c.name == name).map(|c| Column { sql: &c.sql, repr: c.repr })
    }

    fn search(&self) -> Vec<&str> {
        self.search.iter().map(|(_, sql)| sql.as_str()).collect()
    }
}

/// `FROM items WHERE` the type (a literal, for partial indexes) and the workspace (the tenant
/// guard, which every item index carries: `items_scope` and the field indexes).
fn scoped(head: &str, index: Option<&str>, workspace_id: i64, type_id: i64) -> Sql {
    let mut sql = Sql::new(head);
    sql.push(" FROM items");
    if let Some(index) = index {
        sql.push(&format!(" INDEXED BY {index}"));
    }
    sql.push(&format!(" WHERE type_id = {type_id} AND workspace_id = ")).bind(workspace_id);
    sql
}

pub async fn list(
    db: &Db,
    workspace_id: i64,
    type_id: i64,
    columns: &ItemColumns,
    query: &ListQuery,
) -> Result<Vec<ItemRecord>> {
    let sql = list_sql("SELECT", db.backend(), workspace_id, type_id, columns, query);
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(ItemRecord::from_row).collect()
}

/// A list query after `verb` (`SELECT`, or `EXPLAIN … SELECT` for its plan: the same text).
fn list_sql(
    verb: &str,
    backend: Backend,
    workspace_id: i64,
    type_id: i64,
    columns: &ItemColumns,
    query: &ListQuery,
) -> Sql {
    let mut sql = scoped(&format!("{verb} {COLUMNS}"), columns.chosen_index(query, true), workspace_id, type_id);
    push_conditions(columns, &mut sql, backend, query);
    push_page(columns, &mut sql, query);
    sql
}

/// The database's plan for a list query, one line per step: how the benchmark and the tests
/// check that a field's index serves its filters and sorts.
pub async fn explain_list(
    db: &Db,
    workspace_id: i64,
    type_id: i64,
    columns: &ItemColumns,
    query: &ListQuery,
) -> Result<String> {
    let explain = match db.backend() {
        Backend::Sqlite => "EXPLAIN QUERY PLAN SELECT",
        Backend::Postgres => "EXPLAIN SELECT",
    };
    let sql = list_sql(explain, db.backend(), workspace_id, type_id, columns, query);
    let column = match db.backend() {
        Backend::Sqlite => "detail",
        Backend::Postgres => "QUERY PLAN",
    };
    let rows = db.fetch_all(&sql.text, &sql.params).await?;
    Ok(rows.iter().map(|r| r.text(column)).collect::<Result<Vec<_>>>()?.join("\n"))
}

pub async fn count(db: &Db, workspace_id: i64, type_id: i64, columns: &ItemColumns, query: &ListQuery) -> Result<i64> {
    if let Some(n) = counted(db, workspace_id, type_id, columns, query).await? {
        return Ok(n);
    }
    let mut sql = scoped("SELECT COUNT(*) AS n", columns.chosen_index(query, false), workspace_id, type_id);
    push_conditions(columns, &mut sql, db.backend(), query);
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

/// A count answered from the kept counts of a field's values (PostgreSQL, migration 0027):
/// when its only condition is an equality (or `in`) on a counted field, and the field is
/// counted at its current key (its counts filled). `None`: count the items.
async fn counted(
    db: &Db,
    workspace_id: i64,
    type_id: i64,
    columns: &ItemColumns,
    query: &ListQuery,
) -> Result<Option<i64>> {
    let [filter] = query.filters.as_slice() else { return Ok(None) };
    if query.q.is_some() || !matches!(filter.op, Op::Eq | Op::In) {
        return Ok(None);
    }
    let Some((_, field_id, ref_id)) = columns.counted.iter().find(|(name, ..)| *name == filter.field) else {
        return Ok(None);
    };
    let values: Option<Vec<&String>> =
        filter.values.iter().map(|v| if let Scalar::Text(t) = v { Some(t) } else { None }).collect();
    let Some(values) = values else { return Ok(None) };
    let mut sql = Sql::new("SELECT EXISTS (SELECT 1 FROM counted_fields WHERE workspace_id = ");
    sql.bind(workspace_id).push(" AND type_id = ").bind(type_id).push(" AND field_id = ").bind(*field_id);
    sql.push(" AND ref_id = ").bind(ref_id.as_str()).push(") AS counted, ");
    sql.push("(SELECT SUM(n) FROM value_counts WHERE workspace_id = ").bind(workspace_id);
    sql.push(" AND type_id = ").bind(type_id).push(" AND field_id = ").bind(*field_id);
    sql.push(" AND value IN ").bind_list(values).push(")::bigint AS n");
    let row = db.fetch_one(&sql.text, &sql.params).await?;
    Ok(row.bool("counted")?.then(|| row.opt_i64("n")).transpose()?.map(|n| n.unwrap_or(0)))
}

pub async fn get(db: &Db, workspace_id: i64, type_id: i64, reference: &str) -> Result<Option<ItemRecord>> {
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM items WHERE reference = $1 AND workspace_id = $2 AND type_id = $3"),
        &params![reference, workspace_id, type_id],
    )
    .await?
    .as_ref()
    .map(ItemRecord::from_row)
    .transpose()
}

/// The same, inside a write transaction (read-modify-write of an update).
pub async fn get_in(tx: &mut Tx, workspace_id: i64, type_id: i64, reference: &str) -> Result<Option<ItemRecord>> {
    let lock = if tx.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
    tx.fetch_optional(
        &format!("SELECT {COLUMNS} FROM items WHERE reference = $1 AND workspace_id = $2 AND type_id = $3{lock}"),
        &params![reference, workspace_id, type_id],
    )
    .await?
    .as_ref()
    .map(ItemRecord::from_row)
    .transpose()
}

/// A refused write: a unique field's value is taken (by field id), or another conflict.
fn write_error(error: StoreError) -> StoreError {
    match error {
        StoreError::Conflict(message) => match indexes::unique_field_in(&message) {
            Some(field_id) => StoreError::UniqueField(field_id),
            None => StoreError::Conflict(message),
        },
        other => other,
    }
}

pub struct NewItem<'a> {
    pub workspace_id: i64,
    pub type_id: i64,
    pub reference: &'a str,
    pub status: &'a str,
    pub is_draft: bool,
    pub form: &'a str,
    pub request_email: Option<&'a str>,
    pub user_id: Option<i64>,
    pub data: &'a Map<String, Json>,
    pub now: i64,
}

const INSERT: &str = "INSERT INTO items (workspace_id, type_id, reference, status, is_draft, form, request_email, \
    user_id, data, created_at, updated_at) VALUES ";

fn push_values(sql: &mut Sql, new: &NewItem<'_>) {
    sql.push("(");
    sql.bind(new.workspace_id).push(", ").bind(new.type_id).push(", ").bind(new.reference).push(", ");
    sql.bind(new.status).push(", ").bind(new.is_draft).push(", ").bind(new.form).push(", ");
    sql.bind(new.request_email).push(", ").bind(new.user_id).push(", ");
    sql.bind(Json::Object(new.data.clone())).push(", ").bind(new.now).push(", ").bind(new.now).push(")");
}

/// Inserts an item and records its creation: `created` is the creation event, whose subject
/// and item are the new item (their ids are filled in). With `last`, nothing but the commit
/// follows in the caller's transaction.
///
/// On PostgreSQL, as the transaction's first event (a later one would get its id before those
/// appended earlier), the item and its event are one statement (a data-modifying `WITH`), and
/// with `last` in a transaction not yet begun that statement is the whole transaction: one
/// round trip where there were four (`db::Tx`).
pub async fn insert_created(tx: &mut Tx, new: NewItem<'_>, created: NewEvent<'_>, last: bool) -> Result<ItemRecord> {
    if tx.backend() == Backend::Sqlite || !tx.events.is_empty() {
        let item = insert(tx, new).await?;
        let subject = Subject { id: Some(item.id), item_id: Some(item.id), ..created.subject };
        events::append(tx, NewEvent { subject, ..created });
        return Ok(item);
    }
    let mut sql = Sql::new("WITH item AS (");
    sql.push(INSERT);
    push_values(&mut sql, &new);
    sql.push(" RETURNING ").push(COLUMNS).push(")");
    events::push_recorded(&mut sql, created, "item");
    sql.push(" SELECT ").push(COLUMNS).push(" FROM item");
    let rows =
        if last { tx.fetch_last(&sql.text, &sql.params).await } else { tx.fetch_all(&sql.text, &sql.params).await };
    let rows = rows.map_err(write_error)?;
    ItemRecord::from_row(rows.first().ok_or(StoreError::NotFound)?)
}

async fn insert(tx: &mut Tx, new: NewItem<'_>) -> Result<ItemRecord> {
    let mut sql = Sql::new(INSERT);
    push_values(&mut sql, &new);
    sql.push(" RETURNING ").push(COLUMNS);
    let row = tx.fetch_one(&sql.text, &sql.params).await.map_err(write_error)?;
    ItemRecord::from_row(&row)
}

pub async fn update(
    tx: &mut Tx,
    item: &ItemRecord,
    data: &Map<String, Json>,
    status: &str,
    is_draft: bool,
    now: i64,
) -> Result<ItemRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "UPDATE items SET data = $3, status = $4, is_draft = $5, updated_at = $6 \
                 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
            ),
            &params![item.workspace_id, item.id, Json::Object(data.clone()), status, is_draft, now],
        )
        .await
        .map_err(write_error)?;
    ItemRecord::from_row(&row)
}

/// Deletes the item and the files attached to it; returns their storage keys.
pub async fn delete(tx: &mut Tx, item: &ItemRecord) -> Result<Vec<String>> {
    let keys = tx
        .fetch_all(
            "DELETE FROM files WHERE +workspace_id = $1 AND item_id = $2 RETURNING storage_key",
            &params![item.workspace_id, item.id],
        )
        .await?
        .iter()
        .map(|r| r.text("storage_key"))
        .collect::<Result<Vec<_>>>()?;
    tx.execute("DELETE FROM items WHERE workspace_id = $1 AND id = $2", &params![item.workspace_id, item.id]).await?;
    Ok(keys)
}

/// The next number of a code counter (starting at `start`); counters only go up.
pub async fn next_counter(tx: &mut Tx, type_id: i64, name: &str, start: i64) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO type_counters (type_id, name, value) VALUES ($1, $2, $3) \
         ON CONFLICT (type_id, name) DO UPDATE SET value = type_counters.value + 1 RETURNING value",
        &params![type_id, name, start],
    )
    .await?
    .i64("value")
}

/// A related item as a relation shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub id: i64,
    pub reference: String,
    pub type_id: i64,
    /// The slug of the related item's type (what a relation's `config.rel.collection` names).
    pub type_slug: String,
    pub data: Map<String, Json>,
}

/// Items of the workspace by id or reference (for resolving and displaying relations).
pub async fn related(
    reader: &mut Reader<'_>,
    workspace_id: i64,
    ids: &[i64],
    references: &[String],
) -> Result<Vec<Related>> {
    if ids.is_empty() && references.is_empty() {
        return Ok(Vec::new());
    }
    // One branch per key, each found through its own unique index; the workspace is checked on
    // the rows found (`+workspace_id`), never used to pick an index (it matches every item).
    const HEAD: &str = "SELECT items.id, items.reference, items.type_id, types.slug AS type_slug, items.data \
                        FROM items JOIN types ON types.id = items.type_id AND types.deleted_at IS NULL WHERE ";
    let mut sql = Sql::new("");
    for (column, keys) in [
        ("items.id", ids.iter().map(|&id| Value::from(id)).collect::<Vec<_>>()),
        ("items.reference", references.iter().map(Value::from).collect()),
    ] {
        if keys.is_empty() {
            continue;
        }
        if !sql.text.is_empty() {
            sql.push(" UNION ALL ");
        }
        sql.push(HEAD).push(column).push(" IN ").bind_list(keys);
        sql.push(" AND +items.workspace_id = ").bind(workspace_id);
    }
    reader
        .fetch_all(&sql.text, &sql.params)
        .await?
        .iter()
        .map(|row| {
            Ok(Related {
                id: row.i64("id")?,
                reference: row.text("reference")?,
                type_id: row.i64("type_id")?,
                type_slug: row.text("type_slug")?,
                data: match row.json("data")? {
                    Json::Object(map) => map,
                    _ => Map::new(),
                },
            })
        })
        .collect()
}
