//! The loading indicator for async regions.

use leptos::prelude::*;

/// Renders a quiet, screen-reader-announced loading line.
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <div class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            "Loading…"
        </div>
    }
}
