//! The prepare transaction: every claimed enrollment decided, and the outbox rows of
//! the messages to send committed as `prepared`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use flux_app::channel::Tracking;
use flux_domain::{SendWindow, TenantCtx};
use flux_persistence::{
    engine::{self as repo, MailboxRow},
    organizations,
};
use uuid::Uuid;

use super::{
    budget::Budget,
    decide::{Decider, Writes},
    Batch, Claim, Engine, EngineError,
};

impl Engine {
    /// The prepare transaction: decides every claimed enrollment and commits the
    /// outbox rows of the messages to send.
    pub(super) async fn prepare(
        &self,
        ctx: &TenantCtx,
        ids: &[Uuid],
        claim: &Claim,
    ) -> Result<Batch, EngineError> {
        let now = claim.now;
        let mut tx = self.db.begin_tenant(ctx).await?;
        let settings = organizations::sending_settings(&mut tx).await?;
        let window = settings.window().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "invalid send window; using the default");
            SendWindow::default()
        });
        let due = repo::load_due(&mut tx, ids, claim.lease_until).await?;
        let mut senders: Vec<Uuid> = due.iter().map(|e| e.sender_id).collect();
        senders.sort_unstable();
        senders.dedup();
        let mut mailboxes: HashMap<Uuid, (MailboxRow, Budget)> =
            repo::lock_mailboxes(&mut tx, &senders)
                .await?
                .into_iter()
                .map(|m| {
                    let budget = Budget::new(
                        m.daily_limit,
                        m.min_interval_seconds,
                        m.sent_day,
                        m.sent_today,
                        m.next_slot_at,
                    );
                    (m.user_id, (m, budget))
                })
                .collect();

        let mut batch = Batch {
            ai_fallback: settings.ai_fallback,
            ai_left: claim.ai_left,
            ..Batch::default()
        };
        let mut writes = Writes::default();
        let mut decider = Decider {
            engine: self,
            window: &window,
            now,
            mailboxes: &mut mailboxes,
            batch: &mut batch,
            writes: &mut writes,
        };
        for e in &due {
            decider.decide(e);
        }
        let tracking = Tracking {
            opens: settings.track_opens,
            clicks: settings.track_clicks,
        };
        for pending in batch
            .dispatch
            .iter_mut()
            .chain(batch.recover.iter_mut())
            .chain(batch.drafts.iter_mut().map(|d| &mut d.pending))
        {
            pending.message.tracking = tracking;
        }

        // Only rows written here go out (the enrollments are locked, so a row already
        // there would be a bug, not a race; it is kept and not sent).
        let mut unwritten: std::collections::HashSet<Uuid> =
            writes.new_sends.iter().map(|s| s.id).collect();
        for id in repo::insert_prepared(&mut tx, &writes.new_sends).await? {
            unwritten.remove(&id);
        }
        for (send_id, send) in &writes.reprepared {
            if !repo::reprepare(&mut tx, *send_id, send).await? {
                unwritten.insert(*send_id);
            }
        }
        batch
            .dispatch
            .retain(|p| !unwritten.contains(&p.message.send_id));
        let (ids, ats): (Vec<Uuid>, Vec<DateTime<Utc>>) = writes.reschedule.into_iter().unzip();
        repo::reschedule(&mut tx, &ids, &ats).await?;
        // Steps waiting for the next pass's AI share are not counted as rescheduled.
        batch.report.rescheduled += ids.len() - batch.report.ai_waiting;
        for (id, detail) in &writes.stops {
            repo::stop(&mut tx, *id, detail, now).await?;
        }
        batch.report.stopped += writes.stops.len();
        repo::advance(&mut tx, &writes.advance, now).await?;
        batch.report.advanced += writes.advance.len();
        for (row, budget) in mailboxes.values() {
            if budget.changed {
                if let Some(day) = budget.sent_day {
                    repo::save_mailbox_counters(
                        &mut tx,
                        row.id,
                        day,
                        budget.sent_today,
                        budget.next_slot_at,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(batch)
    }
}
