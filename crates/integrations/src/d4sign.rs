//! D4Sign's API v1 (`https://secure.d4sign.com.br/api/v1`, sandbox
//! `https://sandbox.d4sign.com.br/api/v1`): every call carries `tokenAPI` and `cryptKey` as
//! query parameters, so no address of a D4Sign call is ever logged or put in an error.

use enspace_domain::esign::{Happening, SignerRef};
use serde_json::{json, Value};

use crate::{
    call,
    esign::{media_type, Callback, ESignProvider, Outgoing, ProviderFuture, Sent},
    Answer, Checked, ProviderError, Providers,
};

/// D4Sign's errors: `{"message": "..."}`.
fn refusal(answer: &Answer) -> ProviderError {
    answer.refused("D4Sign", answer.json["message"].as_str().map(str::to_string))
}

/// Checks the keys by listing the account's safes (`GET /safes`), where documents live.
pub async fn check(providers: &Providers, base: &str, token: &str, crypt_key: &str) -> Result<Checked, ProviderError> {
    let request = providers.client.get(format!("{base}/safes")).query(&[("tokenAPI", token), ("cryptKey", crypt_key)]);
    let answer = call("D4Sign", "safes.list", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    let safes = answer.json.as_array().map(Vec::len).unwrap_or(0);
    Ok(if safes == 0 {
        Checked::failed("D4Sign accepted the keys, but the account has no safe to keep documents in")
    } else {
        Checked::ok(format!("D4Sign accepted the keys ({safes} safes)"))
    })
}

/// One installation's credentials, against its environment's API root.
#[derive(Clone)]
pub struct D4Sign {
    pub providers: Providers,
    pub base: String,
    pub token: String,
    pub crypt_key: String,
    /// The safe documents go to; the account's first when not set.
    pub safe: Option<String>,
}

impl D4Sign {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.providers
            .client
            .request(method, format!("{}{path}", self.base))
            .query(&[("tokenAPI", self.token.as_str()), ("cryptKey", self.crypt_key.as_str())])
    }

    async fn post(&self, path: &str, operation: &'static str, body: Value) -> Result<Value, ProviderError> {
        let answer = call("D4Sign", operation, self.request(reqwest::Method::POST, path).json(&body)).await?;
        if !answer.status.is_success() {
            return Err(refusal(&answer));
        }
        Ok(answer.json)
    }

    async fn safe(&self) -> Result<String, ProviderError> {
        if let Some(safe) = self.safe.as_ref().filter(|s| !s.is_empty()) {
            return Ok(safe.clone());
        }
        let answer = call("D4Sign", "safes.list", self.request(reqwest::Method::GET, "/safes")).await?;
        if !answer.status.is_success() {
            return Err(refusal(&answer));
        }
        answer.json[0]["uuid_safe"].as_str().map(str::to_string).ok_or_else(|| ProviderError::Fatal {
            message: "D4Sign: the account has no safe to keep documents in".into(),
        })
    }
}

impl ESignProvider for D4Sign {
    /// Upload into the safe (base64), the signers with their acts, this server's webhook, then
    /// the send to the signers.
    fn send<'a>(&'a self, outgoing: &'a Outgoing<'a>) -> ProviderFuture<'a, Sent> {
        Box::pin(async move {
            use base64::Engine;
            let safe = self.safe().await?;
            let upload = json!({
                "base64_binary_file": base64::engine::general_purpose::STANDARD.encode(outgoing.document.content),
                "mime_type": media_type(&outgoing.document.extension()),
                "name": outgoing.document.filename,
            });
            let uploaded = self.post(&format!("/documents/{safe}/uploadbinary"), "documents.upload", upload).await?;
            let id = uploaded["uuid"].as_str().map(str::to_string).ok_or_else(|| ProviderError::Retry {
                message: "D4Sign took the upload without a uuid".into(),
                retry_after: None,
                maybe_taken: true,
            })?;
            let signers: Vec<Value> = outgoing
                .signers
                .iter()
                .map(|s| {
                    json!({ "email": s.email, "act": s.action, "foreign": "0", "certificadoicpbr": "0",
                        "assinatura_presencial": "0", "embed_methodauth": "email", "embed_smsnumber": "" })
                })
                .collect();
            self.post(&format!("/documents/{id}/createlist"), "signers.create", json!({ "signers": signers })).await?;
            self.post(&format!("/documents/{id}/webhooks"), "webhooks.create", json!({ "url": outgoing.callback_url }))
                .await?;
            let send = json!({ "message": outgoing.title, "skip_email": "0", "workflow": "0" });
            self.post(&format!("/documents/{id}/sendtosigner"), "documents.send", send).await?;
            Ok(Sent { id, document_id: None })
        })
    }

    /// Once the document is finished (status 4), its PDF through the download link D4Sign makes.
    fn signed_document<'a>(&'a self, sent: &'a Sent) -> ProviderFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let path = format!("/documents/{}", sent.id);
            let answer = call("D4Sign", "documents.get", self.request(reqwest::Method::GET, &path)).await?;
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            if answer.json[0]["statusId"].as_str() != Some("4") {
                return Ok(None);
            }
            let link = self
                .post(
                    &format!("/documents/{}/download", sent.id),
                    "documents.download",
                    json!({ "type": "PDF", "language": "pt" }),
                )
                .await?;
            let Some(url) = link["url"].as_str() else { return Ok(None) };
            let file = call("D4Sign", "documents.file", self.providers.client.get(url)).await?;
            if !file.status.is_success() {
                return Err(refusal(&file));
            }
            Ok(Some(file.bytes))
        })
    }
}

/// Reads a POSTBack (form fields `uuid`, `type_post`, `message`, `email`): 1 finished, 2 email
/// not delivered, 3 cancelled (a refusal when its message says so), 4 signed by `email`.
pub fn callback(body: &[u8]) -> Result<Callback, String> {
    let fields: std::collections::HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let uuid = fields.get("uuid").filter(|u| !u.is_empty()).ok_or("no uuid")?.clone();
    let kind = fields.get("type_post").ok_or("no type_post")?.clone();
    let email = fields.get("email").map(|e| e.to_ascii_lowercase()).filter(|e| !e.is_empty());
    let message = fields.get("message").map(|m| m.to_ascii_lowercase()).unwrap_or_default();
    let happening = match (kind.as_str(), &email) {
        ("1", _) => Happening::Completed,
        ("3", Some(email)) if message.contains("recus") || message.contains("refus") => {
            Happening::SignerRefused(SignerRef::Email(email.clone()))
        }
        ("3", _) if message.contains("recus") || message.contains("refus") => Happening::Refused,
        ("3", _) => Happening::Cancelled,
        ("4", Some(email)) => Happening::SignerSigned(SignerRef::Email(email.clone())),
        _ => Happening::Noted,
    };
    let key = match &email {
        Some(email) => format!("{kind}:{email}"),
        None => kind.clone(),
    };
    Ok(Callback { provider_id: uuid, key, event: format!("type_post {kind}"), happening })
}

/// Whether `Content-Hmac: sha256=<hex>` is the HMAC of the document's uuid under the account's
/// secret key (D4Sign signs the uuid, not the body).
pub fn authentic(secret: &str, uuid: &str, header: Option<&str>) -> bool {
    match header {
        Some(header) if !secret.is_empty() => {
            crate::esign::hmac_sha256_hex_matches(secret.as_bytes(), uuid.as_bytes(), header)
        }
        _ => false,
    }
}
