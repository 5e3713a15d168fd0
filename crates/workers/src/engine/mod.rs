//! The cadence engine: sends each due step exactly once.
//!
//! A pass claims due enrollments (one system statement, `SKIP LOCKED`, leasing them
//! by pushing their due time), then works per organization in tenant transactions:
//!
//! 1. **prepare** (one transaction): lock the enrollments, stop those whose lead
//!    opted out or was archived, move those outside the send window or over the
//!    sender's cap to their next slot, render the rest and commit each message to the
//!    outbox (`step_sends`, unique per enrollment and step) as `prepared`. Steps with
//!    AI personalization are written by the model after this transaction, with none
//!    open, and committed to the outbox in one of their own (see [`ai`]);
//! 2. **dispatching** (one transaction): mark them — from here on the provider may
//!    have the message;
//! 3. **send** through the step's channel;
//! 4. **record** (one transaction): `sent` + a `sent` interaction + the enrollment on
//!    to its next step; or the failure.
//!
//! A crash anywhere leaves the enrollment leased; when the lease ends it is claimed
//! again and its outbox row says where it stopped: `prepared` is sent; `dispatching`
//! is looked up with the provider by our Message-ID (sent → recorded; not sent → sent;
//! the provider cannot tell → `needs_review`, the enrollment paused for a person).

pub mod ai;
pub mod budget;
pub mod memory;
pub mod smtp;

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, SubsecRound, Utc};
use flux_domain::{
    ai_message::AiFallback, enrollment::address_for, send::SendState, Channel, OrgId, SendWindow,
    TemplateText, TenantCtx,
};
use flux_persistence::{
    engine::{self as repo, DueEnrollment, MailboxRow, NewSend, SentMessage, StepFailure},
    enrollments::ENGINE_CHANNEL,
    organizations, Db, RepoError,
};
use futures_util::{stream, StreamExt};
use tokio::sync::watch;
use uuid::Uuid;

use flux_app::{
    ai_messages::{AiMessages, GenerateError},
    channel::{Channels, Lookup, MailboxRoute, OutgoingMessage, SendError, Tracking},
    clock::{Clock, SystemClock},
};

use self::{
    ai::{AiDraft, Draft, Fallback},
    budget::{Budget, Slot},
};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Enrollments claimed per pass.
    pub batch: i64,
    /// How long a claim (and a dispatch) is owned before another engine may take over.
    pub lease: chrono::Duration,
    /// The safety-net tick; NOTIFY wakes the engine sooner.
    pub tick: Duration,
    /// Wait after a transient send failure.
    pub retry_after: chrono::Duration,
    /// Sends a message may fail transiently before its enrollment pauses with the
    /// last error (12 × 5 minutes ≈ an hour of a server refusing or unreachable).
    pub max_attempts: i32,
    /// Messages handed to channels at the same time.
    pub concurrency: usize,
    /// Passes worked at the same time, each on its own claimed batch (SKIP LOCKED
    /// keeps them apart): the database works on one while another waits on a round
    /// trip or a provider.
    pub passes: usize,
    /// AI-personalized messages written at the same time.
    pub ai_concurrency: usize,
    /// AI-personalized messages a pass writes, all its organizations together; the
    /// rest wait for the next pass. With `ai_concurrency` of them it is one round of
    /// provider calls, each bounded inside the lease, so an enrollment is rarely
    /// claimed again while being written (and if it is, its first claim writes
    /// nothing: see `personalize`).
    pub ai_per_pass: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            batch: 500,
            lease: chrono::Duration::minutes(5),
            tick: Duration::from_secs(60),
            retry_after: chrono::Duration::minutes(5),
            max_attempts: 12,
            concurrency: 64,
            passes: 2,
            ai_concurrency: 8,
            ai_per_pass: 8,
        }
    }
}

/// The points of a send where a crash can happen (the kill tests stop there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Point {
    /// Enrollments claimed, nothing prepared.
    Claimed,
    /// Outbox rows committed as `prepared`.
    Prepared,
    /// Rows committed as `dispatching`, provider not called.
    Dispatching,
    /// The provider took the messages; nothing recorded.
    Sent,
    /// Everything recorded.
    Recorded,
}

/// Decides whether the engine "crashes" at a point (tests only).
pub type FailPoint = Arc<dyn Fn(Point) -> bool + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("injected crash at {0:?}")]
    Injected(Point),
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub claimed: usize,
    pub sent: usize,
    pub rescheduled: usize,
    pub failed: usize,
    pub review: usize,
    pub stopped: usize,
    /// Moved on without a send (completed, or past a removed step).
    pub advanced: usize,
    /// AI-personalized steps over the pass's share, due again at once.
    pub ai_waiting: usize,
}

impl PassReport {
    fn add(&mut self, other: PassReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.rescheduled += other.rescheduled;
        self.failed += other.failed;
        self.review += other.review;
        self.stopped += other.stopped;
        self.advanced += other.advanced;
        self.ai_waiting += other.ai_waiting;
    }
}

pub struct Engine {
    db: Db,
    clock: Arc<dyn Clock>,
    channels: Channels,
    ai: Option<AiMessages>,
    config: EngineConfig,
    fail_point: Option<FailPoint>,
}

/// A message on its way: which channel, for which enrollment.
struct Pending {
    channel: Channel,
    enrollment_id: Uuid,
    message: OutgoingMessage,
}

/// What the prepare transaction decided, to carry out after it.
#[derive(Default)]
struct Batch {
    dispatch: Vec<Pending>,
    recover: Vec<Pending>,
    /// Steps waiting for their AI text, their mailbox slots taken.
    drafts: Vec<AiDraft>,
    failures: Vec<StepFailure>,
    report: PassReport,
    ai_fallback: AiFallback,
    /// AI generations left in the pass's share.
    ai_left: usize,
}

/// One pass's claim, shared by the organizations it works.
struct Claim {
    now: DateTime<Utc>,
    /// The claimed enrollments' due time: theirs as long as it is unchanged.
    lease_until: DateTime<Utc>,
    /// AI generations left in the pass's share.
    ai_left: usize,
}

const REVIEW_DETAIL: &str =
    "O envio foi interrompido e o provedor não confirma se a mensagem saiu: verifique antes de reenviar";

impl Engine {
    pub fn new(db: Db, channels: Channels) -> Self {
        Self {
            db,
            clock: Arc::new(SystemClock),
            channels,
            ai: None,
            config: EngineConfig::default(),
            fail_point: None,
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// AI personalization of steps (without it, or with no provider configured, such
    /// steps take the organization's fallback).
    pub fn with_ai(mut self, ai: AiMessages) -> Self {
        self.ai = Some(ai);
        self
    }

    fn ai_configured(&self) -> bool {
        self.ai.as_ref().is_some_and(AiMessages::is_configured)
    }

    pub fn with_config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    pub fn with_fail_point(mut self, fail_point: FailPoint) -> Self {
        self.fail_point = Some(fail_point);
        self
    }

    fn crash_at(&self, point: Point) -> Result<(), EngineError> {
        match &self.fail_point {
            Some(f) if f(point) => Err(EngineError::Injected(point)),
            _ => Ok(()),
        }
    }

    /// Passes until nothing more is due now, `passes` of them at a time.
    pub async fn drain(&self) -> Result<PassReport, EngineError> {
        // Every lane runs to its end (none is cancelled halfway through a send); the
        // first error is reported.
        let lanes = (0..self.config.passes.max(1)).map(|_| self.drain_lane());
        let mut total = PassReport::default();
        for lane in futures_util::future::join_all(lanes).await {
            total.add(lane?);
        }
        Ok(total)
    }

    async fn drain_lane(&self) -> Result<PassReport, EngineError> {
        let mut total = PassReport::default();
        loop {
            let report = self.run_once().await?;
            total.add(report);
            if (report.claimed as i64) < self.config.batch && report.ai_waiting == 0 {
                return Ok(total);
            }
        }
    }

    /// One pass: claims up to a batch of due enrollments and works them.
    #[tracing::instrument(skip_all, err)]
    pub async fn run_once(&self) -> Result<PassReport, EngineError> {
        let now = self.clock.now();
        // The claim's due time is its token: stored as PostgreSQL stores it
        // (microseconds), so this pass can tell its enrollments from re-claimed ones.
        let lease_until = (now + self.config.lease).trunc_subsecs(6);
        let claimed = repo::claim_due(self.db.pool(), now, lease_until, self.config.batch).await?;
        if claimed.is_empty() {
            return Ok(PassReport::default());
        }
        self.crash_at(Point::Claimed)?;
        let mut by_org: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
        for (org_id, id) in &claimed {
            by_org.entry(*org_id).or_default().push(*id);
        }
        let mut report = PassReport {
            claimed: claimed.len(),
            ..PassReport::default()
        };
        let mut claim = Claim {
            now,
            lease_until,
            ai_left: self.config.ai_per_pass.max(1),
        };
        for (org_id, ids) in by_org {
            report.add(self.work_org(org_id, &ids, &mut claim).await?);
        }
        Ok(report)
    }

    #[tracing::instrument(skip_all, fields(org_id = %org_id, enrollments = ids.len()))]
    async fn work_org(
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
                    pause_reason: "review_required",
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
                    pause_reason: "step_failed",
                    detail: format!("O envio foi recusado: {reason}"),
                }),
                Err(SendError::Ambiguous(reason)) => batch.failures.push(StepFailure {
                    enrollment_id: pending.enrollment_id,
                    send_id: Some(pending.message.send_id),
                    pause_reason: "review_required",
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
                    pause_reason: "step_failed",
                    detail: format!(
                        "O envio falhou {} vezes seguidas: {message}",
                        self.config.max_attempts
                    ),
                });
            }
        }
        for f in &batch.failures {
            if f.pause_reason == "review_required" {
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

    /// The prepare transaction: decides every claimed enrollment and commits the
    /// outbox rows of the messages to send.
    async fn prepare(
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
        for e in &due {
            self.decide(e, &window, &mut mailboxes, now, &mut batch, &mut writes);
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

    /// AI-personalized steps written by the model (no transaction open), then, for
    /// the enrollments still this claim's, committed to the outbox in one transaction
    /// or given the organization's fallback: the template as written, or a pause with
    /// the reason. A step that does not go out gives its mailbox slot back.
    async fn personalize(
        &self,
        ctx: &TenantCtx,
        batch: &mut Batch,
        lease_until: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let drafts = std::mem::take(&mut batch.drafts);
        if drafts.is_empty() {
            return Ok(());
        }
        let results: Vec<(AiDraft, Result<_, GenerateError>)> = stream::iter(drafts)
            .map(|draft| async move {
                let result = match &self.ai {
                    Some(ai) => {
                        ai.generate(ctx, &draft.request(), &draft.facts, &draft.partner_names)
                            .await
                    }
                    None => Err(GenerateError::NotConfigured),
                };
                (draft, result)
            })
            .buffer_unordered(self.config.ai_concurrency.max(1))
            .collect()
            .await;

        let mut tx = self.db.begin_tenant(ctx).await?;
        // A claim whose lease ran out during the calls may have been taken over (and
        // the step sent, the enrollment moved on): nothing is written for those.
        let pairs: Vec<(Uuid, Uuid)> = results
            .iter()
            .map(|(d, _)| (d.enrollment_id(), d.send.step_id))
            .collect();
        let ours: std::collections::HashSet<Uuid> =
            repo::lock_still_claimed(&mut tx, &pairs, lease_until)
                .await?
                .into_iter()
                .collect();
        let now = self.clock.now();
        let mut unsent = Vec::new();
        let mut ready = Vec::new();
        let mut paused = Vec::new();
        for (draft, result) in results {
            if !ours.contains(&draft.enrollment_id()) {
                tracing::warn!(enrollment_id = %draft.enrollment_id(), "claim lapsed while the model wrote; left to its new owner");
                unsent.push(draft);
                continue;
            }
            match result {
                Ok(generated) => ready.push(draft.personalized(generated)),
                // This enrollment stays leased and is claimed again; the rest go on.
                Err(GenerateError::Repo(e)) => {
                    tracing::error!(enrollment_id = %draft.enrollment_id(), error = %e, "AI generation could not be recorded");
                    unsent.push(draft);
                }
                Err(error) => match ai::fallback(batch.ai_fallback, &error) {
                    Fallback::Template => {
                        tracing::warn!(enrollment_id = %draft.enrollment_id(), error = %error, "AI text unavailable; sending the template");
                        ready.push(draft);
                    }
                    Fallback::Pause(detail) => {
                        paused.push(StepFailure {
                            enrollment_id: draft.enrollment_id(),
                            send_id: None,
                            pause_reason: "step_failed",
                            detail,
                        });
                        unsent.push(draft);
                    }
                },
            }
        }

        let (again, fresh): (Vec<AiDraft>, Vec<AiDraft>) =
            ready.into_iter().partition(|d| d.reprepare);
        let sends: Vec<NewSend> = fresh.iter().map(|d| d.send.clone()).collect();
        let inserted: std::collections::HashSet<Uuid> = repo::insert_prepared(&mut tx, &sends)
            .await?
            .into_iter()
            .collect();
        for draft in fresh {
            if inserted.contains(&draft.send.id) {
                batch.dispatch.push(draft.pending);
            } else {
                unsent.push(draft);
            }
        }
        for draft in again {
            if repo::reprepare(&mut tx, draft.send.id, &draft.send).await? {
                batch.dispatch.push(draft.pending);
            } else {
                unsent.push(draft);
            }
        }
        for draft in &unsent {
            if let Some(day) = draft.slot_day {
                repo::give_back_slot(&mut tx, draft.send.sender_id, day).await?;
            }
        }
        // Paused here, under the lock that proves the enrollments are still ours.
        repo::pause_failed(&mut tx, &paused, now).await?;
        tx.commit().await?;
        batch.report.failed += paused.len();
        Ok(())
    }

    /// What to do with one claimed enrollment.
    fn decide(
        &self,
        e: &DueEnrollment,
        window: &SendWindow,
        mailboxes: &mut HashMap<Uuid, (MailboxRow, Budget)>,
        now: DateTime<Utc>,
        batch: &mut Batch,
        writes: &mut Writes,
    ) {
        if e.status != "active" || e.cadence_held {
            return;
        }
        if let Some(detail) = stop_reason(e) {
            writes.stops.push((e.id, detail.into()));
            return;
        }
        let (Some(step_id), Some(channel)) = (
            e.step_id,
            e.channel.as_deref().and_then(|c| c.parse::<Channel>().ok()),
        ) else {
            // No step left: the enrollment is done.
            writes.advance.push(e.id);
            return;
        };
        let uf = e.facts.uf.as_deref();
        let open_at = window.next_open(now, uf);
        let mailbox = mailboxes
            .get(&e.sender_id)
            .map(|(row, _)| MailboxRoute::from_row(row));
        let existing = e.existing.as_ref();
        // A message already prepared keeps the channel it was written for.
        let channel = existing
            .and_then(|x| x.channel.parse::<Channel>().ok())
            .unwrap_or(channel);
        let in_flight = existing.is_some_and(|x| x.state == SendState::Dispatching);
        if e.step_removed && !in_flight {
            // The step left the cadence: the lead moves on to the next one.
            writes.advance.push(e.id);
            return;
        }
        match existing.map(|x| x.state) {
            Some(SendState::Sent | SendState::Cancelled) => {
                writes.advance.push(e.id);
                return;
            }
            Some(SendState::NeedsReview) => {
                batch.failures.push(StepFailure {
                    enrollment_id: e.id,
                    send_id: existing.map(|x| x.id),
                    pause_reason: "review_required",
                    detail: REVIEW_DETAIL.into(),
                });
                return;
            }
            Some(SendState::Dispatching) => {
                let Some(x) = existing else { return };
                match x.dispatch_lease_until.filter(|until| *until > now) {
                    // Another engine is sending it right now.
                    Some(until) => writes.reschedule.push((e.id, until)),
                    None => batch.recover.push(Pending {
                        channel,
                        enrollment_id: e.id,
                        message: message_of(
                            e,
                            x.id,
                            &x.message_id,
                            &x.to_address,
                            x.subject.clone(),
                            &x.body,
                            mailbox,
                        ),
                    }),
                }
                return;
            }
            Some(SendState::Prepared) => {
                let Some(x) = existing else { return };
                if open_at > now {
                    writes.reschedule.push((e.id, open_at));
                } else {
                    batch.dispatch.push(Pending {
                        channel,
                        enrollment_id: e.id,
                        message: message_of(
                            e,
                            x.id,
                            &x.message_id,
                            &x.to_address,
                            x.subject.clone(),
                            &x.body,
                            mailbox,
                        ),
                    });
                }
                return;
            }
            // Failed and resumed, or never written: render afresh.
            Some(SendState::Failed) | None => {}
        }
        if open_at > now {
            writes.reschedule.push((e.id, open_at));
            return;
        }
        let fail = |detail: String| StepFailure {
            enrollment_id: e.id,
            send_id: None,
            pause_reason: "step_failed",
            detail,
        };
        if !e.sender_active {
            batch.failures.push(fail(format!(
                "{} não é mais membro ativo da organização: escolha outro remetente",
                e.facts.sdr_nome.as_deref().unwrap_or("O remetente")
            )));
            return;
        }
        if self.channels.get(channel).is_none() {
            batch.failures.push(fail(not_configured(channel)));
            return;
        }
        if channel == Channel::Email && mailbox.is_none() {
            batch.failures.push(fail(format!(
                "{} não tem uma caixa de e-mail configurada para enviar",
                e.facts.sdr_nome.as_deref().unwrap_or("O remetente")
            )));
            return;
        }
        let Some(to) = address_for(
            channel,
            e.facts.email.as_deref(),
            e.facts.telefone.as_deref(),
        ) else {
            batch.failures.push(fail(match channel {
                Channel::Email => "O lead não tem um e-mail válido".into(),
                Channel::Whatsapp => "O lead não tem um celular válido para o WhatsApp".into(),
            }));
            return;
        };
        let draft = match render(e, window.local_hour(now)) {
            Ok(draft) => draft,
            Err(detail) => {
                batch.failures.push(fail(detail));
                return;
            }
        };
        // With no provider there is nothing to wait for: the fallback applies now.
        let personalize = e.ai_personalization
            && match (self.ai_configured(), batch.ai_fallback) {
                (true, _) => true,
                (false, AiFallback::SendTemplate) => false,
                (false, AiFallback::Pause) => {
                    batch
                        .failures
                        .push(fail(ai::pause_reason(&GenerateError::NotConfigured)));
                    return;
                }
            };
        if personalize && batch.drafts.len() >= batch.ai_left {
            // This pass has its share of provider calls: the next one writes it.
            writes.reschedule.push((e.id, now));
            batch.report.ai_waiting += 1;
            return;
        }
        let mut slot_day = None;
        if let Some((_, budget)) = mailboxes.get_mut(&e.sender_id) {
            let today = window.local_date(now);
            match budget.take(now, today) {
                Slot::Now => slot_day = Some(today),
                Slot::At(at) => {
                    writes.reschedule.push((e.id, at));
                    return;
                }
                Slot::NextDay => {
                    writes
                        .reschedule
                        .push((e.id, window.next_day_open(now, uf)));
                    return;
                }
            }
        }
        let send_id = existing.map(|x| x.id).unwrap_or_else(Uuid::new_v4);
        let message_id = existing
            .map(|x| x.message_id.clone())
            .unwrap_or_else(|| MailboxRoute::message_id_for(send_id, mailbox.as_ref()));
        let send = NewSend {
            id: send_id,
            enrollment_id: e.id,
            step_id,
            cadence_id: e.cadence_id,
            lead_id: e.lead_id,
            sender_id: e.sender_id,
            channel: channel.as_str().to_owned(),
            message_id: message_id.clone(),
            to_address: to.clone(),
            subject: draft.subject.clone(),
            body: draft.body.clone(),
            template_id: e.template_id,
            ai_generated: false,
        };
        let pending = Pending {
            channel,
            enrollment_id: e.id,
            message: message_of(
                e,
                send_id,
                &message_id,
                &to,
                draft.subject,
                &draft.body,
                mailbox,
            ),
        };
        if personalize {
            batch.drafts.push(AiDraft {
                facts: e.facts.clone(),
                partner_names: e.partner_names.clone(),
                send,
                reprepare: existing.is_some(),
                slot_day,
                pending,
            });
            return;
        }
        batch.dispatch.push(pending);
        match existing {
            Some(_) => writes.reprepared.push((send_id, send)),
            None => writes.new_sends.push(send),
        }
    }

    /// Runs passes until `shutdown`: woken by NOTIFY on `flux_engine`, and at the
    /// latest on the next due time or the tick.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if let Some(ai) = &self.ai {
            let budget =
                chrono::Duration::from_std(ai.call_budget()).unwrap_or(chrono::Duration::MAX);
            if budget >= self.config.lease {
                tracing::warn!(
                    call_budget_secs = budget.num_seconds(),
                    lease_secs = self.config.lease.num_seconds(),
                    "an AI call may outlast the engine's lease: lower FLUX_AI_TIMEOUT_SECS or FLUX_AI_MAX_ATTEMPTS, or personalized steps may be written twice"
                );
            }
        }
        let mut listener = match sqlx::postgres::PgListener::connect_with(self.db.pool()).await {
            Ok(mut l) => match l.listen(ENGINE_CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "engine cannot LISTEN; ticking only");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "engine cannot LISTEN; ticking only");
                None
            }
        };
        loop {
            if let Err(e) = self.drain().await {
                tracing::error!(error = %e, "engine pass failed");
            }
            let sleep = self.sleep_until_next_due().await;
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = async {
                    match listener.as_mut() {
                        Some(l) => { let _ = l.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }

    async fn sleep_until_next_due(&self) -> Duration {
        let tick = self.config.tick;
        match repo::next_due(self.db.pool()).await {
            Ok(Some(at)) => (at - self.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(tick)
                .max(Duration::from_millis(10)),
            Ok(None) => tick,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the next due time");
                tick
            }
        }
    }
}

/// The prepare transaction's writes.
#[derive(Default)]
struct Writes {
    new_sends: Vec<NewSend>,
    reprepared: Vec<(Uuid, NewSend)>,
    reschedule: Vec<(Uuid, DateTime<Utc>)>,
    stops: Vec<(Uuid, String)>,
    advance: Vec<Uuid>,
}

fn stop_reason(e: &DueEnrollment) -> Option<&'static str> {
    if e.lead_gone {
        Some("O lead foi excluído")
    } else if e.do_not_contact {
        Some("O lead pediu para não ser contatado")
    } else if e.lead_archived {
        Some("O lead foi arquivado")
    } else {
        None
    }
}

fn not_configured(channel: Channel) -> String {
    format!(
        "O canal {} não está configurado nesta organização",
        channel.label()
    )
}

fn message_of(
    e: &DueEnrollment,
    send_id: Uuid,
    message_id: &str,
    to: &str,
    subject: Option<String>,
    body: &str,
    mailbox: Option<MailboxRoute>,
) -> OutgoingMessage {
    OutgoingMessage {
        send_id,
        org_id: e.org_id,
        message_id: message_id.to_owned(),
        to: to.to_owned(),
        subject,
        body: body.to_owned(),
        mailbox,
        // Set for the whole batch by `prepare`.
        tracking: Tracking::default(),
    }
}

/// The step's template rendered for the lead, or why it cannot be.
fn render(e: &DueEnrollment, local_hour: u32) -> Result<Draft, String> {
    let facts = flux_domain::TemplateFacts {
        local_hour: Some(local_hour),
        ..e.facts.clone()
    };
    let parse = |source: &str| {
        TemplateText::parse(source).map_err(|err| format!("O modelo tem um erro: {err}"))
    };
    let missing = |err: flux_domain::template::MissingValues| {
        format!(
            "Faltam dados do lead para o modelo: {} (preencha ou use um valor padrão)",
            err.0.join(", ")
        )
    };
    let body = parse(e.body_template.as_deref().unwrap_or_default())?
        .render(&facts)
        .map_err(missing)?;
    let subject = match e.subject_template.as_deref() {
        Some(source) => Some(parse(source)?.render(&facts).map_err(missing)?),
        None => None,
    };
    Ok(Draft { subject, body })
}
