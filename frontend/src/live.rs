//! Live events from `GET /api/v1/events` (Server-Sent Events). A short-lived ticket
//! opens an `EventSource`; on any error the stream is closed and reopened with a new
//! ticket, resuming after the last event seen. Pages watch `Live::last`.

use flux_dto::leads::LeadImportDto;
use leptos::{prelude::*, task::spawn_local};
use serde::Deserialize;
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api;

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

    pub fn lead_id(&self) -> Option<uuid::Uuid> {
        self.data.get("lead_id")?.as_str()?.parse().ok()
    }
}

#[derive(Clone, Copy)]
pub struct Live {
    pub last: RwSignal<Option<LiveEvent>>,
    /// Set once the stream loop runs: the shell starts it each time it mounts.
    running: StoredValue<bool>,
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

impl Live {
    pub fn new() -> Self {
        Self {
            last: RwSignal::new(None),
            running: StoredValue::new(false),
        }
    }

    /// Keeps a stream open for the organization `org()` names (the signed-in one),
    /// and closes it as soon as that changes (sign-out, another user, org switch).
    /// Only the first call starts the loop, which then outlives sign-outs.
    pub fn run(self, org: impl Fn() -> Option<uuid::Uuid> + 'static) {
        if self.running.get_value() {
            return;
        }
        self.running.set_value(true);
        spawn_local(async move {
            let mut last_id: Option<i64> = None;
            let mut streamed_org = None;
            loop {
                let current = org();
                if current != streamed_org {
                    // Another organization's ids mean nothing here.
                    last_id = None;
                    streamed_org = current;
                }
                if current.is_some() {
                    if let Ok(ticket) = api::events::ticket().await {
                        let still = || org() == current;
                        last_id = self
                            .stream_until_error(&ticket.ticket, last_id, &still)
                            .await
                            .or(last_id);
                    }
                }
                crate::timer::sleep(3000).await;
            }
        });
    }

    /// Listens until the stream errors or `still()` turns false; returns the last
    /// event id seen.
    async fn stream_until_error(
        self,
        ticket: &str,
        after: Option<i64>,
        still: &dyn Fn() -> bool,
    ) -> Option<i64> {
        let url = api::events::stream_url(ticket, after);
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return None;
        };
        let seen = std::rc::Rc::new(std::cell::Cell::new(after));
        let mut listeners = Vec::new();
        for kind in flux_dto::events::ALL {
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
        let (done_tx, done_rx) = futures_channel::oneshot::channel();
        let done_tx = std::rc::Rc::new(std::cell::RefCell::new(Some(done_tx)));
        let on_error = {
            let done_tx = done_tx.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                if let Some(tx) = done_tx.borrow_mut().take() {
                    let _ = tx.send(());
                }
            })
        };
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let session_changed = async {
            while still() {
                crate::timer::sleep(1000).await;
            }
        };
        futures_util::future::select(done_rx, Box::pin(session_changed)).await;
        source.close();
        drop((listeners, on_error));
        seen.get()
    }
}

/// The counters an `import.*` event carries.
#[derive(Deserialize)]
struct ImportProgress {
    import_id: uuid::Uuid,
    status: flux_dto::leads::ImportStatus,
    total_rows: i32,
    processed_rows: i32,
    success_count: i32,
    error_count: i32,
}

/// Applies an `import.*` event to an import shown on screen; `false` when the event is
/// about another import (or is not an import event).
pub fn apply_to_import(import: &mut LeadImportDto, event: &LiveEvent) -> bool {
    let Ok(progress) = serde_json::from_value::<ImportProgress>(event.data.clone()) else {
        return false;
    };
    if progress.import_id != import.id {
        return false;
    }
    import.status = progress.status;
    import.total_rows = progress.total_rows;
    import.processed_rows = progress.processed_rows;
    import.success_count = progress.success_count;
    import.error_count = progress.error_count;
    true
}
