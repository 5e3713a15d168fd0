//! The `leads.enrich` job over `flux_app::enrichment`.

use std::time::Duration;

use async_trait::async_trait;
use flux_app::enrichment::{enrich_lead, give_up, EnrichOutcome, EnrichmentPolicy};
use flux_persistence::RepoError;

use crate::queue::{JobContext, JobError, JobHandler};

/// The `leads.enrich` job.
pub struct EnrichLead {
    pub policy: EnrichmentPolicy,
}

#[async_trait]
impl JobHandler for EnrichLead {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        let id = ctx.payload_uuid("lead_id")?;
        let clock = ctx.clock.clone();
        let queued_at = Some(ctx.job.created_at);
        match enrich_lead(ctx.db(), &self.policy, id, queued_at, || clock.now()).await? {
            EnrichOutcome::Enriched { .. } | EnrichOutcome::NotFound | EnrichOutcome::Skipped => {
                Ok(())
            }
            EnrichOutcome::Deferred { after } => Err(JobError::Defer {
                reason: "provider rate limit used up".into(),
                after,
            }),
            EnrichOutcome::InProgress => Err(JobError::Defer {
                reason: "lead being enriched by another run".into(),
                after: Duration::from_secs(60),
            }),
            EnrichOutcome::Unavailable { retry_after, error } => Err(JobError::Retry {
                message: error,
                after: retry_after,
            }),
        }
    }

    async fn on_dead(&self, ctx: &JobContext, error: &str) -> Result<(), RepoError> {
        match ctx.payload_uuid("lead_id") {
            Ok(id) => give_up(ctx.db(), id, error).await,
            Err(_) => Ok(()),
        }
    }
}
