//! The system status page: build, uptime and database health, refreshed every 15 seconds.

use crate::api;
use crate::components::common::{AsyncRegion, Icon, IconName, PageHeader};
use crate::components::layout::RequirePermission;
use crate::components::status::{SourcesPanel, StatusDetails};
use app::Permission;
use chrono::Utc;
use leptos::prelude::*;
use std::time::Duration;

/// How often the page refreshes itself.
const AUTO_REFRESH: Duration = Duration::from_secs(15);

/// Renders the status of this server, for users with `system:read`.
#[component]
pub fn StatusPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::ViewSystem]>
            <StatusView />
        </RequirePermission>
    }
}

#[component]
fn StatusView() -> impl IntoView {
    let fetched_at = RwSignal::new(None::<chrono::DateTime<Utc>>);
    let status = LocalResource::new(move || async move {
        let answer = api::system::status().await;
        fetched_at.set(Some(Utc::now()));
        answer
    });
    let refreshing = RwSignal::new(false);

    if let Ok(handle) = set_interval_with_handle(move || status.refetch(), AUTO_REFRESH) {
        on_cleanup(move || handle.clear());
    }

    view! {
        <PageHeader title="System status" description="Health of this Vigil server and its database.">
            <span class="muted small" aria-live="polite">
                {move || {
                    if refreshing.get() {
                        "Refreshing…".to_owned()
                    } else {
                        fetched_at
                            .get()
                            .map(|t| format!("Updated {} · every 15 s", t.format("%H:%M:%S UTC")))
                            .unwrap_or_default()
                    }
                }}
            </span>
            <button type="button" class="btn" on:click=move |_| status.refetch()>
                <Icon name=IconName::Refresh />
                <span>"Refresh"</span>
            </button>
        </PageHeader>
        <AsyncRegion set_pending=refreshing.write_only()>
            {move || Suspend::new(async move {
                let answer = status.await?;
                Ok::<_, app::ErrorBody>(view! { <StatusDetails status=answer /> })
            })}
        </AsyncRegion>
        <SourcesPanel />
    }
}
