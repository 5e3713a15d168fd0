use flux_dto::auth::PasswordResetRequest;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

use crate::{
    api::{self, ApiError},
    components::field::TextField,
    pages::{field_error, general_error, AuthCard},
    texts,
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let sent = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        let body = PasswordResetRequest {
            email: email.get_untracked(),
        };
        spawn_local(async move {
            match api::auth::request_password_reset(&body).await {
                Ok(ack) => sent.set(Some(ack.message)),
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };

    view! {
        <AuthCard title="Esqueci minha senha">
            <Show
                when=move || sent.get().is_none()
                fallback=move || view! { <p class="notice" role="status">{move || sent.get()}</p> }
            >
                <p>"Informe seu e-mail e enviaremos um link para criar uma nova senha."</p>
                <form on:submit=submit novalidate>
                    <p class="form-error" role="alert">{move || general_error(error, &["email"]).get()}</p>
                    <TextField id="email" label=texts::EMAIL value=email kind="email" autocomplete="email" error=field_error(error, "email") autofocus=true/>
                    <button type="submit" class="button primary" disabled=move || pending.get()>"Enviar link"</button>
                </form>
            </Show>
            <p class="auth-links"><A href="/entrar">"Voltar para o login"</A></p>
        </AuthCard>
    }
}
