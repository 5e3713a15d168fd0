//! One-off e-mails: a member's message to a lead, sent through the member's mailbox.
//! They are rows of the outbox (`step_sends`) without enrollment, step or cadence, so
//! tracking links, unsubscribes and reply matching treat them like a cadence's. The
//! request commits the row `prepared` and a job delivers it; the state machine is
//! the engine's: `prepared` → `dispatching` (the provider may have it) → `sent`, or
//! `failed`, `needs_review` (a crash left it unknown), `cancelled` (the lead opted
//! out before it left).

use chrono::{DateTime, Utc};
use flux_domain::{mail_security::MailSecurity, send::SendState};
use uuid::Uuid;

use crate::{engine::MailboxRow, error::RepoResult, TenantTx};

/// The lead as a one-off e-mail needs it: `None` when it is gone (or another
/// organization's).
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: Option<String>,
    pub do_not_contact: bool,
    /// `to` is one of the lead's addresses (its e-mail or a premium contact's).
    pub owns_address: bool,
}

/// The lead, and whether `to` (when given) is one of its addresses.
pub async fn recipient(
    tx: &mut TenantTx,
    lead_id: Uuid,
    to: Option<&str>,
) -> RepoResult<Option<Recipient>> {
    Ok(sqlx::query_as!(
        Recipient,
        r#"SELECT l.email, l.do_not_contact,
                  ($2::text IS NULL OR coalesce(lower($2) = lower(l.email), false) OR EXISTS (
                     SELECT 1 FROM jsonb_array_elements_text(
                       CASE WHEN jsonb_typeof(l.premium_contacts -> 'emails') = 'array'
                            THEN l.premium_contacts -> 'emails' ELSE '[]' END) AS c(address)
                     WHERE lower(c.address) = lower($2))) AS "owns_address!"
           FROM leads l WHERE l.id = $1 AND l.deleted_at IS NULL"#,
        lead_id,
        to
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// What taking a slot of the member's mailbox found.
#[derive(Debug, Clone)]
pub enum Slot {
    /// Counted against today's cap; the mailbox (locked by the update) sends it.
    Taken(Box<MailboxRow>),
    /// The member has no mailbox.
    NoMailbox,
    /// Today's cap is used up.
    DailyLimit { limit: i32 },
}

/// Counts one message against the member's mailbox cap for the organization's
/// calendar day at `now`. A person's one-off is not spaced like a cadence's
/// messages (`min_interval_seconds`), but it is counted: the cap protects the
/// mailbox's reputation whoever writes.
pub async fn take_slot(tx: &mut TenantTx, user_id: Uuid, now: DateTime<Utc>) -> RepoResult<Slot> {
    let org_id = tx.ctx().org_id().uuid();
    let taken = sqlx::query_as!(
        MailboxRow,
        r#"WITH today AS (
             SELECT ($2::timestamptz AT TIME ZONE o.timezone)::date AS day
             FROM organizations o WHERE o.id = $3
           )
           UPDATE mailboxes m
           SET sent_day = t.day,
               sent_today = CASE WHEN m.sent_day = t.day THEN m.sent_today + 1 ELSE 1 END
           FROM today t
           WHERE m.user_id = $1
             AND (m.sent_day IS DISTINCT FROM t.day OR m.sent_today < m.daily_limit)
           RETURNING m.id, m.user_id, m.from_name, m.from_email, m.smtp_host, m.smtp_port,
                     m.smtp_security AS "smtp_security: MailSecurity", m.smtp_username,
                     m.smtp_password_enc, m.daily_limit, m.min_interval_seconds, m.sent_day,
                     m.sent_today, m.next_slot_at"#,
        user_id,
        now,
        org_id
    )
    .fetch_optional(tx.conn())
    .await?;
    if let Some(mailbox) = taken {
        return Ok(Slot::Taken(Box::new(mailbox)));
    }
    let limit = sqlx::query_scalar!(
        "SELECT daily_limit FROM mailboxes WHERE user_id = $1",
        user_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(match limit {
        Some(limit) => Slot::DailyLimit { limit },
        None => Slot::NoMailbox,
    })
}

/// A one-off e-mail to commit as `prepared`.
#[derive(Debug, Clone)]
pub struct NewOneOff {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub sender_id: Uuid,
    pub message_id: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub ai_generated: bool,
    /// When its slot of the mailbox's cap was taken: a give-back finds the same day.
    pub created_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut TenantTx, e: &NewOneOff) -> RepoResult<()> {
    let org_id = tx.ctx().org_id().uuid();
    sqlx::query!(
        "INSERT INTO step_sends (id, org_id, lead_id, sender_id, channel, message_id, to_address,
                                 subject, body, ai_generated, created_at)
         VALUES ($1, $2, $3, $4, 'email', $5, $6, $7, $8, $9, $10)",
        e.id,
        org_id,
        e.lead_id,
        e.sender_id,
        e.message_id,
        e.to_address,
        e.subject,
        e.body,
        e.ai_generated,
        e.created_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A one-off e-mail as its author sees it.
#[derive(Debug, Clone)]
pub struct OneOffEmailRecord {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub sender_id: Uuid,
    pub to_address: String,
    pub subject: Option<String>,
    pub body: String,
    pub ai_generated: bool,
    pub state: SendState,
    pub last_error: Option<String>,
    pub dispatch_attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A lead's one-off e-mail (a cadence's message is not one).
pub async fn get(
    tx: &mut TenantTx,
    lead_id: Uuid,
    id: Uuid,
) -> RepoResult<Option<OneOffEmailRecord>> {
    Ok(sqlx::query_as!(
        OneOffEmailRecord,
        r#"SELECT id, lead_id, sender_id, to_address, subject, body, ai_generated,
                  state AS "state: SendState", last_error, dispatch_attempts, created_at, sent_at
           FROM step_sends
           WHERE id = $1 AND lead_id = $2 AND enrollment_id IS NULL"#,
        id,
        lead_id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// The lead's one-off e-mails, newest first, and how many it has.
pub async fn list(
    tx: &mut TenantTx,
    lead_id: Uuid,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<OneOffEmailRecord>, i64)> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM step_sends
           WHERE lead_id = $1 AND enrollment_id IS NULL"#,
        lead_id
    )
    .fetch_one(tx.conn())
    .await?;
    let items = sqlx::query_as!(
        OneOffEmailRecord,
        r#"SELECT id, lead_id, sender_id, to_address, subject, body, ai_generated,
                  state AS "state: SendState", last_error, dispatch_attempts, created_at, sent_at
           FROM step_sends
           WHERE lead_id = $1 AND enrollment_id IS NULL
           ORDER BY created_at DESC, id
           LIMIT $2 OFFSET $3"#,
        lead_id,
        limit,
        offset
    )
    .fetch_all(tx.conn())
    .await?;
    Ok((items, total))
}

/// What delivering a one-off needs: the message, its state, the sender's mailbox and
/// the organization's tracking settings.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub org_id: Uuid,
    pub lead_id: Uuid,
    pub sender_id: Uuid,
    pub message_id: String,
    pub to_address: String,
    pub subject: Option<String>,
    pub body: String,
    pub state: SendState,
    pub dispatch_lease_until: Option<DateTime<Utc>>,
    pub do_not_contact: bool,
    pub lead_gone: bool,
    pub track_opens: bool,
    pub track_clicks: bool,
    pub mailbox: Option<MailboxRow>,
}

/// The one-off `id` with what delivering it needs, its row locked.
pub async fn for_delivery(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<Delivery>> {
    let row = sqlx::query!(
        r#"SELECT s.id, s.org_id, s.lead_id, s.sender_id, s.message_id, s.to_address, s.subject, s.body,
                  s.state AS "state: SendState", s.dispatch_lease_until, l.do_not_contact,
                  (l.deleted_at IS NOT NULL) AS "lead_gone!", o.track_opens, o.track_clicks
           FROM step_sends s
           JOIN leads l ON l.id = s.lead_id
           JOIN organizations o ON o.id = s.org_id
           WHERE s.id = $1 AND s.enrollment_id IS NULL
           FOR UPDATE OF s"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let mailbox = sqlx::query_as!(
        MailboxRow,
        r#"SELECT id, user_id, from_name, from_email, smtp_host, smtp_port,
                  smtp_security AS "smtp_security: MailSecurity", smtp_username, smtp_password_enc,
                  daily_limit, min_interval_seconds, sent_day, sent_today, next_slot_at
           FROM mailboxes WHERE user_id = $1"#,
        r.sender_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(Some(Delivery {
        id: r.id,
        org_id: r.org_id,
        lead_id: r.lead_id,
        sender_id: r.sender_id,
        message_id: r.message_id,
        to_address: r.to_address,
        subject: r.subject,
        body: r.body,
        state: r.state,
        dispatch_lease_until: r.dispatch_lease_until,
        do_not_contact: r.do_not_contact,
        lead_gone: r.lead_gone,
        track_opens: r.track_opens,
        track_clicks: r.track_clicks,
        mailbox,
    }))
}

/// The provider call may happen from now on: owned until `lease_until`.
pub async fn mark_dispatching(
    tx: &mut TenantTx,
    id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE step_sends SET state = 'dispatching', dispatch_attempts = dispatch_attempts + 1,
                dispatched_at = $2, dispatch_lease_until = $3
         WHERE id = $1",
        id,
        now,
        lease_until
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The provider took it: `sent`, and a `sent` interaction by the author (once).
pub async fn record_sent(
    tx: &mut TenantTx,
    id: Uuid,
    provider_id: Option<&str>,
    now: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query!(
        "WITH done AS (
           UPDATE step_sends SET state = 'sent', provider_id = $2, sent_at = $3,
                  dispatch_lease_until = NULL, last_error = NULL
           WHERE id = $1 AND state IN ('prepared', 'dispatching')
           RETURNING *
         )
         INSERT INTO interactions (org_id, lead_id, send_id, channel, type, summary, external_id,
                                   ai_generated, dedup_key, actor_id, occurred_at)
         SELECT org_id, lead_id, id, channel, 'sent', left(coalesce(subject, body), 200),
                provider_id, ai_generated, 'sent:' || id, sender_id, $3
         FROM done
         ON CONFLICT (org_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING",
        id,
        provider_id,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A person settled a `needs_review` one-off: it went out (`sent`, with its
/// timeline entry, as of `now`), or it did not (`prepared` again, for a new delivery
/// job). False when it was not waiting for review.
pub async fn resolve_review(
    tx: &mut TenantTx,
    id: Uuid,
    was_sent: bool,
    now: DateTime<Utc>,
) -> RepoResult<bool> {
    let resolved_by = Some(tx.ctx().user_id().uuid()).filter(|id| !id.is_nil());
    let resolved = sqlx::query!(
        "UPDATE step_sends
         SET resolved_by = $2,
             state = CASE WHEN $3 THEN 'dispatching'::send_state ELSE 'prepared'::send_state END,
             last_error = CASE WHEN $3 THEN last_error ELSE NULL END,
             dispatch_lease_until = NULL
         WHERE id = $1 AND state = 'needs_review' AND enrollment_id IS NULL",
        id,
        resolved_by,
        was_sent
    )
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    if resolved && was_sent {
        record_sent(tx, id, None, now).await?;
    }
    Ok(resolved)
}

/// Back to `prepared` after a transient failure: the job tries again.
pub async fn release(tx: &mut TenantTx, id: Uuid, error: &str) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE step_sends SET state = 'prepared', last_error = $2, dispatch_lease_until = NULL
         WHERE id = $1 AND state = 'dispatching'",
        id,
        error
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// How a one-off ended without going out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Refused, or failed every attempt: the timeline shows a `failed` interaction
    /// and the mailbox slot it took is given back.
    Failed,
    /// It may have gone out: a person must check before it is sent again.
    NeedsReview,
    /// The lead opted out (or was deleted) before it left: the slot is given back.
    Cancelled,
}

impl Ending {
    fn state(self) -> SendState {
        match self {
            Ending::Failed => SendState::Failed,
            Ending::NeedsReview => SendState::NeedsReview,
            Ending::Cancelled => SendState::Cancelled,
        }
    }
}

/// Ends a one-off that did not go out, with the reason.
pub async fn end(
    tx: &mut TenantTx,
    id: Uuid,
    ending: Ending,
    reason: &str,
    now: DateTime<Utc>,
) -> RepoResult<()> {
    let ended = sqlx::query!(
        r#"WITH ended AS (
             UPDATE step_sends SET state = $2::text::send_state, last_error = $3,
                    dispatch_lease_until = NULL
             WHERE id = $1 AND state IN ('prepared', 'dispatching')
             RETURNING *
           ), logged AS (
             INSERT INTO interactions (org_id, lead_id, send_id, channel, type, summary,
                                       ai_generated, dedup_key, actor_id, occurred_at)
             SELECT org_id, lead_id, id, channel, 'failed', left($3, 200), ai_generated,
                    'failed:' || id, sender_id, $4
             FROM ended WHERE $2 = 'failed'
             ON CONFLICT (org_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
           )
           SELECT sender_id, created_at FROM ended"#,
        id,
        ending.state().as_str(),
        reason,
        now
    )
    .fetch_optional(tx.conn())
    .await?;
    if let (Some(row), Ending::Failed | Ending::Cancelled) = (ended, ending) {
        give_back_slot(tx, row.sender_id, row.created_at).await?;
    }
    Ok(())
}

/// Returns the slot a one-off took, if it was taken on the mailbox's current day.
async fn give_back_slot(
    tx: &mut TenantTx,
    user_id: Uuid,
    taken_at: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE mailboxes m SET sent_today = greatest(m.sent_today - 1, 0)
         FROM organizations o
         WHERE m.user_id = $1 AND o.id = m.org_id
           AND m.sent_day = ($2::timestamptz AT TIME ZONE o.timezone)::date",
        user_id,
        taken_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
