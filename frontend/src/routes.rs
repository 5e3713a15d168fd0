//! The pages load by area. The login page is part of the first download; every other
//! page sits in one of six modules (`#[lazy]` functions, cut out of the wasm by
//! `scripts/build-spa.sh` with wasm-split) that the browser fetches the first time one
//! of its pages opens. A new visitor's first load holds the router, the transport and
//! the login page, not the whole product.
//!
//! Areas rather than one module per page: code that several modules share goes into
//! chunks of its own, one per combination of modules that need it, so a module per
//! page made a signed-in first visit fetch over a hundred small files. Pages opened
//! together (a list, its editor) share an area.

use futures_util::future::{FutureExt, LocalBoxFuture};
use leptos::{lazy, prelude::*};
use leptos_router::{components::Redirect, ChooseView};

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
        mailboxes::MailboxesPage,
        not_built::NotBuiltPage,
        reset_password::ResetPasswordPage,
        sending::SendingSettingsPage,
        signup::SignupPage,
        templates::{editor::TemplateEditorPage, TemplatesPage},
        users::UsersPage,
    },
    session::Session,
    texts,
};

// The area enums cross into the area modules by value; as fieldless enums they are
// plain integers there.

/// Pages anyone may open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Public {
    Signup,
    ForgotPassword,
    ResetPassword,
    AcceptInvite,
}

/// The signed-in shell and what a member sees first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home {
    /// Navigation, organization switcher and live updates around every member page.
    Shell,
    Dashboard,
    Reports,
    /// Where a plan limit's `upgrade_url` points; billing comes later.
    Plan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leads {
    List,
    Import,
    Profile,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cadences {
    List,
    Builder,
    Detail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Templates {
    List,
    Editor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settings {
    Users,
    Sending,
    Mailboxes,
    Ai,
}

/// A page, by the area module it loads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Public(Public),
    Home(Home),
    Leads(Leads),
    Cadences(Cadences),
    Templates(Templates),
    Settings(Settings),
}

#[lazy]
fn public_view(page: Public) -> AnyView {
    match page {
        Public::Signup => view! { <SignupPage/> }.into_any(),
        Public::ForgotPassword => view! { <ForgotPasswordPage/> }.into_any(),
        Public::ResetPassword => view! { <ResetPasswordPage/> }.into_any(),
        Public::AcceptInvite => view! { <AcceptInvitePage/> }.into_any(),
    }
}

#[lazy]
fn home_view(page: Home) -> AnyView {
    match page {
        Home::Shell => view! { <AuthenticatedLayout/> }.into_any(),
        Home::Dashboard => view! { <DashboardPage/> }.into_any(),
        Home::Reports => view! {
            <NotBuiltPage title=texts::NAV_REPORTS description="Funil por cadência, desempenho de templates e ranking de SDRs."/>
        }
        .into_any(),
        Home::Plan => view! {
            <NotBuiltPage title="Plano" description="Mais gerações com IA por dia, leads e usuários vêm com os planos Pro e Enterprise. Fale com o responsável pela conta para mudar de plano: a troca pelo Flux chega com a cobrança."/>
        }
        .into_any(),
    }
}

#[lazy]
fn leads_view(page: Leads) -> AnyView {
    match page {
        Leads::List => view! { <LeadsPage/> }.into_any(),
        Leads::Import => view! { <LeadImportPage/> }.into_any(),
        Leads::Profile => view! { <LeadProfilePage/> }.into_any(),
    }
}

#[lazy]
fn cadences_view(page: Cadences) -> AnyView {
    match page {
        Cadences::List => view! { <CadencesPage/> }.into_any(),
        Cadences::Builder => view! { <CadenceBuilderPage/> }.into_any(),
        Cadences::Detail => view! { <CadenceDetailPage/> }.into_any(),
    }
}

#[lazy]
fn templates_view(page: Templates) -> AnyView {
    match page {
        Templates::List => view! { <TemplatesPage/> }.into_any(),
        Templates::Editor => view! { <TemplateEditorPage/> }.into_any(),
    }
}

#[lazy]
fn settings_view(page: Settings) -> AnyView {
    match page {
        Settings::Users => view! { <UsersPage/> }.into_any(),
        Settings::Sending => view! { <SendingSettingsPage/> }.into_any(),
        Settings::Mailboxes => view! { <MailboxesPage/> }.into_any(),
        Settings::Ai => view! { <AiUsagePage/> }.into_any(),
    }
}

impl Page {
    /// Fetches the page's area module (once) and builds the page.
    fn view(self) -> LocalBoxFuture<'static, AnyView> {
        match self {
            Page::Public(page) => public_view(page).boxed_local(),
            Page::Home(page) => home_view(page).boxed_local(),
            Page::Leads(page) => leads_view(page).boxed_local(),
            Page::Cadences(page) => cadences_view(page).boxed_local(),
            Page::Templates(page) => templates_view(page).boxed_local(),
            Page::Settings(page) => settings_view(page).boxed_local(),
        }
    }

    /// Fetches the page's area module without building anything (a link hovered).
    fn preload(self) -> LocalBoxFuture<'static, ()> {
        match self {
            Page::Public(_) => __preload_public_view().boxed_local(),
            Page::Home(_) => __preload_home_view().boxed_local(),
            Page::Leads(_) => __preload_leads_view().boxed_local(),
            Page::Cadences(_) => __preload_cadences_view().boxed_local(),
            Page::Templates(_) => __preload_templates_view().boxed_local(),
            Page::Settings(_) => __preload_settings_view().boxed_local(),
        }
    }

    /// Whether only signed-in members may open it.
    fn members_only(self) -> bool {
        !matches!(self, Page::Public(_))
    }
}

/// A route's view. Members' pages are never fetched without a session: the shell
/// sends signed-out visitors to the login page and the page inside renders nothing.
#[derive(Clone, Copy)]
pub struct RouteView {
    page: Page,
    session: Session,
}

impl RouteView {
    pub fn new(session: Session, page: Page) -> Self {
        Self { page, session }
    }

    fn allowed(&self) -> bool {
        !self.page.members_only() || self.session.me.with_untracked(Option::is_some)
    }
}

impl ChooseView for RouteView {
    async fn choose(self) -> AnyView {
        if self.allowed() {
            self.page.view().await
        } else if self.page == Page::Home(Home::Shell) {
            view! { <Redirect path="/entrar"/> }.into_any()
        } else {
            ().into_any()
        }
    }

    async fn preload(&self) {
        if self.allowed() {
            self.page.preload().await;
        }
    }
}
