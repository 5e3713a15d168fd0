//! Enrollments of leads in cadences: enrolling in bulk, listing, pausing, resuming
//! and unenrolling.

use chrono::{DateTime, Utc};
use flux_domain::{
    enrollment::{EnrollmentStatus, PauseReason},
    interaction::InteractionType,
    Channel,
};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// The engine's wake-up channel: sent when an enrollment may be due now.
pub const ENGINE_CHANNEL: &str = "flux_engine";

/// What decides whether a lead may be enrolled, as stored.
#[derive(Debug, Clone)]
pub struct LeadEligibilityRow {
    pub id: Uuid,
    pub do_not_contact: bool,
    pub archived: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub already_enrolled: bool,
}

/// The live leads among `lead_ids`, share-locked so that an opt-out or an archive
/// cannot slip in between the check and the enrollment.
pub async fn eligibility(
    tx: &mut TenantTx,
    cadence_id: Uuid,
    lead_ids: &[Uuid],
) -> RepoResult<Vec<LeadEligibilityRow>> {
    Ok(sqlx::query_as!(
        LeadEligibilityRow,
        r#"SELECT l.id, l.do_not_contact, l.archived_at IS NOT NULL AS "archived!",
                  l.email, l.telefone AS phone,
                  EXISTS (SELECT 1 FROM cadence_enrollments e
                          WHERE e.cadence_id = $1 AND e.lead_id = l.id
                            AND e.status IN ('active', 'paused')) AS "already_enrolled!"
           FROM leads l
           WHERE l.id = ANY($2) AND l.deleted_at IS NULL
           ORDER BY l.id
           FOR SHARE OF l"#,
        cadence_id,
        lead_ids
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The first live step of a cadence.
#[derive(Debug, Clone)]
pub struct FirstStep {
    pub id: Uuid,
    pub channel: Channel,
    pub delay_days: i32,
    pub delay_hours: i32,
}

pub async fn first_step(tx: &mut TenantTx, cadence_id: Uuid) -> RepoResult<Option<FirstStep>> {
    Ok(sqlx::query_as!(
        FirstStep,
        r#"SELECT id, channel AS "channel: Channel", delay_days, delay_hours FROM cadence_steps
           WHERE cadence_id = $1 AND removed_at IS NULL ORDER BY position LIMIT 1"#,
        cadence_id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// New enrollments, all starting at `first`: due after its delay. A lead that got a
/// running enrollment in this cadence concurrently is skipped. Returns
/// `(lead_id, enrollment_id)` of those enrolled.
pub async fn insert_many(
    tx: &mut TenantTx,
    cadence_id: Uuid,
    lead_ids: &[Uuid],
    sender_id: Uuid,
    first: &FirstStep,
    held: bool,
) -> RepoResult<Vec<(Uuid, Uuid)>> {
    let org_id = tx.ctx().org_id().uuid();
    let enrolled_by = Some(tx.ctx().user_id().uuid()).filter(|id| !id.is_nil());
    let rows = sqlx::query!(
        "INSERT INTO cadence_enrollments
           (org_id, cadence_id, lead_id, sender_id, next_step_id, next_step_due, cadence_held,
            enrolled_by)
         SELECT $1, $2, lead_id, $4, $5,
                now() + make_interval(days => $6, hours => $7), $8, $9
         FROM unnest($3::uuid[]) AS lead_id
         ON CONFLICT (cadence_id, lead_id) WHERE status IN ('active', 'paused') DO NOTHING
         RETURNING lead_id, id",
        org_id,
        cadence_id,
        lead_ids,
        sender_id,
        first.id,
        first.delay_days,
        first.delay_hours,
        held,
        enrolled_by
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.lead_id, r.id)).collect())
}

/// Wakes the engine when the transaction commits.
pub async fn notify_engine(tx: &mut TenantTx) -> RepoResult<()> {
    sqlx::query!("SELECT pg_notify($1, '')", ENGINE_CHANNEL)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct EnrollmentRecord {
    pub id: Uuid,
    pub cadence_id: Uuid,
    pub cadence_name: String,
    pub lead_id: Uuid,
    pub lead_name: String,
    pub lead_cnpj: String,
    pub sender_id: Uuid,
    pub sender_name: String,
    pub status: EnrollmentStatus,
    pub pause_reason: Option<PauseReason>,
    pub status_detail: Option<String>,
    pub cadence_held: bool,
    pub next_step_id: Option<Uuid>,
    pub next_step_position: Option<i32>,
    pub next_step_due: Option<DateTime<Utc>>,
    pub steps_sent: i32,
    pub steps_total: i64,
    pub last_step_at: DateTime<Utc>,
    pub enrolled_by: Option<Uuid>,
    pub enrolled_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Which enrollments to list.
#[derive(Debug, Clone, Default)]
pub struct EnrollmentFilter {
    pub id: Option<Uuid>,
    pub cadence_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub status: Option<EnrollmentStatus>,
}

/// Enrollments (of live cadences) matching `filter`, most recent first, and how many
/// match.
pub async fn list(
    tx: &mut TenantTx,
    filter: &EnrollmentFilter,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<EnrollmentRecord>, i64)> {
    let status = filter.status.map(EnrollmentStatus::as_str);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM cadence_enrollments e
           JOIN cadences c ON c.id = e.cadence_id
           WHERE ($1::uuid IS NULL OR e.cadence_id = $1) AND ($2::uuid IS NULL OR e.lead_id = $2)
             AND ($3::text IS NULL OR e.status::text = $3) AND ($4::uuid IS NULL OR e.id = $4)
             AND c.deleted_at IS NULL"#,
        filter.cadence_id,
        filter.lead_id,
        status,
        filter.id
    )
    .fetch_one(tx.conn())
    .await?;
    let items = sqlx::query_as!(
        EnrollmentRecord,
        r#"SELECT e.id, e.cadence_id, c.name AS cadence_name, e.lead_id,
                  coalesce(l.nome_fantasia, l.razao_social, l.cnpj) AS "lead_name!",
                  l.cnpj AS lead_cnpj, e.sender_id, u.name AS sender_name,
                  e.status AS "status: EnrollmentStatus", e.pause_reason AS "pause_reason: PauseReason", e.status_detail, e.cadence_held,
                  e.next_step_id, s.position AS next_step_position, e.next_step_due,
                  e.steps_sent,
                  (SELECT count(*) FROM cadence_steps cs
                   WHERE cs.cadence_id = e.cadence_id AND cs.removed_at IS NULL) AS "steps_total!",
                  e.last_step_at, e.enrolled_by, e.enrolled_at, e.finished_at
           FROM cadence_enrollments e
           JOIN cadences c ON c.id = e.cadence_id
           JOIN leads l ON l.id = e.lead_id
           JOIN users u ON u.id = e.sender_id
           LEFT JOIN cadence_steps s ON s.id = e.next_step_id
           WHERE ($1::uuid IS NULL OR e.cadence_id = $1) AND ($2::uuid IS NULL OR e.lead_id = $2)
             AND ($3::text IS NULL OR e.status::text = $3) AND ($4::uuid IS NULL OR e.id = $4)
             AND c.deleted_at IS NULL
           ORDER BY e.enrolled_at DESC, e.id
           LIMIT $5 OFFSET $6"#,
        filter.cadence_id,
        filter.lead_id,
        status,
        filter.id,
        limit,
        offset
    )
    .fetch_all(tx.conn())
    .await?;
    Ok((items, total))
}

/// One enrollment of a (live) cadence.
pub async fn get(
    tx: &mut TenantTx,
    cadence_id: Uuid,
    id: Uuid,
) -> RepoResult<Option<EnrollmentRecord>> {
    let filter = EnrollmentFilter {
        id: Some(id),
        cadence_id: Some(cadence_id),
        ..EnrollmentFilter::default()
    };
    Ok(list(tx, &filter, 1, 0).await?.0.pop())
}

/// Locks an enrollment of a (live) cadence for a change; its status and pause reason.
pub async fn lock(
    tx: &mut TenantTx,
    cadence_id: Uuid,
    id: Uuid,
) -> RepoResult<Option<(EnrollmentStatus, Option<PauseReason>)>> {
    let row = sqlx::query!(
        r#"SELECT e.status AS "status: EnrollmentStatus", e.pause_reason AS "pause_reason: PauseReason"
           FROM cadence_enrollments e JOIN cadences c ON c.id = e.cadence_id
           WHERE e.id = $1 AND e.cadence_id = $2 AND c.deleted_at IS NULL
           FOR UPDATE OF e"#,
        id,
        cadence_id
    )
    .fetch_optional(tx.conn())
    .await?;
    row.map(|r| Ok((r.status, r.pause_reason))).transpose()
}

pub async fn pause(tx: &mut TenantTx, id: Uuid) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE cadence_enrollments
         SET status = 'paused', pause_reason = 'manual', status_detail = NULL
         WHERE id = $1 AND status = 'active'",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Back to active. A step that came due while paused goes out in the next open slot;
/// a step that failed is tried again.
pub async fn resume(tx: &mut TenantTx, id: Uuid) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE cadence_enrollments
         SET status = 'active', pause_reason = NULL, status_detail = NULL,
             next_step_due = greatest(next_step_due, now())
         WHERE id = $1 AND status = 'paused'",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Takes the lead out of the cadence; its history stays.
pub async fn unenroll(tx: &mut TenantTx, id: Uuid, detail: &str) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE cadence_enrollments
         SET status = 'stopped', pause_reason = NULL, status_detail = $2, next_step_due = NULL,
             finished_at = now()
         WHERE id = $1 AND status IN ('active', 'paused')",
        id,
        detail
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The live steps of a cadence and how many interactions of each type each has.
#[derive(Debug, Clone)]
pub struct FunnelRow {
    pub step_id: Uuid,
    pub position: i32,
    pub channel: Channel,
    pub template_name: String,
    /// `None` for a step with no interaction yet.
    pub kind: Option<InteractionType>,
    pub count: i64,
}

/// Per live step, how many leads had each interaction type (each lead counted once
/// per step and type: two opens of one message are one opened lead).
pub async fn funnel(tx: &mut TenantTx, cadence_id: Uuid) -> RepoResult<Vec<FunnelRow>> {
    Ok(sqlx::query_as!(
        FunnelRow,
        r#"SELECT s.id AS step_id, s.position AS "position!", s.channel AS "channel: Channel",
                  t.name AS template_name, i.type AS "kind?: InteractionType",
                  count(DISTINCT i.lead_id) AS "count!"
           FROM cadence_steps s
           JOIN message_templates t ON t.id = s.template_id
           LEFT JOIN interactions i ON i.cadence_id = s.cadence_id AND i.step_id = s.id
           WHERE s.cadence_id = $1 AND s.removed_at IS NULL
           GROUP BY s.id, s.position, s.channel, t.name, i.type
           ORDER BY s.position"#,
        cadence_id
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The send of an enrollment's current step that awaits review, if any.
pub async fn send_in_review(tx: &mut TenantTx, enrollment_id: Uuid) -> RepoResult<Option<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT ss.id FROM step_sends ss JOIN cadence_enrollments e ON e.id = ss.enrollment_id
         WHERE ss.enrollment_id = $1 AND ss.step_id = e.next_step_id AND ss.state = 'needs_review'
         FOR UPDATE OF ss",
        enrollment_id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// A person resolved a send in review: `sent` makes it `dispatching` for the caller
/// to record as sent; otherwise it goes back to `prepared` to be sent again.
pub async fn resolve_review(tx: &mut TenantTx, send_id: Uuid, was_sent: bool) -> RepoResult<()> {
    let resolved_by = Some(tx.ctx().user_id().uuid()).filter(|id| !id.is_nil());
    sqlx::query!(
        "UPDATE step_sends
         SET resolved_by = $2,
             state = CASE WHEN $3 THEN 'dispatching'::send_state ELSE 'prepared'::send_state END,
             last_error = CASE WHEN $3 THEN last_error ELSE NULL END
         WHERE id = $1 AND state = 'needs_review'",
        send_id,
        resolved_by,
        was_sent
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
