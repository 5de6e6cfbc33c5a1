//! `vigil loadgen`: sends realistic events over HTTP bulk with several
//! connections and reports throughput and latency; `vigil bench copy`: the
//! raw-database baseline the ingest benchmark is measured against; `vigil
//! bench load` and `bench search`: the search benchmark's data and queries.

pub mod baseline;
pub mod bulk_load;
pub mod demo;
pub mod generate;
pub mod repo;
pub mod search_bench;

use anyhow::{Context, bail};
use axum::body::Bytes;
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Returns what to send and how.
#[derive(Debug, Clone)]
pub struct LoadgenOptions {
    /// Vigil's base URL.
    pub url: String,
    /// An API key with the ingest scope.
    pub key: String,
    /// How many events to send.
    pub events: u64,
    /// Concurrent HTTP connections.
    pub connections: usize,
    /// Events per request.
    pub batch: usize,
    /// Spread event times over this many days before now.
    pub days: u32,
    /// Cap on events per second (None: as fast as accepted).
    pub rate: Option<f64>,
    /// Generator seed.
    pub seed: u64,
}

/// Returns what a run achieved.
#[derive(Debug, Clone)]
pub struct LoadgenReport {
    /// Events the server acknowledged as stored.
    pub accepted: u64,
    /// Items the server rejected.
    pub rejected: u64,
    /// Requests answered 429/503 and retried.
    pub retries: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Request latencies in milliseconds, sorted.
    pub latencies_ms: Vec<f64>,
    /// Total request body bytes sent.
    pub bytes: u64,
    /// CPU time this client used while sending (Linux only): the share of the
    /// machine the measurement spent on its own HTTP client.
    pub client_cpu: Option<Duration>,
}

impl LoadgenReport {
    /// Returns accepted events per second.
    pub fn events_per_second(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Returns the latency at quantile `q` (0–1), in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_ms.len() - 1) as f64 * q).round() as usize;
        self.latencies_ms[index]
    }
}

/// Returns this process's user + system CPU time so far (from /proc).
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux platform Vigil builds for.
    Some(Duration::from_millis(ticks * 10))
}

#[derive(serde::Deserialize)]
struct Answer {
    accepted: u64,
    rejected: Vec<serde_json::Value>,
}

/// Runs the load; `progress` is called about once a second with (accepted, elapsed).
pub async fn run(
    options: LoadgenOptions,
    progress: impl Fn(u64, Duration) + Send + 'static,
) -> anyhow::Result<LoadgenReport> {
    if options.connections == 0 || options.batch == 0 {
        bail!("connections and batch must be at least 1");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.connections)
        .timeout(Duration::from_secs(120))
        .build()?;
    let endpoint = format!("{}/api/v1/events/bulk", options.url.trim_end_matches('/'));
    let (batches, receiver) = mpsc::channel::<(Bytes, usize)>(options.connections * 2);
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));

    // Generate every request body before the clock starts, so the measurement
    // is Vigil's work and not the generator's (they share the machine).
    let generator_options = options.clone();
    let bodies: Vec<(Bytes, usize)> = tokio::task::spawn_blocking(move || {
        let end = Utc::now();
        let span = chrono::Duration::days(i64::from(generator_options.days.max(1)));
        let mut generator =
            generate::Generator::new(generator_options.seed, generator_options.events, end, span);
        let mut bodies = Vec::new();
        loop {
            let mut body = String::with_capacity(generator_options.batch * 800);
            let mut count = 0;
            while count < generator_options.batch {
                let Some(event) = generator.next_event() else {
                    break;
                };
                body.push_str(&event.to_string());
                body.push('\n');
                count += 1;
            }
            if count == 0 {
                return bodies;
            }
            bodies.push((Bytes::from(body), count));
        }
    })
    .await?;
    let rate = options.rate;
    let producer = tokio::spawn(async move {
        let started = Instant::now();
        let mut produced = 0u64;
        for (body, count) in bodies {
            produced += count as u64;
            if let Some(rate) = rate {
                let due = Duration::from_secs_f64(produced as f64 / rate);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
            if batches.send((body, count)).await.is_err() {
                return;
            }
        }
    });

    let accepted = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let retries = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let cpu_at_start = process_cpu();
    let reporter = {
        let accepted = Arc::clone(&accepted);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                progress(accepted.load(Ordering::Relaxed), started.elapsed());
            }
        })
    };
    let mut workers = Vec::new();
    for _ in 0..options.connections {
        let (client, endpoint, key, receiver) = (
            client.clone(),
            endpoint.clone(),
            options.key.clone(),
            Arc::clone(&receiver),
        );
        let (accepted, rejected, retries, bytes) = (
            Arc::clone(&accepted),
            Arc::clone(&rejected),
            Arc::clone(&retries),
            Arc::clone(&bytes),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let next = receiver.lock().await.recv().await;
                let Some((body, count)) = next else { break };
                bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                loop {
                    let sent = Instant::now();
                    let response = client
                        .post(&endpoint)
                        .bearer_auth(&key)
                        .header("content-type", "application/x-ndjson")
                        .body(body.clone())
                        .send()
                        .await
                        .context("sending a batch")?;
                    let status = response.status();
                    if status.as_u16() == 429 || status.as_u16() == 503 {
                        retries.fetch_add(1, Ordering::Relaxed);
                        let wait = response
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<u64>().ok())
                            .unwrap_or(1);
                        tokio::time::sleep(Duration::from_millis(wait.min(5) * 200)).await;
                        continue;
                    }
                    if !status.is_success() {
                        let text = response.text().await.unwrap_or_default();
                        bail!("the server answered {status}: {text}");
                    }
                    let answer: Answer = response.json().await.context("reading the answer")?;
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    if answer.accepted as usize + answer.rejected.len() != count {
                        bail!(
                            "the server accounted for {} of {count} events",
                            answer.accepted as usize + answer.rejected.len()
                        );
                    }
                    accepted.fetch_add(answer.accepted, Ordering::Relaxed);
                    rejected.fetch_add(answer.rejected.len() as u64, Ordering::Relaxed);
                    break;
                }
            }
            Ok::<Vec<f64>, anyhow::Error>(latencies)
        }));
    }
    let mut latencies_ms = Vec::new();
    let mut failure = None;
    for worker in workers {
        match worker.await? {
            Ok(mut latencies) => latencies_ms.append(&mut latencies),
            Err(error) => failure = Some(error),
        }
    }
    reporter.abort();
    let elapsed = started.elapsed();
    let client_cpu = process_cpu()
        .zip(cpu_at_start)
        .map(|(end, start)| end.saturating_sub(start));
    producer.abort();
    if let Some(error) = failure {
        return Err(error);
    }
    latencies_ms.sort_by(f64::total_cmp);
    Ok(LoadgenReport {
        accepted: accepted.load(Ordering::Relaxed),
        rejected: rejected.load(Ordering::Relaxed),
        retries: retries.load(Ordering::Relaxed),
        elapsed,
        latencies_ms,
        bytes: bytes.load(Ordering::Relaxed),
        client_cpu,
    })
}
