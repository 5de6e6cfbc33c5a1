//! The signed-in user, shared by every page, and what happens when the session ends.
//!
//! The session cookie is HttpOnly, so the browser cannot read it: the only truth is the
//! server's answer to `GET /auth/me`, refreshed at start and after login. Any `unauthenticated`
//! error seen later means the server ended the session (logout elsewhere, revocation, expiry);
//! [`Session::handle_error`] turns that into the signed-out state, and the authenticated layout
//! sends the user to the login page.

use crate::api;
use app::auth::CurrentUser;
use app::{ErrorBody, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Returns what the SPA knows about the session.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// The first `/auth/me` answer has not arrived yet.
    Checking,
    /// A user is signed in.
    SignedIn(CurrentUser),
    /// Nobody was signed in when the app started.
    SignedOut,
    /// The server ended the session while the app was open (expiry, revocation, logout
    /// elsewhere); the user is sent to log in and brought back.
    Expired,
    /// The user signed out here; the sign-out button takes care of navigation.
    LoggedOut,
    /// The server could not say (down, unreachable); the user may retry.
    Unreachable(ErrorBody),
}

/// Returns the handle to the session state; cheap to copy into closures.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
}

impl Session {
    /// Creates the session state, provides it as context and asks the server who is signed in.
    pub fn provide() -> Session {
        let session = Session {
            state: RwSignal::new(AuthState::Checking),
        };
        provide_context(session);
        session.recheck();
        session
    }

    /// Asks the server again who is signed in.
    pub fn recheck(&self) {
        let state = self.state;
        spawn_local(async move {
            let next = match api::auth::me().await {
                Ok(user) => AuthState::SignedIn(user),
                Err(err) if api::is_session_end(&err) => AuthState::SignedOut,
                Err(err) => AuthState::Unreachable(err),
            };
            state.set(next);
        });
    }

    /// Returns the current state (tracked).
    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    /// Returns the signed-in user (tracked).
    pub fn user(&self) -> Option<CurrentUser> {
        self.state.with(|state| match state {
            AuthState::SignedIn(user) => Some(user.clone()),
            _ => None,
        })
    }

    /// Returns whether the signed-in user holds `permission` (tracked).
    pub fn can(&self, permission: Permission) -> bool {
        self.state.with(|state| match state {
            AuthState::SignedIn(user) => user.can(permission),
            _ => false,
        })
    }

    /// Returns whether the signed-in user holds at least one of `permissions` (tracked).
    pub fn can_any(&self, permissions: &[Permission]) -> bool {
        self.state.with(|state| match state {
            AuthState::SignedIn(user) => permissions.iter().any(|p| user.can(*p)),
            _ => false,
        })
    }

    /// Records a successful login.
    pub fn signed_in(&self, user: CurrentUser) {
        self.state.set(AuthState::SignedIn(user));
    }

    /// Forgets the user after they signed out.
    pub fn logged_out(&self) {
        self.state.set(AuthState::LoggedOut);
    }

    /// Ends the session locally when `error` says the server no longer knows it.
    pub fn handle_error(&self, error: &ErrorBody) {
        let signed_in = self
            .state
            .with_untracked(|state| matches!(state, AuthState::SignedIn(_)));
        if signed_in && api::is_session_end(error) {
            self.state.set(AuthState::Expired);
        }
    }
}

/// Returns the session provided by the app root.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Returns `raw` when it is a safe place to go after login: a path on this origin, not the
/// login page itself. Anything else (absolute URLs, `//host` tricks) falls back to `/`, so the
/// login page cannot be used as an open redirect.
pub fn safe_next(raw: Option<&str>) -> String {
    match raw {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/login")
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Returns the login URL that brings the user back to `path` afterwards.
pub fn login_url_for(path: &str) -> String {
    let next = safe_next(Some(path));
    if next == "/" {
        "/login".to_owned()
    } else {
        format!("/login?next={}", encode_query_value(&next))
    }
}

/// Percent-encodes `value` for a query string, keeping `/` readable.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_local_paths_only() {
        let cases = [
            (Some("/status"), "/status", "plain path"),
            (
                Some("/admin?tab=users"),
                "/admin?tab=users",
                "path with query",
            ),
            (None, "/", "missing"),
            (Some("https://evil.example"), "/", "absolute url"),
            (Some("//evil.example"), "/", "protocol-relative"),
            (Some("/\\evil.example"), "/", "backslash trick"),
            (Some("/login?next=/"), "/", "login loop"),
            (Some("status"), "/", "relative"),
        ];
        for (raw, expected, why) in cases {
            assert_eq!(safe_next(raw), expected, "{why}");
        }
    }

    #[test]
    fn login_url_encodes_the_return_path() {
        assert_eq!(login_url_for("/"), "/login");
        assert_eq!(
            login_url_for("/admin?tab=audit"),
            "/login?next=/admin%3Ftab%3Daudit"
        );
    }
}
