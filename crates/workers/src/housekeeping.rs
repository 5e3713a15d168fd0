//! Periodic retention work: forgets expired `Idempotency-Key` answers, finished jobs
//! (succeeded after 7 days, dead after 30 — long enough to investigate), live events
//! older than a day (clients reconnecting later reload instead of replaying) and AI
//! usage older than 90 days (docs/operations.md).

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use flux_persistence::{ai_usage, events, idempotency, jobs, Db, RepoError};
use tokio::sync::watch;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run_once(db: &Db) -> Result<u64, RepoError> {
    let purged = idempotency::purge_expired(db.pool()).await?;
    if purged > 0 {
        tracing::info!(purged, "expired idempotency keys removed");
    }
    let now = Utc::now();
    let jobs = jobs::purge_finished(db.pool(), now - Days::days(7), now - Days::days(30)).await?;
    let events = events::purge(db.pool(), now - Days::days(1)).await?;
    let ai = ai_usage::purge(db.pool(), now - Days::days(90)).await?;
    if jobs + events + ai > 0 {
        tracing::info!(
            jobs,
            events,
            ai,
            "finished jobs, old events and old AI usage removed"
        );
    }
    Ok(purged + jobs + events + ai)
}

/// Runs hourly until `shutdown` flips to true.
pub async fn run(db: Db, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(e) = run_once(&db).await {
            tracing::error!(error = %e, "housekeeping pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
}
