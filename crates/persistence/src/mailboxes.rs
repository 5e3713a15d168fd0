//! Senders' mailboxes (SMTP out, IMAP in). Passwords arrive and leave encrypted:
//! this module never sees a plaintext credential.

use chrono::{DateTime, Utc};
use flux_domain::mail_security::MailSecurity;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// A mailbox row, credentials still sealed.
#[derive(Debug, Clone)]
pub struct MailboxRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub fields: MailboxFields,
    pub sent_today: i32,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_poll_ok_at: Option<DateTime<Utc>>,
    pub last_poll_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a member sets on a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxFields {
    pub from_name: String,
    pub from_email: String,
    pub smtp_host: String,
    pub smtp_port: i32,
    /// `none`, `starttls` or `tls`.
    pub smtp_security: MailSecurity,
    pub smtp_username: String,
    pub smtp_password_enc: Vec<u8>,
    pub imap_enabled: bool,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub imap_security: Option<MailSecurity>,
    pub imap_username: Option<String>,
    pub imap_password_enc: Option<Vec<u8>>,
    pub imap_folder: String,
    pub daily_limit: i32,
    pub min_interval_seconds: i32,
}

struct Row {
    id: Uuid,
    user_id: Uuid,
    from_name: String,
    from_email: String,
    smtp_host: String,
    smtp_port: i32,
    smtp_security: MailSecurity,
    smtp_username: String,
    smtp_password_enc: Vec<u8>,
    imap_enabled: bool,
    imap_host: Option<String>,
    imap_port: Option<i32>,
    imap_security: Option<MailSecurity>,
    imap_username: Option<String>,
    imap_password_enc: Option<Vec<u8>>,
    imap_folder: String,
    daily_limit: i32,
    min_interval_seconds: i32,
    sent_today: i32,
    last_poll_at: Option<DateTime<Utc>>,
    last_poll_ok_at: Option<DateTime<Utc>>,
    last_poll_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Row> for MailboxRecord {
    fn from(r: Row) -> Self {
        MailboxRecord {
            id: r.id,
            user_id: r.user_id,
            fields: MailboxFields {
                from_name: r.from_name,
                from_email: r.from_email,
                smtp_host: r.smtp_host,
                smtp_port: r.smtp_port,
                smtp_security: r.smtp_security,
                smtp_username: r.smtp_username,
                smtp_password_enc: r.smtp_password_enc,
                imap_enabled: r.imap_enabled,
                imap_host: r.imap_host,
                imap_port: r.imap_port,
                imap_security: r.imap_security,
                imap_username: r.imap_username,
                imap_password_enc: r.imap_password_enc,
                imap_folder: r.imap_folder,
                daily_limit: r.daily_limit,
                min_interval_seconds: r.min_interval_seconds,
            },
            sent_today: r.sent_today,
            last_poll_at: r.last_poll_at,
            last_poll_ok_at: r.last_poll_ok_at,
            last_poll_error: r.last_poll_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The organization's mailboxes, or only `user_id`'s.
pub async fn list(tx: &mut TenantTx, user_id: Option<Uuid>) -> RepoResult<Vec<MailboxRecord>> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT m.id, user_id, from_name, from_email, smtp_host, smtp_port,
                  smtp_security AS "smtp_security: MailSecurity", smtp_username, smtp_password_enc,
                  imap_enabled, imap_host, imap_port, imap_security AS "imap_security: MailSecurity",
                  imap_username, imap_password_enc, imap_folder, daily_limit,
                  min_interval_seconds,
                  CASE WHEN sent_day = (now() AT TIME ZONE o.timezone)::date
                       THEN sent_today ELSE 0 END AS "sent_today!",
                  last_poll_at, last_poll_ok_at, last_poll_error, m.created_at, m.updated_at
           FROM mailboxes m JOIN organizations o ON o.id = m.org_id
           WHERE $1::uuid IS NULL OR user_id = $1
           ORDER BY from_name, id"#,
        user_id
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(MailboxRecord::from).collect())
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<MailboxRecord>> {
    Ok(sqlx::query_as!(
        Row,
        r#"SELECT m.id, user_id, from_name, from_email, smtp_host, smtp_port,
                  smtp_security AS "smtp_security: MailSecurity", smtp_username, smtp_password_enc,
                  imap_enabled, imap_host, imap_port, imap_security AS "imap_security: MailSecurity",
                  imap_username, imap_password_enc, imap_folder, daily_limit,
                  min_interval_seconds,
                  CASE WHEN sent_day = (now() AT TIME ZONE o.timezone)::date
                       THEN sent_today ELSE 0 END AS "sent_today!",
                  last_poll_at, last_poll_ok_at, last_poll_error, m.created_at, m.updated_at
           FROM mailboxes m JOIN organizations o ON o.id = m.org_id
           WHERE m.id = $1"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .map(MailboxRecord::from))
}

/// Like [`get`], locking the row for a change first.
pub async fn get_for_update(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<MailboxRecord>> {
    sqlx::query!("SELECT id FROM mailboxes WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(tx.conn())
        .await?;
    get(tx, id).await
}

/// Writes a mailbox: inserts it, or replaces the settable fields of `id`. A changed
/// IMAP server, account or folder starts its sync over (UIDs belong to one mailbox
/// and folder). `uq_mailboxes_user` when a new mailbox's member already has one.
pub async fn save(tx: &mut TenantTx, id: Uuid, user_id: Uuid, f: &MailboxFields) -> RepoResult<()> {
    let org_id = tx.ctx().org_id().uuid();
    sqlx::query!(
        r#"INSERT INTO mailboxes AS m (id, org_id, user_id, from_name, from_email, smtp_host,
             smtp_port, smtp_security, smtp_username, smtp_password_enc, imap_enabled,
             imap_host, imap_port, imap_security, imap_username, imap_password_enc,
             imap_folder, daily_limit, min_interval_seconds)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::mail_security, $9, $10, $11, $12,
             $13, $14::text::mail_security, $15, $16, $17, $18, $19)
           ON CONFLICT (id) DO UPDATE SET
             from_name = EXCLUDED.from_name, from_email = EXCLUDED.from_email,
             smtp_host = EXCLUDED.smtp_host, smtp_port = EXCLUDED.smtp_port,
             smtp_security = EXCLUDED.smtp_security, smtp_username = EXCLUDED.smtp_username,
             smtp_password_enc = EXCLUDED.smtp_password_enc,
             imap_enabled = EXCLUDED.imap_enabled,
             imap_uidvalidity = CASE WHEN (m.imap_host, m.imap_username, m.imap_folder)
               IS DISTINCT FROM (EXCLUDED.imap_host, EXCLUDED.imap_username, EXCLUDED.imap_folder)
               THEN NULL ELSE m.imap_uidvalidity END,
             imap_last_uid = CASE WHEN (m.imap_host, m.imap_username, m.imap_folder)
               IS DISTINCT FROM (EXCLUDED.imap_host, EXCLUDED.imap_username, EXCLUDED.imap_folder)
               THEN NULL ELSE m.imap_last_uid END,
             imap_host = EXCLUDED.imap_host, imap_port = EXCLUDED.imap_port,
             imap_security = EXCLUDED.imap_security, imap_username = EXCLUDED.imap_username,
             imap_password_enc = EXCLUDED.imap_password_enc,
             imap_folder = EXCLUDED.imap_folder, daily_limit = EXCLUDED.daily_limit,
             min_interval_seconds = EXCLUDED.min_interval_seconds"#,
        id,
        org_id,
        user_id,
        f.from_name,
        f.from_email,
        f.smtp_host,
        f.smtp_port,
        f.smtp_security.as_str(),
        f.smtp_username,
        f.smtp_password_enc,
        f.imap_enabled,
        f.imap_host,
        f.imap_port,
        f.imap_security.map(MailSecurity::as_str),
        f.imap_username,
        f.imap_password_enc,
        f.imap_folder,
        f.daily_limit,
        f.min_interval_seconds
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut TenantTx, id: Uuid) -> RepoResult<bool> {
    Ok(sqlx::query!("DELETE FROM mailboxes WHERE id = $1", id)
        .execute(tx.conn())
        .await?
        .rows_affected()
        == 1)
}

/// Which password of a mailbox a ciphertext holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Smtp,
    Imap,
}

/// The authenticated context a mailbox password is sealed under: a ciphertext
/// copied to another organization, or from SMTP to IMAP, does not open. (Within an
/// organization and protocol it does.)
pub fn sealing_context(org_id: Uuid, credential: Credential) -> Vec<u8> {
    let which = match credential {
        Credential::Smtp => "smtp",
        Credential::Imap => "imap",
    };
    format!("flux/mailbox-password/{org_id}/{which}").into_bytes()
}
