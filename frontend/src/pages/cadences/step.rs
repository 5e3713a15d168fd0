//! One step of the cadence builder: its row state and the editor of its channel,
//! template, delay and AI personalization, with the handle that reorders it.

use flux_domain::cadence::{MAX_DELAY_DAYS, MAX_DELAY_HOURS, MIN_STEPS};
use flux_dto::{
    cadences::CadenceStepInput,
    templates::{Channel, TemplateDto},
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{api::ApiError, components::field::FieldError, labels};

/// One step being edited. `key` stays with the step while it moves, so the list keeps
/// each row's DOM (and focus) instead of rebuilding it.
#[derive(Clone, Copy)]
pub(super) struct StepRow {
    pub(super) key: usize,
    pub(super) id: Option<Uuid>,
    pub(super) channel: RwSignal<Channel>,
    pub(super) template_id: RwSignal<String>,
    pub(super) delay_days: RwSignal<String>,
    pub(super) delay_hours: RwSignal<String>,
    pub(super) ai: RwSignal<bool>,
}

impl StepRow {
    pub(super) fn input(&self) -> CadenceStepInput {
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
    pub(super) fn delay_hours_total(&self) -> i64 {
        let read = |s: RwSignal<String>| s.get().trim().parse::<i64>().unwrap_or(0).max(0);
        read(self.delay_days) * 24 + read(self.delay_hours)
    }
}

/// Puts the focus on a step's handle once the list has been redrawn.
pub(super) fn focus_handle(key: usize) {
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

#[component]
pub(super) fn StepEditor(
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
    fn offsets_read_as_the_day_and_hour_after_enrolling() {
        assert_eq!(offset_label(0), "Dia 0");
        assert_eq!(offset_label(52), "Dia 2, 4h");
    }
}
