//! One audit record as a table row; every value is rendered as text.

use crate::components::common::{Badge, TimeCell, Tone};
use app::audit::{ActorKind, AuditEntry, AuditOutcome};
use leptos::prelude::*;

fn actor_kind_name(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::User => "user",
        ActorKind::ApiKey => "API key",
        ActorKind::System => "system",
        ActorKind::Anonymous => "anonymous",
    }
}

/// Renders time, actor, action, outcome, target and client address of `entry`.
#[component]
pub fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let outcome = match entry.outcome {
        AuditOutcome::Success => view! { <Badge tone=Tone::Ok label="success" /> },
        AuditOutcome::Failure => view! { <Badge tone=Tone::Critical label="failure" /> },
        AuditOutcome::Denied => view! { <Badge tone=Tone::Warn label="denied" /> },
    };
    let details = if entry.details.is_null() {
        String::new()
    } else {
        entry.details.to_string()
    };
    let kind = actor_kind_name(entry.actor_kind);
    let actor = entry.actor_name.unwrap_or_else(|| kind.to_owned());
    view! {
        <tr>
            <td><TimeCell ts=Some(entry.ts) /></td>
            <td>
                <span class="cell-strong">{actor}</span>
                <span class="muted small">" " {kind}</span>
            </td>
            <td class="mono" title=details>{entry.action}</td>
            <td>{outcome}</td>
            <td class="mono truncate">{entry.target.unwrap_or_default()}</td>
            <td class="mono">{entry.client_ip.unwrap_or_default()}</td>
            <td class="mono muted small">{entry.seq}</td>
        </tr>
    }
}
