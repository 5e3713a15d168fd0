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
//!
//! Modules: [`prepare`] (the transaction of step 1) with [`decide`] (each
//! enrollment's fate), [`ai`] (personalization between steps 1 and 2), [`deliver`]
//! (steps 2 to 4), [`budget`] (the senders' daily caps), and the channels [`smtp`] and
//! [`memory`] (tests). This module owns the claim, the passes and the loop.

pub mod ai;
pub mod budget;
mod decide;
mod deliver;
pub mod memory;
mod prepare;
pub mod smtp;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, SubsecRound, Utc};
use flux_app::{
    ai_messages::AiMessages,
    channel::{Channels, OutgoingMessage},
    clock::{Clock, SystemClock},
};
use flux_domain::{ai_message::AiFallback, Channel};
use flux_persistence::{
    engine::{self as repo, StepFailure},
    enrollments::ENGINE_CHANNEL,
    Db, RepoError,
};
use tokio::sync::watch;
use uuid::Uuid;

use self::ai::AiDraft;

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
