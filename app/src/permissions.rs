//! Permissions and the built-in roles that bundle them.
//!
//! A permission names one capability ("may search events"); a role is a named
//! set of permissions; a user holds roles. Routes require permissions, never
//! roles, so custom roles can be added without touching route code.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Returns one capability a route can require.
///
/// The wire form is `area:action` (for example `events:search`); it is stored
/// in the database as text and must stay stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Permission {
    /// See the system status page: versions, database health, storage.
    #[serde(rename = "system:read")]
    ViewSystem,
    /// Send events (normally held by API keys with the `ingest` scope).
    #[serde(rename = "events:ingest")]
    IngestEvents,
    /// Search stored events and open single events.
    #[serde(rename = "events:search")]
    SearchEvents,
    /// Export search results in bulk.
    #[serde(rename = "events:export")]
    ExportEvents,
    /// See alerts.
    #[serde(rename = "alerts:read")]
    ViewAlerts,
    /// Acknowledge, assign, comment on and close alerts.
    #[serde(rename = "alerts:triage")]
    TriageAlerts,
    /// See detection rules and their results.
    #[serde(rename = "rules:read")]
    ViewRules,
    /// Create, edit, enable and delete detection rules and watchlists.
    #[serde(rename = "rules:write")]
    EditRules,
    /// See cases.
    #[serde(rename = "cases:read")]
    ViewCases,
    /// Open, edit and close cases.
    #[serde(rename = "cases:write")]
    EditCases,
    /// See dashboards.
    #[serde(rename = "dashboards:read")]
    ViewDashboards,
    /// Create and edit dashboards.
    #[serde(rename = "dashboards:write")]
    EditDashboards,
    /// Create, disable and edit user accounts.
    #[serde(rename = "users:manage")]
    ManageUsers,
    /// Define roles and map identity-provider groups to them.
    #[serde(rename = "roles:manage")]
    ManageRoles,
    /// Create, list and revoke API keys.
    #[serde(rename = "api_keys:manage")]
    ManageApiKeys,
    /// Read the audit log.
    #[serde(rename = "audit:read")]
    ViewAudit,
    /// Change system settings: retention, notifications, identity providers.
    #[serde(rename = "settings:manage")]
    ManageSettings,
    /// Scrape `GET /metrics` (normally held by an API key with the `metrics` scope).
    #[serde(rename = "metrics:read")]
    ReadMetrics,
}

impl Permission {
    /// Returns every permission, in a stable order.
    pub const ALL: [Permission; 18] = [
        Permission::ViewSystem,
        Permission::IngestEvents,
        Permission::SearchEvents,
        Permission::ExportEvents,
        Permission::ViewAlerts,
        Permission::TriageAlerts,
        Permission::ViewRules,
        Permission::EditRules,
        Permission::ViewCases,
        Permission::EditCases,
        Permission::ViewDashboards,
        Permission::EditDashboards,
        Permission::ManageUsers,
        Permission::ManageRoles,
        Permission::ManageApiKeys,
        Permission::ViewAudit,
        Permission::ManageSettings,
        Permission::ReadMetrics,
    ];

    /// Returns the wire name, for example `events:search`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewSystem => "system:read",
            Permission::IngestEvents => "events:ingest",
            Permission::SearchEvents => "events:search",
            Permission::ExportEvents => "events:export",
            Permission::ViewAlerts => "alerts:read",
            Permission::TriageAlerts => "alerts:triage",
            Permission::ViewRules => "rules:read",
            Permission::EditRules => "rules:write",
            Permission::ViewCases => "cases:read",
            Permission::EditCases => "cases:write",
            Permission::ViewDashboards => "dashboards:read",
            Permission::EditDashboards => "dashboards:write",
            Permission::ManageUsers => "users:manage",
            Permission::ManageRoles => "roles:manage",
            Permission::ManageApiKeys => "api_keys:manage",
            Permission::ViewAudit => "audit:read",
            Permission::ManageSettings => "settings:manage",
            Permission::ReadMetrics => "metrics:read",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returned when a string names no permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {0:?}")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// Returns one of the roles every Vigil installation has.
///
/// Their permission sets are defined here, in code, and written to the
/// database at start-up, so an upgrade that adds a permission updates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BuiltinRole {
    /// Everything, including users, roles, keys, settings and the audit log.
    Admin,
    /// An analyst who also writes and tunes detection rules.
    Engineer,
    /// Triages alerts, searches events, works cases and dashboards.
    Analyst,
    /// Reads alerts, rules, cases and dashboards; cannot search raw events.
    Viewer,
}

impl BuiltinRole {
    /// Returns every built-in role, most privileged first.
    pub const ALL: [BuiltinRole; 4] = [
        BuiltinRole::Admin,
        BuiltinRole::Engineer,
        BuiltinRole::Analyst,
        BuiltinRole::Viewer,
    ];

    /// Returns the role's name as stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "admin",
            BuiltinRole::Engineer => "engineer",
            BuiltinRole::Analyst => "analyst",
            BuiltinRole::Viewer => "viewer",
        }
    }

    /// Returns a one-line description for role pickers.
    pub fn description(self) -> &'static str {
        match self {
            BuiltinRole::Admin => {
                "full control, including users, roles, API keys, settings and the audit log"
            }
            BuiltinRole::Engineer => "analyst rights plus writing and tuning detection rules",
            BuiltinRole::Analyst => "triage alerts, search events, work cases and dashboards",
            BuiltinRole::Viewer => "read alerts, rules, cases and dashboards",
        }
    }

    /// Returns the role named `name`, if it is built in.
    pub fn from_name(name: &str) -> Option<BuiltinRole> {
        BuiltinRole::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Returns the permissions this role grants, sorted.
    pub fn permissions(self) -> Vec<Permission> {
        use Permission::*;
        let viewer = [ViewSystem, ViewAlerts, ViewRules, ViewCases, ViewDashboards];
        let analyst_extra = [
            SearchEvents,
            ExportEvents,
            TriageAlerts,
            EditCases,
            EditDashboards,
        ];
        let mut granted: Vec<Permission> = match self {
            BuiltinRole::Admin => Permission::ALL.to_vec(),
            BuiltinRole::Engineer => viewer
                .into_iter()
                .chain(analyst_extra)
                .chain([EditRules])
                .collect(),
            BuiltinRole::Analyst => viewer.into_iter().chain(analyst_extra).collect(),
            BuiltinRole::Viewer => viewer.to_vec(),
        };
        granted.sort();
        granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn permission_wire_names_round_trip() {
        for p in Permission::ALL {
            let json = serde_json::to_value(p).unwrap();
            assert_eq!(json, serde_json::Value::String(p.as_str().to_owned()));
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
        }
    }

    #[test]
    fn permission_names_are_unique() {
        let names: BTreeSet<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names.len(), Permission::ALL.len());
    }

    #[test]
    fn unknown_permission_is_rejected() {
        assert!("events:delete".parse::<Permission>().is_err());
        assert!(serde_json::from_str::<Permission>("\"root\"").is_err());
    }

    #[test]
    fn roles_are_strictly_nested() {
        let set = |r: BuiltinRole| r.permissions().into_iter().collect::<BTreeSet<_>>();
        let (admin, engineer, analyst, viewer) = (
            set(BuiltinRole::Admin),
            set(BuiltinRole::Engineer),
            set(BuiltinRole::Analyst),
            set(BuiltinRole::Viewer),
        );
        assert!(viewer.is_subset(&analyst) && viewer != analyst);
        assert!(analyst.is_subset(&engineer) && analyst != engineer);
        assert!(engineer.is_subset(&admin) && engineer != admin);
        assert_eq!(admin.len(), Permission::ALL.len());
    }

    #[test]
    fn only_admin_administers() {
        let admin_only = [
            Permission::ManageUsers,
            Permission::ManageRoles,
            Permission::ManageApiKeys,
            Permission::ViewAudit,
            Permission::ManageSettings,
        ];
        for role in [
            BuiltinRole::Engineer,
            BuiltinRole::Analyst,
            BuiltinRole::Viewer,
        ] {
            for p in admin_only {
                assert!(!role.permissions().contains(&p), "{role:?} has {p}");
            }
        }
    }

    #[test]
    fn viewer_cannot_search_raw_events_or_edit() {
        let viewer = BuiltinRole::Viewer.permissions();
        assert!(!viewer.contains(&Permission::SearchEvents));
        assert!(!viewer.contains(&Permission::TriageAlerts));
        assert!(viewer.contains(&Permission::ViewSystem));
    }

    #[test]
    fn role_names_round_trip() {
        for r in BuiltinRole::ALL {
            assert_eq!(BuiltinRole::from_name(r.name()), Some(r));
        }
        assert_eq!(BuiltinRole::from_name("root"), None);
    }
}
