//! Provider clients. Every outgoing call has a timeout; every answer is classified as success,
//! worth retrying (timeouts, 429 with its `Retry-After`, 5xx) or not (other 4xx); and no error
//! message ever carries a credential. Base URLs are configuration, so the same clients talk to
//! on-premise providers and to the tests' local fakes.

pub mod adobe_sign;
pub mod certisign;
pub mod clicksign;
pub mod d4sign;
pub mod docusign;
pub mod esign;
pub mod object_storage;
pub mod openai;
pub mod sendgrid;
pub mod twilio;
pub mod webhooks;

use std::time::{Duration, Instant};

use serde_json::Value;

/// An integration's `environment`: the provider's sandbox (`stage`) or live endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Stage,
    Production,
}

impl Environment {
    /// Anything but `production` is the sandbox: a setting gone missing never reaches live.
    pub fn of(setting: Option<&str>) -> Environment {
        if setting == Some("production") {
            Environment::Production
        } else {
            Environment::Stage
        }
    }

    fn pick(self, stage: &str, production: &str) -> String {
        match self {
            Environment::Stage => stage.into(),
            Environment::Production => production.into(),
        }
    }
}

/// Where each provider is reached. The e-signature providers have a sandbox and a live address
/// each, chosen by the integration's `environment`; a configured override replaces both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUrls {
    pub sendgrid: String,
    pub twilio: String,
    /// The API root, `/v1` included (an integration's `base_url` overrides it).
    pub openai: String,
    /// Certisign's Portal de Assinaturas API root (`/api/v2` included).
    pub certisign: Option<String>,
    /// D4Sign's API root (`/api/v1` included).
    pub d4sign: Option<String>,
    /// Clicksign's API root (`/api/v3` included).
    pub clicksign: Option<String>,
    /// Docusign's authentication service (`/oauth/userinfo` lives there; the account's own
    /// eSignature address comes from its answer).
    pub docusign_auth: Option<String>,
    /// Adobe Acrobat Sign's API access point (an integration's `api_access_point` overrides it).
    pub adobe_sign: Option<String>,
}

impl Default for ProviderUrls {
    fn default() -> Self {
        ProviderUrls {
            sendgrid: "https://api.sendgrid.com".into(),
            twilio: "https://api.twilio.com".into(),
            openai: "https://api.openai.com/v1".into(),
            certisign: None,
            d4sign: None,
            clicksign: None,
            docusign_auth: None,
            adobe_sign: None,
        }
    }
}

impl ProviderUrls {
    fn or(over: &Option<String>, env: Environment, stage: &str, production: &str) -> String {
        over.clone().unwrap_or_else(|| env.pick(stage, production)).trim_end_matches('/').to_string()
    }

    pub fn certisign(&self, env: Environment) -> String {
        let (stage, live) =
            ("https://api-sbx.portaldeassinaturas.com.br/api/v2", "https://api.portaldeassinaturas.com.br/api/v2");
        Self::or(&self.certisign, env, stage, live)
    }

    pub fn d4sign(&self, env: Environment) -> String {
        Self::or(&self.d4sign, env, "https://sandbox.d4sign.com.br/api/v1", "https://secure.d4sign.com.br/api/v1")
    }

    pub fn clicksign(&self, env: Environment) -> String {
        Self::or(&self.clicksign, env, "https://sandbox.clicksign.com/api/v3", "https://app.clicksign.com/api/v3")
    }

    pub fn docusign_auth(&self, env: Environment) -> String {
        Self::or(&self.docusign_auth, env, "https://account-d.docusign.com", "https://account.docusign.com")
    }

    /// The integration's `api_access_point` when set, else the configured one, else Adobe's
    /// North America shard (sandbox or live).
    pub fn adobe_sign(&self, env: Environment, access_point: Option<&str>) -> String {
        let (stage, live) = ("https://api.na1.adobesignsandbox.com", "https://api.na1.adobesign.com");
        match access_point {
            Some(point) => point.trim_end_matches('/').to_string(),
            None => Self::or(&self.adobe_sign, env, stage, live),
        }
    }
}

/// The server-wide Twilio account, used by WhatsApp integrations installed without their own.
#[derive(Clone)]
pub struct TwilioAccount {
    pub sid: String,
    pub token: String,
}

impl std::fmt::Debug for TwilioAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TwilioAccount({})", self.sid)
    }
}

/// The shared HTTP client, the providers' addresses and server-wide accounts.
#[derive(Debug, Clone)]
pub struct Providers {
    client: reqwest::Client,
    pub urls: ProviderUrls,
    pub twilio_account: Option<TwilioAccount>,
    /// How long SendGrid's Email Activity may take to show a message it accepted: an
    /// interrupted send is looked up no sooner than this after it started.
    pub sendgrid_activity_delay: Duration,
    /// Each Docusign account's eSignature address, from `/oauth/userinfo` (which Docusign
    /// limits per hour), kept for the process's life.
    docusign_base_uris: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

/// How long one provider call may take [ours].
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// SendGrid's Email Activity usually shows a message within seconds; two minutes is a margin
/// [ours: SendGrid documents no bound].
pub const SENDGRID_ACTIVITY_DELAY: Duration = Duration::from_secs(120);

impl Providers {
    pub fn with_sendgrid_activity_delay(mut self, delay: Duration) -> Providers {
        self.sendgrid_activity_delay = delay;
        self
    }

    pub fn with_twilio_account(mut self, account: Option<TwilioAccount>) -> Providers {
        self.twilio_account = account;
        self
    }

    pub fn new(urls: ProviderUrls) -> Providers {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("enspace/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with rustls and default settings builds");
        Providers {
            client,
            urls,
            twilio_account: None,
            sendgrid_activity_delay: SENDGRID_ACTIVITY_DELAY,
            docusign_base_uris: Default::default(),
        }
    }
}

/// A failed provider call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// Worth another attempt, not before `retry_after` when the provider said so.
    /// `maybe_taken`: the provider may have acted on the request all the same (a timeout, a
    /// connection lost after sending): another attempt should first ask whether it did.
    #[error("{message}")]
    Retry { message: String, retry_after: Option<Duration>, maybe_taken: bool },
    /// Another attempt would fail the same way.
    #[error("{message}")]
    Fatal { message: String },
}

/// A provider's answer, read whole (these APIs answer small JSON documents).
#[derive(Debug)]
struct Answer {
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
    /// `Null` when the body is not JSON.
    json: Value,
    /// The body as received (documents are binary).
    bytes: Vec<u8>,
}

impl Answer {
    /// The error for a non-success answer, with the provider's own `detail`.
    fn refused(&self, provider: &str, detail: Option<String>) -> ProviderError {
        refused(provider, self.status, &self.headers, detail.filter(|d| !d.is_empty()).as_deref().unwrap_or(&self.text))
    }
}

/// Sends one request and records the attempt in the log (provider, operation, status,
/// duration; never the address, a header or a body, which may hold credentials).
async fn call(
    provider: &'static str,
    operation: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Answer, ProviderError> {
    let started = Instant::now();
    let sent = request.send().await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            tracing::info!(target: "enspace::provider", provider, operation, duration_ms, outcome = "unreachable", "provider call");
            return Err(unreachable(provider, error));
        }
    };
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    tracing::info!(target: "enspace::provider", provider, operation, duration_ms, status = status.as_u16(), "provider call");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer { status, headers, text, json, bytes })
}

/// What a credentials check found: whether the provider accepted them, and in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub ok: bool,
    pub message: String,
}

impl Checked {
    fn ok(message: impl Into<String>) -> Checked {
        Checked { ok: true, message: message.into() }
    }

    fn failed(message: impl Into<String>) -> Checked {
        Checked { ok: false, message: message.into() }
    }
}

/// The provider's `Retry-After` in seconds (the HTTP-date form is not used by these providers).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// Classifies a non-success answer. `detail` is the provider's own error text (never the
/// request, which holds credentials), cut short.
fn refused(
    provider: &str,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    detail: &str,
) -> ProviderError {
    let detail: String = detail.chars().take(300).collect();
    let message = format!("{provider} answered {}: {detail}", status.as_u16());
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        ProviderError::Retry { message, retry_after: retry_after(headers), maybe_taken: false }
    } else {
        ProviderError::Fatal { message }
    }
}

/// A transport failure (no answer): always worth retrying. reqwest's message names the URL,
/// never headers or bodies.
fn unreachable(provider: &str, error: reqwest::Error) -> ProviderError {
    let what = if error.is_timeout() { "timed out" } else { "could not be reached" };
    // A connection never made carried nothing; any other failure may come after the request
    // was sent.
    let maybe_taken = !error.is_connect();
    ProviderError::Retry {
        message: format!("{provider} {what}: {}", error.without_url()),
        retry_after: None,
        maybe_taken,
    }
}
