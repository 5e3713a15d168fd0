//! Import wizard: drop a CSV → preview (invalid rows highlighted) → confirm → live
//! progress → report with the error download.

use flux_dto::{
    leads::{ImportPreview, ImportStatus, LeadImportDto},
    query::Page,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use wasm_bindgen::JsCast;

use crate::{
    api,
    components::feedback::{loaded, FormError, Loading},
    live::{apply_to_import, use_live},
};

#[derive(Clone)]
enum Step {
    Choose,
    Previewing,
    Preview(ImportPreview),
    Running(LeadImportDto),
}

#[component]
pub fn LeadImportPage() -> impl IntoView {
    let step = RwSignal::new(Step::Choose);
    let file = StoredValue::new_local(None::<web_sys::File>);
    let error = RwSignal::new(None::<String>);
    let live = use_live();

    let choose = move |chosen: web_sys::File| {
        error.set(None);
        step.set(Step::Previewing);
        file.set_value(Some(chosen.clone()));
        spawn_local(async move {
            match api::lead_imports::preview(&chosen).await {
                Ok(preview) => step.set(Step::Preview(preview)),
                Err(e) => {
                    error.set(Some(
                        e.field("file").unwrap_or_else(|| e.message().to_owned()),
                    ));
                    step.set(Step::Choose);
                }
            }
        });
    };
    let confirm = move |_| {
        let Some(chosen) = file.get_value() else {
            return;
        };
        spawn_local(async move {
            match api::lead_imports::start(&chosen).await {
                Ok(import) => step.set(Step::Running(import)),
                Err(e) => error.set(Some(
                    e.field("file").unwrap_or_else(|| e.message().to_owned()),
                )),
            }
        });
    };

    // Progress arrives as events; a slow poll covers a dropped stream.
    Effect::new(move |_| {
        if let Some(event) = live.last.get() {
            step.update(|s| {
                if let Step::Running(import) = s {
                    apply_to_import(import, &event);
                }
            });
        }
    });
    let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, std::sync::atomic::Ordering::Relaxed));
    }
    let poll = move || {
        let alive = alive.clone();
        spawn_local(async move {
            loop {
                crate::timer::sleep(2000).await;
                if !alive.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let Some(Step::Running(current)) = step.try_get_untracked() else {
                    return;
                };
                if matches!(
                    current.status,
                    ImportStatus::Completed | ImportStatus::Failed
                ) {
                    return;
                }
                if let Ok(fresh) = api::lead_imports::get_one(current.id).await {
                    step.try_update(|s| {
                        if let Step::Running(import) = s {
                            if fresh.processed_rows >= import.processed_rows {
                                *import = fresh;
                            }
                        }
                    });
                }
            }
        });
    };
    Effect::new(move |started: Option<bool>| {
        let running = matches!(step.get(), Step::Running(_));
        if running && started != Some(true) {
            poll();
        }
        running
    });

    view! {
        <div class="page-header">
            <h1>"Importar leads"</h1>
            <A href="/leads" attr:class="button secondary">"Voltar para leads"</A>
        </div>
        <ol class="steps" aria-label="Etapas">
            <li class:current=move || matches!(step.get(), Step::Choose | Step::Previewing)>"Arquivo"</li>
            <li class:current=move || matches!(step.get(), Step::Preview(_))>"Conferir"</li>
            <li class:current=move || matches!(step.get(), Step::Running(_))>"Importar"</li>
        </ol>
        <FormError error=error.read_only()/>
        {move || match step.get() {
            Step::Choose => view! { <DropZone on_file=Callback::new(choose)/> }.into_any(),
            Step::Previewing => view! { <Loading/> }.into_any(),
            Step::Preview(preview) => view! {
                <PreviewView preview=preview/>
                <div class="actions">
                    <button type="button" class="button secondary" on:click=move |_| step.set(Step::Choose)>"Escolher outro arquivo"</button>
                    <button type="button" class="button primary" on:click=confirm>"Importar"</button>
                </div>
            }.into_any(),
            Step::Running(import) => view! { <Progress import=import/> }.into_any(),
        }}
    }
}

#[component]
fn DropZone(on_file: Callback<web_sys::File>) -> impl IntoView {
    let hover = RwSignal::new(false);
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        hover.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            on_file.run(file);
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) {
            on_file.run(file);
        }
    };
    view! {
        <div class="dropzone" class:hover=move || hover.get()
            on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); hover.set(true); }
            on:dragleave=move |_| hover.set(false)
            on:drop=on_drop>
            <p>"Arraste a planilha CSV aqui ou"</p>
            <label class="button primary" for="csv-file">"Escolher arquivo"</label>
            <input id="csv-file" class="visually-hidden" type="file" accept=".csv,text/csv,text/plain" on:change=on_pick/>
            <p class="muted">"Separador ; ou , — UTF-8 ou Excel (Windows-1252). Precisa de uma coluna CNPJ; e-mail, telefone, razão social, nome fantasia e contato são opcionais. Até 20 MB."</p>
        </div>
    }
}

#[component]
fn PreviewView(preview: ImportPreview) -> impl IntoView {
    let mapped: Vec<String> = preview
        .mapping
        .iter()
        .map(|m| format!("{} → {:?}", m.header, m.field).to_lowercase())
        .collect();
    view! {
        <section class="preview" aria-labelledby="preview-title">
            <h2 id="preview-title">{format!("Conferir “{}”", preview.file_name)}</h2>
            <dl class="summary">
                <div><dt>"Linhas"</dt><dd>{preview.total_rows}</dd></div>
                <div><dt>"Válidas"</dt><dd class="ok">{preview.valid_rows}</dd></div>
                <div><dt>"Com problema"</dt><dd class="error">{preview.invalid_rows}</dd></div>
                <div><dt>"Cabem no plano"</dt><dd>{preview.remaining_quota}</dd></div>
            </dl>
            <p class="muted">{format!("Codificação {} · separador “{}” · colunas: {}", preview.encoding, preview.delimiter, mapped.join(", "))}</p>
            {(preview.valid_rows > preview.remaining_quota).then(|| view! {
                <p class="notice warn" role="alert">{format!(
                    "Seu plano comporta mais {} leads; as linhas além disso serão registradas como erro.",
                    preview.remaining_quota
                )}</p>
            })}
            <table class="table preview-table">
                <thead><tr>
                    <th scope="col">"Linha"</th><th scope="col">"CNPJ"</th><th scope="col">"Razão social"</th>
                    <th scope="col">"E-mail"</th><th scope="col">"Telefone"</th><th scope="col">"Situação"</th>
                </tr></thead>
                <tbody>
                    {preview.rows.into_iter().map(|row| {
                        let problems = row.issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; ");
                        view! {
                            <tr class:invalid=!row.valid>
                                <td>{row.row_number}</td>
                                <td class="mono">{row.cnpj.unwrap_or_default()}</td>
                                <td>{row.razao_social.unwrap_or_default()}</td>
                                <td>{row.email.unwrap_or_default()}</td>
                                <td>{row.telefone.unwrap_or_default()}</td>
                                <td>{if row.valid { "OK".to_owned() } else { problems }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Progress(import: LeadImportDto) -> impl IntoView {
    let total = import.total_rows.max(1);
    let percent = (i64::from(import.processed_rows) * 100 / i64::from(total)).clamp(0, 100);
    let done = matches!(
        import.status,
        ImportStatus::Completed | ImportStatus::Failed
    );
    let id = import.id;
    view! {
        <section aria-labelledby="progress-title">
            <h2 id="progress-title">{match import.status {
                ImportStatus::Queued => "Na fila…",
                ImportStatus::Processing => "Importando…",
                ImportStatus::Completed => "Importação concluída",
                ImportStatus::Failed => "A importação falhou",
            }}</h2>
            <progress max="100" value=percent aria-label="Progresso da importação">{format!("{percent}%")}</progress>
            <p role="status" class="progress-counts">{format!(
                "{} de {} linhas · {} leads criados · {} com erro",
                import.processed_rows, import.total_rows, import.success_count, import.error_count
            )}</p>
            {import.failure_reason.clone().map(|r| view! { <p class="form-error" role="alert">{r}</p> })}
            {done.then(|| view! {
                <div class="actions">
                    <A href=format!("/leads?importacao={id}") attr:class="button primary">"Ver leads importados"</A>
                </div>
                {(import.error_count > 0).then(|| view! { <ImportErrors import_id=id/> })}
            })}
        </section>
    }
}

#[component]
fn ImportErrors(import_id: uuid::Uuid) -> impl IntoView {
    let errors = LocalResource::new(move || async move {
        api::lead_imports::errors(import_id, Page::first(50)).await
    });
    let download_error = RwSignal::new(None::<String>);
    let download = move |_| {
        spawn_local(async move {
            if let Err(e) = api::lead_imports::download_errors(import_id).await {
                download_error.set(Some(e.message().to_owned()));
            }
        });
    };
    view! {
        <section aria-labelledby="errors-title">
            <h3 id="errors-title">"Linhas não importadas"</h3>
            <button type="button" class="button secondary" on:click=download>"Baixar erros (CSV)"</button>
            <FormError error=download_error.read_only()/>
            {move || loaded(errors.get(), None, |list| view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Linha"</th><th scope="col">"CNPJ"</th><th scope="col">"Motivo"</th></tr></thead>
                        <tbody>
                            {list.items.into_iter().map(|e| view! {
                                <tr><td>{e.row_number}</td><td class="mono">{e.cnpj.unwrap_or_default()}</td><td>{e.message}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(list.total > 50).then(|| view! { <p class="muted">{format!("Mostrando 50 de {}; baixe o CSV para ver todas.", list.total)}</p> })}
                }.into_any())}
        </section>
    }
}
