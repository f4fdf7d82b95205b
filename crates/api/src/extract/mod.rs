//! Extractors: who is calling (`auth`), in which workspace (`workspace`), with what body
//! (`json`) and which list parameters (`query`).

pub mod auth;
pub mod json;
pub mod query;
pub mod workspace;

pub use auth::{Authed, Credential, Principal, Public};
pub use json::ApiJson;
pub use query::QueryPairs;
pub use workspace::WsCtx;
