//! Periodic retention work: forgets expired `Idempotency-Key` answers.

use std::time::Duration;

use flux_persistence::{idempotency, Db, RepoError};
use tokio::sync::watch;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run_once(db: &Db) -> Result<u64, RepoError> {
    let purged = idempotency::purge_expired(db.pool()).await?;
    if purged > 0 {
        tracing::info!(purged, "expired idempotency keys removed");
    }
    Ok(purged)
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
