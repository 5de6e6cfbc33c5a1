//! The root component: app-wide contexts and the route table.

use crate::components::layout::Shell;
use crate::contexts::{Session, ThemeContext};
use crate::pages::{
    AdminPage, AlertsPage, CasesPage, DashboardsPage, LoginPage, NotFoundPage, OverviewPage,
    RulesPage, SearchPage, StatusPage,
};
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// Renders the whole SPA. `/login` stands alone; every other page lives in the signed-in shell.
#[component]
pub fn App() -> impl IntoView {
    ThemeContext::provide();
    Session::provide();
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=OverviewPage />
                    <Route path=path!("status") view=StatusPage />
                    <Route path=path!("admin") view=AdminPage />
                    <Route path=path!("search") view=SearchPage />
                    <Route path=path!("alerts") view=AlertsPage />
                    <Route path=path!("rules") view=RulesPage />
                    <Route path=path!("cases") view=CasesPage />
                    <Route path=path!("dashboards") view=DashboardsPage />
                    <Route path=path!("*any") view=NotFoundPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
