//! Mailboxes (`/configuracoes/caixas`): each sender's SMTP server (and the IMAP inbox
//! replies and bounces are read from), the connection test, the daily cap and spacing,
//! and the health of reply reading. Passwords are write-only.

use flux_dto::{
    mailboxes::{CreateMailbox, MailSecurity, MailboxDto, MailboxTestResult, UpdateMailbox},
    members::{MemberList, MemberStatus},
};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{self, ApiError},
    components::{
        feedback::{confirm, loaded, Empty, FormError},
        field::{FieldError, TextField},
    },
    format, labels,
    pages::field_error,
    session::use_session,
};

/// `/configuracoes/caixas`.
#[component]
pub fn MailboxesPage() -> impl IntoView {
    let session = use_session();
    let manager = session.can("integrations:manage");
    let mailboxes = LocalResource::new(api::mailboxes::list);
    let members = LocalResource::new(move || async move {
        if manager {
            api::members::list().await.ok()
        } else {
            None
        }
    });
    let adding = RwSignal::new(false);
    let reload = Callback::new(move |()| mailboxes.refetch());
    let me = session
        .me
        .with_untracked(|m| m.as_ref().map(|m| m.user.id))
        .unwrap_or_default();
    let has_own = move || {
        mailboxes.with(|l| {
            l.as_ref()
                .and_then(|r| r.as_ref().ok())
                .is_some_and(|l| l.items.iter().any(|m| m.user_id == me))
        })
    };
    let can_add = move || session.can("cadences:write") && (manager || !has_own());
    view! {
        <div class="page-header">
            <h1>"Caixas de e-mail"</h1>
            <div class="actions">
                <Show when=move || can_add() && !adding.get()>
                    <button type="button" class="button primary" on:click=move |_| adding.set(true)>"Nova caixa"</button>
                </Show>
            </div>
        </div>
        <p class="muted">"Cada pessoa que envia cadências tem uma caixa: o servidor SMTP por onde os e-mails saem e, \
            opcionalmente, a caixa IMAP onde o Flux lê respostas e bounces para encerrar as inscrições."</p>
        <Show when=move || adding.get()>
            <MailboxForm existing=None members=members
                on_done=Callback::new(move |saved: bool| {
                    adding.set(false);
                    if saved { reload.run(()); }
                })/>
        </Show>
        {move || loaded(mailboxes.get(), Some(reload), |value| match value {
            list if list.items.is_empty() => view! {
                <Empty message="Nenhuma caixa de e-mail configurada: sem ela, os passos de e-mail não saem."/>
            }.into_any(),
            list => list.items.into_iter().map(|m| view! {
                <MailboxCard mailbox=m members=members on_change=reload/>
            }).collect_view().into_any(),
        })}
    }
}

#[component]
fn MailboxCard(
    mailbox: MailboxDto,
    members: LocalResource<Option<MemberList>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let editing = RwSignal::new(false);
    let testing = RwSignal::new(false);
    let test = RwSignal::new(None::<Result<MailboxTestResult, String>>);
    let error = RwSignal::new(None::<String>);
    let id = mailbox.id;
    let run_test = move |_| {
        testing.set(true);
        test.set(None);
        spawn_local(async move {
            let result = api::mailboxes::test(id).await;
            testing.set(false);
            test.set(Some(result.map_err(|e| e.message().to_owned())));
        });
    };
    let address = mailbox.from_email.clone();
    let remove = move |_| {
        if !confirm(&format!(
            "Excluir a caixa {address}? Os passos de e-mail de quem a usa deixam de sair."
        )) {
            return;
        }
        spawn_local(async move {
            match api::mailboxes::remove(id).await {
                Ok(()) => {
                    on_change.try_run(());
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    let owner = mailbox.user_id;
    let owner_name = move || {
        members
            .get()
            .flatten()
            .and_then(|l| l.items.into_iter().find(|m| m.user_id == owner))
            .map(|m| format!(" · de {}", m.name))
    };
    let writer = session.can("cadences:write");
    let m = mailbox.clone();
    let sync = m.sync.clone();
    let health = if !m.imap_enabled {
        (
            "Leitura de respostas desligada".to_owned(),
            "badge badge-off",
        )
    } else {
        match (
            &sync.last_poll_error,
            sync.last_poll_ok_at,
            sync.last_poll_at,
        ) {
            (Some(err), _, Some(at)) => (
                format!("Falhou em {}: {err}", format::date_time(at)),
                "badge badge-error",
            ),
            (None, Some(ok), _) => (
                format!("Lida com sucesso em {}", format::date_time(ok)),
                "badge badge-ok",
            ),
            _ => ("Ainda não lida".to_owned(), "badge badge-warn"),
        }
    };
    view! {
        <section class="card mailbox" aria-label=format!("Caixa {}", m.from_email)>
            <div class="page-header">
                <h2>{format!("{} <{}>", m.from_name, m.from_email)} <span class="muted">{owner_name}</span></h2>
                {writer.then(|| view! {
                    <div class="actions">
                        <button type="button" class="button secondary" disabled=move || testing.get() on:click=run_test>
                            {move || if testing.get() { "Testando…" } else { "Testar conexão" }}
                        </button>
                        <button type="button" class="button secondary" on:click=move |_| editing.update(|e| *e = !*e)>"Editar"</button>
                        <button type="button" class="button secondary" on:click=remove>"Excluir"</button>
                    </div>
                })}
            </div>
            <FormError error=error.read_only()/>
            <dl class="facts">
                <dt>"SMTP"</dt>
                <dd>{format!("{}:{} · {}{}", m.smtp_host, m.smtp_port, labels::mail_security(m.smtp_security),
                    if m.smtp_username.is_empty() { String::new() } else { format!(" · usuário {}", m.smtp_username) })}</dd>
                <dt>"IMAP"</dt>
                <dd>{match (&m.imap_host, m.imap_port, m.imap_security) {
                    (Some(host), Some(port), Some(sec)) if m.imap_enabled =>
                        format!("{host}:{port} · {} · pasta {}", labels::mail_security(sec), m.imap_folder),
                    _ => "—".to_owned(),
                }}</dd>
                <dt>"Limite diário"</dt><dd>{format!("{} enviados hoje de {}", m.sent_today, m.daily_limit)}</dd>
                <dt>"Intervalo mínimo"</dt><dd>{format!("{} s entre envios", m.min_interval_seconds)}</dd>
                <dt>"Respostas e bounces"</dt><dd><span class=health.1 data-testid="sync-health">{health.0}</span></dd>
            </dl>
            // One live region for every result, so each new one is announced.
            <div role="status">
            {move || test.get().map(|t| match t {
                Err(message) => view! { <p class="form-error">{message}</p> }.into_any(),
                Ok(result) => view! {
                    <ul class="connection-checks">
                        <li class=if result.smtp.ok { "ok" } else { "failed" }>
                            {format!("SMTP: {}", result.smtp.message)}
                        </li>
                        {result.imap.map(|imap| view! {
                            <li class=if imap.ok { "ok" } else { "failed" }>{format!("IMAP: {}", imap.message)}</li>
                        })}
                    </ul>
                }.into_any(),
            })}
            </div>
            <Show when=move || editing.get()>
                <MailboxForm existing=Some(mailbox.clone()) members=members
                    on_done=Callback::new(move |saved: bool| {
                        editing.set(false);
                        if saved { on_change.run(()); }
                    })/>
            </Show>
        </section>
    }
}

/// Text from an optional value; blank stays blank.
fn text(value: Option<&String>) -> String {
    value.cloned().unwrap_or_default()
}

/// Creates a mailbox (`existing` is `None`) or changes one, sending only what changed:
/// pointing a mailbox at another server requires its password again.
#[component]
fn MailboxForm(
    existing: Option<MailboxDto>,
    members: LocalResource<Option<MemberList>>,
    on_done: Callback<bool>,
) -> impl IntoView {
    let e = existing.as_ref();
    let owner = RwSignal::new(String::new());
    let from_name = RwSignal::new(e.map(|m| m.from_name.clone()).unwrap_or_default());
    let from_email = RwSignal::new(e.map(|m| m.from_email.clone()).unwrap_or_default());
    let smtp_host = RwSignal::new(e.map(|m| m.smtp_host.clone()).unwrap_or_default());
    let smtp_port = RwSignal::new(
        e.map(|m| m.smtp_port.to_string())
            .unwrap_or_else(|| "587".into()),
    );
    let smtp_security = RwSignal::new(e.map(|m| m.smtp_security).unwrap_or(MailSecurity::Starttls));
    let smtp_username = RwSignal::new(e.map(|m| m.smtp_username.clone()).unwrap_or_default());
    let smtp_password = RwSignal::new(String::new());
    let imap_enabled = RwSignal::new(e.is_some_and(|m| m.imap_enabled));
    let imap_host = RwSignal::new(text(e.and_then(|m| m.imap_host.as_ref())));
    let imap_port = RwSignal::new(
        e.and_then(|m| m.imap_port)
            .map(|p| p.to_string())
            .unwrap_or_else(|| "993".into()),
    );
    let imap_security = RwSignal::new(e.and_then(|m| m.imap_security).unwrap_or(MailSecurity::Tls));
    let imap_username = RwSignal::new(text(e.and_then(|m| m.imap_username.as_ref())));
    let imap_password = RwSignal::new(String::new());
    let imap_folder = RwSignal::new(
        e.map(|m| m.imap_folder.clone())
            .unwrap_or_else(|| "INBOX".into()),
    );
    let daily_limit = RwSignal::new(
        e.map(|m| m.daily_limit.to_string())
            .unwrap_or_else(|| "200".into()),
    );
    let min_interval = RwSignal::new(
        e.map(|m| m.min_interval_seconds.to_string())
            .unwrap_or_else(|| "60".into()),
    );
    let error = RwSignal::new(None::<ApiError>);
    let general = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let original = existing.clone();
    let editing = existing.is_some();
    // Ids unique per form: a new mailbox and several edits can be open at once.
    let form_key = existing.as_ref().map(|m| m.id).unwrap_or_default();
    let fid = move |name: &str| format!("mailbox-{}-{name}", form_key.simple());

    // Not a number: 0, which the server refuses naming the field.
    let port = |s: RwSignal<String>| s.get_untracked().trim().parse::<u16>().unwrap_or(0);
    let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<i32>().unwrap_or(-1);
    let given = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.is_empty());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        let original = original.clone();
        spawn_local(async move {
            let result = match original {
                None => {
                    let body = CreateMailbox {
                        user_id: owner.get_untracked().parse().ok(),
                        from_name: from_name.get_untracked(),
                        from_email: from_email.get_untracked(),
                        smtp_host: smtp_host.get_untracked().trim().to_owned(),
                        smtp_port: port(smtp_port),
                        smtp_security: smtp_security.get_untracked(),
                        smtp_username: smtp_username.get_untracked(),
                        smtp_password: smtp_password.get_untracked(),
                        imap_enabled: imap_enabled.get_untracked(),
                        imap_host: given(imap_host).map(|h| h.trim().to_owned()),
                        imap_port: imap_enabled.get_untracked().then(|| port(imap_port)),
                        imap_security: imap_enabled
                            .get_untracked()
                            .then(|| imap_security.get_untracked()),
                        imap_username: given(imap_username),
                        imap_password: given(imap_password),
                        imap_folder: given(imap_folder),
                        daily_limit: Some(number(daily_limit)),
                        min_interval_seconds: Some(number(min_interval)),
                    };
                    api::mailboxes::create(&body).await
                }
                Some(m) => {
                    // With reply reading off, its settings stay as they were.
                    let imap_on = imap_enabled.get_untracked();
                    let changed = |now: String, was: &str| (now != was).then_some(now);
                    let imap = |value: Option<String>| value.filter(|_| imap_on);
                    let body = UpdateMailbox {
                        from_name: changed(from_name.get_untracked(), &m.from_name),
                        from_email: changed(from_email.get_untracked(), &m.from_email),
                        smtp_host: changed(
                            smtp_host.get_untracked().trim().to_owned(),
                            &m.smtp_host,
                        ),
                        smtp_port: Some(port(smtp_port)).filter(|p| *p != m.smtp_port),
                        smtp_security: Some(smtp_security.get_untracked())
                            .filter(|s| *s != m.smtp_security),
                        smtp_username: changed(smtp_username.get_untracked(), &m.smtp_username),
                        smtp_password: given(smtp_password),
                        imap_enabled: Some(imap_on).filter(|e| *e != m.imap_enabled),
                        imap_host: imap(changed(
                            imap_host.get_untracked().trim().to_owned(),
                            &text(m.imap_host.as_ref()),
                        )),
                        imap_port: Some(port(imap_port))
                            .filter(|p| imap_on && Some(*p) != m.imap_port),
                        imap_security: Some(imap_security.get_untracked())
                            .filter(|s| imap_on && Some(*s) != m.imap_security),
                        imap_username: imap(changed(
                            imap_username.get_untracked(),
                            &text(m.imap_username.as_ref()),
                        )),
                        imap_password: imap(given(imap_password)),
                        imap_folder: imap(changed(imap_folder.get_untracked(), &m.imap_folder)),
                        daily_limit: Some(number(daily_limit)).filter(|d| *d != m.daily_limit),
                        min_interval_seconds: Some(number(min_interval))
                            .filter(|d| *d != m.min_interval_seconds),
                    };
                    api::mailboxes::update(m.id, &body).await
                }
            };
            pending.set(false);
            match result {
                Ok(_) => {
                    on_done.try_run(true);
                }
                Err(e) => {
                    // An issue on a field the form does not show goes to the top.
                    let imap_on = imap_enabled.get_untracked();
                    let all_shown = e.0.field_issues().iter().all(|f| match f.field.as_str() {
                        "user_id" => !editing && members.get_untracked().flatten().is_some(),
                        field => imap_on || !field.starts_with("imap_"),
                    });
                    let on_fields = !e.0.field_issues().is_empty() && all_shown;
                    general.set((!on_fields).then(|| e.message().to_owned()));
                    error.set(Some(e));
                }
            }
        });
    };
    let password_hint = if editing {
        " (deixe em branco para manter)"
    } else {
        ""
    };

    view! {
        <form class="card mailbox-form" on:submit=submit novalidate
            aria-label=if editing { "Editar caixa de e-mail" } else { "Nova caixa de e-mail" }>
            <FormError error=general.read_only()/>
            {(!editing).then(|| view! {
                {move || members.get().flatten().map(|list| view! {
                    <div class="field" class:has-error=move || field_error(error, "user_id").get().is_some()>
                        <label for=fid("owner")>"De quem é a caixa"</label>
                        <select id=fid("owner") on:change=move |ev| owner.set(event_target_value(&ev))>
                            <option value="">"Minha"</option>
                            {list.items.into_iter().filter(|m| m.status == MemberStatus::Active).map(|m| view! {
                                <option value=m.user_id.to_string()>{m.name}</option>
                            }).collect_view()}
                        </select>
                        <FieldError error=field_error(error, "user_id")/>
                    </div>
                })}
            })}
            <div class="grid-2">
                <TextField id=fid("from-name") label="Nome do remetente" value=from_name autocomplete="off" error=field_error(error, "from_name")/>
                <TextField id=fid("from-email") label="E-mail do remetente" kind="email" value=from_email autocomplete="off" error=field_error(error, "from_email")/>
            </div>
            <fieldset>
                <legend>"Envio (SMTP)"</legend>
                <ServerFields form=fid("smtp") protocol="smtp" host=smtp_host port=smtp_port security=smtp_security
                    username=smtp_username password=smtp_password password_hint=password_hint error=error/>
            </fieldset>
            <fieldset>
                <legend>"Respostas e bounces (IMAP)"</legend>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || imap_enabled.get() on:change=move |ev| imap_enabled.set(event_target_checked(&ev))/>
                    " Ler respostas e bounces desta caixa"
                </label>
                <Show when=move || imap_enabled.get()>
                    <ServerFields form=fid("imap") protocol="imap" host=imap_host port=imap_port security=imap_security
                        username=imap_username password=imap_password password_hint=password_hint error=error/>
                    <TextField id=fid("imap-folder") label="Pasta" value=imap_folder autocomplete="off" error=field_error(error, "imap_folder")/>
                </Show>
            </fieldset>
            <fieldset>
                <legend>"Ritmo"</legend>
                <div class="grid-2">
                    <TextField id=fid("daily-limit") label="Limite de envios por dia" kind="number" value=daily_limit error=field_error(error, "daily_limit")/>
                    <TextField id=fid("min-interval") label="Intervalo mínimo entre envios (segundos)" kind="number" value=min_interval error=field_error(error, "min_interval_seconds")/>
                </div>
            </fieldset>
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || pending.get()>
                    {if editing { "Salvar caixa" } else { "Criar caixa" }}
                </button>
                <button type="button" class="button secondary" on:click=move |_| on_done.run(false)>"Cancelar"</button>
            </div>
        </form>
    }
}

/// Host, port, security and account of one mail server; ids start with `form`, and
/// errors are those the API names `{protocol}_host`, `{protocol}_port`, ….
#[component]
fn ServerFields(
    form: String,
    protocol: &'static str,
    host: RwSignal<String>,
    port: RwSignal<String>,
    security: RwSignal<MailSecurity>,
    username: RwSignal<String>,
    password: RwSignal<String>,
    password_hint: &'static str,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let name = protocol.to_uppercase();
    let issue = move |what: &'static str| {
        let field = format!("{protocol}_{what}");
        Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field(&field))))
    };
    let id = |what: &str| format!("{form}-{what}");
    view! {
        <div class="grid-2">
            <TextField id=id("host") label=format!("Servidor {name}") value=host autocomplete="off" error=issue("host")/>
            <TextField id=id("port") label=format!("Porta {name}") kind="number" value=port error=issue("port")/>
        </div>
        <div class="field">
            <label for=id("security")>{format!("Segurança {name}")}</label>
            <select id=id("security") on:change=move |ev| {
                if let Ok(s) = event_target_value(&ev).parse::<MailSecurity>() { security.set(s); }
            }>
                {[MailSecurity::Tls, MailSecurity::Starttls, MailSecurity::None].into_iter().map(|s| view! {
                    <option value=s.as_str() selected=move || security.get() == s>{labels::mail_security(s)}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="grid-2">
            <TextField id=id("username") label=format!("Usuário {name}") value=username autocomplete="off" error=issue("username")/>
            <TextField id=id("password") label=format!("Senha {name}{password_hint}") kind="password" value=password
                autocomplete="new-password" error=issue("password")/>
        </div>
    }
}
