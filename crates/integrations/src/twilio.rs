//! Twilio for WhatsApp: the Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`,
//! form-encoded, HTTP basic auth with the account SID and auth token) and the signature Twilio
//! puts on its webhooks (`X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the auth token,
//! over the exact URL followed by every POST parameter's name and value, sorted by name).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::{call, Answer, Checked, ProviderError, Providers};

/// An account's credentials.
#[derive(Clone, Copy)]
pub struct Account<'a> {
    pub sid: &'a str,
    pub token: &'a str,
}

impl std::fmt::Debug for Account<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Account({})", self.sid)
    }
}

/// The signature Twilio computes for a request to `url` with form `params`.
pub fn signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // By name; a repeated name keeps its values in order (a stable sort).
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `header` is Twilio's signature for this request (constant-time).
pub fn verify(token: &str, url: &str, params: &[(String, String)], header: Option<&str>) -> bool {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else { return false };
    let expected = signature(token, url, params);
    expected.as_bytes().ct_eq(header.as_bytes()).into()
}

/// A message Twilio accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub sid: String,
    pub status: String,
}

/// Sends `body` from `from` to `to` (both `whatsapp:+<E.164>`); Twilio reports progress to
/// `status_callback`.
pub async fn send_message(
    providers: &Providers,
    account: Account<'_>,
    from: &str,
    to: &str,
    body: &str,
    status_callback: &str,
) -> Result<Sent, ProviderError> {
    let form = [("To", to), ("From", from), ("Body", body), ("StatusCallback", status_callback)];
    let request = providers.client.post(messages_url(providers, account)).basic_auth(account.sid, Some(account.token));
    let answer = call("Twilio", "messages.create", request.form(&form)).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    let sid = answer.json["sid"].as_str().ok_or_else(|| ProviderError::Retry {
        message: "Twilio accepted the message without a sid".into(),
        retry_after: None,
        maybe_taken: true,
    })?;
    Ok(Sent { sid: sid.into(), status: answer.json["status"].as_str().unwrap_or("queued").into() })
}

fn account_url(providers: &Providers, account: Account<'_>) -> String {
    format!("{}/2010-04-01/Accounts/{}", providers.urls.twilio.trim_end_matches('/'), account.sid)
}

fn messages_url(providers: &Providers, account: Account<'_>) -> String {
    format!("{}/Messages.json", account_url(providers, account))
}

/// Twilio's errors: `{"code", "message", "more_info", "status"}`.
fn refusal(answer: &Answer) -> ProviderError {
    let detail = match (answer.json["code"].as_i64(), answer.json["message"].as_str()) {
        (Some(code), Some(message)) => Some(format!("{message} (code {code})")),
        (None, Some(message)) => Some(message.to_string()),
        _ => None,
    };
    answer.refused("Twilio", detail)
}

/// Checks an account's credentials with `GET /2010-04-01/Accounts/{sid}.json`; only an
/// `active` account can send.
pub async fn check(providers: &Providers, account: Account<'_>) -> Result<Checked, ProviderError> {
    let request = providers
        .client
        .get(format!("{}.json", account_url(providers, account)))
        .basic_auth(account.sid, Some(account.token));
    let answer = call("Twilio", "accounts.fetch", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    let name = answer.json["friendly_name"].as_str().unwrap_or(account.sid);
    Ok(match answer.json["status"].as_str() {
        Some("active") => Checked::ok(format!("Twilio account {name} is active")),
        other => Checked::failed(format!("Twilio account {name} is {}", other.unwrap_or("in an unknown state"))),
    })
}

/// A message Twilio has from `from` to `to` with exactly `body`, created at or after `since_ms`,
/// other than the sids in `exclude`: how a send interrupted by a crash finds out whether Twilio
/// got it (the Messages list, filtered by To, From and `DateSent>`, newest first).
pub async fn find_sent(
    providers: &Providers,
    account: Account<'_>,
    from: &str,
    to: &str,
    body: &str,
    since_ms: i64,
) -> Result<Vec<Sent>, ProviderError> {
    let day = chrono::DateTime::from_timestamp_millis(since_ms - 86_400_000)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string();
    let request = providers
        .client
        .get(messages_url(providers, account))
        .basic_auth(account.sid, Some(account.token))
        .query(&[("To", to), ("From", from), ("DateSent>", day.as_str()), ("PageSize", "100")]);
    let answer = call("Twilio", "messages.list", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    let json = answer.json;
    // Twilio's times are RFC 2822 with second precision.
    let since = since_ms.div_euclid(1000) * 1000;
    let found = json["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["body"].as_str() == Some(body))
        .filter(|m| {
            m["date_created"]
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                .is_some_and(|d| d.timestamp_millis() >= since)
        })
        .filter_map(|m| {
            Some(Sent {
                sid: m["sid"].as_str()?.to_string(),
                status: m["status"].as_str().unwrap_or("queued").to_string(),
            })
        })
        .collect();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Twilio's documented example (docs "Webhooks security").
    #[test]
    fn signatures_match_twilios_example() {
        let params = params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify("12345", url, &params, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")));
        assert!(!verify("12345", url, &params, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ")));
        assert!(!verify("12345", "https://mycompany.com/myapp.php", &params, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")));
        assert!(!verify("12345", url, &params, None));
    }
}
