//! Memory per 1,000 active threshold groups: one rule counting failures per
//! source address (threshold above what any address reaches, so every
//! group stays open), fed three events for each of 20,000 addresses. The
//! heap the rule's state holds afterwards, divided per 1,000 groups, for
//! Vigil's evaluator and — same rule as a Sigma `event_count` correlation,
//! same events — for rsigma-eval's correlation engine. Also the size of
//! Vigil's saved state (what a checkpoint writes).
//!
//! `cargo bench -p server --bench engine_memory`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    reason = "a benchmark reports its figures and stops on a broken setup"
)]
#[path = "support/counting.rs"]
mod counting;

use chrono::{DateTime, Duration, Utc};
use rsigma_eval::event::JsonEvent;
use serde_json::{Value, json};
use vigil::detect::eval::{Evaluator, EventRecord};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const GROUPS: usize = 20_000;
const EVENTS_PER_GROUP: usize = 3;

fn live() -> isize {
    counting::live()
}

fn documents() -> Vec<(DateTime<Utc>, Value)> {
    let start: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().expect("a time");
    let mut out = Vec::with_capacity(GROUPS * EVENTS_PER_GROUP);
    for round in 0..EVENTS_PER_GROUP {
        for group in 0..GROUPS {
            let at = start + Duration::milliseconds((round * GROUPS + group) as i64);
            out.push((
                at,
                json!({"@timestamp": at.to_rfc3339(),
                       "event": {"outcome": "failure", "action": "ssh_login"},
                       "source": {"ip": format!("10.{}.{}.{}", group / 65536, (group / 256) % 256, group % 256)},
                       "user": {"name": "root"}}),
            ));
        }
    }
    out
}

fn vigil(documents: &[(DateTime<Utc>, Value)]) -> (f64, f64) {
    let rule: app::rules::RuleDefinition = serde_json::from_value(json!({
        "slug": "many_failures", "name": "Many failures", "severity": "medium",
        "query": "event.outcome:failure", "kind": "threshold",
        "group_by": ["source.ip"], "threshold": 100, "window_secs": 3600}))
    .expect("a valid rule");
    let records: Vec<EventRecord> = documents
        .iter()
        .enumerate()
        .map(|(i, (at, document))| EventRecord {
            id: uuid::Uuid::from_u128(i as u128 + 1),
            timestamp: *at,
            document: document.clone(),
        })
        .collect();
    let mut evaluator =
        Evaluator::new(&rule, &Default::default(), Utc::now()).expect("the rule compiles");
    let before = live();
    for record in &records {
        assert!(evaluator.observe(record).is_empty(), "no group reaches 100");
    }
    let held = (live() - before) as f64;
    let saved = serde_json::to_string(&evaluator.save())
        .expect("state serialises")
        .len() as f64;
    (held, saved)
}

fn rsigma(documents: &[(DateTime<Utc>, Value)], mode: rsigma_eval::CorrelationEventMode) -> f64 {
    let yaml = r#"
title: Failure
id: 5d1c4a5e-8f0e-4c2e-9a51-6a43f0d1a001
name: failure
logsource:
    product: linux
detection:
    selection:
        event.outcome: failure
    condition: selection
---
title: Many failures
id: 5d1c4a5e-8f0e-4c2e-9a51-6a43f0d1a002
correlation:
    type: event_count
    rules:
        - failure
    group-by:
        - source.ip
    timespan: 1h
    condition:
        gte: 100
"#;
    let collection = rsigma_parser::parse_sigma_yaml(yaml).expect("the Sigma parses");
    let mut engine = rsigma_eval::CorrelationEngine::new(rsigma_eval::CorrelationConfig::default());
    engine.set_correlation_event_mode(mode);
    engine
        .add_collection(&collection)
        .expect("rsigma-eval loads the correlation");
    let before = live();
    for (at, document) in documents {
        let result = engine.process_event_at(&JsonEvent::from(document), at.timestamp());
        assert!(
            result.iter().any(|r| r.is_detection()),
            "the base rule matches"
        );
        assert!(
            !result.iter().any(|r| r.is_correlation()),
            "no group reaches 100"
        );
    }
    let held = (live() - before) as f64;
    assert_eq!(
        engine.state_count(),
        GROUPS,
        "rsigma-eval keeps one state per address"
    );
    held
}

fn main() {
    let documents = documents();
    let per_thousand = GROUPS as f64 / 1000.0;
    let (vigil_held, vigil_saved) = vigil(&documents);
    let counts = rsigma(&documents, rsigma_eval::CorrelationEventMode::None);
    let refs = rsigma(&documents, rsigma_eval::CorrelationEventMode::Refs);
    println!("{GROUPS} groups × {EVENTS_PER_GROUP} events, threshold 100 in 1 h (no group fires)");
    println!(
        "vigil (keeps each event's time and id):  {:>7.0} bytes of heap per 1,000 groups; saved state {:.0} bytes per 1,000 groups",
        vigil_held / per_thousand,
        vigil_saved / per_thousand
    );
    println!(
        "rsigma-eval, event mode refs (time + id): {:>7.0} bytes per 1,000 groups; ratio to vigil {:.2} (above 1: Vigil holds less)",
        refs / per_thousand,
        refs / vigil_held
    );
    println!(
        "rsigma-eval, event mode none (times only): {:>6.0} bytes per 1,000 groups; ratio to vigil {:.2}",
        counts / per_thousand,
        counts / vigil_held
    );
}
