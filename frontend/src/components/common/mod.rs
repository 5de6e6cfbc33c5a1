//! Generic widgets that know nothing of a feature: badges, loading and error states, buttons.

mod async_region;
mod badge;
mod confirm_button;
mod copy_button;
mod data_table;
mod empty_state;
mod error_panel;
mod form_field;
mod icon;
mod loading;
mod not_in_this_build;
mod page_header;
mod time_cell;

pub use async_region::AsyncRegion;
pub use badge::{Badge, ComponentBadge, Tone};
pub use confirm_button::ConfirmButton;
pub use copy_button::CopyButton;
pub use data_table::DataTable;
pub use empty_state::EmptyState;
pub use error_panel::{ErrorList, ErrorPanel};
pub use form_field::FormField;
pub use icon::{Icon, IconName};
pub use loading::Loading;
pub use not_in_this_build::NotInThisBuild;
pub use page_header::PageHeader;
pub use time_cell::TimeCell;
