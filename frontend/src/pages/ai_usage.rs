//! AI usage: today's generations against the plan's limit and the log of every
//! generation (who, for which lead, model, tokens, latency, outcome). Managers see the
//! whole organization; others their own.

use flux_dto::{ai::GenerationQuery, query::Page};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{api, components::feedback::loaded, components::pager::Pager, format, labels};

const PER_PAGE: i64 = 50;

#[component]
pub fn AiUsagePage() -> impl IntoView {
    let usage = LocalResource::new(api::ai::usage);
    let page = RwSignal::new(1_i64);
    let log = LocalResource::new(move || {
        let page = page.get();
        async move {
            let page = Page {
                page,
                per_page: PER_PAGE,
            };
            api::ai::generations(&GenerationQuery::default(), page).await
        }
    });
    view! {
        <div class="page-header"><h1>"Uso de IA"</h1></div>
        <section class="card" aria-labelledby="ai-today-title">
            <h2 id="ai-today-title">"Hoje"</h2>
            {move || loaded(usage.get(), None, |u| view! {
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
                }.into_any())}
        </section>
        <section class="card" aria-labelledby="ai-log-title">
            <h2 id="ai-log-title">"Gerações"</h2>
            {move || loaded(log.get(), None, |value| match value {
                list if list.items.is_empty() => view! { <p class="muted">"Nenhuma geração ainda."</p> }.into_any(),
                list => {
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
                                    <td>{labels::ai_source(g.source)}</td>
                                    <td>{labels::channel(g.channel)}</td>
                                    <td class="mono">{g.model}</td>
                                    <td>{match (g.input_tokens, g.output_tokens) {
                                        (Some(i), Some(o)) => format!("{i} / {o}"),
                                        _ => "—".into(),
                                    }}</td>
                                    <td>{g.latency_ms.map(|ms| format!("{:.1} s", f64::from(ms) / 1000.0).replace('.', ",")).unwrap_or_else(|| "—".into())}</td>
                                    <td title=g.error_message.unwrap_or_default()>{labels::ai_outcome(g.outcome)}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        <Pager page=page total=list.total per_page=PER_PAGE unit="geração(ões)"/>
                    }.into_any()
                }
            })}
        </section>
    }
}
