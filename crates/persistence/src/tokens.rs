//! Refresh tokens (rotating, grouped in families) and password-reset tokens.
//! System access only; rows hold SHA-256 hashes, never the tokens themselves.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::RepoResult;

#[derive(Debug, Clone)]
pub struct RefreshTokenRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the family's first token was issued: the session's absolute age.
    pub family_started_at: DateTime<Utc>,
}

pub struct NewRefreshToken<'a> {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub family_id: Uuid,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub async fn insert_refresh(conn: &mut PgConnection, t: NewRefreshToken<'_>) -> RepoResult<()> {
    sqlx::query!(
        "INSERT INTO refresh_tokens (user_id, org_id, family_id, token_hash, expires_at, user_agent, ip_address)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text::inet)",
        t.user_id,
        t.org_id,
        t.family_id,
        t.token_hash,
        t.expires_at,
        t.user_agent,
        t.ip
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks the row so two concurrent refreshes with one token cannot both rotate it.
pub async fn find_refresh_for_update(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> RepoResult<Option<RefreshTokenRecord>> {
    Ok(sqlx::query_as!(
        RefreshTokenRecord,
        r#"SELECT t.id, t.user_id, t.org_id, t.family_id, t.expires_at, t.rotated_at, t.revoked_at,
                  (SELECT min(f.created_at) FROM refresh_tokens f WHERE f.family_id = t.family_id)
                      AS "family_started_at!"
           FROM refresh_tokens t WHERE t.token_hash = $1 FOR UPDATE OF t"#,
        token_hash
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn mark_rotated(conn: &mut PgConnection, id: Uuid) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE refresh_tokens SET rotated_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn revoke_family(conn: &mut PgConnection, family_id: Uuid) -> RepoResult<u64> {
    let done = sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        family_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn revoke_all_for_user(conn: &mut PgConnection, user_id: Uuid) -> RepoResult<u64> {
    let done = sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes a member's sessions in one organization (deactivation).
pub async fn revoke_for_member(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> RepoResult<u64> {
    let done = sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now()
         WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        org_id,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone)]
pub struct ResetTokenRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Stores a new reset token and invalidates the user's older unused ones.
pub async fn insert_reset(
    conn: &mut PgConnection,
    user_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
    ip: Option<&str>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, requested_ip)
         VALUES ($1, $2, $3, $4::text::inet)",
        user_id,
        token_hash,
        expires_at,
        ip
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_reset_for_update(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> RepoResult<Option<ResetTokenRecord>> {
    Ok(sqlx::query_as!(
        ResetTokenRecord,
        "SELECT id, user_id, expires_at, used_at FROM password_reset_tokens
         WHERE token_hash = $1 FOR UPDATE",
        token_hash
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn mark_reset_used(conn: &mut PgConnection, id: Uuid) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE password_reset_tokens SET used_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The LISTEN/NOTIFY channel on which a user's ended sessions are announced (logout,
/// password reset): every server process closes that user's open event streams.
pub const SESSIONS_ENDED_CHANNEL: &str = "flux_sessions_ended";

/// Announces, on commit, that `user_id`'s sessions ended.
pub async fn announce_sessions_ended(conn: &mut PgConnection, user_id: Uuid) -> RepoResult<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(SESSIONS_ENDED_CHANNEL)
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
