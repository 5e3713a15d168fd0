//! Loading, empty and error states shared by every data view.

use leptos::prelude::*;

use crate::{api::ApiError, texts};

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="state state-loading" role="status" aria-live="polite">{texts::LOADING}</p> }
}

#[component]
pub fn Empty(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="state state-empty">{message}</p> }
}

/// A server or network error, with an optional retry.
#[component]
pub fn ErrorBox(
    error: ApiError,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <div class="state state-error" role="alert">
            <p>{error.message().to_owned()}</p>
            {retry.map(|retry| view! {
                <button type="button" class="button secondary" on:click=move |_| retry.run(())>{texts::RETRY}</button>
            })}
        </div>
    }
}

/// The view of a resource as it loads: the loading state, its error (with a retry
/// when given), or what `ready` makes of the value.
pub fn loaded<T>(
    state: Option<Result<T, ApiError>>,
    retry: Option<Callback<()>>,
    ready: impl FnOnce(T) -> AnyView,
) -> AnyView {
    match (state, retry) {
        (None, _) => view! { <Loading/> }.into_any(),
        (Some(Err(error)), Some(retry)) => view! { <ErrorBox error retry/> }.into_any(),
        (Some(Err(error)), None) => view! { <ErrorBox error/> }.into_any(),
        (Some(Ok(value)), _) => ready(value),
    }
}

/// A form-level error message (field errors sit next to their inputs).
#[component]
pub fn FormError(error: ReadSignal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some()>
            <p class="form-error" role="alert">{move || error.get().unwrap_or_default()}</p>
        </Show>
    }
}

/// Asks the browser to confirm a destructive action (`false` if it cannot ask).
pub fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}
