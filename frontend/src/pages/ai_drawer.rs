//! "Gerar com IA" on a lead's profile: channel, tone and context → a message the
//! model writes from the lead's data, editable in place, to regenerate, copy, save as
//! a template, send as a one-off e-mail from the member's mailbox (through Flux:
//! tracked, on the timeline) or take to a WhatsApp chat. The day's remaining
//! generations show, with the upgrade path at the plan's limit.

use flux_dto::{
    ai::{AiTone, AiUsage, GenerateMessageRequest, GeneratedMessage},
    enrollments::ReviewOutcome,
    leads::LeadDto,
    one_off_emails::{OneOffEmail, SendOneOffEmailRequest, SendState},
    templates::{Channel, CreateTemplateRequest, TemplateDto},
    ErrorCode,
};
use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::components::A;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::feedback::FormError,
    labels,
    pages::lead_pending_emails::settle_review,
    timer::sleep,
};

/// How long the drawer follows a sent e-mail (its retries back off for minutes)
/// before leaving it to the timeline, and how often it asks.
const FOLLOW_POLLS: usize = 90;
const FOLLOW_EVERY_MS: i32 = 2000;

/// The most characters of context the API takes.
const MAX_CONTEXT: usize = 500;

const TONES: [(AiTone, &str); 4] = [
    (AiTone::Professional, "Profissional"),
    (AiTone::Consultive, "Consultivo"),
    (AiTone::Direct, "Direto"),
    (AiTone::Friendly, "Amigável"),
];

fn usage_line(usage: &AiUsage) -> String {
    match usage.remaining {
        None => format!("Gerações ilimitadas no seu plano · {} hoje", usage.used),
        Some(left) => format!("{left} de {} gerações restantes hoje", usage.limit.max(0)),
    }
}

/// The browser's clipboard, absent outside secure contexts (plain HTTP on a LAN).
fn clipboard() -> Option<web_sys::Clipboard> {
    let navigator = web_sys::window()?.navigator();
    let present = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .is_ok_and(|c| !c.is_undefined() && !c.is_null());
    present.then(|| navigator.clipboard())
}

/// A WhatsApp chat with the lead (a Brazilian mobile: 55 + DDD + 9 digits), the text
/// typed in.
fn whatsapp_link(phone: &str, text: &str) -> Option<String> {
    let mut digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 {
        digits.insert_str(0, "55");
    }
    (digits.len() == 13 && digits.starts_with("55")).then(|| {
        format!(
            "https://wa.me/{digits}?text={}",
            String::from(js_sys::encode_uri_component(text))
        )
    })
}

/// Keeps Tab inside the dialog (WAI-ARIA modal dialog pattern): from the last
/// focusable element Tab goes to the first, and Shift+Tab the other way round.
fn trap_tab(dialog: &web_sys::HtmlElement, ev: &leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let Ok(list) = dialog.query_selector_all(
        "a[href], button:not([disabled]), input:not([disabled]), select, textarea",
    ) else {
        return;
    };
    let focusable: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let at = |e: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>())
    };
    let target = if ev.shift_key() && at(first) {
        last
    } else if !ev.shift_key() && at(last) {
        first
    } else {
        return;
    };
    ev.prevent_default();
    let _ = target.focus();
}

/// The drawer; `open` shows and hides it. It lives as long as the lead's page, so a
/// refreshed lead (enrichment, a teammate's edit) keeps what was written.
#[component]
pub fn AiDrawer(
    lead_id: Uuid,
    #[prop(into)] lead: Signal<Option<LeadDto>>,
    open: RwSignal<bool>,
    /// Bumped when an e-mail from the drawer is accepted and when it ends: the lead's
    /// page lists it while it is on its way, then the timeline has it.
    on_sent: RwSignal<u32>,
) -> impl IntoView {
    let usage = LocalResource::new(move || async move {
        // Fetched again each time the drawer opens.
        if open.get() {
            api::ai::usage().await.ok()
        } else {
            None
        }
    });
    let channel = RwSignal::new(Channel::Email);
    let tone = RwSignal::new(AiTone::Professional);
    let context = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    // With the channel it was written for: the preview, copy, save and links follow
    // the message, not the picker.
    let written = RwSignal::new(None::<(Channel, GeneratedMessage)>);
    let pending = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let limit_hit = RwSignal::new(false);
    let fail = move |e: ApiError| {
        limit_hit.set(e.0.error.code == ErrorCode::LimitExceeded);
        // A template the API refuses names the field; say which.
        let reason = ["name", "subject", "body"]
            .iter()
            .find_map(|f| e.field(f))
            .unwrap_or_else(|| e.message().to_owned());
        failure.set(Some(reason));
    };
    let at_limit = move || {
        limit_hit.get()
            || usage
                .get()
                .flatten()
                .is_some_and(|u| u.remaining == Some(0))
    };
    let configured = move || usage.get().flatten().is_none_or(|u| u.configured);
    let notice = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<TemplateDto>);
    let saving = RwSignal::new(false);
    let template_name = RwSignal::new(String::new());
    // Sending asks once more (it really goes out), then follows the delivery.
    let confirming = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let sent = RwSignal::new(None::<OneOffEmail>);
    let first_field = NodeRef::<html::Select>::new();
    let dialog = NodeRef::<html::Aside>::new();
    // On opening: focus inside the dialog (Escape and Tab work from there) and, before
    // anything is written, a channel the lead can receive and a template name.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        if written.with_untracked(Option::is_none) {
            if let Some(lead) = lead.get_untracked() {
                if lead.email.is_none() && lead.telefone.is_some() {
                    channel.set(Channel::Whatsapp);
                }
                template_name.set(format!(
                    "IA — {}",
                    lead.nome_fantasia
                        .or(lead.razao_social)
                        .unwrap_or_else(|| "lead".into())
                ));
            }
        }
        if let Some(select) = first_field.get() {
            let _ = select.focus();
        }
        // The lead's page may have settled the review shown here meanwhile.
        let in_review = sent
            .get_untracked()
            .filter(|e| e.state == SendState::NeedsReview);
        if let Some(email) = in_review {
            spawn_local(async move {
                if let Ok(now) = api::one_off_emails::get_one(lead_id, email.id).await {
                    sent.try_update(|shown| {
                        if shown.as_ref().is_some_and(|s| s.id == now.id) {
                            *shown = Some(now);
                        }
                    });
                }
            });
        }
    });

    let generate = move || {
        let request = GenerateMessageRequest {
            lead_id,
            channel: channel.get_untracked(),
            tone: tone.get_untracked(),
            additional_context: Some(context.get_untracked()).filter(|c| !c.trim().is_empty()),
        };
        pending.set(true);
        notice.set(None);
        saved.set(None);
        sent.set(None);
        confirming.set(false);
        spawn_local(async move {
            let result = api::ai::generate(&request).await;
            pending.set(false);
            match result {
                Ok(message) => {
                    failure.set(None);
                    subject.set(message.subject.clone().unwrap_or_default());
                    body.set(message.body.clone());
                    written.set(Some((request.channel, message)));
                }
                Err(e) => fail(e),
            }
            usage.refetch();
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        generate();
    };
    let written_channel = move || written.with(|w| w.as_ref().map(|(c, _)| *c));
    let is_email = move || written_channel() == Some(Channel::Email);
    let copy = move |_| {
        let text = if is_email() {
            format!(
                "Assunto: {}\n\n{}",
                subject.get_untracked(),
                body.get_untracked()
            )
        } else {
            body.get_untracked()
        };
        let Some(clipboard) = clipboard() else {
            notice.set(Some(
                "Este navegador não permite copiar aqui: selecione o texto e copie.".into(),
            ));
            return;
        };
        let promise = clipboard.write_text(&text);
        spawn_local(async move {
            let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            notice.set(Some(if copied {
                "Mensagem copiada.".into()
            } else {
                "Não foi possível copiar: selecione o texto e copie.".into()
            }));
        });
    };
    let save_template = move |_| {
        let Some(channel) = written_channel() else {
            return;
        };
        if saving.get_untracked() {
            return;
        }
        let request = CreateTemplateRequest {
            name: template_name.get_untracked().trim().to_owned(),
            channel,
            subject: (channel == Channel::Email).then(|| subject.get_untracked()),
            body: body.get_untracked(),
        };
        saving.set(true);
        spawn_local(async move {
            let result = api::templates::create(&request).await;
            saving.set(false);
            match result {
                Ok(template) => {
                    failure.set(None);
                    saved.set(Some(template));
                }
                Err(e) => fail(e),
            }
        });
    };
    let whatsapp = move || {
        if is_email() {
            return None;
        }
        lead.with(|lead| {
            lead.as_ref()?
                .telefone
                .as_deref()
                .and_then(|p| whatsapp_link(p, &body.get()))
        })
    };
    let lead_email = move || {
        lead.with(|lead| lead.as_ref().and_then(|l| l.email.clone()))
            .filter(|_| is_email())
    };
    // One key per text: sending the same text again (a lost answer, a second click)
    // gets the first e-mail back instead of a second one; any edit is a new e-mail.
    let send_key = RwSignal::new(Uuid::new_v4().to_string());
    Effect::new(move |_| {
        subject.track();
        body.track();
        send_key.set(Uuid::new_v4().to_string());
        confirming.set(false);
    });
    // Shows the e-mail and follows it while the drawer is open and it is the one
    // shown, until its state is final; then the timeline has it.
    let follow = move |mut email: OneOffEmail| async move {
        failure.set(None);
        sent.set(Some(email.clone()));
        for _ in 0..FOLLOW_POLLS {
            let shown = sent
                .try_with_untracked(|s| s.as_ref().map(|s| s.id) == Some(email.id))
                .unwrap_or(false);
            if email.state.is_final() || !shown || open.try_get_untracked() != Some(true) {
                break;
            }
            sleep(FOLLOW_EVERY_MS).await;
            match api::one_off_emails::get_one(lead_id, email.id).await {
                Ok(now) => email = now,
                Err(_) => continue,
            }
            sent.try_set(Some(email.clone()));
        }
        if email.state.is_final() {
            on_sent.try_update(|n| *n += 1);
        }
        sending.try_set(false);
    };
    let send_email = move |_| {
        if sending.get_untracked() {
            return;
        }
        let request = SendOneOffEmailRequest {
            to: None,
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            ai_generated: true,
        };
        sending.set(true);
        confirming.set(false);
        sent.set(None);
        spawn_local(async move {
            let key = send_key.get_untracked();
            match api::one_off_emails::send(lead_id, &request, &key).await {
                Ok(email) => {
                    // The lead's page lists it while it is on its way.
                    on_sent.try_update(|n| *n += 1);
                    follow(email).await
                }
                Err(e) => {
                    sending.set(false);
                    fail(e);
                }
            }
        });
    };
    // The server never confirmed it: the member looks in the sent folder and says
    // (not sent: it is delivered again, and followed).
    let settle = move |outcome: ReviewOutcome| {
        let Some(email) = sent.get_untracked() else {
            return;
        };
        sending.set(true);
        spawn_local(async move {
            match settle_review(lead_id, email.id, outcome).await {
                Ok(settled) => {
                    // The lead's page stops listing it for review.
                    on_sent.try_update(|n| *n += 1);
                    follow(settled).await
                }
                Err(e) => {
                    sending.set(false);
                    fail(e);
                }
            }
        });
    };
    let in_review = move || {
        sent.with(|e| {
            e.as_ref()
                .is_some_and(|e| e.state == SendState::NeedsReview)
        })
    };
    let sent_line = move || {
        sent.get().map(|e| match e.state {
            SendState::Prepared | SendState::Dispatching => {
                format!(
                    "Enviando para {}… acompanhe na linha do tempo do lead.",
                    e.to
                )
            }
            SendState::Sent => format!("E-mail enviado para {}.", e.to),
            SendState::Failed | SendState::Cancelled => format!(
                "O e-mail não foi enviado: {}",
                e.last_error.unwrap_or_default()
            ),
            SendState::NeedsReview => e.last_error.unwrap_or_default(),
        })
    };
    let close = move |_| open.set(false);

    view! {
        <Show when=move || open.get()>
            <div class="drawer-backdrop" on:click=close></div>
            <aside class="drawer" role="dialog" aria-modal="true" aria-labelledby="ai-title"
                node_ref=dialog
                on:keydown=move |ev| match ev.key().as_str() {
                    "Escape" => open.set(false),
                    "Tab" => if let Some(aside) = dialog.get() { trap_tab(&aside, &ev) },
                    _ => {}
                }>
                <header class="drawer-header">
                    <h2 id="ai-title">"Gerar com IA"</h2>
                    <button type="button" class="button link" on:click=close aria-label="Fechar">"Fechar"</button>
                </header>
                <p class="muted" data-ai-usage>{move || usage.get().flatten().map(|u| usage_line(&u))}</p>
                <Show when=move || !configured()>
                    <p class="notice warn" role="status">"A IA não está configurada neste servidor: peça ao administrador para definir FLUX_AI_PROVIDER e a chave do provedor."</p>
                </Show>
                <form class="stack" on:submit=submit novalidate>
                    <div class="inline-fields">
                        <div class="field">
                            <label for="ai-channel">"Canal"</label>
                            <select id="ai-channel" node_ref=first_field on:change=move |ev| {
                                channel.set(if event_target_value(&ev) == "whatsapp" { Channel::Whatsapp } else { Channel::Email });
                            }>
                                {[Channel::Email, Channel::Whatsapp].into_iter().map(|c| view! {
                                    <option value=if c == Channel::Email { "email" } else { "whatsapp" } selected=move || channel.get() == c>{labels::channel(c)}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="ai-tone">"Tom"</label>
                            <select id="ai-tone" on:change=move |ev| {
                                let value = event_target_value(&ev);
                                if let Some((t, _)) = TONES.iter().find(|(_, label)| *label == value) { tone.set(*t); }
                            }>
                                {TONES.into_iter().map(|(t, label)| view! {
                                    <option value=label selected=move || tone.get() == t>{label}</option>
                                }).collect_view()}
                            </select>
                        </div>
                    </div>
                    <div class="field">
                        <label for="ai-context">"Contexto (opcional)"</label>
                        <textarea id="ai-context" rows="3" maxlength=MAX_CONTEXT.to_string()
                            placeholder="O que você oferece, o objetivo do contato…"
                            prop:value=move || context.get()
                            on:input=move |ev| context.set(event_target_value(&ev))></textarea>
                        <p class="muted">{move || format!("{}/{MAX_CONTEXT}", context.with(|c| c.chars().count()))}</p>
                    </div>
                    <button type="submit" class="button primary" disabled=move || pending.get() || !configured() || at_limit()>
                        {move || if pending.get() { "Escrevendo…" } else if written.with(Option::is_some) { "Gerar outra" } else { "Gerar" }}
                    </button>
                </form>
                <FormError error=failure.read_only()/>
                <Show when=at_limit>
                    <p class="notice warn" data-upgrade>"Você atingiu o limite diário de gerações do seu plano. "
                        <A href="/configuracoes/plano">"Conheça os planos com mais gerações"</A>
                        " ou volte amanhã."</p>
                </Show>
                <Show when=move || written.with(Option::is_some)>
                    <section class="stack" aria-labelledby="ai-preview-title">
                        <h3 id="ai-preview-title">"Prévia (edite à vontade)"</h3>
                        <Show when=is_email>
                            <div class="field">
                                <label for="ai-subject">"Assunto"</label>
                                <input id="ai-subject" bind:value=subject/>
                            </div>
                        </Show>
                        <div class="field">
                            <label for="ai-body">"Mensagem"</label>
                            <textarea id="ai-body" rows="12" prop:value=move || body.get()
                                on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                        </div>
                        <p class="muted">{move || written.with(|w| w.as_ref().map(|(_, w)| format!("Escrita por {} · {} tokens", w.model, w.tokens.input + w.tokens.output)))}</p>
                        <div class="actions">
                            <button type="button" class="button secondary" on:click=copy>"Copiar"</button>
                            {move || whatsapp().map(|href| view! {
                                <a class="button secondary" href=href target="_blank" rel="noopener">"Abrir no WhatsApp"</a>
                            })}
                            {move || lead_email().map(|to| view! {
                                <button type="button" class="button secondary" data-send-email
                                    disabled=move || sending.get() on:click=move |_| confirming.set(true)>
                                    "Enviar e-mail para " {to}
                                </button>
                            })}
                        </div>
                        <Show when=move || confirming.get()>
                            <div class="notice" role="alertdialog" aria-label="Confirmar envio">
                                <p>"O e-mail sai agora da sua caixa de e-mail, com o assunto e o texto acima."</p>
                                <div class="actions">
                                    <button type="button" class="button primary" on:click=send_email>"Confirmar envio"</button>
                                    <button type="button" class="button link" on:click=move |_| confirming.set(false)>"Cancelar"</button>
                                </div>
                            </div>
                        </Show>
                        <p class="notice" role="status" data-email-status>{sent_line}</p>
                        <Show when=in_review>
                            <div class="actions">
                                <button type="button" class="button secondary" disabled=move || sending.get()
                                    on:click=move |_| settle(ReviewOutcome::Sent)>"Está nos enviados"</button>
                                <button type="button" class="button secondary" disabled=move || sending.get()
                                    on:click=move |_| settle(ReviewOutcome::NotSent)>"Não saiu: enviar de novo"</button>
                            </div>
                        </Show>
                        <div class="inline-fields">
                            <div class="field">
                                <label for="ai-template-name">"Nome do template"</label>
                                <input id="ai-template-name" bind:value=template_name/>
                            </div>
                            <button type="button" class="button secondary" on:click=save_template disabled=move || saving.get()>"Salvar como template"</button>
                        </div>
                        <p class="notice" role="status">{move || notice.get()}</p>
                        {move || saved.get().map(|t| view! {
                            <p class="notice" role="status">"Template salvo: "
                                <A href=format!("/templates/{}", t.id)>{t.name}</A></p>
                        })}
                    </section>
                </Show>
            </aside>
        </Show>
    }
}
