//! The page for paths the SPA does not know.

use crate::components::common::{EmptyState, PageHeader};
use leptos::prelude::*;
use leptos_router::components::A;

/// Renders a short "not found" note with a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <PageHeader title="Page not found" />
        <EmptyState title="There is no page at this address" message="Check the link, or go back to the overview.">
            <A href="/">"Go to the overview"</A>
        </EmptyState>
    }
}
