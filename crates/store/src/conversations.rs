//! WhatsApp conversations and their messages.

use enspace_domain::list::{FieldKind, ListQuery};

use crate::{
    db::{Db, Reader, Row, Tx},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub integration_id: i64,
    /// E.164.
    pub contact: String,
    pub contact_name: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    pub last_inbound_at: Option<i64>,
    pub last_inbound_message_id: Option<i64>,
    pub warned_for_message_id: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const CONVERSATION: &str = "id, workspace_id, integration_id, contact, contact_name, status, last_inbound_at, \
     last_inbound_message_id, warned_for_message_id, closed_at, created_at, updated_at";

impl ConversationRecord {
    fn from_row(row: &Row) -> Result<ConversationRecord> {
        Ok(ConversationRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            integration_id: row.i64("integration_id")?,
            contact: row.text("contact")?,
            contact_name: row.opt_text("contact_name")?,
            status: row.text("status")?,
            last_inbound_at: row.opt_i64("last_inbound_at")?,
            last_inbound_message_id: row.opt_i64("last_inbound_message_id")?,
            warned_for_message_id: row.opt_i64("warned_for_message_id")?,
            closed_at: row.opt_i64("closed_at")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    pub integration_id: i64,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `message`, or the automatic `autoclose_warning` / `autoclose_closing`.
    pub kind: String,
    pub body: String,
    pub provider_sid: Option<String>,
    /// Inbound `received`; outbound `queued`, `sent`, `delivered`, `read`, `failed`, `undelivered`.
    pub status: String,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    pub created_by: Option<i64>,
    /// When the last send attempt started (outbound, not yet recorded as sent).
    pub attempt_started_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const MESSAGE: &str =
    "id, workspace_id, conversation_id, integration_id, direction, kind, body, provider_sid, status, \
     error_code, last_error, created_by, attempt_started_at, created_at, updated_at";

impl MessageRecord {
    fn from_row(row: &Row) -> Result<MessageRecord> {
        Ok(MessageRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            conversation_id: row.i64("conversation_id")?,
            integration_id: row.i64("integration_id")?,
            direction: row.text("direction")?,
            kind: row.text("kind")?,
            body: row.text("body")?,
            provider_sid: row.opt_text("provider_sid")?,
            status: row.text("status")?,
            error_code: row.opt_text("error_code")?,
            last_error: row.opt_text("last_error")?,
            created_by: row.opt_i64("created_by")?,
            attempt_started_at: row.opt_i64("attempt_started_at")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// Filters of the conversations list [spec: `status`, `contact`, `integration`].
pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "id" },
        ListField { name: "status", kind: FieldKind::Enum(&["open", "closed"]), sql: "status" },
        ListField { name: "contact", kind: FieldKind::Text, sql: "contact" },
        ListField { name: "integration", kind: FieldKind::Int, sql: "integration_id" },
        ListField { name: "last_inbound_at", kind: FieldKind::Time, sql: "last_inbound_at" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "created_at" },
    ],
    search: &["contact", "contact_name"],
    default_sort: ("id", true),
};

/// Messages of a conversation: oldest first.
pub const MESSAGES: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "id" },
        ListField { name: "direction", kind: FieldKind::Enum(&["inbound", "outbound"]), sql: "direction" },
        ListField { name: "status", kind: FieldKind::Text, sql: "status" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "created_at" },
    ],
    search: &["body"],
    default_sort: ("id", false),
};

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<ConversationRecord>> {
    let mut sql = Sql::new(&format!("SELECT {CONVERSATION} FROM conversations WHERE workspace_id = "));
    sql.bind(workspace_id);
    LIST.push_conditions(&mut sql, db.backend(), query);
    LIST.push_page(&mut sql, query);
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(ConversationRecord::from_row).collect()
}

/// One conversation, from the database or inside a transaction.
pub async fn get(reader: &mut Reader<'_>, workspace_id: i64, id: i64) -> Result<Option<ConversationRecord>> {
    reader
        .fetch_optional(
            &format!("SELECT {CONVERSATION} FROM conversations WHERE workspace_id = $1 AND id = $2"),
            &params![workspace_id, id],
        )
        .await?
        .as_ref()
        .map(ConversationRecord::from_row)
        .transpose()
}

/// The open conversation with `contact` on an integration, or a new one.
pub async fn open_with(
    tx: &mut Tx,
    workspace_id: i64,
    integration_id: i64,
    contact: &str,
    now: i64,
) -> Result<ConversationRecord> {
    let found = tx
        .fetch_optional(
            &format!(
                "SELECT {CONVERSATION} FROM conversations WHERE workspace_id = $1 AND integration_id = $2 \
                 AND contact = $3 AND status = 'open'"
            ),
            &params![workspace_id, integration_id, contact],
        )
        .await?;
    if let Some(row) = found {
        return ConversationRecord::from_row(&row);
    }
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO conversations (workspace_id, integration_id, contact, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING {CONVERSATION}"
            ),
            &params![workspace_id, integration_id, contact, now],
        )
        .await?;
    ConversationRecord::from_row(&row)
}

/// Records an inbound message on the conversation (restarting its inactivity clock).
pub async fn touch_inbound(
    tx: &mut Tx,
    conversation: &ConversationRecord,
    message_id: i64,
    contact_name: Option<&str>,
    at: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE conversations SET last_inbound_at = $3, last_inbound_message_id = $4, \
         contact_name = COALESCE($5, contact_name), updated_at = $3 WHERE workspace_id = $1 AND id = $2",
        &params![conversation.workspace_id, conversation.id, at, message_id, contact_name],
    )
    .await?;
    Ok(())
}

/// Marks the warning of the window armed by `message_id` as sent; false when the conversation
/// is closed, a newer message re-armed it, or it was already sent (so it is sent once).
pub async fn mark_warned(tx: &mut Tx, workspace_id: i64, id: i64, message_id: i64, now: i64) -> Result<bool> {
    let changed = tx
        .execute(
            "UPDATE conversations SET warned_for_message_id = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2 \
             AND status = 'open' AND last_inbound_message_id = $3 \
             AND (warned_for_message_id IS NULL OR warned_for_message_id <> $3)",
            &params![workspace_id, id, message_id, now],
        )
        .await?;
    Ok(changed == 1)
}

/// Closes an open conversation; with `armed_by`, only if that inbound message is still the last
/// (the auto-close of an older window does nothing). Answers whether it closed.
pub async fn close(tx: &mut Tx, workspace_id: i64, id: i64, armed_by: Option<i64>, now: i64) -> Result<bool> {
    let changed = tx
        .execute(
            "UPDATE conversations SET status = 'closed', closed_at = $3, updated_at = $3 WHERE workspace_id = $1 \
             AND id = $2 AND status = 'open' AND ($4 IS NULL OR last_inbound_message_id = $4)",
            &params![workspace_id, id, now, armed_by],
        )
        .await?;
    Ok(changed == 1)
}

/// Stores an inbound message; `None` when Twilio already delivered this `MessageSid`.
pub async fn insert_inbound(
    tx: &mut Tx,
    conversation: &ConversationRecord,
    body: &str,
    sid: &str,
    now: i64,
) -> Result<Option<i64>> {
    let row = tx
        .fetch_optional(
            "INSERT INTO conversation_messages (workspace_id, conversation_id, integration_id, direction, body, \
             provider_sid, status, created_at, updated_at) VALUES ($1, $2, $3, 'inbound', $4, $5, 'received', $6, $6) \
             ON CONFLICT (integration_id, provider_sid) DO NOTHING RETURNING id",
            &params![conversation.workspace_id, conversation.id, conversation.integration_id, body, sid, now],
        )
        .await?;
    row.map(|r| r.i64("id")).transpose()
}

/// Whether Twilio already delivered this `MessageSid` on the integration.
pub async fn has_sid(tx: &mut Tx, integration_id: i64, sid: &str) -> Result<bool> {
    Ok(tx
        .fetch_optional(
            "SELECT id FROM conversation_messages WHERE integration_id = $1 AND provider_sid = $2",
            &params![integration_id, sid],
        )
        .await?
        .is_some())
}

/// Queues an outbound message (its send job is enqueued by the caller in the same transaction).
pub async fn insert_outbound(
    tx: &mut Tx,
    conversation: &ConversationRecord,
    body: &str,
    kind: &str,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO conversation_messages (workspace_id, conversation_id, integration_id, direction, kind, body, \
         status, created_by, created_at, updated_at) VALUES ($1, $2, $3, 'outbound', $4, $5, 'queued', $6, $7, $7) \
         RETURNING id",
        &params![conversation.workspace_id, conversation.id, conversation.integration_id, kind, body, created_by, now],
    )
    .await?
    .i64("id")
}

pub async fn message(db: &Db, workspace_id: i64, id: i64) -> Result<Option<MessageRecord>> {
    db.fetch_optional(
        &format!("SELECT {MESSAGE} FROM conversation_messages WHERE workspace_id = $1 AND id = $2"),
        &params![workspace_id, id],
    )
    .await?
    .as_ref()
    .map(MessageRecord::from_row)
    .transpose()
}

pub async fn messages(
    db: &Db,
    workspace_id: i64,
    conversation_id: i64,
    query: &ListQuery,
) -> Result<Vec<MessageRecord>> {
    let mut sql = Sql::new(&format!("SELECT {MESSAGE} FROM conversation_messages WHERE workspace_id = "));
    sql.bind(workspace_id).push(" AND conversation_id = ").bind(conversation_id);
    MESSAGES.push_conditions(&mut sql, db.backend(), query);
    MESSAGES.push_page(&mut sql, query);
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(MessageRecord::from_row).collect()
}

/// Records that a send attempt starts now (committed before the provider is called).
pub async fn start_attempt(db: &Db, workspace_id: i64, id: i64, now: i64) -> Result<()> {
    db.execute(
        "UPDATE conversation_messages SET attempt_started_at = $3, updated_at = $3 WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, now],
    )
    .await?;
    Ok(())
}

/// The provider sids already recorded for an integration among `sids`.
pub async fn known_sids(db: &Db, integration_id: i64, sids: &[String]) -> Result<Vec<String>> {
    if sids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT provider_sid FROM conversation_messages WHERE integration_id = ");
    sql.bind(integration_id).push(" AND provider_sid IN ").bind_list(sids.iter().cloned());
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(|r| r.text("provider_sid")).collect()
}

/// Twilio accepted an outbound message.
pub async fn mark_sent(db: &Db, workspace_id: i64, id: i64, sid: &str, status: &str, now: i64) -> Result<()> {
    db.execute(
        "UPDATE conversation_messages SET provider_sid = $3, status = $4, last_error = NULL, updated_at = $5 \
         WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, sid, status, now],
    )
    .await?;
    Ok(())
}

/// A failed send attempt: `failed` for good when `final_attempt`.
pub async fn mark_error(db: &Db, workspace_id: i64, id: i64, error: &str, final_attempt: bool, now: i64) -> Result<()> {
    db.execute(
        "UPDATE conversation_messages SET last_error = $3, status = CASE WHEN $4 THEN 'failed' ELSE status END, \
         updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, error, final_attempt, now],
    )
    .await?;
    Ok(())
}

/// The outbound message Twilio knows as `sid` on an integration.
pub async fn outbound_by_sid(db: &Db, integration_id: i64, sid: &str) -> Result<Option<MessageRecord>> {
    db.fetch_optional(
        &format!(
            "SELECT {MESSAGE} FROM conversation_messages WHERE integration_id = $1 AND provider_sid = $2 \
             AND direction = 'outbound'"
        ),
        &params![integration_id, sid],
    )
    .await?
    .as_ref()
    .map(MessageRecord::from_row)
    .transpose()
}

/// A delivery status from a callback.
pub async fn set_status(
    db: &Db,
    message: &MessageRecord,
    status: &str,
    error_code: Option<&str>,
    now: i64,
) -> Result<()> {
    db.execute(
        "UPDATE conversation_messages SET status = $3, error_code = COALESCE($4, error_code), updated_at = $5 \
         WHERE workspace_id = $1 AND id = $2",
        &params![message.workspace_id, message.id, status, error_code, now],
    )
    .await?;
    Ok(())
}
