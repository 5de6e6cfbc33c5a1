//! The compact health strip on the overview.

use crate::api;
use crate::components::common::{AsyncRegion, ComponentBadge};
use crate::format;
use leptos::prelude::*;
use leptos_router::components::A;

/// Renders overall, database, version, uptime and size from the status API, with a link to
/// the full page.
#[component]
pub fn HealthSummary() -> impl IntoView {
    let status = LocalResource::new(api::system::status);
    view! {
        <section class="panel" aria-labelledby="health-heading">
            <div class="panel-head">
                <h2 id="health-heading" class="panel-title">"System health"</h2>
                <A href="/status">"View system status"</A>
            </div>
            <AsyncRegion>
                {move || Suspend::new(async move {
                    let s = status.await?;
                    let size = s.database.size_bytes.map(format::bytes).unwrap_or_else(|| "unknown".to_owned());
                    Ok::<_, app::ErrorBody>(view! {
                        <dl class="stats">
                            <div class="stat">
                                <dt>"Overall"</dt>
                                <dd><ComponentBadge status=s.status /></dd>
                            </div>
                            <div class="stat">
                                <dt>"Database"</dt>
                                <dd><ComponentBadge status=s.database.status /></dd>
                            </div>
                            <div class="stat">
                                <dt>"Version"</dt>
                                <dd class="mono">{s.build.version}</dd>
                            </div>
                            <div class="stat">
                                <dt>"Uptime"</dt>
                                <dd>{format::duration_secs(s.uptime_secs)}</dd>
                            </div>
                            <div class="stat">
                                <dt>"Database size"</dt>
                                <dd>{size}</dd>
                            </div>
                        </dl>
                    })
                })}
            </AsyncRegion>
        </section>
    }
}
