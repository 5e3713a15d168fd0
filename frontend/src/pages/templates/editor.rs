//! The template editor: name, channel, subject and body with a variable picker, and
//! the live preview beside them.

use flux_dto::templates::{
    Channel, CreateTemplateRequest, TemplateDto, TemplateVariable, UpdateTemplateRequest,
    VariableSource,
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
        feedback::{loaded, FormError},
        field::{FieldError, TextField},
    },
    labels,
    pages::field_error,
    session::use_session,
};

use super::{duplicate_and_open, preview::LivePreview};

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
