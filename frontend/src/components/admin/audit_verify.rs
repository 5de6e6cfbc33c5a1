//! Checks the audit hash chain and its signed checkpoints on demand and says whether they hold.

use crate::api;
use crate::components::common::{Badge, ErrorPanel, Tone};
use app::audit::{AuditProblem, AuditVerification};
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
                                <span class="muted small">{format!(" {}", anchoring(&v))}</span>
                            }
                                .into_any(),
                            Ok(v) => {
                                let found = v
                                    .problems
                                    .iter()
                                    .map(describe)
                                    .collect::<Vec<_>>()
                                    .join("; ");
                                view! {
                                    <Badge tone=Tone::Critical label="Tampering detected" />
                                    <span class="small">{format!(" {found} ({})", anchoring(&v))}</span>
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

/// Returns how much of the chain the checkpoints vouch for.
fn anchoring(v: &AuditVerification) -> String {
    let c = &v.checkpoints;
    let mut text = format!("{} records checked", v.checked);
    match c.latest_seq {
        Some(seq) => text.push_str(&format!(
            ", signed through #{seq} ({} checkpoints, {} newer records not yet signed)",
            c.verified, c.unanchored
        )),
        None => text.push_str(", no signed checkpoint yet"),
    }
    if c.unverifiable > 0 {
        text.push_str(&format!(
            ", {} checkpoints under an untrusted key",
            c.unverifiable
        ));
    }
    text
}

fn describe(problem: &AuditProblem) -> String {
    match problem {
        AuditProblem::ChainBroken { seq } => format!("record #{seq} does not match its hash"),
        AuditProblem::CheckpointMismatch { seq } => {
            format!("the chain up to #{seq} differs from what was signed")
        }
        AuditProblem::RecordsMissing { seq } => format!("record #{seq}, signed, is gone"),
        AuditProblem::BadSignature { seq } => format!("the checkpoint at #{seq} is forged"),
        AuditProblem::CheckpointsMissing { seq } => {
            format!("the checkpoint at #{seq} this server signed is gone")
        }
    }
}
