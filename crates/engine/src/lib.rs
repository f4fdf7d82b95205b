//! Every write use case, as one command each, and the work that outlives a request. A command
//! writes its change and appends its events (`store::events`) in one transaction, so the feed,
//! the stream and webhooks never miss what a client was told succeeded. Handlers in `api`
//! authorize, call one command and shape the answer.
//!
//! Commands:
//! - [`items`]: the one item writer (check, resolve relations and files, codes, the event that
//!   is also the history line); bulk, forms and the e-signature attach go through it.
//! - [`structure`]: types, fields and forms; [`purge`]: deleting them (and workspaces) in the
//!   background; [`indexes`]: a field's index after its definition changed.
//! - [`members`]: members, groups and roles (`member.*` events); [`accounts`]: sessions,
//!   invitations, API keys, the profile; [`workspaces`]: create and change.
//! - [`integrations`]: install, change, uninstall, check, and the OpenAI chat; [`emails`],
//!   [`whatsapp`], [`esign`]: the outbox, conversations and signature requests.
//! - [`webhooks`]: their management, the dispatcher over the event log, the delivery job.
//! - [`calendar`]: the workspace calendar (due dates count on it) and its holiday sync.
//! - [`flows`]: flow configuration — flows, stages, transitions, stage tasks, responsibility
//!   rules — and the rules about what runs where; [`flow_run`]: the runs — flow items started
//!   with their item, schedule tasks assigned, completed and removed, stages advancing.
//!
//! Background work: [`jobs`] (the worker over the database queue), [`request_log`] (written off
//! the request path in batches), [`retention`] (a pruning pass per period, as a job).
//! [`events`] shows an event to a reader as a `GET` would; [`structure_cache`] keeps types'
//! definitions per process under their workspace's structure version.

pub mod accounts;
pub mod calendar;
pub mod emails;
pub mod esign;
pub mod events;
pub mod files;
pub mod flow_run;
pub mod flows;
pub mod indexes;
pub mod integrations;
pub mod items;
pub mod jobs;
pub mod members;
pub mod notifications;
pub mod purge;
pub mod quick_tasks;
pub mod request_log;
pub mod retention;
pub mod structure;
pub mod structure_cache;
pub mod webhooks;
pub mod whatsapp;
pub mod workspaces;
