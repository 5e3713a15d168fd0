//! Cadences: the list, the builder (`builder`) and the detail page with the funnel and
//! the enrollments (`detail`).

pub mod builder;
pub mod detail;

use flux_dto::{
    cadences::{CadenceList, CadenceStatus},
    enrollments::{EnrollmentStatus, PauseReason},
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api,
    components::feedback::{Empty, ErrorBox, Loading},
    format,
    session::use_session,
    texts,
};

pub fn status_label(status: CadenceStatus) -> (&'static str, &'static str) {
    match status {
        CadenceStatus::Draft => ("Rascunho", "badge badge-info"),
        CadenceStatus::Active => ("Ativa", "badge badge-ok"),
        CadenceStatus::Paused => ("Pausada", "badge badge-warn"),
        CadenceStatus::Archived => ("Arquivada", "badge badge-off"),
    }
}

pub fn enrollment_status_label(status: EnrollmentStatus) -> (&'static str, &'static str) {
    match status {
        EnrollmentStatus::Active => ("Ativa", "badge badge-ok"),
        EnrollmentStatus::Paused => ("Pausada", "badge badge-warn"),
        EnrollmentStatus::Completed => ("Concluída", "badge badge-info"),
        EnrollmentStatus::Replied => ("Respondeu", "badge badge-ok"),
        EnrollmentStatus::Bounced => ("Bounce", "badge badge-error"),
        EnrollmentStatus::Unsubscribed => ("Descadastrou", "badge badge-off"),
        EnrollmentStatus::Stopped => ("Encerrada", "badge badge-off"),
    }
}

pub fn pause_reason_label(reason: PauseReason) -> &'static str {
    match reason {
        PauseReason::Manual => "pausada manualmente",
        PauseReason::StepFailed => "um passo falhou",
        PauseReason::ReviewRequired => "envio a conferir",
    }
}

/// `/cadencias`.
#[component]
pub fn CadencesPage() -> impl IntoView {
    let session = use_session();
    let status = RwSignal::new(String::new());
    let cadences = LocalResource::new(move || {
        let status = status.get();
        async move {
            let mut url = "/api/v1/cadences?per_page=100".to_owned();
            if !status.is_empty() {
                url.push_str(&format!("&status={status}"));
            }
            api::get::<CadenceList>(&url).await
        }
    });
    let reload = Callback::new(move |()| cadences.refetch());

    view! {
        <div class="page-header">
            <h1>{texts::NAV_CADENCES}</h1>
            <div class="actions">
                <Show when=move || session.can("cadences:write")>
                    <A href="/cadencias/nova" attr:class="button primary">"Nova cadência"</A>
                </Show>
            </div>
        </div>
        <div class="filters">
            <div class="field">
                <label for="cadence-status">{texts::STATUS}</label>
                <select id="cadence-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"Todas"</option>
                    <option value="draft">"Rascunho"</option>
                    <option value="active">"Ativa"</option>
                    <option value="paused">"Pausada"</option>
                    <option value="archived">"Arquivada"</option>
                </select>
            </div>
        </div>
        {move || match cadences.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) => view! { <ErrorBox error=e retry=reload/> }.into_any(),
            Some(Ok(list)) if list.items.is_empty() => view! {
                <Empty message="Nenhuma cadência ainda. Crie uma com pelo menos dois passos e ative-a para começar a inscrever leads."/>
            }.into_any(),
            Some(Ok(list)) => view! {
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">{texts::NAME}</th>
                            <th scope="col">{texts::STATUS}</th>
                            <th scope="col">"Passos"</th>
                            <th scope="col">"Em andamento"</th>
                            <th scope="col">"Responderam"</th>
                            <th scope="col">"Concluídas"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {list.items.into_iter().map(|c| {
                            let (label, class) = status_label(c.status);
                            let running = c.enrollments.active + c.enrollments.paused;
                            let finished = c.enrollments.completed + c.enrollments.replied + c.enrollments.bounced
                                + c.enrollments.unsubscribed + c.enrollments.stopped;
                            view! {
                                <tr>
                                    <td><A href=format!("/cadencias/{}", c.id)>{c.name.clone()}</A></td>
                                    <td><span class=class>{label}</span></td>
                                    <td>{c.steps.len()}</td>
                                    <td>{running}</td>
                                    <td>{format!("{} ({})", c.enrollments.replied, format::share(c.enrollments.replied, running + finished))}</td>
                                    <td>{c.enrollments.completed}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
        }}
    }
}
