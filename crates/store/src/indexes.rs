//! Per-field database indexes on item values, and the SQL expressions that read a value.
//!
//! A field's value expression is written once here and used both by list queries and by the
//! field's index, so the planner can match them. Indexes are partial (`WHERE type_id = N`,
//! with the id written as a literal, because both planners only match a partial index against
//! a literal), so each covers one type's items only.

use enspace_domain::{
    catalogue::Shape,
    fields::FieldDef,
    item_columns::{data_columns, Read},
    list::FieldKind,
};

use crate::{
    db::{Backend, Db, Reader, Tx},
    error::{Result, StoreError},
    list::Repr,
};

/// A list-language field of an item type: `data.<refId>` or a sub-key of it.
#[derive(Debug, Clone)]
pub struct ValueColumn {
    pub name: String,
    pub kind: FieldKind,
    pub sql: String,
    pub repr: Repr,
}

fn text(backend: Backend, path: &[&str]) -> String {
    match backend {
        Backend::Sqlite => format!("json_extract(data, '$.{}')", path.join(".")),
        Backend::Postgres => {
            let (last, init) = path.split_last().unwrap_or((&"", &[]));
            let mut out = String::from("(data");
            for p in init {
                out.push_str(&format!("->'{p}'"));
            }
            out.push_str(&format!("->>'{last}')"));
            out
        }
    }
}

fn json(backend: Backend, path: &[&str]) -> String {
    match backend {
        Backend::Sqlite => format!("json_extract(data, '$.{}')", path.join(".")),
        Backend::Postgres => {
            let mut out = String::from("(data");
            for p in path {
                out.push_str(&format!("->'{p}'"));
            }
            out.push(')');
            out
        }
    }
}

/// A typed read on PostgreSQL that yields NULL for a value of another JSON type instead of
/// failing the whole query (another type's field may share the refId with other values).
fn typed(backend: Backend, path: &[&str], json_type: &str, cast: &str) -> String {
    match backend {
        Backend::Sqlite => text(backend, path),
        Backend::Postgres => format!(
            "(CASE WHEN jsonb_typeof({}) = '{json_type}' THEN {}::{cast} END)",
            json(backend, path),
            text(backend, path)
        ),
    }
}

/// The list-language columns a field contributes (`item_columns::data_columns`), as SQL.
pub fn value_columns(backend: Backend, def: &FieldDef) -> Vec<ValueColumn> {
    data_columns(def)
        .into_iter()
        .map(|c| {
            let path: Vec<&str> = c.path.iter().map(String::as_str).collect();
            let sql = match c.read {
                Read::Text => text(backend, &path),
                Read::Number => typed(backend, &path, "number", "float8"),
                Read::Integer => typed(backend, &path, "number", "bigint"),
                Read::Bool => typed(backend, &path, "boolean", "boolean"),
                Read::Json => json(backend, &path),
            };
            ValueColumn { name: c.name, kind: c.kind, sql, repr: c.repr }
        })
        .collect()
}

/// The expression a field's index is built on: its first (main) column.
pub fn index_expression(backend: Backend, def: &FieldDef) -> Option<String> {
    def.field_type.comparable().then(|| value_columns(backend, def).swap_remove(0).sql)
}

pub fn index_name(field_id: i64, unique: bool) -> String {
    format!("items_{}{field_id}", if unique { "u" } else { "f" })
}

/// The field id of a unique index named in a constraint error, if any.
pub fn unique_field_in(message: &str) -> Option<i64> {
    let start = message.find("items_u")? + "items_u".len();
    let digits: String = message[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Builds the field's index. On PostgreSQL concurrently (writes to the type go on meanwhile);
/// on SQLite readers go on (WAL) and writers wait for the build. A unique index that existing
/// values violate fails with [`StoreError::Conflict`] and leaves nothing behind.
pub async fn build(db: &Db, type_id: i64, field_id: i64, def: &FieldDef) -> Result<()> {
    // One build at a time in a process: on PostgreSQL a concurrent build and another build's
    // ANALYZE wait on each other's locks until the deadlock detector cancels one (seen when a
    // type gets several indexed fields at once). Builds are rare and long; queueing them costs
    // nothing that matters.
    static BUILDS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = BUILDS.lock().await;
    let backend = db.backend();
    let Some(expr) = index_expression(backend, def) else { return Ok(()) };
    let unique = def.unique;
    let name = index_name(field_id, unique);
    // Lists put NULLs first when ascending and last when descending (both backends); SQLite's
    // indexes order them so already, PostgreSQL's must be told, or neither scan direction
    // matches a sort and every list sorts all the type's items.
    let value = match backend {
        Backend::Postgres => format!("{expr} NULLS FIRST"),
        Backend::Sqlite => expr.clone(),
    };
    // Plain indexes carry the workspace (the tenant guard of every item query) before the id,
    // so filtered counts are answered from the index alone and `ORDER BY expr, id` still reads
    // in order (the workspace is an equality).
    let columns = if unique { value } else { format!("{value}, workspace_id, id") };
    let concurrently = if backend == Backend::Postgres { "CONCURRENTLY " } else { "" };
    let create = format!(
        "CREATE {}INDEX {concurrently}IF NOT EXISTS {name} ON items ({columns}) WHERE type_id = {type_id}",
        if unique { "UNIQUE " } else { "" }
    );
    if backend == Backend::Postgres {
        // An interrupted concurrent build leaves an invalid index that IF NOT EXISTS would keep.
        let invalid = db
            .fetch_optional(
                "SELECT 1 AS one FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND NOT i.indisvalid",
                &crate::params![name.as_str()],
            )
            .await?;
        if invalid.is_some() {
            db.execute_outside_transaction(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}")).await?;
        }
    }
    match db.execute_outside_transaction(&create).await {
        Ok(()) if backend == Backend::Postgres => {
            gather_statistics(db, field_id, &expr).await?;
            count_values(db, type_id, field_id, def).await
        }
        Ok(()) => Ok(()),
        Err(error) => {
            if backend == Backend::Postgres {
                let _ = db.execute_outside_transaction(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}")).await;
            }
            Err(match error {
                StoreError::Conflict(_) => StoreError::UniqueField(field_id),
                other => other,
            })
        }
    }
}

/// PostgreSQL keeps no statistics for the expressions of partial indexes, so without help it
/// guesses how many items an equality matches (0.5%) and picks the filter's index over the
/// sort's even when the value matches a fifth of the type (measured: 670 ms instead of 2 ms
/// for a page of 100 at a million items). Extended statistics on the expression (PostgreSQL
/// 14+) give it the real distribution; the ANALYZE fills them now rather than at autovacuum's
/// next pass (or never, where autovacuum is off). Failing here never fails the index: before
/// PostgreSQL 14, or when builds of two fields analyze at once ("tuple concurrently updated"),
/// plans are only less informed until the next ANALYZE.
async fn gather_statistics(db: &Db, field_id: i64, expr: &str) -> Result<()> {
    let create = format!("CREATE STATISTICS IF NOT EXISTS {} ON ({expr}) FROM items", statistics_name(field_id));
    let result = match db.execute_outside_transaction(&create).await {
        Ok(()) => db.execute_outside_transaction("ANALYZE items").await,
        Err(error) => Err(error),
    };
    if let Err(error) = result {
        tracing::warn!(%error, field_id, "could not gather statistics for an indexed field");
    }
    Ok(())
}

/// Whether PostgreSQL keeps counts of the field's values (migration 0027): an indexed option
/// field (one value each, read as text at the top of `data`, the expression its list filter
/// compares), where a count filtered on one option matches a large share of the items. Other
/// counts, and every count on SQLite (which counts from the index alone), read the index.
pub fn counts_values(def: &FieldDef) -> bool {
    def.indexed && !def.unique && def.shape() == Shape::Choice
}

/// Starts counting the field's values (PostgreSQL; nothing on SQLite), once its index is
/// built: the current counts are filled under a lock on items that waits for the writes in
/// progress and holds new ones back until the commit (a one-off pause: about a second per
/// million items of the type); from then on the trigger keeps them. A field counted already at
/// the same key is left as it is; one that no longer qualifies stops being counted.
pub async fn count_values(db: &Db, type_id: i64, field_id: i64, def: &FieldDef) -> Result<()> {
    if db.backend() != Backend::Postgres {
        return Ok(());
    }
    if !counts_values(def) {
        return forget_counts(db, field_id).await;
    }
    if counted_at(&mut Reader::Db(db), type_id, field_id).await?.as_deref() == Some(def.ref_id.as_str()) {
        return Ok(());
    }
    let Some(expr) = index_expression(Backend::Postgres, def) else { return Ok(()) };
    let mut tx = db.begin().await?;
    // SHARE ROW EXCLUSIVE: SHARE's hold on writers, and one fill at a time (a second waits,
    // then finds the field counted).
    tx.execute("LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE", &[]).await?;
    if counted_at(&mut Reader::Tx(&mut tx), type_id, field_id).await?.as_deref() == Some(def.ref_id.as_str()) {
        return Ok(());
    }
    let ids = crate::params![field_id, type_id];
    tx.execute("DELETE FROM value_counts WHERE field_id = $1 AND type_id = $2", &ids).await?;
    tx.execute("DELETE FROM counted_fields WHERE field_id = $1 AND type_id = $2", &ids).await?;
    tx.execute(
        "INSERT INTO counted_fields (workspace_id, type_id, field_id, ref_id) \
         SELECT workspace_id, id, $2, $3 FROM types WHERE id = $1",
        &crate::params![type_id, field_id, def.ref_id.as_str()],
    )
    .await?;
    // The type as a literal and the index's own expression: the count reads the new index.
    tx.execute(
        &format!(
            "INSERT INTO value_counts (workspace_id, type_id, field_id, value, shard, n) \
             SELECT workspace_id, type_id, $1, {expr}, 0, COUNT(*) FROM items \
             WHERE type_id = {type_id} AND {expr} IS NOT NULL GROUP BY workspace_id, type_id, {expr}"
        ),
        &crate::params![field_id],
    )
    .await?;
    tx.commit().await
}

/// The key a field's values are counted at, if they are.
async fn counted_at(reader: &mut Reader<'_>, type_id: i64, field_id: i64) -> Result<Option<String>> {
    reader
        .fetch_optional(
            "SELECT ref_id FROM counted_fields WHERE field_id = $1 AND type_id = $2",
            &crate::params![field_id, type_id],
        )
        .await?
        .map(|row| row.text("ref_id"))
        .transpose()
}

/// Stops counting the field's values (its index dropped, or it no longer qualifies).
async fn forget_counts(db: &Db, field_id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    forget_counts_in(&mut tx, field_id).await?;
    tx.commit().await
}

async fn forget_counts_in(tx: &mut Tx, field_id: i64) -> Result<()> {
    tx.execute("DELETE FROM counted_fields WHERE field_id = $1", &crate::params![field_id]).await?;
    tx.execute("DELETE FROM value_counts WHERE field_id = $1", &crate::params![field_id]).await?;
    Ok(())
}

fn statistics_name(field_id: i64) -> String {
    format!("items_s{field_id}")
}

/// Drops the field's indexes (both kinds) and statistics, inside the caller's transaction.
pub async fn drop_in(tx: &mut Tx, field_id: i64) -> Result<()> {
    for unique in [false, true] {
        tx.execute(&format!("DROP INDEX IF EXISTS {}", index_name(field_id, unique)), &[]).await?;
    }
    if tx.backend() == Backend::Postgres {
        tx.execute(&format!("DROP STATISTICS IF EXISTS {}", statistics_name(field_id)), &[]).await?;
    }
    forget_counts_in(tx, field_id).await
}

/// Drops one kind of the field's index, outside a transaction (when `unique`/`indexed` is
/// switched off).
pub async fn drop(db: &Db, field_id: i64, unique: bool) -> Result<()> {
    let concurrently = if db.backend() == Backend::Postgres { "CONCURRENTLY " } else { "" };
    db.execute_outside_transaction(&format!("DROP INDEX {concurrently}IF EXISTS {}", index_name(field_id, unique)))
        .await?;
    if db.backend() == Backend::Postgres {
        db.execute_outside_transaction(&format!("DROP STATISTICS IF EXISTS {}", statistics_name(field_id))).await?;
    }
    if !unique {
        forget_counts(db, field_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(unique_field_in("UNIQUE constraint failed: index 'items_u42'"), Some(42));
        assert_eq!(unique_field_in("duplicate key value violates unique constraint \"items_u7\""), Some(7));
        assert_eq!(unique_field_in("UNIQUE constraint failed: items.reference"), None);
    }
}
