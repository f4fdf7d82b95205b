//! One module per resource; each exposes `routes()` with its documented handlers.

pub mod api_keys;
pub mod fields;
pub mod files;
pub mod forms;
pub mod items;
pub mod ops;
pub mod request_logs;
pub mod roles;
pub mod types;
pub mod user;
pub mod workspaces;
pub mod ws;

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` fields: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
