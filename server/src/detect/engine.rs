//! The detection engine: every enabled rule over every committed event, in
//! commit order, each alert stored exactly once, one leader among instances.
//!
//! How it stays exact (see `docs/detection.md`, "The engine"):
//! - Writers leave an `event_batches` row per transaction; every event row
//!   carries its transaction id. Transactions below the snapshot horizon
//!   (`pg_snapshot_xmin`) have finished, so a round takes the batches in
//!   `[watermark, horizon)` — final and complete — and evaluates their
//!   events ordered by (transaction, time, id).
//! - A round's alerts and the new watermark commit together; alerts are
//!   unique on (rule, group, window start, first event).
//! - Every rule or watchlist change moves `detection_generation` in its own
//!   transaction; a round reads it in the horizon's snapshot and loads the
//!   rules again when it moved, so an event committed after a rule change is
//!   always evaluated by the changed rule. Notifications only wake the loop.
//! - Rule state is saved every `checkpoint_interval` (and whenever the rule
//!   set changes) with the watermark it belongs to. After a crash the
//!   leader restores it and evaluates `[checkpoint, watermark)` again: the
//!   evaluator is deterministic, so it raises the same alerts, which the
//!   unique key turns into no-ops; then it carries on. Nothing is missed and
//!   nothing is raised twice.
//! - The leader holds a session advisory lock on its own connection and
//!   commits through that connection, guarded by the watermark it expects:
//!   a leader that lost its lock cannot commit.

use super::eval::{AlertDraft, Evaluator, EventRecord};
use super::repo;
use super::set::RuleSet;
use crate::config::DetectionSettings;
use anyhow::{Context, bail};
use app::rules::{RuleDefinition, RuleVersion};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::postgres::PgListener;
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;
use uuid::Uuid;

/// Most contributing events stored on one alert (the count keeps the total).
pub const MAX_ALERT_EVENTS: usize = 1_000;

/// How far ahead of its arrival an event's own time may be and still be
/// evaluated at it (clocks drift). An event claiming a later time is
/// evaluated at its arrival plus this: a sender's clock must not move the
/// engine's, or one forged event dated tomorrow would make a group's real
/// events "late" and blind its window rules for a day.
pub const FUTURE_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Most batches looked at in one round.
const MAX_ROUND_BATCHES: i64 = 10_000;

/// What the engine is doing, for the status API and logs.
#[derive(Debug, Default)]
pub struct EngineStatus {
    /// Whether this instance leads.
    pub leading: AtomicBool,
    /// The watermark of the last round this instance committed.
    pub watermark: AtomicI64,
    /// Events evaluated by this instance.
    pub events: AtomicU64,
    /// Alerts this instance stored (not counting ones raised again).
    pub alerts: AtomicU64,
    /// Rules loaded and running.
    pub rules: AtomicU64,
    /// Rules stopped after failing while evaluating: id, slug, why. Cleared
    /// when the rules are loaded again.
    pub failed: std::sync::Mutex<Vec<(Uuid, String, String)>>,
    /// Whether each stored rule version compiles (the error when not), so
    /// the status API compiles a rule once per version, not per request.
    pub compiled: std::sync::Mutex<std::collections::HashMap<(Uuid, RuleVersion), Option<String>>>,
    /// Rules that let groups go at their memory bound: id → (slug, how many).
    pub capped: std::sync::Mutex<std::collections::HashMap<Uuid, (String, u64)>>,
}

/// Starts the engine's task: it waits for the lead, then leads until its
/// connection fails, then waits again.
pub fn spawn(
    pool: PgPool,
    settings: DetectionSettings,
    status: Arc<EngineStatus>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let instance = format!(
            "{}:{}",
            hostname().unwrap_or_else(|| "vigil".to_owned()),
            std::process::id()
        );
        let mut standby: Option<PgConnection> = None;
        loop {
            match try_lead(&pool, &settings, &status, &instance, &mut standby).await {
                Ok(()) => {}
                Err(error) => {
                    status.leading.store(false, Ordering::Relaxed);
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "detection engine stopped leading; retrying"
                    );
                    standby = None;
                }
            }
            tokio::time::sleep(settings.poll_interval).await;
        }
    })
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// Takes the lead if it is free and leads; returns at once otherwise.
async fn try_lead(
    pool: &PgPool,
    settings: &DetectionSettings,
    status: &Arc<EngineStatus>,
    instance: &str,
    standby: &mut Option<PgConnection>,
) -> anyhow::Result<()> {
    let mut conn = match standby.take() {
        Some(conn) => conn,
        None => PgConnection::connect_with(&pool.connect_options())
            .await
            .context("connecting for the leader lock")?,
    };
    if !repo::try_leader_lock(&mut conn).await? {
        *standby = Some(conn);
        return Ok(());
    }
    tracing::info!(instance, "this instance leads detection");
    status.leading.store(true, Ordering::Relaxed);
    let mut leader = Leader::start(
        pool.clone(),
        conn,
        settings.clone(),
        Arc::clone(status),
        instance,
    )
    .await?;
    leader.run().await
}

/// The stored rule an evaluator runs: what its alerts and checkpoints name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleKey {
    /// The rule's id.
    pub id: Uuid,
    /// The version loaded.
    pub version: RuleVersion,
}

struct Leader {
    pool: PgPool,
    /// Holds the leader lock; rounds read and commit through it.
    conn: PgConnection,
    listener: PgListener,
    settings: DetectionSettings,
    status: Arc<EngineStatus>,
    instance: String,
    rules: RuleSet<RuleKey>,
    watermark: i64,
    /// The detection generation the rules were last loaded at.
    generation: i64,
    last_checkpoint: Instant,
    /// Per rule: the state last saved (to write only what changed).
    saved: HashMap<Uuid, serde_json::Value>,
}

/// A round's events, read but not yet evaluated.
struct Round {
    end: i64,
    events: Vec<EventRecord>,
    /// More batches wait beyond `end`.
    more: bool,
}

impl Leader {
    async fn start(
        pool: PgPool,
        mut conn: PgConnection,
        settings: DetectionSettings,
        status: Arc<EngineStatus>,
        instance: &str,
    ) -> anyhow::Result<Leader> {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener
            .listen_all(["vigil_events", "vigil_rules", "vigil_watchlists"])
            .await?;
        let horizon = repo::horizon(&mut conn).await?;
        repo::claim_cursor(&mut conn, horizon.tx, instance).await?;
        let (watermark, checkpoint) = repo::fetch_cursor_marks(&mut conn).await?;
        let mut leader = Leader {
            pool,
            conn,
            listener,
            settings,
            status,
            instance: instance.to_owned(),
            rules: RuleSet::default(),
            watermark,
            generation: horizon.generation,
            last_checkpoint: Instant::now(),
            saved: HashMap::new(),
        };
        leader.load_rules(true).await?;
        leader.replay(checkpoint, watermark).await?;
        leader.checkpoint().await?;
        Ok(leader)
    }

    async fn run(&mut self) -> anyhow::Result<()> {
        loop {
            let more = self.round().await?;
            if self.last_checkpoint.elapsed() >= self.settings.checkpoint_interval {
                self.checkpoint().await?;
            }
            // Under a backlog, notifications are only looked at, not waited for.
            let wait = if more {
                std::time::Duration::ZERO
            } else {
                self.settings.poll_interval
            };
            // Notifications only wake the engine early: whether the rules
            // changed is the generation's to say (a lost connection loses
            // notifications, never generations).
            match tokio::time::timeout(wait, self.listener.try_recv()).await {
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(error)) => return Err(error.into()),
            }
            // One round serves every notification already waiting.
            while self.listener.next_buffered().is_some() {}
        }
    }

    /// Evaluates the batches up to the horizon (at most `round_events`
    /// events), with the rules of the horizon's generation; returns whether
    /// more are waiting.
    async fn round(&mut self) -> anyhow::Result<bool> {
        let horizon = repo::horizon(&mut self.conn).await?;
        if horizon.generation != self.generation {
            // The state of the old rule set is saved at the current
            // watermark first, so evaluating again after a crash never
            // runs a changed rule over events its old version saw.
            self.checkpoint().await?;
            self.load_rules(false).await?;
            self.checkpoint().await?;
            self.generation = horizon.generation;
        }
        let round = self.read(self.watermark, horizon.tx).await?;
        let started = std::time::Instant::now();
        let events = round.events.len();
        let drafts = self.evaluate(round.events, true).await?;
        if events > 0 {
            metrics::histogram!(crate::metrics::DETECTION_ROUND_SECONDS)
                .record(started.elapsed().as_secs_f64());
            metrics::counter!(crate::metrics::DETECTION_EVENTS).increment(events as u64);
        }
        self.commit(round.end, drafts).await?;
        Ok(round.more)
    }

    /// Evaluates the batches in `[from, to)` again after a restart: their
    /// alerts were stored before, or are stored now.
    async fn replay(&mut self, from: i64, to: i64) -> anyhow::Result<()> {
        if from >= to {
            return Ok(());
        }
        tracing::info!(
            from,
            to,
            "evaluating events since the last checkpoint again"
        );
        let mut at = from;
        while at < to {
            let round = self.read(at, to).await?;
            let drafts = self.evaluate(round.events, false).await?;
            let mut tx = self.conn.begin().await?;
            let rows = drafts_rows(&self.rules, drafts);
            let stored = insert_alerts(&mut tx, &rows, self.watermark).await?;
            tx.commit().await?;
            let stored = count_raised(&stored);
            if stored > 0 {
                tracing::info!(
                    stored,
                    "alerts raised again after a restart were missing and are now stored"
                );
            }
            at = round.end;
        }
        Ok(())
    }

    /// Reads the events of the batches from `from` up to `horizon`, at
    /// most `round_events` of them and `round_bytes`, unless one batch is
    /// larger.
    async fn read(&mut self, from: i64, horizon: i64) -> anyhow::Result<Round> {
        let batches = repo::fetch_batches(&mut self.conn, from, horizon, MAX_ROUND_BATCHES).await?;
        let taken = batches_in_round(
            batches.iter().map(|b| (b.events, b.bytes)),
            self.settings.round_events,
            self.settings.round_bytes,
        );
        let more = taken < batches.len() || batches.len() as i64 == MAX_ROUND_BATCHES;
        let end = if more {
            batches[taken - 1].tx + 1
        } else {
            horizon
        };
        let batches = &batches[..taken];
        if batches.is_empty() {
            return Ok(Round {
                end,
                events: Vec::new(),
                more,
            });
        }
        let txs: Vec<i64> = batches.iter().map(|b| b.tx).collect();
        let first = batches.iter().map(|b| b.first_ts).min().unwrap_or_default();
        let last = batches.iter().map(|b| b.last_ts).max().unwrap_or_default();
        let rows = repo::fetch_batch_events(&mut self.conn, &txs, first, last).await?;
        let events = tokio::task::spawn_blocking(move || {
            rows.into_iter()
                .map(|row| EventRecord {
                    id: row.id,
                    timestamp: row.ts.min(row.ingested_at + FUTURE_SKEW),
                    document: serde_json::from_str(&row.payload).unwrap_or_default(),
                })
                .collect()
        })
        .await?;
        Ok(Round { end, events, more })
    }

    /// Runs the rules over `events` (and, when `tick`, moves the clock to
    /// now): the alerts they raise.
    async fn evaluate(
        &mut self,
        events: Vec<EventRecord>,
        tick: bool,
    ) -> anyhow::Result<Vec<(usize, AlertDraft)>> {
        let mut rules = std::mem::take(&mut self.rules);
        let count = events.len() as u64;
        let (rules, drafts, failed) = tokio::task::spawn_blocking(move || {
            let mut failed = Vec::new();
            let drafts = evaluate(&mut rules, &events, tick.then(Utc::now), &mut failed);
            (rules, drafts, failed)
        })
        .await?;
        self.rules = rules;
        self.export_rule_costs();
        for (index, message) in failed {
            let (key, evaluator) = self.rules.entry(index);
            let rule = evaluator.rule();
            tracing::error!(
                rule = rule.slug,
                error = message,
                "a rule failed while evaluating and is stopped; the others go on"
            );
            self.status
                .failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((key.id, rule.slug.clone(), message));
        }
        self.status.events.fetch_add(count, Ordering::Relaxed);
        self.report_evictions();
        Ok(drafts)
    }

    /// Exports what each rule cost since the last round and what it remembers.
    fn export_rule_costs(&mut self) {
        let costs = self.rules.take_costs();
        for ((_, evaluator), cost) in self.rules.entries().zip(costs) {
            let slug = &evaluator.rule().slug;
            if cost.tested > 0 {
                metrics::counter!(crate::metrics::RULE_EVENTS_TESTED, "rule" => slug.clone())
                    .increment(cost.tested);
                let nanos = (cost.seconds() * 1e9) as u64;
                metrics::counter!(crate::metrics::RULE_EVALUATION_NANOS, "rule" => slug.clone())
                    .increment(nanos);
            }
            if cost.observed > 0 {
                metrics::counter!(crate::metrics::RULE_EVENTS_MATCHED, "rule" => slug.clone())
                    .increment(cost.observed);
            }
            if evaluator.is_stateful() {
                metrics::gauge!(crate::metrics::RULE_STATE_ENTRIES, "rule" => slug.clone())
                    .set(evaluator.remembered() as f64);
            }
        }
    }

    /// Warns (once per growth) about rules letting groups go at their bound.
    fn report_evictions(&self) {
        let mut capped = self.status.capped.lock().unwrap_or_else(|p| p.into_inner());
        for (key, evaluator) in self.rules.entries() {
            let evicted = evaluator.evicted();
            if evicted == 0 {
                continue;
            }
            let slug = &evaluator.rule().slug;
            let known = capped.get(&key.id).map_or(0, |(_, n)| *n);
            if evicted > known {
                if known == 0 {
                    tracing::warn!(
                        rule = slug,
                        limit = super::eval::cap::MAX_GROUPS,
                        "a rule remembers too many groups; the least recently active are let go"
                    );
                }
                capped.insert(key.id, (slug.clone(), evicted));
            }
        }
    }

    /// Stores the alerts and moves the watermark to `end`, if this
    /// instance still leads.
    async fn commit(&mut self, end: i64, drafts: Vec<(usize, AlertDraft)>) -> anyhow::Result<()> {
        let rows = drafts_rows(&self.rules, drafts);
        let mut tx = guarded(&mut self.conn, self.watermark).await?;
        let stored = insert_alerts(&mut tx, &rows, end).await?;
        repo::set_watermark(&mut tx, end, &self.instance).await?;
        tx.commit().await?;
        let stored = count_raised(&stored);
        self.watermark = end;
        self.status.watermark.store(end, Ordering::Relaxed);
        self.status.alerts.fetch_add(stored, Ordering::Relaxed);
        Ok(())
    }

    /// Saves the state of every rule that changed since its last save, at
    /// the current watermark.
    async fn checkpoint(&mut self) -> anyhow::Result<()> {
        let mut changed: Vec<(Uuid, RuleVersion, serde_json::Value)> = Vec::new();
        for (key, rule) in self.rules.entries() {
            if !rule.is_stateful() {
                continue;
            }
            let state = rule.save();
            if self.saved.get(&key.id) != Some(&state) {
                changed.push((key.id, key.version, state));
            }
        }
        let live: Vec<Uuid> = self.rules.entries().map(|(key, _)| key.id).collect();
        let mut tx = guarded(&mut self.conn, self.watermark).await?;
        repo::save_checkpoint(&mut tx, &live, &changed, self.watermark).await?;
        tx.commit().await?;
        tracing::debug!(
            watermark = self.watermark,
            rules = changed.len(),
            since_last = ?self.last_checkpoint.elapsed(),
            "rule state saved"
        );
        for (id, _, state) in changed {
            self.saved.insert(id, state);
        }
        self.last_checkpoint = Instant::now();
        Ok(())
    }

    /// Loads the enabled rules. Unchanged rules keep their state; on the
    /// first load, state saved at the checkpoint is restored.
    async fn load_rules(&mut self, restore: bool) -> anyhow::Result<()> {
        let rows = repo::fetch_enabled_rules(&self.pool).await?;
        let mut saved: HashMap<Uuid, (RuleVersion, serde_json::Value)> = if restore {
            repo::fetch_rule_states(&mut self.conn)
                .await?
                .into_iter()
                .map(|r| (r.rule_id, (RuleVersion(r.rule_version), r.state)))
                .collect()
        } else {
            HashMap::new()
        };
        let mut previous: HashMap<Uuid, (RuleKey, Evaluator)> = std::mem::take(&mut self.rules)
            .into_entries()
            .into_iter()
            .map(|(key, rule)| (key.id, (key, rule)))
            .collect();
        let mut evaluators = Vec::with_capacity(rows.len());
        let mut broken = 0;
        let now = Utc::now();
        for row in rows {
            let definition: RuleDefinition = match serde_json::from_value(row.definition) {
                Ok(definition) => definition,
                Err(error) => {
                    tracing::warn!(rule = %row.id, %error, "stored rule unreadable; the others run");
                    broken += 1;
                    continue;
                }
            };
            let lists = repo::lists_of(&self.pool, &definition)
                .await
                .with_context(|| format!("loading the watchlists of {}", definition.slug))?;
            let mut evaluator = match Evaluator::new(&definition, &lists, now) {
                Ok(evaluator) => evaluator,
                Err(error) => {
                    tracing::warn!(rule = definition.slug, %error, "rule does not compile; the others run");
                    broken += 1;
                    continue;
                }
            };
            let mut fresh = true;
            if let Some((old, rule)) = previous.remove(&row.id)
                && old.version == RuleVersion(row.version)
            {
                // Same rule (an indicator's watchlist may have changed): keep its memory.
                fresh = evaluator.restore(rule.save()).is_err();
            } else if let Some((version, state)) = saved.remove(&row.id)
                && version == RuleVersion(row.version)
            {
                match evaluator.restore(state) {
                    Ok(()) => fresh = false,
                    Err(error) => tracing::warn!(
                        rule = definition.slug,
                        %error,
                        "saved rule state not restored; starting empty"
                    ),
                }
            }
            if fresh && evaluator.history().is_some() {
                match seed(&self.pool, &mut evaluator, self.watermark).await {
                    Ok(seen) => {
                        tracing::info!(rule = definition.slug, seen, "new-terms history loaded")
                    }
                    Err(error) => tracing::warn!(
                        rule = definition.slug,
                        error = format!("{error:#}"),
                        "new-terms history not loaded; values already known may alert once"
                    ),
                }
            }
            let key = RuleKey {
                id: row.id,
                version: RuleVersion(row.version),
            };
            evaluators.push((key, evaluator));
        }
        tracing::info!(rules = evaluators.len(), broken, "detection rules loaded");
        self.status
            .failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        // Loaded evaluators count their evictions afresh.
        self.status
            .capped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.status
            .rules
            .store(evaluators.len() as u64, Ordering::Relaxed);
        self.rules = RuleSet::keyed(evaluators);
        Ok(())
    }
}

/// Begins a transaction on the lock's connection in which this instance is
/// sure to lead: the watermark is still `expected`, the one it last wrote
/// (and stays so until the commit).
async fn guarded(
    conn: &mut PgConnection,
    expected: i64,
) -> anyhow::Result<sqlx::Transaction<'_, sqlx::Postgres>> {
    let mut tx = conn.begin().await?;
    let current = repo::lock_watermark(&mut tx).await?;
    if current != expected {
        bail!(
            "another instance moved the watermark ({current}, expected {expected}): not leading any more"
        );
    }
    Ok(tx)
}

/// Seeds a new new-terms rule with what its condition matched in its
/// history window among events stored below `watermark` (the later ones it
/// evaluates): values seen there are not new. One row per distinct raw
/// value combination (its latest), so the work is bounded by the number of
/// combinations, not of events. Returns the rows read.
async fn seed(pool: &PgPool, evaluator: &mut Evaluator, watermark: i64) -> anyhow::Result<usize> {
    let Some((fields, days)) = evaluator.history() else {
        return Ok(0);
    };
    let fields = fields.to_vec();
    let query = evaluator.parsed().query().clone();
    let to = Utc::now();
    let from = to - chrono::Duration::days(i64::from(days));
    // The condition's placeholders follow the range, the watermark and two per field.
    let condition = crate::search::compile::compile(&query, 4 + 2 * fields.len());
    let mut rows = repo::stream_history(pool, &fields, &condition, from, to, watermark)?;
    let mut read = 0;
    while let Some((timestamp, payload)) = rows.try_next().await? {
        let record = EventRecord {
            id: Uuid::nil(),
            timestamp,
            document: serde_json::from_str(&payload).unwrap_or_default(),
        };
        // The SQL applied the condition; exceptions are the evaluator's.
        if evaluator.selects(&record) {
            evaluator.remember(&record);
        }
        read += 1;
    }
    Ok(read)
}

/// How many of the batches (`(events, bytes)`, in commit order) one round
/// reads: as many as fit in `round_events` and `round_bytes`, and always the
/// first, however large (a round that read nothing would never move on).
fn batches_in_round(
    batches: impl IntoIterator<Item = (i32, i64)>,
    round_events: usize,
    round_bytes: usize,
) -> usize {
    let mut taken = 0;
    let (mut total, mut bytes) = (0usize, 0usize);
    for (events, batch_bytes) in batches {
        let events = usize::try_from(events).unwrap_or(0);
        let batch_bytes = usize::try_from(batch_bytes).unwrap_or(usize::MAX);
        if taken > 0
            && (total.saturating_add(events) > round_events
                || bytes.saturating_add(batch_bytes) > round_bytes)
        {
            break;
        }
        total = total.saturating_add(events);
        bytes = bytes.saturating_add(batch_bytes);
        taken += 1;
    }
    taken
}

/// Runs `rules` over `events` in order, then moves their clock to `now`:
/// the alerts raised, with the index of the rule that raised each.
///
/// A rule that panics (a bug, not bad input: that is refused when a rule is
/// saved) is stopped and reported in `failed`, with the panic's message;
/// the other rules go on. The same events would fail it again, so it stays
/// stopped until the rules are loaded again.
pub fn evaluate<K>(
    rules: &mut RuleSet<K>,
    events: &[EventRecord],
    now: Option<DateTime<Utc>>,
    failed: &mut Vec<(usize, String)>,
) -> Vec<(usize, AlertDraft)> {
    let mut drafts = Vec::new();
    let mut run = |rules: &mut RuleSet<K>,
                   index: usize,
                   drafts: &mut Vec<(usize, AlertDraft)>,
                   step: &dyn Fn(&mut Evaluator) -> Vec<AlertDraft>,
                   event: bool| {
        let (rule, cost) = rules.rule_and_cost(index);
        let mut guarded = || std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step(rule)));
        // Events are counted and timed per rule; a tick is once a round.
        let outcome = if event {
            cost.observe(guarded)
        } else {
            guarded()
        };
        match outcome {
            Ok(raised) => drafts.extend(raised.into_iter().map(|draft| (index, draft))),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                rules.stop(index);
                failed.push((index, message));
            }
        }
    };
    for event in events {
        for index in rules.selecting(event) {
            let observe = |rule: &mut Evaluator| rule.observe_selected(event);
            run(rules, index, &mut drafts, &observe, true);
        }
    }
    if let Some(now) = now {
        for index in 0..rules.len() {
            if !rules.is_stopped(index) {
                run(rules, index, &mut drafts, &|rule| rule.tick(now), false);
            }
        }
    }
    drafts
}

/// An alert as inserted (the JSON `jsonb_to_recordset` reads).
#[derive(Debug, serde::Serialize)]
struct AlertRow {
    id: Uuid,
    rule_id: Uuid,
    rule_version: RuleVersion,
    rule_slug: String,
    rule_name: String,
    severity: app::rules::Severity,
    tactics: Vec<String>,
    techniques: Vec<String>,
    summary: String,
    group_key: String,
    group_values: serde_json::Value,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    first_event: Uuid,
    event_count: usize,
    event_ids: Vec<Uuid>,
    event_times: Vec<DateTime<Utc>>,
}

fn drafts_rows(rules: &RuleSet<RuleKey>, drafts: Vec<(usize, AlertDraft)>) -> Vec<AlertRow> {
    drafts
        .into_iter()
        .map(|(index, draft)| {
            let (key, evaluator) = rules.entry(index);
            let rule = evaluator.rule();
            let group_values = serde_json::to_value(&draft.group).unwrap_or_default();
            let kept = &draft.events[..draft.events.len().min(MAX_ALERT_EVENTS)];
            AlertRow {
                id: Uuid::now_v7(),
                rule_id: key.id,
                rule_version: key.version,
                rule_slug: rule.slug.clone(),
                rule_name: rule.name.clone(),
                severity: draft.severity,
                tactics: rule.tactics.clone(),
                techniques: rule.techniques.clone(),
                summary: draft.summary,
                // A BTreeMap serialises in key order: one text per group.
                group_key: group_values.to_string(),
                group_values,
                window_start: draft.window_start,
                window_end: draft.window_end,
                first_event: draft.events.first().map_or(Uuid::nil(), |(_, id)| *id),
                event_count: draft.events.len(),
                event_ids: kept.iter().map(|(_, id)| *id).collect(),
                event_times: kept.iter().map(|(t, _)| *t).collect(),
            }
        })
        .collect()
}

/// Inserts alerts not stored before; returns the rule slug of each new one.
async fn insert_alerts(
    conn: &mut PgConnection,
    rows: &[AlertRow],
    raised_tx: i64,
) -> anyhow::Result<Vec<String>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let rows = serde_json::to_value(rows)?;
    Ok(repo::insert_alerts(conn, &rows, raised_tx).await?)
}

/// Counts committed alerts per rule for `/metrics`.
fn count_raised(stored: &[String]) -> u64 {
    for slug in stored {
        metrics::counter!(crate::metrics::ALERTS_RAISED, "rule" => slug.clone()).increment(1);
    }
    stored.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::matcher::Lists;
    use serde_json::json;

    fn rule(slug: &str, extra: serde_json::Value) -> Evaluator {
        let mut value = json!({"slug": slug, "name": slug, "severity": "low",
                               "query": "event.action:x", "kind": "query"});
        value
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let definition: RuleDefinition = serde_json::from_value(value).unwrap();
        Evaluator::new(&definition, &Lists::new(), Utc::now()).unwrap()
    }

    #[test]
    fn a_round_is_bounded_in_events_and_bytes_but_always_reads_one_batch() {
        let mib: i64 = 1 << 20;
        let limit = 64 << 20;
        // Bytes bind before events do.
        let big = [(10, 40 * mib), (10, 20 * mib), (10, 10 * mib)];
        assert_eq!(batches_in_round(big, 20_000, limit), 2);
        // Events bind before bytes do.
        let many = [(15_000, mib), (10_000, mib)];
        assert_eq!(batches_in_round(many, 20_000, limit), 1);
        // One batch larger than both bounds is still read, alone.
        let huge = [(50_000, 100 * mib), (1, 1)];
        assert_eq!(batches_in_round(huge, 20_000, limit), 1);
        assert_eq!(batches_in_round([(1, 1); 5], 20_000, limit), 5);
        assert_eq!(batches_in_round([], 20_000, limit), 0);
    }

    #[test]
    fn a_rule_that_panics_is_stopped_and_the_others_go_on() {
        // Suppression adds its duration to the event's time: at the last
        // representable instant that overflows, a bug class (arithmetic on
        // times) that must cost one rule, not detection.
        let mut rules = RuleSet::new(vec![
            rule(
                "suppressing",
                json!({"suppression": {"group_by": [], "duration_secs": 60}}),
            ),
            rule("plain", json!({})),
        ]);
        let event = |timestamp: DateTime<Utc>, id: u128| EventRecord {
            id: Uuid::from_u128(id),
            timestamp,
            document: json!({"event": {"action": "x"}}),
        };
        let mut failed = Vec::new();
        let drafts = evaluate(
            &mut rules,
            &[event(DateTime::<Utc>::MAX_UTC, 1)],
            None,
            &mut failed,
        );
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].0, 0);
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].0, 1, "the other rule raised its alert");
        assert!(rules.is_stopped(0));

        let drafts = evaluate(
            &mut rules,
            &[event(Utc::now(), 2)],
            Some(Utc::now()),
            &mut failed,
        );
        let raisers: Vec<usize> = drafts.iter().map(|(index, _)| *index).collect();
        assert_eq!(raisers, [1], "the stopped rule stays stopped");
        assert_eq!(failed.len(), 1);
    }
}
