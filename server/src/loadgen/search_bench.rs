//! `vigil bench search`: the search benchmark of docs/benchmarks.md — each
//! query of the search issue run warm, twenty times, through the HTTP API.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::Instant;

/// One benchmarked request: a name, the route and its body.
struct Case {
    name: &'static str,
    path: &'static str,
    body: Value,
}

fn cases() -> Vec<Case> {
    let range = |mut body: Value| {
        body["from"] = json!("now-24h");
        body["to"] = json!("now");
        body
    };
    vec![
        Case {
            name: "equality on an indexed field (host.name), 24 h, limit 100",
            path: "/api/v1/search",
            body: range(json!({"query": "host.name:web-014.corp.example", "limit": 100})),
        },
        Case {
            name: "CIDR (source.ip:198.51.0.0/24), 24 h, limit 100",
            path: "/api/v1/search",
            body: range(json!({"query": "source.ip:198.51.0.0/24", "limit": 100})),
        },
        Case {
            name: "free text (sqlmap), 24 h, limit 100",
            path: "/api/v1/search",
            body: range(json!({"query": "sqlmap", "limit": 100})),
        },
        Case {
            name: "histogram of 24 h (all events)",
            path: "/api/v1/search/histogram",
            body: range(json!({"query": ""})),
        },
        Case {
            name: "top 10 values of host.name over 24 h",
            path: "/api/v1/search/top",
            body: range(json!({"query": "", "field": "host.name", "size": 10})),
        },
        Case {
            name: "nested JSON field equality (http.request.method:POST), 24 h, limit 100",
            path: "/api/v1/search",
            body: range(json!({"query": "http.request.method:POST", "limit": 100})),
        },
        Case {
            name: "numeric range on a JSON field (http.response.status_code >= 500), 24 h, limit 100",
            path: "/api/v1/search",
            body: range(json!({"query": "http.response.status_code >= 500", "limit": 100})),
        },
        Case {
            name: "rare numeric range on a JSON field (http.response.body.bytes > 50100), 24 h, limit 100",
            path: "/api/v1/search",
            body: range(json!({"query": "http.response.body.bytes > 50100", "limit": 100})),
        },
    ]
}

/// Returns one case's measurements.
#[derive(Debug)]
pub struct CaseReport {
    /// What was measured.
    pub name: &'static str,
    /// Latencies in milliseconds, sorted.
    pub millis: Vec<f64>,
    /// The first answer's summary (hits and total, or buckets, or values).
    pub summary: String,
}

impl CaseReport {
    /// Returns the latency at quantile `q`.
    pub fn quantile(&self, q: f64) -> f64 {
        let index = ((self.millis.len() - 1) as f64 * q).round() as usize;
        self.millis[index]
    }
}

/// Signs in at `url` and runs every case `runs` times after two warm-ups.
pub async fn run(
    url: &str,
    username: &str,
    password: &str,
    runs: usize,
) -> anyhow::Result<Vec<CaseReport>> {
    let client = reqwest::Client::builder().build()?;
    let base = url.trim_end_matches('/');
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .context("signing in")?;
    if !login.status().is_success() {
        bail!("signing in failed: {}", login.status());
    }
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .filter(|c| c.starts_with("vigil_session="))
        })
        .context("the login answer set no session cookie")?
        .to_owned();
    let mut reports = Vec::new();
    for case in cases() {
        let mut millis = Vec::with_capacity(runs);
        let mut summary = String::new();
        for attempt in 0..runs + 2 {
            let started = Instant::now();
            let response = client
                .post(format!("{base}{}", case.path))
                .header("cookie", &cookie)
                .json(&case.body)
                .send()
                .await?;
            let status = response.status();
            let answer: Value = response.json().await?;
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            if !status.is_success() {
                bail!("{}: {status} {answer}", case.name);
            }
            if attempt == 0 {
                summary = summarize(&answer);
            }
            if attempt >= 2 {
                millis.push(elapsed);
            }
        }
        millis.sort_by(f64::total_cmp);
        reports.push(CaseReport {
            name: case.name,
            millis,
            summary,
        });
    }
    Ok(reports)
}

fn summarize(answer: &Value) -> String {
    if let Some(hits) = answer.get("hits").and_then(Value::as_array) {
        return format!(
            "{} hits of {}{}",
            hits.len(),
            answer["total"],
            if answer["total_is_exact"] == json!(true) {
                ""
            } else {
                "+"
            }
        );
    }
    if let Some(buckets) = answer.get("buckets").and_then(Value::as_array) {
        let total: u64 = buckets.iter().filter_map(|b| b["count"].as_u64()).sum();
        return format!("{} buckets, {total} events", buckets.len());
    }
    if let Some(values) = answer.get("values").and_then(Value::as_array) {
        return format!("{} values, other {}", values.len(), answer["other"]);
    }
    answer.to_string()
}
