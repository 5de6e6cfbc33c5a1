//! The audit trail: recording who did what, reading it back, verifying its hash chain.
//!
//! Audit records are data in Postgres, not tracing output: auditors query them,
//! and the table refuses updates and deletes.

pub mod checkpoint;
pub mod handlers;
pub mod repo;

use crate::auth::Principal;
use crate::http::client::ClientIp;
use app::audit::{ActorKind, AuditOutcome};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use uuid::Uuid;

/// Returns one audit record to write.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// Who acted.
    pub actor_kind: ActorKind,
    /// The actor's id (user or key).
    pub actor_id: Option<Uuid>,
    /// The actor's name.
    pub actor_name: Option<String>,
    /// What was attempted (`area.verb`).
    pub action: &'static str,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// What it was done to.
    pub target: Option<String>,
    /// The client address.
    pub client_ip: Option<IpAddr>,
    /// The request id.
    pub request_id: Option<String>,
    /// Further facts; never secrets.
    pub details: serde_json::Value,
}

impl AuditRecord {
    /// Returns a record of `action` by `principal` that succeeded.
    pub fn by(principal: &Principal, action: &'static str, ctx: &RequestContext) -> AuditRecord {
        AuditRecord {
            actor_kind: principal.actor_kind(),
            actor_id: Some(principal.id()),
            actor_name: Some(principal.name().to_owned()),
            action,
            outcome: AuditOutcome::Success,
            target: None,
            client_ip: ctx.client_ip,
            request_id: ctx.request_id.clone(),
            details: serde_json::json!({}),
        }
    }

    /// Returns a record of `action` with no authenticated actor.
    pub fn anonymous(action: &'static str, ctx: &RequestContext) -> AuditRecord {
        AuditRecord {
            actor_kind: ActorKind::Anonymous,
            actor_id: None,
            actor_name: None,
            action,
            outcome: AuditOutcome::Success,
            target: None,
            client_ip: ctx.client_ip,
            request_id: ctx.request_id.clone(),
            details: serde_json::json!({}),
        }
    }

    /// Returns a record of `action` by Vigil itself.
    pub fn system(action: &'static str) -> AuditRecord {
        AuditRecord {
            actor_kind: ActorKind::System,
            actor_id: None,
            actor_name: Some("vigil".to_owned()),
            action,
            outcome: AuditOutcome::Success,
            target: None,
            client_ip: None,
            request_id: None,
            details: serde_json::json!({}),
        }
    }

    /// Returns this record with `outcome`.
    pub fn outcome(mut self, outcome: AuditOutcome) -> AuditRecord {
        self.outcome = outcome;
        self
    }

    /// Returns this record with `target`.
    pub fn target(mut self, target: impl Into<String>) -> AuditRecord {
        self.target = Some(target.into());
        self
    }

    /// Returns this record with `details`.
    pub fn details(mut self, details: serde_json::Value) -> AuditRecord {
        self.details = details;
        self
    }
}

/// Returns the request facts every audit record carries.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The client address (behind trusted proxies, the one they name).
    pub client_ip: Option<IpAddr>,
    /// The `x-request-id` of the request.
    pub request_id: Option<String>,
    /// The `User-Agent`, truncated.
    pub user_agent: Option<String>,
}

impl RequestContext {
    /// Returns the request facts found in `headers` and `extensions`.
    pub fn from_parts(headers: &HeaderMap, extensions: &Extensions) -> RequestContext {
        let client_ip = extensions
            .get::<ClientIp>()
            .map(|client| client.0)
            .or_else(|| {
                extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|info| info.0.ip().to_canonical())
            });
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|id| crate::http::client::plain_request_id(id.as_bytes()))
            .map(str::to_owned);
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect());
        RequestContext {
            client_ip,
            request_id,
            user_agent,
        }
    }
}

// Every handler that audits takes the context as an argument, so none
// re-reads headers by hand.
impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestContext::from_parts(
            &parts.headers,
            &parts.extensions,
        ))
    }
}
