//! The database layer: the only place SQL lives.
//!
//! Functions for workspace data take the workspace id first; there is no way to read a
//! tenant's row by id alone.

pub mod ai_usage;
pub mod api_keys;
pub mod calendars;
pub mod conversations;
pub mod db;
pub mod emails;
pub mod error;
pub mod events;
pub mod fields;
pub mod files;
pub mod flows;
pub mod forms;
pub mod group;
pub mod indexes;
pub mod install;
pub mod integrations;
pub mod items;
pub mod jobs;
pub mod list;
pub mod member_groups;
pub mod members;
pub mod migrate;
pub mod notifications;
pub mod purge;
pub mod quick_tasks;
pub mod record;
pub mod request_logs;
pub mod roles;
pub mod schedule_tasks;
pub mod sessions;
pub mod signature_requests;
mod sqlite;
pub mod types;
pub mod users;
pub mod webhooks;
pub mod workspaces;

pub use db::{Backend, Db, DbOptions, Reader, Row, Tx, Value};
pub use error::{Result, StoreError};
pub use group::Batch;
