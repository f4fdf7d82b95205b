//! The event log (spec/events.md): one row per change, appended by the engine's commands in the
//! transaction of the change, so a reader never sees a change the database does not hold, nor
//! misses one a client was told succeeded.
//!
//! An item's history is its events (`item_id`): each change is recorded once, and history reads
//! are a query of the log. Events about an item are kept as long as the item.
//!
//! Order: ids grow with every event, and a reader resuming after an id never skips one that
//! committed later: readers read up to a head ([`head`]) below which every id is final. SQLite's
//! single writer commits in id order, so the highest id is the head. On PostgreSQL an id is
//! taken before its transaction commits, so two writers may commit out of id order. Each writer
//! takes its workspace's log lock in *shared* mode before it draws its ids and holds it to
//! commit: writers of one workspace never wait for each other, so their commits group (one WAL
//! flush for many). A reader's head takes the same lock in *exclusive* mode for an instant: it
//! waits for the writers that hold ids then (new writers wait behind it), so every id up to
//! the highest it saw is committed or rolled back when it answers. Until issue 17 writers took
//! the lock exclusively among themselves, which made one workspace's commits one at a time
//! (measured: creates in one workspace capped near 800/s on PostgreSQL; see docs/performance.md).

use enspace_domain::list::{FieldKind, ListQuery};
use serde_json::{Map, Value as Json};

use crate::{
    db::{Backend, Db, Row, Tx, Value},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
};

/// Who made a change: a user (with the key it used), a form filler known by email, or nobody
/// (the server's own work).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Actor<'a> {
    pub user_id: Option<i64>,
    pub email: Option<&'a str>,
    /// The API key's reference; none for a session.
    pub key: Option<&'a str>,
}

/// The thing an event is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The resource: `item`, `member`, `type`, …
    pub kind: &'a str,
    pub id: Option<i64>,
    pub reference: Option<&'a str>,
    /// The type the subject belongs to, and its slug: who may read the event.
    pub type_id: Option<i64>,
    pub item_type: Option<&'a str>,
    /// The item whose history this event is part of (the subject itself for item events).
    pub item_id: Option<i64>,
    /// That item's reference, when the subject is not the item itself.
    pub item_reference: Option<&'a str>,
}

pub struct NewEvent<'a> {
    pub workspace_id: i64,
    pub kind: &'a str,
    pub subject: Subject<'a>,
    /// `{key: {from, to}}`.
    pub changes: Map<String, Json>,
    pub actor: Actor<'a>,
    /// `api`, `form`, `flow`, `integration`, `system`.
    pub source: &'a str,
    pub now: i64,
}

/// Advisory lock keys of the event log: this class in the high bits, the workspace id below.
const EVENT_LOCK_CLASS: i64 = 0x4556 << 48;

const INSERT: &str = "INSERT INTO events (workspace_id, kind, subject_type, subject_id, subject_reference, type_id, \
    item_type, item_id, item_reference, changes, actor_user, actor_email, actor_key, source, created_at, audience)";

/// An appended event waiting in its transaction: its row's values, in [`INSERT`]'s order.
pub(crate) struct Pending {
    workspace_id: i64,
    values: [Value; 16],
}

/// Rows per statement when the appended events are written: under both databases' limits on
/// bound values (16 a row).
const ROWS_PER_INSERT: usize = 256;

/// Appends an event to the caller's transaction. It is written with the transaction's other
/// events when it commits ([`flush`]): nothing reads the log inside a write, and one statement
/// for a command's events is cheaper than one each.
pub fn append(tx: &mut Tx, event: NewEvent<'_>) {
    append_for(tx, event, None)
}

/// [`append`] with the event's audience attributes: who else may read it beside those its
/// kind's permission admits (a schedule task's responsibles and assignees, decision 65).
pub fn append_for(tx: &mut Tx, event: NewEvent<'_>, audience: Option<Json>) {
    let workspace_id = event.workspace_id;
    tx.events.push(Pending { workspace_id, values: values(event, audience) });
}

/// An event's row values, in [`INSERT`]'s order.
fn values(event: NewEvent<'_>, audience: Option<Json>) -> [Value; 16] {
    params![
        event.workspace_id,
        event.kind,
        event.subject.kind,
        event.subject.id,
        event.subject.reference,
        event.subject.type_id,
        event.subject.item_type,
        event.subject.item_id,
        event.subject.item_reference,
        Json::Object(event.changes),
        event.actor.user_id,
        event.actor.email,
        event.actor.key,
        event.source,
        event.now,
        audience
    ]
}

/// Positions of `subject_id` and `item_id` in [`INSERT`]'s columns.
const SUBJECT_ID: usize = 3;
const ITEM_ID: usize = 7;

/// Pushes a data-modifying `WITH` part that records `event` about the row the earlier part
/// `source` returns: its subject and item are that row's `id`. PostgreSQL only (SQLite has no
/// writes in `WITH`); the statement takes the workspace's log lock before the event's id is
/// drawn, as [`flush`] does, and must be its transaction's first event.
pub(crate) fn push_recorded(sql: &mut Sql, event: NewEvent<'_>, source: &str) {
    let workspace_id = event.workspace_id;
    sql.push(", recorded AS (").push(INSERT).push(" SELECT ");
    for (i, value) in values(event, None).into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        if i == SUBJECT_ID || i == ITEM_ID {
            sql.push(source).push(".id");
        } else {
            sql.bind(value);
        }
    }
    sql.push(" FROM ").push(source).push(", (SELECT ");
    push_writer_lock(sql, workspace_id);
    sql.push(") AS log_lock)");
}

/// A writer's hold on the workspace's log lock (shared among writers, to its commit).
fn push_writer_lock(sql: &mut Sql, workspace_id: i64) {
    sql.push("pg_advisory_xact_lock_shared(").bind(EVENT_LOCK_CLASS | workspace_id).push(")");
}

/// Writes the transaction's appended events in the order appended, and answers their ids. The
/// transaction's commit calls it; a caller may call it earlier. On PostgreSQL the same statement
/// first takes each of the events' workspaces' log locks (in workspace order), before their
/// ids are drawn: ids are then handed out in the order the transactions commit.
pub async fn flush(tx: &mut Tx) -> Result<Vec<i64>> {
    if tx.events.is_empty() {
        return Ok(Vec::new());
    }
    let mut pending = std::mem::take(&mut tx.events);
    let mut ids = Vec::with_capacity(pending.len());
    let mut workspaces: Vec<i64> = pending.iter().map(|p| p.workspace_id).collect();
    workspaces.sort_unstable();
    workspaces.dedup();
    let mut first_chunk = true;
    while !pending.is_empty() {
        let rest = pending.split_off(pending.len().min(ROWS_PER_INSERT));
        let chunk = std::mem::replace(&mut pending, rest);
        // The locks are volatile functions in a subquery: they run before the first row (and
        // its id) is made, and are never folded away. Only the first statement needs them; a
        // transaction keeps them to its end.
        let locked = first_chunk && tx.backend() == Backend::Postgres;
        let mut sql = Sql::new(INSERT);
        sql.push(if locked { " SELECT v.* FROM (VALUES " } else { " VALUES " });
        for (i, event) in chunk.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            // Moved, not cloned: `changes` holds a whole item's data on a create.
            sql.bind_list(event.values);
        }
        if locked {
            sql.push(") AS v, (SELECT ");
            for (i, workspace_id) in workspaces.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                push_writer_lock(&mut sql, *workspace_id);
            }
            sql.push(") AS log_lock");
        }
        sql.push(" RETURNING id");
        let mut written: Vec<i64> =
            tx.fetch_all(&sql.text, &sql.params).await?.iter().map(|r| r.i64("id")).collect::<Result<_>>()?;
        // RETURNING's order is not promised; the ids were drawn in row order.
        written.sort_unstable();
        ids.extend(written);
        first_chunk = false;
    }
    Ok(ids)
}

const COLUMNS: &str = "e.id, e.kind, e.subject_type, e.subject_id, e.subject_reference, e.type_id, e.item_type, \
    e.item_id, e.item_reference, e.changes, e.actor_user, e.actor_email, e.actor_key, e.source, e.created_at, \
    e.audience";

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub subject_reference: Option<String>,
    pub type_id: Option<i64>,
    pub item_type: Option<String>,
    pub item_id: Option<i64>,
    pub item_reference: Option<String>,
    pub changes: Map<String, Json>,
    pub actor_user: Option<i64>,
    pub actor_email: Option<String>,
    pub actor_key: Option<String>,
    pub source: String,
    pub created_at: i64,
    /// Who else may read it (see [`append_for`]).
    pub audience: Option<Json>,
}

impl EventRecord {
    fn from_row(row: &Row) -> Result<EventRecord> {
        let changes = match row.json("changes")? {
            Json::Object(map) => map,
            _ => Map::new(),
        };
        Ok(EventRecord {
            id: row.i64("id")?,
            kind: row.text("kind")?,
            subject_type: row.text("subject_type")?,
            subject_id: row.opt_i64("subject_id")?,
            subject_reference: row.opt_text("subject_reference")?,
            type_id: row.opt_i64("type_id")?,
            item_type: row.opt_text("item_type")?,
            item_id: row.opt_i64("item_id")?,
            item_reference: row.opt_text("item_reference")?,
            changes,
            actor_user: row.opt_i64("actor_user")?,
            actor_email: row.opt_text("actor_email")?,
            actor_key: row.opt_text("actor_key")?,
            source: row.text("source")?,
            audience: Some(row.json("audience")?).filter(|a| !a.is_null()),
            created_at: row.i64("created_at")?,
        })
    }
}

/// The feed's filters (spec/events.md § Reading it); `kind` patterns are expanded to
/// `kind_in` by the caller, so the list language sees plain values.
pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "e.id" },
        ListField { name: "kind", kind: FieldKind::Text, sql: "e.kind" },
        ListField { name: "subject.type", kind: FieldKind::Text, sql: "e.subject_type" },
        ListField { name: "subject.item_type", kind: FieldKind::Text, sql: "e.item_type" },
        ListField { name: "subject.reference", kind: FieldKind::Text, sql: "e.subject_reference" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "e.created_at" },
    ],
    search: &[],
    default_sort: ("id", false),
};

/// One page of the feed: up to `query.limit` events in `(after, through]`, oldest first,
/// matching `query`'s filters (its sort is ignored: the log is read in id order). `through` is
/// the [`head`] read first: a page shorter than the limit has looked at every event up to it.
pub async fn page(db: &Db, workspace_id: i64, after: i64, through: i64, query: &ListQuery) -> Result<Vec<EventRecord>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM events e WHERE e.workspace_id = "));
    sql.bind(workspace_id).push(" AND e.id > ").bind(after).push(" AND e.id <= ").bind(through);
    LIST.push_conditions(&mut sql, db.backend(), query);
    sql.push(" ORDER BY e.id LIMIT ").bind(i64::from(query.limit));
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(EventRecord::from_row).collect()
}

/// Up to `limit` events of the workspace in `(after, through]`, oldest first, unfiltered (the
/// webhook dispatcher's scan).
pub async fn after(db: &Db, workspace_id: i64, after: i64, through: i64, limit: i64) -> Result<Vec<EventRecord>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM events e WHERE e.workspace_id = $1 AND e.id > $2 AND e.id <= $3 ORDER BY e.id LIMIT $4"
        ),
        &params![workspace_id, after, through, limit],
    )
    .await?
    .iter()
    .map(EventRecord::from_row)
    .collect()
}

/// One event of the workspace.
pub async fn get(db: &Db, workspace_id: i64, id: i64) -> Result<Option<EventRecord>> {
    db.fetch_optional(
        &format!("SELECT {COLUMNS} FROM events e WHERE e.workspace_id = $1 AND e.id = $2"),
        &params![workspace_id, id],
    )
    .await?
    .as_ref()
    .map(EventRecord::from_row)
    .transpose()
}

/// The workspace's last event id (0 when none), as a reader's bound: no event at or below it
/// commits later. On PostgreSQL the statement takes the log lock exclusively, which waits for
/// the writers holding ids then; whichever of the lock and the `MAX` runs first, every id up to
/// the answer was drawn before the lock was granted, so is final when it returns (the lock is
/// released at the statement's end: autocommit).
pub async fn head(db: &Db, workspace_id: i64) -> Result<i64> {
    let row = match db.backend() {
        Backend::Sqlite => {
            db.fetch_one("SELECT MAX(id) AS head FROM events WHERE workspace_id = $1", &params![workspace_id]).await?
        }
        Backend::Postgres => {
            db.fetch_one(
                "SELECT (SELECT MAX(id) FROM events WHERE workspace_id = $1) AS head \
                 FROM (SELECT pg_advisory_xact_lock($2)) AS log_lock",
                &params![workspace_id, EVENT_LOCK_CLASS | workspace_id],
            )
            .await?
        }
    };
    Ok(row.opt_i64("head")?.unwrap_or(0))
}

/// An item's history [wire], newest first: its own changes and its signature requests' (flow
/// events name the item too, for their readers, but are not lines of its history). The
/// `subject_type` condition is also the partial index's: keep them the same.
pub async fn history(db: &Db, workspace_id: i64, item_id: i64, limit: u32, start: u64) -> Result<Vec<EventRecord>> {
    db.fetch_all(
        &format!(
            "SELECT {COLUMNS} FROM events e WHERE e.item_id = $1 AND e.workspace_id = $2 \
             AND e.subject_type IN ('item', 'signature_request') ORDER BY e.id DESC LIMIT $3 OFFSET $4"
        ),
        &params![item_id, workspace_id, limit as i64, start.min(i64::MAX as u64) as i64],
    )
    .await?
    .iter()
    .map(EventRecord::from_row)
    .collect()
}

/// How far the workspace's log has been pruned (0 when never).
pub async fn watermark(db: &Db, workspace_id: i64) -> Result<i64> {
    let row = db
        .fetch_optional("SELECT pruned_through FROM event_watermarks WHERE workspace_id = $1", &params![workspace_id])
        .await?;
    Ok(row.map(|r| r.i64("pruned_through")).transpose()?.unwrap_or(0))
}

/// Events looked at in one pruning transaction.
const PRUNE_BATCH: i64 = 500;

/// One batch of pruning, in its own transaction: of the next events after `cursor` (in id order,
/// which is time order), those written before `before` go — except an existing item's, which
/// are its history — and each workspace's watermark moves up to the highest id removed.
/// Answers the new cursor, or `None` when the events left after `cursor` are all newer.
pub async fn prune_batch(db: &Db, cursor: i64, before: i64) -> Result<Option<i64>> {
    let mut tx = db.begin().await?;
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT e.id, e.workspace_id, e.created_at, \
                 CASE WHEN e.item_id IS NOT NULL AND EXISTS (SELECT 1 FROM items i WHERE i.id = e.item_id) \
                 THEN 1 ELSE 0 END AS kept \
                 FROM events e WHERE e.id > $1 ORDER BY e.id LIMIT {PRUNE_BATCH}"
            ),
            &params![cursor],
        )
        .await?;
    let mut last = None;
    let mut removed: Vec<i64> = Vec::new();
    let mut marks: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for row in &rows {
        if row.i64("created_at")? >= before {
            break;
        }
        let id = row.i64("id")?;
        last = Some(id);
        if row.i64("kept")? == 0 {
            removed.push(id);
            marks.insert(row.i64("workspace_id")?, id);
        }
    }
    if !removed.is_empty() {
        let mut sql = Sql::new("DELETE FROM events WHERE id IN ");
        sql.bind_list(removed.iter().copied());
        tx.execute(&sql.text, &sql.params).await?;
    }
    for (workspace_id, id) in marks {
        tx.execute(
            "INSERT INTO event_watermarks (workspace_id, pruned_through) VALUES ($1, $2) \
             ON CONFLICT (workspace_id) DO UPDATE SET pruned_through = \
             CASE WHEN event_watermarks.pruned_through > $2 THEN event_watermarks.pruned_through ELSE $2 END",
            &params![workspace_id, id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(last)
}
