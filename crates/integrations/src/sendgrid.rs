//! SendGrid's v3 Mail Send API: `POST /v3/mail/send` with a Bearer API key; 202 and the
//! message id in `X-Message-Id` on success. In the `stage` environment the request turns on
//! SendGrid's sandbox mode, which validates the mail and sends nothing.

use serde_json::{json, Value};

use crate::{call, Checked, ProviderError, Providers};

/// One email.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail<'a> {
    pub from_email: &'a str,
    pub from_name: Option<&'a str>,
    pub to: &'a [String],
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub text: Option<&'a str>,
    pub html: Option<&'a str>,
    /// Echoed by SendGrid in its events; names our email row.
    pub reference: &'a str,
    /// Unique to this email across every server that may share the SendGrid account; what
    /// [`find_sent`] looks for.
    pub send_key: &'a str,
}

/// The request body of Mail Send.
pub fn body(mail: &Mail<'_>, sandbox: bool) -> Value {
    let mut from = json!({ "email": mail.from_email });
    if let Some(name) = mail.from_name {
        from["name"] = json!(name);
    }
    // SendGrid wants text/plain before text/html.
    let mut content = Vec::new();
    if let Some(text) = mail.text {
        content.push(json!({ "type": "text/plain", "value": text }));
    }
    if let Some(html) = mail.html {
        content.push(json!({ "type": "text/html", "value": html }));
    }
    let to: Vec<Value> = mail.to.iter().map(|email| json!({ "email": email })).collect();
    let mut body = json!({
        "personalizations": [{ "to": to }],
        "from": from,
        "subject": mail.subject,
        "content": content,
        "custom_args": { "enspace_email": mail.reference, "enspace_send": mail.send_key },
    });
    if let Some(reply_to) = mail.reply_to {
        body["reply_to"] = json!({ "email": reply_to });
    }
    if sandbox {
        body["mail_settings"] = json!({ "sandbox_mode": { "enable": true } });
    }
    body
}

/// SendGrid's errors: `{"errors": [{"message", "field", "help"}]}`.
fn detail(json: &Value) -> Option<String> {
    let errors = json["errors"].as_array()?;
    Some(errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join("; "))
}

fn url(providers: &Providers, path: &str) -> String {
    format!("{}{path}", providers.urls.sendgrid.trim_end_matches('/'))
}

/// Sends one email; answers SendGrid's message id.
pub async fn send(
    providers: &Providers,
    api_key: &str,
    mail: &Mail<'_>,
    sandbox: bool,
) -> Result<Option<String>, ProviderError> {
    let request =
        providers.client.post(url(providers, "/v3/mail/send")).bearer_auth(api_key).json(&body(mail, sandbox));
    let answer = call("SendGrid", "mail.send", request).await?;
    if !answer.status.is_success() {
        return Err(answer.refused("SendGrid", detail(&answer.json)));
    }
    Ok(answer.headers.get("x-message-id").and_then(|v| v.to_str().ok()).map(str::to_string))
}

/// Whether SendGrid's Email Activity holds a message sent with `send_key` (how an attempt
/// interrupted by a crash or a timeout finds out whether SendGrid took the email): its message
/// id when it does. The Email Activity API is a paid add-on; an account without it answers
/// 4xx, a `Fatal` error the caller decides about.
pub async fn find_sent(providers: &Providers, api_key: &str, send_key: &str) -> Result<Option<String>, ProviderError> {
    let query = format!("unique_args['enspace_send']=\"{send_key}\"");
    let request = providers
        .client
        .get(url(providers, "/v3/messages"))
        .bearer_auth(api_key)
        .query(&[("query", query.as_str()), ("limit", "10")]);
    let answer = call("SendGrid", "messages.filter", request).await?;
    if !answer.status.is_success() {
        return Err(answer.refused("SendGrid", detail(&answer.json)));
    }
    // `msg_id` is the Mail Send `X-Message-Id` followed by `.` and a per-recipient part.
    let found = answer.json["messages"].as_array().into_iter().flatten().find_map(|m| m["msg_id"].as_str());
    Ok(found.map(|id| id.split('.').next().unwrap_or(id).to_string()))
}

/// Checks an API key: `GET /v3/scopes` lists what it may do, and sending needs `mail.send`.
pub async fn check(providers: &Providers, api_key: &str) -> Result<Checked, ProviderError> {
    let answer =
        call("SendGrid", "scopes", providers.client.get(url(providers, "/v3/scopes")).bearer_auth(api_key)).await?;
    if !answer.status.is_success() {
        return Err(answer.refused("SendGrid", detail(&answer.json)));
    }
    let scopes = answer.json["scopes"].as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(if scopes.iter().any(|s| s == "mail.send") {
        Checked::ok("SendGrid accepted the API key, which may send mail")
    } else {
        Checked::failed("SendGrid accepted the API key, but it lacks the mail.send permission")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_follows_mail_send() {
        let to = vec!["ana@example.com".to_string()];
        let mail = Mail {
            from_email: "no-reply@acme.com",
            from_name: Some("Acme"),
            to: &to,
            reply_to: Some("help@acme.com"),
            subject: "Hi",
            text: Some("plain"),
            html: Some("<p>html</p>"),
            reference: "7",
            send_key: "1-7-1700000000000",
        };
        assert_eq!(
            body(&mail, true),
            json!({
                "personalizations": [{ "to": [{ "email": "ana@example.com" }] }],
                "from": { "email": "no-reply@acme.com", "name": "Acme" },
                "reply_to": { "email": "help@acme.com" },
                "subject": "Hi",
                "content": [{ "type": "text/plain", "value": "plain" }, { "type": "text/html", "value": "<p>html</p>" }],
                "custom_args": { "enspace_email": "7", "enspace_send": "1-7-1700000000000" },
                "mail_settings": { "sandbox_mode": { "enable": true } }
            })
        );
        assert!(body(&mail, false).get("mail_settings").is_none());
    }
}
