//! One storage interface over two backends.
//!
//! Store functions write SQL once, with `$1`-style placeholders (both backends accept them),
//! pass parameters as [`Value`]s and read results as [`Row`]s. Only this module and the
//! backend's own (`sqlite.rs`) know the drivers: sqlx for PostgreSQL, rusqlite for SQLite
//! (measured: docs/performance.md).
//!
//! SQLite runs with one writer connection and a few readers (WAL lets readers proceed while
//! the writer commits); PostgreSQL uses one pool for both.

use std::{sync::Arc, time::Duration};

use sqlx::{
    postgres::{PgPoolOptions, PgRow},
    Column, PgPool, Postgres, Row as _, TypeInfo, ValueRef,
};

use crate::{
    error::{Result, StoreError},
    sqlite::{SqliteDb, SqliteTx},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://path/to/file.db` or `postgres://…`.
    pub url: String,
    /// PostgreSQL pool size; SQLite readers.
    pub max_connections: u32,
}

/// A query parameter. Each variant carries its type even when null, because PostgreSQL types
/// parameters strictly (a NULL sent as text cannot go into a bigint column).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Json(Option<serde_json::Value>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(Some(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(Some(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_string))
    }
}
impl From<Option<serde_json::Value>> for Value {
    fn from(v: Option<serde_json::Value>) -> Self {
        Value::Json(v)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::Json(Some(v))
    }
}

/// `params![a, b]` builds an array of `Value`s (pass it as `&params![…]`).
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { [$($crate::db::Value::from($v)),*] };
}

/// A decoded cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Json(serde_json::Value),
}

/// A result row, read by column name. Accessors convert between the backends' representations
/// (SQLite keeps booleans as integers and JSON as text).
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    cells: Vec<Cell>,
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, cells: Vec<Cell>) -> Row {
        Row { columns, cells }
    }

    fn cell(&self, name: &str) -> Result<&Cell> {
        self.columns
            .iter()
            .position(|c| c == name)
            .map(|i| &self.cells[i])
            .ok_or_else(|| StoreError::Decode(format!("no column {name}")))
    }

    fn mismatch(name: &str, want: &str, cell: &Cell) -> StoreError {
        StoreError::Decode(format!("column {name}: expected {want}, found {cell:?}"))
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>> {
        match self.cell(name)? {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            Cell::Bool(v) => Ok(Some(*v as i64)),
            other => Err(Self::mismatch(name, "integer", other)),
        }
    }

    pub fn i64(&self, name: &str) -> Result<i64> {
        required(name, self.opt_i64(name)?)
    }

    pub fn opt_f64(&self, name: &str) -> Result<Option<f64>> {
        match self.cell(name)? {
            Cell::Null => Ok(None),
            Cell::Real(v) => Ok(Some(*v)),
            Cell::Int(v) => Ok(Some(*v as f64)),
            other => Err(Self::mismatch(name, "number", other)),
        }
    }

    pub fn f64(&self, name: &str) -> Result<f64> {
        required(name, self.opt_f64(name)?)
    }

    pub fn opt_text(&self, name: &str) -> Result<Option<String>> {
        match self.cell(name)? {
            Cell::Null => Ok(None),
            Cell::Text(v) => Ok(Some(v.clone())),
            other => Err(Self::mismatch(name, "text", other)),
        }
    }

    pub fn text(&self, name: &str) -> Result<String> {
        required(name, self.opt_text(name)?)
    }

    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.cell(name)? {
            Cell::Bool(v) => Ok(*v),
            Cell::Int(v) => Ok(*v != 0),
            other => Err(Self::mismatch(name, "boolean", other)),
        }
    }

    pub fn json(&self, name: &str) -> Result<serde_json::Value> {
        match self.cell(name)? {
            Cell::Null => Ok(serde_json::Value::Null),
            Cell::Json(v) => Ok(v.clone()),
            Cell::Text(v) => {
                serde_json::from_str(v).map_err(|e| StoreError::Decode(format!("column {name}: bad JSON: {e}")))
            }
            other => Err(Self::mismatch(name, "JSON", other)),
        }
    }
}

/// A value a NOT NULL column must have.
fn required<T>(name: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| StoreError::Decode(format!("column {name} is null")))
}

fn columns_of<R: sqlx::Row>(row: &R) -> Arc<[String]> {
    row.columns().iter().map(|c| c.name().to_string()).collect()
}

fn pg_row(row: &PgRow, columns: &Arc<[String]>) -> Result<Row> {
    let mut cells = Vec::with_capacity(columns.len());
    for i in 0..columns.len() {
        let raw = row.try_get_raw(i)?;
        let cell = if raw.is_null() {
            Cell::Null
        } else {
            match raw.type_info().name() {
                "INT8" => Cell::Int(row.try_get(i)?),
                "INT4" => Cell::Int(row.try_get::<i32, _>(i)? as i64),
                "INT2" => Cell::Int(row.try_get::<i16, _>(i)? as i64),
                "FLOAT8" => Cell::Real(row.try_get(i)?),
                "FLOAT4" => Cell::Real(row.try_get::<f32, _>(i)? as f64),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Cell::Text(row.try_get(i)?),
                "BOOL" => Cell::Bool(row.try_get(i)?),
                "JSONB" | "JSON" => Cell::Json(row.try_get::<sqlx::types::Json<serde_json::Value>, _>(i)?.0),
                other => return Err(StoreError::Decode(format!("unsupported PostgreSQL type {other}"))),
            }
        };
        cells.push(cell);
    }
    Ok(Row { columns: columns.clone(), cells })
}

fn convert<R: sqlx::Row>(rows: Vec<R>, f: impl Fn(&R, &Arc<[String]>) -> Result<Row>) -> Result<Vec<Row>> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let columns = columns_of(first);
    rows.iter().map(|r| f(r, &columns)).collect()
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// Binds every parameter with the Rust type that matches its variant; the same for both backends.
macro_rules! bind_all {
    ($sql:expr, $params:expr) => {{
        let mut q = sqlx::query($sql);
        for p in $params {
            q = match p {
                Value::Int(v) => q.bind(*v),
                Value::Real(v) => q.bind(*v),
                Value::Text(v) => q.bind(v.as_deref()),
                Value::Bool(v) => q.bind(*v),
                Value::Json(v) => q.bind(v.as_ref().map(sqlx::types::Json)),
            };
        }
        q
    }};
}

fn bind_pg<'q>(sql: &'q str, params: &'q [Value]) -> PgQuery<'q> {
    bind_all!(sql, params)
}

/// A PostgreSQL statement's rows, on the pool or inside a transaction.
async fn fetch_all_pg<'e>(
    executor: impl sqlx::Executor<'e, Database = Postgres>,
    sql: &str,
    params: &[Value],
) -> Result<Vec<Row>> {
    convert(bind_pg(sql, params).fetch_all(executor).await.map_err(StoreError::from_sqlx)?, pg_row)
}

/// The database handle, cheap to clone.
#[derive(Clone)]
pub enum Db {
    Sqlite { sqlite: Arc<SqliteDb>, group: Arc<crate::group::Group> },
    Postgres(PgPool),
}

impl Db {
    /// Opens the database (creating a SQLite file if needed). Does not migrate.
    pub async fn connect(options: &DbOptions) -> Result<Db> {
        if options.url.starts_with("postgres://") || options.url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect(&options.url)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let sqlite = SqliteDb::open(&options.url, options.max_connections.min(8))?;
        Ok(Db::Sqlite { sqlite: Arc::new(sqlite), group: crate::group::Group::start() })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Reads on the reader pool.
    pub async fn fetch_all(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match self {
            Db::Sqlite { sqlite, .. } => sqlite.fetch_all(sql, params).await,
            Db::Postgres(pool) => fetch_all_pg(pool, sql, params).await,
        }
    }

    pub async fn fetch_optional(&self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }

    pub async fn fetch_one(&self, sql: &str, params: &[Value]) -> Result<Row> {
        self.fetch_optional(sql, params).await?.ok_or(StoreError::NotFound)
    }

    /// A single write outside a transaction, on the writer (on PostgreSQL, a statement on its
    /// own is its own transaction).
    pub async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        if let Db::Postgres(pool) = self {
            return Ok(bind_pg(sql, params).execute(pool).await.map_err(StoreError::from_sqlx)?.rows_affected());
        }
        let mut tx = self.begin().await?;
        let n = tx.execute(sql, params).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A write transaction (on SQLite, on the single writer connection).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { sqlite, .. } => Tx::new(Conn::Sqlite(sqlite.begin().await?)),
            Db::Postgres(pool) => Tx::new(Conn::Postgres(PgTx::Deferred(pool.clone()))),
        })
    }

    /// A statement that must not run inside a transaction (PostgreSQL's `CREATE INDEX
    /// CONCURRENTLY`); on SQLite it runs on the writer.
    pub async fn execute_outside_transaction(&self, sql: &str) -> Result<()> {
        match self {
            Db::Sqlite { sqlite, .. } => sqlite.execute_batch(sql).await?,
            Db::Postgres(pool) => {
                sqlx::raw_sql(sql).execute(pool).await.map_err(StoreError::from_sqlx)?;
            }
        }
        Ok(())
    }

    /// Whether the database answers (for `/ready`).
    pub async fn ping(&self) -> Result<()> {
        self.fetch_one("SELECT 1 AS one", &[]).await.map(|_| ())
    }

    /// Pool use for `/metrics`: (connections open, of which idle).
    pub fn pool_stats(&self) -> (u32, u32) {
        match self {
            Db::Sqlite { sqlite, .. } => sqlite.stats(),
            Db::Postgres(pool) => (pool.size(), pool.num_idle() as u32),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { sqlite, group } => {
                group.close().await;
                sqlite.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    pub(crate) fn group(&self) -> Option<&Arc<crate::group::Group>> {
        match self {
            Db::Sqlite { group, .. } => Some(group),
            Db::Postgres(_) => None,
        }
    }

    /// The SQLite file, for the migrator.
    pub(crate) fn sqlite_path(&self) -> Option<&std::path::Path> {
        match self {
            Db::Sqlite { sqlite, .. } => Some(&sqlite.path),
            Db::Postgres(_) => None,
        }
    }

    pub(crate) fn pg_pool(&self) -> Option<&PgPool> {
        match self {
            Db::Postgres(pool) => Some(pool),
            Db::Sqlite { .. } => None,
        }
    }
}

/// Either a plain read or a read inside a write transaction, for store functions that serve both.
pub enum Reader<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl Reader<'_> {
    pub async fn fetch_all(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match self {
            Reader::Db(db) => db.fetch_all(sql, params).await,
            Reader::Tx(tx) => tx.read(sql, params).await,
        }
    }

    pub async fn fetch_optional(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }
}

/// A write transaction. Dropped without [`Tx::commit`], it rolls back.
///
/// It also holds the events its commands appended (`events::append`): they are written
/// together, in the order appended, just before the transaction commits (or its writer's
/// savepoint is released, `group.rs`). One statement for all of a command's events, and on
/// PostgreSQL the event log's workspace lock held only from that statement to the commit.
///
/// On PostgreSQL the transaction begins with its first statement, not before: a command's
/// plain reads before its first write ([`Reader::Tx`]) run on the pool, which at READ COMMITTED
/// sees what they would have seen inside, and a command whose only write is one statement runs
/// it as its own transaction ([`Tx::fetch_last`]). A create is then one round trip instead of
/// BEGIN, the insert, the events and COMMIT (docs/performance.md, issue 17).
pub struct Tx {
    conn: Conn,
    pub(crate) events: Vec<crate::events::Pending>,
}

enum Conn {
    Sqlite(SqliteTx),
    Postgres(PgTx),
}

enum PgTx {
    /// Nothing sent yet.
    Deferred(PgPool),
    Open(sqlx::Transaction<'static, Postgres>),
    /// Its last statement ran as its own transaction ([`Tx::fetch_last`]): nothing may follow.
    Done,
}

impl PgTx {
    /// The open transaction, begun now if it was not.
    async fn open(&mut self) -> Result<&mut sqlx::Transaction<'static, Postgres>> {
        if let PgTx::Deferred(pool) = self {
            *self = PgTx::Open(pool.begin().await?);
        }
        match self {
            PgTx::Open(tx) => Ok(tx),
            _ => Err(StoreError::Decode("a statement after the transaction's last one".into())),
        }
    }
}

impl Tx {
    fn new(conn: Conn) -> Tx {
        Tx { conn, events: Vec::new() }
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        Ok(match &mut self.conn {
            Conn::Sqlite(tx) => tx.execute(sql, params)?,
            Conn::Postgres(tx) => bind_pg(sql, params)
                .execute(&mut **tx.open().await?)
                .await
                .map_err(StoreError::from_sqlx)?
                .rows_affected(),
        })
    }

    pub async fn fetch_all(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match &mut self.conn {
            Conn::Sqlite(tx) => tx.fetch_all(sql, params),
            Conn::Postgres(tx) => fetch_all_pg(&mut **tx.open().await?, sql, params).await,
        }
    }

    pub async fn fetch_optional(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }

    pub async fn fetch_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.fetch_optional(sql, params).await?.ok_or(StoreError::NotFound)
    }

    /// A plain read (no row locks): inside the transaction once it has begun, on the pool
    /// before (it has written nothing yet that the read should see).
    pub(crate) async fn read(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match &self.conn {
            Conn::Postgres(PgTx::Deferred(pool)) => fetch_all_pg(pool, sql, params).await,
            _ => self.fetch_all(sql, params).await,
        }
    }

    /// The command's last statement (nothing but the commit follows). On PostgreSQL, in a
    /// transaction not yet begun, it runs as its own transaction: committed when it returns,
    /// and the transaction is done (a later statement is refused, as a bug).
    pub(crate) async fn fetch_last(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let Conn::Postgres(PgTx::Deferred(pool)) = &self.conn else { return self.fetch_all(sql, params).await };
        debug_assert!(self.events.is_empty(), "the last statement carries the transaction's events");
        let rows = fetch_all_pg(pool, sql, params).await?;
        self.conn = Conn::Postgres(PgTx::Done);
        Ok(rows)
    }

    /// Writes the appended events, then commits.
    pub async fn commit(mut self) -> Result<()> {
        crate::events::flush(&mut self).await?;
        match self.conn {
            Conn::Sqlite(tx) => tx.commit()?,
            Conn::Postgres(PgTx::Open(tx)) => tx.commit().await?,
            Conn::Postgres(PgTx::Deferred(_) | PgTx::Done) => {}
        }
        Ok(())
    }
}
