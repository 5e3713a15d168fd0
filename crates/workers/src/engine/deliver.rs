//! After prepare: ask the provider about sends a crash left `dispatching`, mark the
//! rest `dispatching`, hand them to their channels, and record what came of each.

use flux_app::channel::{Lookup, SendError};
use flux_domain::enrollment::PauseReason;
use flux_domain::{OrgId, TenantCtx};
use flux_persistence::engine::{self as repo, SentMessage, StepFailure};
use futures_util::{stream, StreamExt};
use uuid::Uuid;

use super::{
    decide::{not_configured, REVIEW_DETAIL},
    Claim, Engine, EngineError, PassReport, Pending, Point,
};

impl Engine {
    #[tracing::instrument(skip_all, fields(org_id = %org_id, enrollments = ids.len()))]
    pub(super) async fn work_org(
        &self,
        org_id: Uuid,
        ids: &[Uuid],
        claim: &mut Claim,
    ) -> Result<PassReport, EngineError> {
        let now = claim.now;
        let ctx = TenantCtx::system(OrgId::new(org_id));
        let mut batch = self.prepare(&ctx, ids, claim).await?;
        claim.ai_left = claim.ai_left.saturating_sub(batch.drafts.len());
        self.personalize(&ctx, &mut batch, claim.lease_until)
            .await?;
        self.crash_at(Point::Prepared)?;

        let mut sent = Vec::new();
        for pending in std::mem::take(&mut batch.recover) {
            let lookup = match self.channels.get(pending.channel) {
                Some(channel) => channel.lookup(&pending.message).await,
                // Nobody can ask the provider: a person must.
                None => Lookup::Unknown,
            };
            match lookup {
                Lookup::Sent { provider_id } => sent.push(SentMessage {
                    send_id: pending.message.send_id,
                    provider_id,
                }),
                Lookup::NotSent => batch.dispatch.push(pending),
                Lookup::Unknown => batch.failures.push(StepFailure {
                    enrollment_id: pending.enrollment_id,
                    send_id: Some(pending.message.send_id),
                    pause_reason: PauseReason::ReviewRequired,
                    detail: REVIEW_DETAIL.into(),
                }),
            }
        }

        if !batch.dispatch.is_empty() {
            // Only what this engine takes now is sent: a row another engine took over,
            // or whose enrollment stopped or lead opted out since prepare, is left.
            let send_ids: Vec<Uuid> = batch.dispatch.iter().map(|p| p.message.send_id).collect();
            let now = self.clock.now();
            let mut tx = self.db.begin_tenant(&ctx).await?;
            let taken: std::collections::HashSet<Uuid> =
                repo::mark_dispatching(&mut tx, &send_ids, now, now + self.config.lease)
                    .await?
                    .into_iter()
                    .collect();
            tx.commit().await?;
            batch
                .dispatch
                .retain(|p| taken.contains(&p.message.send_id));
        }
        self.crash_at(Point::Dispatching)?;

        let results: Vec<(Pending, Result<Option<String>, SendError>)> =
            stream::iter(std::mem::take(&mut batch.dispatch))
                .map(|pending| async move {
                    let result = match self.channels.get(pending.channel) {
                        Some(channel) => channel
                            .send(&pending.message)
                            .await
                            .map(|receipt| receipt.provider_id),
                        None => Err(SendError::Rejected(not_configured(pending.channel))),
                    };
                    (pending, result)
                })
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
        self.crash_at(Point::Sent)?;

        let mut retries = Vec::new();
        for (pending, result) in results {
            match result {
                Ok(provider_id) => sent.push(SentMessage {
                    send_id: pending.message.send_id,
                    provider_id,
                }),
                Err(SendError::Transient {
                    message,
                    retry_after,
                }) => {
                    let wait = retry_after
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .unwrap_or(self.config.retry_after);
                    retries.push((pending, message, now + wait));
                }
                Err(SendError::Rejected(reason)) => batch.failures.push(StepFailure {
                    enrollment_id: pending.enrollment_id,
                    send_id: Some(pending.message.send_id),
                    pause_reason: PauseReason::StepFailed,
                    detail: format!("O envio foi recusado: {reason}"),
                }),
                Err(SendError::Ambiguous(reason)) => batch.failures.push(StepFailure {
                    enrollment_id: pending.enrollment_id,
                    send_id: Some(pending.message.send_id),
                    pause_reason: PauseReason::ReviewRequired,
                    detail: format!("{REVIEW_DETAIL} ({reason})"),
                }),
            }
        }

        let now = self.clock.now();
        let mut tx = self.db.begin_tenant(&ctx).await?;
        batch.report.sent += repo::record_sent(&mut tx, &sent, now).await? as usize;
        for (pending, message, at) in &retries {
            let retried = repo::retry_later(
                &mut tx,
                pending.message.send_id,
                pending.enrollment_id,
                message,
                *at,
                self.config.max_attempts,
            )
            .await?;
            if retried {
                tracing::warn!(send_id = %pending.message.send_id, error = %message, "send failed; retrying later");
                batch.report.rescheduled += 1;
            } else {
                batch.failures.push(StepFailure {
                    enrollment_id: pending.enrollment_id,
                    send_id: Some(pending.message.send_id),
                    pause_reason: PauseReason::StepFailed,
                    detail: format!(
                        "O envio falhou {} vezes seguidas: {message}",
                        self.config.max_attempts
                    ),
                });
            }
        }
        for f in &batch.failures {
            if f.pause_reason == PauseReason::ReviewRequired {
                batch.report.review += 1;
            } else {
                batch.report.failed += 1;
            }
        }
        repo::pause_failed(&mut tx, &batch.failures, now).await?;
        tx.commit().await?;
        self.crash_at(Point::Recorded)?;
        Ok(batch.report)
    }
}
