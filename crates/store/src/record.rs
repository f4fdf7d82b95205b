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

    fn from_row(row: &Row) -> Result<Self>;
}

fn scoped<R: Record>(head: &str, scope: i64) -> Sql {
    let mut sql = Sql::new(head);
    sql.push(" FROM ").push(R::FROM).push(" WHERE ").push(R::SCOPE).push(" = ").bind(scope);
    sql
}

/// One record by id within its scope.
pub async fn get<R: Record>(db: &Db, scope: i64, id: i64) -> Result<Option<R>> {
    let sql = format!("SELECT {} FROM {} WHERE {} = $1 AND {} = $2", R::COLUMNS, R::FROM, R::SCOPE, R::ID);
    db.fetch_optional(&sql, &params![scope, id]).await?.as_ref().map(R::from_row).transpose()
}

/// [`get`] inside a transaction (what a command is about to change).
pub async fn get_in<R: Record>(tx: &mut Tx, scope: i64, id: i64) -> Result<Option<R>> {
    let sql = format!("SELECT {} FROM {} WHERE {} = $1 AND {} = $2", R::COLUMNS, R::FROM, R::SCOPE, R::ID);
    tx.fetch_optional(&sql, &params![scope, id]).await?.as_ref().map(R::from_row).transpose()
}

/// A page of the scope's records, filtered and sorted by `query` (the list-query engine).
pub async fn list<R: Record>(db: &Db, scope: i64, query: &ListQuery) -> Result<Vec<R>> {
    let mut sql = scoped::<R>(&format!("SELECT {}", R::COLUMNS), scope);
    R::LIST.push_conditions(&mut sql, db.backend(), query);
    R::LIST.push_page(&mut sql, query);
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(R::from_row).collect()
}

/// How many of the scope's records `query`'s filters select.
pub async fn count<R: Record>(db: &Db, scope: i64, query: &ListQuery) -> Result<i64> {
    let mut sql = scoped::<R>("SELECT COUNT(*) AS n", scope);
    R::LIST.push_conditions(&mut sql, db.backend(), query);
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}
