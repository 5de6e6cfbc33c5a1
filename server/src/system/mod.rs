//! Health and system status.

pub mod handlers;
pub mod repo;
