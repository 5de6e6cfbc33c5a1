//! Login, session and current-user types.

use crate::ids::UserId;
use crate::permissions::Permission;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Returns a validated login name: 1–64 characters of letters, digits and `. _ - @`,
/// stored lowercase so `Alice` and `alice` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

/// Returned when a username breaks the rules of [`Username`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// The name is empty or only whitespace.
    #[error("username is empty")]
    Empty,
    /// The name is longer than 64 characters.
    #[error("username is longer than 64 characters")]
    TooLong,
    /// The name holds a character outside letters, digits and `. _ - @`.
    #[error("username may only contain letters, digits and . _ - @ (found {0:?})")]
    BadCharacter(char),
}

impl Username {
    /// The longest accepted username, in characters.
    pub const MAX_LEN: usize = 64;

    /// Returns the username for `raw`, trimmed and lowercased, or why it is invalid.
    pub fn parse(raw: &str) -> Result<Username, UsernameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(UsernameError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(UsernameError::TooLong);
        }
        if let Some(bad) = trimmed
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
        {
            return Err(UsernameError::BadCharacter(bad));
        }
        Ok(Username(trimmed.to_lowercase()))
    }

    /// Returns the name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Username {
    type Error = UsernameError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Username::parse(&value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

/// Returns the body of `POST /api/v1/auth/login`.
///
/// The username is kept as sent: an invalid one must fail exactly like a wrong
/// password, so validation happens on the server behind the same answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoginRequest {
    /// The login name.
    pub username: String,
    /// The password, in clear over the TLS connection; never logged.
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// Returns where an account's credentials live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthSource {
    /// A password stored (hashed) by Vigil.
    Local,
    /// An OpenID Connect identity provider.
    Oidc,
    /// Active Directory or another LDAP directory.
    Ldap,
}

impl AuthSource {
    /// Returns the name stored in the database (`local`, `oidc`, `ldap`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthSource::Local => "local",
            AuthSource::Oidc => "oidc",
            AuthSource::Ldap => "ldap",
        }
    }

    /// Returns the source stored as `name`; anything unknown is treated as local.
    pub fn from_stored(name: &str) -> AuthSource {
        match name {
            "oidc" => AuthSource::Oidc,
            "ldap" => AuthSource::Ldap,
            _ => AuthSource::Local,
        }
    }
}

/// Returns the signed-in user, answered by `GET /api/v1/auth/me` and by a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CurrentUser {
    /// The account id.
    pub id: UserId,
    /// The login name.
    pub username: Username,
    /// The name to show, when the account has one.
    pub display_name: Option<String>,
    /// Where the account authenticates.
    pub auth_source: AuthSource,
    /// The names of the roles the user holds, sorted.
    pub roles: Vec<String>,
    /// The union of the roles' permissions, sorted.
    pub permissions: Vec<Permission>,
    /// When the current session ends at the latest, even if active.
    pub session_expires_at: DateTime<Utc>,
}

impl CurrentUser {
    /// Returns whether the user holds `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Returns the display name, or the username when there is none.
    pub fn label(&self) -> &str {
        self.display_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(self.username.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lowercased() {
        assert_eq!(Username::parse("  Alice ").unwrap().as_str(), "alice");
        assert_eq!(
            Username::parse("svc.backup-01@corp").unwrap().as_str(),
            "svc.backup-01@corp"
        );
    }

    #[test]
    fn invalid_usernames_are_rejected() {
        let cases = [
            ("", UsernameError::Empty, "empty"),
            ("   ", UsernameError::Empty, "whitespace only"),
            ("a b", UsernameError::BadCharacter(' '), "inner space"),
            ("bob;drop", UsernameError::BadCharacter(';'), "semicolon"),
            ("<script>", UsernameError::BadCharacter('<'), "markup"),
        ];
        for (input, expected, why) in cases {
            assert_eq!(Username::parse(input), Err(expected), "{why}");
        }
        assert_eq!(
            Username::parse(&"x".repeat(65)),
            Err(UsernameError::TooLong)
        );
        assert!(Username::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn invalid_usernames_do_not_deserialise() {
        assert!(serde_json::from_str::<Username>("\"a b\"").is_err());
        let ok: Username = serde_json::from_str("\"Admin\"").unwrap();
        assert_eq!(ok.as_str(), "admin");
    }

    #[test]
    fn login_request_debug_hides_the_password() {
        let req = LoginRequest {
            username: "admin".into(),
            password: "hunter2".into(),
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("admin"));
    }

    #[test]
    fn auth_sources_round_trip_their_stored_names() {
        for source in [AuthSource::Local, AuthSource::Oidc, AuthSource::Ldap] {
            assert_eq!(AuthSource::from_stored(source.as_str()), source);
        }
        assert_eq!(AuthSource::from_stored("saml"), AuthSource::Local);
    }

    #[test]
    fn label_prefers_a_non_blank_display_name() {
        let mut user = CurrentUser {
            id: UserId(uuid::Uuid::nil()),
            username: Username::parse("admin").unwrap(),
            display_name: Some("  ".into()),
            auth_source: AuthSource::Local,
            roles: vec!["admin".into()],
            permissions: vec![Permission::ViewSystem],
            session_expires_at: DateTime::<Utc>::MIN_UTC,
        };
        assert_eq!(user.label(), "admin");
        user.display_name = Some("Ada Admin".into());
        assert_eq!(user.label(), "Ada Admin");
        assert!(user.can(Permission::ViewSystem));
        assert!(!user.can(Permission::ManageUsers));
    }
}
