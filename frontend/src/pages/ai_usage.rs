//! AI usage: today's generations against the plan's limit and the log of every
//! generation (who, for which lead, model, tokens, latency, outcome). Managers see the
//! whole organization; others their own.

use flux_dto::ai::{AiGenerationList, AiOutcome, AiSource, AiUsage};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api,
    components::feedback::{ErrorBox, Loading},
    format,
    pages::{leads::Pager, templates::channel_label},
};

const PER_PAGE: i64 = 50;

fn outcome_label(outcome: AiOutcome) -> &'static str {
    match outcome {
        AiOutcome::Pending => "Em andamento",
        AiOutcome::Succeeded => "Gerada",
        AiOutcome::Failed => "Falhou",
        AiOutcome::LimitExceeded => "Limite atingido",
    }
}

fn source_label(source: AiSource) -> &'static str {
    match source {
        AiSource::OnDemand => "Gerar com IA",
        AiSource::Cadence => "Cadência",
    }
}

#[component]
pub fn AiUsagePage() -> impl IntoView {
    let usage = LocalResource::new(|| api::get::<AiUsage>("/api/v1/ai/usage"));
    let page = RwSignal::new(1_i64);
    let log = LocalResource::new(move || {
        let page = page.get();
        async move {
            api::get::<AiGenerationList>(&format!(
                "/api/v1/ai/generations?page={page}&per_page={PER_PAGE}"
            ))
            .await
        }
    });
    view! {
        <div class="page-header"><h1>"Uso de IA"</h1></div>
        <section class="card" aria-labelledby="ai-today-title">
            <h2 id="ai-today-title">"Hoje"</h2>
            {move || match usage.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                Some(Ok(u)) => view! {
                    <p class="card-value" data-ai-used>{if u.unlimited {
                        format!("{} gerações (ilimitado)", u.used)
                    } else {
                        format!("{} de {} gerações", u.used, u.limit)
                    }}</p>
                    <p class="muted">{format!("Plano {} · volta a zerar em {}", u.plan, format::date_time(u.resets_at))}
                        {(u.in_progress > 0).then(|| format!(" · {} em andamento", u.in_progress))}</p>
                    {(!u.configured).then(|| view! {
                        <p class="notice warn">"A IA não está configurada neste servidor (FLUX_AI_PROVIDER)."</p>
                    })}
                }.into_any(),
            }}
        </section>
        <section class="card" aria-labelledby="ai-log-title">
            <h2 id="ai-log-title">"Gerações"</h2>
            {move || match log.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                Some(Ok(list)) if list.items.is_empty() => view! { <p class="muted">"Nenhuma geração ainda."</p> }.into_any(),
                Some(Ok(list)) => {
                    let t = list.totals.clone();
                    view! {
                        <p class="muted">{format!(
                            "{} geradas · {} falharam · {} recusadas pelo limite · {} tokens de entrada, {} de saída",
                            t.succeeded, t.failed, t.limit_exceeded, t.input_tokens, t.output_tokens
                        )}</p>
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Quando"</th><th scope="col">"Quem"</th><th scope="col">"Lead"</th>
                                <th scope="col">"Origem"</th><th scope="col">"Canal"</th><th scope="col">"Modelo"</th>
                                <th scope="col">"Tokens"</th><th scope="col">"Tempo"</th><th scope="col">"Resultado"</th>
                            </tr></thead>
                            <tbody>{list.items.into_iter().map(|g| view! {
                                <tr>
                                    <td>{format::date_time(g.created_at)}</td>
                                    <td>{g.user_name.unwrap_or_else(|| "—".into())}</td>
                                    <td>{match (g.lead_id, g.lead_name) {
                                        (Some(id), Some(name)) => view! { <A href=format!("/leads/{id}")>{name}</A> }.into_any(),
                                        _ => view! { "—" }.into_any(),
                                    }}</td>
                                    <td>{source_label(g.source)}</td>
                                    <td>{channel_label(g.channel)}</td>
                                    <td class="mono">{g.model}</td>
                                    <td>{match (g.input_tokens, g.output_tokens) {
                                        (Some(i), Some(o)) => format!("{i} / {o}"),
                                        _ => "—".into(),
                                    }}</td>
                                    <td>{g.latency_ms.map(|ms| format!("{:.1} s", f64::from(ms) / 1000.0).replace('.', ",")).unwrap_or_else(|| "—".into())}</td>
                                    <td title=g.error_message.unwrap_or_default()>{outcome_label(g.outcome)}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        <Pager page=page total=list.total per_page=PER_PAGE unit="geração(ões)"/>
                    }.into_any()
                }
            }}
        </section>
    }
}
