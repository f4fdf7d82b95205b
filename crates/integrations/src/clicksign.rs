//! Clicksign's API v3 (envelopes; JSON:API documents, `application/vnd.api+json`), with the
//! account's access token as the bare `Authorization` header value.

use crate::{call, Answer, Checked, ProviderError, Providers};

pub const MEDIA_TYPE: &str = "application/vnd.api+json";

/// JSON:API errors: `{"errors": [{"title", "detail", "code"}]}`.
fn refusal(answer: &Answer) -> ProviderError {
    let detail = answer.json["errors"].as_array().map(|errors| {
        errors.iter().filter_map(|e| e["detail"].as_str().or(e["title"].as_str())).collect::<Vec<_>>().join("; ")
    });
    answer.refused("Clicksign", detail)
}

fn get(providers: &Providers, url: String, token: &str) -> reqwest::RequestBuilder {
    providers.client.get(url).header("Authorization", token).header("Accept", MEDIA_TYPE)
}

/// Checks a token by listing one envelope (`GET /envelopes?page[size]=1`), Clicksign's own
/// suggested authentication test.
pub async fn check(providers: &Providers, base: &str, token: &str) -> Result<Checked, ProviderError> {
    let request = get(providers, format!("{base}/envelopes"), token).query(&[("page[size]", "1")]);
    let answer = call("Clicksign", "envelopes.list", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    Ok(Checked::ok("Clicksign accepted the access token"))
}
