//! The SQLite backend on rusqlite, called inline.
//!
//! Measured (`benches/sqlite_drivers.rs`, docs/performance.md): sqlx's SQLite driver runs each
//! statement on a worker thread per connection and costs 40–155 µs a statement in task
//! switches; rusqlite called inline costs 5–12 µs. Statements here are short (indexed reads,
//! single-row writes, pages of at most the list limit), so they run on the calling task.
//!
//! One writer connection behind an async lock (a transaction holds it across awaits) and a few
//! read-only connections (WAL lets them read while the writer commits). Migrations still go
//! through sqlx's migrator (`migrate.rs`), which keeps their bookkeeping table as it was.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex as SyncMutex},
    time::Duration,
};

use rusqlite::{types::ValueRef, Connection, OpenFlags};
use tokio::sync::{Mutex, OwnedMutexGuard, Semaphore};

use crate::{
    db::{Cell, Row, Value},
    error::{Result, StoreError},
};

/// Statements kept prepared per connection: the item path uses a few dozen distinct texts.
const STATEMENT_CACHE: usize = 256;

pub struct SqliteDb {
    pub(crate) path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<SyncMutex<Vec<Connection>>>,
    reader_slots: Arc<Semaphore>,
    reader_count: usize,
}

/// rusqlite errors as the store's: a unique or primary-key violation is a conflict.
pub(crate) fn store_error(error: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &error {
        let code = failure.extended_code;
        if code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY {
            return StoreError::Conflict(message.clone().unwrap_or_else(|| error.to_string()));
        }
    }
    StoreError::Sqlite(error)
}

fn configure(conn: &Connection, writer: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if writer {
        // WAL: readers go on while the writer commits. FULL: a commit is on disk before the
        // client hears 201 (DESIGN: nothing answered as created may be lost by a crash);
        // grouped commits (`group.rs`) are how creates stay fast.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Each grouped write runs in a savepoint (`group.rs`), whose statement journal copies
        // every page the write touches first; past 64 KiB SQLite spills it to a temporary file,
        // and writing that file was an eighth of the writer's time on a type with a flow
        // (docs/performance.md). In memory it is a copy, needed only to undo the savepoint,
        // never after a crash. Sorts of an index build stay in memory too (tens of MiB at a
        // million items).
        conn.pragma_update(None, "temp_store", "MEMORY")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // SQLite's LIKE and lower() fold ASCII only; `contains` and `_q` fold like the in-memory
    // conditions do (`list::fold_case`, decision 7), so "são" finds "SÃO".
    conn.create_scalar_function(
        "enspace_lower",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8 | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Text(bytes) => {
                    Some(enspace_domain::list::fold_case(&String::from_utf8_lossy(bytes)))
                }
                rusqlite::types::ValueRef::Null => None,
                other => Some(enspace_domain::list::fold_case(&match other {
                    rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                    rusqlite::types::ValueRef::Real(r) => r.to_string(),
                    _ => String::new(),
                })),
            })
        },
    )?;
    Ok(())
}

impl SqliteDb {
    /// Opens (creating if needed) the database at `sqlite://<path>`.
    pub fn open(url: &str, readers: u32) -> Result<SqliteDb> {
        let path = PathBuf::from(url.trim_start_matches("sqlite://").trim_start_matches("sqlite:"));
        let writer = Connection::open(&path).map_err(store_error)?;
        configure(&writer, true).map_err(store_error)?;
        let reader_count = readers.max(2) as usize;
        let mut pool = Vec::with_capacity(reader_count);
        for _ in 0..reader_count {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(store_error)?;
            configure(&conn, false).map_err(store_error)?;
            pool.push(conn);
        }
        Ok(SqliteDb {
            path,
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(SyncMutex::new(pool)),
            reader_slots: Arc::new(Semaphore::new(reader_count)),
            reader_count,
        })
    }

    /// A read on one of the reader connections.
    pub async fn fetch_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let _slot =
            self.reader_slots.acquire().await.map_err(|_| StoreError::Commit("the database is closed".into()))?;
        let conn = self.readers.lock().map_err(|_| poisoned())?.pop().ok_or_else(poisoned)?;
        let result = fetch(&conn, sql, params);
        self.readers.lock().map_err(|_| poisoned())?.push(conn);
        result
    }

    pub async fn begin(&self) -> Result<SqliteTx> {
        let conn = self.writer.clone().lock_owned().await;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(store_error)?;
        Ok(SqliteTx { conn, open: true })
    }

    /// A statement outside any transaction (index builds), on the writer.
    pub async fn execute_batch(&self, sql: &str) -> Result<()> {
        let conn = self.writer.lock().await;
        conn.execute_batch(sql).map_err(store_error)
    }

    /// (connections, of which idle).
    pub fn stats(&self) -> (u32, u32) {
        let idle_readers = self.readers.lock().map(|r| r.len()).unwrap_or(0);
        let writer_idle = usize::from(self.writer.try_lock().is_ok());
        ((self.reader_count + 1) as u32, (idle_readers + writer_idle) as u32)
    }

    pub async fn close(&self) {
        self.reader_slots.close();
        // Checkpoint the WAL into the main file so a stopped server leaves one file behind.
        let conn = self.writer.lock().await;
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

fn poisoned() -> StoreError {
    StoreError::Commit("a SQLite reader connection was lost".into())
}

/// A write transaction on the writer connection; dropped without commit, it rolls back.
pub struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

impl SqliteTx {
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut statement = self.conn.prepare_cached(&numbered(sql)).map_err(store_error)?;
        bind(&mut statement, params)?;
        statement.raw_execute().map(|n| n as u64).map_err(store_error)
    }

    pub fn fetch_all(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        fetch(&self.conn, sql, params)
    }

    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.conn.execute_batch("COMMIT").map_err(store_error)
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// The statement with `$n` written as SQLite's `?n`: a `?n` parameter has index `n` whatever
/// the order the statement names them in, so binding is by position. (Reading each `$n`
/// parameter's name back instead costs a scan of the statement's names per parameter:
/// quadratic in a multi-row insert, a ninth of the server's time on flow creates.) A `$` is
/// followed by a digit only as a parameter in this code base's SQL (JSON paths are `'$.…'`).
fn numbered(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut bytes = sql.as_bytes().to_vec();
    for i in 1..bytes.len() {
        if bytes[i - 1] == b'$' && bytes[i].is_ascii_digit() {
            bytes[i - 1] = b'?';
        }
    }
    // One ASCII byte replaced by another: still the UTF-8 it was.
    std::borrow::Cow::Owned(String::from_utf8(bytes).expect("ASCII replaced by ASCII"))
}

/// Binds `?n` (written `$n`, [`numbered`]) to `params[n - 1]`.
fn bind(statement: &mut rusqlite::CachedStatement<'_>, params: &[Value]) -> Result<()> {
    let count = statement.parameter_count();
    if count > params.len() {
        return Err(StoreError::Decode(format!("the statement has {count} parameters, {} given", params.len())));
    }
    for (i, value) in params.iter().take(count).enumerate() {
        let index = i + 1;
        let result = match value {
            Value::Int(v) => statement.raw_bind_parameter(index, v),
            Value::Real(v) => statement.raw_bind_parameter(index, v),
            Value::Text(v) => statement.raw_bind_parameter(index, v),
            Value::Bool(v) => statement.raw_bind_parameter(index, v),
            // `to_string` goes through `Display` and the formatting machinery; this writes bytes.
            Value::Json(v) => statement.raw_bind_parameter(
                index,
                v.as_ref().map(|j| serde_json::to_string(j).expect("a JSON value always serializes")),
            ),
        };
        result.map_err(store_error)?;
    }
    Ok(())
}

fn fetch(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let mut statement = conn.prepare_cached(&numbered(sql)).map_err(store_error)?;
    bind(&mut statement, params)?;
    let columns: Arc<[String]> = statement.column_names().iter().map(|c| c.to_string()).collect();
    let width = columns.len();
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(store_error)? {
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(match row.get_ref(i).map_err(store_error)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Real(v) => Cell::Real(v),
                ValueRef::Text(v) => Cell::Text(String::from_utf8_lossy(v).into_owned()),
                ValueRef::Blob(_) => return Err(StoreError::Decode("unexpected blob".into())),
            });
        }
        out.push(Row::new(columns.clone(), cells));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn parameters_are_numbered_and_json_paths_kept() {
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
        assert_eq!(
            numbered("SELECT json_extract(data, '$.a') FROM t WHERE b = $2 AND a = $1 AND c = $12"),
            "SELECT json_extract(data, '$.a') FROM t WHERE b = ?2 AND a = ?1 AND c = ?12"
        );
    }
}
