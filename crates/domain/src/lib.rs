//! The pure domain of the Enspace API: types and rules with no I/O.
//!
//! Everything here is deterministic given its inputs (randomness and the clock are passed in or
//! isolated in `key` and `time`), so the rules are unit-tested without a database or a server.

pub mod access;
pub mod calendar;
pub mod catalogue;
pub mod code;
pub mod conditions;
pub mod emails;
pub mod esign;
pub mod events;
pub mod fields;
pub mod files;
pub mod flow_run;
pub mod flows;
pub mod forms;
pub mod html_form;
pub mod integrations;
pub mod item_columns;
pub mod items;
pub mod jobs;
pub mod key;
pub mod list;
pub mod members;
pub mod notifications;
pub mod password;
pub mod permissions;
pub mod quick_tasks;
pub mod secrets;
pub mod stage_tasks;
pub mod time;
pub mod types;
pub mod user;
pub mod validation;
pub mod values;
pub mod webhooks;
pub mod whatsapp;
pub mod workspace;

pub use validation::Detail;
