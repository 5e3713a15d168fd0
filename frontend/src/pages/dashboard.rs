use flux_dto::auth::SubscriptionStatus;
use leptos::prelude::*;

use crate::{labels, session::use_session};

/// Home: who you are, where, and the plan. Metrics arrive with the dashboard issue.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = use_session();
    view! {
        {move || session.me.get().map(|me| {
            let sub = me.subscription.clone();
            view! {
                <h1>{format!("Olá, {}!", me.user.name.split(' ').next().unwrap_or_default())}</h1>
                <p class="muted">{format!("Organização {} · {}", me.organization.name, labels::role(me.role))}</p>
                <section class="cards">
                    <article class="card">
                        <h2>"Plano"</h2>
                        {sub.map(|s| view! {
                            <p class="card-value">{s.plan_name.clone()}</p>
                            <p class="muted">
                                {if s.status == SubscriptionStatus::Trialing {
                                    format!("Período de teste até {}", s.current_period_end.format("%d/%m/%Y"))
                                } else {
                                    format!("Renova em {}", s.current_period_end.format("%d/%m/%Y"))
                                }}
                            </p>
                            <p class="muted">{format!("{} usuários incluídos", s.included_users)}</p>
                        })}
                    </article>
                    <article class="card">
                        <h2>"Próximos passos"</h2>
                        <ol>
                            <li><a href="/configuracoes/usuarios">"Convide sua equipe"</a></li>
                            <li><a href="/leads/importar">"Importe leads por CNPJ"</a></li>
                            <li><a href="/configuracoes/caixas">"Conecte sua caixa de e-mail"</a></li>
                            <li><a href="/cadencias/nova">"Monte sua primeira cadência"</a></li>
                        </ol>
                    </article>
                </section>
            }
        })}
    }
}
