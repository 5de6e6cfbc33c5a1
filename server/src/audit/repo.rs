//! SQL for the audit trail.

use super::AuditRecord;
use app::audit::{ActorKind, AuditEntry, AuditOutcome};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use sqlx::types::ipnet::IpNet;

fn outcome_str(outcome: AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Success => "success",
        AuditOutcome::Failure => "failure",
        AuditOutcome::Denied => "denied",
    }
}

fn actor_kind_str(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::User => "user",
        ActorKind::ApiKey => "api_key",
        ActorKind::System => "system",
        ActorKind::Anonymous => "anonymous",
    }
}

/// Appends `record`; the database assigns its sequence number, time and chain hash.
#[tracing::instrument(skip_all, fields(action = record.action))]
pub async fn insert_audit_record(
    db: impl PgExecutor<'_>,
    record: &AuditRecord,
) -> sqlx::Result<i64> {
    let client_ip = record.client_ip.map(IpNet::from);
    // seq, ts, prev_hash and hash are overwritten by the chaining trigger.
    sqlx::query_scalar!(
        r#"INSERT INTO audit_log
               (seq, ts, actor_kind, actor_id, actor_name, action, outcome, target,
                client_ip, request_id, details, prev_hash, hash)
           VALUES (0, now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, '\x'::bytea, '\x'::bytea)
           RETURNING seq"#,
        actor_kind_str(record.actor_kind),
        record.actor_id,
        record.actor_name,
        record.action,
        outcome_str(record.outcome),
        record.target,
        client_ip as Option<IpNet>,
        record.request_id,
        record.details,
    )
    .fetch_one(db)
    .await
}

struct AuditRow {
    seq: i64,
    ts: DateTime<Utc>,
    actor_kind: String,
    actor_name: Option<String>,
    action: String,
    outcome: String,
    target: Option<String>,
    client_ip: Option<IpNet>,
    request_id: Option<String>,
    details: serde_json::Value,
    hash: Vec<u8>,
}

impl AuditRow {
    fn into_entry(self) -> AuditEntry {
        let actor_kind = match self.actor_kind.as_str() {
            "user" => ActorKind::User,
            "api_key" => ActorKind::ApiKey,
            "system" => ActorKind::System,
            _ => ActorKind::Anonymous,
        };
        let outcome = match self.outcome.as_str() {
            "success" => AuditOutcome::Success,
            "failure" => AuditOutcome::Failure,
            _ => AuditOutcome::Denied,
        };
        AuditEntry {
            seq: self.seq,
            ts: self.ts,
            actor_kind,
            actor_name: self.actor_name,
            action: self.action,
            outcome,
            target: self.target,
            client_ip: self.client_ip.map(|ip| ip.addr().to_string()),
            request_id: self.request_id,
            details: self.details,
            hash: hex::encode(self.hash),
        }
    }
}

/// Returns up to `limit` records older than `before` (or the newest), newest first.
#[tracing::instrument(skip(db))]
pub async fn fetch_audit_page(
    db: impl PgExecutor<'_>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<AuditEntry>> {
    let rows = sqlx::query_as!(
        AuditRow,
        r#"SELECT seq, ts, actor_kind, actor_name, action, outcome, target,
                  client_ip AS "client_ip: IpNet", request_id, details, hash
           FROM audit_log
           WHERE $1::bigint IS NULL OR seq < $1
           ORDER BY seq DESC
           LIMIT $2"#,
        before,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditRow::into_entry).collect())
}

/// Begins a read-only transaction on one snapshot (the chain and its
/// checkpoints read together), whose statements stop after `timeout`.
pub async fn begin_snapshot(
    pool: &sqlx::PgPool,
    timeout: &'static str,
) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    // SET takes no parameters; `timeout` is a constant, never input.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = '{timeout}'"
    )))
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// What recomputing the chain found.
#[derive(Debug)]
pub struct ChainCheck {
    /// Records checked.
    pub checked: i64,
    /// The first record whose hash or link does not match.
    pub first_broken: Option<i64>,
    /// Records newer than the given sequence number.
    pub after: i64,
}

/// Recomputes every record's hash from its content and its predecessor's
/// hash; counts the records after `anchored` on the way.
#[tracing::instrument(skip(db))]
pub async fn verify_audit_chain(
    db: impl PgExecutor<'_>,
    anchored: Option<i64>,
) -> sqlx::Result<ChainCheck> {
    let row = sqlx::query!(
        r#"WITH checked AS (
               SELECT seq,
                      hash = sha256(prev_hash || convert_to(audit_log_canonical(a), 'UTF8')) AS hash_ok,
                      prev_hash = coalesce(lag(hash) OVER (ORDER BY seq),
                                           '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                          AS link_ok
               FROM audit_log a
           )
           SELECT count(*) AS "checked!",
                  min(seq) FILTER (WHERE NOT (hash_ok AND link_ok)) AS first_broken,
                  count(*) FILTER (WHERE seq > coalesce($1::bigint, -1)) AS "after!"
           FROM checked"#,
        anchored,
    )
    .fetch_one(db)
    .await?;
    Ok(ChainCheck {
        checked: row.checked,
        first_broken: row.first_broken,
        after: row.after,
    })
}

/// Returns the newest record's sequence number and chain hash.
pub async fn fetch_chain_head(db: impl PgExecutor<'_>) -> sqlx::Result<Option<(i64, Vec<u8>)>> {
    let row = sqlx::query!("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| (r.seq, r.hash)))
}

/// Returns the chain hashes of the records `seqs` that exist.
pub async fn fetch_hashes_at(
    db: impl PgExecutor<'_>,
    seqs: &[i64],
) -> sqlx::Result<Vec<(i64, Vec<u8>)>> {
    let rows = sqlx::query!("SELECT seq, hash FROM audit_log WHERE seq = ANY($1)", seqs)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.seq, r.hash)).collect())
}

/// One stored checkpoint.
#[derive(Debug, Clone)]
pub struct StoredCheckpoint {
    /// The newest record it covers.
    pub seq: i64,
    /// The chain hash signed.
    pub hash: Vec<u8>,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// Which key signed it.
    pub key_id: String,
    /// The signature.
    pub signature: Vec<u8>,
}

/// Stores a checkpoint; returns false when one for `seq` exists already.
pub async fn insert_checkpoint(
    db: impl PgExecutor<'_>,
    checkpoint: &StoredCheckpoint,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (seq) DO NOTHING",
        checkpoint.seq,
        checkpoint.hash,
        checkpoint.signed_at,
        checkpoint.key_id,
        checkpoint.signature,
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Returns up to `limit` checkpoints after record `after`, oldest first.
pub async fn fetch_checkpoints(
    db: impl PgExecutor<'_>,
    after: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<StoredCheckpoint>> {
    sqlx::query_as!(
        StoredCheckpoint,
        "SELECT seq, hash, signed_at, key_id, signature FROM audit_checkpoints
         WHERE seq > coalesce($1::bigint, -1)
         ORDER BY seq
         LIMIT $2",
        after,
        limit,
    )
    .fetch_all(db)
    .await
}

/// Returns the id of the newest record; used by tests and the status page.
pub async fn fetch_latest_seq(db: impl PgExecutor<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("SELECT max(seq) FROM audit_log")
        .fetch_one(db)
        .await
}
