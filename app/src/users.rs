//! User accounts as admins see and create them.

use crate::auth::{AuthSource, Username};
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Returns the body of `POST /api/v1/users`: a local account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateUserRequest {
    /// The login name.
    pub username: Username,
    /// The initial password; at least [`CreateUserRequest::MIN_PASSWORD_LEN`] characters.
    pub password: String,
    /// The name to show.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Role names to grant; each must exist.
    pub roles: Vec<String>,
}

impl fmt::Debug for CreateUserRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateUserRequest")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("display_name", &self.display_name)
            .field("roles", &self.roles)
            .finish()
    }
}

/// Returned when a new account breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateUserError {
    /// The password is shorter than the minimum.
    #[error("password must be at least 12 characters")]
    PasswordTooShort,
    /// The password is absurdly long (Argon2 input is bounded to keep hashing cheap to refuse).
    #[error("password must be at most 1024 characters")]
    PasswordTooLong,
    /// The display name is longer than 200 characters.
    #[error("display name is longer than 200 characters")]
    DisplayNameTooLong,
    /// No role was given.
    #[error("at least one role is required")]
    NoRoles,
}

impl CreateUserRequest {
    /// The shortest accepted password, in characters (NIST SP 800-63B asks for 8; admins deserve more).
    pub const MIN_PASSWORD_LEN: usize = 12;
    /// The longest accepted password, in characters.
    pub const MAX_PASSWORD_LEN: usize = 1024;

    /// Returns the trimmed display name and the sorted, deduplicated roles, or the first broken rule.
    pub fn validate(&self) -> Result<(Option<String>, Vec<String>), CreateUserError> {
        let length = self.password.chars().count();
        if length < Self::MIN_PASSWORD_LEN {
            return Err(CreateUserError::PasswordTooShort);
        }
        if length > Self::MAX_PASSWORD_LEN {
            return Err(CreateUserError::PasswordTooLong);
        }
        let display_name = self
            .display_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if display_name
            .as_deref()
            .is_some_and(|n| n.chars().count() > 200)
        {
            return Err(CreateUserError::DisplayNameTooLong);
        }
        let mut roles: Vec<String> = self.roles.iter().map(|r| r.trim().to_owned()).collect();
        roles.retain(|r| !r.is_empty());
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(CreateUserError::NoRoles);
        }
        Ok((display_name, roles))
    }
}

/// Returns one account in `GET /api/v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserSummary {
    /// The account id.
    pub id: UserId,
    /// The login name.
    pub username: Username,
    /// The name to show.
    pub display_name: Option<String>,
    /// Where the account authenticates.
    pub auth_source: AuthSource,
    /// Role names, sorted.
    pub roles: Vec<String>,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// The body of `PATCH /api/v1/users/{id}`: what changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// Disable (sign-in refused, every session ended at once) or enable.
    pub disabled: Option<bool>,
}

/// The answer of `DELETE /api/v1/users/{id}/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionsRevoked {
    /// How many live sessions were ended.
    pub revoked: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(password: &str, roles: &[&str]) -> CreateUserRequest {
        CreateUserRequest {
            username: Username::parse("dana").unwrap(),
            password: password.into(),
            display_name: Some("  Dana Analyst ".into()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn valid_request_is_normalised() {
        let (name, roles) = request("correct horse battery", &["viewer", " analyst", "viewer"])
            .validate()
            .unwrap();
        assert_eq!(name.as_deref(), Some("Dana Analyst"));
        assert_eq!(roles, vec!["analyst".to_string(), "viewer".to_string()]);
    }

    #[test]
    fn weak_or_roleless_requests_are_rejected() {
        assert_eq!(
            request("short", &["viewer"]).validate(),
            Err(CreateUserError::PasswordTooShort)
        );
        assert_eq!(
            request(&"p".repeat(1025), &["viewer"]).validate(),
            Err(CreateUserError::PasswordTooLong)
        );
        assert_eq!(
            request("correct horse battery", &[" "]).validate(),
            Err(CreateUserError::NoRoles)
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", request("correct horse battery", &["viewer"]));
        assert!(!shown.contains("horse"));
    }
}
