//! Certisign's Portal de Assinaturas API (`/api/v2`, a `token` header). Its reference sits
//! behind the developer portal's login; what is here follows the public examples of
//! `document/upload`, `document/create` and `document/package`.

use crate::{call, Answer, Checked, ProviderError, Providers};

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
