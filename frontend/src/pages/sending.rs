//! Sending settings (`/configuracoes/envio`): the organization's send window (timezone,
//! weekdays, hours), optional holidays, open/click tracking, and the AI fallback.

use flux_dto::sending::{AiFallback, SendingSettings, UpdateSendingSettings, Weekday};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{self, ApiError},
    components::{
        feedback::{ErrorBox, FormError, Loading},
        field::FieldError,
    },
    format, labels,
    pages::field_error,
    session::use_session,
};

/// Brazil's IANA zones, offered first; any other IANA name is accepted too.
const BRAZILIAN_ZONES: &[(&str, &str)] = &[
    ("America/Sao_Paulo", "Brasília (SP, RJ, MG, Sul, GO, DF…)"),
    ("America/Bahia", "Bahia"),
    ("America/Fortaleza", "CE, RN, PB, PI, MA"),
    ("America/Recife", "Pernambuco"),
    ("America/Maceio", "Alagoas e Sergipe"),
    ("America/Belem", "Pará (leste) e Amapá"),
    ("America/Santarem", "Pará (oeste)"),
    ("America/Araguaina", "Tocantins"),
    ("America/Cuiaba", "Mato Grosso"),
    ("America/Campo_Grande", "Mato Grosso do Sul"),
    ("America/Manaus", "Amazonas (leste)"),
    ("America/Porto_Velho", "Rondônia"),
    ("America/Boa_Vista", "Roraima"),
    ("America/Rio_Branco", "Acre"),
    ("America/Noronha", "Fernando de Noronha"),
];

/// `/configuracoes/envio`.
#[component]
pub fn SendingSettingsPage() -> impl IntoView {
    let settings = LocalResource::new(api::organization::sending);
    view! {
        <h1>"Envio"</h1>
        {move || match settings.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) => view! { <ErrorBox error=e retry=Callback::new(move |()| settings.refetch())/> }.into_any(),
            Some(Ok(s)) => view! { <SendingForm settings=s/> }.into_any(),
        }}
    }
}

#[component]
fn SendingForm(settings: SendingSettings) -> impl IntoView {
    let session = use_session();
    let read_only = !session.can("integrations:manage");
    let timezone = RwSignal::new(settings.timezone.clone());
    let days = RwSignal::new(settings.days.clone());
    let start = RwSignal::new(settings.start.clone());
    let end = RwSignal::new(settings.end.clone());
    let optional_holidays = RwSignal::new(settings.send_on_optional_holidays);
    let track_opens = RwSignal::new(settings.track_opens);
    let track_clicks = RwSignal::new(settings.track_clicks);
    let ai_fallback = RwSignal::new(settings.ai_fallback);
    let next_open = RwSignal::new(settings.next_open_at);
    let error = RwSignal::new(None::<ApiError>);
    let general = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if read_only {
            return;
        }
        let body = UpdateSendingSettings {
            timezone: Some(timezone.get_untracked().trim().to_owned()),
            days: Some(days.get_untracked()),
            start: Some(start.get_untracked()),
            end: Some(end.get_untracked()),
            send_on_optional_holidays: Some(optional_holidays.get_untracked()),
            track_opens: Some(track_opens.get_untracked()),
            track_clicks: Some(track_clicks.get_untracked()),
            ai_fallback: Some(ai_fallback.get_untracked()),
        };
        pending.set(true);
        saved.set(None);
        spawn_local(async move {
            let result = api::organization::update_sending(&body).await;
            pending.set(false);
            match result {
                Ok(s) => {
                    error.set(None);
                    general.set(None);
                    next_open.set(s.next_open_at);
                    saved.set(Some("Configurações de envio salvas.".into()));
                }
                Err(e) => {
                    let on_fields = !e.0.field_issues().is_empty();
                    general.set((!on_fields).then(|| e.message().to_owned()));
                    error.set(Some(e));
                }
            }
        });
    };
    let toggle_day = move |day: Weekday, on: bool| {
        days.update(|d| {
            d.retain(|x| *x != day);
            if on {
                d.push(day);
                d.sort();
            }
        });
    };
    let issue = move |field: &'static str| field_error(error, field);
    let shows = move |field: &'static str| move || issue(field).get().is_some();

    view! {
        <form class="card settings-form" on:submit=submit novalidate aria-label="Configurações de envio">
            <FormError error=general.read_only()/>
            {read_only.then(|| view! { <p class="notice">"Somente gestores alteram estas configurações."</p> })}
            <p class="notice" role="status">{move || {
                let at = next_open.get();
                if at.timestamp_millis() as f64 <= js_sys::Date::now() {
                    "A janela de envio está aberta agora.".to_owned()
                } else {
                    format!("A janela de envio está fechada; abre em {}.", format::date_time(at))
                }
            }}</p>
            <fieldset disabled=read_only>
                <legend>"Janela de envio"</legend>
                <p class="muted">"Os passos só saem dentro da janela. Fora dela, esperam a próxima abertura. \
                    Feriados nacionais, e os estaduais pela UF do lead, são calculados a cada ano e nunca recebem envios."</p>
                <div class="field" class:has-error=shows("timezone")>
                    <label for="sending-timezone">"Fuso horário"</label>
                    <input id="sending-timezone" list="sending-zones" autocomplete="off" bind:value=timezone/>
                    <datalist id="sending-zones">
                        {BRAZILIAN_ZONES.iter().map(|(zone, label)| view! { <option value=*zone>{*label}</option> }).collect_view()}
                    </datalist>
                    <FieldError error=issue("timezone")/>
                </div>
                <fieldset class="field weekdays" class:has-error=shows("days")>
                    <legend>"Dias da semana"</legend>
                    {Weekday::ALL.into_iter().map(|day| view! {
                        <label class="checkbox">
                            <input type="checkbox" prop:checked=move || days.with(|d| d.contains(&day))
                                on:change=move |ev| toggle_day(day, event_target_checked(&ev))/>
                            " " {labels::weekday(day)}
                        </label>
                    }).collect_view()}
                    <FieldError error=issue("days")/>
                </fieldset>
                <div class="inline-fields">
                    <div class="field" class:has-error=shows("start")>
                        <label for="sending-start">"Das"</label>
                        <input id="sending-start" type="time" bind:value=start/>
                        <FieldError error=issue("start")/>
                    </div>
                    <div class="field" class:has-error=shows("end")>
                        <label for="sending-end">"Até"</label>
                        <input id="sending-end" type="time" bind:value=end/>
                        <FieldError error=issue("end")/>
                    </div>
                </div>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || optional_holidays.get()
                        on:change=move |ev| optional_holidays.set(event_target_checked(&ev))/>
                    " Enviar em pontos facultativos (Carnaval, Corpus Christi)"
                </label>
            </fieldset>
            <fieldset disabled=read_only>
                <legend>"Rastreamento de e-mails"</legend>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || track_opens.get()
                        on:change=move |ev| track_opens.set(event_target_checked(&ev))/>
                    " Registrar aberturas (pixel)"
                </label>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || track_clicks.get()
                        on:change=move |ev| track_clicks.set(event_target_checked(&ev))/>
                    " Registrar cliques (links redirecionados)"
                </label>
                <p class="muted">"Os links de rastreamento são assinados e não levam dados do lead nem da empresa."</p>
            </fieldset>
            <fieldset disabled=read_only>
                <legend>"Personalização por IA"</legend>
                <p class="muted">"Quando um passo com personalização por IA não consegue o texto da IA \
                    (limite diário do plano atingido, provedor indisponível ou não configurado):"</p>
                <label class="checkbox">
                    <input type="radio" name="ai-fallback" prop:checked=move || ai_fallback.get() == AiFallback::Pause
                        on:change=move |_| ai_fallback.set(AiFallback::Pause)/>
                    " Pausar a inscrição com o motivo, para alguém decidir"
                </label>
                <label class="checkbox">
                    <input type="radio" name="ai-fallback" prop:checked=move || ai_fallback.get() == AiFallback::SendTemplate
                        on:change=move |_| ai_fallback.set(AiFallback::SendTemplate)/>
                    " Enviar o modelo do passo sem IA"
                </label>
            </fieldset>
            {(!read_only).then(|| view! {
                <button type="submit" class="button primary" disabled=move || pending.get()>"Salvar"</button>
            })}
            <p class="notice" role="status">{move || saved.get()}</p>
        </form>
    }
}
