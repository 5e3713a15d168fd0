use leptos::prelude::*;

/// Sections whose capability ships with a later issue: an honest empty state.
#[component]
pub fn NotBuiltPage(
    #[prop(into)] title: String,
    #[prop(into)] description: String,
) -> impl IntoView {
    view! {
        <h1>{title}</h1>
        <div class="state state-empty">
            <p>{description}</p>
            <p class="muted">"Esta área ainda está em construção."</p>
        </div>
    }
}
