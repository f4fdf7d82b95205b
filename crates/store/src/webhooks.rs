//! Outgoing webhooks and their delivery log. Secrets arrive sealed; the store never sees them in
//! the clear.

use enspace_domain::list::{FieldKind, ListQuery};
use serde_json::{json, Value as Json};

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec},
    params,
    record::{self, Record},
};

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub url: String,
    /// Kind patterns (`item.created`, `item.*`, `*`).
    pub events: Vec<String>,
    /// Type slugs; empty for every type.
    pub item_types: Vec<String>,
    pub active: bool,
    pub description: String,
    /// Sealed.
    pub secret: String,
    /// Sealed; signs beside `secret` until `previous_expires_at`.
    pub previous_secret: Option<String>,
    pub previous_expires_at: Option<i64>,
    /// The last event id the dispatcher looked at.
    pub position: i64,
    pub created_by: i64,
    pub failing_since: Option<i64>,
    pub last_delivery_at: Option<i64>,
    pub last_delivery_status: Option<i64>,
    pub last_delivery_error: Option<String>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookRecord {
    /// The associated data that binds this row's sealed secrets to it.
    pub fn aad(workspace_id: i64, id: i64) -> String {
        format!("enspace webhook {workspace_id}/{id}")
    }
}

fn strings(value: Json) -> Vec<String> {
    serde_json::from_value(value).unwrap_or_default()
}

/// Filters of the webhooks list [ours]: `active`, `url`, `created_at`, `updated_at`.
pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "w.id" },
        ListField { name: "active", kind: FieldKind::Bool, sql: "w.active" },
        ListField { name: "url", kind: FieldKind::Text, sql: "w.url" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "w.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "w.updated_at" },
    ],
    search: &["w.url", "w.description"],
    default_sort: ("id", false),
};

impl Record for WebhookRecord {
    const FROM: &'static str = "webhooks w";
    const COLUMNS: &'static str = "w.id, w.workspace_id, w.url, w.events, w.item_types, w.active, w.description, \
        w.secret, w.previous_secret, w.previous_expires_at, w.position, w.created_by, w.failing_since, \
        w.last_delivery_at, w.last_delivery_status, w.last_delivery_error, w.disabled_reason, w.created_at, w.updated_at";
    const SCOPE: &'static str = "w.workspace_id";
    const ID: &'static str = "w.id";
    const LIST: &'static ListSpec = &LIST;

    fn from_row(row: &Row) -> Result<WebhookRecord> {
        Ok(WebhookRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            url: row.text("url")?,
            events: strings(row.json("events")?),
            item_types: strings(row.json("item_types")?),
            active: row.bool("active")?,
            description: row.text("description")?,
            secret: row.text("secret")?,
            previous_secret: row.opt_text("previous_secret")?,
            previous_expires_at: row.opt_i64("previous_expires_at")?,
            position: row.i64("position")?,
            created_by: row.i64("created_by")?,
            failing_since: row.opt_i64("failing_since")?,
            last_delivery_at: row.opt_i64("last_delivery_at")?,
            last_delivery_status: row.opt_i64("last_delivery_status")?,
            last_delivery_error: row.opt_text("last_delivery_error")?,
            disabled_reason: row.opt_text("disabled_reason")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// A webhook's settings as written.
pub struct WebhookValues<'a> {
    pub url: &'a str,
    pub events: &'a [String],
    pub item_types: &'a [String],
    pub active: bool,
    pub description: &'a str,
}

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<WebhookRecord>> {
    record::list(db, workspace_id, query).await
}

pub async fn count(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<i64> {
    record::count::<WebhookRecord>(db, workspace_id, query).await
}

/// How many webhooks the workspace has (they are bounded per workspace).
pub async fn count_all(db: &Db, workspace_id: i64) -> Result<i64> {
    db.fetch_one("SELECT COUNT(*) AS n FROM webhooks WHERE workspace_id = $1", &params![workspace_id]).await?.i64("n")
}

pub async fn get(db: &Db, workspace_id: i64, id: i64) -> Result<Option<WebhookRecord>> {
    record::get(db, workspace_id, id).await
}

/// Inserts a webhook without its secret (it is sealed against the new row's id and set with
/// [`set_secrets`] in the same transaction); it starts reading the log after `position`.
pub async fn insert(
    tx: &mut Tx,
    workspace_id: i64,
    values: &WebhookValues<'_>,
    created_by: i64,
    position: i64,
    now: i64,
) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO webhooks (workspace_id, url, events, item_types, active, description, position, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        &params![
            workspace_id,
            values.url,
            json!(values.events),
            json!(values.item_types),
            values.active,
            values.description,
            position,
            created_by,
            now
        ],
    )
    .await?
    .i64("id")
}

/// Changes the settings. Turned on again, a webhook starts at `position` (no backfill of what
/// it missed) with its failure record cleared.
pub async fn update(
    tx: &mut Tx,
    hook: &WebhookRecord,
    values: &WebhookValues<'_>,
    reactivated_at: Option<i64>,
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE webhooks SET url = $3, events = $4, item_types = $5, active = $6, description = $7, updated_at = $8, \
         position = COALESCE($9, position), \
         failing_since = CASE WHEN $9 IS NULL THEN failing_since END, \
         disabled_reason = CASE WHEN $9 IS NULL THEN disabled_reason END \
         WHERE workspace_id = $1 AND id = $2",
        &params![
            hook.workspace_id,
            hook.id,
            values.url,
            json!(values.events),
            json!(values.item_types),
            values.active,
            values.description,
            now,
            reactivated_at
        ],
    )
    .await?;
    Ok(())
}

/// Sets the sealed secrets: the current one, and the previous one with when it stops signing.
pub async fn set_secrets(
    tx: &mut Tx,
    hook: (i64, i64),
    secret: &str,
    previous: Option<(&str, i64)>,
    now: i64,
) -> Result<()> {
    let (workspace_id, id) = hook;
    tx.execute(
        "UPDATE webhooks SET secret = $3, previous_secret = $4, previous_expires_at = $5, updated_at = $6 \
         WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, secret, previous.map(|p| p.0), previous.map(|p| p.1), now],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<()> {
    tx.execute("DELETE FROM webhooks WHERE workspace_id = $1 AND id = $2", &params![workspace_id, id]).await?;
    Ok(())
}

/// Every active webhook of every live workspace, for the dispatcher.
pub async fn active(db: &Db) -> Result<Vec<WebhookRecord>> {
    db.fetch_all(
        &format!(
            "SELECT {} FROM webhooks w WHERE w.active AND w.workspace_id IN \
             (SELECT id FROM workspaces WHERE deleted_at IS NULL) ORDER BY w.id",
            WebhookRecord::COLUMNS
        ),
        &[],
    )
    .await?
    .iter()
    .map(WebhookRecord::from_row)
    .collect()
}

/// Moves the webhook's position from `from` to `to`; false when another process moved it first
/// (its transaction then rolls back, and the deliveries it enqueued with it).
pub async fn advance(tx: &mut Tx, id: i64, from: i64, to: i64) -> Result<bool> {
    Ok(tx.execute("UPDATE webhooks SET position = $3 WHERE id = $1 AND position = $2", &params![id, from, to]).await?
        == 1)
}

/// How one attempt went.
pub struct Attempt<'a> {
    pub delivery: &'a str,
    pub event_id: Option<i64>,
    pub kind: &'a str,
    pub attempt: i64,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<&'a str>,
    pub at: i64,
}

/// Records an attempt, and on the webhook its last delivery; a failure starts (or continues)
/// its failing streak, a success ends it.
pub async fn record_attempt(db: &Db, hook: &WebhookRecord, attempt: &Attempt<'_>, ok: bool) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = tx
        .fetch_one(
            "INSERT INTO webhook_deliveries (workspace_id, webhook_id, delivery, event_id, kind, attempt, status, \
             duration_ms, error, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &params![
                hook.workspace_id,
                hook.id,
                attempt.delivery,
                attempt.event_id,
                attempt.kind,
                attempt.attempt,
                attempt.status,
                attempt.duration_ms,
                attempt.error,
                attempt.at
            ],
        )
        .await?
        .i64("id")?;
    tx.execute(
        "UPDATE webhooks SET last_delivery_at = $2, last_delivery_status = $3, last_delivery_error = $4, \
         failing_since = CASE WHEN $5 THEN NULL ELSE COALESCE(failing_since, $2) END WHERE id = $1",
        &params![hook.id, attempt.at, attempt.status, attempt.error, ok],
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Turns a webhook off, saying why.
pub async fn deactivate(db: &Db, id: i64, reason: &str, now: i64) -> Result<()> {
    db.execute(
        "UPDATE webhooks SET active = FALSE, disabled_reason = $2, updated_at = $3 WHERE id = $1",
        &params![id, reason, now],
    )
    .await?;
    Ok(())
}

/// A type is gone: it leaves every webhook's `item_types` of its workspace; a webhook whose
/// list becomes empty (which would mean "every type") is turned off instead (decision 78).
pub async fn forget_type(tx: &mut Tx, workspace_id: i64, slug: &str, now: i64) -> Result<()> {
    let rows = tx
        .fetch_all(
            &format!("SELECT {} FROM webhooks w WHERE w.workspace_id = $1", WebhookRecord::COLUMNS),
            &params![workspace_id],
        )
        .await?;
    for hook in rows.iter().map(WebhookRecord::from_row) {
        let hook = hook?;
        if !hook.item_types.iter().any(|t| t == slug) {
            continue;
        }
        let left: Vec<&String> = hook.item_types.iter().filter(|t| *t != slug).collect();
        let reason = format!("its only type {slug} was deleted");
        tx.execute(
            "UPDATE webhooks SET item_types = $2, updated_at = $3, active = CASE WHEN $4 THEN FALSE ELSE active END, \
             disabled_reason = CASE WHEN $4 THEN $5 ELSE disabled_reason END WHERE id = $1",
            &params![hook.id, json!(left), now, left.is_empty(), reason],
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub webhook_id: i64,
    pub delivery: String,
    pub event_id: Option<i64>,
    pub kind: String,
    pub attempt: i64,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub at: i64,
}

/// Filters of a webhook's deliveries [ours]: newest first by default (decision 83).
pub const DELIVERIES: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "d.id" },
        ListField { name: "event", kind: FieldKind::Int, sql: "d.event_id" },
        ListField { name: "kind", kind: FieldKind::Text, sql: "d.kind" },
        ListField { name: "status", kind: FieldKind::Int, sql: "d.status" },
        ListField { name: "at", kind: FieldKind::Time, sql: "d.at" },
    ],
    search: &[],
    default_sort: ("id", true),
};

impl Record for DeliveryRecord {
    const FROM: &'static str = "webhook_deliveries d";
    const COLUMNS: &'static str =
        "d.id, d.webhook_id, d.delivery, d.event_id, d.kind, d.attempt, d.status, d.duration_ms, d.error, d.at";
    /// Deliveries are read per webhook (whose workspace the route checked).
    const SCOPE: &'static str = "d.webhook_id";
    const ID: &'static str = "d.id";
    const LIST: &'static ListSpec = &DELIVERIES;

    fn from_row(row: &Row) -> Result<DeliveryRecord> {
        Ok(DeliveryRecord {
            id: row.i64("id")?,
            webhook_id: row.i64("webhook_id")?,
            delivery: row.text("delivery")?,
            event_id: row.opt_i64("event_id")?,
            kind: row.text("kind")?,
            attempt: row.i64("attempt")?,
            status: row.opt_i64("status")?,
            duration_ms: row.i64("duration_ms")?,
            error: row.opt_text("error")?,
            at: row.i64("at")?,
        })
    }
}

pub async fn deliveries(db: &Db, webhook_id: i64, query: &ListQuery) -> Result<Vec<DeliveryRecord>> {
    record::list(db, webhook_id, query).await
}

pub async fn count_deliveries(db: &Db, webhook_id: i64, query: &ListQuery) -> Result<i64> {
    record::count::<DeliveryRecord>(db, webhook_id, query).await
}

pub async fn delivery(db: &Db, webhook_id: i64, id: i64) -> Result<Option<DeliveryRecord>> {
    record::get(db, webhook_id, id).await
}

/// Deletes delivery rows older than `before`, in one batch; answers how many went.
pub async fn prune_deliveries(db: &Db, before: i64) -> Result<u64> {
    db.execute("DELETE FROM webhook_deliveries WHERE at < $1", &params![before]).await
}
