//! App-wide state shared through Leptos context: who is signed in, and the colour theme.

pub mod session;
pub mod theme;

pub use session::{AuthState, Session, use_session};
pub use theme::{Theme, ThemeContext, use_theme};
