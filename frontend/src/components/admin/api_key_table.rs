//! The list of API keys, with revocation.

use crate::api::ApiResult;
use crate::components::common::{Badge, ConfirmButton, DataTable, EmptyState, TimeCell, Tone};
use app::api_keys::ApiKeySummary;
use app::ids::ApiKeyId;
use leptos::prelude::*;

/// Renders one row per key, active keys first; each active key can be revoked.
#[component]
pub fn ApiKeyTable(
    keys: Vec<ApiKeySummary>,
    revoke: Action<ApiKeyId, ApiResult<()>>,
) -> impl IntoView {
    if keys.is_empty() {
        return view! {
            <EmptyState
                title="No API keys yet"
                message="Create one per log source or tool; each can be revoked on its own."
            />
        }
        .into_any();
    }
    let mut keys = keys;
    keys.sort_by_key(|k| (k.revoked_at.is_some(), std::cmp::Reverse(k.created_at)));
    let rows = keys
        .into_iter()
        .map(|key| {
            let id = key.id;
            let revoked = key.revoked_at.is_some();
            let status = match key.revoked_at {
                Some(_) => view! { <Badge tone=Tone::Neutral label="revoked" /> },
                None => view! { <Badge tone=Tone::Ok label="active" /> },
            };
            let action = (!revoked).then(|| {
                view! {
                    <ConfirmButton
                        label="Revoke"
                        accessible_label=format!("Revoke key {}", key.name)
                        question=format!("Revoke {}?", key.name)
                        confirm_label="Confirm revoke"
                        on_confirm=Callback::new(move |()| {
                            revoke.dispatch(id);
                        })
                        disabled=Signal::derive(move || revoke.pending().get())
                    />
                }
            });
            view! {
                <tr class:row-muted=revoked>
                    <td class="cell-strong">{key.name}</td>
                    <td class="mono">{key.prefix} "…"</td>
                    <td>
                        {key
                            .scopes
                            .iter()
                            .map(|s| view! { <span class="chip mono">{s.as_str()}</span> })
                            .collect_view()}
                    </td>
                    <td>{key.created_by.unwrap_or_else(|| "deleted user".to_owned())}</td>
                    <td><TimeCell ts=Some(key.created_at) /></td>
                    <td><TimeCell ts=key.last_used_at fallback="never" /></td>
                    <td>{status}</td>
                    <td class="cell-actions">{action}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable columns=&["Name", "Prefix", "Scopes", "Created by", "Created", "Last used", "Status"] actions=true>{rows}</DataTable>
    }
    .into_any()
}
