//! Live events from `GET /api/v1/events` (Server-Sent Events). A short-lived ticket
//! opens an `EventSource`; on any error the stream is closed and reopened with a new
//! ticket, resuming after the last event seen. Pages watch `Live::last`.

use flux_dto::leads::LeadImportDto;
use leptos::{prelude::*, task::spawn_local};
use serde::Deserialize;
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api;

/// Every event kind the server sends (EventSource needs one listener per kind).
const KINDS: [&str; 14] = [
    "import.created",
    "import.progress",
    "import.completed",
    "import.failed",
    "lead.created",
    "lead.updated",
    "lead.deleted",
    "lead.enrichment_started",
    "lead.enriched",
    "lead.not_found",
    "lead.enrichment_failed",
    "leads.archived",
    "leads.unarchived",
    "leads.assigned",
];

#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    pub id: i64,
    pub kind: String,
    pub data: serde_json::Value,
}

impl LiveEvent {
    pub fn is_about_leads(&self) -> bool {
        self.kind.starts_with("lead")
            || self.kind == "import.completed"
            || self.kind == "import.progress"
    }

    pub fn import_id(&self) -> Option<uuid::Uuid> {
        self.data.get("import_id")?.as_str()?.parse().ok()
    }

    pub fn lead_id(&self) -> Option<uuid::Uuid> {
        self.data.get("lead_id")?.as_str()?.parse().ok()
    }
}

#[derive(Clone, Copy)]
pub struct Live {
    pub last: RwSignal<Option<LiveEvent>>,
    pub connected: RwSignal<bool>,
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

#[derive(Deserialize)]
struct Ticket {
    ticket: String,
}

impl Live {
    pub fn new() -> Self {
        Self {
            last: RwSignal::new(None),
            connected: RwSignal::new(false),
        }
    }

    /// Keeps a stream open while `active()` is true (a signed-in session).
    pub fn run(self, active: impl Fn() -> bool + 'static) {
        spawn_local(async move {
            let mut last_id: Option<i64> = None;
            loop {
                if active() {
                    if let Ok(ticket) =
                        api::post::<Ticket, _>("/api/v1/events/ticket", &serde_json::json!({}))
                            .await
                    {
                        last_id = self
                            .stream_until_error(&ticket.ticket, last_id)
                            .await
                            .or(last_id);
                    }
                }
                self.connected.set(false);
                gloo_timers_sleep(3000).await;
            }
        });
    }

    /// Listens until the stream errors; returns the last event id seen.
    async fn stream_until_error(self, ticket: &str, after: Option<i64>) -> Option<i64> {
        let mut url = format!("/api/v1/events?ticket={ticket}");
        if let Some(id) = after {
            url.push_str(&format!("&last_event_id={id}"));
        }
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return None;
        };
        let seen = std::rc::Rc::new(std::cell::Cell::new(after));
        let mut listeners = Vec::new();
        for kind in KINDS {
            let seen = seen.clone();
            let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |ev: web_sys::MessageEvent| {
                    let id = ev.last_event_id().parse::<i64>().unwrap_or_default();
                    let data = ev
                        .data()
                        .as_string()
                        .and_then(|d| serde_json::from_str(&d).ok())
                        .unwrap_or(serde_json::Value::Null);
                    seen.set(Some(id));
                    self.last.set(Some(LiveEvent {
                        id,
                        kind: kind.to_owned(),
                        data,
                    }));
                },
            );
            let _ =
                source.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
            listeners.push(listener);
        }
        let (done_tx, done_rx) = futures_channel_oneshot();
        let done_tx = std::rc::Rc::new(std::cell::RefCell::new(Some(done_tx)));
        let on_error = {
            let done_tx = done_tx.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                if let Some(tx) = done_tx.borrow_mut().take() {
                    let _ = tx.send(());
                }
            })
        };
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| self.connected.set(true));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let _ = done_rx.await;
        source.close();
        drop((listeners, on_error, on_open));
        seen.get()
    }
}

fn futures_channel_oneshot() -> (
    futures_channel::oneshot::Sender<()>,
    futures_channel::oneshot::Receiver<()>,
) {
    futures_channel::oneshot::channel()
}

async fn gloo_timers_sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The import in an `import.*` event, when it carries one.
pub fn import_progress(event: &LiveEvent) -> Option<(uuid::Uuid, i64, i64, i64, i64, String)> {
    let d = &event.data;
    Some((
        event.import_id()?,
        d.get("total_rows")?.as_i64()?,
        d.get("processed_rows")?.as_i64()?,
        d.get("success_count")?.as_i64()?,
        d.get("error_count")?.as_i64()?,
        d.get("status")?.as_str()?.to_owned(),
    ))
}

/// Applies an `import.*` event to an import shown on screen.
pub fn apply_to_import(import: &mut LeadImportDto, event: &LiveEvent) -> bool {
    let Some((id, total, processed, success, errors, status)) = import_progress(event) else {
        return false;
    };
    if id != import.id {
        return false;
    }
    import.total_rows = total as i32;
    import.processed_rows = processed as i32;
    import.success_count = success as i32;
    import.error_count = errors as i32;
    import.status = match status.as_str() {
        "processing" => flux_dto::leads::ImportStatus::Processing,
        "completed" => flux_dto::leads::ImportStatus::Completed,
        "failed" => flux_dto::leads::ImportStatus::Failed,
        _ => flux_dto::leads::ImportStatus::Queued,
    };
    true
}
