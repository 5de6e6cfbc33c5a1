//! The audit trail: who did what, when, from where, with what outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Returns how an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// The action was carried out.
    Success,
    /// The action failed (for example a wrong password).
    Failure,
    /// The action was refused (missing permission, throttled).
    Denied,
}

/// Returns who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A signed-in user.
    User,
    /// A machine holding an API key.
    ApiKey,
    /// Vigil itself (start-up, maintenance).
    System,
    /// Nobody authenticated (for example a failed login).
    Anonymous,
}

/// Returns one audit record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// Position in the append-only chain; increases with commit order.
    pub seq: i64,
    /// When the record was written.
    pub ts: DateTime<Utc>,
    /// Who acted.
    pub actor_kind: ActorKind,
    /// The actor's name (username, key name), when known.
    pub actor_name: Option<String>,
    /// What was attempted, as `area.verb` (for example `auth.login`, `api_key.create`).
    pub action: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// What it was done to, when anything.
    pub target: Option<String>,
    /// The client address, when the action came over HTTP.
    pub client_ip: Option<String>,
    /// The request id, to find the server log lines of the same request.
    pub request_id: Option<String>,
    /// Further facts (reason for a failure, granted scopes).
    pub details: serde_json::Value,
    /// The record's SHA-256 chain hash, hex.
    pub hash: String,
}

/// Returns a page of `GET /api/v1/audit`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditPage {
    /// The records.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Returns the result of checking the audit chain, `GET /api/v1/audit/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditVerification {
    /// Records checked.
    pub checked: i64,
    /// Whether every record's hash and link are intact and every signed
    /// checkpoint (and the server's own anchor) matches the records.
    pub intact: bool,
    /// The first record whose hash or link does not match, when any.
    pub first_broken_seq: Option<i64>,
    /// What the signed checkpoints show.
    pub checkpoints: CheckpointSummary,
    /// Every finding, in sequence order; empty when intact.
    pub problems: Vec<AuditProblem>,
}

/// Returns what the signed checkpoints of the chain show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckpointSummary {
    /// Checkpoints whose signature a trusted key verified and whose hash matches.
    pub verified: i64,
    /// Checkpoints signed by a key this server does not trust (another
    /// instance, or a rotated key not listed in `VIGIL_AUDIT_TRUSTED_KEYS`).
    pub unverifiable: i64,
    /// The newest verified checkpoint's record.
    pub latest_seq: Option<i64>,
    /// When the newest verified checkpoint was signed.
    pub latest_at: Option<DateTime<Utc>>,
    /// Records newer than the newest verified checkpoint: the chain alone vouches
    /// for them until the next checkpoint is signed.
    pub unanchored: i64,
}

/// Returns one finding of an audit verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditProblem {
    /// A record's hash does not match its content or its predecessor.
    ChainBroken {
        /// The first such record.
        seq: i64,
    },
    /// The chain hash at a checkpoint's record is not the one signed: a record
    /// up to it was changed, removed or inserted, and the chain recomputed.
    CheckpointMismatch {
        /// The checkpoint's record.
        seq: i64,
    },
    /// A checkpoint names a record that no longer exists: records were cut.
    RecordsMissing {
        /// The checkpoint's record.
        seq: i64,
    },
    /// A checkpoint's signature is not valid under the key it names.
    BadSignature {
        /// The checkpoint's record.
        seq: i64,
    },
    /// The server signed a checkpoint the database no longer holds (its own
    /// anchor, kept outside the database, names it): checkpoints were removed.
    CheckpointsMissing {
        /// The newest record the server signed.
        seq: i64,
    },
}

/// Returns one signed checkpoint, `GET /api/v1/audit/checkpoints`: copy them
/// somewhere the database's operator cannot write to anchor the chain there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditCheckpoint {
    /// The newest record it covers.
    pub seq: i64,
    /// The chain hash at that record (hex).
    pub hash: String,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
    /// The signing key's id (the first 16 hex digits of its SHA-256).
    pub key_id: String,
    /// The Ed25519 signature of the checkpoint's text (hex).
    pub signature: String,
}

/// Returns the key that signs the checkpoints, `GET /api/v1/audit/public-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditPublicKey {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The key's id, as checkpoints name it.
    pub key_id: String,
    /// The raw 32-byte public key (hex).
    pub public_key: String,
}
