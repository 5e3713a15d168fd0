//! A lead's one-off e-mails that have not ended yet, on its timeline: queued or being
//! sent (with the last transient error while retries back off), and those a person
//! settles because the mail server never confirmed them. Ended ones (sent, failed) are
//! interactions on the timeline; this list is how nothing in between gets lost once
//! the AI drawer is closed.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, Ordering::Relaxed},
        Arc,
    },
};

use flux_dto::{
    enrollments::{ResolveReviewRequest, ReviewOutcome},
    one_off_emails::{OneOffEmail, OneOffEmailList, SendState},
    query::Page,
};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::feedback::{ErrorBox, FormError},
    format, labels,
    session::use_session,
    timer::sleep,
};

/// The newest one-offs looked at (the API's page limit): pending ones are recent.
const LOOKED_AT: i64 = 200;
const POLL_MS: i32 = 5_000;

/// Still on its way, or waiting for a person.
fn is_pending(state: SendState) -> bool {
    !state.is_final() || state == SendState::NeedsReview
}

/// The e-mails on their way as last fetched (`None`: not loaded, or the fetch failed).
fn in_flight(emails: &LocalResource<Result<OneOffEmailList, ApiError>>) -> Option<HashSet<Uuid>> {
    emails.with_untracked(|r| {
        r.as_ref().and_then(|r| r.as_ref().ok()).map(|l| {
            l.items
                .iter()
                .filter(|e| !e.state.is_final())
                .map(|e| e.id)
                .collect()
        })
    })
}

/// Settles an e-mail the server never confirmed: the member looked in the sent
/// folder. `NotSent` delivers it again.
pub(crate) async fn settle_review(
    lead_id: Uuid,
    email_id: Uuid,
    outcome: ReviewOutcome,
) -> Result<OneOffEmail, ApiError> {
    api::one_off_emails::settle_review(lead_id, email_id, &ResolveReviewRequest { outcome }).await
}

#[component]
pub fn PendingEmails(
    lead_id: Uuid,
    /// Changes when the AI drawer sent or settled an e-mail.
    changed: Option<RwSignal<u32>>,
    /// Run when one of them ended or was settled here: the timeline has it now.
    on_ended: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let writer = session.can("leads:write");
    let emails = LocalResource::new(move || {
        if let Some(changed) = changed {
            changed.track();
        }
        async move { api::one_off_emails::list(lead_id, Page::first(LOOKED_AT)).await }
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
        let mut before = HashSet::new();
        loop {
            sleep(POLL_MS).await;
            if !alive.load(Relaxed) {
                break;
            }
            match in_flight(&emails) {
                // A failed look: look again while something was on its way.
                None => {
                    if !before.is_empty() {
                        emails.refetch();
                    }
                }
                Some(now) => {
                    if before.iter().any(|id| !now.contains(id)) {
                        on_ended.try_run(());
                    }
                    if !now.is_empty() {
                        emails.refetch();
                    }
                    before = now;
                }
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
                    // The page may be another lead's by now.
                    on_ended.try_run(());
                }
                Err(e) => {
                    failure.try_set(Some(e.message().to_owned()));
                }
            }
            busy.try_set(false);
        });
    };

    // Only what changed is drawn again (a poll keeps the buttons and their focus).
    let pending = Memo::new(move |_| {
        emails
            .get()
            .and_then(Result::ok)
            .map(|l| {
                l.items
                    .into_iter()
                    .filter(|e| is_pending(e.state))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let load_error = move || emails.get().and_then(Result::err);
    view! {
        {move || load_error().map(|e| view! {
            <ErrorBox error=e retry=Callback::new(move |()| emails.refetch())/>
        })}
        <Show when=move || pending.with(|p| !p.is_empty())>
            <h3 id="pending-emails-title">"E-mails avulsos pendentes"</h3>
            <FormError error=failure.read_only()/>
            <ol class="timeline" aria-labelledby="pending-emails-title">
                <For each=move || pending.get() key=|e| (e.id, e.state, e.last_error.clone()) let:email>
                    <PendingEmail email=email writer=writer busy=busy settle=settle/>
                </For>
            </ol>
        </Show>
    }
}

#[component]
fn PendingEmail(
    email: OneOffEmail,
    writer: bool,
    busy: RwSignal<bool>,
    settle: impl Fn(Uuid, ReviewOutcome) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = email.id;
    let review = email.state == SendState::NeedsReview;
    let class = if review {
        "badge badge-error"
    } else {
        "badge badge-info"
    };
    // Queued again after a server's refusal: the queue tries later.
    let error = email
        .last_error
        .filter(|_| email.state == SendState::Prepared)
        .map(|e| format!("Nova tentativa em breve. Última resposta do servidor: {e}"));
    view! {
        <li class="timeline-item" data-email-state=serde_json::to_value(email.state).ok().and_then(|v| v.as_str().map(str::to_owned))>
            <time datetime=email.created_at.to_rfc3339()>{format::date_time(email.created_at)}</time>
            <span class=class>{labels::send_state(email.state)}</span>
            <span class="muted">{format!("E-mail avulso para {}", email.to)}</span>
            <p class="timeline-summary">{email.subject}</p>
            {error.map(|e| view! { <p class="muted">{e}</p> })}
            {review.then(|| view! {
                <p>"O servidor de e-mail não confirmou o envio. Veja na pasta de enviados da sua caixa e diga o que aconteceu."</p>
            })}
            {(review && writer && use_session().may_act_for(email.sender_id)).then(|| view! {
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
