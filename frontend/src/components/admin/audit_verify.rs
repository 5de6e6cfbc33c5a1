//! Checks the audit hash chain on demand and says whether it is intact.

use crate::api;
use crate::components::common::{Badge, ErrorPanel, Tone};
use leptos::prelude::*;

/// Renders the "Verify chain" button and its verdict.
#[component]
pub fn AuditVerify() -> impl IntoView {
    let verify = Action::new_local(|_: &()| api::audit::verify_audit());
    view! {
        <div class="verify">
            <button
                type="button"
                class="btn"
                disabled=move || verify.pending().get()
                on:click=move |_| {
                    verify.dispatch(());
                }
            >
                {move || if verify.pending().get() { "Verifying…" } else { "Verify chain" }}
            </button>
            <span role="status" data-testid="audit-verify-result">
                {move || {
                    verify
                        .value()
                        .get()
                        .map(|result| match result {
                            Ok(v) if v.intact => view! {
                                <Badge tone=Tone::Ok label="Chain intact" />
                                <span class="muted small">{format!(" {} records checked", v.checked)}</span>
                            }
                                .into_any(),
                            Ok(v) => {
                                let at = v
                                    .first_broken_seq
                                    .map(|seq| format!(" first mismatch at record #{seq}"))
                                    .unwrap_or_default();
                                view! {
                                    <Badge tone=Tone::Critical label="Chain broken" />
                                    <span class="small">{at} {format!(" ({} records checked)", v.checked)}</span>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        })
                }}
            </span>
        </div>
    }
}
