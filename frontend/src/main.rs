//! Flux SPA (Leptos CSR, pt-BR). Routes in Portuguese; everything authenticated sits
//! inside `AuthenticatedLayout`, which restores the session from the refresh cookie.

#![allow(unreachable_pub)] // a binary crate: `pub` marks module APIs

mod api;
mod components;
mod format;
mod labels;
mod live;
mod pages;
mod session;
mod texts;
mod timer;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    components::layout::AuthenticatedLayout,
    pages::{
        accept_invite::AcceptInvitePage,
        ai_usage::AiUsagePage,
        cadences::{builder::CadenceBuilderPage, detail::CadenceDetailPage, CadencesPage},
        dashboard::DashboardPage,
        forgot_password::ForgotPasswordPage,
        lead_import::LeadImportPage,
        lead_profile::LeadProfilePage,
        leads::LeadsPage,
        login::LoginPage,
        mailboxes::MailboxesPage,
        not_built::NotBuiltPage,
        reset_password::ResetPasswordPage,
        sending::SendingSettingsPage,
        signup::SignupPage,
        templates::{TemplateEditorPage, TemplatesPage},
        users::UsersPage,
    },
    session::Session,
};

fn main() {
    console_error_panic_hook_lite();
    leptos::mount::mount_to_body(App);
}

/// Panics go to the browser console instead of vanishing.
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
    }));
}

#[component]
fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    let live = live::Live::new();
    provide_context(live);
    live.run(move || {
        session
            .me
            .with_untracked(|me| me.as_ref().map(|m| m.organization.id))
    });
    // A revoked or expired session sends the user back to the login page.
    api::on_session_lost(move || session.me.set(None));
    spawn_local(async move {
        let me = api::auth::restore_session().await;
        session.me.set(me);
        session.ready.set(true);
    });

    view! {
        <Router>
            <Routes fallback=|| view! { <main class="content"><h1>"Página não encontrada"</h1></main> }>
                <Route path=path!("/entrar") view=LoginPage/>
                <Route path=path!("/cadastro") view=SignupPage/>
                <Route path=path!("/esqueci-senha") view=ForgotPasswordPage/>
                <Route path=path!("/redefinir-senha") view=ResetPasswordPage/>
                <Route path=path!("/convite") view=AcceptInvitePage/>
                <ParentRoute path=path!("") view=AuthenticatedLayout>
                    <Route path=path!("") view=DashboardPage/>
                    <Route path=path!("/leads") view=LeadsPage/>
                    <Route path=path!("/leads/importar") view=LeadImportPage/>
                    <Route path=path!("/leads/:id") view=LeadProfilePage/>
                    <Route path=path!("/cadencias") view=CadencesPage/>
                    <Route path=path!("/cadencias/nova") view=CadenceBuilderPage/>
                    <Route path=path!("/cadencias/:id") view=CadenceDetailPage/>
                    <Route path=path!("/cadencias/:id/editar") view=CadenceBuilderPage/>
                    <Route path=path!("/templates") view=TemplatesPage/>
                    <Route path=path!("/templates/novo") view=TemplateEditorPage/>
                    <Route path=path!("/templates/:id") view=TemplateEditorPage/>
                    <Route path=path!("/relatorios") view=|| view! {
                        <NotBuiltPage title=texts::NAV_REPORTS description="Funil por cadência, desempenho de templates e ranking de SDRs."/>
                    }/>
                    <Route path=path!("/configuracoes/usuarios") view=UsersPage/>
                    <Route path=path!("/configuracoes/envio") view=SendingSettingsPage/>
                    <Route path=path!("/configuracoes/caixas") view=MailboxesPage/>
                    <Route path=path!("/configuracoes/ia") view=AiUsagePage/>
                    // Where LIMIT_EXCEEDED's `upgrade_url` points; billing comes later.
                    <Route path=path!("/configuracoes/plano") view=|| view! {
                        <NotBuiltPage title="Plano" description="Mais gerações com IA por dia, leads e usuários vêm com os planos Pro e Enterprise. Fale com o responsável pela conta para mudar de plano: a troca pelo Flux chega com a cobrança."/>
                    }/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
