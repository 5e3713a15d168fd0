//! One cadence (`/cadencias/:id`): its status and lifecycle actions, the steps, the
//! per-step funnel and the enrollments with pause, resume, unenroll and the review of
//! a send whose outcome is unknown.

use flux_dto::{
    cadences::{CadenceDto, CadenceStatus},
    enrollments::{
        CadenceFunnel, EnrollmentDto, EnrollmentQuery, EnrollmentStatus, PauseReason,
        ResolveReviewRequest, ReviewOutcome,
    },
    query::Page,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};
use uuid::Uuid;

use crate::{
    api::{self, cadences::Lifecycle, ApiError},
    components::{
        feedback::{confirm, loaded, Empty, FormError},
        pager::Pager,
    },
    format, labels,
    session::use_session,
    texts,
};

const ENROLLMENTS_PER_PAGE: i64 = 50;

/// `/cadencias/:id`.
#[component]
pub fn CadenceDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let cadence = LocalResource::new(move || async move {
        match id() {
            Some(id) => api::cadences::get_one(id).await,
            None => Err(ApiError::not_found("Cadência não encontrada")),
        }
    });
    let funnel = LocalResource::new(move || async move {
        match id() {
            Some(id) => api::cadences::funnel(id).await,
            None => Err(ApiError::not_found("Cadência não encontrada")),
        }
    });
    let reload = Callback::new(move |()| {
        cadence.refetch();
        funnel.refetch();
    });
    view! {
        <p><A href="/cadencias">"← Cadências"</A></p>
        {move || loaded(cadence.get(), Some(reload), |c| view! {
                <Header cadence=c.clone() on_change=reload/>
                <Steps cadence=c.clone()/>
                <section class="card" aria-labelledby="funnel-title">
                    <h2 id="funnel-title">"Funil por passo"</h2>
                    {move || loaded(funnel.get(), None, |f| view! { <Funnel funnel=f/> }.into_any())}
                </section>
            }.into_any())}
        // Outside the cadence's data: an action reloads the counts above without
        // rebuilding the list (its filter, page and focus stay).
        {move || id().map(|id| view! { <Enrollments cadence_id=id on_change=reload/> })}
    }
}

#[component]
fn Header(cadence: CadenceDto, on_change: Callback<()>) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let id = cadence.id;
    let (label, class) = labels::cadence_status(cadence.status);
    let act = move |action: Lifecycle| {
        pending.set(true);
        spawn_local(async move {
            let result = api::cadences::change(id, action).await;
            pending.set(false);
            match result {
                Ok(_) => {
                    error.set(None);
                    on_change.try_run(());
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    let name = cadence.name.clone();
    let remove = move |_| {
        if !confirm(&format!(
            "Excluir a cadência \"{name}\"? As inscrições em andamento são encerradas."
        )) {
            return;
        }
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::cadences::remove(id).await {
                Ok(()) => navigate("/cadencias", Default::default()),
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    let status = cadence.status;
    let can_activate = session.can("cadences:activate");
    let can_write = session.can("cadences:write");
    let button = move |action: Lifecycle, text: &'static str| {
        view! {
            <button type="button" class="button secondary" disabled=move || pending.get()
                on:click=move |_| act(action)>{text}</button>
        }
    };
    let counts = cadence.enrollments.clone();
    view! {
        <div class="page-header">
            <h1>{cadence.name.clone()} " " <span class=class>{label}</span></h1>
            <div class="actions">
                {(can_write && status != CadenceStatus::Archived).then(|| view! {
                    <A href=format!("/cadencias/{id}/editar") attr:class="button secondary">"Editar"</A>
                })}
                {can_activate.then(|| match status {
                    CadenceStatus::Draft => view! {
                        <button type="button" class="button primary" disabled=move || pending.get()
                            on:click=move |_| act(Lifecycle::Activate)>"Ativar"</button>
                    }.into_any(),
                    CadenceStatus::Active => view! { {button(Lifecycle::Pause, "Pausar")} {button(Lifecycle::Archive, "Arquivar")} }.into_any(),
                    CadenceStatus::Paused => view! { {button(Lifecycle::Resume, "Retomar")} {button(Lifecycle::Archive, "Arquivar")} }.into_any(),
                    CadenceStatus::Archived => ().into_any(),
                })}
                {can_write.then(|| view! {
                    <button type="button" class="button secondary" on:click=remove.clone()>"Excluir"</button>
                })}
            </div>
        </div>
        <FormError error=error.read_only()/>
        {cadence.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
        {match status {
            CadenceStatus::Draft => Some("Rascunho: ative a cadência para que os leads inscritos comecem a receber os passos."),
            CadenceStatus::Paused => Some("Pausada: nenhum passo sai até que a cadência seja retomada; as inscrições aguardam."),
            _ => None,
        }.map(|text| view! { <p class="notice">{text}</p> })}
        <div class="cards" aria-label="Inscrições por situação">
            {[
                ("Ativas", counts.active),
                ("Pausadas", counts.paused),
                ("Concluídas", counts.completed),
                ("Responderam", counts.replied),
                ("Bounce", counts.bounced),
                ("Descadastradas", counts.unsubscribed),
                ("Encerradas", counts.stopped),
            ].into_iter().map(|(label, value)| view! {
                <div class="card"><p class="muted">{label}</p><p class="card-value">{value}</p></div>
            }).collect_view()}
        </div>
    }
}

#[component]
fn Steps(cadence: CadenceDto) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="steps-title">
            <h2 id="steps-title">"Passos"</h2>
            <ol class="step-summary">
                {cadence.steps.into_iter().map(|s| {
                    let delay = match (s.delay_days, s.delay_hours) {
                        (0, 0) => "logo depois".to_owned(),
                        (d, 0) => format!("{d} dia(s) depois"),
                        (0, h) => format!("{h} h depois"),
                        (d, h) => format!("{d} dia(s) e {h} h depois"),
                    };
                    view! {
                        <li>
                            <strong>{labels::channel(s.channel)}</strong>
                            " · " <A href=format!("/templates/{}", s.template_id)>{s.template_name}</A>
                            " · " <span class="muted">{delay}</span>
                            {s.ai_personalization.then(|| view! { " " <span class="badge badge-info">"IA"</span> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn Funnel(funnel: CadenceFunnel) -> impl IntoView {
    view! {
        <table class="table funnel">
            <thead>
                <tr>
                    <th scope="col">"Passo"</th>
                    <th scope="col">"Enviados"</th>
                    <th scope="col">"Entregues"</th>
                    <th scope="col">"Abertos"</th>
                    <th scope="col">"Cliques"</th>
                    <th scope="col">"Respostas"</th>
                    <th scope="col">"Bounces"</th>
                    <th scope="col">"Falhas"</th>
                    <th scope="col">"Descadastros"</th>
                </tr>
            </thead>
            <tbody>
                {funnel.steps.into_iter().map(|s| {
                    let c = s.counts;
                    let with_share = move |n: i64| format!("{n} ({})", format::share(n, c.sent));
                    view! {
                        <tr data-testid=format!("funnel-step-{}", s.position)>
                            <th scope="row">{format!("{}. {} · {}", s.position, labels::channel(s.channel), s.template_name)}</th>
                            <td>{c.sent}</td>
                            <td>{c.delivered}</td>
                            <td>{with_share(c.opened)}</td>
                            <td>{with_share(c.clicked)}</td>
                            <td>{with_share(c.replied)}</td>
                            <td>{with_share(c.bounced)}</td>
                            <td>{c.failed}</td>
                            <td>{c.unsubscribed}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Enrollments(cadence_id: Uuid, on_change: Callback<()>) -> impl IntoView {
    let session = use_session();
    let status = RwSignal::new(None::<EnrollmentStatus>);
    let page = RwSignal::new(1i64);
    let enrollments = LocalResource::new(move || {
        let status = status.get();
        let page = page.get();
        async move {
            let filter = EnrollmentQuery { status };
            let page = Page {
                page,
                per_page: ENROLLMENTS_PER_PAGE,
            };
            api::enrollments::list(cadence_id, &filter, page).await
        }
    });
    let changed = Callback::new(move |()| {
        enrollments.refetch();
        on_change.run(());
    });
    let writer = session.can("cadences:write");
    view! {
        <section class="card" aria-labelledby="enrollments-title">
            <h2 id="enrollments-title">"Inscrições"</h2>
            <div class="filters">
                <div class="field">
                    <label for="enrollment-status">{texts::STATUS}</label>
                    <select id="enrollment-status" on:change=move |ev| {
                        page.set(1);
                        status.set(event_target_value(&ev).parse().ok());
                    }>
                        <option value="">"Todas"</option>
                        {EnrollmentStatus::ALL.iter().map(|s| {
                            view! { <option value=s.as_str()>{labels::enrollment_status(*s).0}</option> }
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <p class="muted">"Para inscrever leads, selecione-os na lista de Leads ou abra o perfil de um lead."</p>
            {move || loaded(enrollments.get(), None, |list| {
                if list.items.is_empty() {
                    return view! { <Empty message="Nenhuma inscrição."/> }.into_any();
                }
                view! {
                    <EnrollmentTable items=list.items writer=writer on_change=changed show_cadence=false/>
                    <Pager page=page total=list.total per_page=ENROLLMENTS_PER_PAGE unit="inscrição(ões)" label="Páginas de inscrições"/>
                }.into_any()
            })}
        </section>
    }
}

/// What an enrollment is doing now, in a sentence.
fn situation(e: &EnrollmentDto) -> String {
    let mut text = match (e.status, e.pause_reason) {
        (EnrollmentStatus::Paused, Some(reason)) => {
            format!("Pausada: {}", labels::pause_reason(reason))
        }
        (status, _) => labels::enrollment_status(status).0.to_owned(),
    };
    if let Some(detail) = &e.status_detail {
        text.push_str(&format!(" ({detail})"));
    }
    if e.cadence_held && e.status == EnrollmentStatus::Active {
        text.push_str(" · aguardando a cadência ser retomada");
    }
    text
}

/// What a member can do to one enrollment.
#[derive(Clone, Copy)]
enum Action {
    Pause,
    Resume,
    Settle(ReviewOutcome),
    Unenroll,
}

/// Enrollments with their actions; used by the cadence page and the lead timeline.
#[component]
pub fn EnrollmentTable(
    items: Vec<EnrollmentDto>,
    writer: bool,
    on_change: Callback<()>,
    show_cadence: bool,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let run = move |e: (Uuid, Uuid), action: Action| {
        let (cadence_id, id) = e;
        spawn_local(async move {
            let done = match action {
                Action::Unenroll => api::enrollments::unenroll(cadence_id, id).await,
                Action::Settle(outcome) => api::enrollments::settle_review(
                    cadence_id,
                    id,
                    &ResolveReviewRequest { outcome },
                )
                .await
                .map(|_| ()),
                Action::Pause => api::enrollments::pause(cadence_id, id).await.map(|_| ()),
                Action::Resume => api::enrollments::resume(cadence_id, id).await.map(|_| ()),
            };
            // The table may be gone by now (a reload rebuilt it): `try_run`.
            match done {
                Ok(()) => {
                    error.try_set(None);
                    on_change.try_run(());
                }
                Err(e) => {
                    error.try_set(Some(e.message().to_owned()));
                }
            }
        });
    };
    let session = use_session();
    view! {
        <FormError error=error.read_only()/>
        <table class="table enrollments">
            <thead>
                <tr>
                    <th scope="col">{if show_cadence { "Cadência" } else { "Lead" }}</th>
                    <th scope="col">"Situação"</th>
                    <th scope="col">"Passos enviados"</th>
                    <th scope="col">"Próximo passo"</th>
                    <th scope="col">"Quem envia"</th>
                    {writer.then(|| view! { <th scope="col">"Ações"</th> })}
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|e| {
                    let key = (e.cadence_id, e.id);
                    let (_, class) = labels::enrollment_status(e.status);
                    let label = if show_cadence { e.cadence_name.clone() } else { e.lead_name.clone() };
                    let href = if show_cadence { format!("/cadencias/{}", e.cadence_id) } else { format!("/leads/{}", e.lead_id) };
                    let subject = {
                        let label = label.clone();
                        view! { <A href=href>{label}</A> }
                    };
                    let next = match (e.next_step_position, e.next_step_due) {
                        (Some(p), Some(due)) if matches!(e.status, EnrollmentStatus::Active | EnrollmentStatus::Paused) =>
                            format!("{p}º em {}", format::date_time(due)),
                        _ => "—".to_owned(),
                    };
                    let review = e.pause_reason == Some(PauseReason::ReviewRequired);
                    let settles = review && session.may_act_for(e.sender_id);
                    view! {
                        <tr data-enrollment=e.id.to_string()>
                            <td>{subject}</td>
                            <td><span class=class>{situation(&e)}</span></td>
                            <td>{format!("{} de {}", e.steps_sent, e.steps_total)}</td>
                            <td>{next}</td>
                            <td>{e.sender_name.clone()}</td>
                            {writer.then(|| view! {
                                <td class="row-actions">
                                    {(review && !settles).then(|| view! {
                                        <span class="muted">{format!("O último envio pode ter saído: {} confere", e.sender_name)}</span>
                                    })}
                                    {settles.then(|| view! {
                                        <span class="muted">"O último envio pode ter saído:"</span>
                                        <button type="button" class="button secondary" title="Registra o envio e segue para o próximo passo"
                                            aria-label=format!("{label}: o passo foi enviado")
                                            on:click=move |_| run(key, Action::Settle(ReviewOutcome::Sent))>"Foi enviado"</button>
                                        <button type="button" class="button secondary" title="Envia o passo de novo"
                                            aria-label=format!("{label}: o passo não foi enviado")
                                            on:click=move |_| run(key, Action::Settle(ReviewOutcome::NotSent))>"Não foi enviado"</button>
                                    })}
                                    {(e.status == EnrollmentStatus::Active).then(|| view! {
                                        <button type="button" class="button secondary" aria-label=format!("Pausar {label}")
                                            on:click=move |_| run(key, Action::Pause)>"Pausar"</button>
                                    })}
                                    {(e.status == EnrollmentStatus::Paused && !review).then(|| view! {
                                        <button type="button" class="button secondary" aria-label=format!("Retomar {label}")
                                            on:click=move |_| run(key, Action::Resume)>"Retomar"</button>
                                    })}
                                    {matches!(e.status, EnrollmentStatus::Active | EnrollmentStatus::Paused).then(|| view! {
                                        <button type="button" class="button secondary" aria-label=format!("Remover {label} da cadência")
                                            on:click=move |_| run(key, Action::Unenroll)>"Remover"</button>
                                    })}
                                </td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
