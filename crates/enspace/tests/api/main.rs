//! The integration suite: every route through the real router, on SQLite, and on PostgreSQL
//! when `ENSPACE_TEST_DATABASE_URL` is set (each test on a fresh database).

mod access_matrix;
mod ai;
mod api_keys;
mod auth;
mod emails;
mod errors;
mod field_access;
mod files;
mod forms;
mod grouped_writes;
mod indexes;
mod integration_checks;
mod integrations;
mod isolation;
mod items;
mod jobs;
mod lists;
mod members;
mod openapi;
mod ops;
mod process;
mod rate_limits;
mod request_log;
mod roles;
mod secrets;
mod user;
mod whatsapp;
mod workspaces;

use serde_json::{json, Value};

/// The 400 body of a rejected input with its `details`.
pub fn validation(details: Value) -> Value {
    json!({ "statusCode": 400, "error": "Bad Request", "message": "Validation failed", "details": details })
}

/// Asserts that `value` is a wire timestamp (`2026-03-12T20:46:40.548Z`) and returns it.
#[track_caller]
pub fn time(value: &Value) -> String {
    let text = value.as_str().unwrap_or_else(|| panic!("expected a timestamp, got {value}"));
    let bytes = text.as_bytes();
    let shape_ok = text.len() == 24
        && text.ends_with('Z')
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && enspace_domain::time::parse_instant(text).is_some();
    assert!(shape_ok, "not an ISO 8601 UTC timestamp with milliseconds: {text}");
    text.to_string()
}
