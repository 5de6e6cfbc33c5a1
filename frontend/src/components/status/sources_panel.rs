//! The ingest sources table: who sends, how much, how fast, and when last.

use crate::api;
use crate::components::common::{AsyncRegion, DataTable, EmptyState, TimeCell};
use crate::format;
use app::ingest::{SourceKind, SourceSummary};
use leptos::prelude::*;
use std::time::Duration;

fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::ApiKey => "API key",
        SourceKind::User => "user",
        SourceKind::Listener => "listener",
    }
}

/// Renders every source with its counts, refreshed every 15 seconds.
#[component]
pub fn SourcesPanel() -> impl IntoView {
    let sources = LocalResource::new(api::sources::list);
    if let Ok(handle) = set_interval_with_handle(move || sources.refetch(), Duration::from_secs(15))
    {
        on_cleanup(move || handle.clear());
    }
    view! {
        <section class="panel" aria-labelledby="sources-heading">
            <h2 id="sources-heading" class="panel-title">"Ingest sources"</h2>
            <AsyncRegion>
                {move || Suspend::new(async move {
                    let list = sources.await?;
                    Ok::<_, app::ErrorBody>(view! { <SourcesTable sources=list /> })
                })}
            </AsyncRegion>
        </section>
    }
}

#[component]
fn SourcesTable(sources: Vec<SourceSummary>) -> impl IntoView {
    if sources.is_empty() {
        return view! {
            <EmptyState
                title="No events received yet"
                message="Create an API key and point a shipper at this server; see Getting started on the Overview."
            />
        }
        .into_any();
    }
    let rows = sources
        .into_iter()
        .map(|source| {
            view! {
                <tr>
                    <td class="cell-strong">{source.name}</td>
                    <td>{kind_name(source.kind)}</td>
                    <td class="num">{format::count(source.accepted)}</td>
                    <td class="num">{format::count(source.rejected)}</td>
                    <td class="num">{format::rate(source.events_per_second)}</td>
                    <td><TimeCell ts=Some(source.last_seen_at) /></td>
                    <td><TimeCell ts=source.last_event_at /></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable
            columns=&["Source", "Kind", "Stored", "Rejected", "Events/s", "Last seen", "Newest event"]
            numeric=&[2, 3, 4]
        >
            {rows}
        </DataTable>
    }
    .into_any()
}
