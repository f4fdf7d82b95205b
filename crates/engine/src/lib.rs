//! Work that outlives a request.
//!
//! - [`request_log`]: the request log is written off the request path, in batches, and flushed
//!   on graceful shutdown.
//! - [`retention`]: old request-log rows are pruned periodically. The prune is idempotent, so
//!   with several processes on one PostgreSQL each may run it without coordination.

pub mod request_log;
pub mod retention;
