//! Administration: API keys, users, retention and the audit log, one section per tab.
//!
//! The active section lives in the query string (`/admin?tab=users`) so a link to it can be
//! shared and the back button works.

use crate::components::admin::{ApiKeysPanel, AuditPanel, RetentionPanel, UsersPanel};
use crate::components::common::PageHeader;
use crate::components::layout::RequirePermission;
use crate::contexts::use_session;
use app::Permission;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    ApiKeys,
    Users,
    Retention,
    Audit,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::ApiKeys, Tab::Users, Tab::Retention, Tab::Audit];

    fn slug(self) -> &'static str {
        match self {
            Tab::ApiKeys => "api-keys",
            Tab::Users => "users",
            Tab::Retention => "retention",
            Tab::Audit => "audit",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::ApiKeys => "API keys",
            Tab::Users => "Users",
            Tab::Retention => "Retention",
            Tab::Audit => "Audit log",
        }
    }

    fn permission(self) -> Permission {
        match self {
            Tab::ApiKeys => Permission::ManageApiKeys,
            Tab::Users => Permission::ManageUsers,
            Tab::Retention => Permission::ManageSettings,
            Tab::Audit => Permission::ViewAudit,
        }
    }
}

/// Renders the admin sections the user may open.
#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::ManageApiKeys, Permission::ManageUsers, Permission::ManageSettings, Permission::ViewAudit]>
            <AdminView />
        </RequirePermission>
    }
}

#[component]
fn AdminView() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let permitted = Memo::new(move |_| {
        Tab::ALL
            .into_iter()
            .filter(|tab| session.can(tab.permission()))
            .collect::<Vec<_>>()
    });
    let active = Memo::new(move |_| {
        let wanted = query.read().get("tab");
        let tabs = permitted.get();
        tabs.iter()
            .copied()
            .find(|tab| wanted.as_deref() == Some(tab.slug()))
            .or_else(|| tabs.first().copied())
    });

    let tab_links = move || {
        permitted
            .get()
            .into_iter()
            .map(|tab| {
                let current = move || (active.get() == Some(tab)).then_some("page");
                view! {
                    <a class="tab" href=format!("/admin?tab={}", tab.slug()) aria-current=current>
                        {tab.label()}
                    </a>
                }
            })
            .collect_view()
    };

    view! {
        <PageHeader title="Admin" description="Machine credentials, accounts, how long events are kept, and the tamper-evident audit trail." />
        <nav class="tabs" aria-label="Admin sections">{tab_links}</nav>
        {move || match active.get() {
            Some(Tab::ApiKeys) => view! { <ApiKeysPanel /> }.into_any(),
            Some(Tab::Users) => view! { <UsersPanel /> }.into_any(),
            Some(Tab::Retention) => view! { <RetentionPanel /> }.into_any(),
            Some(Tab::Audit) => view! { <AuditPanel /> }.into_any(),
            None => ().into_any(),
        }}
    }
}
