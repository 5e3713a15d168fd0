//! What the cadence engine reads and writes: the claim of due enrollments (system),
//! and per organization the batch it works on (here), the senders' mailboxes and caps
//! (`mailboxes`), the outbox (`step_sends`) state machine (`sends`), and the
//! enrollment's advance, pause or stop with its interactions (`progress`).

mod mailboxes;
mod progress;
mod sends;

pub use mailboxes::{give_back_slot, lock_mailboxes, save_mailbox_counters, MailboxRow};
pub use progress::{advance, pause_failed, reschedule, retry_later, stop, StepFailure};
pub use sends::{insert_prepared, mark_dispatching, record_sent, reprepare, NewSend, SentMessage};

use chrono::{DateTime, Utc};
use flux_domain::{enrollment::EnrollmentStatus, send::SendState, Channel, TemplateFacts};
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
    Ok(rows
        .into_iter()
        .map(|r| DueEnrollment {
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
        .collect())
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
