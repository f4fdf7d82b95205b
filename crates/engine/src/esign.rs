//! Signature requests: sending a document out through an installation's provider, and applying
//! the provider's callbacks to the request they are about — authenticated with that
//! installation's secrets, once per event, in any order.

use enspace_domain::{
    esign::{Signer, State, Vocabulary},
    integrations as types,
    secrets::Keyring,
    time::{format_ms, now_ms},
};
use enspace_integrations::{
    adobe_sign::AdobeSign,
    certisign::Certisign,
    clicksign::Clicksign,
    d4sign::D4Sign,
    docusign::Docusign,
    esign::{Callback, Document, ESignProvider, Outgoing, SignerSpec},
    Environment, ProviderError, Providers,
};
use enspace_store::{
    fields::FieldRecord,
    integrations::IntegrationRecord,
    items::ItemRecord,
    signature_requests::{self as requests, NewSignatureRequest},
    types::TypeRecord,
    Db, StoreError,
};
use serde_json::{json, Map, Value};

/// The provider client for an installation, with its credentials.
pub fn provider_for(
    keyring: &Keyring,
    providers: &Providers,
    integration: &IntegrationRecord,
) -> Result<Box<dyn ESignProvider>, String> {
    client(providers, integration, &crate::integrations::open_secrets(keyring, integration)?)
}

/// The provider client for an installation whose secrets are already open.
fn client(
    providers: &Providers,
    integration: &IntegrationRecord,
    secrets: &Map<String, Value>,
) -> Result<Box<dyn ESignProvider>, String> {
    let setting = |key: &str| integration.data.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let secret = |key: &str| secrets.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    let env = Environment::of(integration.data.get("environment").and_then(Value::as_str));
    match integration.integration_type {
        types::DOCUSIGN => Ok(Box::new(Docusign {
            providers: providers.clone(),
            auth: providers.urls.docusign_auth(env),
            access_token: secret("access_token"),
            account_id: setting("account_id"),
        })),
        types::CLICKSIGN => Ok(Box::new(Clicksign {
            providers: providers.clone(),
            base: providers.urls.clicksign(env),
            token: secret("token"),
        })),
        types::D4SIGN => Ok(Box::new(D4Sign {
            providers: providers.clone(),
            base: providers.urls.d4sign(env),
            token: secret("token"),
            crypt_key: secret("crypt_key"),
            safe: Some(setting("safe_uuid")).filter(|s| !s.is_empty()),
        })),
        types::ADOBE_SIGN => {
            let access_point = integration.data.get("api_access_point").and_then(Value::as_str);
            Ok(Box::new(AdobeSign {
                providers: providers.clone(),
                base: providers.urls.adobe_sign(env, access_point),
                client_id: setting("client_id"),
                client_secret: secret("client_secret"),
                refresh_token: secret("refresh_token"),
            }))
        }
        types::CERTISIGN => Ok(Box::new(Certisign {
            providers: providers.clone(),
            base: providers.urls.certisign(env),
            token: secret("token"),
        })),
        _ => Err("This integration does not send documents for signature".into()),
    }
}

/// The vocabulary of an e-signature installation's provider.
pub fn vocabulary(integration: &IntegrationRecord) -> Option<&'static Vocabulary> {
    types::by_id(integration.integration_type).and_then(|t| Vocabulary::of_slug(t.slug))
}

/// Where the provider posts its events: the installation's `webhookCatcherEndpoint` when it has
/// one, else this server's `/webhooks/<slug>`.
pub fn callback_url(public_url: &str, integration: &IntegrationRecord, slug: &str) -> String {
    match integration.data.get("webhookCatcherEndpoint").and_then(Value::as_str) {
        Some(url) if !url.is_empty() => url.to_string(),
        _ => format!("{public_url}/webhooks/{slug}"),
    }
}

/// A request to send, checked.
pub struct NewRequest<'a> {
    pub title: &'a str,
    pub filename: &'a str,
    pub content: &'a [u8],
    pub signers: Vec<Signer>,
    /// The item it is about (its type's slug and the item), for the item's history.
    pub item: Option<(&'a str, &'a ItemRecord)>,
    pub created_by: Option<i64>,
}

#[derive(Debug)]
pub enum SendError {
    /// The installation cannot send (inactive, not an e-signature type, ...).
    Unavailable(String),
    Provider(ProviderError),
    Store(StoreError),
}

impl From<StoreError> for SendError {
    fn from(e: StoreError) -> Self {
        SendError::Store(e)
    }
}

/// Sends the document through the provider and records the request (and, when it names an
/// item, a line in the item's history). Answers the new request's id.
pub async fn send(
    db: &Db,
    keyring: &Keyring,
    providers: &Providers,
    public_url: &str,
    integration: &IntegrationRecord,
    new: NewRequest<'_>,
) -> Result<i64, SendError> {
    if integration.status != "active" {
        return Err(SendError::Unavailable("The integration is inactive".into()));
    }
    let slug = types::by_id(integration.integration_type).map(|t| t.slug).unwrap_or_default();
    let secrets = crate::integrations::open_secrets(keyring, integration).map_err(SendError::Unavailable)?;
    let provider = client(providers, integration, &secrets).map_err(SendError::Unavailable)?;
    let specs: Vec<SignerSpec<'_>> = new
        .signers
        .iter()
        .map(|s| SignerSpec { email: &s.email, name: s.name.as_deref(), action: &s.action })
        .collect();
    let mut callback = callback_url(public_url, integration, slug);
    if integration.integration_type == types::CERTISIGN {
        // Certisign signs nothing: the address's last segment is the installation's secret.
        let token = secrets.get(types::CALLBACK_TOKEN).and_then(Value::as_str).ok_or_else(|| {
            SendError::Unavailable(
                "The Certisign integration has no callback token: save it again to create one".into(),
            )
        })?;
        callback = format!("{}/{token}", callback.trim_end_matches('/'));
    }
    let outgoing = Outgoing {
        title: new.title,
        document: Document { filename: new.filename, content: new.content },
        signers: &specs,
        callback_url: &callback,
    };
    let sent = provider.send(&outgoing).await.map_err(SendError::Provider)?;
    let provider_id = sent.id;
    let now = now_ms();
    let record = NewSignatureRequest {
        integration_id: integration.id,
        provider: slug,
        provider_id: &provider_id,
        provider_document_id: sent.document_id.as_deref(),
        title: new.title,
        signers: &new.signers,
        item_type: new.item.map(|(t, _)| t),
        item_reference: new.item.map(|(_, item)| item.reference.as_str()),
        document_name: new.filename,
        created_by: new.created_by,
    };
    let mut tx = db.begin().await?;
    let id = requests::insert(&mut tx, integration.workspace_id, record, now).await.inspect_err(|e| {
        // The provider has the document; say which, so it can be found and voided by hand.
        tracing::error!(provider = slug, provider_id = %provider_id, error = %e, "a sent signature request could not be recorded");
    })?;
    if let Some((type_slug, item)) = new.item {
        let changes = history_changes(id, new.title, slug, "sent");
        let line = ItemLine { request: id, item, type_slug, created: true, actor: new.created_by, source: "api" };
        record_line(&mut tx, line, changes, now).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// The key of a signature request's line in its item's history.
pub const HISTORY_ACTION: &str = "signature_request";

/// A signature request's line in its item's history: an event about the request, tied to the
/// item (its history is its events) and readable by the item type's readers.
struct ItemLine<'a> {
    request: i64,
    item: &'a ItemRecord,
    type_slug: &'a str,
    /// The request was just sent (`signature_request.created`), or it reached its end.
    created: bool,
    actor: Option<i64>,
    source: &'a str,
}

async fn record_line(
    tx: &mut enspace_store::Tx,
    line: ItemLine<'_>,
    changes: Map<String, Value>,
    now: i64,
) -> Result<(), StoreError> {
    let kind = if line.created { "signature_request.created" } else { "signature_request.updated" };
    let event = enspace_store::events::NewEvent {
        workspace_id: line.item.workspace_id,
        kind,
        subject: enspace_store::events::Subject {
            kind: "signature_request",
            id: Some(line.request),
            reference: None,
            type_id: Some(line.item.type_id),
            item_type: Some(line.type_slug),
            item_id: Some(line.item.id),
            item_reference: Some(&line.item.reference),
        },
        changes,
        actor: enspace_store::events::Actor { user_id: line.actor, email: None, key: None },
        source: line.source,
        now,
    };
    enspace_store::events::append(tx, event);
    Ok(())
}

/// An item history line: the request as it stands.
fn history_changes(id: i64, title: &str, provider: &str, status: &str) -> Map<String, Value> {
    let line = json!({ "id": id, "title": title, "provider": provider, "status": status });
    Map::from_iter([(HISTORY_ACTION.to_string(), line)])
}

/// What became of a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Applied,
    /// Delivered before: acknowledged, nothing changed.
    Repeated,
    /// No request has this provider id.
    Unmatched,
    /// The installation's secrets do not vouch for it (or the installation is gone).
    Unauthenticated,
}

/// Applies one callback: finds its request (locked), lets `authentic` judge it with the
/// installation's data and secrets, and applies it once.
pub async fn receive(
    db: &Db,
    keyring: &Keyring,
    provider: &str,
    incoming: &Callback,
    authentic: impl FnOnce(&IntegrationRecord, &Map<String, Value>) -> bool,
) -> Result<Delivery, StoreError> {
    let mut tx = db.begin().await?;
    let Some(request) = requests::lock_by_provider_id(&mut tx, provider, &incoming.provider_id).await? else {
        return Ok(Delivery::Unmatched);
    };
    let integration = match request.integration_id {
        Some(id) => enspace_store::integrations::get(db, request.workspace_id, id).await?,
        None => None,
    };
    let Some(integration) = integration else { return Ok(Delivery::Unauthenticated) };
    let Ok(secrets) = crate::integrations::open_secrets(keyring, &integration) else {
        return Ok(Delivery::Unauthenticated);
    };
    if !authentic(&integration, &secrets) {
        return Ok(Delivery::Unauthenticated);
    }
    if request.events.iter().any(|e| e["key"].as_str() == Some(incoming.key.as_str())) {
        return Ok(Delivery::Repeated);
    }
    let vocabulary = Vocabulary::of_slug(&request.provider).unwrap_or(&enspace_domain::esign::DOCUSIGN);
    let now = now_ms();
    let mut state = State { status: request.status, signers: request.signers.clone() };
    let was = state.status;
    state.apply(vocabulary, &incoming.happening, now);
    let mut events = request.events.clone();
    events.push(json!({ "key": incoming.key, "type": incoming.event, "received_at": format_ms(now) }));
    requests::update_state(&mut tx, request.id, state.status, &state.signers, &events, now).await?;
    if state.status != was && state.status.is_final() {
        if let (Some(slug), Some(reference)) = (&request.item_type, &request.item_reference) {
            record_outcome(db, &mut tx, &request, slug, reference, state.status.as_str(), now).await?;
        }
    }
    tx.commit().await?;
    Ok(Delivery::Applied)
}

/// The item's history line for a request that reached its end.
async fn record_outcome(
    db: &Db,
    tx: &mut enspace_store::Tx,
    request: &requests::SignatureRequestRecord,
    slug: &str,
    reference: &str,
    status: &str,
    now: i64,
) -> Result<(), StoreError> {
    let Some(kind) = enspace_store::types::get(db, request.workspace_id, slug).await? else { return Ok(()) };
    let Some(item) = enspace_store::items::get_in(tx, request.workspace_id, kind.id, reference).await? else {
        return Ok(());
    };
    let changes = history_changes(request.id, &request.title, &request.provider, status);
    let line = ItemLine {
        request: request.id,
        item: &item,
        type_slug: slug,
        created: false,
        actor: None,
        source: "integration",
    };
    record_line(tx, line, changes, now).await
}

/// Why a signed document could not be fetched or attached.
#[derive(Debug)]
pub enum DocumentError {
    /// The provider does not have the signed document (yet), or the installation is gone.
    Unavailable(String),
    /// The item's field refuses the document (its rules, as for any update).
    Refused(Vec<enspace_domain::Detail>),
    Provider(ProviderError),
    Store(StoreError),
}

impl From<StoreError> for DocumentError {
    fn from(e: StoreError) -> Self {
        DocumentError::Store(e)
    }
}

/// The signed document, from the provider that sent the request.
pub async fn signed_document(
    db: &Db,
    keyring: &Keyring,
    providers: &Providers,
    request: &requests::SignatureRequestRecord,
) -> Result<Vec<u8>, DocumentError> {
    let integration = match request.integration_id {
        Some(id) => enspace_store::integrations::get(db, request.workspace_id, id).await?,
        None => None,
    };
    let integration = integration
        .ok_or_else(|| DocumentError::Unavailable("The integration that sent this request was uninstalled".into()))?;
    let provider = provider_for(keyring, providers, &integration).map_err(DocumentError::Unavailable)?;
    let sent = enspace_integrations::esign::Sent {
        id: request.provider_id.clone(),
        document_id: request.provider_document_id.clone(),
    };
    provider
        .signed_document(&sent)
        .await
        .map_err(DocumentError::Provider)?
        .ok_or_else(|| DocumentError::Unavailable("The provider does not have the signed document yet".into()))
}

/// The signed document's file name: the original's, with `-signed.pdf` for its extension.
pub fn signed_name(request: &requests::SignatureRequestRecord) -> String {
    let stem = request.document_name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&request.document_name);
    format!("{stem}-signed.pdf")
}

/// What a field holds once the signed document is attached to it: for an
/// `EnESign` field `{signer, signedAt, url}` (the signers who signed, the last signature's
/// time), for a file field the list it had plus the new file.
fn attached_value(
    esign: bool,
    current: Option<&Value>,
    request: &requests::SignatureRequestRecord,
    file: &Value,
) -> Value {
    if esign {
        let signed: Vec<&Signer> = request.signers.iter().filter(|s| s.signed_at.is_some()).collect();
        let signer = signed.iter().map(|s| s.email.as_str()).collect::<Vec<_>>().join(", ");
        let signed_at = signed.iter().filter_map(|s| s.signed_at).max().map(format_ms);
        return json!({ "signer": signer, "signedAt": signed_at, "url": file["url"] });
    }
    let mut files = match current {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    files.push(file.clone());
    Value::Array(files)
}

/// Fetches the signed document from the provider, stores it as a file of the workspace and
/// writes it into field `field` of the request's item (an `EnESign` field, or appended to a
/// file field) through the item writer: the field's own rules apply (a file field that takes no
/// PDF refuses it), and the change gets its history line and event like any other update.
/// Answers the field's new value.
#[allow(clippy::too_many_arguments)]
pub async fn attach_signed(
    db: &Db,
    keyring: &Keyring,
    providers: &Providers,
    files: &crate::files::FileStore,
    request: &requests::SignatureRequestRecord,
    (record, fields): (&TypeRecord, &[FieldRecord]),
    item: &ItemRecord,
    field: &enspace_domain::fields::FieldDef,
    author: &crate::items::Author<'_>,
) -> Result<Value, DocumentError> {
    let bytes = signed_document(db, keyring, providers, request).await?;
    let user_id = author.user_id.unwrap_or_default();
    let stored = crate::files::upload(db, files, request.workspace_id, user_id, &signed_name(request), &bytes)
        .await
        .map_err(|e| match e {
            crate::files::UploadError::Store(e) => DocumentError::Store(e),
            crate::files::UploadError::Io(e) => {
                DocumentError::Unavailable(format!("the file could not be stored: {e}"))
            }
        })?;
    let esign = field.field_type == enspace_domain::catalogue::FieldType::EnESign;
    let mut values = Map::new();
    let (data, server_values) = if esign {
        values.insert(field.ref_id.clone(), attached_value(true, None, request, &stored.value()));
        (None, Some(&values))
    } else {
        // The file field's current files by id, and the new one: checked and resolved as a
        // client's would be.
        let current = item.data.get(&field.ref_id);
        let named = attached_value(false, current, request, &stored.value());
        let ids: Vec<Value> =
            named.as_array().into_iter().flatten().filter_map(|f| f.get("id")).map(|id| json!({ "id": id })).collect();
        values.insert(field.ref_id.clone(), Value::Array(ids));
        (Some(&values), None)
    };
    let update =
        crate::items::UpdateRequest { data, server_values, status: None, is_draft: None, problems: Vec::new() };
    let mut tx = db.begin().await?;
    let result = crate::items::update_in(&mut tx, record, fields, &item.reference, &update, author).await;
    let updated = match result {
        Ok(Some(updated)) => updated,
        Ok(None) => return Err(DocumentError::Unavailable("The item no longer exists".into())),
        Err(crate::items::ItemError::Store(e)) => return Err(DocumentError::Store(e)),
        Err(crate::items::ItemError::Invalid(details)) => return Err(DocumentError::Refused(details)),
        Err(crate::items::ItemError::Duplicate(detail)) => return Err(DocumentError::Refused(vec![detail])),
    };
    tx.commit().await?;
    Ok(updated.data.get(&field.ref_id).cloned().unwrap_or(Value::Null))
}
