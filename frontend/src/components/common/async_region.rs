//! The standard frame of every region that loads data: loading state plus error boundary.

use super::{ErrorList, Loading};
use leptos::prelude::*;

/// Renders `children` inside a `<Transition>` (stale data stays on screen while a refetch
/// runs) and an `<ErrorBoundary>` showing the shared error panel.
#[component]
pub fn AsyncRegion(
    /// Told `true` while a refetch runs behind the stale data, for a "refreshing" hint.
    #[prop(optional, into)]
    set_pending: Option<SignalSetter<bool>>,
    children: ChildrenFn,
) -> impl IntoView {
    let ignored = RwSignal::new(false);
    let set_pending = set_pending.unwrap_or_else(|| ignored.write_only().into());
    view! {
        <Transition fallback=|| view! { <Loading /> } set_pending>
            <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                {children()}
            </ErrorBoundary>
        </Transition>
    }
}
