//! Labelled inputs whose errors are announced and linked with `aria-describedby`.

use leptos::{html, prelude::*};

/// A labelled single-line input. `node_ref` and `on_focus` serve callers that insert
/// text at the caret (the template editor's variable picker).
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(into, default = "text".into())] kind: String,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] autofocus: bool,
    #[prop(optional)] node_ref: NodeRef<html::Input>,
    #[prop(optional, into)] on_focus: Option<Callback<()>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=autocomplete.clone().unwrap_or_default()
                type=kind
                autocomplete=autocomplete
                autofocus=autofocus
                node_ref=node_ref
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=move || error.get().map(|_| described.clone())
                on:focus=move |_| {
                    if let Some(on_focus) = on_focus {
                        on_focus.run(());
                    }
                }
                bind:value=value
            />
            <FieldError id=error_id error=error/>
        </div>
    }
}

/// The reason a field was refused, under it; `id` is what the field's
/// `aria-describedby` names. `alert` announces it (a rule about a whole list).
#[component]
pub fn FieldError(
    #[prop(into, optional)] id: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] alert: bool,
) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some()>
            <p class="field-error" id=id.clone() role=alert.then_some("alert")>{move || error.get().unwrap_or_default()}</p>
        </Show>
    }
}
