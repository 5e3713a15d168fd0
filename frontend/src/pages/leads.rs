//! Leads: the table with search, filters, pages, bulk archive/assign, export, and
//! adding one company by CNPJ. Refreshes itself on live lead and import events.

use std::collections::{HashMap, HashSet};

use flux_dto::{
    lead_query::LeadQuery,
    leads::{BulkAssignRequest, CreateLeadRequest, EnrichmentStatus, LeadListItem, LeadStatus},
    members::MemberList,
    query::Page,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::{
        feedback::{loaded, Empty, FormError},
        pager::Pager,
    },
    labels,
    live::use_live,
    pages::enroll::EnrollPanel,
    session::use_session,
    texts,
};

const PER_PAGE: i64 = 50;

#[component]
pub fn LeadsPage() -> impl IntoView {
    let session = use_session();
    let live = use_live();
    let import_filter = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("importacao").and_then(|id| id.parse().ok()));
    let filters = RwSignal::new(LeadQuery {
        import_id: import_filter,
        ..LeadQuery::default()
    });
    let page = RwSignal::new(1_i64);
    let selected = RwSignal::new(HashSet::<Uuid>::new());
    let leads = LocalResource::new(move || {
        let query = filters.get();
        let page = Page {
            page: page.get(),
            per_page: PER_PAGE,
        };
        async move { api::leads::list(&query, page).await }
    });
    let members = LocalResource::new(api::members::list);
    let reload = Callback::new(move |()| leads.refetch());

    // One refetch at a time, however many reasons arrive meanwhile (a big import
    // sends hundreds of lead events), and none after the page is left.
    let scheduled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, std::sync::atomic::Ordering::Relaxed));
    }
    let refetch_soon = move |ms: i32| {
        use std::sync::atomic::Ordering::Relaxed;
        if scheduled.swap(true, Relaxed) {
            return;
        }
        let (scheduled, alive) = (scheduled.clone(), alive.clone());
        spawn_local(async move {
            crate::timer::sleep(ms).await;
            scheduled.store(false, Relaxed);
            if alive.load(Relaxed) {
                leads.refetch();
            }
        });
    };

    // Live: enrichment results and finished imports show up without a reload.
    let on_event = refetch_soon.clone();
    Effect::new(move |_| {
        if live
            .last
            .with(|e| e.as_ref().is_some_and(|e| e.is_about_leads()))
        {
            on_event(1500);
        }
    });

    // Fallback for a stream that is still connecting: while some rows wait for
    // enrichment, look again every few seconds.
    Effect::new(move |_| {
        let waiting = leads.with(|l| {
            l.as_ref()
                .and_then(|r| r.as_ref().ok())
                .is_some_and(|list| {
                    list.items.iter().any(|i| {
                        matches!(
                            i.enrichment_status,
                            EnrichmentStatus::Pending | EnrichmentStatus::Enriching
                        )
                    })
                })
        });
        if waiting {
            refetch_soon(4000);
        }
    });

    let names = Signal::derive(move || {
        members
            .get()
            .and_then(Result::ok)
            .map(|list| {
                list.items
                    .into_iter()
                    .map(|m| (m.user_id, m.name))
                    .collect::<HashMap<_, _>>()
            })
            .unwrap_or_default()
    });

    // Refused leads are named in the enrollment result.
    let lead_names = Signal::derive(move || {
        leads.with(|l| {
            l.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|list| {
                    list.items
                        .iter()
                        .map(|i| {
                            (
                                i.id,
                                i.razao_social
                                    .clone()
                                    .unwrap_or_else(|| i.cnpj_formatted.clone()),
                            )
                        })
                        .collect::<HashMap<_, _>>()
                })
                .unwrap_or_default()
        })
    });

    view! {
        <div class="page-header">
            <h1>{texts::NAV_LEADS}</h1>
            <div class="actions">
                <Show when=move || session.can("leads:import")>
                    <A href="/leads/importar" attr:class="button primary">"Importar CSV"</A>
                </Show>
            </div>
        </div>
        <AddLead on_done=reload/>
        <FiltersBar filters=filters page=page/>
        <BulkBar selected=selected members=members on_done=reload filters=filters/>
        <Show when=move || session.can("cadences:write") && selected.with(|s| !s.is_empty())>
            <EnrollPanel
                lead_ids=Signal::derive(move || selected.with(|s| s.iter().copied().collect()))
                names=lead_names
                on_done=Callback::new(|()| ())/>
        </Show>
        {move || loaded(leads.get(), Some(reload), |list| {
            if list.items.is_empty() {
                return view! {
                    <Empty message="Nenhum lead encontrado. Importe uma planilha ou ajuste os filtros."/>
                }.into_any();
            }
            let total = list.total;
            view! {
                <LeadsTable items=list.items selected=selected names=names/>
                <Pager page=page total=total per_page=PER_PAGE unit="lead(s)" always=true/>
            }.into_any()
        })}
    }
}

#[component]
fn AddLead(on_done: Callback<()>) -> impl IntoView {
    let cnpj = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        let body = CreateLeadRequest {
            cnpj: cnpj.get_untracked(),
            razao_social: None,
            nome_fantasia: None,
            email: None,
            telefone: None,
            contact_name: None,
            owner_id: None,
        };
        spawn_local(async move {
            match api::leads::create(&body).await {
                Ok(_) => {
                    cnpj.set(String::new());
                    error.set(None);
                    on_done.run(());
                }
                Err(e) => error.set(Some(
                    e.field("cnpj").unwrap_or_else(|| e.message().to_owned()),
                )),
            }
            pending.set(false);
        });
    };
    view! {
        <form class="inline-form add-lead" on:submit=submit novalidate>
            <div class="inline-fields">
                <div class="field">
                    <label for="new-lead-cnpj">"Adicionar por CNPJ"</label>
                    <input id="new-lead-cnpj" placeholder="00.000.000/0000-00" bind:value=cnpj/>
                </div>
                <button type="submit" class="button secondary" disabled=move || pending.get()>"Adicionar"</button>
            </div>
            <FormError error=error.read_only()/>
        </form>
    }
}

#[component]
fn FiltersBar(filters: RwSignal<LeadQuery>, page: RwSignal<i64>) -> impl IntoView {
    let search = RwSignal::new(filters.get_untracked().q.unwrap_or_default());
    let set = move |update: Box<dyn FnOnce(&mut LeadQuery)>| {
        page.set(1);
        filters.update(|f| update(f));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = search.get_untracked();
        set(Box::new(move |f| f.q = text(q)));
    };
    let select = |id: &'static str,
                  label: &'static str,
                  options: Vec<(&'static str, &'static str)>,
                  apply: fn(&mut LeadQuery, String)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id on:change=move |ev| {
                    let value = event_target_value(&ev);
                    set(Box::new(move |f| apply(f, value)));
                }>
                    {options.into_iter().map(|(value, text)| view! { <option value=value>{text}</option> }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <form class="filters" role="search" on:submit=submit>
            <div class="field grow">
                <label for="lead-search">"Buscar"</label>
                <input id="lead-search" type="search" placeholder="Razão social, nome fantasia ou CNPJ" bind:value=search/>
            </div>
            {select("filter-status", "Status", every("Todos", LeadStatus::ALL, |s| (s.as_str(), labels::lead_status(s))), |f, v| f.statuses = v.parse().into_iter().collect())}
            {select("filter-enrichment", "Enriquecimento", every("Todos", EnrichmentStatus::ALL, |s| (s.as_str(), labels::enrichment_status(s).0)), |f, v| f.enrichment_statuses = v.parse().into_iter().collect())}
            {select("filter-porte", "Porte", vec![("", "Todos"), ("ME", "ME"), ("EPP", "EPP"), ("DEMAIS", "Demais")], |f, v| f.portes = text(v).into_iter().collect())}
            {select("filter-archived", "Exibir", vec![("active", "Ativos"), ("archived", "Arquivados"), ("all", "Todos")], |f, v| f.archived = v.parse().unwrap_or_default())}
            <div class="field narrow">
                <label for="filter-uf">"UF"</label>
                <input id="filter-uf" maxlength="2" on:change=move |ev| {
                    let value = event_target_value(&ev).to_uppercase();
                    set(Box::new(move |f| f.ufs = text(value).into_iter().collect()));
                }/>
            </div>
            <div class="field">
                <label for="filter-city">"Cidade"</label>
                <input id="filter-city" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    set(Box::new(move |f| f.city = text(value)));
                }/>
            </div>
            <button type="submit" class="button secondary">"Buscar"</button>
        </form>
        <Show when=move || filters.with(|f| f.import_id.is_some())>
            <p class="notice">"Mostrando os leads de uma importação. "
                <button type="button" class="link" on:click=move |_| set(Box::new(|f| f.import_id = None))>"Ver todos"</button>
            </p>
        </Show>
    }
}

/// A bulk action on the selected leads.
#[derive(Clone, Copy)]
enum Bulk {
    Archive,
    Unarchive,
    /// To a member, or to nobody.
    Assign(Option<Uuid>),
}

/// A filter's text: `None` when blank.
fn text(value: String) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The options of a vocabulary's select: "all" first, then each word.
fn every<T: Copy>(
    all_text: &'static str,
    all: &[T],
    option: fn(T) -> (&'static str, &'static str),
) -> Vec<(&'static str, &'static str)> {
    std::iter::once(("", all_text))
        .chain(all.iter().map(|v| option(*v)))
        .collect()
}

#[component]
fn BulkBar(
    selected: RwSignal<HashSet<Uuid>>,
    members: LocalResource<Result<MemberList, ApiError>>,
    on_done: Callback<()>,
    filters: RwSignal<LeadQuery>,
) -> impl IntoView {
    let session = use_session();
    let message = RwSignal::new(None::<String>);
    let run = move |action: Bulk| {
        let lead_ids: Vec<Uuid> = selected.get_untracked().into_iter().collect();
        spawn_local(async move {
            let result = match action {
                Bulk::Assign(owner_id) => {
                    api::leads::assign(&BulkAssignRequest { lead_ids, owner_id }).await
                }
                Bulk::Archive => api::leads::archive(lead_ids).await,
                Bulk::Unarchive => api::leads::unarchive(lead_ids).await,
            };
            match result {
                Ok(r) => {
                    message.set(Some(format!("{} lead(s) atualizado(s).", r.affected)));
                    selected.set(HashSet::new());
                    on_done.run(());
                }
                Err(e) => message.set(Some(e.message().to_owned())),
            }
        });
    };
    let export = move |_| {
        let query = filters.get_untracked();
        spawn_local(async move {
            if let Err(e) = api::leads::export(&query).await {
                message.set(Some(e.message().to_owned()));
            }
        });
    };
    view! {
        <div class="bulk-bar" role="toolbar" aria-label="Ações em massa">
            <span>{move || format!("{} selecionado(s)", selected.with(HashSet::len))}</span>
            <button type="button" class="button secondary" disabled=move || selected.with(HashSet::is_empty)
                on:click=move |_| run(Bulk::Archive)>"Arquivar"</button>
            <button type="button" class="button secondary" disabled=move || selected.with(HashSet::is_empty)
                on:click=move |_| run(Bulk::Unarchive)>"Desarquivar"</button>
            <label for="bulk-owner" class="visually-hidden">"Atribuir a"</label>
            <select id="bulk-owner" disabled=move || selected.with(HashSet::is_empty) on:change=move |ev| {
                let value = event_target_value(&ev);
                if value.is_empty() { return; }
                let owner = if value == "none" { None } else { value.parse().ok() };
                run(Bulk::Assign(owner));
            }>
                <option value="">"Atribuir a…"</option>
                <option value="none">"Ninguém"</option>
                {move || members.get().and_then(Result::ok).map(|list| list.items.into_iter().map(|m| view! {
                    <option value=m.user_id.to_string()>{m.name}</option>
                }).collect_view())}
            </select>
            <Show when=move || session.can("leads:export")>
                <button type="button" class="button secondary" on:click=export>"Exportar CSV"</button>
            </Show>
            <Show when=move || message.get().is_some()>
                <span role="status">{move || message.get()}</span>
            </Show>
        </div>
    }
}

#[component]
fn LeadsTable(
    items: Vec<LeadListItem>,
    selected: RwSignal<HashSet<Uuid>>,
    names: Signal<HashMap<Uuid, String>>,
) -> impl IntoView {
    let ids: Vec<Uuid> = items.iter().map(|l| l.id).collect();
    let all_selected = {
        let ids = ids.clone();
        move || selected.with(|s| !ids.is_empty() && ids.iter().all(|id| s.contains(id)))
    };
    let toggle_all = move |_| {
        let ids = ids.clone();
        selected.update(|s| {
            if ids.iter().all(|id| s.contains(id)) {
                ids.iter().for_each(|id| {
                    s.remove(id);
                });
            } else {
                s.extend(ids.iter().copied());
            }
        });
    };
    view! {
        <table class="table leads-table">
            <thead>
                <tr>
                    <th scope="col"><input type="checkbox" aria-label="Selecionar todos" prop:checked=all_selected on:change=toggle_all/></th>
                    <th scope="col">"Empresa"</th>
                    <th scope="col">"CNPJ"</th>
                    <th scope="col">"Cidade/UF"</th>
                    <th scope="col">"Porte"</th>
                    <th scope="col">{texts::STATUS}</th>
                    <th scope="col">"Enriquecimento"</th>
                    <th scope="col">"Responsável"</th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|lead| {
                    let id = lead.id;
                    let (label, class) = labels::enrichment_status(lead.enrichment_status);
                    let title = lead.razao_social.clone().unwrap_or_else(|| "(aguardando dados)".into());
                    let place = match (&lead.cidade, &lead.uf) {
                        (Some(c), Some(u)) => format!("{c}/{u}"),
                        (None, Some(u)) => u.clone(),
                        _ => String::new(),
                    };
                    let owner = lead.owner_id;
                    view! {
                        <tr class:archived=lead.archived_at.is_some() data-cnpj=lead.cnpj.clone()>
                            <td><input type="checkbox" aria-label=format!("Selecionar {title}")
                                prop:checked=move || selected.with(|s| s.contains(&id))
                                on:change=move |_| selected.update(|s| if !s.remove(&id) { s.insert(id); })/></td>
                            <td>
                                <A href=format!("/leads/{id}")>{title.clone()}</A>
                                {lead.nome_fantasia.map(|n| view! { <div class="muted">{n}</div> })}
                                {lead.do_not_contact.then(|| view! { <span class="badge badge-warn">"Não contatar"</span> })}
                            </td>
                            <td class="mono">{lead.cnpj_formatted}</td>
                            <td>{place}</td>
                            <td>{lead.porte.unwrap_or_default()}</td>
                            <td>{labels::lead_status(lead.status)}</td>
                            <td><span class=class data-enrichment=format!("{:?}", lead.enrichment_status)>{label}</span></td>
                            <td>{move || owner.and_then(|o| names.with(|n| n.get(&o).cloned())).unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
