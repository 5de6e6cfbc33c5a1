//! API keys: credentials for machines (log shippers, scripts, SOAR tools).

use crate::ids::{ApiKeyId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Returns what an API key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyScope {
    /// Send events to the ingest endpoints.
    Ingest,
    /// Scrape `GET /metrics` (a Prometheus server's bearer token).
    Metrics,
}

impl ApiKeyScope {
    /// Returns every scope.
    pub const ALL: [ApiKeyScope; 2] = [ApiKeyScope::Ingest, ApiKeyScope::Metrics];

    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyScope::Ingest => "ingest",
            ApiKeyScope::Metrics => "metrics",
        }
    }

    /// Returns the scope named `name`.
    pub fn from_name(name: &str) -> Option<ApiKeyScope> {
        ApiKeyScope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for ApiKeyScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returns the body of `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateApiKeyRequest {
    /// A name that says which source or tool holds the key.
    pub name: String,
    /// What the key may do; at least one.
    pub scopes: Vec<ApiKeyScope>,
    /// Days until the key stops working (1 to 3,650); none: until revoked.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// Returned when a key request breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyRequestError {
    /// The name is empty after trimming.
    #[error("name is empty")]
    EmptyName,
    /// The name is longer than [`CreateApiKeyRequest::MAX_NAME_LEN`] characters.
    #[error("name is longer than 100 characters")]
    NameTooLong,
    /// The name holds a control character.
    #[error("name contains a control character")]
    ControlCharacter,
    /// No scope was requested.
    #[error("at least one scope is required")]
    NoScopes,
    /// The lifetime is out of range.
    #[error("a key lives 1 to 3650 days")]
    BadLifetime,
}

impl CreateApiKeyRequest {
    /// The longest accepted key name, in characters.
    pub const MAX_NAME_LEN: usize = 100;

    /// Returns the trimmed name and deduplicated, sorted scopes, or the first broken rule.
    pub fn validate(&self) -> Result<(String, Vec<ApiKeyScope>), ApiKeyRequestError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(ApiKeyRequestError::EmptyName);
        }
        if name.chars().count() > Self::MAX_NAME_LEN {
            return Err(ApiKeyRequestError::NameTooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(ApiKeyRequestError::ControlCharacter);
        }
        let mut scopes = self.scopes.clone();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(ApiKeyRequestError::NoScopes);
        }
        if self
            .expires_in_days
            .is_some_and(|days| !(1..=3650).contains(&days))
        {
            return Err(ApiKeyRequestError::BadLifetime);
        }
        Ok((name.to_owned(), scopes))
    }
}

/// Returns a newly created key. `key` is shown this once and never stored in clear.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreatedApiKey {
    /// The key's public id (the `id` half of `ApiKey base64(id:key)`).
    pub id: ApiKeyId,
    /// The key's name.
    pub name: String,
    /// The secret; send it as `Authorization: Bearer <key>`.
    pub key: String,
    /// The first characters of the key, to recognise it later in lists.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<ApiKeyScope>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working by itself, if ever.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key", &"[redacted]")
            .field("prefix", &self.prefix)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Returns one key in `GET /api/v1/api-keys`; the secret is never listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApiKeySummary {
    /// The key's public id.
    pub id: ApiKeyId,
    /// The key's name.
    pub name: String,
    /// The first characters of the key.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<ApiKeyScope>,
    /// Who created it, when the account still exists.
    pub created_by: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working by itself, if ever.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Returns the key that authenticated a request, answered by `GET /api/v1/auth/key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApiKeyIdentity {
    /// The key's public id.
    pub id: ApiKeyId,
    /// The key's name.
    pub name: String,
    /// What the key may do.
    pub scopes: Vec<ApiKeyScope>,
}

/// Returns a creator's view of a user, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserRef {
    /// The account id.
    pub id: UserId,
    /// The login name.
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(name: &str, scopes: &[ApiKeyScope]) -> CreateApiKeyRequest {
        CreateApiKeyRequest {
            name: name.into(),
            scopes: scopes.to_vec(),
            expires_in_days: None,
        }
    }

    #[test]
    fn valid_request_is_normalised() {
        let (name, scopes) = req("  edge-fw-01 ", &[ApiKeyScope::Ingest, ApiKeyScope::Ingest])
            .validate()
            .unwrap();
        assert_eq!(name, "edge-fw-01");
        assert_eq!(scopes, vec![ApiKeyScope::Ingest]);
    }

    #[test]
    fn invalid_requests_name_their_fault() {
        let long = "k".repeat(101);
        let cases = [
            (
                req("", &[ApiKeyScope::Ingest]),
                ApiKeyRequestError::EmptyName,
            ),
            (
                req("  ", &[ApiKeyScope::Ingest]),
                ApiKeyRequestError::EmptyName,
            ),
            (
                req(&long, &[ApiKeyScope::Ingest]),
                ApiKeyRequestError::NameTooLong,
            ),
            (
                req("a\u{7}b", &[ApiKeyScope::Ingest]),
                ApiKeyRequestError::ControlCharacter,
            ),
            (req("shipper", &[]), ApiKeyRequestError::NoScopes),
        ];
        for (request, expected) in cases {
            assert_eq!(request.validate(), Err(expected));
        }
    }

    #[test]
    fn unknown_scope_does_not_deserialise() {
        let bad = r#"{"name":"x","scopes":["superuser"]}"#;
        assert!(serde_json::from_str::<CreateApiKeyRequest>(bad).is_err());
        assert_eq!(ApiKeyScope::from_name("ingest"), Some(ApiKeyScope::Ingest));
    }

    #[test]
    fn created_key_debug_hides_the_secret() {
        let created = CreatedApiKey {
            id: ApiKeyId(uuid::Uuid::nil()),
            name: "n".into(),
            key: "vgl_supersecret".into(),
            prefix: "vgl_supe".into(),
            scopes: vec![ApiKeyScope::Ingest],
            created_at: DateTime::<Utc>::MIN_UTC,
            expires_at: None,
        };
        assert!(!format!("{created:?}").contains("supersecret"));
    }
}
