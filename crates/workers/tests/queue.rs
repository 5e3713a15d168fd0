//! The PostgreSQL job queue against a real database: delivery, dedup, retries with
//! backoff, dead letters, lease take-over, concurrent workers and tenant confinement.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use flux_app::clock::{Clock, ManualClock};
use flux_domain::{MemberRole, OrgId, TenantCtx, UserId};
use flux_persistence::{
    jobs::{self, JobStatus, NewJob},
    organizations, users, Db, RepoError,
};
use flux_testkit::TestDatabase;
use flux_workers::queue::{JobContext, JobError, JobHandler, JobOutcome, Runner, RunnerConfig};
use serde_json::json;

/// The database value drops the database: keep it for the whole test.
async fn db() -> (TestDatabase, Db) {
    let test_db = TestDatabase::create().await;
    let db = Db::from_pool(test_db.pool().await);
    (test_db, db)
}

async fn org(db: &Db, email: &str) -> TenantCtx {
    let mut tx = db.begin_system().await.unwrap();
    let user = users::insert(&mut tx, "Owner", email, "hash")
        .await
        .unwrap();
    let org = organizations::create_with_owner(&mut tx, email, "org", user.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    TenantCtx::new(
        OrgId::new(org.id),
        UserId::new(user.id),
        MemberRole::Manager,
    )
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap(),
    ))
}

async fn enqueue(db: &Db, ctx: &TenantCtx, job: NewJob) -> Option<uuid::Uuid> {
    let mut tx = db.begin_tenant(ctx).await.unwrap();
    let id = jobs::enqueue(&mut tx, job).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn all_jobs(db: &Db, ctx: &TenantCtx) -> Vec<jobs::JobRecord> {
    let mut tx = db.begin_tenant(ctx).await.unwrap();
    jobs::list(&mut tx, None, 1000).await.unwrap()
}

/// Fails its first `fail_first` runs with the given error kind, then succeeds;
/// records every payload it saw and every dead-letter hook call.
#[derive(Default)]
struct Flaky {
    fail_first: Mutex<usize>,
    permanent: bool,
    runs: Mutex<Vec<serde_json::Value>>,
    dead: Mutex<Vec<String>>,
}

#[async_trait]
impl JobHandler for Flaky {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        self.runs.lock().unwrap().push(ctx.job.payload.clone());
        let mut fail = self.fail_first.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return Err(if self.permanent {
                JobError::permanent("payload refers to nothing")
            } else {
                JobError::retry("provider answered 503")
            });
        }
        Ok(())
    }

    async fn on_dead(&self, _ctx: &JobContext, error: &str) -> Result<(), RepoError> {
        self.dead.lock().unwrap().push(error.to_owned());
        Ok(())
    }
}

/// A runner of `kind` with a 60 s lease and backoff from 10 s to 10 min.
fn runner(
    db: &Db,
    clock: Arc<ManualClock>,
    kind: &'static str,
    handler: Arc<dyn JobHandler>,
) -> Runner {
    Runner::builder(db.clone())
        .handler(kind, handler)
        .clock(clock)
        .config(RunnerConfig {
            backoff_base: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(600),
            lease: Duration::from_secs(60),
            ..RunnerConfig::default()
        })
        .build()
}

#[tokio::test]
async fn runs_each_job_once_with_its_payload() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let handler = Arc::new(Flaky::default());
    let runner = runner(&db, clock.clone(), "test.flaky", handler.clone());
    for n in 0..3 {
        enqueue(
            &db,
            &ctx,
            NewJob::new("test.flaky", json!({ "n": n }), clock.now()),
        )
        .await;
    }
    let outcomes = runner.drain().await.unwrap();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, JobOutcome::Succeeded { .. })));
    assert_eq!(
        *handler.runs.lock().unwrap(),
        vec![json!({"n": 0}), json!({"n": 1}), json!({"n": 2})],
        "oldest first"
    );
    assert!(
        runner.drain().await.unwrap().is_empty(),
        "nothing runs twice"
    );
    assert!(all_jobs(&db, &ctx)
        .await
        .iter()
        .all(|j| j.status == JobStatus::Succeeded && j.attempts == 1));
}

#[tokio::test]
async fn future_jobs_and_unknown_kinds_wait() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let runner = runner(&db, clock.clone(), "test.flaky", Arc::new(Flaky::default()));
    let mut later = NewJob::new("test.flaky", json!({}), clock.now());
    later.run_at = clock.now() + chrono::Duration::minutes(5);
    enqueue(&db, &ctx, later).await;
    enqueue(&db, &ctx, NewJob::new("other.kind", json!({}), clock.now())).await;
    assert!(runner.drain().await.unwrap().is_empty());
    clock.advance(chrono::Duration::minutes(5));
    assert_eq!(runner.drain().await.unwrap().len(), 1);
    let other = all_jobs(&db, &ctx).await;
    assert!(other
        .iter()
        .any(|j| j.kind == "other.kind" && j.status == JobStatus::Queued));
}

#[tokio::test]
async fn unique_key_dedups_live_jobs_only() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let runner = runner(&db, clock.clone(), "test.flaky", Arc::new(Flaky::default()));
    let job = || NewJob::new("test.flaky", json!({}), clock.now()).unique("lead:1");
    assert!(enqueue(&db, &ctx, job()).await.is_some());
    assert!(
        enqueue(&db, &ctx, job()).await.is_none(),
        "a queued twin is a no-op"
    );
    assert_eq!(runner.drain().await.unwrap().len(), 1);
    assert!(
        enqueue(&db, &ctx, job()).await.is_some(),
        "once finished, the same work may be asked for again"
    );
    // Another organization's key space is its own.
    let other = org(&db, "b@b.com.br").await;
    assert!(enqueue(&db, &other, job()).await.is_some());
}

#[tokio::test]
async fn retries_with_growing_backoff_then_succeeds() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let handler = Arc::new(Flaky {
        fail_first: Mutex::new(2),
        ..Flaky::default()
    });
    let runner = runner(&db, clock.clone(), "test.flaky", handler.clone());
    enqueue(&db, &ctx, NewJob::new("test.flaky", json!({}), clock.now())).await;

    let first = runner.run_one().await.unwrap().unwrap();
    assert!(
        matches!(first, JobOutcome::Retrying { ref error, .. } if error == "provider answered 503")
    );
    let job = &all_jobs(&db, &ctx).await[0];
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.last_error.as_deref(), Some("provider answered 503"));
    let wait = job.run_at - clock.now();
    assert!(
        wait >= chrono::Duration::seconds(5) && wait <= chrono::Duration::seconds(10),
        "{wait}"
    );
    assert!(
        runner.run_one().await.unwrap().is_none(),
        "not before its backoff"
    );

    clock.advance(chrono::Duration::seconds(10));
    assert!(matches!(
        runner.run_one().await.unwrap(),
        Some(JobOutcome::Retrying { .. })
    ));
    let wait = all_jobs(&db, &ctx).await[0].run_at - clock.now();
    assert!(
        wait >= chrono::Duration::seconds(10) && wait <= chrono::Duration::seconds(20),
        "{wait}"
    );

    clock.advance(chrono::Duration::seconds(20));
    assert!(matches!(
        runner.run_one().await.unwrap(),
        Some(JobOutcome::Succeeded { .. })
    ));
    let job = &all_jobs(&db, &ctx).await[0];
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 3));
    assert!(handler.dead.lock().unwrap().is_empty());
}

#[tokio::test]
async fn dies_after_max_attempts_keeping_the_last_error() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let handler = Arc::new(Flaky {
        fail_first: Mutex::new(usize::MAX),
        ..Flaky::default()
    });
    let runner = runner(&db, clock.clone(), "test.flaky", handler.clone());
    enqueue(
        &db,
        &ctx,
        NewJob::new("test.flaky", json!({}), clock.now()).max_attempts(3),
    )
    .await;
    let mut outcomes = vec![];
    for _ in 0..10 {
        clock.advance(chrono::Duration::hours(1));
        outcomes.extend(runner.drain().await.unwrap());
    }
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert!(matches!(outcomes[2], JobOutcome::Dead { .. }));
    let job = &all_jobs(&db, &ctx).await[0];
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 3));
    assert_eq!(job.last_error.as_deref(), Some("provider answered 503"));
    assert!(job.finished_at.is_some());
    assert_eq!(
        *handler.dead.lock().unwrap(),
        vec!["provider answered 503".to_owned()]
    );
}

#[tokio::test]
async fn permanent_errors_die_at_once() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let handler = Arc::new(Flaky {
        fail_first: Mutex::new(1),
        permanent: true,
        ..Flaky::default()
    });
    let runner = runner(&db, clock.clone(), "test.flaky", handler.clone());
    enqueue(&db, &ctx, NewJob::new("test.flaky", json!({}), clock.now())).await;
    assert!(matches!(
        runner.run_one().await.unwrap(),
        Some(JobOutcome::Dead { .. })
    ));
    let job = &all_jobs(&db, &ctx).await[0];
    assert_eq!((job.status, job.attempts), (JobStatus::Dead, 1));
    assert_eq!(handler.dead.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_vanished_workers_job_is_taken_over_after_its_lease() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let handler = Arc::new(Flaky::default());
    let runner = runner(&db, clock.clone(), "test.flaky", handler.clone());
    enqueue(&db, &ctx, NewJob::new("test.flaky", json!({}), clock.now())).await;
    // A worker claims it and dies.
    let kinds = vec!["test.flaky".to_owned()];
    let ghost = jobs::claim(
        db.pool(),
        "ghost",
        &kinds,
        clock.now(),
        chrono::Duration::seconds(60),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        runner.run_one().await.unwrap().is_none(),
        "leased to the ghost"
    );
    clock.advance(chrono::Duration::seconds(61));
    assert!(matches!(
        runner.run_one().await.unwrap(),
        Some(JobOutcome::Succeeded { .. })
    ));
    // The ghost coming back cannot finish or fail what is no longer its job.
    let ghost = jobs::Claim {
        id: ghost.id,
        worker: "ghost",
        attempt: ghost.attempts,
    };
    assert!(!jobs::complete(db.pool(), ghost, clock.now()).await.unwrap());
    assert!(!jobs::fail(db.pool(), ghost, "late", None, clock.now())
        .await
        .unwrap());
    let job = &all_jobs(&db, &ctx).await[0];
    assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
}

/// A job longer than its 60 s lease. `renew`: it renews the lease as it goes, and no
/// sweep takes the job while it runs. Otherwise another loop of the same worker takes
/// it over midway, and renewing then tells this run to stop.
struct Long {
    clock: Arc<ManualClock>,
    db: Db,
    renew: bool,
    reclaimed_midway: Mutex<Vec<u64>>,
    worker_id: Mutex<String>,
}

#[async_trait]
impl JobHandler for Long {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        for _ in 0..3 {
            self.clock.advance(chrono::Duration::seconds(40));
            if self.renew {
                ctx.extend_lease().await?;
            }
            let reclaimed = jobs::reclaim_expired(self.db.pool(), self.clock.now())
                .await
                .unwrap()
                .count;
            self.reclaimed_midway.lock().unwrap().push(reclaimed);
            if reclaimed > 0 {
                let kinds = vec!["test.long".to_owned()];
                let lease = chrono::Duration::seconds(60);
                let worker = self.worker_id.lock().unwrap().clone();
                jobs::claim(self.db.pool(), &worker, &kinds, self.clock.now(), lease)
                    .await
                    .unwrap()
                    .unwrap();
                return ctx.extend_lease().await;
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_long_job_renewing_its_lease_keeps_it_and_one_that_lost_it_stops() {
    for renew in [true, false] {
        let (_test_db, db) = db().await;
        let ctx = org(&db, "a@a.com.br").await;
        let clock = clock();
        let handler = Arc::new(Long {
            clock: clock.clone(),
            db: db.clone(),
            renew,
            reclaimed_midway: Mutex::default(),
            worker_id: Mutex::default(),
        });
        let runner = runner(&db, clock.clone(), "test.long", handler.clone());
        *handler.worker_id.lock().unwrap() = runner.worker_id().to_owned();
        enqueue(&db, &ctx, NewJob::new("test.long", json!({}), clock.now())).await;
        let outcome = runner.run_one().await.unwrap().unwrap();
        let job = &all_jobs(&db, &ctx).await[0];
        let locked_by: Option<String> = sqlx::query_scalar("SELECT locked_by FROM jobs")
            .fetch_one(db.pool())
            .await
            .unwrap();
        if renew {
            // 120 s of work under a 60 s lease: never swept, finished by its runner.
            assert_eq!(*handler.reclaimed_midway.lock().unwrap(), [0, 0, 0]);
            assert!(
                matches!(outcome, JobOutcome::Succeeded { .. }),
                "{outcome:?}"
            );
            assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 1));
        } else {
            // Swept after 80 s and claimed again by the same worker (another of its
            // loops): renewing fails, and this run's failure does not touch the job
            // that new claim holds.
            assert_eq!(*handler.reclaimed_midway.lock().unwrap(), [0, 1]);
            assert!(
                matches!(outcome, JobOutcome::Retrying { ref error, .. } if error.contains("lease")),
                "{outcome:?}"
            );
            assert_eq!((job.status, job.attempts), (JobStatus::Running, 2));
            assert_eq!(locked_by.as_deref(), Some(runner.worker_id()));
        }
    }
}

/// Counts runs per job id to prove SKIP LOCKED hands each job to exactly one worker.
#[derive(Default)]
struct Counting(Mutex<HashMap<uuid::Uuid, usize>>);

#[async_trait]
impl JobHandler for Counting {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        tokio::time::sleep(Duration::from_millis(2)).await;
        *self.0.lock().unwrap().entry(ctx.job.id).or_default() += 1;
        Ok(())
    }
}

#[tokio::test]
async fn concurrent_workers_never_run_a_job_twice() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let mut tx = db.begin_tenant(&ctx).await.unwrap();
    for n in 0..60 {
        jobs::enqueue(
            &mut tx,
            NewJob::new("test.count", json!({ "n": n }), clock.now()),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let handler = Arc::new(Counting::default());
    let workers: Vec<_> = (0..4)
        .map(|_| {
            Runner::builder(db.clone())
                .handler("test.count", handler.clone())
                .clock(clock.clone())
                .build()
        })
        .collect();
    let drained = futures_util::future::join_all(workers.iter().map(|w| w.drain())).await;
    let total: usize = drained.into_iter().map(|r| r.unwrap().len()).sum();
    assert_eq!(total, 60);
    let counts = handler.0.lock().unwrap();
    assert_eq!(counts.len(), 60);
    assert!(counts.values().all(|&n| n == 1));
}

/// Reads, inside the job's own transaction, every job row it can see.
struct Peeking(Mutex<Vec<usize>>);

#[async_trait]
impl JobHandler for Peeking {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        let mut tx = ctx.begin().await?;
        let visible = jobs::list(&mut tx, None, 1000).await?;
        assert!(visible.iter().all(|j| j.kind == "test.peek"));
        self.0.lock().unwrap().push(visible.len());
        Ok(())
    }
}

#[tokio::test]
async fn a_job_sees_only_its_own_organization() {
    let (_test_db, db) = db().await;
    let a = org(&db, "a@a.com.br").await;
    let b = org(&db, "b@b.com.br").await;
    let clock = clock();
    enqueue(&db, &a, NewJob::new("test.peek", json!({}), clock.now())).await;
    for _ in 0..3 {
        enqueue(&db, &b, NewJob::new("test.peek", json!({}), clock.now())).await;
    }
    let handler = Arc::new(Peeking(Mutex::new(vec![])));
    let runner = Runner::builder(db.clone())
        .handler("test.peek", handler.clone())
        .clock(clock.clone())
        .build();
    assert_eq!(runner.drain().await.unwrap().len(), 4);
    let mut seen = handler.0.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        vec![1, 3, 3, 3],
        "a's job sees a's one job, b's jobs see b's three"
    );
}

#[tokio::test]
async fn spawned_loops_pick_up_work_and_stop_on_shutdown() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let handler = Arc::new(Counting::default());
    let runner = Runner::builder(db.clone())
        .handler("test.count", handler.clone())
        .config(RunnerConfig {
            concurrency: 2,
            poll_interval: Duration::from_millis(20),
            ..RunnerConfig::default()
        })
        .build();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let tasks = runner.spawn(stop_rx);
    enqueue(&db, &ctx, NewJob::new("test.count", json!({}), Utc::now())).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while handler.0.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job was never run"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    }
}

/// Panics on its first run, then asks for an absurd wait.
#[derive(Default)]
struct Wild(Mutex<usize>);

#[async_trait]
impl JobHandler for Wild {
    async fn run(&self, _ctx: &JobContext) -> Result<(), JobError> {
        let mut runs = self.0.lock().unwrap();
        *runs += 1;
        match *runs {
            1 => Err(JobError::Retry {
                message: "provider said: come back in a century".into(),
                after: Some(Duration::from_secs(u64::MAX / 2)),
            }),
            _ => panic!("handler bug"),
        }
    }
}

#[tokio::test]
async fn absurd_waits_are_capped_and_a_panicking_handler_only_fails_its_job() {
    let (_test_db, db) = db().await;
    let ctx = org(&db, "a@a.com.br").await;
    let clock = clock();
    let runner = Runner::builder(db.clone())
        .handler("test.wild", Arc::new(Wild::default()))
        .clock(clock.clone())
        .config(RunnerConfig {
            backoff_cap: Duration::from_secs(600),
            ..RunnerConfig::default()
        })
        .build();
    enqueue(&db, &ctx, NewJob::new("test.wild", json!({}), clock.now())).await;
    assert!(matches!(
        runner.run_one().await.unwrap(),
        Some(JobOutcome::Retrying { .. })
    ));
    let job = &all_jobs(&db, &ctx).await[0];
    assert_eq!(
        job.run_at - clock.now(),
        chrono::Duration::seconds(600),
        "capped at backoff_cap"
    );
    clock.advance(chrono::Duration::seconds(600));
    let outcome = runner.run_one().await.unwrap().unwrap();
    assert!(
        matches!(outcome, JobOutcome::Dead { ref error, .. } if error.contains("handler bug")),
        "{outcome:?}"
    );
    // The runner survived: it keeps taking jobs.
    enqueue(&db, &ctx, NewJob::new("test.wild", json!({}), clock.now())).await;
    assert!(runner.run_one().await.unwrap().is_some());
}
