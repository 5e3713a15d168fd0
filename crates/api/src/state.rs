//! Shared application state handed to every handler.

use std::sync::Arc;

use flux_app::{accounts::Auth, ai_messages::AiMessages, Ports};
use flux_persistence::Db;
use flux_platform::Settings;

use crate::{auth::memberships::MembershipCache, metrics::Metrics};

/// One per HTTP worker thread: everything is shared but `db`, the worker's own pool.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    /// Sessions, credential rate limits and e-mailed links.
    pub auth: Auth,
    pub metrics: Arc<Metrics>,
    /// The outside world: enrichment, AI, tracking links, mail hosts, secrets.
    pub ports: Ports,
    /// This process's LISTEN connection, fanned out to its SSE streams.
    pub events: crate::events::EventHub,
    /// Active memberships verified by this process, kept current by `events`.
    pub memberships: Arc<MembershipCache>,
}

impl AppState {
    /// AI messages over this worker's pool.
    pub fn ai(&self) -> AiMessages {
        self.ports.ai_messages(self.db.clone())
    }
}
