//! The template as it would be sent, for example values or a chosen lead.

use flux_dto::{
    lead_query::{LeadQuery, LeadSort, LeadSortKey},
    query::Page,
    templates::{Channel, PreviewPieceKind, PreviewTemplateRequest, RenderedText, TemplatePreview},
};
use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;

use crate::api::{self, ApiError};

/// The text rendered as it would be sent, for example values or a chosen lead;
/// refreshed a moment after typing stops.
#[component]
pub fn LivePreview(
    channel: RwSignal<Channel>,
    subject: RwSignal<String>,
    body: RwSignal<String>,
) -> impl IntoView {
    let lead_search = RwSignal::new(String::new());
    let lead_id = RwSignal::new(None::<Uuid>);
    let leads = LocalResource::new(move || {
        let q = lead_search.get();
        async move {
            let filter = LeadQuery {
                q: Some(q.trim().to_owned()).filter(|q| !q.is_empty()),
                sort: Some(LeadSort {
                    key: LeadSortKey::RazaoSocial,
                    descending: false,
                }),
                ..LeadQuery::default()
            };
            api::leads::list(&filter, Page::first(20)).await
        }
    });
    // A lead that left the list (a new search) is no longer the one previewed.
    Effect::new(move |_| {
        leads.with(|list| {
            if let (Some(Ok(list)), Some(id)) = (list, lead_id.get_untracked()) {
                if !list.items.iter().any(|l| l.id == id) {
                    lead_id.set(None);
                }
            }
        });
    });
    let preview = RwSignal::new(None::<Result<TemplatePreview, ApiError>>);
    let generation = RwSignal::new(0_u64);
    let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, std::sync::atomic::Ordering::Relaxed));
    }
    Effect::new(move |_| {
        let request = PreviewTemplateRequest {
            channel: channel.get(),
            subject: (channel.get() == Channel::Email).then(|| subject.get()),
            body: body.get(),
            lead_id: lead_id.get(),
        };
        let this = generation.get_untracked() + 1;
        generation.set(this);
        let alive = alive.clone();
        spawn_local(async move {
            crate::timer::sleep(350).await;
            let current = || {
                alive.load(std::sync::atomic::Ordering::Relaxed)
                    && generation.get_untracked() == this
            };
            if !current() {
                return;
            }
            if request.body.trim().is_empty() {
                preview.set(None);
                return;
            }
            let result = api::templates::preview(&request).await;
            if current() {
                preview.set(Some(result));
            }
        });
    });

    view! {
        <section class="card preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Prévia"</h2>
            <div class="field">
                <label for="preview-lead-search">"Buscar lead"</label>
                <input id="preview-lead-search" type="search" placeholder="Razão social, CNPJ, cidade… e Enter"
                    on:change=move |ev| lead_search.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="preview-lead">"Prévia para"</label>
                <select id="preview-lead" on:change=move |ev| lead_id.set(event_target_value(&ev).parse::<Uuid>().ok())>
                    <option value="">"Dados de exemplo"</option>
                    {move || leads.get().and_then(Result::ok).map(|list| list.items.into_iter().map(|l| {
                        let label = l.nome_fantasia.clone().or(l.razao_social.clone()).unwrap_or_else(|| l.cnpj_formatted.clone());
                        let id = l.id;
                        view! { <option value=id.to_string() selected=move || lead_id.get() == Some(id)>{label}</option> }
                    }).collect_view())}
                </select>
            </div>
            {move || match preview.get() {
                None => view! { <p class="muted">"Escreva a mensagem para ver a prévia."</p> }.into_any(),
                // Not an alert: half-typed placeholders are normal while writing.
                Some(Err(e)) => view! { <p class="form-error preview-error">{e.field("body").or(e.field("subject")).unwrap_or_else(|| e.message().to_owned())}</p> }.into_any(),
                Some(Ok(p)) => view! {
                    {p.subject.map(|s| view! { <p class="preview-subject"><strong>"Assunto: "</strong><Rendered text=s/></p> })}
                    <div class="preview-body"><Rendered text=p.body/></div>
                    {(!p.missing.is_empty()).then(|| view! {
                        <p class="notice warn">
                            {format!("Faltam dados deste lead: {}. A etapa não seria enviada; use um valor padrão, por exemplo ", p.missing.join(", "))}
                            <code>{format!("{{{{{}|\"…\"}}}}", p.missing[0])}</code>"."
                        </p>
                    })}
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Rendered(text: RenderedText) -> impl IntoView {
    text.pieces
        .into_iter()
        .map(|piece| match piece.kind {
            PreviewPieceKind::Text => view! { <span>{piece.text}</span> }.into_any(),
            PreviewPieceKind::Value => view! {
                <mark class="pv-value" title=piece.variable.clone().unwrap_or_default()>{piece.text}</mark>
            }
            .into_any(),
            PreviewPieceKind::Missing => view! {
                <mark class="pv-missing" title="Sem valor para este lead">{piece.text}</mark>
            }
            .into_any(),
        })
        .collect_view()
}
