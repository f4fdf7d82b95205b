//! Adobe Acrobat Sign REST v6 under the account's API access point. Access tokens last an
//! hour, so every use starts from the stored refresh token (`POST /oauth/v2/refresh`).

use enspace_domain::esign::{Happening, SignerRef};
use serde_json::{json, Value};

use crate::{
    call,
    esign::{media_type, Callback, ESignProvider, Outgoing, ProviderFuture, Sent},
    Answer, Checked, ProviderError, Providers,
};

/// OAuth errors: `{"error", "error_description"}`; API errors: `{"code", "message"}`.
fn refusal(answer: &Answer) -> ProviderError {
    let json = &answer.json;
    let detail = json["error_description"].as_str().or(json["message"].as_str()).or(json["error"].as_str());
    answer.refused("Adobe Sign", detail.map(str::to_string))
}

/// The application and the account's long-lived grant.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub refresh_token: &'a str,
}

/// A fresh access token from the refresh token.
pub async fn access_token(
    providers: &Providers,
    base: &str,
    credentials: Credentials<'_>,
) -> Result<String, ProviderError> {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", credentials.client_id),
        ("client_secret", credentials.client_secret),
        ("refresh_token", credentials.refresh_token),
    ];
    let answer =
        call("Adobe Sign", "oauth.refresh", providers.client.post(format!("{base}/oauth/v2/refresh")).form(&form))
            .await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    answer.json["access_token"].as_str().map(str::to_string).ok_or_else(|| ProviderError::Fatal {
        message: "Adobe Sign answered the refresh without an access token".into(),
    })
}

/// Checks the credentials by refreshing an access token with them.
pub async fn check(providers: &Providers, base: &str, credentials: Credentials<'_>) -> Result<Checked, ProviderError> {
    access_token(providers, base, credentials).await?;
    Ok(Checked::ok("Adobe Sign accepted the client and the refresh token"))
}

/// One installation's credentials, against its API access point.
#[derive(Clone)]
pub struct AdobeSign {
    pub providers: Providers,
    pub base: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

/// The agreement events a request subscribes to.
pub const EVENTS: [&str; 6] = [
    "AGREEMENT_ACTION_COMPLETED",
    "AGREEMENT_WORKFLOW_COMPLETED",
    "AGREEMENT_REJECTED",
    "AGREEMENT_RECALLED",
    "AGREEMENT_EXPIRED",
    "AGREEMENT_ACTION_DELEGATED",
];

impl AdobeSign {
    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            client_id: &self.client_id,
            client_secret: &self.client_secret,
            refresh_token: &self.refresh_token,
        }
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/rest/v6{path}", self.base)
    }

    async fn post_json(
        &self,
        token: &str,
        path: &str,
        operation: &'static str,
        body: &Value,
    ) -> Result<Value, ProviderError> {
        let request = self.providers.client.post(self.api(path)).bearer_auth(token).json(body);
        let answer = call("Adobe Sign", operation, request).await?;
        if !answer.status.is_success() {
            return Err(refusal(&answer));
        }
        Ok(answer.json)
    }
}

fn id_of(json: &Value, key: &str, what: &str) -> Result<String, ProviderError> {
    json[key].as_str().map(str::to_string).ok_or_else(|| ProviderError::Retry {
        message: format!("Adobe Sign answered {what} without {key}"),
        retry_after: None,
        maybe_taken: true,
    })
}

impl ESignProvider for AdobeSign {
    /// A transient document (multipart upload), an agreement in process with one participant
    /// set per signer (in the request's order, each with its role), and a webhook on that
    /// agreement to this server.
    fn send<'a>(&'a self, outgoing: &'a Outgoing<'a>) -> ProviderFuture<'a, Sent> {
        Box::pin(async move {
            let token = access_token(&self.providers, &self.base, self.credentials()).await?;
            let mime = media_type(&outgoing.document.extension());
            let part = reqwest::multipart::Part::bytes(outgoing.document.content.to_vec())
                .file_name(outgoing.document.filename.to_string())
                .mime_str(mime)
                .expect("a known media type parses");
            let form = reqwest::multipart::Form::new()
                .text("File-Name", outgoing.document.filename.to_string())
                .text("Mime-Type", mime)
                .part("File", part);
            let upload =
                self.providers.client.post(self.api("/transientDocuments")).bearer_auth(&token).multipart(form);
            let answer = call("Adobe Sign", "transientDocuments.create", upload).await?;
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            let document = id_of(&answer.json, "transientDocumentId", "the upload")?;
            let participants: Vec<Value> = outgoing
                .signers
                .iter()
                .enumerate()
                .map(|(i, s)| json!({ "memberInfos": [{ "email": s.email }], "order": i + 1, "role": s.action }))
                .collect();
            let agreement = json!({ "fileInfos": [{ "transientDocumentId": document }], "name": outgoing.title,
                "participantSetsInfo": participants, "signatureType": "ESIGN", "state": "IN_PROCESS" });
            let created = self.post_json(&token, "/agreements", "agreements.create", &agreement).await?;
            let id = id_of(&created, "id", "the agreement")?;
            let webhook = json!({ "name": format!("enspace {id}"), "scope": "RESOURCE", "state": "ACTIVE",
                "resourceType": "AGREEMENT", "resourceId": id, "webhookSubscriptionEvents": EVENTS,
                "webhookUrlInfo": { "url": outgoing.callback_url } });
            self.post_json(&token, "/webhooks", "webhooks.create", &webhook).await?;
            Ok(Sent { id, document_id: None })
        })
    }

    /// The agreement's combined document, once it is `SIGNED`.
    fn signed_document<'a>(&'a self, sent: &'a Sent) -> ProviderFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let token = access_token(&self.providers, &self.base, self.credentials()).await?;
            let get = |path: String| self.providers.client.get(self.api(&path)).bearer_auth(&token);
            let answer = call("Adobe Sign", "agreements.get", get(format!("/agreements/{}", sent.id))).await?;
            if !answer.status.is_success() {
                return Err(refusal(&answer));
            }
            if answer.json["status"].as_str() != Some("SIGNED") {
                return Ok(None);
            }
            let file = call(
                "Adobe Sign",
                "agreements.combinedDocument",
                get(format!("/agreements/{}/combinedDocument", sent.id)),
            )
            .await?;
            if !file.status.is_success() {
                return Err(refusal(&file));
            }
            Ok(Some(file.bytes))
        })
    }
}

/// Reads a webhook notification (`{webhookNotificationId, event, participantUserEmail,
/// agreement: {id}}`): a participant's action, the whole workflow's end, a rejection, a recall,
/// an expiry.
pub fn callback(body: &[u8]) -> Result<Callback, String> {
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event = json["event"].as_str().ok_or("no event")?.to_string();
    let agreement = json["agreement"]["id"].as_str().ok_or("no agreement.id")?.to_string();
    let participant = json["participantUserEmail"].as_str().map(str::to_ascii_lowercase);
    let by_email = |e: &Option<String>| e.clone().map(SignerRef::Email);
    let happening = match (event.as_str(), by_email(&participant)) {
        ("AGREEMENT_ACTION_COMPLETED", Some(signer)) => Happening::SignerSigned(signer),
        ("AGREEMENT_REJECTED", Some(signer)) => Happening::SignerRefused(signer),
        ("AGREEMENT_REJECTED", None) => Happening::Refused,
        ("AGREEMENT_WORKFLOW_COMPLETED", _) => Happening::Completed,
        ("AGREEMENT_RECALLED", _) => Happening::Cancelled,
        ("AGREEMENT_EXPIRED", _) => Happening::Expired,
        _ => Happening::Noted,
    };
    // Adobe keeps a notification's id across its retries.
    let key = json["webhookNotificationId"].as_str().map(str::to_string).unwrap_or_else(|| match &participant {
        Some(email) => format!("{event}:{email}"),
        None => event.clone(),
    });
    Ok(Callback { provider_id: agreement, key, event, happening })
}

/// Adobe's verification of intent: a delivery must carry the application's client id in
/// `X-AdobeSign-ClientId` (compared in constant time), which the answer echoes back.
pub fn authentic(client_id: &str, header: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    match header {
        Some(header) if !client_id.is_empty() => client_id.as_bytes().ct_eq(header.trim().as_bytes()).into(),
        _ => false,
    }
}
