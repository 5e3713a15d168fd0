//! Runs jobs of the PostgreSQL queue (`flux_persistence::jobs`).
//!
//! A [`Runner`] holds the handlers by job kind. Each handler gets a [`JobContext`]
//! whose only door into the database is a tenant transaction of the job's
//! organization, so a job can never touch another tenant's rows. Handlers must be
//! idempotent: a job is retried after an error, and re-run if its worker dies
//! between the handler's commit and the job's completion (at-least-once).

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use flux_domain::{OrgId, TenantCtx};
use flux_persistence::{
    jobs::{self, Claim, ClaimedJob},
    Db, RepoError, TenantDb, TenantTx,
};
use futures_util::FutureExt;
use rand::Rng;
use tokio::sync::watch;
use uuid::Uuid;

use flux_app::clock::{Clock, SystemClock};

/// Why an attempt failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Transient (provider down, rate limit, database hiccup): retry with backoff, or
    /// after `after` when the cause says when.
    #[error("{message}")]
    Retry {
        message: String,
        after: Option<Duration>,
    },
    /// Not this job's failure (our own provider rate limit is used up, another run
    /// holds the target): run again after `after`, without spending an attempt.
    #[error("deferred: {reason}")]
    Defer { reason: String, after: Duration },
    /// Retrying cannot help (malformed payload, deleted target): dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    pub fn retry(message: impl Into<String>) -> Self {
        Self::Retry {
            message: message.into(),
            after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent(message.into())
    }
}

impl From<RepoError> for JobError {
    fn from(e: RepoError) -> Self {
        Self::retry(e.to_string())
    }
}

/// What a handler sees of the job and the database.
pub struct JobContext {
    db: TenantDb,
    pub job: ClaimedJob,
    pub clock: Arc<dyn Clock>,
    lease: Lease,
}

/// What a job needs to keep its claim: the runner's pool, its worker id and lease.
struct Lease {
    db: Db,
    worker: String,
    length: chrono::Duration,
}

impl JobContext {
    /// A transaction confined by RLS to the job's organization.
    pub async fn begin(&self) -> Result<TenantTx, RepoError> {
        self.db.begin().await
    }

    /// Renews this run's lease for another full lease length. Long jobs call it as
    /// they make progress, so a job that takes longer than one lease is not taken over
    /// while it still runs. Fails (and the run must stop) when the lease was already
    /// lost to another worker.
    pub async fn extend_lease(&self) -> Result<(), JobError> {
        let until = self.clock.now() + self.lease.length;
        if jobs::extend_lease(self.lease.db.pool(), self.claim(), until).await? {
            Ok(())
        } else {
            Err(JobError::retry(format!(
                "lease of job {} lost to another worker",
                self.job.id
            )))
        }
    }

    /// This run's claim on the job.
    fn claim(&self) -> Claim<'_> {
        Claim {
            id: self.job.id,
            worker: &self.lease.worker,
            attempt: self.job.attempts,
        }
    }

    /// The database as the job's organization sees it (for shared use cases).
    pub fn db(&self) -> &TenantDb {
        &self.db
    }

    pub fn tenant(&self) -> &TenantCtx {
        self.db.ctx()
    }

    /// The UUID under `key` in the payload; a job without it can never succeed.
    pub fn payload_uuid(&self, key: &str) -> Result<Uuid, JobError> {
        self.job
            .payload
            .get(key)
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| JobError::permanent(format!("payload without a valid {key}")))
    }

    pub fn is_last_attempt(&self) -> bool {
        self.job.attempts >= self.job.max_attempts
    }
}

#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError>;

    /// Called once when the job dies, in a tenant transaction of its own, so the
    /// handler can leave its target in a final state (e.g. `enrichment_failed`).
    async fn on_dead(&self, _ctx: &JobContext, _error: &str) -> Result<(), RepoError> {
        Ok(())
    }
}

/// What happened to the job a [`Runner::run_one`] call took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded {
        id: Uuid,
        kind: String,
    },
    /// Put back for later without spending an attempt.
    Deferred {
        id: Uuid,
        kind: String,
    },
    Retrying {
        id: Uuid,
        kind: String,
        error: String,
    },
    Dead {
        id: Uuid,
        kind: String,
        error: String,
    },
}

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Concurrent jobs per process.
    pub concurrency: usize,
    pub poll_interval: Duration,
    /// How long a claim lasts before another worker may take the job over.
    pub lease: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(3600),
        }
    }
}

/// Seconds between two sweeps of expired leases by one runner.
const SWEEP_EVERY_SECS: i64 = 5;

#[derive(Clone)]
pub struct Runner {
    last_sweep: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
    db: Db,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
    kinds: Arc<Vec<String>>,
    worker_id: String,
    config: RunnerConfig,
    clock: Arc<dyn Clock>,
}

pub struct RunnerBuilder {
    db: Db,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    config: RunnerConfig,
    clock: Arc<dyn Clock>,
}

impl RunnerBuilder {
    pub fn handler(mut self, kind: &'static str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind, handler);
        self
    }

    pub fn config(mut self, config: RunnerConfig) -> Self {
        self.config = config;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn build(self) -> Runner {
        let mut kinds: Vec<String> = self.handlers.keys().map(|k| (*k).to_owned()).collect();
        kinds.sort();
        Runner {
            last_sweep: Arc::new(std::sync::Mutex::new(None)),
            db: self.db,
            handlers: Arc::new(self.handlers),
            kinds: Arc::new(kinds),
            worker_id: format!("{}-{}", hostname(), Uuid::new_v4()),
            config: self.config,
            clock: self.clock,
        }
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "flux".to_owned())
}

impl Runner {
    pub fn builder(db: Db) -> RunnerBuilder {
        RunnerBuilder {
            db,
            handlers: HashMap::new(),
            config: RunnerConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }

    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Claims and runs one due job; `None` when nothing is due.
    pub async fn run_one(&self) -> Result<Option<JobOutcome>, RepoError> {
        let now = self.clock.now();
        self.reclaim_expired_leases(now).await?;
        let lease = chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::MAX);
        let Some(job) =
            jobs::claim(self.db.pool(), &self.worker_id, &self.kinds, now, lease).await?
        else {
            return Ok(None);
        };
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            // Claim filters by our kinds, so this cannot happen; die loudly if it does.
            let error = format!("no handler for job kind {}", job.kind);
            let claim = Claim {
                id: job.id,
                worker: &self.worker_id,
                attempt: job.attempts,
            };
            jobs::fail(self.db.pool(), claim, &error, None, now).await?;
            return Ok(Some(JobOutcome::Dead {
                id: job.id,
                kind: job.kind,
                error,
            }));
        };
        let ctx = self.context(job, lease);
        let span = tracing::info_span!("job", id = %ctx.job.id, kind = %ctx.job.kind, org_id = %ctx.job.org_id, attempt = ctx.job.attempts);
        // A panicking handler fails its job instead of ending this loop for good.
        let result = tracing::Instrument::instrument(
            std::panic::AssertUnwindSafe(handler.run(&ctx)).catch_unwind(),
            span,
        )
        .await
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "handler panicked".to_owned());
            Err(JobError::permanent(format!("panic: {message}")))
        });
        let (id, kind) = (ctx.job.id, ctx.job.kind.clone());
        let claim = ctx.claim();
        let finished_at = self.clock.now();
        Ok(Some(match result {
            Ok(()) => {
                jobs::complete(self.db.pool(), claim, finished_at).await?;
                JobOutcome::Succeeded { id, kind }
            }
            Err(JobError::Defer { reason, after }) => {
                let run_at = self.later(finished_at, after);
                jobs::defer(self.db.pool(), claim, run_at).await?;
                tracing::debug!(%id, %kind, %reason, "job deferred");
                JobOutcome::Deferred { id, kind }
            }
            Err(e) => {
                let error = e.to_string();
                let retry_at = match &e {
                    JobError::Retry { after, .. } if !ctx.is_last_attempt() => {
                        let delay = after.unwrap_or_else(|| self.backoff(ctx.job.attempts));
                        Some(self.later(finished_at, delay))
                    }
                    _ => None,
                };
                jobs::fail(self.db.pool(), claim, &error, retry_at, finished_at).await?;
                if retry_at.is_some() {
                    tracing::warn!(%id, %kind, attempt = ctx.job.attempts, %error, "job failed, will retry");
                    JobOutcome::Retrying { id, kind, error }
                } else {
                    tracing::error!(%id, %kind, attempt = ctx.job.attempts, %error, "job dead");
                    if let Err(hook) = handler.on_dead(&ctx, &error).await {
                        tracing::error!(%id, %kind, error = %hook, "dead-job hook failed");
                    }
                    JobOutcome::Dead { id, kind, error }
                }
            }
        }))
    }

    /// `from + delay`, with the delay capped at `backoff_cap` (a provider may ask for
    /// absurd waits; the arithmetic must not overflow).
    fn later(&self, from: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
        let delay = chrono::Duration::from_std(delay.min(self.config.backoff_cap))
            .unwrap_or(chrono::Duration::hours(1));
        from.checked_add_signed(delay).unwrap_or(from)
    }

    /// Requeues jobs of vanished workers, at most every few seconds per process: the
    /// sweep is an UPDATE on the whole queue and idle loops poll twice a second.
    async fn reclaim_expired_leases(&self, now: DateTime<Utc>) -> Result<(), RepoError> {
        {
            let mut last = self
                .last_sweep
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if last.is_some_and(|at| now - at < chrono::Duration::seconds(SWEEP_EVERY_SECS)) {
                return Ok(());
            }
            *last = Some(now);
        }
        let reclaimed = jobs::reclaim_expired(self.db.pool(), now).await?;
        // A worker that vanished on its last attempt killed its job without running
        // the hook: run it here, so the target still gets its final state.
        for job in reclaimed.dead {
            let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
                continue;
            };
            let (id, kind) = (job.id, job.kind.clone());
            tracing::error!(%id, %kind, "job dead: its worker vanished on the last attempt");
            let ctx = self.context(job, chrono::Duration::zero());
            if let Err(hook) = handler
                .on_dead(&ctx, "o processo que o executava parou")
                .await
            {
                tracing::error!(%id, %kind, error = %hook, "dead-job hook failed");
            }
        }
        Ok(())
    }

    fn context(&self, job: ClaimedJob, lease: chrono::Duration) -> JobContext {
        JobContext {
            db: self
                .db
                .for_tenant(&TenantCtx::system(OrgId::new(job.org_id))),
            job,
            clock: self.clock.clone(),
            lease: Lease {
                db: self.db.clone(),
                worker: self.worker_id.clone(),
                length: lease,
            },
        }
    }

    /// Runs due jobs until none is left (tests, and `flux` one-shot commands).
    pub async fn drain(&self) -> Result<Vec<JobOutcome>, RepoError> {
        let mut outcomes = Vec::new();
        while let Some(outcome) = self.run_one().await? {
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Exponential backoff with equal jitter: attempt n waits between half and all of
    /// `base · 2^(n-1)` (capped), so retries of a burst spread out instead of
    /// hammering a recovering provider together.
    pub fn backoff(&self, attempt: i32) -> Duration {
        let exp = attempt.clamp(1, 30) as u32 - 1;
        let full = self
            .config
            .backoff_base
            .saturating_mul(1u32 << exp.min(20))
            .min(self.config.backoff_cap);
        let half = full / 2;
        half + rand::thread_rng().gen_range(Duration::ZERO..=half)
    }

    /// `concurrency` loops claiming jobs until `shutdown` flips to true; each loop
    /// finishes the job it holds before stopping.
    pub fn spawn(&self, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        (0..self.config.concurrency.max(1))
            .map(|_| {
                let runner = self.clone();
                let mut shutdown = shutdown.clone();
                tokio::spawn(async move {
                    loop {
                        if *shutdown.borrow() {
                            break;
                        }
                        let idle = match runner.run_one().await {
                            Ok(Some(_)) => false,
                            Ok(None) => true,
                            Err(e) => {
                                tracing::error!(error = %e, "job queue poll failed");
                                true
                            }
                        };
                        if idle {
                            tokio::select! {
                                _ = tokio::time::sleep(runner.config.poll_interval) => {}
                                _ = shutdown.changed() => {}
                            }
                        }
                    }
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner_with(config: RunnerConfig) -> Runner {
        let pool = sqlx::PgPool::connect_lazy("postgres://localhost/unused").unwrap();
        Runner::builder(Db::from_pool(pool)).config(config).build()
    }

    #[tokio::test]
    async fn backoff_doubles_within_jitter_and_caps() {
        let runner = runner_with(RunnerConfig {
            backoff_base: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(60),
            ..RunnerConfig::default()
        });
        for _ in 0..50 {
            let first = runner.backoff(1);
            assert!((Duration::from_secs(5)..=Duration::from_secs(10)).contains(&first));
            let third = runner.backoff(3);
            assert!((Duration::from_secs(20)..=Duration::from_secs(40)).contains(&third));
            let capped = runner.backoff(25);
            assert!((Duration::from_secs(30)..=Duration::from_secs(60)).contains(&capped));
        }
    }
}
