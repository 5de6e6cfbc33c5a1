//! HTTP-level tests of the API against a real Postgres, one fresh database per test.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

mod alerts;
mod api_keys;
mod audit;
mod auth;
mod compat;
mod detect;
mod elastic_clients;
mod helpers;
mod hostile;
mod ingest;
mod kibana_habits;
mod metrics;
mod openapi;
mod retention;
mod routes;
mod rules;
mod search;
mod shipper;
mod sigma;
mod syslog;
mod system;
mod watchlists;
