//! The landing page: real health data, how to get logs in, and the user's access.

use crate::components::common::PageHeader;
use crate::components::overview::{AccessSummary, GettingStarted};
use crate::components::status::{HealthSummary, PublicHealth};
use crate::contexts::use_session;
use app::Permission;
use leptos::prelude::*;

/// Renders the overview for every signed-in user.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let session = use_session();
    let greeting = move || {
        session
            .user()
            .map(|u| format!("Welcome, {}", u.label()))
            .unwrap_or_default()
    };
    view! {
        <PageHeader title="Overview" description=greeting() />
        <div class="stack">
            <Show when=move || session.can(Permission::ViewSystem) fallback=|| view! { <PublicHealth /> }>
                <HealthSummary />
            </Show>
            <div class="grid-2">
                <GettingStarted />
                <AccessSummary />
            </div>
        </div>
    }
}
