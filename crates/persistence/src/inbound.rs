//! What comes back to senders' inboxes: the IMAP poller's claim and sync state, and
//! replies and bounces matched to our messages by Message-ID. The claim is the one
//! system statement; everything else runs in the mailbox's organization.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// Takes up to `limit` IMAP-enabled mailboxes not polled since `due_before`,
/// stamping `last_poll_at = now` so no other poller takes them this round.
pub async fn claim_polls(
    pool: &PgPool,
    now: DateTime<Utc>,
    due_before: DateTime<Utc>,
    limit: i64,
) -> RepoResult<Vec<(Uuid, Uuid)>> {
    let rows = sqlx::query!(
        "UPDATE mailboxes m SET last_poll_at = $1
         WHERE m.id IN (SELECT id FROM mailboxes
                        WHERE imap_enabled AND (last_poll_at IS NULL OR last_poll_at <= $2)
                        ORDER BY last_poll_at NULLS FIRST
                        LIMIT $3
                        FOR UPDATE SKIP LOCKED)
         RETURNING m.org_id, m.id",
        now,
        due_before,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.org_id, r.id)).collect())
}

/// Which IMAP account and folder a sync state belongs to: progress recorded for one
/// is dropped if the mailbox moved to another meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxIdentity {
    pub host: String,
    pub username: String,
    pub folder: String,
}

/// Where the last poll stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    pub identity: InboxIdentity,
    pub uid_validity: Option<i64>,
    pub last_uid: Option<i64>,
    /// The first day worth reading on a fresh sync: the earlier of the mailbox's
    /// creation and its member's first cadence message (looked up only while the
    /// folder has no sync state: a renumbered folder reads from the creation).
    pub read_since: DateTime<Utc>,
}

pub async fn sync_state(tx: &mut TenantTx, mailbox_id: Uuid) -> RepoResult<Option<SyncState>> {
    let row = sqlx::query!(
        r#"SELECT imap_host AS "host!", imap_username AS "username!", imap_folder,
                  imap_uidvalidity, imap_last_uid,
                  CASE WHEN imap_last_uid IS NULL
                       THEN least(m.created_at, (SELECT min(s.sent_at) FROM step_sends s
                                                 WHERE s.sender_id = m.user_id))
                       ELSE m.created_at END AS "read_since!"
           FROM mailboxes m
           WHERE m.id = $1 AND imap_enabled"#,
        mailbox_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| SyncState {
        identity: InboxIdentity {
            host: r.host,
            username: r.username,
            folder: r.imap_folder,
        },
        uid_validity: r.imap_uidvalidity,
        last_uid: r.imap_last_uid,
        read_since: r.read_since,
    }))
}

/// Records a successful poll up to `last_uid`. False when the mailbox no longer reads
/// that inbox (its settings changed during the poll), or another poll of the same
/// folder already got further (progress never goes back).
pub async fn record_progress(
    tx: &mut TenantTx,
    mailbox_id: Uuid,
    identity: &InboxIdentity,
    uid_validity: i64,
    last_uid: i64,
    now: DateTime<Utc>,
) -> RepoResult<bool> {
    let updated = sqlx::query!(
        "UPDATE mailboxes SET imap_uidvalidity = $5, imap_last_uid = $6,
                last_poll_ok_at = $7, last_poll_error = NULL
         WHERE id = $1 AND imap_enabled AND imap_host = $2 AND imap_username = $3
           AND imap_folder = $4
           AND (imap_uidvalidity IS DISTINCT FROM $5 OR imap_last_uid IS NULL
                OR imap_last_uid <= $6)",
        mailbox_id,
        identity.host,
        identity.username,
        identity.folder,
        uid_validity,
        last_uid,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Records why a poll failed (shown on the mailbox until a poll works).
pub async fn record_failure(
    tx: &mut TenantTx,
    mailbox_id: Uuid,
    identity: &InboxIdentity,
    error: &str,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE mailboxes SET last_poll_error = left($5, 500)
         WHERE id = $1 AND imap_host = $2 AND imap_username = $3 AND imap_folder = $4",
        mailbox_id,
        identity.host,
        identity.username,
        identity.folder,
        error
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What an inbound message did to a cadence message of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Replied,
    Bounced,
}

impl Outcome {
    fn interaction(self) -> &'static str {
        match self {
            Self::Replied => "replied",
            Self::Bounced => "bounced",
        }
    }
}

/// An inbound message matched to one of ours.
#[derive(Debug, Clone)]
pub struct Inbound<'a> {
    pub outcome: Outcome,
    /// Message-IDs it refers to; the newest of ours among them is the one it answers.
    pub refers_to: &'a [String],
    /// Identifies the inbound message (its own Message-ID, else its place in the
    /// folder): fetching it again records nothing new.
    pub key: &'a str,
    /// For the timeline.
    pub summary: &'a str,
    pub metadata: serde_json::Value,
    /// Why the enrollment ended, in the member's words.
    pub detail: &'a str,
    /// When it happened (the inbound message's date), for the timeline.
    pub occurred_at: DateTime<Utc>,
}

/// What recording an inbound message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recorded {
    /// The message answers one of ours (false: not about our cadences).
    pub matched: bool,
    /// A new interaction was written (false when this message was seen before).
    pub interaction: bool,
    /// The enrollment now says `replied` or `bounced` (it was running, or had
    /// completed: a late answer still counts).
    pub stopped: bool,
}

/// Records a reply or a bounce against the newest of our messages it refers to: one
/// interaction per inbound message, and that message's enrollment ends as `replied`
/// or `bounced` unless it already ended otherwise (stopped, unsubscribed, …). A
/// reply to a one-off e-mail ends every running enrollment of the lead.
pub async fn record(
    tx: &mut TenantTx,
    inbound: &Inbound<'_>,
    now: DateTime<Utc>,
) -> RepoResult<Recorded> {
    let row = sqlx::query!(
        r#"WITH s AS (
             SELECT * FROM step_sends WHERE message_id = ANY($1)
             ORDER BY created_at DESC LIMIT 1
           ),
           stopped AS (
             UPDATE cadence_enrollments e
             SET status = $2::text::enrollment_status, pause_reason = NULL,
                 next_step_due = NULL, status_detail = $6,
                 finished_at = coalesce(e.finished_at, $7)
             FROM s WHERE (e.id = s.enrollment_id
                           AND e.status IN ('active', 'paused', 'completed'))
                       -- A reply to a one-off e-mail ends the lead's running cadences
                       -- (a bounce says nothing of the addresses they write to).
                       OR (s.enrollment_id IS NULL AND $2 = 'replied' AND e.lead_id = s.lead_id
                           AND e.status IN ('active', 'paused'))
             RETURNING e.id
           ),
           recorded AS (
             INSERT INTO interactions (org_id, lead_id, enrollment_id, cadence_id, step_id,
                                       send_id, template_id, channel, type, summary, metadata,
                                       dedup_key, occurred_at)
             SELECT org_id, lead_id, enrollment_id, cadence_id, step_id, id, template_id,
                    channel, $2::text::interaction_type, left($4, 200), $5,
                    $2 || ':' || id || ':' || $3, $8
             FROM s
             ON CONFLICT (org_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
             RETURNING id
           )
           SELECT EXISTS (SELECT 1 FROM s) AS "matched!",
                  EXISTS (SELECT 1 FROM recorded) AS "interaction!",
                  EXISTS (SELECT 1 FROM stopped) AS "stopped!""#,
        inbound.refers_to,
        inbound.outcome.interaction(),
        inbound.key,
        inbound.summary,
        inbound.metadata,
        inbound.detail,
        now,
        inbound.occurred_at
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Recorded {
        matched: row.matched,
        interaction: row.interaction,
        stopped: row.stopped,
    })
}

/// Which of `ids` are Message-IDs of this organization's messages.
pub async fn ours(tx: &mut TenantTx, ids: &[String]) -> RepoResult<Vec<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT message_id FROM step_sends WHERE message_id = ANY($1)",
        ids
    )
    .fetch_all(tx.conn())
    .await?)
}
