//! Outgoing webhook calls: the `x-enspace-signature` header and one POST to a receiver, with
//! the receiver's address resolved once, checked, and pinned for the connection (no second
//! lookup between the check and the call, decision 81), no redirects, no proxies, a timeout and
//! a bounded read of the answer.

use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use enspace_domain::webhooks::{blocked, refused_address, MAX_RESPONSE_BYTES, TIMEOUT_SECS};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

/// `t=<t>,v1=<hex>[,v1=<hex>]`: HMAC-SHA256 of `"<t>.<body>"` keyed by each secret's ASCII bytes
/// (the full `whsec_…` string, decision 79), the newest secret first.
pub fn signature(secrets: &[&str], t: i64, body: &[u8]) -> String {
    let mut header = format!("t={t}");
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        header.push_str(",v1=");
        header.push_str(&hex::encode(mac.finalize().into_bytes()));
    }
    header
}

/// How one call went: the receiver's status, or why there was none.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// How long a receiver's name may take to resolve (the system resolver has no bound of ours).
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The receiver's addresses, refused when any is blocked and private targets are not allowed.
async fn resolve(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => match tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((bare, port))).await {
            Err(_) => return Err(format!("{host} did not resolve within {} s", RESOLVE_TIMEOUT.as_secs())),
            Ok(found) => found.map_err(|e| format!("{host} does not resolve: {e}"))?.collect(),
        },
    };
    if addresses.is_empty() {
        return Err(format!("{host} does not resolve"));
    }
    if !allow_private {
        if let Some(bad) = addresses.iter().find(|a| blocked(a.ip())) {
            return Err(refused_address(&format!("{host} ({})", bad.ip())));
        }
    }
    Ok(addresses)
}

/// POSTs `body` to `url` with `headers`. Never an error: a refusal, a failed connection or a
/// timeout is an [`Outcome`] without a status.
pub async fn post(url: &str, allow_private: bool, headers: &[(&str, String)], body: Vec<u8>) -> Outcome {
    let started = Instant::now();
    let outcome = |status: Option<u16>, error: Option<String>| Outcome {
        status,
        error,
        duration_ms: started.elapsed().as_millis() as i64,
    };
    let url = match Url::parse(url) {
        Ok(url) => url,
        Err(e) => return outcome(None, Some(format!("invalid URL: {e}"))),
    };
    let addresses = match resolve(&url, allow_private).await {
        Ok(addresses) => addresses,
        Err(message) => return outcome(None, Some(message)),
    };
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(TIMEOUT_SECS))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("enspace-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(name) = url.domain() {
        // The checked addresses, and no others: the name is not looked up again.
        builder = builder.resolve_to_addrs(name, &addresses);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return outcome(None, Some(format!("HTTP client: {e}"))),
    };
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    match request.send().await {
        Err(e) if e.is_timeout() => outcome(None, Some(format!("no answer within {TIMEOUT_SECS} s"))),
        Err(e) => outcome(None, Some(format!("connection failed: {}", without_url(&e)))),
        Ok(mut response) => {
            let status = response.status().as_u16();
            // Read a little of the answer so the connection ends cleanly; never kept.
            let mut read = 0;
            while read < MAX_RESPONSE_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => read += chunk.len(),
                    _ => break,
                }
            }
            let error = (!(200..300).contains(&status)).then(|| format!("the receiver answered {status}"));
            outcome(Some(status), error)
        }
    }
}

/// A reqwest error's message without the URL (which may carry a token in its query).
fn without_url(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    if let Some(url) = error.url() {
        message = message.replace(url.as_str(), "the receiver");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_t_dot_body_with_each_secret() {
        // Python: hmac.new(b"whsec_abc", b"1700000000.{}", hashlib.sha256).hexdigest()
        let expected = "bad9ac117e973d721c232d46744158d75e3f1b44e36771e13d01b9e6a580bc72";
        assert_eq!(signature(&["whsec_abc"], 1_700_000_000, b"{}"), format!("t=1700000000,v1={expected}"));
        assert_eq!(signature(&["a", "b"], 1, b"x").matches(",v1=").count(), 2);
    }
}
