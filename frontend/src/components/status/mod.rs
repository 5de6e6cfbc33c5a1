//! Views of the server's health, for the status page and the overview.

mod health_summary;
mod public_health;
mod sources_panel;
mod status_details;

pub use health_summary::HealthSummary;
pub use public_health::PublicHealth;
pub use sources_panel::SourcesPanel;
pub use status_details::StatusDetails;
