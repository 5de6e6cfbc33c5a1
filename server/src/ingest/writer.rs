//! The group-commit writer: many requests, one COPY and one commit.
//!
//! Handlers hand over their normalised events and wait. Writer tasks each take
//! every job waiting at that moment (up to a batch limit), write them with one
//! binary COPY in one transaction, and only after the commit tell each job's
//! handler, which only then answers 2xx: acknowledged means stored. While one
//! writer waits for its commit to reach disk, the next gathers the jobs that
//! arrived meanwhile, so commits are shared without an artificial delay.
//!
//! Memory is bounded: queued events hold semaphore permits, by count and by
//! bytes (a few huge events weigh as much as many small ones), and a request
//! that cannot get permits is refused (503 with Retry-After) instead of queued.

use super::copy::{COPY_EVENTS, HEADER, TRAILER, encode_row, encoded_size};
use super::normalize::Event;
use super::repo;
use chrono::{DateTime, NaiveDate, Utc};
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
    /// Most bytes in one COPY (more only when one request is larger): what
    /// one transaction holds, and what the detection engine reads at once.
    pub max_batch_bytes: usize,
    /// Most events accepted but not yet committed; beyond it requests are refused.
    pub max_queued_events: usize,
    /// Most bytes (of encoded rows) accepted but not yet committed.
    pub max_queued_bytes: usize,
}

impl Default for WriterSettings {
    fn default() -> Self {
        WriterSettings {
            writers: 4,
            max_batch_events: 20_000,
            max_batch_bytes: 32 << 20,
            max_queued_events: 50_000,
            max_queued_bytes: 256 << 20,
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
    batch: EventBatch,
    idempotency: Option<Idempotency>,
    done: oneshot::Sender<Result<JobOutcome, WriteError>>,
    /// Its events and bytes in the queue, given back when it is done.
    _permit: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
}

/// What became of one job: its idempotency key's verdict, and which of its
/// events carried a document id stored before (and were left out).
#[derive(Debug, Clone, PartialEq, Eq)]
struct JobOutcome {
    written: Written,
    repeated: Vec<usize>,
}

/// Returns a handle to hand events to the writer tasks; cheap to clone.
#[derive(Debug, Clone)]
pub struct EventWriter {
    jobs: mpsc::UnboundedSender<JobEnvelope>,
    capacity: Arc<Semaphore>,
    max_queued: usize,
    /// Queued bytes, in KiB (permits are `u32`).
    byte_capacity: Arc<Semaphore>,
    max_queued_kib: usize,
}

/// A job in the channel (a wrapper so `Job` stays private).
pub struct JobEnvelope(Job);

impl std::fmt::Debug for JobEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JobEnvelope({} events)", self.0.batch.len())
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
                run_writer(index, receiver, pool, known_days, settings).await;
            }));
        }
        let writer = EventWriter {
            jobs: sender,
            capacity: Arc::new(Semaphore::new(settings.max_queued_events)),
            max_queued: settings.max_queued_events,
            byte_capacity: Arc::new(Semaphore::new((settings.max_queued_bytes >> 10).max(1))),
            max_queued_kib: (settings.max_queued_bytes >> 10).max(1),
        };
        (writer, WriterTasks(tasks))
    }

    /// Stores `events`; returns once they are committed, or why they were not.
    pub async fn write(&self, events: impl Into<EventBatch>) -> Result<(), WriteError> {
        self.submit(events.into(), None, false).await.map(|_| ())
    }

    /// Stores `events` like [`EventWriter::write`], leaving out each event
    /// whose `document_id` its source sent before (or earlier in this batch);
    /// returns the indexes of those left out.
    pub async fn write_documents(
        &self,
        events: impl Into<EventBatch>,
    ) -> Result<Vec<usize>, WriteError> {
        self.submit(events.into(), None, false)
            .await
            .map(|outcome| outcome.repeated)
    }

    /// Stores `events` unless `idempotency`'s key was recorded before, in which
    /// case nothing is stored and [`Written::Duplicate`] is returned.
    pub async fn write_idempotent(
        &self,
        events: impl Into<EventBatch>,
        idempotency: Idempotency,
    ) -> Result<Written, WriteError> {
        self.submit(events.into(), Some(idempotency), false)
            .await
            .map(|outcome| outcome.written)
    }

    /// Stores `events` like [`EventWriter::write`], but waits for room in the
    /// queue instead of refusing: for senders that cannot be asked to retry.
    pub async fn write_waiting(&self, events: impl Into<EventBatch>) -> Result<(), WriteError> {
        self.submit(events.into(), None, true).await.map(|_| ())
    }

    async fn submit(
        &self,
        batch: EventBatch,
        idempotency: Option<Idempotency>,
        wait: bool,
    ) -> Result<JobOutcome, WriteError> {
        if batch.is_empty() && idempotency.is_none() {
            return Ok(JobOutcome {
                written: Written::Stored,
                repeated: Vec::new(),
            });
        }
        // A request larger than the whole queue still goes through, alone.
        let wanted = batch.len().clamp(1, self.max_queued) as u32;
        let wanted_kib = (batch.rows.len() >> 10).clamp(1, self.max_queued_kib) as u32;
        let (capacity, bytes) = (Arc::clone(&self.capacity), Arc::clone(&self.byte_capacity));
        let permit = if wait {
            let events = capacity.acquire_many_owned(wanted).await;
            let kib = bytes.acquire_many_owned(wanted_kib).await;
            events
                .and_then(|e| kib.map(|k| (e, k)))
                .map_err(|_| WriteError::ShuttingDown)?
        } else {
            let events = capacity.try_acquire_many_owned(wanted);
            let kib = bytes.try_acquire_many_owned(wanted_kib);
            events
                .and_then(|e| kib.map(|k| (e, k)))
                .map_err(|_| WriteError::Overloaded)?
        };
        let (done, outcome) = oneshot::channel();
        // From here the events will be stored: the request must wait for
        // the commit rather than time out.
        QueuedFlag::mark();
        self.jobs
            .send(JobEnvelope(Job {
                batch,
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

    /// Returns the events and bytes queued now (bytes to the KiB).
    pub fn queued(&self) -> (usize, usize) {
        let events = self
            .max_queued
            .saturating_sub(self.capacity.available_permits());
        let kib = self
            .max_queued_kib
            .saturating_sub(self.byte_capacity.available_permits());
        (events, kib << 10)
    }
}

tokio::task_local! {
    static QUEUED: QueuedFlag;
}

/// Whether the request a future serves has queued events (so that its
/// deadline waits for their commit instead of answering 408).
#[derive(Debug, Clone, Default)]
pub struct QueuedFlag(Arc<std::sync::atomic::AtomicBool>);

impl QueuedFlag {
    /// Runs `future` with this flag as the one [`QueuedFlag::mark`] sets.
    pub fn watch<F: std::future::Future>(
        &self,
        future: F,
    ) -> tokio::task::futures::TaskLocalFuture<QueuedFlag, F> {
        QUEUED.scope(self.clone(), future)
    }

    /// Says whether events were queued.
    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Sets the flag of the request being served, if any.
    fn mark() {
        let _ = QUEUED.try_with(|flag| flag.0.store(true, std::sync::atomic::Ordering::Release));
    }
}

type KnownDays = Arc<std::sync::Mutex<HashSet<NaiveDate>>>;

async fn run_writer(
    index: usize,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<JobEnvelope>>>,
    pool: PgPool,
    known_days: KnownDays,
    settings: WriterSettings,
) {
    loop {
        let mut jobs: Vec<Job> = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            let Some(JobEnvelope(first)) = receiver.recv().await else {
                tracing::debug!(writer = index, "ingest writer stopped");
                return;
            };
            let (mut count, mut bytes) = (first.batch.len(), first.batch.rows.len());
            jobs.push(first);
            while count < settings.max_batch_events && bytes < settings.max_batch_bytes {
                match receiver.try_recv() {
                    Ok(JobEnvelope(job)) => {
                        count += job.batch.len();
                        bytes += job.batch.rows.len();
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
                Ok(verdicts) => Ok(JobOutcome {
                    written: if verdicts[index].duplicate_key {
                        Written::Duplicate
                    } else {
                        Written::Stored
                    },
                    repeated: verdicts[index].repeated.clone(),
                }),
                Err(error) => Err(error.clone()),
            };
            let _ = job.done.send(outcome);
        }
    }
}

/// What the transaction found out about one job.
#[derive(Debug, Clone, Default)]
struct Verdict {
    /// Its idempotency key had been recorded before: none of its events were stored.
    duplicate_key: bool,
    /// Its events whose document id had been recorded before: left out.
    repeated: Vec<usize>,
}

/// Events encoded for the COPY stream, with what the writer needs to know
/// of them. Handlers build it on the thread that normalised the events, so
/// those are encoded while hot and freed where they were allocated (freeing
/// on a writer thread cost cross-thread frees), and the writer only streams
/// bytes.
#[derive(Debug, Default)]
pub struct EventBatch {
    rows: Vec<u8>,
    /// Where each event's row ends in `rows`.
    ends: Vec<usize>,
    /// (index, source, document id, event id) of events with a document id.
    documents: Vec<(usize, uuid::Uuid, String, uuid::Uuid)>,
    /// The earliest and latest event time (None without events).
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The days (partitions) the events fall in.
    days: Vec<NaiveDate>,
}

/// Row buffers of finished batches, for the next requests: a fresh
/// megabyte per request came from the kernel zeroed (page faults were 4 %
/// of ingest CPU). At most this many are kept, each at most
/// [`MAX_POOLED_BYTES`]: 32 MB held at worst.
const POOLED_BUFFERS: usize = 8;
const MAX_POOLED_BYTES: usize = 4 << 20;
static ROW_BUFFERS: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// An empty row buffer with room for `bytes`, from the pool when it has one.
fn row_buffer(bytes: usize) -> Vec<u8> {
    let pooled = ROW_BUFFERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .pop();
    let mut buffer = pooled.unwrap_or_default();
    buffer.reserve(bytes);
    buffer
}

impl Drop for EventBatch {
    fn drop(&mut self) {
        let mut rows = std::mem::take(&mut self.rows);
        if !(64 << 10..=MAX_POOLED_BYTES).contains(&rows.capacity()) {
            return;
        }
        rows.clear();
        let mut pool = ROW_BUFFERS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pool.len() < POOLED_BUFFERS {
            pool.push(rows);
        }
    }
}

impl From<Vec<Event>> for EventBatch {
    fn from(events: Vec<Event>) -> EventBatch {
        let bytes = events.iter().map(encoded_size).sum();
        let mut batch = EventBatch::with_capacity(events.len(), bytes);
        for event in &events {
            batch.push(event);
        }
        batch
    }
}

impl EventBatch {
    /// An empty batch with room for about `events` events of `bytes` of rows.
    pub fn with_capacity(events: usize, bytes: usize) -> EventBatch {
        let mut batch = EventBatch::default();
        batch.rows = row_buffer(bytes);
        batch.ends.reserve(events);
        batch
    }

    /// An empty batch sized for the events of a request body of `bytes`
    /// (stored rows run about half again as long as the JSON sent).
    pub fn for_body(bytes: usize) -> EventBatch {
        EventBatch::with_capacity(bytes / 512, bytes + bytes / 2)
    }

    /// Adds `event` at the end.
    pub fn push(&mut self, event: &Event) {
        encode_row(&mut self.rows, event);
        if let (Some(source), Some(document)) = (event.source_id, &event.document_id) {
            self.documents
                .push((self.ends.len(), source, document.clone(), event.id));
        }
        self.ends.push(self.rows.len());
        self.span = Some(match self.span {
            Some((first, last)) => (first.min(event.ts), last.max(event.ts)),
            None => (event.ts, event.ts),
        });
        let day = event.ts.date_naive();
        if !self.days.contains(&day) {
            self.days.push(day);
        }
    }

    /// How many events it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Says whether it holds no events.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The latest event time, if any.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.span.map(|(_, last)| last)
    }

    /// The rows without the events at `skip` (sorted indexes).
    fn parts<'a>(&'a self, skip: &[usize]) -> Vec<&'a [u8]> {
        if skip.is_empty() {
            return vec![&self.rows];
        }
        let mut parts = Vec::new();
        let mut start = 0;
        for &index in skip {
            let row_start = if index == 0 { 0 } else { self.ends[index - 1] };
            if row_start > start {
                parts.push(&self.rows[start..row_start]);
            }
            start = self.ends[index];
        }
        if start < self.rows.len() {
            parts.push(&self.rows[start..]);
        }
        parts
    }
}

/// Writes the jobs' events in one transaction; returns, per job, whether its
/// idempotency key had been recorded before (its events were then left out)
/// and which of its events repeated a recorded document id.
async fn write_jobs(
    pool: &PgPool,
    known_days: &KnownDays,
    jobs: &mut [Job],
) -> Result<Vec<Verdict>, WriteError> {
    let storage = |e: anyhow::Error| WriteError::Storage(Arc::new(e));
    let encoded: Vec<EventBatch> = jobs
        .iter_mut()
        .map(|job| std::mem::take(&mut job.batch))
        .collect();
    let days: HashSet<NaiveDate> = encoded
        .iter()
        .flat_map(|batch| batch.days.iter().copied())
        .collect();
    let keyed: Vec<(usize, &Idempotency)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(index, job)| job.idempotency.as_ref().map(|key| (index, key)))
        .collect();
    for attempt in 0..2 {
        ensure_partitions(pool, known_days, &days)
            .await
            .map_err(|e| storage(e.into()))?;
        let started = std::time::Instant::now();
        match write_transaction(pool, &keyed, &encoded).await {
            Ok(verdicts) => {
                metrics::histogram!(crate::metrics::INGEST_COMMIT_SECONDS)
                    .record(started.elapsed().as_secs_f64());
                return Ok(verdicts);
            }
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
    keyed: &[(usize, &Idempotency)],
    encoded: &[EventBatch],
) -> sqlx::Result<Vec<Verdict>> {
    let mut tx = pool.begin().await?;
    let mut verdicts = vec![Verdict::default(); encoded.len()];
    if !keyed.is_empty() {
        let sources: Vec<uuid::Uuid> = keyed.iter().map(|(_, k)| k.source).collect();
        let keys: Vec<String> = keyed.iter().map(|(_, k)| k.key.clone()).collect();
        let responses: Vec<serde_json::Value> =
            keyed.iter().map(|(_, k)| k.response.clone()).collect();
        let fresh = repo::insert_idempotency_keys(&mut tx, &sources, &keys, &responses).await?;
        for (position, (job, _)) in keyed.iter().enumerate() {
            verdicts[*job].duplicate_key = !fresh.contains(&position);
        }
    }
    record_document_ids(&mut tx, encoded, &mut verdicts).await?;
    let mut parts: Vec<&[u8]> = Vec::with_capacity(encoded.len() + 2);
    parts.push(HEADER);
    let mut rows = 0;
    let mut bytes = 0;
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (job, encoded) in encoded.iter().enumerate() {
        if !verdicts[job].duplicate_key {
            let kept = encoded.parts(&verdicts[job].repeated);
            bytes += kept.iter().map(|part| part.len()).sum::<usize>();
            parts.extend(kept);
            rows += encoded.ends.len() - verdicts[job].repeated.len();
            if let Some((first, last)) = encoded.span {
                span = Some(span.map_or((first, last), |(f, l)| (f.min(first), l.max(last))));
            }
        }
    }
    parts.push(TRAILER);
    if let (Some((first, last)), true) = (span, rows > 0) {
        repo::copy_in(&mut tx, COPY_EVENTS, &parts).await?;
        // The detection engine reads committed events batch by batch.
        repo::record_batch(&mut tx, first, last, rows, bytes).await?;
    }
    tx.commit().await?;
    Ok(verdicts)
}

/// Records the document ids of the batch (of jobs not already refused by
/// their idempotency key) and marks each event whose id was recorded before,
/// or appears earlier in the batch, as repeated.
async fn record_document_ids(
    tx: &mut sqlx::PgConnection,
    encoded: &[EventBatch],
    verdicts: &mut [Verdict],
) -> sqlx::Result<()> {
    let mut seen: HashSet<(uuid::Uuid, &str)> = HashSet::new();
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    let (mut sources, mut ids, mut event_ids) = (Vec::new(), Vec::new(), Vec::new());
    for (job, rows) in encoded.iter().enumerate() {
        if verdicts[job].duplicate_key {
            continue;
        }
        for (event, source, id, event_id) in &rows.documents {
            if seen.insert((*source, id.as_str())) {
                candidates.push((job, *event));
                sources.push(*source);
                ids.push(id.clone());
                event_ids.push(*event_id);
            } else {
                verdicts[job].repeated.push(*event);
            }
        }
    }
    if !candidates.is_empty() {
        let fresh: HashSet<usize> = repo::insert_document_ids(tx, &sources, &ids, &event_ids)
            .await?
            .into_iter()
            .collect();
        for (position, (job, event)) in candidates.into_iter().enumerate() {
            if !fresh.contains(&position) {
                verdicts[job].repeated.push(event);
            }
        }
    }
    for verdict in verdicts.iter_mut() {
        verdict.repeated.sort_unstable();
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn job(rows: &[&str]) -> EventBatch {
        let mut ends = Vec::new();
        let mut bytes = Vec::new();
        for row in rows {
            bytes.extend_from_slice(row.as_bytes());
            ends.push(bytes.len());
        }
        let mut batch = EventBatch::default();
        batch.rows = bytes;
        batch.ends = ends;
        batch
    }

    #[test]
    fn left_out_events_are_cut_from_the_stream() {
        let encoded = job(&["aa", "b", "ccc", "dd"]);
        let joined = |skip: &[usize]| encoded.parts(skip).concat();
        assert_eq!(joined(&[]), b"aabcccdd");
        assert_eq!(joined(&[0]), b"bcccdd");
        assert_eq!(joined(&[3]), b"aabccc");
        assert_eq!(joined(&[1, 2]), b"aadd");
        assert_eq!(joined(&[0, 1, 2, 3]), b"");
        assert_eq!(encoded.parts(&[1]).len(), 2, "no empty slices");
    }
}
