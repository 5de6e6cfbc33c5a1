//! The honest placeholder for an area Vigil will have but this build does not.

use super::PageHeader;
use leptos::prelude::*;

/// Renders what the area will do and that it is not available yet; never sample data.
#[component]
pub fn NotInThisBuild(
    /// The area's name, used as the page heading.
    title: &'static str,
    /// One sentence on what the area is for.
    summary: &'static str,
    /// What analysts will be able to do there.
    capabilities: &'static [&'static str],
) -> impl IntoView {
    view! {
        <PageHeader title=title description=summary />
        <section class="panel not-built" aria-label=format!("{title} is not available yet")>
            <p class="not-built-badge">"Not available in this build yet"</p>
            <p>"When it ships, this area will let you:"</p>
            <ul class="plain-list">
                {capabilities.iter().map(|c| view! { <li>{*c}</li> }).collect_view()}
            </ul>
            <p class="muted">
                "Nothing here is simulated: the page will show real data once the feature exists."
            </p>
        </section>
    }
}
