//! Organization events for the live SPA: stored (for replay after a reconnect) and
//! announced with `pg_notify`, which PostgreSQL delivers only when the transaction
//! commits — so nobody hears about a change that was rolled back.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// The LISTEN/NOTIFY channel every server process listens on.
pub const CHANNEL: &str = "flux_events";

/// NOTIFY payloads are limited to 8000 bytes; larger events go out as a reference
/// and listeners load them from the table.
const MAX_INLINE_BYTES: usize = 7000;

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub org_id: Uuid,
    pub kind: String,
    pub data: Value,
    pub created_at: DateTime<Utc>,
}

/// Records the event and announces it on commit.
pub async fn publish(tx: &mut TenantTx, kind: &str, data: Value) -> RepoResult<i64> {
    let org_id = tx.ctx().org_id().uuid();
    let row = sqlx::query!(
        "INSERT INTO events (org_id, kind, data) VALUES ($1, $2, $3) RETURNING id, created_at",
        org_id,
        kind,
        data
    )
    .fetch_one(tx.conn())
    .await?;
    let mut payload = json!({
        "id": row.id, "org_id": org_id, "kind": kind, "data": data, "created_at": row.created_at,
    })
    .to_string();
    if payload.len() > MAX_INLINE_BYTES {
        payload = json!({ "id": row.id, "org_id": org_id }).to_string();
    }
    notify(tx.conn(), &payload).await?;
    Ok(row.id)
}

async fn notify(conn: &mut PgConnection, payload: &str) -> RepoResult<()> {
    sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, payload)
        .execute(conn)
        .await?;
    Ok(())
}

/// Events after `after_id`, oldest first (replay for `Last-Event-ID`).
pub async fn since(tx: &mut TenantTx, after_id: i64, limit: i64) -> RepoResult<Vec<EventRecord>> {
    Ok(sqlx::query_as!(
        EventRecord,
        "SELECT id, org_id, kind, data, created_at FROM events
         WHERE id > $1 ORDER BY id LIMIT $2",
        after_id,
        limit
    )
    .fetch_all(tx.conn())
    .await?)
}

/// One event by id (for notifications too large to carry it inline).
pub async fn get(tx: &mut TenantTx, id: i64) -> RepoResult<Option<EventRecord>> {
    Ok(sqlx::query_as!(
        EventRecord,
        "SELECT id, org_id, kind, data, created_at FROM events WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Forgets events older than `before` (housekeeping).
pub async fn purge(pool: &sqlx::PgPool, before: DateTime<Utc>) -> RepoResult<u64> {
    Ok(
        sqlx::query!("DELETE FROM events WHERE created_at < $1", before)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
