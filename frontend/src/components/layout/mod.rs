//! The frame around every signed-in page: sidebar, top bar, shortcuts and permission gates.

mod nav;
mod require_permission;
mod shell;
mod shortcuts;
mod sidebar;
mod sign_out_button;
mod theme_toggle;
mod top_bar;

pub use require_permission::RequirePermission;
pub use shell::Shell;
pub use sidebar::Sidebar;
pub use sign_out_button::SignOutButton;
pub use theme_toggle::ThemeToggle;
pub use top_bar::TopBar;
