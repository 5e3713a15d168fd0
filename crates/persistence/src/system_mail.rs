//! Flux's own e-mail (password resets, invitations): queued in the caller's transaction
//! (table `email_outbox`) and delivered later by the system mail dispatcher. Not to be
//! confused with the outbox of messages to leads (`step_sends`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub body_text: String,
}

#[derive(Debug, Clone)]
pub struct QueuedEmail {
    pub id: Uuid,
    pub kind: String,
    pub to_email: String,
    pub subject: String,
    pub body_text: String,
    pub attempts: i32,
}

pub async fn enqueue(tx: &mut TenantTx, email: OutgoingEmail) -> RepoResult<()> {
    let org_id = Some(tx.ctx().org_id().uuid());
    insert(tx.conn(), org_id, email).await
}

pub async fn enqueue_system(
    conn: &mut PgConnection,
    org_id: Option<Uuid>,
    email: OutgoingEmail,
) -> RepoResult<()> {
    insert(conn, org_id, email).await
}

async fn insert(conn: &mut PgConnection, org_id: Option<Uuid>, e: OutgoingEmail) -> RepoResult<()> {
    sqlx::query!(
        "INSERT INTO email_outbox (org_id, kind, to_email, subject, body_text) VALUES ($1, $2, $3, $4, $5)",
        org_id,
        e.kind,
        e.to,
        e.subject,
        e.body_text
    )
        .execute(conn)
        .await?;
    Ok(())
}

/// Claims up to `limit` due e-mails: they are pushed 5 minutes into the future, so a
/// crashed dispatcher's claim expires and another one retries (at-least-once).
pub async fn claim_due(pool: &PgPool, limit: i64) -> RepoResult<Vec<QueuedEmail>> {
    Ok(sqlx::query_as!(
        QueuedEmail,
        "UPDATE email_outbox SET next_attempt_at = now() + interval '5 minutes', attempts = attempts + 1
         WHERE id IN (SELECT id FROM email_outbox
                      WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, kind, to_email, subject, body_text, attempts",
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// Marks a message delivered and blanks its body: bodies carry one-time links
/// (password reset, invitations) that must not outlive delivery in the database.
pub async fn mark_sent(pool: &PgPool, id: Uuid) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE email_outbox SET status = 'sent', sent_at = now(), last_error = NULL, body_text = ''
         WHERE id = $1",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Schedules a retry at `retry_at`, or gives up (`failed`) when `retry_at` is `None`.
pub async fn mark_failed(
    pool: &PgPool,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE email_outbox
         SET status = CASE WHEN $3::timestamptz IS NULL THEN 'failed'::outbox_status ELSE 'pending' END,
             next_attempt_at = coalesce($3, next_attempt_at), last_error = $2
         WHERE id = $1",
        id,
        error,
        retry_at
    )
    .execute(pool)
    .await?;
    Ok(())
}
