//! The Alerts area, not built yet: says what it will do.

use crate::components::common::NotInThisBuild;
use crate::components::layout::RequirePermission;
use app::Permission;
use leptos::prelude::*;

/// Renders the Alerts placeholder for users allowed to see Alerts.
#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::ViewAlerts]>
            <NotInThisBuild
                title="Alerts"
                summary="The queue of detections waiting for an analyst."
                capabilities=&["triage alerts by severity, status, rule and assignee", "acknowledge, assign, comment on and close alerts", "see the events that fired a rule", "escalate an alert into a case"]
            />
        </RequirePermission>
    }
}
