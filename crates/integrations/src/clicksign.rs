//! Clicksign's API v3 (envelopes; JSON:API documents, `application/vnd.api+json`), with the
//! account's access token as the bare `Authorization` header value.

use enspace_domain::esign::{Happening, SignerRef};
use serde_json::{json, Value};

use crate::{
    call,
    esign::{media_type, Callback, ESignProvider, Outgoing, ProviderFuture, Sent},
    Answer, Checked, ProviderError, Providers,
};

pub const MEDIA_TYPE: &str = "application/vnd.api+json";

/// JSON:API errors: `{"errors": [{"title", "detail", "code"}]}`.
fn refusal(answer: &Answer) -> ProviderError {
    let detail = answer.json["errors"].as_array().map(|errors| {
        errors.iter().filter_map(|e| e["detail"].as_str().or(e["title"].as_str())).collect::<Vec<_>>().join("; ")
    });
    answer.refused("Clicksign", detail)
}

fn get(providers: &Providers, url: String, token: &str) -> reqwest::RequestBuilder {
    providers.client.get(url).header("Authorization", token).header("Accept", MEDIA_TYPE)
}

/// Checks a token by listing one envelope (`GET /envelopes?page[size]=1`), Clicksign's own
/// suggested authentication test.
pub async fn check(providers: &Providers, base: &str, token: &str) -> Result<Checked, ProviderError> {
    let request = get(providers, format!("{base}/envelopes"), token).query(&[("page[size]", "1")]);
    let answer = call("Clicksign", "envelopes.list", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    Ok(Checked::ok("Clicksign accepted the access token"))
}

/// One installation's credentials, against its environment's API root.
#[derive(Clone)]
pub struct Clicksign {
    pub providers: Providers,
    pub base: String,
    pub token: String,
}

/// A JSON:API resource object to create.
fn resource(kind: &str, attributes: Value) -> Value {
    json!({ "data": { "type": kind, "attributes": attributes } })
}

fn relationship(kind: &str, id: &str) -> Value {
    json!({ "data": { "type": kind, "id": id } })
}

impl Clicksign {
    async fn write(
        &self,
        method: reqwest::Method,
        path: &str,
        operation: &'static str,
        body: &Value,
    ) -> Result<Value, ProviderError> {
        let request = self
            .providers
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.token)
            .header("Accept", MEDIA_TYPE)
            .header("Content-Type", MEDIA_TYPE)
            .body(body.to_string());
        let answer = call("Clicksign", operation, request).await?;
        if !answer.status.is_success() {
            return Err(refusal(&answer));
        }
        Ok(answer.json)
    }

    async fn create(&self, path: &str, operation: &'static str, body: &Value) -> Result<String, ProviderError> {
        let created = self.write(reqwest::Method::POST, path, operation, body).await?;
        created["data"]["id"].as_str().map(str::to_string).ok_or_else(|| ProviderError::Retry {
            message: format!("Clicksign answered {operation} without an id"),
            retry_after: None,
            maybe_taken: true,
        })
    }
}

impl ESignProvider for Clicksign {
    /// An envelope (closing by itself after the last signature, blocked by a refusal), its
    /// document as a data URI, each signer with a qualification requirement (`agree` in its
    /// role) and an email authentication requirement, then activated and notified.
    fn send<'a>(&'a self, outgoing: &'a Outgoing<'a>) -> ProviderFuture<'a, Sent> {
        Box::pin(async move {
            use base64::Engine;
            let envelope = resource(
                "envelopes",
                json!({ "name": outgoing.title, "locale": "pt-BR", "auto_close": true, "remind_interval": 3,
                    "block_after_refusal": true }),
            );
            let id = self.create("/envelopes", "envelopes.create", &envelope).await?;
            let content = format!(
                "data:{};base64,{}",
                media_type(&outgoing.document.extension()),
                base64::engine::general_purpose::STANDARD.encode(outgoing.document.content)
            );
            let document =
                resource("documents", json!({ "filename": outgoing.document.filename, "content_base64": content }));
            let document_id = self.create(&format!("/envelopes/{id}/documents"), "documents.create", &document).await?;
            for signer in outgoing.signers {
                let name = signer.name.unwrap_or(signer.email);
                let attributes = json!({ "name": name, "email": signer.email, "communicate_events": {
                    "signature_request": "email", "signature_reminder": "email", "document_signed": "email" } });
                let signer_id = self
                    .create(&format!("/envelopes/{id}/signers"), "signers.create", &resource("signers", attributes))
                    .await?;
                for attributes in [
                    json!({ "action": "agree", "role": signer.action }),
                    json!({ "action": "provide_evidence", "auth": "email" }),
                ] {
                    let mut requirement = resource("requirements", attributes);
                    requirement["data"]["relationships"] = json!({ "document": relationship("documents", &document_id),
                        "signer": relationship("signers", &signer_id) });
                    self.create(&format!("/envelopes/{id}/requirements"), "requirements.create", &requirement).await?;
                }
            }
            let running = json!({ "data": { "id": id, "type": "envelopes", "attributes": { "status": "running" } } });
            self.write(reqwest::Method::PATCH, &format!("/envelopes/{id}"), "envelopes.activate", &running).await?;
            let notification = resource("notifications", json!({ "message": outgoing.title }));
            self.write(
                reqwest::Method::POST,
                &format!("/envelopes/{id}/notifications"),
                "notifications.create",
                &notification,
            )
            .await?;
            Ok(Sent { id, document_id: Some(document_id) })
        })
    }

    /// The document's `signed` file link, once Clicksign has it, fetched.
    fn signed_document<'a>(&'a self, sent: &'a Sent) -> ProviderFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let Some(document_id) = &sent.document_id else { return Ok(None) };
            let url = format!("{}/envelopes/{}/documents/{document_id}", self.base, sent.id);
            let answer = call("Clicksign", "documents.get", get(&self.providers, url, &self.token)).await?;
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            let Some(link) = answer.json["data"]["links"]["files"]["signed"].as_str() else { return Ok(None) };
            let file = call("Clicksign", "documents.download", self.providers.client.get(link)).await?;
            if !file.status.is_success() {
                return Err(refusal(&file));
            }
            Ok(Some(file.bytes))
        })
    }
}

/// Reads `{"event": {"name", "data": {"signer": {"email", ...}}, "occurred_at"}, "document":
/// {"key", ...}}`.
pub fn callback(body: &[u8]) -> Result<Callback, String> {
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event = json["event"]["name"].as_str().ok_or("no event.name")?.to_string();
    let document_key = json["document"]["key"].as_str().ok_or("no document.key")?.to_string();
    let signer = json["event"]["data"]["signer"]["email"].as_str().map(str::to_ascii_lowercase);
    let by_email = |email: &Option<String>| email.clone().map(SignerRef::Email);
    let happening = match (event.as_str(), by_email(&signer)) {
        ("sign", Some(signer)) => Happening::SignerSigned(signer),
        ("refusal", Some(signer)) => Happening::SignerRefused(signer),
        ("auto_close" | "close" | "document_closed", _) => Happening::Completed,
        ("cancel", _) => Happening::Cancelled,
        ("deadline", _) => Happening::Expired,
        _ => Happening::Noted,
    };
    let key = match &signer {
        Some(email) => format!("{event}:{email}"),
        None => event.clone(),
    };
    Ok(Callback { provider_id: document_key, key, event, happening })
}

/// Whether `Content-Hmac: sha256=<hex>` is the body's HMAC under the installation's secret.
pub fn authentic(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    match header {
        Some(header) if !secret.is_empty() => crate::esign::hmac_sha256_hex_matches(secret.as_bytes(), body, header),
        _ => false,
    }
}
