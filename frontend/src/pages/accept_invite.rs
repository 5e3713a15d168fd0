use flux_dto::members::{AcceptInvitationRequest, InvitationPreview};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::{
    api::{self, ApiError},
    components::{feedback::loaded, field::TextField},
    labels,
    pages::{field_error, general_error, sign_in, AuthCard},
    session::use_session,
    texts,
};

#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let preview = LocalResource::new(move || {
        let token = token();
        async move { api::members::preview_invitation(token).await }
    });

    view! {
        <AuthCard title="Convite para o Flux">
            {move || loaded(preview.get(), None, |p| view! { <AcceptForm preview=p token=token()/> }.into_any())}
        </AuthCard>
    }
}

#[component]
fn AcceptForm(preview: InvitationPreview, token: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    let account_exists = preview.account_exists;

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let body = AcceptInvitationRequest {
            token: token.clone(),
            name: (!account_exists).then(|| name.get_untracked()),
            password: password.get_untracked(),
        };
        sign_in(
            async move { api::members::accept_invitation(&body).await },
            session,
            navigate,
            error,
            pending,
        );
    };

    view! {
        <p>
            "Você foi convidado(a) para a equipe " <strong>{preview.organization_name.clone()}</strong>
            " como " <strong>{labels::role(preview.role)}</strong> "."
        </p>
        <p class="muted">{format!("E-mail: {}", preview.email)}</p>
        <form on:submit=submit novalidate>
            <p class="form-error" role="alert">{move || general_error(error, &["name", "password"]).get()}</p>
            {(!account_exists).then(|| view! {
                <TextField id="name" label=texts::NAME value=name autocomplete="name" error=field_error(error, "name") autofocus=true/>
            })}
            <TextField
                id="password"
                label=if account_exists { "Senha da sua conta Flux" } else { "Crie uma senha (mínimo 8 caracteres)" }
                value=password
                kind="password"
                autocomplete=if account_exists { "current-password" } else { "new-password" }
                error=field_error(error, "password")
            />
            <button type="submit" class="button primary" disabled=move || pending.get()>"Aceitar convite"</button>
        </form>
    }
}
