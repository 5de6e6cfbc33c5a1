//! The state every handler shares.

use crate::auth::RouteSpec;
use crate::auth::token::TokenKeys;
use crate::config::Settings;
use crate::ingest::{EventWriter, IngestPolicy, SourceTally};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::sync::Arc;

/// Returns the application state; cheap to clone (everything is shared).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool of interactive requests (`pools.interactive`).
    pub pool: PgPool,
    /// Every connection budget: background work, writers and exports have
    /// their own pools.
    pub pools: crate::db::Pools,
    /// The validated settings.
    pub settings: Arc<Settings>,
    /// Session token keys.
    pub tokens: TokenKeys,
    /// An Argon2id hash of a random password, verified against for unknown users.
    pub dummy_hash: Arc<str>,
    /// Every declared route and its access rule.
    pub routes: Arc<[RouteSpec]>,
    /// When this process started.
    pub started_at: DateTime<Utc>,
    /// Whether Vigil runs its own Postgres.
    pub embedded_database: bool,
    /// The group-commit event writer.
    pub events: EventWriter,
    /// How event times are judged at ingest.
    pub ingest_policy: IngestPolicy,
    /// Geo-IP databases for enrichment at ingest, when configured.
    pub geo: Option<crate::ingest::GeoIp>,
    /// Per-source counts waiting to be written.
    pub sources: SourceTally,
    /// API keys recently found live (see [`crate::api_keys::KeyCache`]).
    pub api_keys: crate::api_keys::KeyCache,
    /// What this instance's detection engine is doing.
    pub detection: Arc<crate::detect::engine::EngineStatus>,
    /// Bounds concurrent password verifications.
    pub verify_gate: Arc<crate::auth::throttle::VerifyGate>,
    /// Signs and checks the audit chain's checkpoints.
    pub audit_signer: Arc<crate::audit::checkpoint::AuditSigner>,
    /// Bounds exports running at once.
    pub exports: Arc<crate::search::ExportSlots>,
}
