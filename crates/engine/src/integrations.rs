//! An installation's secrets, opened and sealed with the server's keyring (the one place that
//! does, for the routes and the job handlers alike).

use enspace_domain::secrets::Keyring;
use enspace_store::integrations::IntegrationRecord;
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
