//! Audit log of sensitive actions: who, what, when, from where, before/after.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub changes: serde_json::Value,
    pub success: bool,
    pub failure_reason: Option<String>,
}

/// Records an action of the tenant's current user, in the tenant's transaction.
pub async fn record(tx: &mut TenantTx, entry: AuditEntry) -> RepoResult<()> {
    let org_id = Some(tx.ctx().org_id().uuid());
    let user_id = Some(tx.ctx().user_id().uuid());
    insert(tx.conn(), org_id, user_id, entry).await
}

/// Records an action that happens before or outside a tenant (login, sign-up).
pub async fn record_system(
    conn: &mut PgConnection,
    org_id: Option<Uuid>,
    user_id: Option<Uuid>,
    entry: AuditEntry,
) -> RepoResult<()> {
    insert(conn, org_id, user_id, entry).await
}

async fn insert(
    conn: &mut PgConnection,
    org_id: Option<Uuid>,
    user_id: Option<Uuid>,
    e: AuditEntry,
) -> RepoResult<()> {
    let changes = if e.changes.is_null() {
        serde_json::json!({})
    } else {
        e.changes
    };
    sqlx::query!(
        "INSERT INTO audit_logs
           (org_id, user_id, action, resource_type, resource_id, ip_address, user_agent, request_id,
            changes, success, failure_reason)
         VALUES ($1, $2, $3, $4, $5, $6::text::inet, $7, $8, $9, $10, $11)",
        org_id,
        user_id,
        e.action,
        e.resource_type,
        e.resource_id,
        e.ip,
        e.user_agent,
        e.request_id,
        changes,
        e.success,
        e.failure_reason
    )
    .execute(conn)
    .await?;
    Ok(())
}
