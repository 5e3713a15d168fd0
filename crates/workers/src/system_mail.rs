//! Delivers Flux's own e-mail (system mail): claims due messages, sends them, retries failures
//! with exponential backoff, and gives up after `MAX_ATTEMPTS`.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use flux_integrations::mail::{Email, Mailer};
use flux_persistence::{system_mail, Db, RepoError};
use tokio::sync::watch;

pub const MAX_ATTEMPTS: i32 = 8;
const BATCH: i64 = 20;

/// Runs one pass; returns how many messages were delivered. Tests call this directly.
#[tracing::instrument(skip_all, err)]
pub async fn dispatch_once(db: &Db, mailer: &dyn Mailer) -> Result<usize, RepoError> {
    let batch = system_mail::claim_due(db.pool(), BATCH).await?;
    let mut sent = 0;
    for queued in batch {
        let email = Email {
            to: queued.to_email.clone(),
            subject: queued.subject.clone(),
            body_text: queued.body_text.clone(),
        };
        match mailer.send(&email).await {
            Ok(()) => {
                system_mail::mark_sent(db.pool(), queued.id).await?;
                sent += 1;
            }
            Err(e) => {
                let retry_at =
                    (queued.attempts < MAX_ATTEMPTS).then(|| Utc::now() + backoff(queued.attempts));
                tracing::warn!(id = %queued.id, kind = %queued.kind, attempts = queued.attempts, error = %e, "e-mail delivery failed");
                system_mail::mark_failed(db.pool(), queued.id, &e.to_string(), retry_at).await?;
            }
        }
    }
    Ok(sent)
}

/// 30 s, 1 min, 2 min … capped at 1 h.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let exp = attempts.clamp(1, 8) as u32 - 1;
    chrono::Duration::seconds((30_i64 << exp).min(3600))
}

/// Polls every second until `shutdown` flips to true.
pub async fn run(db: Db, mailer: Arc<dyn Mailer>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(e) = dispatch_once(&db, mailer.as_ref()).await {
            tracing::error!(error = %e, "e-mail outbox pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1).num_seconds(), 30);
        assert_eq!(backoff(2).num_seconds(), 60);
        assert_eq!(backoff(8).num_seconds(), 3600);
        assert_eq!(backoff(50).num_seconds(), 3600);
    }
}
