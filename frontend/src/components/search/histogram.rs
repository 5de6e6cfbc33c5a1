//! Events over time as bars; clicking a bar zooms the range to it.

use super::state::ExplorerState;
use crate::api;
use crate::components::common::AsyncRegion;
use app::search::{HistogramRequest, HistogramResponse};
use chrono::SecondsFormat;
use leptos::prelude::*;

/// Renders the histogram of the applied search.
#[component]
pub fn Histogram(state: ExplorerState) -> impl IntoView {
    let data = LocalResource::new(move || {
        let request = HistogramRequest {
            query: state.query.get(),
            from: Some(state.from.get()),
            to: Some(state.to.get()),
            interval: None,
        };
        state.runs.get();
        async move { api::search::histogram(&request).await }
    });
    view! {
        <section class="panel histogram" aria-label="Events over time">
            <AsyncRegion>
                {move || Suspend::new(async move {
                    let histogram = data.await?;
                    Ok::<_, app::ErrorBody>(bars(histogram, state))
                })}
            </AsyncRegion>
        </section>
    }
}

fn bars(histogram: HistogramResponse, state: ExplorerState) -> AnyView {
    let highest = histogram
        .buckets
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let width = 10.0;
    let total: u64 = histogram.buckets.iter().map(|b| b.count).sum();
    let span = histogram.buckets.len() as f64 * width;
    let interval = histogram.interval as i64;
    let first = histogram
        .buckets
        .first()
        .map(|b| crate::format::timestamp(b.ts));
    let last = histogram
        .buckets
        .last()
        .map(|b| crate::format::timestamp(b.ts));
    let rects = histogram
        .buckets
        .into_iter()
        .enumerate()
        .map(|(i, bucket)| {
            let height = bucket.count as f64 / highest as f64 * 100.0;
            let start = bucket.ts;
            let end = start + chrono::Duration::seconds(interval);
            let label = format!(
                "{}: {} events",
                crate::format::timestamp(start),
                bucket.count
            );
            let zoom = move |_| {
                state.apply(
                    &state.query.get_untracked(),
                    &start.to_rfc3339_opts(SecondsFormat::Secs, true),
                    &end.to_rfc3339_opts(SecondsFormat::Secs, true),
                );
            };
            view! {
                <rect
                    class="bar"
                    class:empty=bucket.count == 0
                    x=format!("{:.1}", i as f64 * width + 1.0)
                    y=format!("{:.1}", 100.0 - height)
                    width=format!("{:.1}", width - 2.0)
                    height=format!("{:.1}", height.max(if bucket.count > 0 { 1.5 } else { 0.0 }))
                    on:click=zoom
                >
                    <title>{label}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <div class="histogram-head">
            <span class="histogram-total" data-testid="histogram-total">{crate::format::count(total as i64)} " events"</span>
            <span class="muted">{format!("one bar = {}", crate::format::duration_secs(interval as u64))}</span>
        </div>
        <svg class="histogram-chart" viewBox=format!("0 0 {span} 100") preserveAspectRatio="none" role="img" aria-label="Histogram of matching events">
            {rects}
        </svg>
        <div class="histogram-axis muted">
            <span>{first}</span>
            <span>{last}</span>
        </div>
    }
    .into_any()
}
