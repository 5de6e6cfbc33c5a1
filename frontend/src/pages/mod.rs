//! One module per route; pages compose components and own their data loading.

mod admin;
mod alerts;
mod cases;
mod dashboards;
mod login;
mod not_found;
mod overview;
mod rules;
mod search;
mod status;

pub use admin::AdminPage;
pub use alerts::AlertsPage;
pub use cases::CasesPage;
pub use dashboards::DashboardsPage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use overview::OverviewPage;
pub use rules::RulesPage;
pub use search::SearchPage;
pub use status::StatusPage;
