//! What the cadence engine reads and writes: the claim of due enrollments (system),
//! and per organization the batch it works on, the outbox (`step_sends`) state
//! machine, interactions and the enrollment's advance.

use chrono::{DateTime, NaiveDate, Utc};
use flux_domain::{
    enrollment::{EnrollmentStatus, PauseReason},
    mail_security::MailSecurity,
    send::SendState,
    Channel, TemplateFacts,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// Due, active, unheld enrollments (oldest due first), leased: their due time moves
/// to `lease_until`, so a crashed engine's enrollments come due again by themselves.
/// Returns `(org_id, enrollment_id)`.
pub async fn claim_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> RepoResult<Vec<(Uuid, Uuid)>> {
    let rows = sqlx::query!(
        // `= ANY(ARRAY(…))`: the claimed rows are updated through the primary key; an
        // `IN (…)` may be planned as a hash join over every enrollment.
        "UPDATE cadence_enrollments e SET next_step_due = $2
         WHERE e.id = ANY(ARRAY(SELECT id FROM cadence_enrollments
                                WHERE status = 'active' AND NOT cadence_held AND next_step_due <= $1
                                ORDER BY next_step_due
                                LIMIT $3
                                FOR UPDATE SKIP LOCKED))
         RETURNING e.org_id, e.id",
        now,
        lease_until,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.org_id, r.id)).collect())
}

/// When the next enrollment comes due (the engine sleeps until then at most).
pub async fn next_due(pool: &PgPool) -> RepoResult<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar!(
        "SELECT min(next_step_due) FROM cadence_enrollments
         WHERE status = 'active' AND NOT cadence_held"
    )
    .fetch_one(pool)
    .await?)
}

/// An outbox row already there for the enrollment's next step.
#[derive(Debug, Clone)]
pub struct ExistingSend {
    pub id: Uuid,
    pub state: SendState,
    /// The channel it was prepared for (the step's may have changed since).
    pub channel: Channel,
    pub message_id: String,
    pub to_address: String,
    pub subject: Option<String>,
    pub body: String,
    pub dispatch_lease_until: Option<DateTime<Utc>>,
}

/// A claimed enrollment with everything its next step needs.
#[derive(Debug, Clone)]
pub struct DueEnrollment {
    pub id: Uuid,
    pub org_id: Uuid,
    pub lead_id: Uuid,
    pub cadence_id: Uuid,
    pub sender_id: Uuid,
    pub status: EnrollmentStatus,
    pub cadence_held: bool,
    pub step_id: Option<Uuid>,
    pub channel: Option<Channel>,
    pub template_id: Option<Uuid>,
    pub ai_personalization: bool,
    pub subject_template: Option<String>,
    pub body_template: Option<String>,
    /// The step was removed from the cadence after the enrollment was pointed at it.
    pub step_removed: bool,
    /// The sender is still an active member.
    pub sender_active: bool,
    pub lead_gone: bool,
    pub lead_archived: bool,
    pub do_not_contact: bool,
    pub facts: TemplateFacts,
    /// Every partner's name (the facts carry only the first), for AI personalization.
    pub partner_names: Vec<String>,
    pub existing: Option<ExistingSend>,
}

/// Locks and loads claimed enrollments of the transaction's organization that are
/// still this claim's: due at `lease_until` (a claim whose lease ran out, taken over
/// and moved on by another engine, gets nothing).
pub async fn load_due(
    tx: &mut TenantTx,
    ids: &[Uuid],
    lease_until: DateTime<Utc>,
) -> RepoResult<Vec<DueEnrollment>> {
    let rows = sqlx::query!(
        r#"SELECT e.id, e.org_id, e.lead_id, e.cadence_id, e.sender_id, e.status AS "status: EnrollmentStatus",
                  e.cadence_held, e.next_step_id AS step_id, s.channel AS "channel?: Channel",
                  s.template_id AS "template_id?", s.ai_personalization AS "ai_personalization?",
                  t.subject AS "subject_template?", t.body AS "body_template?",
                  l.deleted_at IS NOT NULL AS "lead_gone!", l.archived_at IS NOT NULL AS "lead_archived!",
                  l.do_not_contact, l.razao_social, l.nome_fantasia, l.cnpj, l.cidade, l.uf, l.porte,
                  l.cnae_descricao, l.socios -> 0 ->> 'nome' AS primeiro_socio, l.contact_name,
                  ARRAY(SELECT s ->> 'nome'
                        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(l.socios) = 'array'
                                                       THEN l.socios ELSE '[]'::jsonb END) s
                        WHERE s ->> 'nome' IS NOT NULL) AS "partner_names!",
                  l.email, l.telefone, u.name AS sdr_nome, u.email AS sdr_email, o.name AS org_nome,
                  ss.id AS "send_id?", ss.state AS "send_state?: SendState", ss.message_id AS "message_id?",
                  ss.to_address AS "to_address?", ss.subject AS send_subject,
                  ss.body AS "send_body?", ss.dispatch_lease_until,
                  ss.channel AS "send_channel?: Channel",
                  s.removed_at IS NOT NULL AS "step_removed!",
                  EXISTS (SELECT 1 FROM organization_members m
                          WHERE m.org_id = e.org_id AND m.user_id = e.sender_id
                            AND m.status = 'active') AS "sender_active!"
           FROM cadence_enrollments e
           JOIN leads l ON l.id = e.lead_id
           JOIN users u ON u.id = e.sender_id
           JOIN organizations o ON o.id = e.org_id
           LEFT JOIN cadence_steps s ON s.id = e.next_step_id
           LEFT JOIN message_templates t ON t.id = s.template_id
           LEFT JOIN step_sends ss ON ss.enrollment_id = e.id AND ss.step_id = e.next_step_id
           WHERE e.id = ANY($1) AND e.next_step_due = $2
           ORDER BY e.id
           FOR UPDATE OF e"#,
        ids,
        lease_until
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(DueEnrollment {
                id: r.id,
                org_id: r.org_id,
                lead_id: r.lead_id,
                cadence_id: r.cadence_id,
                sender_id: r.sender_id,
                status: r.status,
                cadence_held: r.cadence_held,
                step_id: r.step_id,
                channel: r.channel,
                template_id: r.template_id,
                ai_personalization: r.ai_personalization.unwrap_or(false),
                subject_template: r.subject_template,
                body_template: r.body_template,
                step_removed: r.step_removed,
                sender_active: r.sender_active,
                lead_gone: r.lead_gone,
                lead_archived: r.lead_archived,
                do_not_contact: r.do_not_contact,
                partner_names: r.partner_names,
                existing: match (
                    r.send_id,
                    r.send_state,
                    r.send_channel,
                    r.message_id,
                    r.to_address,
                    r.send_body,
                ) {
                    (
                        Some(id),
                        Some(state),
                        Some(channel),
                        Some(message_id),
                        Some(to_address),
                        Some(body),
                    ) => Some(ExistingSend {
                        id,
                        state,
                        channel,
                        message_id,
                        to_address,
                        subject: r.send_subject,
                        body,
                        dispatch_lease_until: r.dispatch_lease_until,
                    }),
                    _ => None,
                },
                facts: TemplateFacts {
                    razao_social: r.razao_social,
                    nome_fantasia: r.nome_fantasia,
                    cnpj: Some(r.cnpj),
                    cidade: r.cidade,
                    uf: r.uf,
                    porte: r.porte,
                    atividade: r.cnae_descricao,
                    primeiro_socio: r.primeiro_socio,
                    contato_nome: r.contact_name,
                    email: r.email,
                    telefone: r.telefone,
                    sdr_nome: Some(r.sdr_nome),
                    sdr_email: Some(r.sdr_email),
                    org_nome: Some(r.org_nome),
                    local_hour: None,
                },
            })
        })
        .collect()
}

/// Of `(enrollment, step)` pairs, the enrollments still active on that step under
/// this claim (due at `lease_until`), locked: work done outside a transaction (an AI
/// generation) is committed only for them.
pub async fn lock_still_claimed(
    tx: &mut TenantTx,
    pairs: &[(Uuid, Uuid)],
    lease_until: DateTime<Utc>,
) -> RepoResult<Vec<Uuid>> {
    let (ids, steps): (Vec<Uuid>, Vec<Uuid>) = pairs.iter().copied().unzip();
    Ok(sqlx::query_scalar!(
        "SELECT e.id FROM cadence_enrollments e
         JOIN unnest($1::uuid[], $2::uuid[]) AS r(id, step_id) ON r.id = e.id
         WHERE e.status = 'active' AND e.next_step_id = r.step_id AND e.next_step_due = $3
         ORDER BY e.id
         FOR UPDATE OF e",
        &ids,
        &steps,
        lease_until
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Returns a slot of the sender's daily cap taken for a message that did not go out.
pub async fn give_back_slot(tx: &mut TenantTx, user_id: Uuid, day: NaiveDate) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE mailboxes SET sent_today = greatest(sent_today - 1, 0)
         WHERE user_id = $1 AND sent_day = $2",
        user_id,
        day
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A sender's mailbox: how messages leave, and the caps on them.
#[derive(Debug, Clone)]
pub struct MailboxRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub from_name: String,
    pub from_email: String,
    pub smtp_host: String,
    pub smtp_port: i32,
    pub smtp_security: MailSecurity,
    pub smtp_username: String,
    pub smtp_password_enc: Vec<u8>,
    pub daily_limit: i32,
    pub min_interval_seconds: i32,
    pub sent_day: Option<NaiveDate>,
    pub sent_today: i32,
    pub next_slot_at: Option<DateTime<Utc>>,
}

/// The mailboxes of `user_ids`, locked: their counters change with the batch.
pub async fn lock_mailboxes(tx: &mut TenantTx, user_ids: &[Uuid]) -> RepoResult<Vec<MailboxRow>> {
    Ok(sqlx::query_as!(
        MailboxRow,
        r#"SELECT id, user_id, from_name, from_email, smtp_host, smtp_port,
                  smtp_security AS "smtp_security: MailSecurity", smtp_username, smtp_password_enc,
                  daily_limit, min_interval_seconds, sent_day, sent_today, next_slot_at
           FROM mailboxes WHERE user_id = ANY($1) ORDER BY id FOR UPDATE"#,
        user_ids
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn save_mailbox_counters(
    tx: &mut TenantTx,
    id: Uuid,
    sent_day: NaiveDate,
    sent_today: i32,
    next_slot_at: Option<DateTime<Utc>>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE mailboxes SET sent_day = $2, sent_today = $3, next_slot_at = $4 WHERE id = $1",
        id,
        sent_day,
        sent_today,
        next_slot_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

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
async fn move_on(
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
