//! Authentication and authorisation: passwords, session tokens, API keys, and
//! the route guard that enforces each route's declared access.

pub mod access;
pub mod guard;
pub mod handlers;
pub mod password;
pub mod repo;
pub mod throttle;
pub mod token;

use crate::error::ApiError;
use app::api_keys::ApiKeyScope;
use app::audit::ActorKind;
use app::auth::CurrentUser;
use app::ids::{ApiKeyId, SessionId};
use app::permissions::Permission;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub use access::{Access, RouteSpec};

/// Returns a signed-in user, resolved from the session cookie against its session row.
#[derive(Debug, Clone)]
pub struct AuthedUser {
    /// The user as the API shows it: account, roles, permissions, session end.
    pub profile: CurrentUser,
    /// The session the request belongs to.
    pub session_id: SessionId,
}

/// Returns a machine authenticated by an API key.
#[derive(Debug, Clone)]
pub struct AuthedKey {
    /// The key's id.
    pub id: ApiKeyId,
    /// The key's name.
    pub name: String,
    /// What the key may do.
    pub scopes: Vec<ApiKeyScope>,
}

/// Returns whoever made an authenticated request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A user with a session.
    User(AuthedUser),
    /// A machine with an API key.
    ApiKey(AuthedKey),
}

impl Principal {
    /// Returns whether the principal holds `permission`. A key's scopes grant
    /// the permissions of the same name and nothing else.
    pub fn has(&self, permission: Permission) -> bool {
        match self {
            Principal::User(user) => user.profile.can(permission),
            Principal::ApiKey(key) => key
                .scopes
                .iter()
                .any(|s| scope_permission(*s) == permission),
        }
    }

    /// Returns what kind of actor the audit log records.
    pub fn actor_kind(&self) -> ActorKind {
        match self {
            Principal::User(_) => ActorKind::User,
            Principal::ApiKey(_) => ActorKind::ApiKey,
        }
    }

    /// Returns the id of the user or of the key.
    pub fn id(&self) -> uuid::Uuid {
        match self {
            Principal::User(user) => user.profile.id.as_uuid(),
            Principal::ApiKey(key) => key.id.as_uuid(),
        }
    }

    /// Returns the user's id, when a person (not a key) acts: what
    /// `created_by`-style columns record.
    pub fn user_id(&self) -> Option<uuid::Uuid> {
        match self {
            Principal::User(user) => Some(user.profile.id.as_uuid()),
            Principal::ApiKey(_) => None,
        }
    }

    /// Returns the principal's display name for logs and audit.
    pub fn name(&self) -> &str {
        match self {
            Principal::User(user) => user.profile.username.as_str(),
            Principal::ApiKey(key) => &key.name,
        }
    }
}

/// Returns the permission a key scope grants.
pub fn scope_permission(scope: ApiKeyScope) -> Permission {
    match scope {
        ApiKeyScope::Ingest => Permission::IngestEvents,
        ApiKeyScope::Metrics => Permission::ReadMetrics,
    }
}

// The guard inserts the principal; a handler that asks for one on a route the
// guard let through as public gets a 401, so a missing declaration fails closed.
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(ApiError::unauthenticated)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::User(user) => Ok(user),
            Principal::ApiKey(_) => Err(ApiError::forbidden(
                "this route needs a user session, not an API key",
            )),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthedKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::ApiKey(key) => Ok(key),
            Principal::User(_) => Err(ApiError::forbidden("this route needs an API key")),
        }
    }
}
