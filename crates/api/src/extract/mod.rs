//! Extractors: who is calling (`auth`), in which workspace (`workspace`), with what body
//! (`json`), which row its path names (`path`) and which list parameters (`query`).

pub mod auth;
pub mod json;
pub mod path;
pub mod query;
pub mod workspace;

pub use auth::{Authed, Credential, Principal, Public};
pub use json::ApiJson;
pub use path::Id;
pub use query::QueryPairs;
pub use workspace::WsCtx;
