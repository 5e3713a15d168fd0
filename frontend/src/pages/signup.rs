use flux_domain::{Email, Password, PersonName};
use flux_dto::auth::SignupRequest;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};

use crate::{
    api,
    api::ApiError,
    components::field::TextField,
    pages::{field_error, general_error, sign_in, AuthCard},
    session::use_session,
    texts,
};

#[component]
pub fn SignupPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let local = RwSignal::new([None::<String>, None, None]);
    let pending = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Same rules as the server (shared domain crate), checked before sending.
        let checks = [
            PersonName::parse(&name.get_untracked())
                .err()
                .map(|e| e.to_string()),
            Email::parse(&email.get_untracked())
                .err()
                .map(|e| e.to_string()),
            Password::parse(&password.get_untracked())
                .err()
                .map(|e| e.to_string()),
        ];
        let invalid = checks.iter().any(Option::is_some);
        local.set(checks);
        error.set(None);
        if invalid {
            return;
        }
        let navigate = navigate.clone();
        let body = SignupRequest {
            name: name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        sign_in(
            async move { api::auth::signup(&body).await },
            session,
            navigate,
            error,
            pending,
        );
    };
    let err = move |i: usize, field: &'static str| {
        let server = field_error(error, field);
        Signal::derive(move || local.with(|l| l[i].clone()).or_else(|| server.get()))
    };

    view! {
        <AuthCard title="Criar sua conta">
            <form on:submit=submit novalidate>
                <p class="form-error" role="alert">{move || general_error(error, &["name", "email", "password"]).get()}</p>
                <TextField id="name" label=texts::NAME value=name autocomplete="name" error=err(0, "name") autofocus=true/>
                <TextField id="email" label="E-mail de trabalho" value=email kind="email" autocomplete="email" error=err(1, "email")/>
                <TextField id="password" label="Senha (mínimo 8 caracteres)" value=password kind="password" autocomplete="new-password" error=err(2, "password")/>
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Criando…" } else { "Criar conta" }}
                </button>
            </form>
            <p class="auth-links">"Já tem conta? " <A href="/entrar">"Entrar"</A></p>
        </AuthCard>
    }
}
