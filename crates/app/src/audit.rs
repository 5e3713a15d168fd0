//! Audit entries written by the use cases, in the change's own transaction.

use flux_persistence::{
    audit::{self, AuditEntry},
    TenantTx,
};
use uuid::Uuid;

use crate::{error::AppResult, ClientInfo};

/// An audit entry pre-filled with the caller's IP, user agent and request id.
pub fn audit_entry(
    client: &ClientInfo,
    action: &'static str,
    resource_type: &'static str,
) -> AuditEntry {
    AuditEntry {
        action,
        resource_type,
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        request_id: client.request_id.clone(),
        success: true,
        ..AuditEntry::default()
    }
}

/// Records `action` on one resource in the audit log, in the change's transaction.
pub async fn audit_change(
    tx: &mut TenantTx,
    client: &ClientInfo,
    action: &'static str,
    resource_type: &'static str,
    id: Uuid,
    changes: serde_json::Value,
) -> AppResult<()> {
    let mut entry = audit_entry(client, action, resource_type);
    entry.resource_id = Some(id);
    entry.changes = changes;
    audit::record(tx, entry).await?;
    Ok(())
}
