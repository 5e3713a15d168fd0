//! The outbox (`step_sends`): a message is written as prepared before it is sent,
//! marked dispatching while it goes out, and recorded as sent (first row wins).

use chrono::{DateTime, Utc};
use flux_domain::Channel;
use uuid::Uuid;

use super::progress::move_on;
use crate::{error::RepoResult, TenantTx};

/// A message ready to be committed to the outbox as `prepared`.
#[derive(Debug, Clone)]
pub struct NewSend {
    pub id: Uuid,
    pub enrollment_id: Uuid,
    pub step_id: Uuid,
    pub cadence_id: Uuid,
    pub lead_id: Uuid,
    pub sender_id: Uuid,
    pub channel: Channel,
    pub message_id: String,
    pub to_address: String,
    pub subject: Option<String>,
    pub body: String,
    pub template_id: Option<Uuid>,
    pub ai_generated: bool,
}

/// Commits the messages as `prepared`; returns the ids of those written. A row the
/// enrollment already has for the step (another engine's) is kept and its id is not
/// returned.
pub async fn insert_prepared(tx: &mut TenantTx, sends: &[NewSend]) -> RepoResult<Vec<Uuid>> {
    if sends.is_empty() {
        return Ok(Vec::new());
    }
    let org_id = tx.ctx().org_id().uuid();
    let col = |f: fn(&NewSend) -> Uuid| sends.iter().map(f).collect::<Vec<_>>();
    let text = |f: fn(&NewSend) -> String| sends.iter().map(f).collect::<Vec<_>>();
    let subjects: Vec<Option<String>> = sends.iter().map(|s| s.subject.clone()).collect();
    let templates: Vec<Option<Uuid>> = sends.iter().map(|s| s.template_id).collect();
    let ai: Vec<bool> = sends.iter().map(|s| s.ai_generated).collect();
    Ok(sqlx::query_scalar!(
        "INSERT INTO step_sends (id, org_id, enrollment_id, step_id, cadence_id, lead_id, sender_id,
                                 channel, message_id, to_address, subject, body, template_id,
                                 ai_generated)
         SELECT id, $1, enrollment_id, step_id, cadence_id, lead_id, sender_id,
                channel::channel_type, message_id, to_address, subject, body, template_id, ai
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[],
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::uuid[],
                     $14::bool[])
           AS t(id, enrollment_id, step_id, cadence_id, lead_id, sender_id, channel, message_id,
                to_address, subject, body, template_id, ai)
         ON CONFLICT ON CONSTRAINT uq_sends_enrollment_step DO NOTHING
         RETURNING id",
        org_id,
        &col(|s| s.id),
        &col(|s| s.enrollment_id),
        &col(|s| s.step_id),
        &col(|s| s.cadence_id),
        &col(|s| s.lead_id),
        &col(|s| s.sender_id),
        &text(|s| s.channel.as_str().to_owned()),
        &text(|s| s.message_id.clone()),
        &text(|s| s.to_address.clone()),
        &subjects as &[Option<String>],
        &text(|s| s.body.clone()),
        &templates as &[Option<Uuid>],
        &ai
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A failed step tried again: the row goes back to `prepared` with a fresh render.
/// False when the row is no longer `failed` (another engine took it up).
pub async fn reprepare(tx: &mut TenantTx, send_id: Uuid, send: &NewSend) -> RepoResult<bool> {
    let updated = sqlx::query!(
        "UPDATE step_sends SET state = 'prepared', to_address = $2, subject = $3, body = $4,
                ai_generated = $5, channel = $6::text::channel_type, last_error = NULL,
                dispatch_lease_until = NULL, dispatch_attempts = 0
         WHERE id = $1 AND state = 'failed'",
        send_id,
        send.to_address,
        send.subject,
        send.body,
        send.ai_generated,
        send.channel.as_str()
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// The provider call may happen from now on: `dispatching`, owned until
/// `lease_until`. Only rows still `prepared` (or `dispatching` with a lapsed lease)
/// whose enrollment is active and whose lead may still be contacted are taken; the
/// ids taken are the only ones the caller may send.
pub async fn mark_dispatching(
    tx: &mut TenantTx,
    send_ids: &[Uuid],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> RepoResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "UPDATE step_sends ss
         SET state = 'dispatching', dispatch_attempts = ss.dispatch_attempts + 1,
             dispatched_at = $2, dispatch_lease_until = $3
         FROM cadence_enrollments e, leads l
         WHERE ss.id = ANY($1) AND e.id = ss.enrollment_id AND l.id = ss.lead_id
           AND (ss.state = 'prepared'
                OR (ss.state = 'dispatching' AND coalesce(ss.dispatch_lease_until, $2) <= $2))
           AND e.status = 'active' AND NOT e.cadence_held AND e.next_step_id = ss.step_id
           AND l.deleted_at IS NULL AND l.archived_at IS NULL AND NOT l.do_not_contact
         RETURNING ss.id",
        send_ids,
        now,
        lease_until
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A message the provider took.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub send_id: Uuid,
    pub provider_id: Option<String>,
}

/// Records sent messages: the outbox row `sent`, a `sent` interaction (once), and the
/// enrollment on to its next step (or completed). Returns how many were recorded.
pub async fn record_sent(
    tx: &mut TenantTx,
    sent: &[SentMessage],
    now: DateTime<Utc>,
) -> RepoResult<u64> {
    if sent.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = sent.iter().map(|s| s.send_id).collect();
    let provider_ids: Vec<Option<String>> = sent.iter().map(|s| s.provider_id.clone()).collect();
    let done = sqlx::query!(
        "WITH done AS (
           UPDATE step_sends ss SET state = 'sent', provider_id = p.provider_id, sent_at = $3,
                  dispatch_lease_until = NULL, last_error = NULL
           FROM unnest($1::uuid[], $2::text[]) AS p(id, provider_id)
           WHERE ss.id = p.id AND ss.state = 'dispatching'
           RETURNING ss.*
         ), logged AS (
           INSERT INTO interactions (org_id, lead_id, enrollment_id, cadence_id, step_id, send_id,
                                     template_id, channel, type, summary, external_id,
                                     ai_generated, dedup_key, occurred_at)
           SELECT org_id, lead_id, enrollment_id, cadence_id, step_id, id, template_id, channel,
                  'sent', left(coalesce(subject, body), 200), provider_id, ai_generated,
                  'sent:' || id, $3
           FROM done
           ON CONFLICT (org_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
         )
         SELECT enrollment_id, step_id FROM done",
        &ids,
        &provider_ids as &[Option<String>],
        now
    )
    .fetch_all(tx.conn())
    .await?;
    // Only cadence messages go through here; a one-off (no enrollment) would be skipped.
    let (enrollments, steps): (Vec<Uuid>, Vec<Option<Uuid>>) = done
        .into_iter()
        .filter_map(|r| Some((r.enrollment_id?, r.step_id)))
        .unzip();
    move_on(tx, &enrollments, &steps, now).await?;
    Ok(enrollments.len() as u64)
}
