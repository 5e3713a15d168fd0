use flux_dto::auth::LoginRequest;
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
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let body = LoginRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
            org_id: None,
        };
        sign_in(api::auth::login(body), session, navigate, error, pending);
    };

    view! {
        <AuthCard title="Entrar no Flux">
            <form on:submit=submit novalidate>
                <p class="form-error" role="alert">{move || general_error(error, &["email", "password"]).get()}</p>
                <TextField id="email" label=texts::EMAIL value=email kind="email" autocomplete="email" error=field_error(error, "email") autofocus=true/>
                <TextField id="password" label=texts::PASSWORD value=password kind="password" autocomplete="current-password" error=field_error(error, "password")/>
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Entrando…" } else { "Entrar" }}
                </button>
            </form>
            <p class="auth-links">
                <A href="/esqueci-senha">"Esqueci minha senha"</A>
                " · "
                <A href="/cadastro">"Criar conta"</A>
            </p>
        </AuthCard>
    }
}
