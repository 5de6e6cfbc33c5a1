//! The users section: create local accounts, list every account, disable,
//! enable and sign an account out everywhere.

use super::UserForm;
use crate::api;
use crate::api::ApiResult;
use crate::components::common::{
    AsyncRegion, Badge, ConfirmButton, DataTable, EmptyState, ErrorPanel, TimeCell, Tone,
};
use app::auth::AuthSource;
use app::ids::UserId;
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
    let access: Action<(UserId, bool), ApiResult<UserSummary>> =
        Action::new_local(|(id, disabled): &(UserId, bool)| {
            api::users::set_disabled(*id, *disabled)
        });
    let sign_out: Action<(UserId, String), ApiResult<String>> =
        Action::new_local(|(id, name): &(UserId, String)| {
            let (id, name) = (*id, name.clone());
            async move { api::users::revoke_sessions(id).await.map(|()| name) }
        });
    let users = LocalResource::new(move || {
        create.version().get();
        access.version().get();
        api::users::list_users()
    });
    let actions = UserActions { access, sign_out };
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
                {move || {
                    access.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })
                }}
                {move || match sign_out.value().get() {
                    Some(Ok(name)) => Some(view! {
                        <p class="notice notice-success" role="status">{format!("Every session of {name} has ended.")}</p>
                    }.into_any()),
                    Some(Err(error)) => Some(view! { <ErrorPanel error /> }.into_any()),
                    None => None,
                }}
                <AsyncRegion>
                    {move || Suspend::new(async move {
                        let list = users.await?;
                        Ok::<_, app::ErrorBody>(user_table(list, actions))
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

/// What an admin can do to an account from its row.
#[derive(Clone, Copy)]
struct UserActions {
    access: Action<(UserId, bool), ApiResult<UserSummary>>,
    sign_out: Action<(UserId, String), ApiResult<String>>,
}

fn user_actions(user: &UserSummary, actions: UserActions) -> AnyView {
    let (id, name, disabled) = (user.id, user.username.to_string(), user.disabled);
    let busy =
        Signal::derive(move || actions.access.pending().get() || actions.sign_out.pending().get());
    let (label, confirm, question) = if disabled {
        (
            "Enable",
            "Confirm enable",
            "Let them sign in again?".to_owned(),
        )
    } else {
        (
            "Disable",
            "Confirm disable",
            "Refuse sign-in and end every session?".to_owned(),
        )
    };
    let sign_out_name = name.clone();
    view! {
        <div class="row-actions">
            <ConfirmButton
                label=label
                accessible_label=format!("{label} {name}")
                question=question
                confirm_label=confirm
                on_confirm=Callback::new(move |()| {
                    actions.access.dispatch((id, !disabled));
                })
                disabled=busy
                benign=disabled
            />
            {(!disabled).then(|| view! {
                <ConfirmButton
                    label="Sign out"
                    accessible_label=format!("Sign out {sign_out_name} everywhere")
                    question="End every session now?"
                    confirm_label="Confirm sign out"
                    on_confirm=Callback::new(move |()| {
                        actions.sign_out.dispatch((id, sign_out_name.clone()));
                    })
                    disabled=busy
                />
            })}
        </div>
    }
    .into_any()
}

fn user_table(users: Vec<UserSummary>, actions: UserActions) -> AnyView {
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
            let row_actions = user_actions(&user, actions);
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
                    <td class="cell-actions">{row_actions}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable columns=&["Username", "Display name", "Roles", "Source", "Status", "Created", "Last login"] actions=true>{rows}</DataTable>
    }
    .into_any()
}
