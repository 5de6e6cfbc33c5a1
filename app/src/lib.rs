//! Vigil's shared core: the JSON API contract and the domain types that the
//! server and the browser both compile.
//!
//! This crate does no IO and knows nothing of tokio, axum, sqlx or Leptos, so
//! it builds for native targets and for `wasm32-unknown-unknown` alike. Every
//! public item here is part of the contract between the SPA, the server and
//! third-party API clients: change it deliberately.

pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod error;
pub mod ids;
pub mod ingest;
pub mod permissions;
pub mod query;
pub mod retention;
pub mod rules;
pub mod search;
pub mod slug;
pub mod system;
pub mod users;
pub mod watchlists;

pub use error::{ErrorBody, ErrorCode};
pub use permissions::{BuiltinRole, Permission};

/// Returns the version of Vigil this crate was built as.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The prefix of every versioned JSON API path.
pub const API_PREFIX: &str = "/api/v1";
