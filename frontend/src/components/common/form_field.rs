//! One labelled form control: the label naming the control by id, the
//! control itself, and optional help text the control can point at.

use leptos::prelude::*;

/// Renders a form field: `label` for the control with id `id` (the child),
/// and `hint` below it with id `{id}-hint` (give the control
/// `aria-describedby` with that id). `grow` lets the field take the row's
/// free width in a grid form.
#[component]
pub fn FormField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] grow: bool,
    children: Children,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class=if grow { "field field-grow" } else { "field" }>
            <label for=id>{label}</label>
            {children()}
            {hint.map(|text| view! { <span id=hint_id class="hint">{text}</span> })}
        </div>
    }
}
