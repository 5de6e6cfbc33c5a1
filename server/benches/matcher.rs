//! Detection matcher throughput: every public Sigma rule of the corpus
//! loaded, evaluated on every event of the OTRF recordings and on loadgen
//! events, by Vigil's evaluator and — same rules, same events — by
//! rsigma-eval. One thread: the figures are per core.
//!
//! `cargo bench -p server --bench matcher` (needs ../shared/data).

#![allow(
    clippy::print_stderr,
    clippy::expect_used,
    reason = "a benchmark reports what it loaded and stops on missing data"
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsigma_eval::event::JsonEvent;
use serde_json::Value;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use vigil::detect::eval::{Evaluator, EventRecord};
use vigil::detect::set::RuleSet;
use vigil::ingest::normalize::{IngestContext, IngestPolicy, normalize};
use vigil::rules::sigma::{Outcome, import};

fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

fn walk(dir: &Path, wanted: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the shared data folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            walk(&path, wanted, out);
        } else if path.extension().is_some_and(|e| e == wanted) {
            out.push(path);
        }
    }
}

/// The rules' YAML texts.
fn rule_texts() -> Vec<String> {
    let mut files = Vec::new();
    walk(&shared("sigma/rules"), "yml", &mut files);
    walk(&shared("sigma/rules-threat-hunting"), "yml", &mut files);
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("a rule file"))
        .collect()
}

/// Events as ingest stores them: OTRF recordings, then loadgen events.
fn events() -> (Vec<EventRecord>, Vec<EventRecord>) {
    let context = IngestContext {
        geo: None,
        source_id: None,
        source_kind: app::ingest::SourceKind::User,
        source_name: "bench".into(),
        received_at: chrono::Utc::now(),
    };
    let policy = IngestPolicy {
        max_age: std::time::Duration::from_secs(100 * 365 * 86_400),
        max_future: std::time::Duration::from_secs(86_400),
        ..IngestPolicy::default()
    };
    let record = |value: Value| {
        let event = normalize(value, &context, policy).expect("a normalisable event");
        EventRecord {
            id: event.id,
            timestamp: event.ts,
            document: event.document(),
        }
    };
    let mut files = Vec::new();
    walk(&shared("otrf-security-datasets/atomic"), "json", &mut files);
    files.sort();
    let otrf: Vec<EventRecord> = files
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .expect("a recording")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str::<Value>(l).expect("NDJSON"))
                .collect::<Vec<_>>()
        })
        .map(record)
        .collect();
    let mut generator = vigil::loadgen::generate::Generator::new(
        7,
        20_000,
        chrono::Utc::now(),
        chrono::Duration::days(1),
    );
    let loadgen = std::iter::from_fn(|| generator.next_event())
        .map(record)
        .collect();
    (otrf, loadgen)
}

fn matcher(c: &mut Criterion) {
    let texts = rule_texts();
    let evaluators: Vec<Evaluator> = texts
        .iter()
        .flat_map(|text| import(text))
        .filter_map(|outcome| match outcome {
            Outcome::Rule(rule) => {
                Evaluator::new(&rule, &Default::default(), chrono::Utc::now()).ok()
            }
            Outcome::Unsupported { .. } => None,
        })
        .collect();
    let mut engine = rsigma_eval::Engine::new();
    for text in &texts {
        if let Ok(collection) = rsigma_parser::parse_sigma_yaml(text) {
            let _ = engine.add_collection(&collection);
        }
    }
    let mut set = RuleSet::new(evaluators);
    let (otrf, loadgen) = events();
    eprintln!(
        "{} Vigil rules, {} rsigma-eval rules; {} OTRF and {} loadgen events",
        set.len(),
        engine.rule_count(),
        otrf.len(),
        loadgen.len()
    );
    for (name, events) in [("otrf", &otrf), ("loadgen", &loadgen)] {
        let mut group = c.benchmark_group(format!("matcher/{name}"));
        group.throughput(Throughput::Elements(events.len() as u64));
        group.sample_size(10);
        group.bench_function("vigil", |b| {
            b.iter(|| {
                let mut matches = 0usize;
                for event in events.iter() {
                    matches += set.selecting(event).len();
                }
                black_box(matches)
            })
        });
        group.bench_function("rsigma-eval", |b| {
            b.iter(|| {
                let mut matches = 0usize;
                for event in events.iter() {
                    matches += engine.evaluate(&JsonEvent::borrow(&event.document)).len();
                }
                black_box(matches)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, matcher);
criterion_main!(benches);
