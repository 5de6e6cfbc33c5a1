//! Health and system status.

pub mod handlers;
pub mod metrics;
pub mod repo;
