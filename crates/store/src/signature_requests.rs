//! Documents out for e-signature, and the provider events applied to them.

use enspace_domain::{
    esign::{RequestStatus, Signer},
    list::{FieldKind, ListQuery},
};
use serde_json::Value;

use crate::{
    db::{Backend, Db, Row, Tx},
    error::{Result, StoreError},
    list::{ListField, ListSpec},
    params,
    record::{self, Record},
};

#[derive(Debug, Clone, PartialEq)]
pub struct SignatureRequestRecord {
    pub id: i64,
    pub workspace_id: i64,
    /// `None` once the integration was uninstalled (the record stays; callbacks are refused).
    pub integration_id: Option<i64>,
    /// The integration type's slug.
    pub provider: String,
    pub provider_id: String,
    /// The document's own id, where the provider has one apart from the envelope's.
    pub provider_document_id: Option<String>,
    pub title: String,
    pub status: RequestStatus,
    pub signers: Vec<Signer>,
    /// The provider events received, in arrival order (`key` dedupes them).
    pub events: Vec<Value>,
    pub item_type: Option<String>,
    pub item_reference: Option<String>,
    pub document_name: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, workspace_id, integration_id, provider, provider_id, provider_document_id, title, status, signers, events, \
     item_type, item_reference, document_name, created_by, created_at, updated_at";

impl Record for SignatureRequestRecord {
    const FROM: &'static str = "signature_requests";
    const COLUMNS: &'static str = COLUMNS;
    const SCOPE: &'static str = "workspace_id";
    const ID: &'static str = "id";
    const LIST: &'static ListSpec = &LIST;

    fn from_row(row: &Row) -> Result<SignatureRequestRecord> {
        let status = row.text("status")?;
        let decode = |name: &str, e: serde_json::Error| StoreError::Decode(format!("signature_requests.{name}: {e}"));
        Ok(SignatureRequestRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            integration_id: row.opt_i64("integration_id")?,
            provider: row.text("provider")?,
            provider_id: row.text("provider_id")?,
            provider_document_id: row.opt_text("provider_document_id")?,
            title: row.text("title")?,
            status: RequestStatus::parse(&status)
                .ok_or_else(|| StoreError::Decode(format!("signature_requests.status: {status:?}")))?,
            signers: serde_json::from_value(row.json("signers")?).map_err(|e| decode("signers", e))?,
            events: serde_json::from_value(row.json("events")?).map_err(|e| decode("events", e))?,
            item_type: row.opt_text("item_type")?,
            item_reference: row.opt_text("item_reference")?,
            document_name: row.text("document_name")?,
            created_by: row.opt_i64("created_by")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "id" },
        ListField { name: "status", kind: FieldKind::Enum(&RequestStatus::ALL), sql: "status" },
        ListField { name: "provider", kind: FieldKind::Text, sql: "provider" },
        ListField { name: "provider_id", kind: FieldKind::Text, sql: "provider_id" },
        ListField { name: "integration", kind: FieldKind::Int, sql: "integration_id" },
        ListField { name: "title", kind: FieldKind::Text, sql: "title" },
        ListField { name: "item_type", kind: FieldKind::Text, sql: "item_type" },
        ListField { name: "item_reference", kind: FieldKind::Text, sql: "item_reference" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "updated_at" },
    ],
    search: &["title"],
    default_sort: ("id", true),
};

pub struct NewSignatureRequest<'a> {
    pub integration_id: i64,
    pub provider: &'a str,
    pub provider_id: &'a str,
    pub provider_document_id: Option<&'a str>,
    pub title: &'a str,
    pub signers: &'a [Signer],
    pub item_type: Option<&'a str>,
    pub item_reference: Option<&'a str>,
    pub document_name: &'a str,
    pub created_by: Option<i64>,
}

fn signers_json(signers: &[Signer]) -> Value {
    serde_json::to_value(signers).expect("signers serialize")
}

pub async fn insert(tx: &mut Tx, workspace_id: i64, new: NewSignatureRequest<'_>, now: i64) -> Result<i64> {
    tx.fetch_one(
        "INSERT INTO signature_requests (workspace_id, integration_id, provider, provider_id, provider_document_id, \
         title, status, signers, item_type, item_reference, document_name, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        &params![
            workspace_id,
            new.integration_id,
            new.provider,
            new.provider_id,
            new.provider_document_id,
            new.title,
            signers_json(new.signers),
            new.item_type,
            new.item_reference,
            new.document_name,
            new.created_by,
            now
        ],
    )
    .await?
    .i64("id")
}

pub async fn get(db: &Db, workspace_id: i64, id: i64) -> Result<Option<SignatureRequestRecord>> {
    record::get(db, workspace_id, id).await
}

pub async fn list(db: &Db, workspace_id: i64, query: &ListQuery) -> Result<Vec<SignatureRequestRecord>> {
    record::list(db, workspace_id, query).await
}

/// The request a provider's callback is about (by the envelope's id or the document's), locked
/// until the transaction ends (on
/// PostgreSQL; SQLite has one writer), so that concurrent deliveries apply one after another.
pub async fn lock_by_provider_id(
    tx: &mut Tx,
    provider: &str,
    provider_id: &str,
) -> Result<Option<SignatureRequestRecord>> {
    let lock = if tx.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
    tx.fetch_optional(
        &format!(
            "SELECT {COLUMNS} FROM signature_requests WHERE provider = $1 AND (provider_id = $2 OR provider_document_id = $2) \
             AND workspace_id IN (SELECT id FROM workspaces WHERE deleted_at IS NULL) ORDER BY id LIMIT 1{lock}"
        ),
        &params![provider, provider_id],
    )
    .await?
    .as_ref()
    .map(SignatureRequestRecord::from_row)
    .transpose()
}

/// Writes a request's new state and events.
pub async fn update_state(
    tx: &mut Tx,
    id: i64,
    status: RequestStatus,
    signers: &[Signer],
    events: &[Value],
    now: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE signature_requests SET status = $2, signers = $3, events = $4, updated_at = $5 WHERE id = $1",
        &params![id, status.as_str(), signers_json(signers), Value::from(events.to_vec()), now],
    )
    .await?;
    Ok(())
}
