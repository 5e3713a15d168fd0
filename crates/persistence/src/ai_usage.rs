//! The daily AI limit and the log of generations.
//!
//! A generation first **reserves** a slot: under the lock of the organization's row
//! for the day it checks `succeeded + pending < limit` and logs itself as `pending`.
//! Parallel requests queue on that lock, so together they can never overshoot.
//! Only a success adds to `generation_count`; a failure frees its slot. A pending row
//! older than the reservation window (a crashed process, a stopped deploy) is marked
//! `failed` (`abandoned`) by the next reservation and frees its slot; callers bound
//! their provider call well inside that window, so no late success is ever counted.

use chrono::{DateTime, NaiveDate, Utc};
use flux_domain::{
    ai_message::{AiOutcome, AiSource, AiTone},
    Channel,
};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// Today's standing, in the organization's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub usage_date: NaiveDate,
    /// Successful generations today.
    pub used: i32,
    /// Generations being written now (each holds a slot).
    pub in_progress: i32,
    /// The plan's daily limit; -1 = unlimited.
    pub limit: i32,
    pub plan_slug: String,
    pub plan_name: String,
    /// The organization's IANA time zone: the day ends at its midnight.
    pub timezone: String,
}

impl Quota {
    pub fn unlimited(&self) -> bool {
        self.limit < 0
    }

    /// Slots left, counting those in progress; `None` when unlimited.
    pub fn remaining(&self) -> Option<i32> {
        (!self.unlimited()).then(|| (self.limit - self.used - self.in_progress).max(0))
    }
}

/// Who asks for a generation, and for what.
#[derive(Debug, Clone)]
pub struct NewGeneration<'a> {
    pub user_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub enrollment_id: Option<Uuid>,
    /// `on_demand` or `cadence`.
    pub source: &'a str,
    /// `email` or `whatsapp`.
    pub channel: &'a str,
    pub tone: Option<&'a str>,
    pub provider: &'a str,
    pub model: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// A slot is held by the pending generation `id`.
    Held { id: Uuid, quota: Quota },
    /// The limit is reached; the refusal is logged.
    Refused { quota: Quota },
}

struct PlanDay {
    usage_date: NaiveDate,
    limit: i32,
    plan_slug: String,
    plan_name: String,
    timezone: String,
}

/// The organization's day at `now` and its plan's limit. No subscription reads as a
/// limit of 0: AI is a plan feature.
async fn plan_day(tx: &mut TenantTx, now: DateTime<Utc>) -> RepoResult<PlanDay> {
    let org_id = tx.ctx().org_id().uuid();
    Ok(sqlx::query_as!(
        PlanDay,
        r#"SELECT ($2::timestamptz AT TIME ZONE o.timezone)::date AS "usage_date!",
                  coalesce(p.max_ai_per_day, 0) AS "limit!",
                  coalesce(p.slug, '') AS "plan_slug!",
                  coalesce(p.name, '') AS "plan_name!",
                  o.timezone
           FROM organizations o
           LEFT JOIN subscriptions s ON s.org_id = o.id
           LEFT JOIN plans p ON p.id = s.plan_id
           WHERE o.id = $1"#,
        org_id,
        now
    )
    .fetch_one(tx.conn())
    .await?)
}

async fn pending_count(
    tx: &mut TenantTx,
    day: NaiveDate,
    held_since: DateTime<Utc>,
) -> RepoResult<i32> {
    let org_id = tx.ctx().org_id().uuid();
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM ai_generations
           WHERE org_id = $1 AND usage_date = $2 AND outcome = 'pending' AND created_at > $3"#,
        org_id,
        day,
        held_since
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(i32::try_from(n).unwrap_or(i32::MAX))
}

/// Today's standing without holding anything (`GET /ai/usage`).
pub async fn today(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    held_for: chrono::Duration,
) -> RepoResult<Quota> {
    let org_id = tx.ctx().org_id().uuid();
    let day = plan_day(tx, now).await?;
    let used = sqlx::query_scalar!(
        "SELECT generation_count FROM ai_usage WHERE org_id = $1 AND usage_date = $2",
        org_id,
        day.usage_date
    )
    .fetch_optional(tx.conn())
    .await?
    .unwrap_or(0);
    let in_progress = pending_count(tx, day.usage_date, now - held_for).await?;
    Ok(quota(day, used, in_progress))
}

fn quota(day: PlanDay, used: i32, in_progress: i32) -> Quota {
    Quota {
        usage_date: day.usage_date,
        used,
        in_progress,
        limit: day.limit,
        plan_slug: day.plan_slug,
        plan_name: day.plan_name,
        timezone: day.timezone,
    }
}

/// Holds a slot for one generation, or logs the refusal. Commit right after: the
/// day's row stays locked until then. A pending row stops holding its slot after
/// `held_for` (longer than any provider call can take).
pub async fn reserve(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    held_for: chrono::Duration,
    new: &NewGeneration<'_>,
) -> RepoResult<Reservation> {
    let org_id = tx.ctx().org_id().uuid();
    let day = plan_day(tx, now).await?;
    // The upsert locks the day's row: reservations of one organization queue here.
    let used = sqlx::query_scalar!(
        "INSERT INTO ai_usage (org_id, usage_date, daily_limit) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, usage_date)
           DO UPDATE SET daily_limit = EXCLUDED.daily_limit, updated_at = now()
         RETURNING generation_count",
        org_id,
        day.usage_date,
        day.limit
    )
    .fetch_one(tx.conn())
    .await?;
    abandon_stale(tx, now - held_for, now).await?;
    let in_progress = pending_count(tx, day.usage_date, now - held_for).await?;
    let refused = day.limit >= 0 && used + in_progress >= day.limit;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO ai_generations
             (org_id, user_id, lead_id, enrollment_id, source, channel, tone, provider, model,
              usage_date, outcome, created_at, finished_at)
           VALUES ($1, $2, $3, $4, $5::text::ai_source, $6::text::channel_type, $7, $8, $9, $10,
                   CASE WHEN $11 THEN 'limit_exceeded' ELSE 'pending' END::ai_outcome,
                   $12::timestamptz, CASE WHEN $11 THEN $12::timestamptz END)
           RETURNING id"#,
        org_id,
        new.user_id,
        new.lead_id,
        new.enrollment_id,
        new.source,
        new.channel,
        new.tone,
        new.provider,
        new.model,
        day.usage_date,
        refused,
        now
    )
    .fetch_one(tx.conn())
    .await?;
    if refused {
        return Ok(Reservation::Refused {
            quota: quota(day, used, in_progress),
        });
    }
    Ok(Reservation::Held {
        id,
        quota: quota(day, used, in_progress + 1),
    })
}

/// Pending generations started before `before` will never finish: failed, slot freed.
async fn abandon_stale(
    tx: &mut TenantTx,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> RepoResult<()> {
    let org_id = tx.ctx().org_id().uuid();
    sqlx::query!(
        "UPDATE ai_generations
         SET outcome = 'failed', error_code = 'abandoned',
             error_message = 'a geração foi interrompida antes de terminar', finished_at = $3
         WHERE org_id = $1 AND outcome = 'pending' AND created_at <= $2",
        org_id,
        before,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What a finished generation cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spent<'a> {
    pub model: &'a str,
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub latency_ms: u32,
}

/// Counts a pending generation as successful; returns the day's new count, or `None`
/// if the generation was not pending (already finished).
pub async fn succeed(
    tx: &mut TenantTx,
    id: Uuid,
    spent: &Spent<'_>,
    now: DateTime<Utc>,
) -> RepoResult<Option<i32>> {
    Ok(sqlx::query_scalar!(
        r#"WITH done AS (
             UPDATE ai_generations
             SET outcome = 'succeeded', model = $2, input_tokens = $3, output_tokens = $4,
                 latency_ms = $5, finished_at = $6
             WHERE id = $1 AND outcome = 'pending'
             RETURNING org_id, usage_date)
           UPDATE ai_usage u
           SET generation_count = u.generation_count + 1, updated_at = now()
           FROM done
           WHERE u.org_id = done.org_id AND u.usage_date = done.usage_date
           RETURNING u.generation_count"#,
        id,
        spent.model,
        i32::try_from(spent.input_tokens).unwrap_or(i32::MAX),
        i32::try_from(spent.output_tokens).unwrap_or(i32::MAX),
        i32::try_from(spent.latency_ms).unwrap_or(i32::MAX),
        now
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Frees a pending generation's slot and records why it failed. `message` is shown
/// to managers: it must not carry lead data.
pub async fn fail(
    tx: &mut TenantTx,
    id: Uuid,
    code: &str,
    message: &str,
    latency_ms: u32,
    now: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE ai_generations
         SET outcome = 'failed', error_code = $2, error_message = $3, latency_ms = $4,
             finished_at = $5
         WHERE id = $1 AND outcome = 'pending'",
        id,
        code,
        message,
        i32::try_from(latency_ms).unwrap_or(i32::MAX),
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One line of the usage list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationRecord {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub user_name: Option<String>,
    pub lead_id: Option<Uuid>,
    pub lead_name: Option<String>,
    pub enrollment_id: Option<Uuid>,
    pub source: AiSource,
    pub channel: Channel,
    pub tone: Option<AiTone>,
    pub provider: String,
    pub model: String,
    pub outcome: AiOutcome,
    pub input_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    pub latency_ms: Option<i32>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// Totals of the listed generations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerationTotals {
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub limit_exceeded: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

#[derive(Debug, Clone, Default)]
pub struct GenerationFilter {
    /// Only this member's generations.
    pub user_id: Option<Uuid>,
    /// Days in the organization's calendar, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Newest first.
pub async fn list(
    tx: &mut TenantTx,
    filter: &GenerationFilter,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<GenerationRecord>, GenerationTotals)> {
    let org_id = tx.ctx().org_id().uuid();
    let rows = sqlx::query_as!(
        GenerationRecord,
        r#"SELECT g.id, g.created_at, g.user_id, u.name AS "user_name?", g.lead_id,
                  coalesce(l.nome_fantasia, l.razao_social) AS lead_name, g.enrollment_id,
                  g.source AS "source: AiSource", g.channel AS "channel: Channel", g.tone AS "tone: AiTone",
                  g.provider, g.model, g.outcome AS "outcome: AiOutcome", g.input_tokens,
                  g.output_tokens, g.latency_ms, g.error_code, g.error_message
           FROM ai_generations g
           LEFT JOIN users u ON u.id = g.user_id
           LEFT JOIN leads l ON l.org_id = g.org_id AND l.id = g.lead_id AND l.deleted_at IS NULL
           WHERE g.org_id = $6
             AND ($1::uuid IS NULL OR g.user_id = $1)
             AND ($2::date IS NULL OR g.usage_date >= $2)
             AND ($3::date IS NULL OR g.usage_date <= $3)
           ORDER BY g.created_at DESC, g.id DESC
           LIMIT $4 OFFSET $5"#,
        filter.user_id,
        filter.from,
        filter.to,
        limit,
        offset,
        org_id
    )
    .fetch_all(tx.conn())
    .await?;
    let totals = sqlx::query_as!(
        GenerationTotals,
        r#"SELECT count(*) AS "total!",
                  count(*) FILTER (WHERE outcome = 'succeeded') AS "succeeded!",
                  count(*) FILTER (WHERE outcome = 'failed') AS "failed!",
                  count(*) FILTER (WHERE outcome = 'limit_exceeded') AS "limit_exceeded!",
                  coalesce(sum(input_tokens), 0)::bigint AS "input_tokens!",
                  coalesce(sum(output_tokens), 0)::bigint AS "output_tokens!"
           FROM ai_generations
           WHERE org_id = $4
             AND ($1::uuid IS NULL OR user_id = $1)
             AND ($2::date IS NULL OR usage_date >= $2)
             AND ($3::date IS NULL OR usage_date <= $3)"#,
        filter.user_id,
        filter.from,
        filter.to,
        org_id
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((rows, totals))
}

/// Forgets the AI usage counters and log older than `before` (housekeeping, all
/// organizations: AI usage is kept 90 days, see docs/operations.md). Returns the rows removed.
pub async fn purge(pool: &sqlx::PgPool, before: DateTime<Utc>) -> RepoResult<u64> {
    let generations = sqlx::query!("DELETE FROM ai_generations WHERE created_at < $1", before)
        .execute(pool)
        .await?
        .rows_affected();
    let days = sqlx::query!(
        "DELETE FROM ai_usage WHERE usage_date < ($1::timestamptz AT TIME ZONE 'UTC')::date",
        before
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(generations + days)
}
