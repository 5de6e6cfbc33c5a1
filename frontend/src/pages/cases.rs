//! The Cases area, not built yet: says what it will do.

use crate::components::common::NotInThisBuild;
use crate::components::layout::RequirePermission;
use app::Permission;
use leptos::prelude::*;

/// Renders the Cases placeholder for users allowed to see Cases.
#[component]
pub fn CasesPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::ViewCases]>
            <NotInThisBuild
                title="Cases"
                summary="Investigations that group alerts, events, notes and observables."
                capabilities=&["open a case from one or more alerts", "keep a timeline of notes, evidence and decisions", "track observables (addresses, hashes, accounts) across cases", "assign owners and close cases with an outcome"]
            />
        </RequirePermission>
    }
}
