//! Templates: the list (channel filter, search, reply rate, duplicate, delete) and
//! the editor (`editor`: variable picker, live preview against a chosen lead).

pub mod editor;
mod preview;

use flux_dto::{
    query::Page,
    templates::{DuplicateTemplateRequest, TemplateDto, TemplateQuery},
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_navigate, NavigateOptions};
use uuid::Uuid;

use crate::{
    api::{self},
    components::feedback::{confirm, loaded, Empty, FormError},
    labels,
    session::use_session,
    texts,
};

fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0).replace('.', ",")
}

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let session = use_session();
    let channel = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let templates = LocalResource::new(move || {
        let channel = channel.get();
        let q = query.get();
        async move {
            let filter = TemplateQuery {
                channel: channel.parse().ok(),
                q: Some(q.trim().to_owned()).filter(|q| !q.is_empty()),
            };
            api::templates::list(&filter, Page::first(Page::MAX_PER_PAGE)).await
        }
    });
    let reload = Callback::new(move |()| templates.refetch());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set(search.get_untracked());
    };

    view! {
        <div class="page-header">
            <h1>{texts::NAV_TEMPLATES}</h1>
            <div class="actions">
                <Show when=move || session.can("templates:write")>
                    <A href="/templates/novo" attr:class="button primary">"Novo template"</A>
                </Show>
            </div>
        </div>
        <form class="filters" role="search" on:submit=submit>
            <div class="field">
                <label for="template-channel">"Canal"</label>
                <select id="template-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                    <option value="">"Todos"</option>
                    <option value="email">"E-mail"</option>
                    <option value="whatsapp">"WhatsApp"</option>
                </select>
            </div>
            <div class="field grow">
                <label for="template-search">"Buscar"</label>
                <input id="template-search" type="search" placeholder="Nome do template" bind:value=search/>
            </div>
            <button type="submit" class="button secondary">"Buscar"</button>
        </form>
        {move || loaded(templates.get(), Some(reload), |value| match value {
            list if list.items.is_empty() => view! { <Empty message="Nenhum template encontrado."/> }.into_any(),
            list => {
                let more = (list.total > list.items.len() as i64).then(|| format!(
                    "Mostrando {} de {} templates: refine a busca para ver os demais.", list.items.len(), list.total
                ));
                view! {
                    <TemplatesTable templates=list.items writer=session.can("templates:write") on_change=reload/>
                    {more.map(|m| view! { <p class="muted">{m}</p> })}
                }.into_any()
            }
        })}
    }
}

#[component]
fn TemplatesTable(
    templates: Vec<TemplateDto>,
    writer: bool,
    on_change: Callback<()>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let duplicate = move |id: Uuid| duplicate_and_open(id, navigate.clone(), error);
    let remove = move |id: Uuid, name: String| {
        if !confirm(&format!("Excluir o template \"{name}\"?")) {
            return;
        }
        spawn_local(async move {
            match api::templates::remove(id).await {
                Ok(()) => on_change.run(()),
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    view! {
        <FormError error=error.read_only()/>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">{texts::NAME}</th>
                    <th scope="col">"Canal"</th>
                    <th scope="col">"Variáveis"</th>
                    <th scope="col">"Envios"</th>
                    <th scope="col">"Respostas"</th>
                    {writer.then(|| view! { <th scope="col">"Ações"</th> })}
                </tr>
            </thead>
            <tbody>
                {templates.into_iter().map(|t| {
                    let id = t.id;
                    let name = t.name.clone();
                    let duplicate = duplicate.clone();
                    view! {
                        <tr>
                            <td>
                                <A href=format!("/templates/{id}")>{t.name.clone()}</A>
                                {t.is_system.then(|| view! { " " <span class="badge badge-info">"Sistema"</span> })}
                            </td>
                            <td>{labels::channel(t.channel)}</td>
                            <td class="chips">{t.variables_used.iter().map(|v| view! { <code>{format!("{{{{{v}}}}}")}</code> }).collect_view()}</td>
                            <td>{t.stats.sent}</td>
                            <td>{if t.stats.sent > 0 { percent(t.stats.reply_rate) } else { "—".to_owned() }}</td>
                            {writer.then(|| view! {
                                <td class="row-actions">
                                    <button type="button" class="button secondary" aria-label=format!("Duplicar {name}")
                                        on:click=move |_| duplicate(id)>"Duplicar"</button>
                                    {(!t.is_system).then(|| {
                                        let name = name.clone();
                                        view! {
                                            <button type="button" class="button secondary" aria-label=format!("Excluir {name}")
                                                on:click=move |_| remove(id, name.clone())>"Excluir"</button>
                                        }
                                    })}
                                </td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Copies a template and opens the copy in the editor; a refusal shows in `error`.
fn duplicate_and_open<N>(id: Uuid, navigate: N, error: RwSignal<Option<String>>)
where
    N: Fn(&str, NavigateOptions) + 'static,
{
    spawn_local(async move {
        let body = DuplicateTemplateRequest::default();
        match api::templates::duplicate(id, &body).await {
            Ok(copy) => navigate(
                &format!("/templates/{}", copy.id),
                NavigateOptions::default(),
            ),
            Err(e) => error.set(Some(e.message().to_owned())),
        }
    });
}
