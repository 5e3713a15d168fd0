//! Flux SPA (Leptos CSR, pt-BR). Routes in Portuguese. `App` restores the session from
//! the refresh cookie before it chooses a route; every signed-in page sits inside the
//! shell (`AuthenticatedLayout`), and pages load by area (`routes`).

#![allow(unreachable_pub)] // a binary crate: `pub` marks module APIs

mod api;
mod components;
mod crash;
mod format;
mod labels;
mod live;
mod pages;
mod routes;
mod session;
mod texts;
mod timer;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    components::feedback::Loading,
    pages::login::LoginPage,
    routes::{Cadences, Home, Leads, Page, Public, RouteView, Settings, Templates},
    session::Session,
};

fn main() {
    crash::install();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    provide_context(live::Live::new());
    // A revoked or expired session sends the user back to the login page.
    api::on_session_lost(move || session.me.set(None));
    spawn_local(async move {
        let me = api::auth::restore_session().await;
        session.me.set(me);
        session.ready.set(true);
    });
    // Routes are chosen once the session is known, so a signed-out visitor never
    // fetches the modules of signed-in pages.
    let page = move |page| RouteView::new(session, page);

    view! {
        <Show when=move || session.ready.get() fallback=|| view! { <div class="centered"><Loading/></div> }>
        <Router>
            <Routes fallback=|| view! { <main class="content"><h1>"Página não encontrada"</h1></main> }>
                <Route path=path!("/entrar") view=LoginPage/>
                <Route path=path!("/cadastro") view={page(Page::Public(Public::Signup))}/>
                <Route path=path!("/esqueci-senha") view={page(Page::Public(Public::ForgotPassword))}/>
                <Route path=path!("/redefinir-senha") view={page(Page::Public(Public::ResetPassword))}/>
                <Route path=path!("/convite") view={page(Page::Public(Public::AcceptInvite))}/>
                <ParentRoute path=path!("") view={page(Page::Home(Home::Shell))}>
                    <Route path=path!("") view={page(Page::Home(Home::Dashboard))}/>
                    <Route path=path!("/leads") view={page(Page::Leads(Leads::List))}/>
                    <Route path=path!("/leads/importar") view={page(Page::Leads(Leads::Import))}/>
                    <Route path=path!("/leads/:id") view={page(Page::Leads(Leads::Profile))}/>
                    <Route path=path!("/cadencias") view={page(Page::Cadences(Cadences::List))}/>
                    <Route path=path!("/cadencias/nova") view={page(Page::Cadences(Cadences::Builder))}/>
                    <Route path=path!("/cadencias/:id") view={page(Page::Cadences(Cadences::Detail))}/>
                    <Route path=path!("/cadencias/:id/editar") view={page(Page::Cadences(Cadences::Builder))}/>
                    <Route path=path!("/templates") view={page(Page::Templates(Templates::List))}/>
                    <Route path=path!("/templates/novo") view={page(Page::Templates(Templates::Editor))}/>
                    <Route path=path!("/templates/:id") view={page(Page::Templates(Templates::Editor))}/>
                    <Route path=path!("/relatorios") view={page(Page::Home(Home::Reports))}/>
                    <Route path=path!("/configuracoes/usuarios") view={page(Page::Settings(Settings::Users))}/>
                    <Route path=path!("/configuracoes/envio") view={page(Page::Settings(Settings::Sending))}/>
                    <Route path=path!("/configuracoes/caixas") view={page(Page::Settings(Settings::Mailboxes))}/>
                    <Route path=path!("/configuracoes/ia") view={page(Page::Settings(Settings::Ai))}/>
                    // Where LIMIT_EXCEEDED's `upgrade_url` points; billing comes later.
                    <Route path=path!("/configuracoes/plano") view={page(Page::Home(Home::Plan))}/>
                </ParentRoute>
            </Routes>
        </Router>
        </Show>
    }
}
