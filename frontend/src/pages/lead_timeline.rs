//! A lead's timeline on its profile: the cadences it is (or was) in, with their
//! actions, and every interaction (sent, opened, clicked, replied, bounced…), newest
//! first. While a step is about to go out it looks again every few seconds. One-off
//! e-mails still on their way, or waiting for review, are listed above it.

use std::sync::{
    atomic::{AtomicBool, Ordering::Relaxed},
    Arc,
};

use flux_dto::{
    enrollments::{EnrollmentStatus, InteractionDto},
    query::Page,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use uuid::Uuid;

use crate::{
    api,
    components::feedback::{loaded, Empty},
    format, labels,
    pages::{
        cadences::detail::EnrollmentTable, enroll::EnrollPanel, lead_pending_emails::PendingEmails,
    },
    session::use_session,
};

const PER_PAGE: i64 = 50;
/// The most interactions one request returns (the API's page limit).
const MAX_SHOWN: i64 = 200;
const POLL_MS: i32 = 5_000;
/// Looked at again while a step is due within this long (or overdue).
const SOON_MS: f64 = 10.0 * 60.0 * 1000.0;

#[component]
pub fn LeadTimeline(
    lead_id: Uuid,
    /// Changes when something outside (the AI drawer's e-mail) added to the timeline.
    #[prop(optional)]
    changed: Option<RwSignal<u32>>,
) -> impl IntoView {
    let session = use_session();
    let shown = RwSignal::new(PER_PAGE);
    let timeline = LocalResource::new(move || {
        let shown = shown.get();
        if let Some(changed) = changed {
            changed.track();
        }
        async move { api::leads::timeline(lead_id, Page::first(shown)).await }
    });
    let reload = Callback::new(move |()| timeline.refetch());

    // Steps go out in the background: while one may still go out, look again.
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Relaxed));
    }
    spawn_local(async move {
        loop {
            crate::timer::sleep(POLL_MS).await;
            if !alive.load(Relaxed) {
                break;
            }
            let soon = js_sys::Date::now() + SOON_MS;
            let running = timeline.with_untracked(|t| {
                t.as_ref().and_then(|r| r.as_ref().ok()).is_some_and(|t| {
                    t.enrollments.iter().any(|e| {
                        e.status == EnrollmentStatus::Active
                            && !e.cadence_held
                            && e.next_step_due
                                .is_some_and(|due| (due.timestamp_millis() as f64) < soon)
                    })
                })
            });
            if running {
                timeline.refetch();
            }
        }
    });

    let writer = session.can("cadences:write");
    view! {
        <section class="card" aria-labelledby="timeline-title">
            <div class="page-header">
                <h2 id="timeline-title">"Linha do tempo"</h2>
                <button type="button" class="button secondary" on:click=move |_| reload.run(())>"Atualizar"</button>
            </div>
            // Outside the data below, so a refresh keeps the last enrollment's result.
            {writer.then(|| view! {
                <EnrollPanel lead_ids=vec![lead_id]
                    names=std::collections::HashMap::from([(lead_id, "Este lead".to_owned())])
                    on_done=reload/>
            })}
            <PendingEmails lead_id=lead_id changed=changed on_ended=reload/>
            {move || loaded(timeline.get(), Some(reload), |t| {
                    let shown_now = t.interactions.len() as i64;
                    let more = t.total > shown_now && shown_now < MAX_SHOWN;
                    let capped = t.total > shown_now && shown_now >= MAX_SHOWN;
                    let total = t.total;
                    view! {
                        <h3>"Cadências"</h3>
                        {if t.enrollments.is_empty() {
                            view! { <Empty message="Este lead não está em nenhuma cadência."/> }.into_any()
                        } else {
                            view! { <EnrollmentTable items=t.enrollments writer=writer on_change=reload show_cadence=true/> }.into_any()
                        }}
                        <h3>"Interações"</h3>
                        {if t.interactions.is_empty() {
                            view! { <Empty message="Nenhuma interação ainda."/> }.into_any()
                        } else {
                            view! {
                                <ol class="timeline" aria-label="Interações, mais recentes primeiro">
                                    {t.interactions.into_iter().map(|i| view! { <Interaction interaction=i/> }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                        {more.then(|| view! {
                            <button type="button" class="button secondary"
                                on:click=move |_| shown.update(|n| *n = (*n + PER_PAGE).min(MAX_SHOWN))>"Ver mais"</button>
                        })}
                        {capped.then(|| view! {
                            <p class="muted">{format!("Mostrando as {MAX_SHOWN} interações mais recentes de {total}.")}</p>
                        })}
                    }.into_any()
                })}
        </section>
    }
}

#[component]
fn Interaction(interaction: InteractionDto) -> impl IntoView {
    let i = interaction;
    let (label, class) = labels::interaction(i.kind);
    let step = match (i.cadence_id, i.cadence_name.clone(), i.step_position) {
        (Some(id), Some(name), Some(position)) => Some(
            view! {
                <A href=format!("/cadencias/{id}")>{name}</A> {format!(" · passo {position}")}
            }
            .into_any(),
        ),
        (Some(id), Some(name), None) => {
            Some(view! { <A href=format!("/cadencias/{id}")>{name}</A> }.into_any())
        }
        _ => None,
    };
    view! {
        <li class="timeline-item" data-type=serde_json::to_value(i.kind).ok().and_then(|v| v.as_str().map(str::to_owned))>
            <time datetime=i.occurred_at.to_rfc3339()>{format::date_time(i.occurred_at)}</time>
            <span class=class>{label}</span>
            {i.channel.map(|c| view! { <span class="muted">{labels::channel(c)}</span> })}
            {step.map(|s| view! { <span>{s}</span> })}
            // Written by a member outside any cadence.
            {(i.cadence_id.is_none() && i.actor_id.is_some()).then(|| view! { <span class="muted">"E-mail avulso"</span> })}
            {i.ai_generated.then(|| view! { <span class="badge badge-info">"IA"</span> })}
            {i.summary.map(|s| view! { <p class="timeline-summary">{s}</p> })}
        </li>
    }
}
