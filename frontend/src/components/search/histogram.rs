//! Events over time as bars; clicking a bar zooms the range to it, dragging
//! across bars zooms to the buckets dragged over.

use super::state::ExplorerState;
use crate::api;
use crate::components::common::AsyncRegion;
use app::search::{HistogramRequest, HistogramResponse};
use chrono::SecondsFormat;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Renders the histogram of the applied search.
#[component]
pub fn Histogram(state: ExplorerState) -> impl IntoView {
    let data = LocalResource::new(move || {
        let request = HistogramRequest {
            query: state.query.get(),
            from: Some(state.from.get()),
            to: Some(state.to.get()),
            time_zone: state.time_zone(),
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
    let zone = state.zone.get_untracked();
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
        .map(|b| crate::format::timestamp_in(b.ts, &zone));
    let last = histogram
        .buckets
        .last()
        .map(|b| crate::format::timestamp_in(b.ts, &zone));
    let starts: Vec<chrono::DateTime<chrono::Utc>> =
        histogram.buckets.iter().map(|b| b.ts).collect();
    let count = starts.len();
    // The bucket dragged from, and the one the pointer is over now.
    let dragging = RwSignal::new(None::<(usize, usize)>);
    let bucket_at = move |event: &leptos::ev::PointerEvent| -> Option<usize> {
        let svg = event
            .current_target()?
            .dyn_into::<web_sys::Element>()
            .ok()?;
        let rect = svg.get_bounding_client_rect();
        if rect.width() <= 0.0 || count == 0 {
            return None;
        }
        let share = (event.client_x() as f64 - rect.left()) / rect.width();
        Some(((share * count as f64).floor().max(0.0) as usize).min(count - 1))
    };
    let on_down = move |event: leptos::ev::PointerEvent| {
        if event.button() != 0 {
            return;
        }
        if let Some(at) = bucket_at(&event) {
            dragging.set(Some((at, at)));
            if let Some(svg) = event
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = svg.set_pointer_capture(event.pointer_id());
            }
        }
    };
    let on_move = move |event: leptos::ev::PointerEvent| {
        if let (Some((from, _)), Some(at)) = (dragging.get_untracked(), bucket_at(&event)) {
            dragging.set(Some((from, at)));
        }
    };
    let on_up = move |_: leptos::ev::PointerEvent| {
        let Some((a, b)) = dragging.get_untracked() else {
            return;
        };
        dragging.set(None);
        let (first, last) = (a.min(b), a.max(b));
        let start = starts[first];
        let end = starts[last] + chrono::Duration::seconds(interval);
        state.apply(
            &state.query.get_untracked(),
            &start.to_rfc3339_opts(SecondsFormat::Secs, true),
            &end.to_rfc3339_opts(SecondsFormat::Secs, true),
        );
    };
    let brush = move || {
        dragging.get().map(|(a, b)| {
            let (first, last) = (a.min(b), a.max(b));
            view! {
                <rect
                    class="brush"
                    x=format!("{:.1}", first as f64 * width)
                    y="0"
                    width=format!("{:.1}", (last - first + 1) as f64 * width)
                    height="100"
                />
            }
        })
    };
    let rects = histogram
        .buckets
        .into_iter()
        .enumerate()
        .map(|(i, bucket)| {
            let height = bucket.count as f64 / highest as f64 * 100.0;
            let label = format!(
                "{}: {} events",
                crate::format::timestamp_in(bucket.ts, &zone),
                bucket.count
            );
            view! {
                <rect
                    class="bar"
                    class:empty=bucket.count == 0
                    x=format!("{:.1}", i as f64 * width + 1.0)
                    y=format!("{:.1}", 100.0 - height)
                    width=format!("{:.1}", width - 2.0)
                    height=format!("{:.1}", height.max(if bucket.count > 0 { 1.5 } else { 0.0 }))
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
        <svg class="histogram-chart" viewBox=format!("0 0 {span} 100") preserveAspectRatio="none" role="img" aria-label="Histogram of matching events"
            on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up
            on:pointercancel=move |_| dragging.set(None)>
            {rects}
            {brush}
        </svg>
        <div class="histogram-axis muted">
            <span>{first}</span>
            <span>{last}</span>
        </div>
    }
    .into_any()
}
