//! Leads: read one, enrich now, enrichment history.

use chrono::Utc;
use flux_domain::TenantCtx;
use flux_persistence::{
    jobs::{self, kinds, NewJob},
    leads::{self, AttemptRecord, LeadRecord},
};
use flux_workers::{
    enrichment::{enrich_lead, EnrichOutcome},
    lead_import::ENRICH_MAX_ATTEMPTS,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

fn not_found() -> ApiError {
    ApiError::NotFound("Lead não encontrado".into())
}

pub async fn get(state: &AppState, ctx: &TenantCtx, id: Uuid) -> ApiResult<LeadRecord> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    leads::get(&mut tx, id).await?.ok_or_else(not_found)
}

/// Whether an "enrich now" finished, or had to be scheduled for later.
pub enum EnrichNow {
    Done(LeadRecord),
    Scheduled(LeadRecord),
}

/// Calls the providers right away (the SDR is waiting). When none can answer, the
/// work goes to the queue with the provider's retry hint instead of failing.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), lead_id = %id))]
pub async fn enrich_now(state: &AppState, ctx: &TenantCtx, id: Uuid) -> ApiResult<EnrichNow> {
    let db = state.db.for_tenant(ctx);
    let outcome = enrich_lead(&db, &state.enrichment, id, Utc::now).await?;
    let scheduled = match outcome {
        EnrichOutcome::Skipped => return Err(not_found()),
        EnrichOutcome::Enriched { .. } | EnrichOutcome::NotFound => false,
        EnrichOutcome::Unavailable { retry_after, .. } => {
            let delay = retry_after.unwrap_or(std::time::Duration::from_secs(30));
            let mut job = NewJob::new(kinds::ENRICH_LEAD, json!({ "lead_id": id }), Utc::now())
                .unique(id.to_string())
                .max_attempts(ENRICH_MAX_ATTEMPTS);
            job.run_at +=
                chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(30));
            let mut tx = db.begin().await?;
            jobs::enqueue(&mut tx, job).await?;
            tx.commit().await?;
            true
        }
    };
    let lead = get(state, ctx, id).await?;
    Ok(if scheduled {
        EnrichNow::Scheduled(lead)
    } else {
        EnrichNow::Done(lead)
    })
}

pub async fn enrichment_attempts(
    state: &AppState,
    ctx: &TenantCtx,
    id: Uuid,
) -> ApiResult<Vec<AttemptRecord>> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    leads::get(&mut tx, id).await?.ok_or_else(not_found)?;
    Ok(leads::attempts(&mut tx, id, 100).await?)
}
