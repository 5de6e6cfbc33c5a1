//! The event explorer: search stored events the way Kibana's Discover does.

use crate::components::common::PageHeader;
use crate::components::layout::RequirePermission;
use crate::components::search::{
    ExplorerState, FieldSidebar, Histogram, QueryBar, Results, SaveSearchForm, SavedSearches,
    Saving,
};
use app::Permission;
use app::search::SearchResponse;
use leptos::prelude::*;

/// Renders the explorer for users allowed to search.
#[component]
pub fn SearchPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::SearchEvents]>
            <Explorer />
        </RequirePermission>
    }
}

#[component]
fn Explorer() -> impl IntoView {
    let state = ExplorerState::from_url();
    let first_page = RwSignal::new(None::<SearchResponse>);
    let saving = Saving::new();
    view! {
        <PageHeader title="Search" description="Every stored event, by field, free text and time. Press / to type a query.">
            <SavedSearches state saving />
        </PageHeader>
        <SaveSearchForm state saving />
        <QueryBar state />
        <div class="explorer">
            <FieldSidebar state page=first_page />
            <div class="explorer-main">
                <Histogram state />
                <Results state first_page />
            </div>
        </div>
    }
}
