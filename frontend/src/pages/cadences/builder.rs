//! The cadence builder (`/cadencias/nova`, `/cadencias/:id/editar`): name, description
//! and the steps (channel, template, delay, AI personalization), reordered by dragging
//! a step or from the keyboard (arrow keys on the step's handle, or its up/down buttons).

use flux_domain::cadence::{MAX_DELAY_DAYS, MAX_DELAY_HOURS, MAX_STEPS, MIN_STEPS};
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
    labels,
    pages::field_error,
};

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

/// One step being edited. `key` stays with the step while it moves, so the list keeps
/// each row's DOM (and focus) instead of rebuilding it.
#[derive(Clone, Copy)]
struct StepRow {
    key: usize,
    id: Option<Uuid>,
    channel: RwSignal<Channel>,
    template_id: RwSignal<String>,
    delay_days: RwSignal<String>,
    delay_hours: RwSignal<String>,
    ai: RwSignal<bool>,
}

impl StepRow {
    fn input(&self) -> CadenceStepInput {
        // A value that is not a number goes out as -1, so the server names the field
        // and its range, like any other out-of-range value.
        let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<i32>().unwrap_or(-1);
        CadenceStepInput {
            id: self.id,
            channel: self.channel.get_untracked(),
            template_id: self
                .template_id
                .get_untracked()
                .parse()
                .unwrap_or(Uuid::nil()),
            delay_days: number(self.delay_days),
            delay_hours: number(self.delay_hours),
            ai_personalization: self.ai.get_untracked(),
        }
    }

    /// Days and hours after the previous step (0 when blank or not a number yet).
    fn delay_hours_total(&self) -> i64 {
        let read = |s: RwSignal<String>| s.get().trim().parse::<i64>().unwrap_or(0).max(0);
        read(self.delay_days) * 24 + read(self.delay_hours)
    }
}

/// Puts the focus on a step's handle once the list has been redrawn.
fn focus_handle(key: usize) {
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(handle) = document()
            .get_element_by_id(&step_element_id(key, "handle"))
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = handle.focus();
        }
    });
}

/// The id of one of a step's elements (its handle gets the focus back after a move).
fn step_element_id(key: usize, what: &str) -> String {
    format!("step-{key}-{what}")
}

fn channel_value(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Whatsapp => "whatsapp",
    }
}

/// `Dia 3, 4h` from the enrollment: when a step goes out if every step before it did.
fn offset_label(hours: i64) -> String {
    match (hours / 24, hours % 24) {
        (days, 0) => format!("Dia {days}"),
        (days, h) => format!("Dia {days}, {h}h"),
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

#[component]
fn StepEditor(
    row: StepRow,
    steps: RwSignal<Vec<StepRow>>,
    templates: StoredValue<Vec<TemplateDto>>,
    error: RwSignal<Option<ApiError>>,
    dragging: RwSignal<Option<usize>>,
    move_to: Callback<(usize, usize)>,
    remove: Callback<usize>,
) -> impl IntoView {
    let key = row.key;
    let index =
        Memo::new(move |_| steps.with(|s| s.iter().position(|r| r.key == key).unwrap_or(0)));
    let count = Memo::new(move |_| steps.with(Vec::len));
    let offset = Memo::new(move |_| {
        steps.with(|s| {
            s.iter()
                .take(index.get() + 1)
                .map(StepRow::delay_hours_total)
                .sum::<i64>()
        })
    });
    // Server errors name the step by its position when the form was sent.
    let issue = move |field: &'static str| {
        Signal::derive(move || {
            error.with(|e| {
                e.as_ref()
                    .and_then(|e| e.field(&format!("steps[{}].{field}", index.get())))
            })
        })
    };
    let template_error = issue("template_id");
    let days_error = issue("delay_days");
    let hours_error = issue("delay_hours");
    let channel_error = issue("channel");
    let id = move |what: &str| step_element_id(key, what);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(from) = dragging.get_untracked() {
            move_to.run((from, index.get_untracked()));
        }
        dragging.set(None);
    };
    let on_handle_key = move |ev: leptos::ev::KeyboardEvent| {
        let i = index.get_untracked();
        match ev.key().as_str() {
            "ArrowUp" if i > 0 => {
                ev.prevent_default();
                move_to.run((key, i - 1));
            }
            "ArrowDown" if i + 1 < count.get_untracked() => {
                ev.prevent_default();
                move_to.run((key, i + 1));
            }
            _ => {}
        }
    };
    let options = move || {
        let channel = row.channel.get();
        templates.with_value(|all| {
            all.iter()
                .filter(|t| t.channel == channel)
                .map(|t| {
                    let value = t.id.to_string();
                    let selected = {
                        let value = value.clone();
                        move || row.template_id.get() == value
                    };
                    view! { <option value=value selected=selected>{t.name.clone()}</option> }
                })
                .collect_view()
        })
    };

    view! {
        <li class="step-row" class:dragging=move || dragging.get() == Some(key)
            data-testid=move || format!("step-{}", index.get() + 1)
            role="group" aria-label=move || format!("Passo {}", index.get() + 1)
            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=on_drop>
            <div class="step-head">
                <button type="button" class="drag-handle" id=id("handle") draggable="true"
                    on:dragstart=move |ev: leptos::ev::DragEvent| {
                        dragging.set(Some(key));
                        if let Some(dt) = ev.data_transfer() {
                            dt.set_effect_allowed("move");
                            let _ = dt.set_data("text/plain", &key.to_string());
                        }
                    }
                    on:dragend=move |_| dragging.set(None)
                    aria-label=move || format!("Passo {} de {}: use as setas para mover", index.get() + 1, count.get())
                    on:keydown=on_handle_key>"⠿"</button>
                <strong>{move || format!("Passo {}", index.get() + 1)}</strong>
                <span class="muted">{move || offset_label(offset.get())}</span>
                <span class="row-actions">
                    <button type="button" class="button secondary" aria-label=move || format!("Subir passo {}", index.get() + 1)
                        disabled=move || index.get() == 0
                        on:click=move |_| move_to.run((key, index.get_untracked().saturating_sub(1)))>"↑"</button>
                    <button type="button" class="button secondary" aria-label=move || format!("Descer passo {}", index.get() + 1)
                        disabled=move || { index.get() + 1 >= count.get() }
                        on:click=move |_| move_to.run((key, index.get_untracked() + 1))>"↓"</button>
                    <button type="button" class="button secondary" aria-label=move || format!("Remover passo {}", index.get() + 1)
                        disabled=move || { count.get() <= MIN_STEPS }
                        on:click=move |_| remove.run(key)>"Remover"</button>
                </span>
            </div>
            <div class="step-fields">
                <div class="field" class:has-error=move || channel_error.get().is_some()>
                    <label for=id("channel")>"Canal"</label>
                    <select id=id("channel") on:change=move |ev| {
                        row.channel.set(if event_target_value(&ev) == "whatsapp" { Channel::Whatsapp } else { Channel::Email });
                        row.template_id.set(String::new());
                    }>
                        {[Channel::Email, Channel::Whatsapp].into_iter().map(|c| view! {
                            <option value=channel_value(c) selected=move || row.channel.get() == c>{labels::channel(c)}</option>
                        }).collect_view()}
                    </select>
                    <FieldError error=channel_error/>
                </div>
                <div class="field grow" class:has-error=move || template_error.get().is_some()>
                    <label for=id("template")>"Template"</label>
                    <select id=id("template") on:change=move |ev| row.template_id.set(event_target_value(&ev))
                        aria-invalid=move || if template_error.get().is_some() { "true" } else { "false" }
                        aria-describedby=move || template_error.get().map(|_| id("template-error"))>
                        <option value="" selected=move || row.template_id.get().is_empty()>"Escolha um template…"</option>
                        {options}
                    </select>
                    <FieldError id=id("template-error") error=template_error/>
                </div>
                <div class="field narrow" class:has-error=move || days_error.get().is_some()>
                    <label for=id("days")>"Dias depois"</label>
                    <input id=id("days") type="number" min="0" max=MAX_DELAY_DAYS.to_string() inputmode="numeric" bind:value=row.delay_days
                        aria-invalid=move || if days_error.get().is_some() { "true" } else { "false" }
                        aria-describedby=move || days_error.get().map(|_| id("days-error"))/>
                    <FieldError id=id("days-error") error=days_error/>
                </div>
                <div class="field narrow" class:has-error=move || hours_error.get().is_some()>
                    <label for=id("hours")>"Horas depois"</label>
                    <input id=id("hours") type="number" min="0" max=MAX_DELAY_HOURS.to_string() inputmode="numeric" bind:value=row.delay_hours
                        aria-invalid=move || if hours_error.get().is_some() { "true" } else { "false" }
                        aria-describedby=move || hours_error.get().map(|_| id("hours-error"))/>
                    <FieldError id=id("hours-error") error=hours_error/>
                </div>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || row.ai.get() on:change=move |ev| row.ai.set(event_target_checked(&ev))/>
                    " Personalizar com IA"
                </label>
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_in_days_and_hours() {
        assert_eq!(offset_label(0), "Dia 0");
        assert_eq!(offset_label(52), "Dia 2, 4h");
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
