//! Vigil's server: the axum JSON API, the SPA's files, the embedded Postgres
//! supervisor, identity and audit. `main.rs` only parses the command line and
//! calls in here, so tests drive exactly what production runs.

pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod detect;
pub mod error;
pub mod event;
pub mod http;
pub mod ingest;
pub mod loadgen;
pub mod maintenance;
pub mod metrics;
pub mod retention;
pub mod rules;
pub mod search;
pub mod startup;
pub mod state;
pub mod system;
pub mod telemetry;
pub mod users;
pub mod watchlists;
