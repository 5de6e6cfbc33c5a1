//! The Search area, not built yet: says what it will do.

use crate::components::common::NotInThisBuild;
use crate::components::layout::RequirePermission;
use app::Permission;
use leptos::prelude::*;

/// Renders the Search placeholder for users allowed to see Search.
#[component]
pub fn SearchPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::SearchEvents]>
            <NotInThisBuild
                title="Search"
                summary="Query every stored event with a typed query language and time range."
                capabilities=&["search events by field, free text and time range, with filters kept in the URL to share", "open a single event with its raw and normalised fields", "pivot from a value to related events, alerts and cases", "export results (with the export permission)"]
            />
        </RequirePermission>
    }
}
