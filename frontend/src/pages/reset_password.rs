use flux_dto::auth::PasswordResetConfirm;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api::{self, ApiError},
    components::field::TextField,
    pages::{field_error, general_error, AuthCard},
};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let pending = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        let body = PasswordResetConfirm {
            token: query.with_untracked(|q| q.get("token").unwrap_or_default()),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::auth::confirm_password_reset(&body).await {
                Ok(()) => done.set(true),
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };

    view! {
        <AuthCard title="Criar nova senha">
            <Show
                when=move || !done.get()
                fallback=|| view! {
                    <p class="notice" role="status">"Senha alterada. Entre com a nova senha."</p>
                    <p class="auth-links"><A href="/entrar">"Ir para o login"</A></p>
                }
            >
                <form on:submit=submit novalidate>
                    <p class="form-error" role="alert">
                        {move || field_error(error, "token").get().or_else(|| general_error(error, &["password", "token"]).get())}
                    </p>
                    <TextField id="password" label="Nova senha (mínimo 8 caracteres)" value=password kind="password" autocomplete="new-password" error=field_error(error, "password") autofocus=true/>
                    <button type="submit" class="button primary" disabled=move || pending.get()>"Salvar nova senha"</button>
                </form>
            </Show>
        </AuthCard>
    }
}
