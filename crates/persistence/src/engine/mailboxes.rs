//! The senders' mailboxes as the engine uses them: how messages leave and the daily caps.

use chrono::{DateTime, NaiveDate, Utc};
use flux_domain::mail_security::MailSecurity;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

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
