//! One module per page.

pub mod accept_invite;
pub mod ai_drawer;
pub mod ai_usage;
pub mod cadences;
pub mod dashboard;
pub mod enroll;
pub mod forgot_password;
pub mod lead_import;
pub mod lead_pending_emails;
pub mod lead_profile;
pub mod lead_timeline;
pub mod leads;
pub mod login;
pub mod mailboxes;
pub mod not_built;
pub mod reset_password;
pub mod sending;
pub mod signup;
pub mod templates;
pub mod users;

use flux_dto::auth::AuthResponse;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::NavigateOptions;

use crate::{
    api::{self, ApiError},
    session::Session,
};

/// Sends credentials (`call`: login, sign-up, invitation acceptance), starts the
/// session and opens the dashboard.
pub fn sign_in<F, N>(
    call: F,
    session: Session,
    navigate: N,
    error: RwSignal<Option<ApiError>>,
    pending: RwSignal<bool>,
) where
    F: std::future::Future<Output = Result<AuthResponse, ApiError>> + 'static,
    N: Fn(&str, NavigateOptions) + 'static,
{
    pending.set(true);
    spawn_local(async move {
        let result = match call.await {
            Ok(auth) => api::auth::start_session(auth).await,
            Err(e) => Err(e),
        };
        pending.set(false);
        match result {
            Ok(me) => {
                error.set(None);
                session.me.set(Some(me));
                navigate("/", NavigateOptions::default());
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// Page frame for the signed-out pages (login, signup, password, invitation).
#[component]
pub fn AuthCard(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand">{crate::texts::APP_NAME}</p>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// The server's reason for `field`, when the last submit failed on it.
pub fn field_error(
    error: RwSignal<Option<crate::api::ApiError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field(field))))
}

/// A message for errors that are not about one field.
pub fn general_error(
    error: RwSignal<Option<crate::api::ApiError>>,
    fields: &'static [&'static str],
) -> Signal<Option<String>> {
    Signal::derive(move || {
        error.with(|e| {
            let e = e.as_ref()?;
            let issues = e.0.field_issues();
            if !issues.is_empty() && issues.iter().all(|f| fields.contains(&f.field.as_str())) {
                None
            } else {
                Some(e.message().to_owned())
            }
        })
    })
}
