//! Work beyond a single query: multi-step write paths and work that outlives a request.
//!
//! - [`indexes`]: background index builds and their resume at startup.
//! - [`items`]: the item write path (check, resolve relations and files, codes, history).
//! - [`request_log`]: the request log is written off the request path, in batches, and flushed
//!   on graceful shutdown.
//! - [`jobs`]: the job worker over the database queue; [`emails`] is its first handler (the
//!   outbox through SendGrid); [`integrations`] opens and seals an installation's secrets.
//! - [`retention`]: old request-log rows are pruned periodically. The prune is idempotent, so
//!   with several processes on one PostgreSQL each may run it without coordination.

pub mod accounts;
pub mod emails;
pub mod esign;
pub mod events;
pub mod files;
pub mod indexes;
pub mod integrations;
pub mod items;
pub mod jobs;
pub mod members;
pub mod purge;
pub mod request_log;
pub mod retention;
pub mod structure;
pub mod webhooks;
pub mod whatsapp;
pub mod workspaces;
