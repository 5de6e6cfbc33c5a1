//! Health and system status.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Returns whether a component works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    /// Working.
    Ok,
    /// Not reachable or failing.
    Unavailable,
}

/// Returns the answer of the unauthenticated `GET /api/v1/health` (200 when ok, 503 otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Health {
    /// `ok` when every component is `ok`.
    pub status: ComponentStatus,
    /// The server's version.
    pub version: String,
    /// Whether the database answered.
    pub database: ComponentStatus,
}

/// Returns `GET /api/v1/system/status`: what an admin checks first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SystemStatus {
    /// Overall health, as in [`Health`].
    pub status: ComponentStatus,
    /// The build that answers.
    pub build: BuildInfo,
    /// When this server process started.
    pub started_at: DateTime<Utc>,
    /// Seconds since the process started.
    pub uptime_secs: u64,
    /// The server's clock, to spot skew against the browser's.
    pub server_time: DateTime<Utc>,
    /// The database.
    pub database: DatabaseStatus,
}

/// Returns what was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BuildInfo {
    /// The Vigil version.
    pub version: String,
    /// The git commit the binary was built from, when known.
    pub git_commit: Option<String>,
    /// `release` or `debug`.
    pub profile: String,
    /// The rustc target triple.
    pub target: String,
}

/// Returns the database's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DatabaseStatus {
    /// Whether it answered.
    pub status: ComponentStatus,
    /// Whether Vigil runs this Postgres itself (no `VIGIL_DATABASE_URL`).
    pub embedded: bool,
    /// The server version string, for example `15.18`.
    pub server_version: Option<String>,
    /// The size of Vigil's database on disk, in bytes.
    pub size_bytes: Option<i64>,
    /// The newest applied migration.
    pub schema_version: Option<i64>,
    /// Connections open in the pool / allowed.
    pub pool_connections: u32,
    /// The pool's maximum size.
    pub pool_max_connections: u32,
    /// Each connection budget's use.
    pub budgets: Vec<ConnectionBudget>,
    /// Whether Vigil's database role is kept from changing the audit trail
    /// (it neither owns it nor is a superuser); `None` when unknown.
    pub audit_protected: Option<bool>,
    /// Events and bytes waiting in the ingest queue.
    pub queued_events: u64,
    /// Bytes waiting in the ingest queue.
    pub queued_bytes: u64,
}

/// Returns one connection budget's use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConnectionBudget {
    /// `interactive`, `background`, `writers` or `exports`.
    pub budget: String,
    /// Connections in use now.
    pub in_use: u32,
    /// The budget.
    pub max: u32,
}
