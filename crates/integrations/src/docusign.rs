//! Docusign: the authentication service's `/oauth/userinfo` (which accounts a token may act
//! for, and each account's eSignature `base_uri`), and the eSignature REST API v2.1 under that
//! `base_uri` (`/restapi/v2.1/accounts/{accountId}/...`), all with a Bearer access token.

use enspace_domain::esign::{Happening, SignerRef};
use serde_json::{json, Value};

use crate::{
    call,
    esign::{Callback, ESignProvider, Outgoing, ProviderFuture, Sent},
    Answer, Checked, ProviderError, Providers,
};

/// OAuth errors: `{"error", "error_description"}`; eSignature errors: `{"errorCode", "message"}`.
fn refusal(answer: &Answer) -> ProviderError {
    let json = &answer.json;
    let detail = json["error_description"].as_str().or(json["message"].as_str()).or(json["error"].as_str());
    answer.refused("Docusign", detail.map(str::to_string))
}

/// An account a token may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub account_name: String,
    /// The eSignature API's address for this account (`https://demo.docusign.net`, ...).
    pub base_uri: String,
}

/// The accounts the token may act for (`GET <auth>/oauth/userinfo`).
pub async fn accounts(providers: &Providers, auth: &str, access_token: &str) -> Result<Vec<Account>, ProviderError> {
    let request = providers.client.get(format!("{auth}/oauth/userinfo")).bearer_auth(access_token);
    let answer = call("Docusign", "oauth.userinfo", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    let accounts = answer.json["accounts"].as_array().into_iter().flatten();
    Ok(accounts
        .filter_map(|a| {
            Some(Account {
                account_id: a["account_id"].as_str()?.to_string(),
                account_name: a["account_name"].as_str().unwrap_or_default().to_string(),
                base_uri: a["base_uri"].as_str()?.trim_end_matches('/').to_string(),
            })
        })
        .collect())
}

/// Checks that the token is valid and may act for `account_id`.
pub async fn check(
    providers: &Providers,
    auth: &str,
    access_token: &str,
    account_id: &str,
) -> Result<Checked, ProviderError> {
    let accounts = accounts(providers, auth, access_token).await?;
    Ok(match accounts.iter().find(|a| a.account_id == account_id) {
        Some(account) => {
            Checked::ok(format!("Docusign accepted the access token for account {}", account.account_name))
        }
        None => {
            Checked::failed(format!("Docusign accepted the access token, but it cannot act for account {account_id}"))
        }
    })
}

/// One installation's credentials.
#[derive(Clone)]
pub struct Docusign {
    pub providers: Providers,
    /// The authentication service (`https://account[-d].docusign.com`).
    pub auth: String,
    pub access_token: String,
    pub account_id: String,
}

impl std::fmt::Debug for Docusign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Docusign({})", self.account_id)
    }
}

/// Recipient collections of an envelope definition, by our action names.
fn collection(action: &str) -> &'static str {
    match action {
        "carbon_copy" => "carbonCopies",
        "certified_delivery" => "certifiedDeliveries",
        "agent" => "agents",
        "configurator" => "editors",
        "intermediary" => "intermediaries",
        _ => "signers",
    }
}

/// The Connect events a request subscribes to (envelope-level Connect, JSON SIM, HMAC signed).
pub const EVENTS: [&str; 7] = [
    "envelope-sent",
    "envelope-completed",
    "envelope-declined",
    "envelope-voided",
    "recipient-sent",
    "recipient-completed",
    "recipient-declined",
];

/// The envelope definition: one document, recipients numbered in order from 1 (the number is
/// how callbacks name them), all routed in parallel, sent at once, with its own Connect
/// subscription to `callback_url`.
pub fn envelope(outgoing: &Outgoing<'_>) -> Value {
    use base64::Engine;
    let mut recipients = serde_json::Map::new();
    for (i, signer) in outgoing.signers.iter().enumerate() {
        let entry = recipients.entry(collection(signer.action)).or_insert_with(|| json!([]));
        let mut recipient = json!({ "email": signer.email, "name": signer.name.unwrap_or(signer.email),
            "recipientId": (i + 1).to_string(), "routingOrder": "1" });
        if signer.action == "signer" {
            // Docusign places a signature where none is positioned: at the document's end.
            recipient["tabs"] = json!({ "signHereTabs": [{ "documentId": "1", "pageNumber": "1", "xPosition": "100",
                "yPosition": "700" }] });
        }
        entry.as_array_mut().expect("an array").push(recipient);
    }
    json!({
        "emailSubject": outgoing.title,
        "status": "sent",
        "documents": [{
            "documentId": "1",
            "name": outgoing.document.filename,
            "fileExtension": outgoing.document.extension(),
            "documentBase64": base64::engine::general_purpose::STANDARD.encode(outgoing.document.content),
        }],
        "recipients": recipients,
        "eventNotification": {
            "url": outgoing.callback_url,
            "deliveryMode": "SIM",
            "requireAcknowledgment": "true",
            "includeHMAC": "true",
            "loggingEnabled": "true",
            "eventData": { "version": "restv2.1", "format": "json" },
            "events": EVENTS,
        },
    })
}

impl Docusign {
    /// The account's eSignature API root (`<base_uri>/restapi/v2.1/accounts/<id>`).
    async fn api(&self) -> Result<String, ProviderError> {
        let cache_key = format!("{} {}", self.auth, self.account_id);
        let cached = self.providers.docusign_base_uris.lock().expect("not poisoned").get(&cache_key).cloned();
        let base = match cached {
            Some(base) => base,
            None => {
                let accounts = accounts(&self.providers, &self.auth, &self.access_token).await?;
                let account = accounts.into_iter().find(|a| a.account_id == self.account_id).ok_or_else(|| {
                    ProviderError::Fatal {
                        message: format!("the access token cannot act for account {}", self.account_id),
                    }
                })?;
                let mut cache = self.providers.docusign_base_uris.lock().expect("not poisoned");
                cache.insert(cache_key, account.base_uri.clone());
                account.base_uri
            }
        };
        Ok(format!("{base}/restapi/v2.1/accounts/{}", self.account_id))
    }
}

impl ESignProvider for Docusign {
    fn send<'a>(&'a self, outgoing: &'a Outgoing<'a>) -> ProviderFuture<'a, Sent> {
        Box::pin(async move {
            let url = format!("{}/envelopes", self.api().await?);
            let request = self.providers.client.post(url).bearer_auth(&self.access_token).json(&envelope(outgoing));
            let answer = call("Docusign", "envelopes.create", request).await?;
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            let id = answer.json["envelopeId"].as_str().map(str::to_string).ok_or_else(|| ProviderError::Retry {
                message: "Docusign created the envelope without an envelopeId".into(),
                retry_after: None,
                maybe_taken: true,
            })?;
            Ok(Sent { id, document_id: None })
        })
    }

    fn signed_document<'a>(&'a self, sent: &'a Sent) -> ProviderFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let provider_id = &sent.id;
            let api = self.api().await?;
            let status_url = format!("{api}/envelopes/{provider_id}");
            let answer = call(
                "Docusign",
                "envelopes.get",
                self.providers.client.get(status_url).bearer_auth(&self.access_token),
            )
            .await?;
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            if answer.json["status"].as_str() != Some("completed") {
                return Ok(None);
            }
            let url = format!("{api}/envelopes/{provider_id}/documents/combined");
            let request = self.providers.client.get(url).bearer_auth(&self.access_token);
            let answer = call("Docusign", "documents.combined", request).await?;
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            Ok(Some(answer.bytes))
        })
    }
}

/// Reads a JSON SIM message (`{event, generatedDateTime, data: {envelopeId, recipientId,
/// envelopeSummary?}}`). Recipient numbers are ours: signer `n` of the request is `n + 1`.
pub fn callback(body: &[u8]) -> Result<Callback, String> {
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event = json["event"].as_str().ok_or("no event")?.to_string();
    let data = &json["data"];
    let envelope_id = data["envelopeId"].as_str().ok_or("no data.envelopeId")?.to_string();
    let recipient = data["recipientId"].as_str().and_then(|r| r.parse::<usize>().ok()).filter(|r| *r > 0);
    let index = recipient.map(|r| r - 1);
    let voided_reason = data["envelopeSummary"]["voidedReason"].as_str().unwrap_or_default().to_ascii_lowercase();
    let happening = match (event.as_str(), index) {
        ("envelope-completed", _) => Happening::Completed,
        ("envelope-declined", _) => Happening::Refused,
        ("envelope-voided", _) if voided_reason.contains("expired") => Happening::Expired,
        ("envelope-voided", _) => Happening::Cancelled,
        ("recipient-completed", Some(index)) => Happening::SignerSigned(SignerRef::Index(index)),
        ("recipient-declined", Some(index)) => Happening::SignerRefused(SignerRef::Index(index)),
        _ => Happening::Noted,
    };
    let key = match recipient {
        Some(r) => format!("{event}:{r}"),
        None => event.clone(),
    };
    Ok(Callback { provider_id: envelope_id, key, event, happening })
}

/// Whether one of Connect's signatures (`X-DocuSign-Signature-1`, `-2`, ... one per active key)
/// matches one of the installation's keys: either side may hold several while keys rotate.
pub fn authentic(keys: &[&str], body: &[u8], signatures: &[&str]) -> bool {
    let mut found = false;
    for key in keys {
        for signature in signatures {
            // No early exit: the time taken does not depend on which pair matched.
            found |= crate::esign::hmac_sha256_base64_matches(key.as_bytes(), body, signature);
        }
    }
    found
}
