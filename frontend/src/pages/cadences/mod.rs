//! Cadences: the list, the builder (`builder`) and the detail page with the funnel and
//! the enrollments (`detail`).

pub mod builder;
pub mod detail;
mod step;

use flux_dto::{
    cadences::{CadenceQuery, CadenceStatus},
    query::Page,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api,
    components::feedback::{loaded, Empty},
    format, labels,
    session::use_session,
    texts,
};

/// `/cadencias`.
#[component]
pub fn CadencesPage() -> impl IntoView {
    let session = use_session();
    let status = RwSignal::new(None::<CadenceStatus>);
    let cadences = LocalResource::new(move || {
        let status = status.get();
        async move {
            let filter = CadenceQuery { status, q: None };
            api::cadences::list(&filter, Page::first(100)).await
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
                <select id="cadence-status" on:change=move |ev| status.set(event_target_value(&ev).parse().ok())>
                    <option value="">"Todas"</option>
                    <option value="draft">"Rascunho"</option>
                    <option value="active">"Ativa"</option>
                    <option value="paused">"Pausada"</option>
                    <option value="archived">"Arquivada"</option>
                </select>
            </div>
        </div>
        {move || loaded(cadences.get(), Some(reload), |value| match value {
            list if list.items.is_empty() => view! {
                <Empty message="Nenhuma cadência ainda. Crie uma com pelo menos dois passos e ative-a para começar a inscrever leads."/>
            }.into_any(),
            list => view! {
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
                            let (label, class) = labels::cadence_status(c.status);
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
        })}
    }
}
