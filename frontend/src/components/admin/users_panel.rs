//! The users section: create local accounts and list every account.

use super::UserForm;
use crate::api;
use crate::api::ApiResult;
use crate::components::common::{AsyncRegion, Badge, DataTable, EmptyState, TimeCell, Tone};
use app::auth::AuthSource;
use app::users::{CreateUserRequest, UserSummary};
use leptos::prelude::*;

/// Renders the create form and the account list.
#[component]
pub fn UsersPanel() -> impl IntoView {
    let create: Action<CreateUserRequest, ApiResult<UserSummary>> =
        Action::new_local(|request: &CreateUserRequest| {
            let request = request.clone();
            async move { api::users::create_user(&request).await }
        });
    let users = LocalResource::new(move || {
        create.version().get();
        api::users::list_users()
    });
    view! {
        <div class="stack">
            <section class="panel" aria-labelledby="create-user-heading">
                <h2 id="create-user-heading" class="panel-title">"Create a user"</h2>
                <UserForm action=create />
            </section>
            <section class="panel panel-flush" aria-labelledby="users-heading">
                <div class="panel-head">
                    <h2 id="users-heading" class="panel-title">"Users"</h2>
                </div>
                <AsyncRegion>
                    {move || Suspend::new(async move {
                        let list = users.await?;
                        Ok::<_, app::ErrorBody>(user_table(list))
                    })}
                </AsyncRegion>
            </section>
        </div>
    }
}

fn auth_source_name(source: AuthSource) -> &'static str {
    match source {
        AuthSource::Local => "local",
        AuthSource::Oidc => "OIDC",
        AuthSource::Ldap => "LDAP",
    }
}

fn user_table(users: Vec<UserSummary>) -> AnyView {
    if users.is_empty() {
        return view! { <EmptyState title="No users" message="Create the first account above." /> }
            .into_any();
    }
    let rows = users
        .into_iter()
        .map(|user| {
            let status = if user.disabled {
                view! { <Badge tone=Tone::Neutral label="disabled" /> }
            } else {
                view! { <Badge tone=Tone::Ok label="active" /> }
            };
            view! {
                <tr class:row-muted=user.disabled>
                    <td class="mono cell-strong">{user.username.to_string()}</td>
                    <td>{user.display_name.unwrap_or_default()}</td>
                    <td>
                        {user
                            .roles
                            .into_iter()
                            .map(|r| view! { <span class="chip">{r}</span> })
                            .collect_view()}
                    </td>
                    <td>{auth_source_name(user.auth_source)}</td>
                    <td>{status}</td>
                    <td><TimeCell ts=Some(user.created_at) /></td>
                    <td><TimeCell ts=user.last_login_at fallback="never" /></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable columns=&["Username", "Display name", "Roles", "Source", "Status", "Created", "Last login"]>{rows}</DataTable>
    }
    .into_any()
}
