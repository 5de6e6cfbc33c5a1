//! The event explorer: query bar, time range, histogram, field sidebar and results.

mod fields;
mod histogram;
mod query_bar;
mod results;
mod saved;
mod state;
mod time_picker;

pub use fields::FieldSidebar;
pub use histogram::Histogram;
pub use query_bar::QueryBar;
pub use results::Results;
pub use saved::{SaveSearchForm, SavedSearches, Saving};
pub use state::ExplorerState;
