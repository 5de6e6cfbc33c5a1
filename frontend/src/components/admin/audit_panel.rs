//! The audit log: newest records first, older pages on demand, and chain verification.

use super::{AuditRow, AuditVerify};
use crate::api;
use crate::components::common::{AsyncRegion, DataTable, EmptyState, ErrorPanel, Icon, IconName};
use app::ErrorBody;
use app::audit::AuditEntry;
use leptos::prelude::*;

/// Renders the audit table with "Load older" and "Verify chain".
#[component]
pub fn AuditPanel() -> impl IntoView {
    let first_page = LocalResource::new(|| api::audit::list_audit(None));
    // Older pages are appended below the first page; `cursor` is `None` until one is loaded,
    // then the next page's `before` (itself `None` at the end of the trail).
    let older = RwSignal::new(Vec::<AuditEntry>::new());
    let cursor = RwSignal::new(None::<Option<i64>>);
    let load_older = Action::new_local(move |before: &i64| {
        let before = *before;
        async move {
            let page = api::audit::list_audit(Some(before)).await?;
            older.update(|entries| entries.extend(page.entries));
            cursor.set(Some(page.next_before));
            Ok::<(), ErrorBody>(())
        }
    });
    let refresh = move |_| {
        older.set(Vec::new());
        cursor.set(None);
        first_page.refetch();
    };

    view! {
        <section class="panel panel-flush" aria-labelledby="audit-heading">
            <div class="panel-head">
                <h2 id="audit-heading" class="panel-title">"Audit log"</h2>
                <div class="panel-actions">
                    <AuditVerify />
                    <button type="button" class="btn" on:click=refresh>
                        <Icon name=IconName::Refresh />
                        <span>"Refresh"</span>
                    </button>
                </div>
            </div>
            <AsyncRegion>
                {move || Suspend::new(async move {
                    let page = first_page.await?;
                    if page.entries.is_empty() {
                        return Ok::<_, ErrorBody>(
                            view! { <EmptyState title="No audit records yet" message="Logins and changes will appear here." /> }
                                .into_any(),
                        );
                    }
                    let first_next = page.next_before;
                    let next = move || cursor.get().unwrap_or(first_next);
                    let first_rows = page
                        .entries
                        .into_iter()
                        .map(|entry| view! { <AuditRow entry /> })
                        .collect_view();
                    Ok(view! {
                        <DataTable columns=&["Time", "Actor", "Action", "Outcome", "Target", "Client IP", "Seq"]>
                                    {first_rows}
                                    {move || {
                                        older
                                            .get()
                                            .into_iter()
                                            .map(|entry| view! { <AuditRow entry /> })
                                            .collect_view()
                                    }}
                                </DataTable>
                        <div class="panel-foot">
                            {move || {
                                load_older.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })
                            }}
                            {move || match next() {
                                Some(before) => view! {
                                    <button
                                        type="button"
                                        class="btn"
                                        disabled=move || load_older.pending().get()
                                        on:click=move |_| {
                                            load_older.dispatch(before);
                                        }
                                    >
                                        {move || if load_older.pending().get() { "Loading…" } else { "Load older" }}
                                    </button>
                                }
                                    .into_any(),
                                None => view! { <span class="muted small">"Start of the audit trail"</span> }.into_any(),
                            }}
                        </div>
                    }
                        .into_any())
                })}
            </AsyncRegion>
        </section>
    }
}
