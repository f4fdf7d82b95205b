//! Docusign: the authentication service's `/oauth/userinfo` (which accounts a token may act
//! for, and each account's eSignature `base_uri`), and the eSignature REST API v2.1 under that
//! `base_uri` (`/restapi/v2.1/accounts/{accountId}/...`), all with a Bearer access token.

use crate::{call, Answer, Checked, ProviderError, Providers};

/// OAuth errors: `{"error", "error_description"}`; eSignature errors: `{"errorCode", "message"}`.
fn refusal(answer: &Answer) -> ProviderError {
    let json = &answer.json;
    let detail = json["error_description"].as_str().or(json["message"].as_str()).or(json["error"].as_str());
    answer.refused("Docusign", detail.map(str::to_string))
}

/// An account a token may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub account_name: String,
    /// The eSignature API's address for this account (`https://demo.docusign.net`, ...).
    pub base_uri: String,
}

/// The accounts the token may act for (`GET <auth>/oauth/userinfo`).
pub async fn accounts(providers: &Providers, auth: &str, access_token: &str) -> Result<Vec<Account>, ProviderError> {
    let request = providers.client.get(format!("{auth}/oauth/userinfo")).bearer_auth(access_token);
    let answer = call("Docusign", "oauth.userinfo", request).await?;
    if !answer.status.is_success() {
        return Err(refusal(&answer));
    }
    let accounts = answer.json["accounts"].as_array().into_iter().flatten();
    Ok(accounts
        .filter_map(|a| {
            Some(Account {
                account_id: a["account_id"].as_str()?.to_string(),
                account_name: a["account_name"].as_str().unwrap_or_default().to_string(),
                base_uri: a["base_uri"].as_str()?.trim_end_matches('/').to_string(),
            })
        })
        .collect())
}

/// Checks that the token is valid and may act for `account_id`.
pub async fn check(
    providers: &Providers,
    auth: &str,
    access_token: &str,
    account_id: &str,
) -> Result<Checked, ProviderError> {
    let accounts = accounts(providers, auth, access_token).await?;
    Ok(match accounts.iter().find(|a| a.account_id == account_id) {
        Some(account) => {
            Checked::ok(format!("Docusign accepted the access token for account {}", account.account_name))
        }
        None => {
            Checked::failed(format!("Docusign accepted the access token, but it cannot act for account {account_id}"))
        }
    })
}
