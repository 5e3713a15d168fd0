//! After a step: the enrollment advances, is rescheduled, stops, or pauses with the
//! reason (and the lead's timeline shows a failed step).

use chrono::{DateTime, Utc};
use flux_domain::{enrollment::PauseReason, send::SendState};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// Points enrollments at their next step (due after its delay from `now`), or
/// completes those with none left. Enrollments stopped meanwhile stay stopped.
pub async fn advance(
    tx: &mut TenantTx,
    enrollment_ids: &[Uuid],
    now: DateTime<Utc>,
) -> RepoResult<()> {
    move_on(tx, enrollment_ids, &vec![None; enrollment_ids.len()], now).await
}

/// [`advance`], where `sent_steps[i]`, when given, is the step just sent to
/// `enrollment_ids[i]`: it becomes the last step, counted, in the same row write.
pub(super) async fn move_on(
    tx: &mut TenantTx,
    enrollment_ids: &[Uuid],
    sent_steps: &[Option<Uuid>],
    now: DateTime<Utc>,
) -> RepoResult<()> {
    if enrollment_ids.is_empty() {
        return Ok(());
    }
    // MATERIALIZED: the next step is computed once per enrollment, not once per
    // reference to it below.
    sqlx::query!(
        "WITH n AS MATERIALIZED (
           SELECT e.id, r.sent_step, nx.id AS next_id
           FROM unnest($1::uuid[], $2::uuid[]) AS r(id, sent_step)
           JOIN cadence_enrollments e ON e.id = r.id
           LEFT JOIN LATERAL enrollment_step_after(e.cadence_id, e.id,
                                                   coalesce(r.sent_step, e.last_step_id)) AS nx(id)
             ON true
         )
         UPDATE cadence_enrollments e
         SET last_step_id = coalesce(n.sent_step, e.last_step_id),
             last_step_at = CASE WHEN n.sent_step IS NULL THEN e.last_step_at ELSE $3 END,
             steps_sent = e.steps_sent + (n.sent_step IS NOT NULL)::int,
             next_step_id = n.next_id,
             next_step_due = CASE
               WHEN e.status NOT IN ('active', 'paused') OR n.next_id IS NULL THEN NULL
               ELSE $3::timestamptz + make_interval(days => s.delay_days, hours => s.delay_hours) END,
             status = CASE WHEN n.next_id IS NULL AND e.status IN ('active', 'paused')
                           THEN 'completed'::enrollment_status ELSE e.status END,
             pause_reason = CASE WHEN n.next_id IS NULL THEN NULL ELSE e.pause_reason END,
             finished_at = CASE WHEN n.next_id IS NULL AND e.status IN ('active', 'paused')
                                THEN $3::timestamptz ELSE e.finished_at END
         FROM n
         LEFT JOIN cadence_steps s ON s.id = n.next_id
         WHERE e.id = n.id AND e.id = ANY($1)",
        enrollment_ids,
        sent_steps as &[Option<Uuid>],
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Moves enrollments' due times (window closed, cap reached, spacing, retry later).
pub async fn reschedule(
    tx: &mut TenantTx,
    enrollment_ids: &[Uuid],
    at: &[DateTime<Utc>],
) -> RepoResult<()> {
    if enrollment_ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE cadence_enrollments e SET next_step_due = r.at
         FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, at)
         WHERE e.id = r.id AND e.status = 'active'",
        enrollment_ids,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Stops an enrollment for good (the lead opted out, was archived or deleted).
pub async fn stop(
    tx: &mut TenantTx,
    enrollment_id: Uuid,
    detail: &str,
    now: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE cadence_enrollments
         SET status = 'stopped', pause_reason = NULL, status_detail = $2, next_step_due = NULL,
             finished_at = $3
         WHERE id = $1 AND status IN ('active', 'paused')",
        enrollment_id,
        detail,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Why a step could not go out: the enrollment pauses with the reason (resume retries;
/// its due time is the failure's, not the claim's lease) and the lead's timeline shows
/// a `failed` interaction.
#[derive(Debug, Clone)]
pub struct StepFailure {
    pub enrollment_id: Uuid,
    pub send_id: Option<Uuid>,
    /// `StepFailed`, or `ReviewRequired` when it may have gone out.
    pub pause_reason: PauseReason,
    pub detail: String,
}

pub async fn pause_failed(
    tx: &mut TenantTx,
    failures: &[StepFailure],
    now: DateTime<Utc>,
) -> RepoResult<()> {
    for f in failures {
        let send_state = if f.pause_reason == PauseReason::ReviewRequired {
            SendState::NeedsReview
        } else {
            SendState::Failed
        };
        if let Some(send_id) = f.send_id {
            sqlx::query!(
                "UPDATE step_sends SET state = $2::text::send_state, last_error = $3,
                        dispatch_lease_until = NULL
                 WHERE id = $1 AND state IN ('prepared', 'dispatching')",
                send_id,
                send_state.as_str(),
                f.detail
            )
            .execute(tx.conn())
            .await?;
        }
        sqlx::query!(
            "WITH paused AS (
               UPDATE cadence_enrollments
               SET status = 'paused', pause_reason = $2, status_detail = $3,
                   next_step_due = $5
               WHERE id = $1 AND status IN ('active', 'paused')
               RETURNING org_id, lead_id, id, cadence_id, next_step_id
             )
             INSERT INTO interactions (org_id, lead_id, enrollment_id, cadence_id, step_id, send_id,
                                       channel, type, summary, occurred_at)
             SELECT p.org_id, p.lead_id, p.id, p.cadence_id, p.next_step_id, $4, s.channel,
                    'failed', $3, $5
             FROM paused p LEFT JOIN cadence_steps s ON s.id = p.next_step_id
             WHERE $2 = 'step_failed'",
            f.enrollment_id,
            f.pause_reason.as_str(),
            f.detail,
            f.send_id,
            now
        )
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// A transient failure: the message did not go out; it goes back to `prepared` and
/// the enrollment is due again at `retry_at`. False, changing nothing, once the
/// message has been tried `max_attempts` times: the caller pauses it instead.
pub async fn retry_later(
    tx: &mut TenantTx,
    send_id: Uuid,
    enrollment_id: Uuid,
    error: &str,
    retry_at: DateTime<Utc>,
    max_attempts: i32,
) -> RepoResult<bool> {
    let retried = sqlx::query!(
        "UPDATE step_sends SET state = 'prepared', last_error = $2, dispatch_lease_until = NULL
         WHERE id = $1 AND state = 'dispatching' AND dispatch_attempts < $3",
        send_id,
        error,
        max_attempts
    )
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    if retried {
        reschedule(tx, &[enrollment_id], &[retry_at]).await?;
    }
    Ok(retried)
}
