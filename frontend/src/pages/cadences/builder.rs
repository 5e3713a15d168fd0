//! The cadence builder (`/cadencias/nova`, `/cadencias/:id/editar`): name, description
//! and the steps (channel, template, delay, AI personalization), reordered by dragging
//! a step or from the keyboard (arrow keys on the step's handle, or its up/down buttons).

use flux_domain::cadence::{MAX_STEPS, MIN_STEPS};
use flux_dto::{
    cadences::{CadenceDto, CadenceStepInput, CreateCadenceRequest, UpdateCadenceRequest},
    query::Page,
    templates::{Channel, TemplateDto, TemplateQuery},
};
use leptos::{prelude::*, task::spawn_local};
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
    pages::field_error,
};

use super::step::{focus_handle, StepEditor, StepRow};

/// `/cadencias/nova` and `/cadencias/:id/editar`.
#[component]
pub fn CadenceBuilderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let data = LocalResource::new(move || async move {
        let templates =
            api::templates::list(&TemplateQuery::default(), Page::first(Page::MAX_PER_PAGE))
                .await?;
        let cadence = match id() {
            Some(id) => Some(api::cadences::get_one(id).await?),
            None => None,
        };
        Ok::<_, ApiError>((templates.items, cadence))
    });
    view! {
        {move || match id() {
            Some(id) => view! { <p><A href=format!("/cadencias/{id}")>"← Cadência"</A></p> }.into_any(),
            None => view! { <p><A href="/cadencias">"← Cadências"</A></p> }.into_any(),
        }}
        {move || loaded(data.get(), None, |(templates, cadence)| view! { <Builder templates=templates cadence=cadence/> }.into_any())}
    }
}

/// Whether the form shows an error for `field` next to an input (any other goes to
/// the message at the top, e.g. `steps[1].id` after someone else changed the steps).
fn shown_field(field: &str) -> bool {
    if ["name", "description", "steps"].contains(&field) {
        return true;
    }
    field
        .strip_prefix("steps[")
        .and_then(|rest| rest.split_once("]."))
        .is_some_and(|(index, name)| {
            index.parse::<usize>().is_ok()
                && ["channel", "template_id", "delay_days", "delay_hours"].contains(&name)
        })
}

/// `3 dias e 4 h`.
fn duration_label(hours: i64) -> String {
    let days = match hours / 24 {
        1 => "1 dia".to_owned(),
        n => format!("{n} dias"),
    };
    match hours % 24 {
        0 => days,
        h => format!("{days} e {h} h"),
    }
}

#[component]
fn Builder(templates: Vec<TemplateDto>, cadence: Option<CadenceDto>) -> impl IntoView {
    let navigate = use_navigate();
    let existing = cadence.as_ref().map(|c| c.id);
    let name = RwSignal::new(cadence.as_ref().map(|c| c.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        cadence
            .as_ref()
            .and_then(|c| c.description.clone())
            .unwrap_or_default(),
    );
    let next_key = StoredValue::new(0usize);
    let new_row = move |id: Option<Uuid>,
                        channel: Channel,
                        template: String,
                        days: i32,
                        hours: i32,
                        ai: bool| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        StepRow {
            key,
            id,
            channel: RwSignal::new(channel),
            template_id: RwSignal::new(template),
            delay_days: RwSignal::new(days.to_string()),
            delay_hours: RwSignal::new(hours.to_string()),
            ai: RwSignal::new(ai),
        }
    };
    let initial: Vec<StepRow> = match &cadence {
        Some(c) => c
            .steps
            .iter()
            .map(|s| {
                new_row(
                    Some(s.id),
                    s.channel,
                    s.template_id.to_string(),
                    s.delay_days,
                    s.delay_hours,
                    s.ai_personalization,
                )
            })
            .collect(),
        None => vec![
            new_row(None, Channel::Email, String::new(), 0, 0, false),
            new_row(None, Channel::Email, String::new(), 3, 0, false),
        ],
    };
    let steps = RwSignal::new(initial);
    let templates = StoredValue::new(templates);
    let error = RwSignal::new(None::<ApiError>);
    let general = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let announcement = RwSignal::new(String::new());
    let dragging = RwSignal::new(None::<usize>);

    let index_of = move |key: usize| steps.with(|s| s.iter().position(|r| r.key == key));
    // Moves the step `key` to `to` and says so to screen readers; the handle keeps focus.
    let move_to = move |key: usize, to: usize| {
        let Some(from) = index_of(key) else { return };
        let len = steps.with_untracked(Vec::len);
        if to >= len || to == from {
            return;
        }
        steps.update(|s| {
            let row = s.remove(from);
            s.insert(to, row);
        });
        // Server errors name steps by their position when sent: stale once moved.
        error.set(None);
        announcement.set(format!(
            "Passo movido da posição {} para a posição {} de {len}.",
            from + 1,
            to + 1
        ));
        focus_handle(key);
    };
    let add_step = move |_| {
        let channel = steps.with_untracked(|s| {
            s.last()
                .map(|r| r.channel.get_untracked())
                .unwrap_or(Channel::Email)
        });
        steps.update(|s| s.push(new_row(None, channel, String::new(), 2, 0, false)));
        announcement.set(format!(
            "Passo {} adicionado.",
            steps.with_untracked(Vec::len)
        ));
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        let inputs: Vec<CadenceStepInput> =
            steps.with_untracked(|s| s.iter().map(StepRow::input).collect());
        let name_now = name.get_untracked();
        let description_now = description.get_untracked();
        let description_now = (!description_now.trim().is_empty()).then_some(description_now);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match existing {
                Some(id) => {
                    let body = UpdateCadenceRequest {
                        name: Some(name_now),
                        description: Some(description_now),
                        steps: Some(inputs),
                    };
                    api::cadences::update(id, &body).await
                }
                None => {
                    let body = CreateCadenceRequest {
                        name: name_now,
                        description: description_now,
                        steps: inputs,
                    };
                    api::cadences::create(&body).await
                }
            };
            pending.set(false);
            match result {
                Ok(c) => navigate(&format!("/cadencias/{}", c.id), NavigateOptions::default()),
                Err(e) => {
                    let issues = e.0.field_issues();
                    let on_fields =
                        !issues.is_empty() && issues.iter().all(|f| shown_field(&f.field));
                    general.set((!on_fields).then(|| e.message().to_owned()));
                    error.set(Some(e));
                }
            }
        });
    };

    let title = if existing.is_some() {
        "Editar cadência"
    } else {
        "Nova cadência"
    };
    let running = cadence
        .as_ref()
        .is_some_and(|c| c.enrollments.active + c.enrollments.paused > 0);

    view! {
        <h1>{title}</h1>
        {running.then(|| view! {
            <p class="notice">"Esta cadência tem leads em andamento. Quem já passou de um passo não o recebe de novo; "
                "ao remover um passo, as inscrições que estavam nele seguem para o próximo."</p>
        })}
        <form class="card cadence-builder" on:submit=submit novalidate aria-label="Cadência">
            <FormError error=general.read_only()/>
            <TextField id="cadence-name" label="Nome" value=name autocomplete="off" error=field_error(error, "name")/>
            <div class="field" class:has-error=move || field_error(error, "description").get().is_some()>
                <label for="cadence-description">"Descrição (opcional)"</label>
                <textarea id="cadence-description" rows="2" prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                <FieldError error=field_error(error, "description")/>
            </div>
            <h2 id="steps-title">"Passos"</h2>
            <p class="muted" id="steps-help">
                {format!("De {MIN_STEPS} a {MAX_STEPS} passos. Arraste um passo pela alça, ou foque a alça e use as setas ↑ e ↓, para mudar a ordem. \
                O intervalo conta a partir do passo anterior (o primeiro, da inscrição).")}
            </p>
            <FieldError error=field_error(error, "steps") alert=true/>
            <p class="visually-hidden" aria-live="polite">{move || announcement.get()}</p>
            <ol class="step-list" aria-labelledby="steps-title" aria-describedby="steps-help">
                <For each=move || steps.get() key=|row| row.key let:row>
                    <StepEditor row=row steps=steps templates=templates error=error dragging=dragging
                        move_to=Callback::new(move |(key, to): (usize, usize)| move_to(key, to))
                        remove=Callback::new(move |key: usize| {
                            let position = index_of(key).map(|i| i + 1).unwrap_or_default();
                            steps.update(|s| s.retain(|r| r.key != key));
                            error.set(None);
                            // Focus goes to the step that took its place (or the new last one).
                            let next = steps.with_untracked(|s| {
                                s.get(position.saturating_sub(1).min(s.len().saturating_sub(1)))
                                    .map(|r| r.key)
                            });
                            if let Some(next) = next {
                                focus_handle(next);
                            }
                            announcement.set(format!("Passo {position} removido."));
                        })/>
                </For>
            </ol>
            <div class="actions">
                <button type="button" class="button secondary" on:click=add_step
                    disabled=move || { steps.with(Vec::len) >= MAX_STEPS }>"Adicionar passo"</button>
                <span class="muted">{move || {
                    let total: i64 = steps.with(|s| s.iter().map(StepRow::delay_hours_total).sum());
                    format!("Duração total: {}", duration_label(total))
                }}</span>
            </div>
            <button type="submit" class="button primary" disabled=move || pending.get()>
                {if existing.is_some() { "Salvar cadência" } else { "Criar cadência" }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_in_days_and_hours() {
        assert_eq!(duration_label(24), "1 dia");
        assert_eq!(duration_label(76), "3 dias e 4 h");
        assert_eq!(duration_label(5), "0 dias e 5 h");
    }

    #[test]
    fn step_errors_show_next_to_their_inputs_and_others_on_top() {
        assert!(shown_field("name"));
        assert!(shown_field("steps[2].template_id"));
        assert!(!shown_field("steps[x].template_id"));
        assert!(!shown_field("steps[1].id"));
        assert!(!shown_field("org_id"));
    }
}
