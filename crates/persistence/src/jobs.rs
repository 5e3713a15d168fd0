//! Durable job queue on PostgreSQL.
//!
//! Jobs are enqueued inside the caller's tenant transaction (so a job exists if and
//! only if the change that asked for it committed), claimed with `FOR UPDATE SKIP
//! LOCKED` by the system connection of any worker process, and leased: a worker that
//! dies leaves a lease that expires and is requeued. Time is always passed in, so
//! tests control the clock.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

pub use flux_domain::job::JobStatus;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub payload: Value,
    /// At most one queued or running job per (org, kind, key); `None` = no dedup.
    pub unique_key: Option<String>,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
}

impl NewJob {
    pub fn new(kind: &'static str, payload: Value, now: DateTime<Utc>) -> Self {
        Self {
            kind,
            payload,
            unique_key: None,
            max_attempts: 5,
            run_at: now,
        }
    }

    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, max: i32) -> Self {
        self.max_attempts = max;
        self
    }
}

/// A job this worker holds the lease of.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub payload: Value,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    pub unique_key: Option<String>,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Enqueues in the caller's transaction. Returns `None` when a live job with the same
/// unique key already exists (the request is then already being served).
pub async fn enqueue(tx: &mut TenantTx, job: NewJob) -> RepoResult<Option<Uuid>> {
    let org_id = tx.ctx().org_id().uuid();
    let id = sqlx::query_scalar!(
        "INSERT INTO jobs (org_id, kind, payload, unique_key, max_attempts, run_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, kind, unique_key)
           WHERE unique_key IS NOT NULL AND status IN ('queued', 'running')
         DO NOTHING
         RETURNING id",
        org_id,
        job.kind,
        job.payload,
        job.unique_key,
        job.max_attempts,
        job.run_at
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(id)
}

/// Takes the oldest due job of one of `kinds` and leases it until `now + lease`.
pub async fn claim(
    pool: &PgPool,
    worker: &str,
    kinds: &[String],
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> RepoResult<Option<ClaimedJob>> {
    let locked_until = now + lease;
    Ok(sqlx::query_as!(
        ClaimedJob,
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1,
                locked_until = $2, started_at = coalesce(started_at, $3)
         WHERE id = (SELECT id FROM jobs
                     WHERE status = 'queued' AND run_at <= $3 AND kind = ANY($4)
                     ORDER BY run_at, created_at
                     LIMIT 1
                     FOR UPDATE SKIP LOCKED)
         RETURNING id, org_id, kind, payload, attempts, max_attempts, created_at",
        worker,
        locked_until,
        now,
        kinds
    )
    .fetch_optional(pool)
    .await?)
}

/// One claim of a job: the worker that took it and the attempt it started. A job whose
/// lease expired can be claimed again, even by another loop of the same worker; only
/// the current claim may renew, finish, fail or defer it.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub id: Uuid,
    pub worker: &'a str,
    pub attempt: i32,
}

/// Pushes the lease of a running job to `until`, for a long job that is still making
/// progress. `false` when `claim` no longer holds it (it expired and was taken over):
/// that run must stop, since another now owns the job.
pub async fn extend_lease(
    pool: &PgPool,
    claim: Claim<'_>,
    until: DateTime<Utc>,
) -> RepoResult<bool> {
    let extended = sqlx::query!(
        "UPDATE jobs SET locked_until = $4
         WHERE id = $1 AND status = 'running' AND locked_by = $2 AND attempts = $3",
        claim.id,
        claim.worker,
        claim.attempt,
        until
    )
    .execute(pool)
    .await?;
    Ok(extended.rows_affected() == 1)
}

/// Marks a job done. Only the current claim may, so a job whose lease expired and was
/// taken over is not finished twice.
pub async fn complete(pool: &PgPool, claim: Claim<'_>, now: DateTime<Utc>) -> RepoResult<bool> {
    let done = sqlx::query!(
        "UPDATE jobs SET status = 'succeeded', finished_at = $4, locked_by = NULL,
                locked_until = NULL, last_error = NULL
         WHERE id = $1 AND status = 'running' AND locked_by = $2 AND attempts = $3",
        claim.id,
        claim.worker,
        claim.attempt,
        now
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: back to the queue at `retry_at`, or `dead` when `None`.
pub async fn fail(
    pool: &PgPool,
    claim: Claim<'_>,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> RepoResult<bool> {
    let done = sqlx::query!(
        "UPDATE jobs
         SET status = CASE WHEN $5::timestamptz IS NULL THEN 'dead'::job_status ELSE 'queued' END,
             run_at = coalesce($5, run_at), last_error = $4, locked_by = NULL, locked_until = NULL,
             finished_at = CASE WHEN $5::timestamptz IS NULL THEN $6::timestamptz END
         WHERE id = $1 AND status = 'running' AND locked_by = $2 AND attempts = $3",
        claim.id,
        claim.worker,
        claim.attempt,
        error,
        retry_at,
        now
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a job back in the queue for `run_at` without counting the attempt it just had.
pub async fn defer(pool: &PgPool, claim: Claim<'_>, run_at: DateTime<Utc>) -> RepoResult<bool> {
    let done = sqlx::query!(
        "UPDATE jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), run_at = $4,
                locked_by = NULL, locked_until = NULL
         WHERE id = $1 AND status = 'running' AND locked_by = $2 AND attempts = $3",
        claim.id,
        claim.worker,
        claim.attempt,
        run_at
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What [`reclaim_expired`] did.
#[derive(Debug, Clone, Default)]
pub struct Reclaimed {
    /// Jobs taken back from vanished workers (requeued or dead).
    pub count: u64,
    /// Those out of attempts, now dead: their handlers' `on_dead` hooks still owe them
    /// a final state.
    pub dead: Vec<ClaimedJob>,
}

/// Requeues jobs whose worker vanished (lease expired); those out of attempts die.
pub async fn reclaim_expired(pool: &PgPool, now: DateTime<Utc>) -> RepoResult<Reclaimed> {
    let rows = sqlx::query!(
        r#"UPDATE jobs
           SET status = CASE WHEN attempts >= max_attempts THEN 'dead'::job_status ELSE 'queued' END,
               finished_at = CASE WHEN attempts >= max_attempts THEN $1::timestamptz END,
               last_error = coalesce(last_error, 'worker lease expired'),
               locked_by = NULL, locked_until = NULL, run_at = $1
           WHERE status = 'running' AND locked_until < $1
           RETURNING id, org_id, kind, payload, attempts, max_attempts, created_at,
                     status = 'dead' AS "dead!""#,
        now
    )
    .fetch_all(pool)
    .await?;
    Ok(Reclaimed {
        count: rows.len() as u64,
        dead: rows
            .into_iter()
            .filter(|r| r.dead)
            .map(|r| ClaimedJob {
                id: r.id,
                org_id: r.org_id,
                kind: r.kind,
                payload: r.payload,
                attempts: r.attempts,
                max_attempts: r.max_attempts,
                created_at: r.created_at,
            })
            .collect(),
    })
}

/// The organization's jobs, newest first (operations visibility and tests).
pub async fn list(tx: &mut TenantTx, kind: Option<&str>, limit: i64) -> RepoResult<Vec<JobRecord>> {
    Ok(sqlx::query_as!(
        JobRecord,
        r#"SELECT id, kind, payload, unique_key, status AS "status: JobStatus", attempts, max_attempts,
                  run_at, last_error, finished_at
           FROM jobs WHERE ($1::text IS NULL OR kind = $1)
           ORDER BY created_at DESC, id LIMIT $2"#,
        kind,
        limit
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Deletes finished jobs older than `before` (housekeeping); dead jobs are kept
/// longer by the caller passing an older cut-off.
pub async fn purge_finished(
    pool: &PgPool,
    succeeded_before: DateTime<Utc>,
    dead_before: DateTime<Utc>,
) -> RepoResult<u64> {
    let done = sqlx::query!(
        "DELETE FROM jobs
         WHERE (status IN ('succeeded', 'cancelled') AND finished_at < $1)
            OR (status = 'dead' AND finished_at < $2)",
        succeeded_before,
        dead_before
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Job kinds shared by the code that enqueues them and the handlers that run them.
pub mod kinds {
    /// Payload `{"import_id": uuid}`: validates and inserts an uploaded CSV.
    pub const IMPORT_LEADS: &str = "leads.import";
    /// Payload `{"lead_id": uuid}`: fetches company data from the providers.
    pub const ENRICH_LEAD: &str = "leads.enrich";
    /// Payload `{"import_id": uuid}`: queues `leads.enrich` for every pending lead an
    /// import created, in one statement, once the import has finished.
    pub const ENRICH_IMPORT: &str = "leads.enrich_import";
    /// Payload `{"send_id": uuid}`: delivers a one-off e-mail through its author's
    /// mailbox.
    pub const SEND_ONE_OFF_EMAIL: &str = "emails.send_one_off";
}
