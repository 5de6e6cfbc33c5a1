//! The public health answer, for users who may not read the full system status.

use crate::api;
use crate::components::common::{AsyncRegion, ComponentBadge};
use leptos::prelude::*;

/// Renders overall and database health and the version from `/api/v1/health`.
#[component]
pub fn PublicHealth() -> impl IntoView {
    let health = LocalResource::new(api::system::health);
    view! {
        <section class="panel" aria-labelledby="public-health-heading">
            <h2 id="public-health-heading" class="panel-title">"System health"</h2>
            <AsyncRegion>
                {move || Suspend::new(async move {
                    let h = health.await?;
                    Ok::<_, app::ErrorBody>(view! {
                        <dl class="stats">
                            <div class="stat">
                                <dt>"Overall"</dt>
                                <dd><ComponentBadge status=h.status /></dd>
                            </div>
                            <div class="stat">
                                <dt>"Database"</dt>
                                <dd><ComponentBadge status=h.database /></dd>
                            </div>
                            <div class="stat">
                                <dt>"Version"</dt>
                                <dd class="mono">{h.version}</dd>
                            </div>
                        </dl>
                    })
                })}
            </AsyncRegion>
        </section>
    }
}
