//! D4Sign's API v1 (`https://secure.d4sign.com.br/api/v1`, sandbox
//! `https://sandbox.d4sign.com.br/api/v1`): every call carries `tokenAPI` and `cryptKey` as
//! query parameters, so no address of a D4Sign call is ever logged or put in an error.

use crate::{call, Answer, Checked, ProviderError, Providers};

/// D4Sign's errors: `{"message": "..."}`.
fn refusal(answer: &Answer) -> ProviderError {
    answer.refused("D4Sign", answer.json["message"].as_str().map(str::to_string))
}

/// Checks the keys by listing the account's safes (`GET /safes`), where documents live.
pub async fn check(providers: &Providers, base: &str, token: &str, crypt_key: &str) -> Result<Checked, ProviderError> {
    let request = providers.client.get(format!("{base}/safes")).query(&[("tokenAPI", token), ("cryptKey", crypt_key)]);
    let answer = call("D4Sign", "safes.list", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    let safes = answer.json.as_array().map(Vec::len).unwrap_or(0);
    Ok(if safes == 0 {
        Checked::failed("D4Sign accepted the keys, but the account has no safe to keep documents in")
    } else {
        Checked::ok(format!("D4Sign accepted the keys ({safes} safes)"))
    })
}
