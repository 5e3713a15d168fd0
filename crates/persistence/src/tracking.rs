//! What recipients do with a message: unsubscribe, open, click. The public
//! endpoints know only a signed send id; [`org_of_send`] is the one system lookup,
//! everything else runs in the send's organization.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// The organization a send belongs to (system: the caller has only the signed id).
pub async fn org_of_send(conn: &mut PgConnection, send_id: Uuid) -> RepoResult<Option<Uuid>> {
    Ok(
        sqlx::query_scalar!("SELECT org_id FROM step_sends WHERE id = $1", send_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A sent message, as the recipient's actions need it.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub id: Uuid,
    pub lead_id: Uuid,
    /// None for a one-off e-mail.
    pub enrollment_id: Option<Uuid>,
    pub body: String,
    pub to_address: String,
    pub do_not_contact: bool,
    /// When it left (when it was written, for one never confirmed): links age from it.
    pub sent_at: DateTime<Utc>,
}

pub async fn sent_message(tx: &mut TenantTx, send_id: Uuid) -> RepoResult<Option<SentMessage>> {
    Ok(sqlx::query_as!(
        SentMessage,
        r#"SELECT s.id, s.lead_id, s.enrollment_id, s.body, s.to_address, l.do_not_contact,
                  coalesce(s.sent_at, s.created_at) AS "sent_at!"
           FROM step_sends s JOIN leads l ON l.id = s.lead_id
           WHERE s.id = $1"#,
        send_id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// The lead asked to hear no more: flagged do-not-contact, every running enrollment
/// ends as `unsubscribed`, and the timeline shows it once per message. False when
/// this message's link was already used.
pub async fn unsubscribe(tx: &mut TenantTx, send_id: Uuid, now: DateTime<Utc>) -> RepoResult<bool> {
    let recorded = sqlx::query_scalar!(
        r#"WITH s AS (SELECT * FROM step_sends WHERE id = $1),
           lead AS (
             UPDATE leads l SET do_not_contact = true FROM s WHERE l.id = s.lead_id
             RETURNING l.id
           ),
           stopped AS (
             UPDATE cadence_enrollments e
             SET status = 'unsubscribed', pause_reason = NULL, next_step_due = NULL,
                 status_detail = 'O lead cancelou a inscrição pelo link do e-mail', finished_at = $2
             FROM s WHERE e.lead_id = s.lead_id AND e.status IN ('active', 'paused')
             RETURNING e.id
           )
           INSERT INTO interactions (org_id, lead_id, enrollment_id, cadence_id, step_id, send_id,
                                     template_id, channel, type, summary, dedup_key, occurred_at)
           SELECT org_id, lead_id, enrollment_id, cadence_id, step_id, id, template_id, channel,
                  'unsubscribed', 'Cancelou a inscrição', 'unsubscribed:' || id, $2
           FROM s
           ON CONFLICT (org_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
           RETURNING id"#,
        send_id,
        now
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(recorded.is_some())
}

/// Records an `opened` or `clicked` interaction once per `dedup_key`.
pub async fn record_event(
    tx: &mut TenantTx,
    send_id: Uuid,
    kind: &str,
    dedup_key: &str,
    metadata: serde_json::Value,
    now: DateTime<Utc>,
) -> RepoResult<bool> {
    let recorded = sqlx::query_scalar!(
        r#"INSERT INTO interactions (org_id, lead_id, enrollment_id, cadence_id, step_id, send_id,
                                     template_id, channel, type, summary, metadata, dedup_key,
                                     occurred_at)
           SELECT org_id, lead_id, enrollment_id, cadence_id, step_id, id, template_id, channel,
                  $2::text::interaction_type, left(coalesce(subject, body), 200), $4, $3, $5
           FROM step_sends WHERE id = $1 AND state = 'sent'
           ON CONFLICT (org_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
           RETURNING id"#,
        send_id,
        kind,
        dedup_key,
        metadata,
        now
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(recorded.is_some())
}
