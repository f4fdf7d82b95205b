//! Provider clients. Every outgoing call has a timeout; every answer is classified as success,
//! worth retrying (timeouts, 429 with its `Retry-After`, 5xx) or not (other 4xx); and no error
//! message ever carries a credential. Base URLs are configuration, so the same clients talk to
//! on-premise providers and to the tests' local fakes.

pub mod openai;
pub mod sendgrid;
pub mod twilio;

use std::time::Duration;

/// Where each provider is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUrls {
    pub sendgrid: String,
    pub twilio: String,
    /// The API root, `/v1` included (an integration's `base_url` overrides it).
    pub openai: String,
}

impl Default for ProviderUrls {
    fn default() -> Self {
        ProviderUrls {
            sendgrid: "https://api.sendgrid.com".into(),
            twilio: "https://api.twilio.com".into(),
            openai: "https://api.openai.com/v1".into(),
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
}

/// How long one provider call may take [ours].
pub const TIMEOUT: Duration = Duration::from_secs(20);

impl Providers {
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
        Providers { client, urls, twilio_account: None }
    }
}

/// A failed provider call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// Worth another attempt, not before `retry_after` when the provider said so.
    #[error("{message}")]
    Retry { message: String, retry_after: Option<Duration> },
    /// Another attempt would fail the same way.
    #[error("{message}")]
    Fatal { message: String },
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
        ProviderError::Retry { message, retry_after: retry_after(headers) }
    } else {
        ProviderError::Fatal { message }
    }
}

/// A transport failure (no answer): always worth retrying. reqwest's message names the URL,
/// never headers or bodies.
fn unreachable(provider: &str, error: reqwest::Error) -> ProviderError {
    let what = if error.is_timeout() { "timed out" } else { "could not be reached" };
    ProviderError::Retry { message: format!("{provider} {what}: {}", error.without_url()), retry_after: None }
}
