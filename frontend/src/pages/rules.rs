//! The Rules area, not built yet: says what it will do.

use crate::components::common::NotInThisBuild;
use crate::components::layout::RequirePermission;
use app::Permission;
use leptos::prelude::*;

/// Renders the Rules placeholder for users allowed to see Rules.
#[component]
pub fn RulesPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::ViewRules]>
            <NotInThisBuild
                title="Rules"
                summary="Detection rules that turn events into alerts."
                capabilities=&["write query, threshold, sequence and absence rules with ATT&CK tags", "preview a rule against stored events before enabling it", "import and export Sigma rules", "see each rule's hits, errors and gaps"]
            />
        </RequirePermission>
    }
}
