use std::collections::HashMap;

use enspace_domain::list::{FieldKind, ListQuery};

use crate::{
    api_keys,
    db::{Db, Row},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
    record::{self, Record},
};

/// One authenticated request, as recorded after it completed.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLog {
    pub id: i64,
    pub user_id: i64,
    pub created_at: i64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: i64,
    pub duration_ms: f64,
    pub workspace: Option<String>,
    pub key_id: Option<i64>,
    pub key_reference: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: String,
}

const COLUMNS: &str =
    "id, user_id, created_at, method, path, query, status, duration_ms, workspace, key_reference, ip, user_agent, request_id";

impl Record for RequestLog {
    const FROM: &'static str = "request_logs";
    const COLUMNS: &'static str = COLUMNS;
    const SCOPE: &'static str = "user_id";
    const ID: &'static str = "id";
    const LIST: &'static ListSpec = &LIST;

    fn from_row(row: &Row) -> Result<RequestLog> {
        Ok(RequestLog {
            id: row.i64("id")?,
            user_id: row.i64("user_id")?,
            created_at: row.i64("created_at")?,
            method: row.text("method")?,
            path: row.text("path")?,
            query: row.text("query")?,
            status: row.i64("status")?,
            duration_ms: row.f64("duration_ms")?,
            workspace: row.opt_text("workspace")?,
            key_id: None,
            key_reference: row.opt_text("key_reference")?,
            ip: row.opt_text("ip")?,
            user_agent: row.opt_text("user_agent")?,
            request_id: row.text("request_id")?,
        })
    }
}

/// Rows per INSERT statement (13 parameters each stays far below both backends' limits).
const ROWS_PER_STATEMENT: usize = 200;

/// Writes a batch in one transaction and records the keys' last use.
pub async fn insert_batch(db: &Db, batch: &[RequestLog]) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO request_logs (user_id, created_at, method, path, query, status, duration_ms, workspace, \
             key_reference, ip, user_agent, request_id) VALUES ",
        );
        for (i, log) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(log.user_id).push(", ").bind(log.created_at).push(", ").bind(&log.method).push(", ");
            sql.bind(&log.path).push(", ").bind(&log.query).push(", ").bind(log.status).push(", ");
            sql.bind(log.duration_ms).push(", ").bind(log.workspace.clone()).push(", ");
            sql.bind(log.key_reference.clone()).push(", ").bind(log.ip.clone()).push(", ");
            sql.bind(log.user_agent.clone()).push(", ").bind(&log.request_id).push(")");
        }
        tx.execute(&sql.text, &sql.params).await?;
    }
    let mut uses: HashMap<i64, i64> = HashMap::new();
    for log in batch {
        if let Some(key_id) = log.key_id {
            let at = uses.entry(key_id).or_insert(log.created_at);
            *at = (*at).max(log.created_at);
        }
    }
    api_keys::touch(&mut tx, &uses).await?;
    tx.commit().await
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "id" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "created_at" },
        ListField {
            name: "method",
            kind: FieldKind::Enum(&["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            sql: "method",
        },
        ListField { name: "path", kind: FieldKind::Text, sql: "path" },
        ListField { name: "status", kind: FieldKind::Int, sql: "status" },
        ListField { name: "duration_ms", kind: FieldKind::Real, sql: "duration_ms" },
        ListField { name: "workspace", kind: FieldKind::Text, sql: "workspace" },
        ListField { name: "key_reference", kind: FieldKind::Text, sql: "key_reference" },
        ListField { name: "request_id", kind: FieldKind::Text, sql: "request_id" },
    ],
    search: &["path", "workspace", "user_agent"],
    default_sort: ("id", true),
};

pub async fn list(db: &Db, user_id: i64, query: &ListQuery) -> Result<Vec<RequestLog>> {
    record::list(db, user_id, query).await
}

pub async fn count(db: &Db, user_id: i64, query: &ListQuery) -> Result<i64> {
    record::count::<RequestLog>(db, user_id, query).await
}

/// Removes rows older than `before` (retention). Idempotent, so any process may run it.
pub async fn prune(db: &Db, before: i64) -> Result<u64> {
    db.execute("DELETE FROM request_logs WHERE created_at < $1", &params![before]).await
}
