//! Hides a page from users who lack its permission, with an explanation instead of a 403.

use crate::components::common::EmptyState;
use crate::contexts::use_session;
use app::Permission;
use leptos::prelude::*;

/// Renders `children` when the user holds one of `any_of`, otherwise a calm "no access" note.
///
/// This is for clarity only; the server enforces every permission on its own.
#[component]
pub fn RequirePermission(any_of: &'static [Permission], children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let allowed = Memo::new(move |_| any_of.is_empty() || session.can_any(any_of));
    move || {
        if allowed.get() {
            children().into_any()
        } else {
            let needed = any_of
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" or ");
            view! {
                <EmptyState
                    title="You do not have access to this page"
                    message=format!("It needs the permission {needed}. Ask an administrator if you need it.")
                />
            }
                .into_any()
        }
    }
}
