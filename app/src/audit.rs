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
    /// Whether every record's hash and link are intact.
    pub intact: bool,
    /// The first record whose hash or link does not match, when any.
    pub first_broken_seq: Option<i64>,
}
