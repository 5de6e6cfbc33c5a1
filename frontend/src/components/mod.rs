//! Reusable view pieces: generic widgets in `common`, the app frame in `layout`, and the
//! feature parts of the admin, search and status pages.

pub mod admin;
pub mod common;
pub mod layout;
pub mod overview;
pub mod search;
pub mod status;
