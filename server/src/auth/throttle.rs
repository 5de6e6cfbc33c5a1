//! Sign-in throttling, built to be neither a flood gate nor a lockout tool.
//!
//! - An attempt is *reserved* (counted as a failure) before its password is
//!   verified, under row locks, so parallel guesses cannot all pass the
//!   check; a sign-in that succeeds gives its reservation back.
//! - Limits per client address (IPv6 by /64) and per username and address
//!   refuse with 429 until their window ends.
//! - Per username across addresses, failures beyond a few add a growing
//!   delay (doubling, capped) instead of a lockout, and addresses the
//!   account signed in from before are spared: an attacker guessing from
//!   elsewhere slows themselves, not the owner.
//! - Refused attempts write nothing to the append-only audit log; each
//!   window's refusals become one summary record when the window closes, and
//!   failures beyond a global budget per window are counted, not recorded one
//!   by one. Whatever an outsider sends, the audit log grows by a bounded
//!   number of rows per window.
//! - At most a few password verifications (Argon2, deliberately costly) run
//!   at once, with a bounded queue; beyond it the answer is 503.

use super::repo::{self, ThrottleRow};
use crate::audit::{AuditRecord, repo as audit_repo};
use crate::config::LoginSettings;
use app::audit::{ActorKind, AuditOutcome};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, SemaphorePermit};
use uuid::Uuid;

/// How long an address an account signed in from stays known.
pub const KNOWN_ADDRESS_DAYS: i64 = 30;

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Address,
    Account,
    AccountAddress,
    All,
}

impl Scope {
    /// Returns the name stored.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Address => "address",
            Scope::Account => "account",
            Scope::AccountAddress => "account_address",
            Scope::All => "all",
        }
    }

    fn parse(name: &str) -> Option<Scope> {
        [
            Scope::Address,
            Scope::Account,
            Scope::AccountAddress,
            Scope::All,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// The counters one sign-in attempt touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The client address as counted (`unknown` without one).
    pub address: String,
    /// The username as counted.
    pub account: String,
}

impl Keys {
    /// Returns the keys of an attempt for `account` from `ip`.
    pub fn new(account: &str, ip: Option<IpAddr>) -> Keys {
        Keys {
            address: address_bucket(ip),
            account: account.chars().take(64).collect(),
        }
    }

    fn all(&self) -> [(Scope, String); 4] {
        [
            (Scope::Address, self.address.clone()),
            (Scope::Account, self.account.clone()),
            (
                Scope::AccountAddress,
                format!("{}|{}", self.account, self.address),
            ),
            (Scope::All, String::new()),
        ]
    }
}

/// Returns the address an attempt counts against: an IPv4 address itself,
/// an IPv6 address's /64 (one subscriber holds a whole /64).
pub fn address_bucket(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
        None => "unknown".to_owned(),
    }
}

/// One counter as the decision sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    pub scope: Scope,
    pub key: String,
    pub window_start: DateTime<Utc>,
    pub failures: i32,
    pub refused: i32,
    pub last_failure: Option<DateTime<Utc>>,
}

impl Counter {
    fn from_row(row: ThrottleRow) -> Option<Counter> {
        Some(Counter {
            scope: Scope::parse(&row.scope)?,
            key: row.key,
            window_start: row.window_start,
            failures: row.failures,
            refused: row.refused,
            last_failure: row.last_failure,
        })
    }
}

/// The limits, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: chrono::Duration,
    pub per_address: i32,
    pub per_account_address: i32,
    pub account_free: i32,
    pub account_max_delay: chrono::Duration,
    pub audited_failures: i32,
}

impl Limits {
    /// Returns the limits `settings` set.
    pub fn of(settings: &LoginSettings) -> Limits {
        let clamp = |n: i64| n.clamp(1, i32::MAX as i64) as i32;
        Limits {
            window: chrono::Duration::from_std(settings.window).unwrap_or_default(),
            per_address: clamp(settings.max_failures_per_ip),
            per_account_address: clamp(settings.max_failures_per_user),
            account_free: clamp(settings.account_free_failures),
            account_max_delay: chrono::Duration::from_std(settings.account_max_delay)
                .unwrap_or_default(),
            audited_failures: clamp(settings.max_audited_failures),
        }
    }
}

/// What becomes of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Verify the password; `record` says whether a failure gets its own
    /// audit record (false beyond the window's budget).
    Proceed { record: bool },
    /// Refused without verifying, for `retry_after_secs`.
    Refuse { scope: Scope, retry_after_secs: u64 },
}

/// A closed window worth an audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    pub counter: Counter,
    pub window_end: DateTime<Utc>,
    /// Failures beyond the audit budget (the `all` counter only).
    pub unrecorded: i32,
}

/// Ends `counter`'s window if it is over at `now`: returns it if it had
/// anything to summarise, and starts a new window.
fn roll(counter: &mut Counter, now: DateTime<Utc>, limits: &Limits) -> Option<Closed> {
    // The per-account delay outlives the window while failures keep coming.
    let end = match (counter.scope, counter.last_failure) {
        (Scope::Account, Some(last)) => {
            (counter.window_start + limits.window).max(last + limits.window)
        }
        _ => counter.window_start + limits.window,
    };
    if now < end {
        return None;
    }
    let closed = summary(counter, end, limits);
    *counter = Counter {
        scope: counter.scope,
        key: std::mem::take(&mut counter.key),
        window_start: now,
        failures: 0,
        refused: 0,
        last_failure: None,
    };
    closed
}

fn summary(counter: &Counter, window_end: DateTime<Utc>, limits: &Limits) -> Option<Closed> {
    let unrecorded = if counter.scope == Scope::All {
        (counter.failures - limits.audited_failures).max(0)
    } else {
        0
    };
    (counter.refused > 0 || unrecorded > 0).then(|| Closed {
        counter: counter.clone(),
        window_end,
        unrecorded,
    })
}

/// The delay the account counter imposes after its latest failure.
fn account_delay(failures: i32, limits: &Limits) -> chrono::Duration {
    let beyond = failures - limits.account_free;
    if beyond < 0 {
        return chrono::Duration::zero();
    }
    let secs = 1i64.checked_shl(beyond.min(30) as u32).unwrap_or(i64::MAX);
    chrono::Duration::seconds(secs).min(limits.account_max_delay)
}

/// Decides an attempt over its (rolled) counters and, when it may proceed,
/// reserves it; a refusal is counted on the counter that refused.
pub fn decide(
    counters: &mut [Counter],
    known_address: bool,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Verdict {
    // Rounded up: a client that waits as told is not refused again.
    let retry =
        |until: DateTime<Utc>| ((until - now).num_milliseconds() + 999).max(1000) as u64 / 1000;
    let mut refusal: Option<(usize, u64)> = None;
    for (index, counter) in counters.iter().enumerate() {
        let until = match counter.scope {
            Scope::AccountAddress if counter.failures >= limits.per_account_address => {
                Some(counter.window_start + limits.window)
            }
            Scope::Address if counter.failures >= limits.per_address => {
                Some(counter.window_start + limits.window)
            }
            Scope::Account if !known_address && counter.failures >= limits.account_free => counter
                .last_failure
                .map(|last| last + account_delay(counter.failures, limits))
                .filter(|until| *until > now),
            _ => None,
        };
        if let Some(until) = until {
            let secs = retry(until);
            if refusal.is_none_or(|(_, longest)| secs > longest) {
                refusal = Some((index, secs));
            }
        }
    }
    if let Some((index, retry_after_secs)) = refusal {
        counters[index].refused += 1;
        return Verdict::Refuse {
            scope: counters[index].scope,
            retry_after_secs,
        };
    }
    let mut record = true;
    for counter in counters.iter_mut() {
        counter.failures += 1;
        if counter.scope == Scope::Account {
            counter.last_failure = Some(now);
        }
        if counter.scope == Scope::All && counter.failures > limits.audited_failures {
            record = false;
        }
    }
    Verdict::Proceed { record }
}

/// Decides (and reserves or refuses) an attempt, in one transaction.
pub async fn reserve(
    pool: &PgPool,
    keys: &Keys,
    known_address: bool,
    limits: &Limits,
) -> anyhow::Result<Verdict> {
    let mut tx = pool.begin().await?;
    let mut counters = lock(&mut tx, keys, Utc::now()).await?;
    // The time once the counters are ours: an attempt that waited for the
    // locks must not judge itself before the ones it waited for.
    let now = Utc::now();
    let mut closed = Vec::new();
    for counter in &mut counters {
        closed.extend(roll(counter, now, limits));
    }
    let verdict = decide(&mut counters, known_address, limits, now);
    store(&mut tx, &counters).await?;
    for closed in &closed {
        audit_repo::insert_audit_record(&mut *tx, &closed_record(closed)).await?;
    }
    tx.commit().await?;
    Ok(verdict)
}

/// Gives a reservation back: the attempt succeeded, or never ran. A
/// success also clears the account's delay.
pub async fn release(pool: &PgPool, keys: &Keys, succeeded: bool) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    let mut counters = lock(&mut tx, keys, now).await?;
    for counter in &mut counters {
        counter.failures = (counter.failures - 1).max(0);
        if succeeded && counter.scope == Scope::Account {
            counter.failures = 0;
            counter.last_failure = None;
        }
    }
    store(&mut tx, &counters).await?;
    tx.commit().await?;
    Ok(())
}

async fn lock(
    tx: &mut PgConnection,
    keys: &Keys,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Counter>> {
    let (scopes, names): (Vec<&str>, Vec<String>) = keys
        .all()
        .into_iter()
        .map(|(scope, key)| (scope.name(), key))
        .unzip();
    let rows = repo::lock_throttle(tx, &scopes, &names, now).await?;
    let mut counters: Vec<Counter> = rows.into_iter().filter_map(Counter::from_row).collect();
    // A row a concurrent close removed between insert and lock starts afresh.
    for (scope, key) in keys.all() {
        if !counters.iter().any(|c| c.scope == scope) {
            counters.push(Counter {
                scope,
                key,
                window_start: now,
                failures: 0,
                refused: 0,
                last_failure: None,
            });
        }
    }
    Ok(counters)
}

async fn store(tx: &mut PgConnection, counters: &[Counter]) -> anyhow::Result<()> {
    let scopes: Vec<&str> = counters.iter().map(|c| c.scope.name()).collect();
    let keys: Vec<&str> = counters.iter().map(|c| c.key.as_str()).collect();
    let starts: Vec<DateTime<Utc>> = counters.iter().map(|c| c.window_start).collect();
    let failures: Vec<i32> = counters.iter().map(|c| c.failures).collect();
    let refused: Vec<i32> = counters.iter().map(|c| c.refused).collect();
    let last: Vec<Option<DateTime<Utc>>> = counters.iter().map(|c| c.last_failure).collect();
    repo::store_throttle(tx, &scopes, &keys, &starts, &failures, &refused, &last).await?;
    Ok(())
}

/// Writes the summaries of every window over at `now` and forgets them
/// (and addresses unused for `KNOWN_ADDRESS_DAYS`); returns how many
/// summaries it wrote. Maintenance runs it every minute.
pub async fn close_windows(
    pool: &PgPool,
    limits: &Limits,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await?;
    // A window closes `window` after it started (the account counter, a
    // window after its latest failure): the rows are read back and rolled
    // exactly as an attempt would roll them.
    let rows = repo::take_throttles_started_before(&mut tx, now - limits.window).await?;
    let mut written = 0;
    let mut keep = Vec::new();
    for row in rows {
        let Some(mut counter) = Counter::from_row(row) else {
            continue;
        };
        match roll(&mut counter, now, limits) {
            Some(closed) => {
                audit_repo::insert_audit_record(&mut *tx, &closed_record(&closed)).await?;
                written += 1;
            }
            None if counter.window_start == now => {}
            // Not over yet (an account's delay): put it back.
            None => keep.push(counter),
        }
    }
    store(&mut tx, &keep).await?;
    repo::forget_known_addresses(&mut *tx, now - chrono::Duration::days(KNOWN_ADDRESS_DAYS))
        .await?;
    tx.commit().await?;
    Ok(written)
}

fn closed_record(closed: &Closed) -> AuditRecord {
    let counter = &closed.counter;
    let (action, target, address) = match counter.scope {
        Scope::All => ("auth.login.unrecorded", None, None),
        Scope::Address => ("auth.login.throttled", None, Some(counter.key.clone())),
        Scope::Account => ("auth.login.throttled", Some(counter.key.clone()), None),
        Scope::AccountAddress => {
            let (account, address) = counter
                .key
                .rsplit_once('|')
                .unwrap_or((counter.key.as_str(), ""));
            (
                "auth.login.throttled",
                Some(account.to_owned()),
                Some(address.to_owned()),
            )
        }
    };
    AuditRecord {
        actor_kind: ActorKind::Anonymous,
        actor_id: None,
        actor_name: None,
        action,
        outcome: AuditOutcome::Denied,
        target,
        client_ip: address
            .as_deref()
            .and_then(|a| a.split('/').next())
            .and_then(|a| a.parse().ok()),
        request_id: None,
        details: serde_json::json!({
            "scope": counter.scope.name(),
            "address": address,
            "window_start": counter.window_start,
            "window_end": closed.window_end,
            "refused": counter.refused,
            "failures": counter.failures,
            "unrecorded_failures": closed.unrecorded,
        }),
    }
}

/// Says whether `address` is one `user` signed in from lately.
pub async fn known_address(pool: &PgPool, user: Uuid, address: &str) -> anyhow::Result<bool> {
    let since = Utc::now() - chrono::Duration::days(KNOWN_ADDRESS_DAYS);
    Ok(repo::is_known_address(pool, user, address, since).await?)
}

/// Returns the name a failed attempt is recorded under: a real account's
/// name, or the typed name unless it looks like a password typed into the
/// wrong field (those must not sit in an audit log for years).
pub fn recorded_username(typed: &str, account_exists: bool) -> String {
    let typed: String = typed.trim().chars().take(64).collect();
    if account_exists || !looks_like_password(&typed) {
        typed.to_lowercase()
    } else {
        "(withheld: not a plausible username)".to_owned()
    }
}

fn looks_like_password(typed: &str) -> bool {
    if app::auth::Username::parse(typed).is_err() {
        return true;
    }
    let classes = [
        typed.chars().any(|c| c.is_lowercase()),
        typed.chars().any(|c| c.is_uppercase()),
        typed.chars().any(|c| c.is_ascii_digit()),
    ];
    classes.iter().filter(|c| **c).count() == 3
}

/// Bounds concurrent password verifications, with a bounded queue.
#[derive(Debug)]
pub struct VerifyGate {
    permits: Semaphore,
    waiting: AtomicUsize,
    queue: usize,
}

impl VerifyGate {
    /// Returns a gate letting `concurrent` verifications run and `queue` wait.
    pub fn new(concurrent: usize, queue: usize) -> VerifyGate {
        VerifyGate {
            permits: Semaphore::new(concurrent.max(1)),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// Waits for a turn; `None` when the queue is full.
    pub async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let permit = self.permits.acquire().await.ok();
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            window: chrono::Duration::minutes(15),
            per_address: 20,
            per_account_address: 5,
            account_free: 5,
            account_max_delay: chrono::Duration::seconds(60),
            audited_failures: 100,
        }
    }

    fn counters(now: DateTime<Utc>) -> Vec<Counter> {
        Keys::new("alice", Some("10.0.0.1".parse().unwrap()))
            .all()
            .into_iter()
            .map(|(scope, key)| Counter {
                scope,
                key,
                window_start: now,
                failures: 0,
                refused: 0,
                last_failure: None,
            })
            .collect()
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a = address_bucket(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = address_bucket(Some("2001:db8:1:2:bbbb::9".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(
            address_bucket(Some("::ffff:10.1.2.3".parse().unwrap())),
            "10.1.2.3"
        );
        assert_eq!(address_bucket(None), "unknown");
    }

    #[test]
    fn an_account_and_address_is_refused_after_its_limit_until_the_window_ends() {
        let now = Utc::now();
        let mut c = counters(now);
        for _ in 0..5 {
            assert_eq!(
                decide(&mut c, true, &limits(), now),
                Verdict::Proceed { record: true }
            );
        }
        let Verdict::Refuse {
            scope,
            retry_after_secs,
        } = decide(&mut c, true, &limits(), now)
        else {
            panic!("the sixth attempt proceeds");
        };
        assert_eq!(scope, Scope::AccountAddress);
        assert_eq!(retry_after_secs, 900);
        assert_eq!(c[2].refused, 1);
        assert_eq!(c[2].failures, 5, "a refusal is not a failure");
        // After the window the next attempt proceeds, and the refusals are
        // summarised once.
        let later = now + chrono::Duration::minutes(15);
        let closed: Vec<Closed> = c
            .iter_mut()
            .filter_map(|c| roll(c, later, &limits()))
            .collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].counter.scope, Scope::AccountAddress);
        assert_eq!(closed[0].counter.refused, 1);
        assert!(matches!(
            decide(&mut c, true, &limits(), later),
            Verdict::Proceed { .. }
        ));
    }

    #[test]
    fn a_flood_from_one_address_is_refused_by_its_account_and_address_counter() {
        let now = Utc::now();
        let mut c = counters(now);
        for i in 0..500 {
            let at = now + chrono::Duration::milliseconds(i);
            let verdict = decide(&mut c, false, &limits(), at);
            if i >= 5 {
                assert!(
                    matches!(
                        verdict,
                        Verdict::Refuse {
                            scope: Scope::AccountAddress,
                            ..
                        }
                    ),
                    "{i}: {verdict:?} {c:?}"
                );
            }
        }
    }

    #[test]
    fn the_account_delay_grows_and_spares_known_addresses() {
        let now = Utc::now();
        let mut c = counters(now);
        c[1].last_failure = Some(now);
        // 1 s after the fifth failure, doubling, capped at the maximum.
        for (failures, wait) in [(5, 1), (6, 2), (8, 8), (40, 60)] {
            c[1].failures = failures;
            let verdict = decide(&mut c.clone(), false, &limits(), now);
            let expected = Verdict::Refuse {
                scope: Scope::Account,
                retry_after_secs: wait,
            };
            assert_eq!(verdict, expected, "after {failures} failures");
        }
        assert!(matches!(
            decide(&mut c, true, &limits(), now),
            Verdict::Proceed { .. }
        ));
    }

    #[test]
    fn failures_beyond_the_budget_are_counted_not_recorded() {
        let now = Utc::now();
        let mut c = counters(now);
        c[3].failures = 100;
        assert_eq!(
            decide(&mut c, true, &limits(), now),
            Verdict::Proceed { record: false }
        );
        let closed = roll(&mut c[3], now + chrono::Duration::minutes(16), &limits()).unwrap();
        assert_eq!(closed.unrecorded, 1);
    }

    #[test]
    fn passwords_typed_as_usernames_are_withheld() {
        assert_eq!(recorded_username("Admin ", false), "admin");
        assert_eq!(
            recorded_username("j.doe@example.org", false),
            "j.doe@example.org"
        );
        assert!(recorded_username("Summer2024", false).starts_with("(withheld"));
        assert!(recorded_username("hunter2!", false).starts_with("(withheld"));
        assert_eq!(recorded_username("Summer2024", true), "summer2024");
    }

    #[tokio::test]
    async fn the_gate_refuses_beyond_its_queue() {
        let gate = VerifyGate::new(1, 1);
        let first = gate.enter().await.unwrap();
        let waiting = {
            let gate = &gate;
            async move { gate.enter().await.is_some() }
        };
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), &mut waiting)
                .await
                .is_err()
        );
        assert!(gate.enter().await.is_none(), "the queue holds one");
        drop(first);
        assert!(waiting.await);
    }
}
