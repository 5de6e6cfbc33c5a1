//! Views of the server's health, for the status page and the overview.

mod health_summary;
mod public_health;
mod status_details;

pub use health_summary::HealthSummary;
pub use public_health::PublicHealth;
pub use status_details::StatusDetails;
