//! One way to read the rows of a resource: a [`Record`] says which table, which columns, what
//! scopes it (its workspace, or for keys and logs its user) and how a row becomes the record;
//! [`get`], [`list`] and [`count`] are the one implementation of the reads every resource has.
//! The scope is in every query, so no read of a record can cross a workspace.

use enspace_domain::list::ListQuery;

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListSpec, Sql},
    params,
};

pub trait Record: Sized {
    /// `<table> <alias>`, as in a FROM clause.
    const FROM: &'static str;
    /// The alias's selected columns.
    const COLUMNS: &'static str;
    /// The column (with its alias) that scopes every read.
    const SCOPE: &'static str;
    /// The id column, with its alias.
    const ID: &'static str;
    /// Filters and sorts of the list.
    const LIST: &'static ListSpec;
    /// A condition every read adds (rows that are tombstoned, or whose parent is), if any.
    const ALIVE: &'static str = "";

    fn from_row(row: &Row) -> Result<Self>;
}

fn alive<R: Record>() -> String {
    if R::ALIVE.is_empty() {
        String::new()
    } else {
        format!(" AND {}", R::ALIVE)
    }
}

fn scoped<R: Record>(head: &str, scope: i64) -> Sql {
    let mut sql = Sql::new(head);
    sql.push(" FROM ").push(R::FROM).push(" WHERE ").push(R::SCOPE).push(" = ").bind(scope);
    sql.push(&alive::<R>());
    sql
}

fn by_id<R: Record>() -> String {
    format!("SELECT {} FROM {} WHERE {} = $1 AND {} = $2{}", R::COLUMNS, R::FROM, R::SCOPE, R::ID, alive::<R>())
}

/// One record by id within its scope.
pub async fn get<R: Record>(db: &Db, scope: i64, id: i64) -> Result<Option<R>> {
    db.fetch_optional(&by_id::<R>(), &params![scope, id]).await?.as_ref().map(R::from_row).transpose()
}

/// [`get`] inside a transaction (what a command is about to change).
pub async fn get_in<R: Record>(tx: &mut Tx, scope: i64, id: i64) -> Result<Option<R>> {
    tx.fetch_optional(&by_id::<R>(), &params![scope, id]).await?.as_ref().map(R::from_row).transpose()
}

/// A page of the scope's records, filtered and sorted by `query` (the list-query engine).
pub async fn list<R: Record>(db: &Db, scope: i64, query: &ListQuery) -> Result<Vec<R>> {
    list_where::<R>(db, scope, query, &|_| {}).await
}

/// How many of the scope's records `query`'s filters select.
pub async fn count<R: Record>(db: &Db, scope: i64, query: &ListQuery) -> Result<i64> {
    count_where::<R>(db, scope, query, &|_| {}).await
}

/// [`list`] with a further condition `extra` appends (` AND …`): what the caller may see.
pub async fn list_where<R: Record>(
    db: &Db,
    scope: i64,
    query: &ListQuery,
    extra: &(dyn Fn(&mut Sql) + Sync),
) -> Result<Vec<R>> {
    let mut sql = scoped::<R>(&format!("SELECT {}", R::COLUMNS), scope);
    extra(&mut sql);
    R::LIST.push_conditions(&mut sql, db.backend(), query);
    R::LIST.push_page(&mut sql, query);
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(R::from_row).collect()
}

/// [`count`] with a further condition, as [`list_where`].
pub async fn count_where<R: Record>(
    db: &Db,
    scope: i64,
    query: &ListQuery,
    extra: &(dyn Fn(&mut Sql) + Sync),
) -> Result<i64> {
    let mut sql = scoped::<R>("SELECT COUNT(*) AS n", scope);
    extra(&mut sql);
    R::LIST.push_conditions(&mut sql, db.backend(), query);
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

/// The sum of the integer expression `column` over the records `query` selects (0 for none).
pub async fn sum_where<R: Record>(
    db: &Db,
    scope: i64,
    query: &ListQuery,
    extra: &(dyn Fn(&mut Sql) + Sync),
    column: &str,
) -> Result<i64> {
    // PostgreSQL sums BIGINT as NUMERIC: cast back so both backends answer an integer.
    let mut sql = scoped::<R>(&format!("SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS n"), scope);
    extra(&mut sql);
    R::LIST.push_conditions(&mut sql, db.backend(), query);
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

/// The scope's records whose `column` (with its alias) equals `value`, ordered by `order`,
/// inside a transaction: what a command reads of the configuration it runs.
pub async fn all_in<R: Record>(tx: &mut Tx, scope: i64, column: &str, value: i64, order: &str) -> Result<Vec<R>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = $1{} AND {column} = $2 ORDER BY {order}",
        R::COLUMNS,
        R::FROM,
        R::SCOPE,
        alive::<R>()
    );
    tx.fetch_all(&sql, &params![scope, value]).await?.iter().map(R::from_row).collect()
}
