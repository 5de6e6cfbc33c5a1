//! The main navigation: one table of areas, the permission each needs and its shortcut key.

use super::super::common::IconName;
use app::Permission;

/// Returns one entry of the sidebar.
#[derive(Debug, Clone, Copy)]
pub struct NavItem {
    /// The link text.
    pub label: &'static str,
    /// Where it goes.
    pub href: &'static str,
    /// The user needs at least one of these; empty means everyone.
    pub any_of: &'static [Permission],
    /// The icon beside the label.
    pub icon: IconName,
    /// The key that follows `g` to jump here, when there is one.
    pub shortcut: Option<char>,
}

/// Returns every area in sidebar order.
pub const NAV_ITEMS: [NavItem; 8] = [
    NavItem {
        label: "Overview",
        href: "/",
        any_of: &[],
        icon: IconName::Overview,
        shortcut: Some('o'),
    },
    NavItem {
        label: "Search",
        href: "/search",
        any_of: &[Permission::SearchEvents],
        icon: IconName::Search,
        shortcut: None,
    },
    NavItem {
        label: "Alerts",
        href: "/alerts",
        any_of: &[Permission::ViewAlerts],
        icon: IconName::Alerts,
        shortcut: None,
    },
    NavItem {
        label: "Rules",
        href: "/rules",
        any_of: &[Permission::ViewRules],
        icon: IconName::Rules,
        shortcut: None,
    },
    NavItem {
        label: "Cases",
        href: "/cases",
        any_of: &[Permission::ViewCases],
        icon: IconName::Cases,
        shortcut: None,
    },
    NavItem {
        label: "Dashboards",
        href: "/dashboards",
        any_of: &[Permission::ViewDashboards],
        icon: IconName::Dashboards,
        shortcut: None,
    },
    NavItem {
        label: "Admin",
        href: "/admin",
        any_of: &[
            Permission::ManageUsers,
            Permission::ManageApiKeys,
            Permission::ManageSettings,
            Permission::ViewAudit,
        ],
        icon: IconName::Admin,
        shortcut: Some('a'),
    },
    NavItem {
        label: "System status",
        href: "/status",
        any_of: &[Permission::ViewSystem],
        icon: IconName::Status,
        shortcut: Some('s'),
    },
];

/// Returns the item reached by `g` then `key`.
pub fn item_for_shortcut(key: &str) -> Option<&'static NavItem> {
    NAV_ITEMS.iter().find(|item| {
        item.shortcut
            .is_some_and(|c| key.len() == 1 && key.starts_with(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_unique_and_resolve() {
        let keys: Vec<char> = NAV_ITEMS.iter().filter_map(|i| i.shortcut).collect();
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(keys.len(), unique.len());
        assert_eq!(item_for_shortcut("s").map(|i| i.href), Some("/status"));
        assert!(item_for_shortcut("x").is_none());
        assert!(item_for_shortcut("so").is_none());
    }
}
