//! Adobe Acrobat Sign REST v6 under the account's API access point. Access tokens last an
//! hour, so every use starts from the stored refresh token (`POST /oauth/v2/refresh`).

use crate::{call, Answer, Checked, ProviderError, Providers};

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
