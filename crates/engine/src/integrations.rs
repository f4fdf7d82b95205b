//! Installations as commands (install, change, uninstall, the credential check, and the
//! OpenAI chat that spends them), and their secrets, opened and sealed with the server's
//! keyring (the one place that does, for the routes and the job handlers alike).

use enspace_domain::time::now_ms;
use enspace_domain::{integrations as types, secrets::Keyring};
use enspace_integrations::{
    adobe_sign, certisign, clicksign, d4sign, docusign, openai, sendgrid, twilio, Checked, Environment, Providers,
};
use enspace_store::{integrations::IntegrationRecord, Db, StoreError};
use serde_json::{Map, Value};

/// The installation's secrets in the clear. The error names the integration, never a value.
pub fn open_secrets(keyring: &Keyring, record: &IntegrationRecord) -> Result<Map<String, Value>, String> {
    let Some(sealed) = &record.secrets else { return Ok(Map::new()) };
    let aad = IntegrationRecord::aad(record.workspace_id, record.id);
    let plain = keyring.open(sealed, &aad).map_err(|e| format!("integration {}: {e}", record.id))?;
    serde_json::from_slice(&plain).map_err(|e| format!("integration {}: sealed secrets are not a map: {e}", record.id))
}

/// Seals `secrets` for the row `id` of `workspace_id`; `None` when there are none.
pub fn seal_secrets(keyring: &Keyring, workspace_id: i64, id: i64, secrets: &Map<String, Value>) -> Option<String> {
    (!secrets.is_empty()).then(|| {
        let plain = serde_json::to_vec(secrets).expect("a JSON map serializes");
        keyring.seal(&plain, &IntegrationRecord::aad(workspace_id, id))
    })
}

/// Checks an installation's stored credentials against its provider with one harmless call.
/// Every failure is an answer (`ok: false` with the reason), never an error, and no answer
/// carries a secret, even one a provider echoed back.
pub async fn check(keyring: &Keyring, providers: &Providers, record: &IntegrationRecord) -> Checked {
    if record.status != "active" {
        return Checked { ok: false, message: "The integration is inactive: nothing was sent to the provider".into() };
    }
    let secrets = match open_secrets(keyring, record) {
        Ok(secrets) => secrets,
        Err(e) => return Checked { ok: false, message: format!("The stored secrets cannot be opened ({e})") },
    };
    let outcome = match call_provider(keyring, providers, record, &secrets).await {
        Ok(checked) => checked,
        Err(message) => Checked { ok: false, message },
    };
    let mut message = outcome.message;
    for secret in secrets.values().filter_map(Value::as_str).filter(|s| s.len() >= 4) {
        message = message.replace(secret, "[secret]");
    }
    Checked { ok: outcome.ok, message }
}

async fn call_provider(
    keyring: &Keyring,
    providers: &Providers,
    record: &IntegrationRecord,
    secrets: &Map<String, Value>,
) -> Result<Checked, String> {
    let setting = |key: &str| record.data.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let secret =
        |key: &str| secrets.get(key).and_then(Value::as_str).ok_or_else(|| format!("The {key} secret is not set"));
    let env = Environment::of(setting("environment"));
    let urls = &providers.urls;
    let checked = match record.integration_type {
        types::SENDGRID => sendgrid::check(providers, secret("api_key")?).await,
        types::WHATSAPP_TWILIO => {
            let (sid, token) = crate::whatsapp::account(keyring, providers, record)?;
            twilio::check(providers, twilio::Account { sid: &sid, token: &token }).await
        }
        types::OPENAI => {
            let base = setting("base_url").unwrap_or(&urls.openai);
            let model = setting("model").unwrap_or(types::OPENAI_DEFAULT_MODEL);
            openai::check(providers, base, secret("api_key")?, setting("organization"), model).await
        }
        types::CERTISIGN => certisign::check(providers, &urls.certisign(env), secret("token")?).await,
        types::D4SIGN => d4sign::check(providers, &urls.d4sign(env), secret("token")?, secret("crypt_key")?).await,
        types::CLICKSIGN => clicksign::check(providers, &urls.clicksign(env), secret("token")?).await,
        types::DOCUSIGN => {
            let account_id = setting("account_id").ok_or("The account_id setting is not set")?;
            docusign::check(providers, &urls.docusign_auth(env), secret("access_token")?, account_id).await
        }
        types::ADOBE_SIGN => {
            let credentials = adobe_sign::Credentials {
                client_id: setting("client_id").ok_or("The client_id setting is not set")?,
                client_secret: secret("client_secret")?,
                refresh_token: secret("refresh_token")?,
            };
            adobe_sign::check(providers, &urls.adobe_sign(env, setting("api_access_point")), credentials).await
        }
        other => return Err(format!("Integration type {other} has no check")),
    };
    checked.map_err(|e| e.to_string())
}

/// Installs an integration of `integration_type` with its settings and secrets (sealed against
/// the new row); a second one with the same `unique_key` is a `Conflict`. Answers its id.
pub async fn install(
    db: &Db,
    keyring: &Keyring,
    workspace_id: i64,
    integration_type: i64,
    unique_key: &str,
    public: &Map<String, Value>,
    secrets: &Map<String, Value>,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let id = enspace_store::integrations::insert(&mut tx, workspace_id, integration_type, unique_key, public, now_ms())
        .await?;
    let sealed = seal_secrets(keyring, workspace_id, id, secrets);
    enspace_store::integrations::set_secrets(&mut tx, workspace_id, id, sealed.as_deref()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Stores `record` (its settings and status) with `secrets`, sealed anew.
pub async fn update(
    db: &Db,
    keyring: &Keyring,
    record: &IntegrationRecord,
    unique_key: &str,
    secrets: &Map<String, Value>,
) -> Result<(), StoreError> {
    let sealed = seal_secrets(keyring, record.workspace_id, record.id, secrets);
    let mut tx = db.begin().await?;
    enspace_store::integrations::update(&mut tx, record, unique_key, sealed.as_deref(), now_ms()).await?;
    tx.commit().await
}

/// Uninstalls: the row and its sealed secrets are destroyed.
pub async fn uninstall(db: &Db, record: &IntegrationRecord) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    enspace_store::integrations::delete(&mut tx, record.workspace_id, record.id).await?;
    tx.commit().await
}

#[derive(Debug)]
pub enum ChatError {
    /// The provider refused or failed: its message (never a secret).
    Provider(String),
    /// The stored secrets cannot be opened.
    Secrets(String),
    Store(StoreError),
}

impl From<StoreError> for ChatError {
    fn from(e: StoreError) -> Self {
        ChatError::Store(e)
    }
}

/// A chat request, checked: the model defaults to the installation's.
pub struct Chat<'a> {
    pub messages: &'a [(String, String)],
    pub model: Option<&'a str>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
    /// Who asks (the tokens are recorded against the workspace with them).
    pub user_id: Option<i64>,
}

/// Calls the chat-completions API of an OpenAI installation and records the tokens used.
pub async fn chat(
    db: &Db,
    keyring: &Keyring,
    providers: &Providers,
    record: &IntegrationRecord,
    chat: Chat<'_>,
) -> Result<openai::ChatAnswer, ChatError> {
    let secrets = open_secrets(keyring, record).map_err(ChatError::Secrets)?;
    let api_key = secrets.get("api_key").and_then(Value::as_str).unwrap_or_default();
    let setting = |k: &str| record.data.get(k).and_then(Value::as_str);
    let base = setting("base_url").unwrap_or(&providers.urls.openai).to_string();
    let model = chat.model.or(setting("model")).unwrap_or(types::OPENAI_DEFAULT_MODEL).to_string();
    let request = openai::ChatRequest {
        model: &model,
        messages: chat.messages,
        temperature: chat.temperature,
        max_tokens: chat.max_tokens,
    };
    let answer = openai::chat(providers, &base, api_key, setting("organization"), &request)
        .await
        .map_err(|e| ChatError::Provider(e.to_string()))?;
    let usage = enspace_store::ai_usage::NewUsage {
        integration_id: record.id,
        user_id: chat.user_id,
        model: &answer.model,
        prompt_tokens: answer.usage.prompt_tokens,
        completion_tokens: answer.usage.completion_tokens,
        total_tokens: answer.usage.total_tokens,
    };
    enspace_store::ai_usage::record(db, record.workspace_id, usage, now_ms()).await?;
    Ok(answer)
}
