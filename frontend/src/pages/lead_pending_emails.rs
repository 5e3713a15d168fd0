//! A lead's one-off e-mails that have not ended yet, on its timeline: queued or being
//! sent (with the last transient error while retries back off), and those a person
//! settles because the mail server never confirmed them. Ended ones (sent, failed) are
//! interactions on the timeline; this list is how nothing in between gets lost once
//! the AI drawer is closed.

use std::sync::{
    atomic::{AtomicBool, Ordering::Relaxed},
    Arc,
};

use flux_dto::{
    emails::{EmailState, LeadEmail, LeadEmailList},
    enrollments::{ResolveReviewRequest, ReviewOutcome},
};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::feedback::{ErrorBox, FormError},
    format,
    session::use_session,
    timer::sleep,
};

/// The newest one-offs looked at (the API's page limit): pending ones are recent.
const LOOKED_AT: i64 = 200;
const POLL_MS: i32 = 5_000;

pub(crate) fn state_label(state: EmailState) -> &'static str {
    match state {
        EmailState::Prepared => "Na fila",
        EmailState::Dispatching => "Enviando",
        EmailState::NeedsReview => "Aguardando revisão",
        EmailState::Sent => "Enviado",
        EmailState::Failed => "Falhou",
        EmailState::Cancelled => "Cancelado",
    }
}

/// Still on its way, or waiting for a person.
fn is_pending(state: EmailState) -> bool {
    !state.is_final() || state == EmailState::NeedsReview
}

fn in_flight(emails: &LocalResource<Result<LeadEmailList, ApiError>>) -> usize {
    emails.with_untracked(|r| {
        r.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, |l| {
            l.items.iter().filter(|e| !e.state.is_final()).count()
        })
    })
}

/// Settles an e-mail the server never confirmed: the member looked in the sent
/// folder. `NotSent` delivers it again.
pub(crate) async fn settle_review(
    lead_id: Uuid,
    email_id: Uuid,
    outcome: ReviewOutcome,
) -> Result<LeadEmail, ApiError> {
    api::post(
        &format!("/api/v1/leads/{lead_id}/emails/{email_id}/review"),
        &ResolveReviewRequest { outcome },
    )
    .await
}

#[component]
pub fn PendingEmails(
    lead_id: Uuid,
    /// Changes when the AI drawer sent or settled an e-mail.
    changed: Option<RwSignal<u32>>,
    /// Run when one of them ended or was settled here: the timeline has it now.
    on_ended: Callback<()>,
) -> impl IntoView {
    let writer = use_session().can("leads:write");
    let emails = LocalResource::new(move || {
        if let Some(changed) = changed {
            changed.track();
        }
        async move {
            api::get::<LeadEmailList>(&format!(
                "/api/v1/leads/{lead_id}/emails?per_page={LOOKED_AT}"
            ))
            .await
        }
    });
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    // While one is on its way, look again; when fewer are, the timeline has them.
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Relaxed));
    }
    spawn_local(async move {
        let mut before = 0;
        loop {
            sleep(POLL_MS).await;
            if !alive.load(Relaxed) {
                break;
            }
            let now = in_flight(&emails);
            if now < before {
                on_ended.run(());
            }
            before = now;
            if now > 0 {
                emails.refetch();
            }
        }
    });

    let settle = move |email_id: Uuid, outcome: ReviewOutcome| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            match settle_review(lead_id, email_id, outcome).await {
                Ok(_) => {
                    emails.refetch();
                    on_ended.run(());
                }
                Err(e) => {
                    failure.try_set(Some(e.message().to_owned()));
                }
            }
            busy.try_set(false);
        });
    };

    view! {
        {move || match emails.get() {
            None => ().into_any(),
            Some(Err(e)) => view! {
                <ErrorBox error=e retry=Callback::new(move |()| emails.refetch())/>
            }.into_any(),
            Some(Ok(list)) => {
                let pending: Vec<LeadEmail> =
                    list.items.into_iter().filter(|e| is_pending(e.state)).collect();
                if pending.is_empty() {
                    return ().into_any();
                }
                view! {
                    <h3 id="pending-emails-title">"E-mails avulsos pendentes"</h3>
                    <FormError error=failure.read_only()/>
                    <ol class="timeline" aria-labelledby="pending-emails-title">
                        {pending.into_iter().map(|e| view! {
                            <PendingEmail email=e writer=writer busy=busy settle=settle/>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }
        }}
    }
}

#[component]
fn PendingEmail(
    email: LeadEmail,
    writer: bool,
    busy: RwSignal<bool>,
    settle: impl Fn(Uuid, ReviewOutcome) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = email.id;
    let review = email.state == EmailState::NeedsReview;
    let class = if review {
        "badge badge-error"
    } else {
        "badge badge-info"
    };
    let error = email
        .last_error
        .filter(|_| !review)
        .map(|e| format!("Nova tentativa em breve. Última resposta do servidor: {e}"));
    view! {
        <li class="timeline-item" data-email-state=serde_json::to_value(email.state).ok().and_then(|v| v.as_str().map(str::to_owned))>
            <time datetime=email.created_at.to_rfc3339()>{format::date_time(email.created_at)}</time>
            <span class=class>{state_label(email.state)}</span>
            <span class="muted">{format!("E-mail avulso para {}", email.to)}</span>
            <p class="timeline-summary">{email.subject}</p>
            {error.map(|e| view! { <p class="muted">{e}</p> })}
            {review.then(|| view! {
                <p>"O servidor de e-mail não confirmou o envio. Veja na pasta de enviados da sua caixa e diga o que aconteceu."</p>
            })}
            {(review && writer).then(|| view! {
                <div class="actions">
                    <button type="button" class="button secondary" disabled=move || busy.get()
                        on:click=move |_| settle(id, ReviewOutcome::Sent)>"Está nos enviados"</button>
                    <button type="button" class="button secondary" disabled=move || busy.get()
                        on:click=move |_| settle(id, ReviewOutcome::NotSent)>"Não saiu: enviar de novo"</button>
                </div>
            })}
        </li>
    }
}
