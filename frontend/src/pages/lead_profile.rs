//! One lead: company data, address, CNAE, porte, situação, partners, editable contact
//! fields, enrichment history with re-enrich, archive and delete, and "Gerar com IA".

use flux_dto::leads::{
    EnrichmentAttemptList, EnrichmentOutcome, LeadDto, LeadStatus, UpdateLeadRequest,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::{
        feedback::{confirm, loaded, FormError},
        field::TextField,
    },
    labels,
    live::use_live,
    pages::{ai_drawer::AiDrawer, field_error, lead_timeline::LeadTimeline},
};

fn money(cents: i64) -> String {
    let units = cents / 100;
    let mut digits = units.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(".{tail}{grouped}");
    }
    format!("R$ {digits}{grouped},{:02}", cents % 100)
}

#[component]
pub fn LeadProfilePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let live = use_live();
    let lead = LocalResource::new(move || async move {
        match id() {
            Some(id) => api::leads::get_one(id).await,
            None => Err(ApiError::not_found("Lead não encontrado")),
        }
    });
    let attempts = LocalResource::new(move || async move {
        match id() {
            Some(id) => api::leads::enrichment_attempts(id).await,
            None => Err(ApiError::not_found("Lead não encontrado")),
        }
    });
    // The drawer lives with the page, not the profile a refreshed lead rebuilds.
    let ai_open = RwSignal::new(false);
    // Bumped when the drawer's e-mail is sent: the timeline shows it at once.
    let timeline_changed = RwSignal::new(0u32);
    let current = Signal::derive(move || lead.get().and_then(Result::ok));
    let reload = Callback::new(move |()| {
        lead.refetch();
        attempts.refetch();
    });
    Effect::new(move |_| {
        let ours = live
            .last
            .with(|e| e.as_ref().and_then(|e| e.lead_id()) == id() && id().is_some());
        if ours {
            reload.run(());
        }
    });

    view! {
        <p><A href="/leads">"← Leads"</A></p>
        {move || loaded(lead.get(), Some(reload), |lead| view! { <Profile lead=lead attempts=attempts on_change=reload ai_open=ai_open/> }.into_any())}
        {move || id().map(|id| view! { <AiDrawer lead_id=id lead=current open=ai_open on_sent=timeline_changed/> })}
        // Outside the profile, so a refreshed lead does not rebuild the timeline.
        {move || id().map(|id| view! { <LeadTimeline lead_id=id changed=timeline_changed/> })}
    }
}

#[component]
fn Profile(
    lead: LeadDto,
    attempts: LocalResource<Result<EnrichmentAttemptList, ApiError>>,
    on_change: Callback<()>,
    ai_open: RwSignal<bool>,
) -> impl IntoView {
    let id = lead.id;
    let (label, class) = labels::enrichment_status(lead.enrichment_status);
    let enriching = RwSignal::new(false);
    let action_error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let enrich = move |_| {
        enriching.set(true);
        spawn_local(async move {
            match api::leads::enrich(id).await {
                Ok(_) => action_error.set(None),
                Err(e) => action_error.set(Some(e.message().to_owned())),
            }
            enriching.set(false);
            on_change.run(());
        });
    };
    let archived = lead.archived_at.is_some();
    let toggle_archive = move |_| {
        spawn_local(async move {
            let done = if archived {
                api::leads::unarchive(vec![id]).await
            } else {
                api::leads::archive(vec![id]).await
            };
            match done {
                Ok(_) => on_change.run(()),
                Err(e) => action_error.set(Some(e.message().to_owned())),
            }
        });
    };
    let remove = move |_| {
        if !confirm("Excluir este lead? Ele some de listas e cadências.") {
            return;
        }
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::leads::remove(id).await {
                Ok(()) => navigate("/leads", Default::default()),
                Err(e) => action_error.set(Some(e.message().to_owned())),
            }
        });
    };
    let address = lead.endereco.clone().map(|a| {
        [
            [a.logradouro, a.numero]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            a.complemento.unwrap_or_default(),
            a.bairro.unwrap_or_default(),
            [a.cidade, a.uf]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/"),
            a.cep.map(|c| format!("CEP {c}")).unwrap_or_default(),
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
    });
    let title = lead
        .razao_social
        .clone()
        .unwrap_or_else(|| "(aguardando dados do CNPJ)".into());
    view! {
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                <p class="muted mono">{lead.cnpj_formatted.clone()}
                    {lead.situacao_cadastral.clone().map(|s| view! { " · " <span class="badge">{s}</span> })}
                    " · " <span class=class data-enrichment=format!("{:?}", lead.enrichment_status)>{label}</span>
                    {archived.then(|| view! { " · " <span class="badge badge-warn">"Arquivado"</span> })}
                </p>
            </div>
            <div class="actions">
                <button type="button" class="button primary" on:click=move |_| ai_open.set(true)>"Gerar com IA"</button>
                <button type="button" class="button secondary" on:click=enrich disabled=move || enriching.get()>
                    {move || if enriching.get() { "Enriquecendo…" } else { "Reenriquecer" }}
                </button>
                <button type="button" class="button secondary" on:click=toggle_archive>{if archived { "Desarquivar" } else { "Arquivar" }}</button>
                <button type="button" class="button danger" on:click=remove>"Excluir"</button>
            </div>
        </div>
        <FormError error=action_error.read_only()/>
        <div class="grid-2">
            <section aria-labelledby="company-title" class="card">
                <h2 id="company-title">"Empresa"</h2>
                <dl class="facts">
                    <dt>"Nome fantasia"</dt><dd>{lead.nome_fantasia.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Porte"</dt><dd>{lead.porte.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"CNAE"</dt><dd>{match (&lead.cnae, &lead.cnae_descricao) {
                        (Some(c), Some(d)) => format!("{c} — {d}"),
                        (Some(c), None) => c.clone(),
                        _ => "—".into(),
                    }}</dd>
                    <dt>"Natureza jurídica"</dt><dd>{lead.natureza_juridica.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Capital social"</dt><dd>{lead.capital_social_cents.map(money).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Abertura"</dt><dd>{lead.data_abertura.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Endereço"</dt><dd>{address.unwrap_or_else(|| "—".into())}</dd>
                    {lead.faturamento_estimado_cents.map(|f| view! { <dt>"Faturamento estimado"</dt><dd>{money(f)}</dd> })}
                </dl>
            </section>
            <ContactForm lead=lead.clone() on_saved=on_change/>
        </div>
        <section aria-labelledby="partners-title" class="card">
            <h2 id="partners-title">"Sócios"</h2>
            {if lead.socios.is_empty() {
                view! { <p class="muted">"Nenhum sócio informado."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Nome"</th><th scope="col">"Qualificação"</th><th scope="col">"CPF/CNPJ"</th><th scope="col">"Entrada"</th></tr></thead>
                        <tbody>{lead.socios.into_iter().map(|s| view! {
                            <tr><td>{s.nome}</td><td>{s.qualificacao.unwrap_or_default()}</td>
                                <td class="mono">{s.cpf_cnpj_masked.unwrap_or_default()}</td>
                                <td>{s.data_entrada.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default()}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            {lead.premium_contacts.map(|p| view! {
                <h3>"Contatos premium"</h3>
                <p>{p.emails.join(", ")}</p>
                <p class="mono">{p.telefones.join(", ")}</p>
            })}
        </section>
        <section aria-labelledby="history-title" class="card">
            <h2 id="history-title">"Histórico de enriquecimento"</h2>
            {move || loaded(attempts.get(), None, |value| match value {
                list if list.items.is_empty() => view! { <p class="muted">"Ainda não houve tentativas."</p> }.into_any(),
                list => view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Quando"</th><th scope="col">"Provedor"</th><th scope="col">"Resultado"</th><th scope="col">"Detalhe"</th></tr></thead>
                        <tbody>{list.items.into_iter().map(|a| view! {
                            <tr>
                                <td>{a.created_at.format("%d/%m/%Y %H:%M").to_string()}</td>
                                <td>{a.provider}{a.from_cache.then_some(" (cache)")}</td>
                                <td>{match a.outcome {
                                    EnrichmentOutcome::Success => "Sucesso",
                                    EnrichmentOutcome::NotFound => "Não encontrado",
                                    EnrichmentOutcome::RateLimited => "Limite de requisições",
                                    EnrichmentOutcome::Failed => "Falha",
                                }}</td>
                                <td>{format!("{}{} ms{}", a.http_status.map(|s| format!("HTTP {s} · ")).unwrap_or_default(), a.duration_ms,
                                    a.error_message.map(|e| format!(" · {e}")).unwrap_or_default())}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </section>
    }
}

#[component]
fn ContactForm(lead: LeadDto, on_saved: Callback<()>) -> impl IntoView {
    let contact_name = RwSignal::new(lead.contact_name.clone().unwrap_or_default());
    let email = RwSignal::new(lead.email.clone().unwrap_or_default());
    let telefone = RwSignal::new(lead.telefone.clone().unwrap_or_default());
    let status = RwSignal::new(lead.status);
    let owner = RwSignal::new(lead.owner_id);
    let do_not_contact = RwSignal::new(lead.do_not_contact);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let members = LocalResource::new(api::members::list);
    let id = lead.id;
    let optional = |s: String| if s.trim().is_empty() { None } else { Some(s) };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let body = UpdateLeadRequest {
            contact_name: Some(optional(contact_name.get_untracked())),
            email: Some(optional(email.get_untracked())),
            telefone: Some(optional(telefone.get_untracked())),
            status: Some(status.get_untracked()),
            owner_id: Some(owner.get_untracked()),
            do_not_contact: Some(do_not_contact.get_untracked()),
            ..UpdateLeadRequest::default()
        };
        spawn_local(async move {
            match api::leads::update(id, &body).await {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let general = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        general.set(error.with(|e| {
            e.as_ref()
                .filter(|e| {
                    ["email", "telefone", "contact_name", "owner_id"]
                        .iter()
                        .all(|f| e.field(f).is_none())
                })
                .map(|e| e.message().to_owned())
        }))
    });
    let statuses = [
        LeadStatus::New,
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Unqualified,
    ];
    view! {
        <form class="card" on:submit=submit novalidate aria-labelledby="contact-title">
            <h2 id="contact-title">"Contato"</h2>
            <FormError error=general.read_only()/>
            <TextField id="lead-contact" label="Nome do contato" value=contact_name error=field_error(error, "contact_name")/>
            <TextField id="lead-email" label="E-mail" kind="email" value=email error=field_error(error, "email")/>
            <TextField id="lead-phone" label="Telefone" kind="tel" value=telefone error=field_error(error, "telefone")/>
            <div class="field">
                <label for="lead-status">"Status"</label>
                <select id="lead-status" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    if let Some(s) = statuses.iter().find(|s| format!("{s:?}") == value) { status.set(*s); }
                }>
                    {statuses.into_iter().map(|s| view! {
                        <option value=format!("{s:?}") selected=move || status.get() == s>{labels::lead_status(s)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="lead-owner">"Responsável"</label>
                <select id="lead-owner" on:change=move |ev| owner.set(event_target_value(&ev).parse().ok())>
                    <option value="" selected=move || owner.get().is_none()>"Ninguém"</option>
                    {move || members.get().and_then(Result::ok).map(|list| list.items.into_iter().map(|m| {
                        let uid = m.user_id;
                        view! { <option value=uid.to_string() selected=move || owner.get() == Some(uid)>{m.name}</option> }
                    }).collect_view())}
                </select>
            </div>
            <div class="field checkbox">
                <input id="lead-dnc" type="checkbox" prop:checked=move || do_not_contact.get()
                    on:change=move |ev| do_not_contact.set(event_target_checked(&ev))/>
                <label for="lead-dnc">"Não contatar (opt-out)"</label>
            </div>
            <button type="submit" class="button primary">"Salvar"</button>
            <Show when=move || saved.get()><p class="notice" role="status">"Alterações salvas."</p></Show>
        </form>
    }
}
