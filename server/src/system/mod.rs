//! Health and system status.

pub mod handlers;
