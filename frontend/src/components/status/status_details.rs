//! Every field of `SystemStatus`, grouped the way an admin reads them.

use crate::components::common::{Badge, ComponentBadge, Tone};
use crate::format;
use app::system::{ComponentStatus, SystemStatus};
use chrono::Utc;
use leptos::prelude::*;

/// Renders the overall state, then the server and database facts as key/value lists.
#[component]
pub fn StatusDetails(status: SystemStatus) -> impl IntoView {
    let SystemStatus {
        status: overall,
        build,
        started_at,
        uptime_secs,
        server_time,
        database,
    } = status;
    let headline = match overall {
        ComponentStatus::Ok => "All systems operational",
        ComponentStatus::Unavailable => "Vigil is degraded: a component is unavailable",
    };
    let commit = build.git_commit.clone();
    let short_commit = commit
        .as_deref()
        .map(|c| c.chars().take(12).collect::<String>())
        .unwrap_or_else(|| "unknown".to_owned());
    let pool = format!(
        "{} open / {} max",
        database.pool_connections, database.pool_max_connections
    );
    let budgets = database
        .budgets
        .iter()
        .map(|b| format!("{} {}/{}", b.budget, b.in_use, b.max))
        .collect::<Vec<_>>()
        .join(" · ");
    let queue = format!(
        "{} events · {}",
        database.queued_events,
        format::bytes(database.queued_bytes as i64)
    );
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".to_owned());
    view! {
        <section
            class=match overall {
                ComponentStatus::Ok => "status-hero status-hero-ok",
                ComponentStatus::Unavailable => "status-hero status-hero-critical",
            }
            aria-label="Overall status"
        >
            <span data-testid="status-overall">
                <ComponentBadge status=overall />
            </span>
            <span class="status-hero-text">{headline}</span>
            <span class="status-hero-meta mono">
                "v" {build.version.clone()} " · up " {format::duration_secs(uptime_secs)}
            </span>
        </section>
        <div class="grid-2">
            <section class="panel" aria-labelledby="status-server-heading">
                <h2 id="status-server-heading" class="panel-title">"Server"</h2>
                <dl class="kv">
                    <dt>"Version"</dt>
                    <dd class="mono" data-testid="status-version">{build.version}</dd>
                    <dt>"Git commit"</dt>
                    <dd class="mono" title=commit.unwrap_or_default()>{short_commit}</dd>
                    <dt>"Build profile"</dt>
                    <dd>
                        {match build.profile.as_str() {
                            "release" => view! { <Badge tone=Tone::Neutral label="release" /> }.into_any(),
                            other => view! { <Badge tone=Tone::Warn label=other.to_owned() /> }.into_any(),
                        }}
                    </dd>
                    <dt>"Target"</dt>
                    <dd class="mono">{build.target}</dd>
                    <dt>"Started at"</dt>
                    <dd class="mono">{format::timestamp(started_at)}</dd>
                    <dt>"Uptime"</dt>
                    <dd>{format::duration_secs(uptime_secs)}</dd>
                    <dt>"Server time"</dt>
                    <dd>
                        <span class="mono">{format::timestamp(server_time)}</span>
                        <span class="muted">" · " {format::skew(server_time, Utc::now())}</span>
                    </dd>
                </dl>
            </section>
            <section class="panel" aria-labelledby="status-db-heading">
                <h2 id="status-db-heading" class="panel-title">"Database"</h2>
                <dl class="kv">
                    <dt>"Status"</dt>
                    <dd data-testid="status-database">
                        <ComponentBadge status=database.status />
                    </dd>
                    <dt>"Embedded"</dt>
                    <dd>
                        {if database.embedded {
                            view! { <Badge tone=Tone::Info label="yes" /> <span class="muted">" managed by Vigil"</span> }.into_any()
                        } else {
                            view! { <Badge tone=Tone::Neutral label="no" /> <span class="muted">" external PostgreSQL"</span> }.into_any()
                        }}
                    </dd>
                    <dt>"PostgreSQL version"</dt>
                    <dd class="mono">{or_unknown(database.server_version)}</dd>
                    <dt>"Database size"</dt>
                    <dd>{or_unknown(database.size_bytes.map(format::bytes))}</dd>
                    <dt>"Schema version"</dt>
                    <dd class="mono">{or_unknown(database.schema_version.map(|v| v.to_string()))}</dd>
                    <dt>"Pool connections"</dt>
                    <dd>{pool}</dd>
                    <dt>"Connection budgets"</dt>
                    <dd class="mono" data-testid="status-budgets">{budgets}</dd>
                    <dt>"Ingest queue"</dt>
                    <dd>{queue}</dd>
                    <dt>"Audit trail"</dt>
                    <dd data-testid="status-audit-role">
                        {match database.audit_protected {
                            Some(true) => view! { <Badge tone=Tone::Ok label="append-only for Vigil" /> <span class="muted">" its role cannot alter the audit tables"</span> }.into_any(),
                            Some(false) => view! { <Badge tone=Tone::Warn label="exposed" /> <span class="muted">" Vigil's role can alter the audit tables: set VIGIL_DATABASE_OWNER_URL"</span> }.into_any(),
                            None => view! { <span class="muted">"unknown"</span> }.into_any(),
                        }}
                    </dd>
                </dl>
            </section>
        </div>
    }
}
