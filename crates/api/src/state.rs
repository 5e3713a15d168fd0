//! Shared application state handed to every handler.

use std::sync::Arc;

use flux_integrations::ai::{AiProvider, RetryPolicy};
use flux_persistence::Db;
use flux_platform::{SecretsKey, Settings};
use flux_workers::{
    ai_messages::AiMessages, engine::tracking::TrackingLinks, enrichment::EnrichmentPolicy,
};

use crate::{
    auth::{jwt::JwtKeys, memberships::MembershipCache},
    metrics::Metrics,
    rate_limit::RateLimits,
};

/// One per HTTP worker thread: everything is shared but `db`, the worker's own pool.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub jwt: Arc<JwtKeys>,
    pub limits: Arc<RateLimits>,
    pub metrics: Arc<Metrics>,
    /// Enrichment providers shared with the job runner (one rate limit per process).
    pub enrichment: EnrichmentPolicy,
    /// This process's LISTEN connection, fanned out to its SSE streams.
    pub events: crate::events::EventHub,
    /// Active memberships verified by this process, kept current by `events`.
    pub memberships: Arc<MembershipCache>,
    /// `FLUX_SECRETS_KEY`: seals mailbox passwords.
    pub secrets: SecretsKey,
    /// Signs and checks the links in outgoing e-mail.
    pub tracking: TrackingLinks,
    /// `FLUX_AI_PROVIDER`'s client; `None` when AI is off.
    pub ai_provider: Option<Arc<dyn AiProvider>>,
    pub ai_policy: RetryPolicy,
}

impl AppState {
    /// AI messages over this worker's pool.
    pub fn ai(&self) -> AiMessages {
        AiMessages::new(self.db.clone(), self.ai_provider.clone(), self.ai_policy)
    }
}
