//! The authenticated shell: sidebar navigation, organization switcher and user menu.
//! Signed-out visitors are sent to the login page.

use flux_dto::auth::SwitchOrgRequest;
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::{Outlet, Redirect, A},
    hooks::use_navigate,
};
use uuid::Uuid;

use crate::{
    api, components::feedback::Loading, labels, live::use_live, session::use_session, texts,
};

#[component]
pub fn AuthenticatedLayout() -> impl IntoView {
    let session = use_session();
    // The live stream starts with the shell, so its code loads with it.
    use_live().run(move || {
        session
            .me
            .with_untracked(|me| me.as_ref().map(|m| m.organization.id))
    });
    view! {
        {move || {
            if !session.ready.get() {
                view! { <div class="centered"><Loading/></div> }.into_any()
            } else if session.me.with(Option::is_none) {
                view! { <Redirect path="/entrar"/> }.into_any()
            } else {
                view! {
                    <div class="shell">
                        <Sidebar/>
                        <div class="shell-main">
                            <TopBar/>
                            <main id="conteudo" class="content" tabindex="-1">
                                <Outlet/>
                            </main>
                        </div>
                    </div>
                }
                .into_any()
            }
        }}
    }
}

#[component]
fn Sidebar() -> impl IntoView {
    let session = use_session();
    let links = [
        ("/", texts::NAV_DASHBOARD),
        ("/leads", texts::NAV_LEADS),
        ("/cadencias", texts::NAV_CADENCES),
        ("/templates", texts::NAV_TEMPLATES),
        ("/relatorios", texts::NAV_REPORTS),
    ];
    view! {
        <nav class="sidebar" aria-label="Navegação principal">
            <a class="skip-link" href="#conteudo">"Pular para o conteúdo"</a>
            <div class="brand">{texts::APP_NAME}</div>
            <ul>
                {links.into_iter().map(|(href, label)| view! {
                    <li><A href=href exact=href == "/">{label}</A></li>
                }).collect_view()}
                <li class="nav-group">{texts::NAV_SETTINGS}
                    <ul>
                        <li><A href="/configuracoes/usuarios">{texts::NAV_USERS}</A></li>
                        <li><A href="/configuracoes/caixas">{texts::NAV_MAILBOXES}</A></li>
                        <li><A href="/configuracoes/envio">{texts::NAV_SENDING}</A></li>
                        <li><A href="/configuracoes/ia">{texts::NAV_AI}</A></li>
                    </ul>
                </li>
            </ul>
            <p class="sidebar-plan">
                {move || session.me.with(|me| me.as_ref().and_then(|m| m.subscription.as_ref()).map(|s| format!("Plano {}", s.plan_name)))}
            </p>
        </nav>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let switch_error = RwSignal::new(None::<String>);

    let after_switch = navigate.clone();
    let on_switch = move |ev: leptos::ev::Event| {
        let Ok(org_id) = event_target_value(&ev).parse::<Uuid>() else {
            return;
        };
        let navigate = after_switch.clone();
        spawn_local(async move {
            let body = SwitchOrgRequest { org_id };
            let result = match api::auth::switch_org(&body).await {
                Ok(auth) => api::auth::start_session(auth).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(me) => {
                    switch_error.set(None);
                    session.me.set(Some(me));
                    // Start over on the dashboard: no page keeps the other org's data.
                    navigate("/", Default::default());
                }
                Err(e) => switch_error.set(Some(e.message().to_owned())),
            }
        });
    };
    let logout = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            api::auth::logout().await;
            session.me.set(None);
            navigate("/entrar", Default::default());
        });
    };

    view! {
        <header class="topbar">
            <div class="org-switcher">
                <label for="org-switch" class="visually-hidden">"Organização"</label>
                <select id="org-switch" on:change=on_switch>
                    {move || session.me.with(|me| {
                        let me = me.as_ref()?;
                        let current = me.organization.id;
                        Some(me.memberships.iter().map(|m| {
                            let selected = m.org_id == current;
                            view! { <option value=m.org_id.to_string() selected=selected>{m.org_name.clone()}</option> }
                        }).collect_view())
                    })}
                </select>
                <Show when=move || switch_error.get().is_some()>
                    <span class="form-error" role="alert">{move || switch_error.get()}</span>
                </Show>
            </div>
            <div class="user-menu">
                <span class="user-name">
                    {move || session.me.with(|me| me.as_ref().map(|m| m.user.name.clone()))}
                </span>
                <span class="badge">
                    {move || session.me.with(|me| me.as_ref().map(|m| labels::role(m.role)))}
                </span>
                <button type="button" class="button secondary" on:click=logout>{texts::LOGOUT}</button>
            </div>
        </header>
    }
}
