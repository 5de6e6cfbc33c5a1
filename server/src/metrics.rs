//! Prometheus metrics: the names, the recorder, HTTP request counting (`GET /metrics` is `system::metrics`).
//!
//! Counters and histograms are recorded where things happen (ingest, the
//! writers, the engine, sign-in, syslog, every request); gauges that describe
//! state (queues, pools, lag, the audit chain, partitions) are read when
//! scraped. Every label takes a bounded set of values — route templates,
//! codes, source kinds, rule slugs — never attacker-written text.
//! `docs/metrics.md` lists every metric.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Events accepted or rejected, by source kind and outcome.
pub const INGEST_EVENTS: &str = "vigil_ingest_events_total";
/// Rejected items, by reason code.
pub const INGEST_REJECTIONS: &str = "vigil_ingest_rejections_total";
/// Events and bytes waiting in the writers' queue.
pub const INGEST_QUEUE_EVENTS: &str = "vigil_ingest_queue_events";
/// Bytes waiting in the writers' queue.
pub const INGEST_QUEUE_BYTES: &str = "vigil_ingest_queue_bytes";
/// Time to commit one writer batch.
pub const INGEST_COMMIT_SECONDS: &str = "vigil_ingest_commit_seconds";
/// Estimated events per day partition.
pub const PARTITION_EVENTS: &str = "vigil_events_partition_rows";
/// Committed events the engine has not evaluated.
pub const DETECTION_LAG_EVENTS: &str = "vigil_detection_lag_events";
/// Age of the oldest committed event the engine has not evaluated.
pub const DETECTION_LAG_SECONDS: &str = "vigil_detection_lag_seconds";
/// Time to evaluate one round.
pub const DETECTION_ROUND_SECONDS: &str = "vigil_detection_round_seconds";
/// Events evaluated.
pub const DETECTION_EVENTS: &str = "vigil_detection_events_total";
/// Alerts stored, by rule.
pub const ALERTS_RAISED: &str = "vigil_alerts_raised_total";
/// Events tested against a rule's condition, by rule.
pub const RULE_EVENTS_TESTED: &str = "vigil_rule_events_tested_total";
/// Events that satisfied a rule's condition and were fed to it, by rule.
pub const RULE_EVENTS_MATCHED: &str = "vigil_rule_events_matched_total";
/// Time spent evaluating a rule (sampled, in nanoseconds: counters are integers), by rule.
pub const RULE_EVALUATION_NANOS: &str = "vigil_rule_evaluation_nanoseconds_total";
/// Entries a stateful rule remembers (groups, values, sequences), by rule.
pub const RULE_STATE_ENTRIES: &str = "vigil_rule_state_entries";
/// Groups a rule let go at its memory bound, by rule.
pub const RULE_STATE_EVICTIONS: &str = "vigil_rule_state_evictions";
/// Enabled rules that do not compile or stopped after failing.
pub const RULES_BROKEN: &str = "vigil_rules_broken";
/// Rules the engine runs.
pub const RULES_RUNNING: &str = "vigil_rules_running";
/// Sign-in attempts, by outcome.
pub const LOGINS: &str = "vigil_logins_total";
/// Records in the audit chain.
pub const AUDIT_RECORDS: &str = "vigil_audit_records";
/// The newest audit record a signed checkpoint covers.
pub const AUDIT_CHECKPOINT_SEQ: &str = "vigil_audit_checkpoint_seq";
/// Database connections, by budget and state.
pub const DB_CONNECTIONS: &str = "vigil_db_connections";
/// HTTP requests, by route template, method and status.
pub const HTTP_REQUESTS: &str = "vigil_http_requests_total";
/// HTTP request latency, by route template and method.
pub const HTTP_SECONDS: &str = "vigil_http_request_duration_seconds";
/// Open syslog TCP connections.
pub const SYSLOG_CONNECTIONS: &str = "vigil_syslog_connections";
/// Syslog frames or bytes dropped, by reason.
pub const SYSLOG_DROPPED: &str = "vigil_syslog_dropped_total";
/// Syslog connections refused at a cap, by which cap.
pub const SYSLOG_REFUSED: &str = "vigil_syslog_refused_connections_total";

/// Latency buckets (seconds): a millisecond to ten seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls share it) and
/// returns its handle, or `None` when another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .and_then(|builder| builder.install_recorder());
            match handle {
                Ok(handle) => {
                    describe();
                    let upkeep = handle.clone();
                    // Histograms are drained into their buckets here, not on
                    // the paths that record them.
                    std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(std::time::Duration::from_secs(5));
                                upkeep.run_upkeep();
                            }
                        })
                        .ok()?;
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(%error, "metrics are off: no recorder could be installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    describe_counter!(
        INGEST_EVENTS,
        "Events accepted or rejected at ingest, by source kind (api_key, user, listener) and outcome"
    );
    describe_counter!(INGEST_REJECTIONS, "Rejected ingest items, by reason code");
    describe_gauge!(INGEST_QUEUE_EVENTS, "Events waiting in the writers' queue");
    describe_gauge!(INGEST_QUEUE_BYTES, "Bytes waiting in the writers' queue");
    describe_histogram!(
        INGEST_COMMIT_SECONDS,
        metrics::Unit::Seconds,
        "Time to commit one writer batch"
    );
    describe_gauge!(
        PARTITION_EVENTS,
        "Estimated events per day partition (Postgres' statistics)"
    );
    describe_gauge!(
        DETECTION_LAG_EVENTS,
        "Committed events the detection engine has not evaluated yet"
    );
    describe_gauge!(
        DETECTION_LAG_SECONDS,
        metrics::Unit::Seconds,
        "How long the oldest unevaluated event has been committed"
    );
    describe_histogram!(
        DETECTION_ROUND_SECONDS,
        metrics::Unit::Seconds,
        "Time to evaluate one round of events against every rule"
    );
    describe_counter!(
        DETECTION_EVENTS,
        "Events evaluated by this instance's engine"
    );
    describe_counter!(ALERTS_RAISED, "Alerts stored, by rule slug");
    describe_counter!(
        RULE_EVENTS_TESTED,
        "Events tested against a rule's condition (those its indexes did not skip), by rule slug"
    );
    describe_counter!(
        RULE_EVENTS_MATCHED,
        "Events that satisfied a rule's condition and were fed to it, by rule slug"
    );
    describe_counter!(
        RULE_EVALUATION_NANOS,
        metrics::Unit::Nanoseconds,
        "Time spent testing and feeding events to a rule, estimated from one call in 64 timed, by rule slug"
    );
    describe_gauge!(
        RULE_STATE_ENTRIES,
        "Entries a stateful rule remembers now (groups, values, sequences, places; bounded by 100,000), by rule slug"
    );
    describe_gauge!(
        RULE_STATE_EVICTIONS,
        "Groups a rule let go at its memory bound since its last load, by rule slug"
    );
    describe_gauge!(
        RULES_BROKEN,
        "Enabled rules that do not compile or stopped after failing"
    );
    describe_gauge!(
        RULES_RUNNING,
        "Rules this instance's engine runs (0 when it does not lead)"
    );
    describe_counter!(
        LOGINS,
        "Sign-in attempts, by outcome (success, failure, throttled, busy)"
    );
    describe_gauge!(
        AUDIT_RECORDS,
        "Records in the audit chain (its newest sequence number)"
    );
    describe_gauge!(
        AUDIT_CHECKPOINT_SEQ,
        "The newest audit record a checkpoint signed by this server covers"
    );
    describe_gauge!(
        DB_CONNECTIONS,
        "Database connections, by budget (interactive, background, writers, exports) and state (in_use, max)"
    );
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests, by route template, method and status"
    );
    describe_histogram!(
        HTTP_SECONDS,
        metrics::Unit::Seconds,
        "HTTP request latency to the response head, by route template and method"
    );
    describe_gauge!(SYSLOG_CONNECTIONS, "Open syslog TCP connections");
    describe_counter!(
        SYSLOG_DROPPED,
        "Syslog input dropped, by reason (frame_too_long, buffer_full, idle, store_failed)"
    );
    describe_counter!(
        SYSLOG_REFUSED,
        "Syslog TCP connections refused, by cap (listener, peer)"
    );
}

/// Counts one request's events at ingest.
pub fn count_ingest(kind: app::ingest::SourceKind, accepted: usize, rejected: usize) {
    let kind = match kind {
        app::ingest::SourceKind::ApiKey => "api_key",
        app::ingest::SourceKind::User => "user",
        app::ingest::SourceKind::Listener => "listener",
    };
    if accepted > 0 {
        metrics::counter!(INGEST_EVENTS, "kind" => kind, "outcome" => "accepted")
            .increment(accepted as u64);
    }
    if rejected > 0 {
        metrics::counter!(INGEST_EVENTS, "kind" => kind, "outcome" => "rejected")
            .increment(rejected as u64);
    }
}

/// Counts one sign-in attempt.
pub fn count_login(outcome: &'static str) {
    metrics::counter!(LOGINS, "outcome" => outcome).increment(1);
}

/// Middleware: counts every request by route template, method and status,
/// and records its latency.
pub async fn track_http(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_SECONDS, "route" => route.clone(), "method" => method)
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(HTTP_REQUESTS, "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// Returns the method as a label; anything unusual is one value.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
