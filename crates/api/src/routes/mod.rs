//! One module per resource; each exposes `routes()` with its documented handlers.

pub mod api_keys;
pub mod auth;
pub mod calendar;
pub mod callbacks;
pub mod conversations;
pub mod emails;
pub mod events;
pub mod fields;
pub mod files;
pub mod flow_items;
pub mod flows;
pub mod forms;
pub mod integrations;
pub mod items;
pub mod member_groups;
pub mod members;
pub mod notification_settings;
pub mod ops;
pub mod quick_tasks;
pub mod request_logs;
pub mod responsibility_rules;
pub mod roles;
pub mod schedule_tasks;
pub mod signature_requests;
pub mod stage_tasks;
pub mod stages;
pub mod transitions;
pub mod types;
pub mod user;
pub mod webhooks;
pub mod workspaces;
pub mod ws;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The ids sent at `path` (numbers or strings), each one of `known`, without repeats; every
/// other value is reported as `no <noun> <value> in this workspace`.
pub(crate) fn known_ids(
    details: &mut Vec<enspace_domain::Detail>,
    path: &str,
    sent: &[Value],
    known: &[i64],
    noun: &str,
) -> Vec<i64> {
    let mut out = Vec::new();
    for (i, value) in sent.iter().enumerate() {
        match id_of(value).filter(|id| known.contains(id)) {
            Some(id) if !out.contains(&id) => out.push(id),
            Some(_) => {}
            None => details.push(enspace_domain::Detail::new(
                format!("{path}[{i}]"),
                format!("no {noun} {value} in this workspace"),
            )),
        }
    }
    out
}

/// An id sent as a number or as a string of digits [wire: the product's screens send strings].
pub(crate) fn id_of(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// For `Option<Option<T>>` fields: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
