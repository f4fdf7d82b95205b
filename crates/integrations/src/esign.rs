//! What every e-signature provider does for a signature request, behind one trait: send a
//! document to its signers, and fetch the signed document. Each provider's callbacks are read
//! by its own module (`docusign::callback`, ...), since each authenticates them its own way.

use std::{future::Future, pin::Pin};

use crate::ProviderError;

/// The document to sign.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub filename: &'a str,
    pub content: &'a [u8],
}

impl Document<'_> {
    /// The file name's extension, lower case (`pdf` when there is none).
    pub fn extension(&self) -> String {
        match self.filename.rsplit_once('.') {
            Some((_, ext)) if !ext.is_empty() => ext.to_ascii_lowercase(),
            _ => "pdf".into(),
        }
    }
}

/// One signer, with the action in the provider's own vocabulary (already checked).
#[derive(Debug, Clone)]
pub struct SignerSpec<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub action: &'a str,
}

/// A request to send out.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub title: &'a str,
    pub document: Document<'a>,
    pub signers: &'a [SignerSpec<'a>],
    /// Where the provider should post its events, when it takes the address per request.
    pub callback_url: &'a str,
}

/// What the provider calls a request it took: the envelope (document, agreement) and, where it
/// has one apart, the document inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub id: String,
    pub document_id: Option<String>,
}

/// A provider callback, read: which request (the provider's id for the envelope or the
/// document), which event (`key` is the same for every delivery of it), and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub provider_id: String,
    pub key: String,
    pub event: String,
    pub happening: enspace_domain::esign::Happening,
}

pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// One provider, with one installation's credentials.
pub trait ESignProvider: Send + Sync {
    /// Uploads the document, adds the signers and sends it; answers the provider's ids for it.
    fn send<'a>(&'a self, outgoing: &'a Outgoing<'a>) -> ProviderFuture<'a, Sent>;

    /// The signed document (`None` while the provider does not have it yet).
    fn signed_document<'a>(&'a self, sent: &'a Sent) -> ProviderFuture<'a, Option<Vec<u8>>>;
}

fn hmac_sha256(key: &[u8], body: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The base64 HMAC-SHA256 of `body` under `key` (how Docusign Connect signs).
pub fn hmac_sha256_base64(key: &[u8], body: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key, body))
}

/// Whether `header` is the base64 HMAC-SHA256 of `body` under `key` (constant-time).
pub fn hmac_sha256_base64_matches(key: &[u8], body: &[u8], header: &str) -> bool {
    use subtle::ConstantTimeEq;
    hmac_sha256_base64(key, body).as_bytes().ct_eq(header.trim().as_bytes()).into()
}

/// The hex HMAC-SHA256 of `body` under `key`: how Clicksign and D4Sign sign their callbacks.
pub fn hmac_sha256_hex(key: &[u8], body: &[u8]) -> String {
    hex::encode(hmac_sha256(key, body))
}

/// Whether `header` is the hex HMAC-SHA256 of `body` under `key` (constant-time; a `sha256=`
/// prefix and upper case are accepted).
pub fn hmac_sha256_hex_matches(key: &[u8], body: &[u8], header: &str) -> bool {
    use subtle::ConstantTimeEq;
    let given = header.trim();
    let given = given.strip_prefix("sha256=").unwrap_or(given).to_ascii_lowercase();
    hmac_sha256_hex(key, body).as_bytes().ct_eq(given.as_bytes()).into()
}

/// The document's media type, from its name (what providers that take data URIs need).
pub fn media_type(extension: &str) -> &'static str {
    match extension {
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/pdf",
    }
}
