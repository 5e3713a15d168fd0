//! Cadences and their steps, and what step edits do to running enrollments.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use flux_domain::{cadence::CadenceStatus, enrollment::EnrollmentStatus, Channel};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone)]
pub struct StepRecord {
    pub id: Uuid,
    pub position: i32,
    pub channel: Channel,
    pub template_id: Uuid,
    pub template_name: String,
    pub delay_days: i32,
    pub delay_hours: i32,
    pub ai_personalization: bool,
}

/// Enrollments of a cadence by status.
#[derive(Debug, Clone, Default)]
pub struct EnrollmentCounts {
    pub by_status: HashMap<EnrollmentStatus, i64>,
}

#[derive(Debug, Clone)]
pub struct CadenceRecord {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub status: CadenceStatus,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepRecord>,
    pub enrollments: EnrollmentCounts,
}

#[derive(Debug, Clone, Default)]
pub struct CadenceFilter {
    pub status: Option<CadenceStatus>,
    /// Case- and accent-insensitive substring of the name.
    pub q: Option<String>,
}

struct HeaderRow {
    id: Uuid,
    name: String,
    description: Option<String>,
    status: CadenceStatus,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
}

/// Live (not deleted) cadences, newest first, with steps and enrollment counts.
pub async fn list(
    tx: &mut TenantTx,
    filter: &CadenceFilter,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<CadenceRecord>, i64)> {
    let status = filter.status.map(CadenceStatus::as_str);
    let pattern = filter.q.as_deref().map(crate::like::contains_folded);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM cadences
           WHERE deleted_at IS NULL AND ($1::text IS NULL OR status::text = $1)
             AND ($2::text IS NULL OR fold_accents(name) LIKE $2)"#,
        status,
        pattern
    )
    .fetch_one(tx.conn())
    .await?;
    let headers = sqlx::query_as!(
        HeaderRow,
        r#"SELECT id, name, description, status AS "status: CadenceStatus", created_by, created_at,
                  updated_at, activated_at, archived_at
           FROM cadences
           WHERE deleted_at IS NULL AND ($1::text IS NULL OR status::text = $1)
             AND ($2::text IS NULL OR fold_accents(name) LIKE $2)
           ORDER BY created_at DESC, id
           LIMIT $3 OFFSET $4"#,
        status,
        pattern,
        limit,
        offset
    )
    .fetch_all(tx.conn())
    .await?;
    let items = complete(tx, headers).await?;
    Ok((items, total))
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<CadenceRecord>> {
    let header = sqlx::query_as!(
        HeaderRow,
        r#"SELECT id, name, description, status AS "status: CadenceStatus", created_by, created_at,
                  updated_at, activated_at, archived_at
           FROM cadences WHERE id = $1 AND deleted_at IS NULL"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(header) = header else {
        return Ok(None);
    };
    Ok(complete(tx, vec![header]).await?.pop())
}

/// Adds the steps and the enrollment counts to cadence headers.
async fn complete(tx: &mut TenantTx, headers: Vec<HeaderRow>) -> RepoResult<Vec<CadenceRecord>> {
    let ids: Vec<Uuid> = headers.iter().map(|h| h.id).collect();
    let step_rows = sqlx::query!(
        r#"SELECT s.cadence_id, s.id, s.position AS "position!", s.channel AS "channel: Channel",
                  s.template_id, t.name AS template_name, s.delay_days, s.delay_hours,
                  s.ai_personalization
           FROM cadence_steps s JOIN message_templates t ON t.id = s.template_id
           WHERE s.cadence_id = ANY($1) AND s.removed_at IS NULL
           ORDER BY s.cadence_id, s.position"#,
        &ids
    )
    .fetch_all(tx.conn())
    .await?;
    let count_rows = sqlx::query!(
        r#"SELECT cadence_id, status AS "status: EnrollmentStatus", count(*) AS "n!"
           FROM cadence_enrollments WHERE cadence_id = ANY($1)
           GROUP BY cadence_id, status"#,
        &ids
    )
    .fetch_all(tx.conn())
    .await?;
    let mut steps: HashMap<Uuid, Vec<StepRecord>> = HashMap::new();
    for r in step_rows {
        steps.entry(r.cadence_id).or_default().push(StepRecord {
            id: r.id,
            position: r.position,
            channel: r.channel,
            template_id: r.template_id,
            template_name: r.template_name,
            delay_days: r.delay_days,
            delay_hours: r.delay_hours,
            ai_personalization: r.ai_personalization,
        });
    }
    let mut counts: HashMap<Uuid, EnrollmentCounts> = HashMap::new();
    for r in count_rows {
        counts
            .entry(r.cadence_id)
            .or_default()
            .by_status
            .insert(r.status, r.n);
    }
    headers
        .into_iter()
        .map(|h| {
            Ok(CadenceRecord {
                status: h.status,
                steps: steps.remove(&h.id).unwrap_or_default(),
                enrollments: counts.remove(&h.id).unwrap_or_default(),
                id: h.id,
                name: h.name,
                description: h.description,
                created_by: h.created_by,
                created_at: h.created_at,
                updated_at: h.updated_at,
                activated_at: h.activated_at,
                archived_at: h.archived_at,
            })
        })
        .collect()
}

/// Locks a live cadence for a change and returns its status.
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<CadenceStatus>> {
    let status = sqlx::query_scalar!(
        r#"SELECT status AS "status: CadenceStatus" FROM cadences
           WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(status)
}

pub async fn insert(tx: &mut TenantTx, name: &str, description: Option<&str>) -> RepoResult<Uuid> {
    let org_id = tx.ctx().org_id().uuid();
    let created_by = Some(tx.ctx().user_id().uuid()).filter(|id| !id.is_nil());
    Ok(sqlx::query_scalar!(
        "INSERT INTO cadences (org_id, name, description, created_by) VALUES ($1, $2, $3, $4)
         RETURNING id",
        org_id,
        name,
        description,
        created_by
    )
    .fetch_one(tx.conn())
    .await?)
}

pub async fn update_header(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    description: Option<&str>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE cadences SET name = $2, description = $3 WHERE id = $1",
        id,
        name,
        description
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The channel of each live template among `ids` (others are absent). The rows are
/// share-locked: a template cannot be deleted while a step is being pointed at it.
pub async fn template_channels(
    tx: &mut TenantTx,
    ids: &[Uuid],
) -> RepoResult<HashMap<Uuid, Channel>> {
    let rows = sqlx::query!(
        r#"SELECT id, channel AS "channel: Channel" FROM message_templates
           WHERE id = ANY($1) AND deleted_at IS NULL FOR SHARE"#,
        ids
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.channel)).collect())
}

/// A step's values.
#[derive(Debug, Clone)]
pub struct StepValues {
    pub channel: Channel,
    pub template_id: Uuid,
    pub delay_days: i32,
    pub delay_hours: i32,
    pub ai_personalization: bool,
}

pub async fn insert_step(
    tx: &mut TenantTx,
    cadence_id: Uuid,
    position: i32,
    step: &StepValues,
) -> RepoResult<Uuid> {
    let org_id = tx.ctx().org_id().uuid();
    Ok(sqlx::query_scalar!(
        "INSERT INTO cadence_steps (org_id, cadence_id, position, channel, template_id,
                                    delay_days, delay_hours, ai_personalization)
         VALUES ($1, $2, $3, $4::text::channel_type, $5, $6, $7, $8) RETURNING id",
        org_id,
        cadence_id,
        position,
        step.channel.as_str(),
        step.template_id,
        step.delay_days,
        step.delay_hours,
        step.ai_personalization
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Moves and changes a live step. `true` when its delay changed (the enrollments
/// waiting for it must be rescheduled).
pub async fn update_step(
    tx: &mut TenantTx,
    step_id: Uuid,
    position: i32,
    step: &StepValues,
) -> RepoResult<bool> {
    let delay_changed = sqlx::query_scalar!(
        r#"UPDATE cadence_steps s
           SET position = $2, channel = $3::text::channel_type, template_id = $4,
               delay_days = $5, delay_hours = $6, ai_personalization = $7
           FROM cadence_steps old
           WHERE s.id = $1 AND old.id = s.id AND s.removed_at IS NULL
           RETURNING (old.delay_days, old.delay_hours) IS DISTINCT FROM ($5, $6) AS "changed!""#,
        step_id,
        position,
        step.channel.as_str(),
        step.template_id,
        step.delay_days,
        step.delay_hours,
        step.ai_personalization
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(delay_changed)
}

/// Ids of the live steps of a cadence, in order.
pub async fn live_step_ids(tx: &mut TenantTx, cadence_id: Uuid) -> RepoResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM cadence_steps WHERE cadence_id = $1 AND removed_at IS NULL ORDER BY position",
        cadence_id
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Takes steps out of the cadence (their rows stay for the history).
pub async fn remove_steps(tx: &mut TenantTx, step_ids: &[Uuid]) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE cadence_steps SET position = NULL, removed_at = now()
         WHERE id = ANY($1) AND removed_at IS NULL",
        step_ids
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// After steps were removed: running enrollments that were waiting for one of them
/// (and have not started sending it) move on to their next step, due counted from
/// their last step; those with nothing left complete. Returns how many moved.
pub async fn repoint_enrollments_of_removed_steps(
    tx: &mut TenantTx,
    removed: &[Uuid],
) -> RepoResult<u64> {
    let moved = sqlx::query!(
        "WITH waiting AS MATERIALIZED (
           SELECT e.id, enrollment_next_step(e.id) AS next_id
           FROM cadence_enrollments e
           WHERE e.next_step_id = ANY($1) AND e.status IN ('active', 'paused')
             AND NOT EXISTS (SELECT 1 FROM step_sends ss
                             WHERE ss.enrollment_id = e.id AND ss.step_id = e.next_step_id
                               AND ss.state IN ('dispatching', 'sent', 'needs_review'))
         ), cancelled AS (
           -- Messages of removed steps not handed to a provider never go out.
           UPDATE step_sends SET state = 'cancelled'
           WHERE step_id = ANY($1) AND state IN ('prepared', 'failed')
         )
         UPDATE cadence_enrollments e
         SET next_step_id = w.next_id,
             next_step_due = e.last_step_at + make_interval(days => s.delay_days, hours => s.delay_hours),
             status = CASE WHEN w.next_id IS NULL THEN 'completed'::enrollment_status ELSE e.status END,
             pause_reason = CASE WHEN w.next_id IS NULL THEN NULL ELSE e.pause_reason END,
             finished_at = CASE WHEN w.next_id IS NULL THEN now() ELSE e.finished_at END
         FROM waiting w LEFT JOIN cadence_steps s ON s.id = w.next_id
         WHERE e.id = w.id",
        removed
    )
    .execute(tx.conn())
    .await?;
    Ok(moved.rows_affected())
}

/// After a step's delay changed: the enrollments waiting for it (not yet sending it)
/// are due at their last step plus the new delay.
pub async fn reschedule_waiting_for(tx: &mut TenantTx, step_id: Uuid) -> RepoResult<u64> {
    let done = sqlx::query!(
        "UPDATE cadence_enrollments e
         SET next_step_due = e.last_step_at + make_interval(days => s.delay_days, hours => s.delay_hours)
         FROM cadence_steps s
         WHERE s.id = $1 AND e.next_step_id = s.id AND e.status IN ('active', 'paused')
           AND NOT EXISTS (SELECT 1 FROM step_sends ss
                           WHERE ss.enrollment_id = e.id AND ss.step_id = s.id)",
        step_id
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Sets a cadence's status and what it means for its enrollments: held unless
/// active; archived stops the running ones. Returns how many enrollments stopped.
pub async fn set_status(tx: &mut TenantTx, id: Uuid, status: CadenceStatus) -> RepoResult<u64> {
    sqlx::query!(
        "UPDATE cadences SET status = $2::text::cadence_status,
                activated_at = CASE WHEN $2 = 'active' THEN coalesce(activated_at, now()) ELSE activated_at END,
                archived_at = CASE WHEN $2 = 'archived' THEN now() ELSE archived_at END
         WHERE id = $1",
        id,
        status.as_str()
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE cadence_enrollments SET cadence_held = $2
         WHERE cadence_id = $1 AND status IN ('active', 'paused') AND cadence_held <> $2",
        id,
        status.holds_enrollments()
    )
    .execute(tx.conn())
    .await?;
    if status == CadenceStatus::Archived {
        return stop_running(tx, id, "Cadência arquivada").await;
    }
    Ok(0)
}

/// Stops the running enrollments of a cadence (archived or deleted).
pub async fn stop_running(tx: &mut TenantTx, id: Uuid, detail: &str) -> RepoResult<u64> {
    let done = sqlx::query!(
        "UPDATE cadence_enrollments
         SET status = 'stopped', pause_reason = NULL, status_detail = $2, next_step_due = NULL,
             finished_at = now()
         WHERE cadence_id = $1 AND status IN ('active', 'paused')",
        id,
        detail
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

pub async fn soft_delete(tx: &mut TenantTx, id: Uuid) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE cadences SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
