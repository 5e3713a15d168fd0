//! Configurações › Usuários: the team, invitations, roles and (de)activation.

use flux_dto::members::{
    CreateInvitationRequest, InvitationDto, InvitationStatus, MemberDto, MemberRole, MemberStatus,
    MemberStatusChange, UpdateMemberRequest,
};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{self, ApiError},
    components::{
        feedback::{loaded, Empty, FormError},
        field::TextField,
    },
    labels,
    pages::field_error,
    session::use_session,
    texts,
};

#[component]
pub fn UsersPage() -> impl IntoView {
    let session = use_session();
    let manager = move || session.can("users:manage");
    let members = LocalResource::new(api::members::list);
    let invitations = LocalResource::new(move || async move {
        if session.can("users:manage") {
            api::members::invitations().await.map(Some)
        } else {
            Ok(None)
        }
    });
    let reload = Callback::new(move |()| {
        members.refetch();
        invitations.refetch();
    });

    view! {
        <h1>{texts::NAV_USERS}</h1>
        <Show when=manager>
            <InviteForm on_done=reload/>
        </Show>
        <section aria-labelledby="members-title">
            <h2 id="members-title">"Equipe"</h2>
            {move || loaded(members.get(), Some(reload), |value| match value {
                list if list.items.is_empty() => view! { <Empty message="Nenhum membro ainda."/> }.into_any(),
                list => view! { <MembersTable members=list.items manager=manager() on_change=reload/> }.into_any(),
            })}
        </section>
        <Show when=manager>
            <section aria-labelledby="invites-title">
                <h2 id="invites-title">"Convites"</h2>
                {move || loaded(invitations.get(), Some(reload), |value| match value {
                    Some(list) if !list.items.is_empty() => view! { <InvitationsTable invitations=list.items on_change=reload/> }.into_any(),
                    _ => view! { <Empty message="Nenhum convite enviado."/> }.into_any(),
                })}
            </section>
        </Show>
    }
}

#[component]
fn InviteForm(on_done: Callback<()>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(MemberRole::Sdr);
    let error = RwSignal::new(None::<ApiError>);
    let general = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        sent.set(None);
        let body = CreateInvitationRequest {
            email: email.get_untracked(),
            role: role.get_untracked(),
        };
        spawn_local(async move {
            match api::members::invite(&body).await {
                Ok(inv) => {
                    error.set(None);
                    general.set(None);
                    email.set(String::new());
                    sent.set(Some(format!("Convite enviado para {}.", inv.email)));
                    on_done.run(());
                }
                Err(e) => {
                    general.set(e.field("email").is_none().then(|| e.message().to_owned()));
                    error.set(Some(e));
                }
            }
            pending.set(false);
        });
    };

    view! {
        <form class="inline-form" on:submit=submit novalidate aria-labelledby="invite-title">
            <h2 id="invite-title">"Convidar pessoa"</h2>
            <FormError error=general.read_only()/>
            <div class="inline-fields">
                <TextField id="invite-email" label=texts::EMAIL value=email kind="email" autocomplete="off" error=field_error(error, "email")/>
                <div class="field">
                    <label for="invite-role">{texts::ROLE}</label>
                    <select id="invite-role" on:change=move |ev| role.set(if event_target_value(&ev) == "manager" { MemberRole::Manager } else { MemberRole::Sdr })>
                        <option value="sdr" selected=true>"SDR"</option>
                        <option value="manager">"Gestor(a)"</option>
                    </select>
                </div>
                <button type="submit" class="button primary" disabled=move || pending.get()>"Enviar convite"</button>
            </div>
            <Show when=move || sent.get().is_some()>
                <p class="notice" role="status">{move || sent.get()}</p>
            </Show>
        </form>
    }
}

#[component]
fn MembersTable(members: Vec<MemberDto>, manager: bool, on_change: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let update = move |id: uuid::Uuid, body: UpdateMemberRequest| {
        spawn_local(async move {
            match api::members::update(id, &body).await {
                Ok(_) => {
                    error.set(None);
                    on_change.run(());
                }
                Err(e) => error.set(Some(e.message().to_owned())),
            }
        });
    };
    view! {
        <FormError error=error.read_only()/>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">{texts::NAME}</th>
                    <th scope="col">{texts::EMAIL}</th>
                    <th scope="col">{texts::ROLE}</th>
                    <th scope="col">{texts::STATUS}</th>
                    {manager.then(|| view! { <th scope="col">"Ações"</th> })}
                </tr>
            </thead>
            <tbody>
                {members.into_iter().map(|m| {
                    let id = m.id;
                    let active = m.status == MemberStatus::Active;
                    let role_select_id = format!("role-{id}");
                    view! {
                        <tr>
                            <td>{m.name.clone()}</td>
                            <td>{m.email.clone()}</td>
                            <td>
                                {if manager {
                                    view! {
                                        <label for=role_select_id.clone() class="visually-hidden">{format!("Papel de {}", m.name)}</label>
                                        <select id=role_select_id on:change=move |ev| {
                                            let role = if event_target_value(&ev) == "manager" { MemberRole::Manager } else { MemberRole::Sdr };
                                            update(id, UpdateMemberRequest { role: Some(role), status: None });
                                        }>
                                            <option value="sdr" selected=m.role == MemberRole::Sdr>"SDR"</option>
                                            <option value="manager" selected=m.role == MemberRole::Manager>"Gestor(a)"</option>
                                        </select>
                                    }.into_any()
                                } else {
                                    labels::role(m.role).into_any()
                                }}
                            </td>
                            <td><span class="badge" class:badge-off=!active>{labels::member_status(m.status)}</span></td>
                            {manager.then(|| {
                                let (label, status) = if active {
                                    ("Desativar", MemberStatusChange::Suspended)
                                } else {
                                    ("Reativar", MemberStatusChange::Active)
                                };
                                let name = m.name.clone();
                                view! {
                                    <td>
                                        <button type="button" class="button secondary" aria-label=format!("{label} {name}")
                                            on:click=move |_| update(id, UpdateMemberRequest { role: None, status: Some(status) })>
                                            {label}
                                        </button>
                                    </td>
                                }
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn InvitationsTable(invitations: Vec<InvitationDto>, on_change: Callback<()>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    view! {
        <FormError error=error.read_only()/>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">{texts::EMAIL}</th>
                    <th scope="col">{texts::ROLE}</th>
                    <th scope="col">{texts::STATUS}</th>
                    <th scope="col">"Expira em"</th>
                    <th scope="col">"Ações"</th>
                </tr>
            </thead>
            <tbody>
                {invitations.into_iter().map(|inv| {
                    let id = inv.id;
                    let pending = inv.status == InvitationStatus::Pending;
                    let email = inv.email.clone();
                    view! {
                        <tr>
                            <td>{inv.email.clone()}</td>
                            <td>{labels::role(inv.role)}</td>
                            <td><span class="badge">{labels::invitation_status(inv.status)}</span></td>
                            <td>{inv.expires_at.format("%d/%m/%Y").to_string()}</td>
                            <td>
                                {pending.then(|| view! {
                                    <button type="button" class="button secondary" aria-label=format!("Revogar convite de {email}")
                                        on:click=move |_| spawn_local(async move {
                                            match api::members::revoke_invitation(id).await {
                                                Ok(()) => on_change.run(()),
                                                Err(e) => error.set(Some(e.message().to_owned())),
                                            }
                                        })>
                                        "Revogar"
                                    </button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
