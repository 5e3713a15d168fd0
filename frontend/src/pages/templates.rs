//! Templates: the list (channel filter, search, reply rate, duplicate, delete) and
//! the editor (variable picker, live preview against a chosen lead).

use flux_dto::{
    lead_query::{LeadQuery, LeadSort, LeadSortKey},
    query::Page,
    templates::{
        Channel, CreateTemplateRequest, DuplicateTemplateRequest, PreviewPieceKind,
        PreviewTemplateRequest, RenderedText, TemplateDto, TemplatePreview, TemplateQuery,
        TemplateVariable, UpdateTemplateRequest, VariableSource,
    },
};
use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
    NavigateOptions,
};
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::{
        feedback::{confirm, loaded, Empty, FormError},
        field::{FieldError, TextField},
    },
    labels,
    pages::field_error,
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

/// Which text field the variable picker writes into.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Subject,
    Body,
}

/// `/templates/novo` and `/templates/:id`.
#[component]
pub fn TemplateEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let template = LocalResource::new(move || async move {
        match id() {
            Some(id) => api::templates::get_one(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <p><A href="/templates">"← Templates"</A></p>
        {move || loaded(template.get(), None, |t| view! { <TemplateEditor template=t/> }.into_any())}
    }
}

#[component]
fn TemplateEditor(template: Option<TemplateDto>) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let existing = template.as_ref().map(|t| t.id);
    let system = template.as_ref().is_some_and(|t| t.is_system);
    let read_only = system || !session.can("templates:write");
    let name = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_default(),
    );
    let channel = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.channel)
            .unwrap_or(Channel::Email),
    );
    let subject = RwSignal::new(
        template
            .as_ref()
            .and_then(|t| t.subject.clone())
            .unwrap_or_default(),
    );
    let body = RwSignal::new(
        template
            .as_ref()
            .map(|t| t.body.clone())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<ApiError>);
    let general = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let saved_name = RwSignal::new(template.as_ref().map(|t| t.name.clone()));
    let pending = RwSignal::new(false);
    let target = RwSignal::new(Target::Body);
    let subject_ref = NodeRef::<html::Input>::new();
    let body_ref = NodeRef::<html::Textarea>::new();

    let is_email = move || channel.get() == Channel::Email;
    let subject_for =
        move |channel: Channel, subject: String| (channel == Channel::Email).then_some(subject);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if read_only {
            return;
        }
        pending.set(true);
        saved.set(None);
        let navigate = navigate.clone();
        let channel_now = channel.get_untracked();
        let subject_now = subject_for(channel_now, subject.get_untracked());
        spawn_local(async move {
            let result = match existing {
                Some(id) => {
                    let body = UpdateTemplateRequest {
                        name: Some(name.get_untracked()),
                        subject: subject_now,
                        body: Some(body.get_untracked()),
                    };
                    api::templates::update(id, &body).await
                }
                None => {
                    let body = CreateTemplateRequest {
                        name: name.get_untracked(),
                        channel: channel_now,
                        subject: subject_now,
                        body: body.get_untracked(),
                    };
                    api::templates::create(&body).await
                }
            };
            pending.set(false);
            match result {
                Ok(t) => {
                    error.set(None);
                    general.set(None);
                    if existing.is_none() {
                        navigate(&format!("/templates/{}", t.id), NavigateOptions::default());
                    } else {
                        saved_name.set(Some(t.name));
                        saved.set(Some("Template salvo.".into()));
                    }
                }
                Err(e) => {
                    let issues = e.0.field_issues();
                    let on_fields = !issues.is_empty()
                        && issues
                            .iter()
                            .all(|f| ["name", "subject", "body"].contains(&f.field.as_str()));
                    general.set((!on_fields).then(|| e.message().to_owned()));
                    error.set(Some(e));
                }
            }
        });
    };

    // The picker writes `{{name}}` where the caret was in the field last focused. The
    // browser splices (`setRangeText` counts in UTF-16, as the caret does) and the
    // signal takes the element's new value, so the caret stays after the insertion.
    let insert = move |variable: String| {
        let placeholder = format!("{{{{{variable}}}}}");
        let inserted = placeholder.encode_utf16().count() as u32;
        if target.get_untracked() == Target::Subject && is_email() {
            if let Some(el) = subject_ref.get_untracked() {
                let len = el.value().encode_utf16().count() as u32;
                let start = el.selection_start().ok().flatten().unwrap_or(len);
                let end = el.selection_end().ok().flatten().unwrap_or(start);
                let _ = el.set_range_text_with_start_and_end(&placeholder, start, end);
                subject.set(el.value());
                let _ = el.focus();
                let _ = el.set_selection_range(start + inserted, start + inserted);
            }
        } else if let Some(el) = body_ref.get_untracked() {
            let len = el.value().encode_utf16().count() as u32;
            let start = el.selection_start().ok().flatten().unwrap_or(len);
            let end = el.selection_end().ok().flatten().unwrap_or(start);
            let _ = el.set_range_text_with_start_and_end(&placeholder, start, end);
            body.set(el.value());
            let _ = el.focus();
            let _ = el.set_selection_range(start + inserted, start + inserted);
        }
    };

    // A notice about the last save is stale once the text changes again.
    Effect::new(move |_| {
        name.track();
        subject.track();
        body.track();
        saved.set(None);
    });

    let title = move || match (saved_name.get(), system) {
        (Some(name), true) => format!("{name} (modelo do sistema)"),
        (Some(name), false) => format!("Editar: {name}"),
        (None, _) => "Novo template".to_owned(),
    };
    let source_id = existing;
    let can_write = session.can("templates:write");

    view! {
        <h1>{title}</h1>
        {system.then(|| view! {
            <p class="notice">"Modelos do sistema não podem ser alterados. Duplique-o para ajustar o texto."</p>
            {source_id.filter(|_| can_write).map(|id| view! { <DuplicateButton id=id/> })}
        })}
        <div class="template-editor">
            <form class="card" on:submit=submit novalidate aria-label="Template">
                <FormError error=general.read_only()/>
                <fieldset disabled=read_only>
                    <TextField id="template-name" label="Nome" value=name autocomplete="off" error=field_error(error, "name")/>
                    <div class="field">
                        <label for="template-channel-edit">"Canal"</label>
                        <select id="template-channel-edit" disabled=existing.is_some()
                            on:change=move |ev| channel.set(if event_target_value(&ev) == "whatsapp" { Channel::Whatsapp } else { Channel::Email })>
                            <option value="email" selected=move || channel.get() == Channel::Email>"E-mail"</option>
                            <option value="whatsapp" selected=move || channel.get() == Channel::Whatsapp>"WhatsApp"</option>
                        </select>
                    </div>
                    <Show when=is_email>
                        <TextField id="template-subject" label="Assunto" value=subject autocomplete="off" node_ref=subject_ref
                            on_focus=Callback::new(move |()| target.set(Target::Subject))
                            error=field_error(error, "subject")/>
                    </Show>
                    <div class="field" class:has-error=move || field_error(error, "body").get().is_some()>
                        <label for="template-body">"Mensagem"</label>
                        <textarea id="template-body" rows="12" node_ref=body_ref
                            aria-invalid=move || if field_error(error, "body").get().is_some() { "true" } else { "false" }
                            aria-describedby=move || field_error(error, "body").get().map(|_| "template-body-error")
                            on:focus=move |_| target.set(Target::Body)
                            prop:value=move || body.get()
                            on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                        <FieldError id="template-body-error" error=field_error(error, "body")/>
                    </div>
                    <button type="submit" class="button primary" disabled=move || pending.get()>
                        {if existing.is_some() { "Salvar alterações" } else { "Criar template" }}
                    </button>
                </fieldset>
                <Show when=move || saved.get().is_some()>
                    <p class="notice" role="status">{move || saved.get()}</p>
                </Show>
            </form>
            <aside class="template-side">
                <LivePreview channel=channel subject=subject body=body/>
                {(!read_only).then(|| view! { <VariablePicker on_pick=Callback::new(move |v: String| insert(v))/> })}
            </aside>
        </div>
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

#[component]
fn DuplicateButton(id: Uuid) -> impl IntoView {
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let duplicate = move |_| duplicate_and_open(id, navigate.clone(), error);
    view! {
        <FormError error=error.read_only()/>
        <button type="button" class="button primary" on:click=duplicate>"Duplicar para editar"</button>
    }
}

#[component]
fn VariablePicker(on_pick: Callback<String>) -> impl IntoView {
    let variables = LocalResource::new(api::templates::variables);
    view! {
        <section class="card picker" aria-labelledby="picker-title">
            <h2 id="picker-title">"Variáveis"</h2>
            <p class="muted">"Clique para inserir onde está o cursor. Use "<code>"{{a|b}}"</code>" para cair em outra variável, ou "<code>"{{a|\"texto\"}}"</code>" para um valor padrão."</p>
            {move || loaded(variables.get(), None, |list| {
                    let groups = [VariableSource::Lead, VariableSource::Sender, VariableSource::Organization, VariableSource::Context];
                    groups.into_iter().map(|source| {
                        let items: Vec<TemplateVariable> = list.items.iter().filter(|v| v.source == source).cloned().collect();
                        (!items.is_empty()).then(|| view! {
                            <h3>{labels::variable_source(source)}</h3>
                            <ul class="variable-list">
                                {items.into_iter().map(|v| {
                                    let name = v.name.clone();
                                    view! {
                                        <li>
                                            <button type="button" class="variable" title=format!("Ex.: {}", v.example)
                                                aria-label=format!("Inserir {} ({})", v.name, v.label)
                                                on:click=move |_| on_pick.run(name.clone())>
                                                <code>{format!("{{{{{}}}}}", v.name)}</code>
                                                <span>{v.label.clone()}</span>
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })
                    }).collect_view().into_any()
                })}
        </section>
    }
}

/// The text rendered as it would be sent, for example values or a chosen lead;
/// refreshed a moment after typing stops.
#[component]
fn LivePreview(
    channel: RwSignal<Channel>,
    subject: RwSignal<String>,
    body: RwSignal<String>,
) -> impl IntoView {
    let lead_search = RwSignal::new(String::new());
    let lead_id = RwSignal::new(None::<Uuid>);
    let leads = LocalResource::new(move || {
        let q = lead_search.get();
        async move {
            let filter = LeadQuery {
                q: Some(q.trim().to_owned()).filter(|q| !q.is_empty()),
                sort: Some(LeadSort {
                    key: LeadSortKey::RazaoSocial,
                    descending: false,
                }),
                ..LeadQuery::default()
            };
            api::leads::list(&filter, Page::first(20)).await
        }
    });
    // A lead that left the list (a new search) is no longer the one previewed.
    Effect::new(move |_| {
        leads.with(|list| {
            if let (Some(Ok(list)), Some(id)) = (list, lead_id.get_untracked()) {
                if !list.items.iter().any(|l| l.id == id) {
                    lead_id.set(None);
                }
            }
        });
    });
    let preview = RwSignal::new(None::<Result<TemplatePreview, ApiError>>);
    let generation = RwSignal::new(0_u64);
    let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, std::sync::atomic::Ordering::Relaxed));
    }
    Effect::new(move |_| {
        let request = PreviewTemplateRequest {
            channel: channel.get(),
            subject: (channel.get() == Channel::Email).then(|| subject.get()),
            body: body.get(),
            lead_id: lead_id.get(),
        };
        let this = generation.get_untracked() + 1;
        generation.set(this);
        let alive = alive.clone();
        spawn_local(async move {
            crate::timer::sleep(350).await;
            let current = || {
                alive.load(std::sync::atomic::Ordering::Relaxed)
                    && generation.get_untracked() == this
            };
            if !current() {
                return;
            }
            if request.body.trim().is_empty() {
                preview.set(None);
                return;
            }
            let result = api::templates::preview(&request).await;
            if current() {
                preview.set(Some(result));
            }
        });
    });

    view! {
        <section class="card preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Prévia"</h2>
            <div class="field">
                <label for="preview-lead-search">"Buscar lead"</label>
                <input id="preview-lead-search" type="search" placeholder="Razão social, CNPJ, cidade… e Enter"
                    on:change=move |ev| lead_search.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="preview-lead">"Prévia para"</label>
                <select id="preview-lead" on:change=move |ev| lead_id.set(event_target_value(&ev).parse::<Uuid>().ok())>
                    <option value="">"Dados de exemplo"</option>
                    {move || leads.get().and_then(Result::ok).map(|list| list.items.into_iter().map(|l| {
                        let label = l.nome_fantasia.clone().or(l.razao_social.clone()).unwrap_or_else(|| l.cnpj_formatted.clone());
                        let id = l.id;
                        view! { <option value=id.to_string() selected=move || lead_id.get() == Some(id)>{label}</option> }
                    }).collect_view())}
                </select>
            </div>
            {move || match preview.get() {
                None => view! { <p class="muted">"Escreva a mensagem para ver a prévia."</p> }.into_any(),
                // Not an alert: half-typed placeholders are normal while writing.
                Some(Err(e)) => view! { <p class="form-error preview-error">{e.field("body").or(e.field("subject")).unwrap_or_else(|| e.message().to_owned())}</p> }.into_any(),
                Some(Ok(p)) => view! {
                    {p.subject.map(|s| view! { <p class="preview-subject"><strong>"Assunto: "</strong><Rendered text=s/></p> })}
                    <div class="preview-body"><Rendered text=p.body/></div>
                    {(!p.missing.is_empty()).then(|| view! {
                        <p class="notice warn">
                            {format!("Faltam dados deste lead: {}. A etapa não seria enviada; use um valor padrão, por exemplo ", p.missing.join(", "))}
                            <code>{format!("{{{{{}|\"…\"}}}}", p.missing[0])}</code>"."
                        </p>
                    })}
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Rendered(text: RenderedText) -> impl IntoView {
    text.pieces
        .into_iter()
        .map(|piece| match piece.kind {
            PreviewPieceKind::Text => view! { <span>{piece.text}</span> }.into_any(),
            PreviewPieceKind::Value => view! {
                <mark class="pv-value" title=piece.variable.clone().unwrap_or_default()>{piece.text}</mark>
            }
            .into_any(),
            PreviewPieceKind::Missing => view! {
                <mark class="pv-missing" title="Sem valor para este lead">{piece.text}</mark>
            }
            .into_any(),
        })
        .collect_view()
}
