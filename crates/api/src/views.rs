//! The response shape several resources share; each resource's own shapes live beside its
//! routes (`routes::<resource>`).

use serde::Serialize;
use utoipa::ToSchema;

/// An action with no resource to return [wire].
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    pub data: bool,
    pub message: String,
}

impl ActionResult {
    pub fn ok(message: &str) -> Self {
        ActionResult { data: true, message: message.to_string() }
    }
}
