//! Shared application state handed to every handler.

use std::sync::Arc;

use flux_persistence::Db;
use flux_platform::Settings;
use flux_workers::enrichment::EnrichmentPolicy;

use crate::{auth::jwt::JwtKeys, metrics::Metrics, rate_limit::RateLimits};

pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub jwt: JwtKeys,
    pub limits: RateLimits,
    pub metrics: Arc<Metrics>,
    /// Enrichment providers shared with the job runner (one rate limit per process).
    pub enrichment: EnrichmentPolicy,
    /// This process's LISTEN connection, fanned out to its SSE streams.
    pub events: crate::events::EventHub,
}
