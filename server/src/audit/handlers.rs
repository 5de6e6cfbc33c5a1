//! HTTP handlers for reading and verifying the audit trail.

use super::repo;
use crate::auth::Access;
use crate::error::{ApiError, AppJson, AppQuery};
use crate::http::route::Route;
use crate::state::AppState;
use app::audit::{AuditCheckpoint, AuditPage, AuditPublicKey, AuditVerification};
use app::permissions::Permission;
use axum::extract::State;
use serde::Deserialize;

/// The audit log routes.
pub fn routes() -> Vec<Route> {
    let view = Access::Permission(Permission::ViewAudit);
    vec![
        Route::get("/api/v1/audit", view, list_audit),
        Route::get("/api/v1/audit/verify", view, verify_audit),
        Route::get("/api/v1/audit/checkpoints", view, list_checkpoints),
        Route::get("/api/v1/audit/public-key", view, public_key),
    ]
}

/// Returns the query string of `GET /api/v1/audit`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only records older than this sequence number.
    pub before: Option<i64>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
}

/// `GET /api/v1/audit`: a page of audit records, newest first.
pub async fn list_audit(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<AuditQuery>,
) -> Result<AppJson<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            "limit must be between 1 and 500",
        ));
    }
    let entries = repo::fetch_audit_page(&state.pool, query.before, limit).await?;
    let next_before = if entries.len() as i64 == limit {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(AppJson(AuditPage {
        entries,
        next_before,
    }))
}

/// `GET /api/v1/audit/verify`: recomputes the hash chain over every record
/// and checks it against every signed checkpoint and the server's anchor.
pub async fn verify_audit(
    State(state): State<AppState>,
) -> Result<AppJson<AuditVerification>, ApiError> {
    let verification = super::checkpoint::verify(&state.pool, &state.audit_signer).await?;
    if !verification.intact {
        tracing::error!(problems = ?verification.problems, "the audit trail failed verification");
    }
    Ok(AppJson(verification))
}

/// Returns the query string of `GET /api/v1/audit/checkpoints`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointQuery {
    /// Only checkpoints of records after this sequence number.
    pub after: Option<i64>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<i64>,
}

/// `GET /api/v1/audit/checkpoints`: signed checkpoints, oldest first, to copy
/// where the database's operators cannot write.
pub async fn list_checkpoints(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<CheckpointQuery>,
) -> Result<AppJson<Vec<AuditCheckpoint>>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    let checkpoints = repo::fetch_checkpoints(&state.pool, query.after, limit).await?;
    Ok(AppJson(
        checkpoints
            .into_iter()
            .map(|c| AuditCheckpoint {
                seq: c.seq,
                hash: hex::encode(c.hash),
                signed_at: c.signed_at,
                key_id: c.key_id,
                signature: hex::encode(c.signature),
            })
            .collect(),
    ))
}

/// `GET /api/v1/audit/public-key`: the key that signs the checkpoints.
pub async fn public_key(State(state): State<AppState>) -> AppJson<AuditPublicKey> {
    AppJson(state.audit_signer.public_key())
}
