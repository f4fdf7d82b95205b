//! Certisign's Portal de Assinaturas API (`/api/v2`, a `token` header). Its reference sits
//! behind the developer portal's login; what is here follows the public examples of
//! `document/upload`, `document/create` and `document/package`.

use enspace_domain::esign::{Happening, SignerRef};
use serde_json::{json, Value};

use crate::{
    call,
    esign::{Callback, ESignProvider, Outgoing, ProviderFuture, Sent},
    Answer, Checked, ProviderError, Providers,
};

/// Certisign's errors carry a `message` (or `Message`) when they carry anything.
fn refusal(answer: &Answer) -> ProviderError {
    let detail = answer.json["message"].as_str().or(answer.json["Message"].as_str()).map(str::to_string);
    answer.refused("Certisign", detail)
}

/// Checks a token by asking for a document package that cannot exist: the portal refuses an
/// unknown token with 401/403 before it looks for the document, so any other answer means the
/// token was accepted. (The API has no "who am I" call we could find.)
pub async fn check(providers: &Providers, base: &str, token: &str) -> Result<Checked, ProviderError> {
    let request =
        providers.client.get(format!("{base}/document/package")).header("token", token).query(&[("key", "0")]);
    let answer = call("Certisign", "document.package", request).await?;
    match answer.status.as_u16() {
        401 | 403 | 429 | 500.. => Err(refusal(&answer)),
        _ => Ok(Checked::ok("Certisign accepted the token")),
    }
}

/// One installation's credentials, against its environment's API root.
#[derive(Clone)]
pub struct Certisign {
    pub providers: Providers,
    pub base: String,
    pub token: String,
}

/// The document's participant lists, by our kind names [to confirm: only `signers` is in the
/// public examples].
fn list_of(kind: &str) -> &'static str {
    match kind {
        "electronic_signer" => "electronicSigners",
        "approver" => "approvers",
        "observer" => "observers",
        _ => "signers",
    }
}

impl Certisign {
    async fn post(&self, path: &str, operation: &'static str, body: &Value) -> Result<Value, ProviderError> {
        let request =
            self.providers.client.post(format!("{}{path}", self.base)).header("token", &self.token).json(body);
        let answer = call("Certisign", operation, request).await?;
        if !answer.status.is_success() {
            return Err(refusal(&answer));
        }
        Ok(answer.json)
    }
}

impl ESignProvider for Certisign {
    /// The file to the upload area (`document/upload`), then the document with its participants
    /// (all in step 1) and a callback fired on every action to `callback_url`.
    fn send<'a>(&'a self, outgoing: &'a Outgoing<'a>) -> ProviderFuture<'a, Sent> {
        Box::pin(async move {
            use base64::Engine;
            let upload = json!({ "fileName": outgoing.document.filename,
                "bytes": base64::engine::general_purpose::STANDARD.encode(outgoing.document.content) });
            let uploaded = self.post("/document/upload", "document.upload", &upload).await?;
            let upload_id = uploaded["uploadId"].as_str().ok_or_else(|| ProviderError::Retry {
                message: "Certisign took the upload without an uploadId".into(),
                retry_after: None,
                maybe_taken: true,
            })?;
            let mut document = json!({
                "document": { "name": outgoing.title, "upload": { "id": upload_id, "name": outgoing.document.filename } },
                "callback": { "url": outgoing.callback_url, "trigger": "ACTION" },
            });
            for signer in outgoing.signers {
                let list = document
                    .as_object_mut()
                    .expect("an object")
                    .entry(list_of(signer.action))
                    .or_insert_with(|| json!([]));
                list.as_array_mut().expect("an array").push(json!({ "step": 1, "title": signer.action,
                    "name": signer.name.unwrap_or(signer.email), "email": signer.email }));
            }
            let created = self.post("/document/create", "document.create", &document).await?;
            let key = created["chave"].as_str().or(created["key"].as_str()).ok_or_else(|| ProviderError::Retry {
                message: "Certisign created the document without its key (chave)".into(),
                retry_after: None,
                maybe_taken: true,
            })?;
            Ok(Sent { id: key.to_string(), document_id: None })
        })
    }

    /// The signed PDF from the document's package (unzipped, without the original).
    fn signed_document<'a>(&'a self, sent: &'a Sent) -> ProviderFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            use base64::Engine;
            let request = self
                .providers
                .client
                .get(format!("{}/document/package", self.base))
                .header("token", &self.token)
                .query(&[
                    ("key", sent.id.as_str()),
                    ("includeOriginal", "false"),
                    ("includeManifest", "true"),
                    ("zipped", "false"),
                ]);
            let answer = call("Certisign", "document.package", request).await?;
            if answer.status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            let file = if answer.json.is_array() { &answer.json[0] } else { &answer.json };
            let Some(bytes) = file["bytes"].as_str() else { return Ok(None) };
            base64::engine::general_purpose::STANDARD
                .decode(bytes)
                .map(Some)
                .map_err(|_| ProviderError::Fatal { message: "Certisign's package is not base64".into() })
        })
    }
}

/// Reads a callback [to confirm: Certisign's payload is not public; this reads the fields its
/// public client code uses — `action`, `apiDownload` (ending in the document's key) — and the
/// usual alternatives: `key`/`chave`/`documentKey`, `status`, `email`/`signerEmail`].
pub fn callback(body: &[u8]) -> Result<Callback, String> {
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let text =
        |keys: &[&str]| keys.iter().find_map(|k| json[*k].as_str().filter(|v| !v.is_empty()).map(str::to_string));
    let from_download = || {
        let url = json["apiDownload"].as_str()?;
        match url.split_once("key=") {
            Some((_, rest)) => Some(rest.split('&').next().unwrap_or(rest).to_string()),
            None => url.rsplit('/').next().map(str::to_string),
        }
    };
    let key = text(&["key", "chave", "documentKey"]).or_else(from_download).ok_or("no document key")?;
    let action = text(&["action", "status", "event"]).ok_or("no action")?;
    let email = text(&["email", "signerEmail", "participantEmail"]).map(|e| e.to_ascii_lowercase());
    let upper = action.to_ascii_uppercase();
    let has = |words: &[&str]| words.iter().any(|w| upper.contains(w));
    let signer = email.clone().map(SignerRef::Email);
    let happening = if has(&["REFUS", "REJECT", "RECUS"]) {
        signer.map(Happening::SignerRefused).unwrap_or(Happening::Refused)
    } else if has(&["CANCEL"]) {
        Happening::Cancelled
    } else if has(&["EXPIR"]) {
        Happening::Expired
    } else if has(&["CONCLU", "FINISH", "COMPLET", "FLOW"]) {
        Happening::Completed
    } else if has(&["SIGNATURE", "SIGNED", "APPROV"]) {
        signer.map(Happening::SignerSigned).unwrap_or(Happening::Noted)
    } else {
        Happening::Noted
    };
    let event_key = match &email {
        Some(email) => format!("{action}:{email}"),
        None => action.clone(),
    };
    Ok(Callback { provider_id: key, key: event_key, event: action, happening })
}

/// Whether the callback's path segment is the installation's callback token (constant time).
pub fn authentic(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty() && expected.as_bytes().ct_eq(given.as_bytes()).into()
}
