//! A UTC timestamp as a `<time>` element, or a dash when there is none.

use crate::format;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// Renders `ts` in UTC with the machine-readable value in `datetime` and the age as a
/// tooltip, or `fallback`.
#[component]
pub fn TimeCell(
    ts: Option<DateTime<Utc>>,
    #[prop(default = "—")] fallback: &'static str,
) -> impl IntoView {
    match ts {
        Some(ts) => view! {
            <time class="mono" datetime=format::machine_timestamp(ts) title=format::ago(ts, Utc::now())>{format::timestamp(ts)}</time>
        }
            .into_any(),
        None => view! { <span class="muted">{fallback}</span> }.into_any(),
    }
}
