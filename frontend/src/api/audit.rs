//! The audit trail (`/api/v1/audit`); needs `audit:read`.

use super::{ApiResult, get_json};
use app::audit::{AuditPage, AuditVerification};

/// How many records one page holds.
pub const AUDIT_PAGE_SIZE: u32 = 50;

/// Returns a page of records, newest first, older than `before` when given.
pub async fn list_audit(before: Option<i64>) -> ApiResult<AuditPage> {
    let path = match before {
        Some(seq) => format!("/audit?limit={AUDIT_PAGE_SIZE}&before={seq}"),
        None => format!("/audit?limit={AUDIT_PAGE_SIZE}"),
    };
    get_json(&path).await
}

/// Checks the whole hash chain on the server.
pub async fn verify_audit() -> ApiResult<AuditVerification> {
    get_json("/audit/verify").await
}
