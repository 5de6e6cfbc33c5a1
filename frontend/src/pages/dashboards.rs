//! The Dashboards area, not built yet: says what it will do.

use crate::components::common::NotInThisBuild;
use crate::components::layout::RequirePermission;
use app::Permission;
use leptos::prelude::*;

/// Renders the Dashboards placeholder for users allowed to see Dashboards.
#[component]
pub fn DashboardsPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::ViewDashboards]>
            <NotInThisBuild
                title="Dashboards"
                summary="Saved views of event and alert trends."
                capabilities=&["chart event volume, alert rates and top values over time", "build dashboards from saved searches", "share dashboards with your team", "watch ingest health per source"]
            />
        </RequirePermission>
    }
}
