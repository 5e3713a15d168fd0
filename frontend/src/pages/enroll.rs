//! Enrolling leads in a cadence, from the Leads table (the selection) and from a lead's
//! profile. Each lead is enrolled or refused with its reason; the panel lists both.

use std::collections::HashMap;

use flux_dto::{
    cadences::{CadenceQuery, CadenceStatus},
    enrollments::{EnrollRequest, EnrollResult},
    members::MemberStatus,
    query::Page,
};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;

use crate::{api, labels, session::use_session};

/// A cadence picker, a sender picker (managers enroll on behalf of a member) and the
/// per-lead outcome of the last enrollment.
#[component]
pub fn EnrollPanel(
    /// The leads to enroll.
    #[prop(into)]
    lead_ids: Signal<Vec<Uuid>>,
    /// Names to show refused leads by (an id prefix otherwise).
    #[prop(into)]
    names: Signal<HashMap<Uuid, String>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let cadences = LocalResource::new(|| async {
        api::cadences::list(&CadenceQuery::default(), Page::first(100))
            .await
            .map(|list| {
                list.items
                    .into_iter()
                    .filter(|c| c.status != CadenceStatus::Archived)
                    .collect::<Vec<_>>()
            })
    });
    let manager = session.can("enrollments:send_as");
    let members = LocalResource::new(move || async move {
        if manager {
            api::members::list().await.ok()
        } else {
            None
        }
    });
    let cadence = RwSignal::new(String::new());
    let sender = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<EnrollResult, String>>);

    let enroll = move |_| {
        let Ok(cadence_id) = cadence.get_untracked().parse::<Uuid>() else {
            outcome.set(Some(Err("Escolha uma cadência.".into())));
            return;
        };
        let body = EnrollRequest {
            lead_ids: lead_ids.get_untracked(),
            sender_id: sender.get_untracked().parse().ok(),
        };
        pending.set(true);
        spawn_local(async move {
            let result = api::enrollments::enroll(cadence_id, &body).await;
            pending.set(false);
            let ok = result.is_ok();
            outcome.set(Some(result.map_err(|e| e.message().to_owned())));
            if ok {
                on_done.try_run(());
            }
        });
    };
    let name_of = move |id: Uuid| {
        names
            .with_untracked(|n| n.get(&id).cloned())
            .unwrap_or_else(|| format!("Lead {}", &id.to_string()[..8]))
    };

    view! {
        <div class="enroll-panel" role="group" aria-label="Inscrever em cadência">
            <label for="enroll-cadence" class="visually-hidden">"Cadência"</label>
            <select id="enroll-cadence" on:change=move |ev| cadence.set(event_target_value(&ev))>
                <option value="">"Inscrever em cadência…"</option>
                {move || cadences.get().and_then(Result::ok).map(|items| items.into_iter().map(|c| {
                    let label = match c.status {
                        CadenceStatus::Active => c.name.clone(),
                        status => format!("{} ({})", c.name, labels::cadence_status(status).0.to_lowercase()),
                    };
                    view! { <option value=c.id.to_string()>{label}</option> }
                }).collect_view())}
            </select>
            {manager.then(|| view! {
                <label for="enroll-sender" class="visually-hidden">"Quem envia"</label>
                <select id="enroll-sender" on:change=move |ev| sender.set(event_target_value(&ev))>
                    <option value="">"Enviado por mim"</option>
                    {move || members.get().flatten().map(|list| list.items.into_iter()
                        .filter(|m| m.status == MemberStatus::Active)
                        .map(|m| view! { <option value=m.user_id.to_string()>{format!("Enviado por {}", m.name)}</option> })
                        .collect_view())}
                </select>
            })}
            <button type="button" class="button primary"
                disabled=move || pending.get() || lead_ids.with(Vec::is_empty) || cadence.with(String::is_empty)
                on:click=enroll>"Inscrever"</button>
            // One live region for every outcome, so each new one is announced.
            <div class="enroll-result" role="status">
            {move || outcome.get().map(|o| match o {
                Err(message) => view! { <p class="form-error">{message}</p> }.into_any(),
                Ok(result) => {
                    let summary = match (result.enrolled.len(), result.refused.len()) {
                        (n, 0) => format!("{n} lead(s) inscrito(s)."),
                        (0, r) => format!("Nenhum lead inscrito; {r} recusado(s)."),
                        (n, r) => format!("{n} lead(s) inscrito(s); {r} recusado(s)."),
                    };
                    view! {
                        <div>
                            <p>{summary}</p>
                            {(!result.refused.is_empty()).then(|| view! {
                                <ul class="refusals">
                                    {result.refused.into_iter().map(|r| view! {
                                        <li><strong>{name_of(r.lead_id)}</strong>": " {r.message}</li>
                                    }).collect_view()}
                                </ul>
                            })}
                        </div>
                    }.into_any()
                }
            })}
            </div>
        </div>
    }
}
