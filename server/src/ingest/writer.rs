//! The group-commit writer: many requests, one COPY and one commit.
//!
//! Handlers hand over their normalised events and wait. Writer tasks each take
//! every job waiting at that moment (up to a batch limit), write them with one
//! binary COPY in one transaction, and only after the commit tell each job's
//! handler, which only then answers 2xx: acknowledged means stored. While one
//! writer waits for its commit to reach disk, the next gathers the jobs that
//! arrived meanwhile, so commits are shared without an artificial delay.
//!
//! Memory is bounded: queued events hold semaphore permits, and a request that
//! cannot get permits is refused (503 with Retry-After) instead of queued.

use super::copy::{COPY_EVENTS, HEADER, TRAILER, encode_rows};
use super::normalize::Event;
use super::repo;
use chrono::NaiveDate;
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Returns the writer's limits.
#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    /// Concurrent writer tasks (each one database connection while writing).
    pub writers: usize,
    /// Most events in one COPY.
    pub max_batch_events: usize,
    /// Most events accepted but not yet committed; beyond it requests are refused.
    pub max_queued_events: usize,
}

impl Default for WriterSettings {
    fn default() -> Self {
        WriterSettings {
            writers: 4,
            max_batch_events: 20_000,
            max_queued_events: 50_000,
        }
    }
}

/// Returns why events were not stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// The queue is full; retry later.
    #[error("ingest queue is full")]
    Overloaded,
    /// The writer is shutting down.
    #[error("ingest is shutting down")]
    ShuttingDown,
    /// The database refused the batch; nothing of it was stored.
    #[error("storing events failed: {0}")]
    Storage(Arc<anyhow::Error>),
}

/// Returns an idempotency key to record with a request's events.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The source the key belongs to (keys are per source).
    pub source: uuid::Uuid,
    /// The client's key.
    pub key: String,
    /// The answer to give a retry.
    pub response: serde_json::Value,
}

/// Returns what became of a request's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Committed now.
    Stored,
    /// Its idempotency key was already recorded: committed before, not again.
    Duplicate,
}

struct Job {
    events: Vec<Event>,
    idempotency: Option<Idempotency>,
    done: oneshot::Sender<Result<Written, WriteError>>,
    _permit: Option<OwnedSemaphorePermit>,
}

/// Returns a handle to hand events to the writer tasks; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventWriter {
    jobs: mpsc::UnboundedSender<JobEnvelope>,
    capacity: Arc<Semaphore>,
    max_queued: usize,
}

/// A job in the channel (a wrapper so `Job` stays private).
pub struct JobEnvelope(Job);

impl std::fmt::Debug for JobEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JobEnvelope({} events)", self.0.events.len())
    }
}

/// Returns the running writer tasks; await them after dropping every `EventWriter`.
#[derive(Debug)]
pub struct WriterTasks(Vec<JoinHandle<()>>);

impl WriterTasks {
    /// Waits until every task has written what was queued and stopped.
    pub async fn join(self) {
        for task in self.0 {
            let _ = task.await;
        }
    }
}

impl EventWriter {
    /// Starts `settings.writers` writer tasks on `pool`.
    pub fn start(pool: PgPool, settings: WriterSettings) -> (EventWriter, WriterTasks) {
        let (sender, receiver) = mpsc::unbounded_channel::<JobEnvelope>();
        let receiver = Arc::new(Mutex::new(receiver));
        let known_days = Arc::new(std::sync::Mutex::new(HashSet::new()));
        let mut tasks = Vec::with_capacity(settings.writers);
        for index in 0..settings.writers.max(1) {
            let receiver = Arc::clone(&receiver);
            let pool = pool.clone();
            let known_days = Arc::clone(&known_days);
            tasks.push(tokio::spawn(async move {
                run_writer(index, receiver, pool, known_days, settings.max_batch_events).await;
            }));
        }
        let writer = EventWriter {
            jobs: sender,
            capacity: Arc::new(Semaphore::new(settings.max_queued_events)),
            max_queued: settings.max_queued_events,
        };
        (writer, WriterTasks(tasks))
    }

    /// Stores `events`; returns once they are committed, or why they were not.
    pub async fn write(&self, events: Vec<Event>) -> Result<(), WriteError> {
        self.submit(events, None, false).await.map(|_| ())
    }

    /// Stores `events` unless `idempotency`'s key was recorded before, in which
    /// case nothing is stored and [`Written::Duplicate`] is returned.
    pub async fn write_idempotent(
        &self,
        events: Vec<Event>,
        idempotency: Idempotency,
    ) -> Result<Written, WriteError> {
        self.submit(events, Some(idempotency), false).await
    }

    /// Stores `events` like [`EventWriter::write`], but waits for room in the
    /// queue instead of refusing: for senders that cannot be asked to retry.
    pub async fn write_waiting(&self, events: Vec<Event>) -> Result<(), WriteError> {
        self.submit(events, None, true).await.map(|_| ())
    }

    async fn submit(
        &self,
        events: Vec<Event>,
        idempotency: Option<Idempotency>,
        wait: bool,
    ) -> Result<Written, WriteError> {
        if events.is_empty() && idempotency.is_none() {
            return Ok(Written::Stored);
        }
        // A request larger than the whole queue still goes through, alone.
        let wanted = events.len().clamp(1, self.max_queued) as u32;
        let capacity = Arc::clone(&self.capacity);
        let permit = if wait {
            capacity
                .acquire_many_owned(wanted)
                .await
                .map_err(|_| WriteError::ShuttingDown)?
        } else {
            capacity
                .try_acquire_many_owned(wanted)
                .map_err(|_| WriteError::Overloaded)?
        };
        let (done, outcome) = oneshot::channel();
        self.jobs
            .send(JobEnvelope(Job {
                events,
                idempotency,
                done,
                _permit: Some(permit),
            }))
            .map_err(|_| WriteError::ShuttingDown)?;
        outcome.await.unwrap_or(Err(WriteError::ShuttingDown))
    }

    /// Returns how many more events the queue accepts now.
    pub fn available(&self) -> usize {
        self.capacity.available_permits()
    }
}

type KnownDays = Arc<std::sync::Mutex<HashSet<NaiveDate>>>;

async fn run_writer(
    index: usize,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<JobEnvelope>>>,
    pool: PgPool,
    known_days: KnownDays,
    max_batch: usize,
) {
    loop {
        let mut jobs: Vec<Job> = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            let Some(JobEnvelope(first)) = receiver.recv().await else {
                tracing::debug!(writer = index, "ingest writer stopped");
                return;
            };
            let mut count = first.events.len();
            jobs.push(first);
            while count < max_batch {
                match receiver.try_recv() {
                    Ok(JobEnvelope(job)) => {
                        count += job.events.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
        }
        let result = write_jobs(&pool, &known_days, &mut jobs).await;
        if let Err(error) = &result {
            tracing::error!(writer = index, error = %error, jobs = jobs.len(), "a batch of events was not stored; its requests get 503");
        }
        for (index, job) in jobs.into_iter().enumerate() {
            let outcome = match &result {
                Ok(duplicates) if duplicates[index] => Ok(Written::Duplicate),
                Ok(_) => Ok(Written::Stored),
                Err(error) => Err(error.clone()),
            };
            let _ = job.done.send(outcome);
        }
    }
}

/// Writes the jobs' events in one transaction; returns, per job, whether its
/// idempotency key had been recorded before (its events were then left out).
async fn write_jobs(
    pool: &PgPool,
    known_days: &KnownDays,
    jobs: &mut [Job],
) -> Result<Vec<bool>, WriteError> {
    let storage = |e: anyhow::Error| WriteError::Storage(Arc::new(e));
    let per_job: Vec<Vec<Event>> = jobs
        .iter_mut()
        .map(|job| std::mem::take(&mut job.events))
        .collect();
    let days: HashSet<NaiveDate> = per_job
        .iter()
        .flatten()
        .map(|e| e.ts.date_naive())
        .collect();
    // Encoding is CPU work on large batches: keep it off the async workers.
    let encoded: Vec<Vec<u8>> = tokio::task::spawn_blocking(move || {
        per_job.iter().map(|events| encode_rows(events)).collect()
    })
    .await
    .map_err(|e| storage(e.into()))?;
    let keyed: Vec<(usize, &Idempotency)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(index, job)| job.idempotency.as_ref().map(|key| (index, key)))
        .collect();
    for attempt in 0..2 {
        ensure_partitions(pool, known_days, &days)
            .await
            .map_err(|e| storage(e.into()))?;
        match write_transaction(pool, jobs.len(), &keyed, &encoded).await {
            Ok(duplicates) => return Ok(duplicates),
            Err(error) if attempt == 0 && repo::is_missing_partition(&error) => {
                // A partition we believed in was dropped (retention): forget and retry once.
                known_days
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clear();
            }
            Err(error) => return Err(storage(error.into())),
        }
    }
    Err(storage(anyhow::anyhow!(
        "no partition for the batch after re-creating partitions"
    )))
}

async fn write_transaction(
    pool: &PgPool,
    job_count: usize,
    keyed: &[(usize, &Idempotency)],
    encoded: &[Vec<u8>],
) -> sqlx::Result<Vec<bool>> {
    let mut tx = pool.begin().await?;
    let mut duplicates = vec![false; job_count];
    if !keyed.is_empty() {
        let sources: Vec<uuid::Uuid> = keyed.iter().map(|(_, k)| k.source).collect();
        let keys: Vec<String> = keyed.iter().map(|(_, k)| k.key.clone()).collect();
        let responses: Vec<serde_json::Value> =
            keyed.iter().map(|(_, k)| k.response.clone()).collect();
        let fresh = repo::insert_idempotency_keys(&mut tx, &sources, &keys, &responses).await?;
        for (position, (job, _)) in keyed.iter().enumerate() {
            duplicates[*job] = !fresh.contains(&position);
        }
    }
    let mut parts: Vec<&[u8]> = Vec::with_capacity(encoded.len() + 2);
    parts.push(HEADER);
    for (job, rows) in encoded.iter().enumerate() {
        if !duplicates[job] {
            parts.push(rows);
        }
    }
    parts.push(TRAILER);
    repo::copy_in(&mut tx, COPY_EVENTS, &parts).await?;
    tx.commit().await?;
    Ok(duplicates)
}

async fn ensure_partitions(
    pool: &PgPool,
    known_days: &KnownDays,
    days: &HashSet<NaiveDate>,
) -> sqlx::Result<()> {
    let missing: Vec<NaiveDate> = {
        let known = known_days
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        days.iter()
            .filter(|d| !known.contains(d))
            .copied()
            .collect()
    };
    for day in missing {
        repo::ensure_partition(pool, day).await?;
        known_days
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(day);
    }
    Ok(())
}
