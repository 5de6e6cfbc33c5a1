//! The API keys section: create, show the new secret once, list and revoke.

use super::{ApiKeyForm, ApiKeyTable, NewApiKeyNotice};
use crate::api;
use crate::api::ApiResult;
use crate::components::common::{AsyncRegion, ErrorPanel};
use app::api_keys::{CreateApiKeyRequest, CreatedApiKey};
use app::ids::ApiKeyId;
use leptos::prelude::*;

/// Renders the whole API keys section.
#[component]
pub fn ApiKeysPanel() -> impl IntoView {
    let create: Action<CreateApiKeyRequest, ApiResult<CreatedApiKey>> =
        Action::new_local(|request: &CreateApiKeyRequest| {
            let request = request.clone();
            async move { api::api_keys::create_api_key(&request).await }
        });
    let revoke: Action<ApiKeyId, ApiResult<()>> =
        Action::new_local(|id: &ApiKeyId| api::api_keys::revoke_api_key(*id));
    let keys = LocalResource::new(move || {
        create.version().get();
        revoke.version().get();
        api::api_keys::list_api_keys()
    });

    // The secret lives only here, and only until the admin dismisses it.
    let fresh_key = RwSignal::new(None::<CreatedApiKey>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            fresh_key.set(Some(created));
        }
    });
    let dismiss = Callback::new(move |()| {
        fresh_key.set(None);
        create.clear();
    });

    view! {
        <div class="stack">
            {move || fresh_key.get().map(|key| view! { <NewApiKeyNotice key on_done=dismiss /> })}
            <section class="panel" aria-labelledby="create-key-heading">
                <h2 id="create-key-heading" class="panel-title">"Create an API key"</h2>
                <ApiKeyForm action=create />
            </section>
            <section class="panel panel-flush" aria-labelledby="keys-heading">
                <div class="panel-head">
                    <h2 id="keys-heading" class="panel-title">"API keys"</h2>
                </div>
                {move || {
                    revoke.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })
                }}
                <AsyncRegion>
                    {move || Suspend::new(async move {
                        let list = keys.await?;
                        Ok::<_, app::ErrorBody>(view! { <ApiKeyTable keys=list revoke /> })
                    })}
                </AsyncRegion>
            </section>
        </div>
    }
}
