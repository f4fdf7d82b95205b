//! The workspace email outbox.

use enspace_domain::list::{FieldKind, ListQuery};
use serde_json::Value;

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec},
    params,
    record::{self, Record},
};

pub const STATUSES: [&str; 3] = ["queued", "sent", "failed"];

#[derive(Debug, Clone, PartialEq)]
pub struct EmailRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub to: Vec<String>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub reply_to: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
    /// When the last send attempt started, if it never recorded an outcome.
    pub attempt_started_at: Option<i64>,
}

const COLUMNS: &str = "id, workspace_id, recipients, subject, text_body, html_body, reply_to, status, \
     provider_message_id, last_error, created_by, created_at, updated_at, sent_at, attempt_started_at";

impl Record for EmailRecord {
    const FROM: &'static str = "emails";
    const COLUMNS: &'static str = COLUMNS;
    const SCOPE: &'static str = "workspace_id";
    const ID: &'static str = "id";
    const LIST: &'static ListSpec = &LIST;

    fn from_row(row: &Row) -> Result<EmailRecord> {
        Ok(EmailRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            to: serde_json::from_value(row.json("recipients")?).unwrap_or_default(),
            subject: row.text("subject")?,
            text: row.opt_text("text_body")?,
            html: row.opt_text("html_body")?,
            reply_to: row.opt_text("reply_to")?,
            status: row.text("status")?,
            provider_message_id: row.opt_text("provider_message_id")?,
            last_error: row.opt_text("last_error")?,
            created_by: row.opt_i64("created_by")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
            sent_at: row.opt_i64("sent_at")?,
            attempt_started_at: row.opt_i64("attempt_started_at")?,
        })
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "id" },
        ListField { name: "status", kind: FieldKind::Enum(&STATUSES), sql: "status" },
        ListField { name: "subject", kind: FieldKind::Text, sql: "subject" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "created_at" },
        ListField { name: "sent_at", kind: FieldKind::Time, sql: "sent_at" },
    ],
    search: &["subject"],
    default_sort: ("id", true),
};

pub struct NewEmail<'a> {
    pub to: &'a [String],
    pub subject: &'a str,
    pub text: Option<&'a str>,
    pub html: Option<&'a str>,
    pub reply_to: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub async fn insert(tx: &mut Tx, workspace_id: i64, email: NewEmail<'_>, now: i64) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO emails (workspace_id, recipients, subject, text_body, html_body, reply_to, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        &params![
            workspace_id,
            Value::from(email.to.to_vec()),
            email.subject,
            email.text,
            email.html,
            email.reply_to,
            email.created_by,
            now
        ],
    )
    .await?
    .i64("id")
}

pub async fn get(db: &Db, workspace_id: i64, id: i64) -> Result<Option<EmailRecord>> {
    record::get(db, workspace_id, id).await
}

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<EmailRecord>> {
    record::list(db, workspace_id, query).await
}

pub async fn mark_sent(db: &Db, workspace_id: i64, id: i64, provider_message_id: Option<&str>, now: i64) -> Result<()> {
    db.execute(
        "UPDATE emails SET status = 'sent', provider_message_id = $3, last_error = NULL, sent_at = $4, updated_at = $4, \
         attempt_started_at = NULL WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, provider_message_id, now],
    )
    .await?;
    Ok(())
}

/// Records that a send attempt starts now (committed before SendGrid is called).
pub async fn start_attempt(db: &Db, workspace_id: i64, id: i64, now: i64) -> Result<()> {
    db.execute(
        "UPDATE emails SET attempt_started_at = $3, updated_at = $3 WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, now],
    )
    .await?;
    Ok(())
}

/// Forgets the started attempt: SendGrid answered, so it is known not to have taken the email.
pub async fn clear_attempt(db: &Db, workspace_id: i64, id: i64) -> Result<()> {
    db.execute(
        "UPDATE emails SET attempt_started_at = NULL WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id],
    )
    .await?;
    Ok(())
}

/// Records a failed attempt; `failed` for good when `final_attempt`, else still `queued`.
pub async fn mark_error(db: &Db, workspace_id: i64, id: i64, error: &str, final_attempt: bool, now: i64) -> Result<()> {
    db.execute(
        "UPDATE emails SET status = $3, last_error = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, if final_attempt { "failed" } else { "queued" }, error, now],
    )
    .await?;
    Ok(())
}

/// Writes an email that can never be sent, already `failed` with `error` (a flow's `sendmail`
/// with no active email integration shows in the outbox what went wrong, decision 27).
pub async fn insert_failed(tx: &mut Tx, workspace_id: i64, email: NewEmail<'_>, error: &str, now: i64) -> Result<i64> {
    let id = insert(tx, workspace_id, email, now).await?;
    tx.execute(
        "UPDATE emails SET status = 'failed', last_error = $3 WHERE workspace_id = $1 AND id = $2",
        &params![workspace_id, id, error],
    )
    .await?;
    Ok(id)
}
