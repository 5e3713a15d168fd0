//! "Gerar com IA" on a lead's profile: channel, tone and context → a message the
//! model writes from the lead's data, editable in place, to regenerate, copy, save as
//! a template or take to a one-off e-mail or WhatsApp chat. The day's remaining
//! generations show, with the upgrade path at the plan's limit.

use flux_dto::{
    ai::{AiTone, AiUsage, GenerateMessageRequest, GeneratedMessage},
    leads::LeadDto,
    templates::{CreateTemplateRequest, MessageChannel, TemplateDto},
    ErrorCode,
};
use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::components::A;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::feedback::FormError,
    pages::templates::channel_label,
};

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

/// `mailto:` with the lead's address, subject and body (RFC 6068: CRLF line breaks).
fn mailto(to: &str, subject: &str, body: &str) -> String {
    let enc = |s: &str| String::from(js_sys::encode_uri_component(s));
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    format!(
        "mailto:{}?subject={}&body={}",
        enc(to).replace("%40", "@"),
        enc(subject),
        enc(&body)
    )
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

/// The drawer; `open` shows and hides it. It lives as long as the lead's page, so a
/// refreshed lead (enrichment, a teammate's edit) keeps what was written.
#[component]
pub fn AiDrawer(
    lead_id: Uuid,
    #[prop(into)] lead: Signal<Option<LeadDto>>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let usage = LocalResource::new(move || async move {
        // Fetched again each time the drawer opens.
        if open.get() {
            api::get::<AiUsage>("/api/v1/ai/usage").await.ok()
        } else {
            None
        }
    });
    let channel = RwSignal::new(MessageChannel::Email);
    let tone = RwSignal::new(AiTone::Professional);
    let context = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    // With the channel it was written for: the preview, copy, save and links follow
    // the message, not the picker.
    let written = RwSignal::new(None::<(MessageChannel, GeneratedMessage)>);
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
    let first_field = NodeRef::<html::Select>::new();
    // On opening: focus inside the dialog (Escape and Tab work from there) and, before
    // anything is written, a channel the lead can receive and a template name.
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        if written.with_untracked(Option::is_none) {
            if let Some(lead) = lead.get_untracked() {
                if lead.email.is_none() && lead.telefone.is_some() {
                    channel.set(MessageChannel::Whatsapp);
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
        spawn_local(async move {
            let result = api::post::<GeneratedMessage, _>("/api/v1/ai/messages", &request).await;
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
    let is_email = move || written_channel() == Some(MessageChannel::Email);
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
            subject: (channel == MessageChannel::Email).then(|| subject.get_untracked()),
            body: body.get_untracked(),
        };
        saving.set(true);
        spawn_local(async move {
            let result = api::post::<TemplateDto, _>("/api/v1/templates", &request).await;
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
    let send_link = move || {
        lead.with(|lead| {
            let lead = lead.as_ref()?;
            if is_email() {
                lead.email.as_deref().map(|to| {
                    (
                        mailto(to, &subject.get(), &body.get()),
                        "Usar em e-mail avulso",
                    )
                })
            } else {
                lead.telefone
                    .as_deref()
                    .and_then(|p| whatsapp_link(p, &body.get()))
                    .map(|link| (link, "Abrir no WhatsApp"))
            }
        })
    };
    let close = move |_| open.set(false);

    view! {
        <Show when=move || open.get()>
            <div class="drawer-backdrop" on:click=close></div>
            <aside class="drawer" role="dialog" aria-modal="true" aria-labelledby="ai-title"
                on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
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
                                channel.set(if event_target_value(&ev) == "whatsapp" { MessageChannel::Whatsapp } else { MessageChannel::Email });
                            }>
                                {[MessageChannel::Email, MessageChannel::Whatsapp].into_iter().map(|c| view! {
                                    <option value=if c == MessageChannel::Email { "email" } else { "whatsapp" } selected=move || channel.get() == c>{channel_label(c)}</option>
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
                            {move || send_link().map(|(href, label)| view! {
                                <a class="button secondary" href=href target="_blank" rel="noopener">{label}</a>
                            })}
                        </div>
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
