//! Stored answers for `Idempotency-Key` retries, per organization member.

use sqlx::PgPool;

use crate::{error::RepoResult, TenantTx};

/// Answers older than this are forgotten; a retry then runs as a new request.
pub const RETENTION_HOURS: i32 = 24;
/// A first request still unanswered after this long is taken as abandoned (crashed).
pub const ABANDONED_AFTER_SECS: i32 = 300;

#[derive(Debug, Clone)]
pub struct StoredKey {
    pub request_hash: Vec<u8>,
    pub status_code: Option<i16>,
    pub content_type: Option<String>,
    pub response_body: Option<Vec<u8>>,
}

pub enum Claim {
    /// This request owns the key: run it, then `complete` or `release`.
    Claimed,
    /// The key was used before (answer stored, or still in flight).
    Existing(StoredKey),
}

/// Claims `key` for the tenant's current member, forgetting expired or abandoned rows.
pub async fn claim(tx: &mut TenantTx, key: &str, request_hash: &[u8]) -> RepoResult<Claim> {
    let (org_id, user_id) = (tx.ctx().org_id().uuid(), tx.ctx().user_id().uuid());
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE org_id = $1 AND user_id = $2 AND key = $3
           AND (created_at < now() - make_interval(hours => $4)
                OR (status_code IS NULL AND created_at < now() - make_interval(secs => $5)))",
        org_id,
        user_id,
        key,
        RETENTION_HOURS,
        f64::from(ABANDONED_AFTER_SECS)
    )
    .execute(tx.conn())
    .await?;
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_keys (org_id, user_id, key, request_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id, key) DO NOTHING",
        org_id,
        user_id,
        key,
        request_hash
    )
    .execute(tx.conn())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Claimed);
    }
    let stored = sqlx::query_as!(
        StoredKey,
        "SELECT request_hash, status_code, content_type, response_body FROM idempotency_keys
         WHERE org_id = $1 AND user_id = $2 AND key = $3",
        org_id,
        user_id,
        key
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Claim::Existing(stored))
}

pub async fn complete(
    tx: &mut TenantTx,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> RepoResult<()> {
    let (org_id, user_id) = (tx.ctx().org_id().uuid(), tx.ctx().user_id().uuid());
    sqlx::query!(
        "UPDATE idempotency_keys SET status_code = $4, content_type = $5, response_body = $6
         WHERE org_id = $1 AND user_id = $2 AND key = $3",
        org_id,
        user_id,
        key,
        status as i16,
        content_type,
        body
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Frees the key after a server error, so the client's retry runs again.
pub async fn release(tx: &mut TenantTx, key: &str) -> RepoResult<()> {
    let (org_id, user_id) = (tx.ctx().org_id().uuid(), tx.ctx().user_id().uuid());
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE org_id = $1 AND user_id = $2 AND key = $3",
        org_id,
        user_id,
        key
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Retention housekeeping across all organizations (system job).
pub async fn purge_expired(pool: &PgPool) -> RepoResult<u64> {
    let done = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
        RETENTION_HOURS
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
