//! A destructive action behind an inline confirmation, so one stray click or keypress cannot
//! revoke or delete anything.

use leptos::html;
use leptos::prelude::*;

/// Renders `label`; once pressed, asks `question` with a confirm and a cancel button.
///
/// Focus moves to "Cancel" when the question opens (the safe default) and back to the
/// trigger when it closes; Escape cancels.
#[component]
pub fn ConfirmButton(
    /// The trigger's text, for example "Revoke".
    #[prop(into)]
    label: String,
    /// The trigger's accessible name when the text alone is ambiguous in a list.
    #[prop(into)]
    accessible_label: String,
    /// The question shown once the trigger is pressed.
    #[prop(into)]
    question: String,
    /// The confirming button's text, for example "Confirm revoke".
    #[prop(into)]
    confirm_label: String,
    /// Runs when the user confirms.
    on_confirm: Callback<()>,
    /// Disables the trigger, for example while the action runs.
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// Styles the buttons as an ordinary action (enabling, restoring)
    /// rather than a destructive one.
    #[prop(optional)]
    benign: bool,
) -> impl IntoView {
    let (trigger_class, confirm_class) = if benign {
        ("btn btn-sm", "btn btn-sm btn-primary")
    } else {
        ("btn btn-sm btn-danger-quiet", "btn btn-sm btn-danger")
    };
    let asking = RwSignal::new(false);
    let was_asking = StoredValue::new(false);
    let trigger_ref = NodeRef::<html::Button>::new();
    let cancel_ref = NodeRef::<html::Button>::new();

    Effect::new(move |_| {
        if asking.get() {
            was_asking.set_value(true);
            if let Some(button) = cancel_ref.get() {
                let _ = button.focus();
            }
        } else if was_asking.get_value()
            && let Some(button) = trigger_ref.get()
        {
            let _ = button.focus();
        }
    });

    let cancel = move || asking.set(false);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            cancel();
        }
    };

    move || {
        if asking.get() {
            let question_text = question.clone();
            let group_label = question.clone();
            let confirm_label = confirm_label.clone();
            view! {
                <span class="confirm" role="group" aria-label=group_label on:keydown=on_keydown>
                    <span class="confirm-question">{question_text}</span>
                    <button
                        type="button"
                        class=confirm_class
                        on:click=move |_| {
                            asking.set(false);
                            on_confirm.run(());
                        }
                    >
                        {confirm_label}
                    </button>
                    <button type="button" class="btn btn-sm" node_ref=cancel_ref on:click=move |_| cancel()>
                        "Cancel"
                    </button>
                </span>
            }
                .into_any()
        } else {
            view! {
                <button
                    type="button"
                    class=trigger_class
                    aria-label=accessible_label.clone()
                    node_ref=trigger_ref
                    disabled=move || disabled.get()
                    on:click=move |_| asking.set(true)
                >
                    {label.clone()}
                </button>
            }
            .into_any()
        }
    }
}
