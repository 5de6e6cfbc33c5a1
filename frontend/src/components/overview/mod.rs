//! The panels of the overview page.

mod access_summary;
mod getting_started;

pub use access_summary::AccessSummary;
pub use getting_started::GettingStarted;
