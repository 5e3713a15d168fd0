//! Use cases behind the handlers: validation into domain types, transactions,
//! audit entries and outbox e-mails. Handlers stay thin HTTP adapters.

pub mod accounts;
pub mod ai;
pub mod cadences;
pub mod enrollments;
pub mod lead_emails;
pub mod lead_export;
pub mod lead_imports;
pub mod leads;
pub mod mailboxes;
pub mod passwords;
pub mod sending;
pub mod team;
pub mod templates;
pub mod tracking;

use flux_persistence::{
    audit::{self, AuditEntry},
    TenantTx,
};
use uuid::Uuid;

use crate::{error::ApiResult, extract::ClientInfo};

/// An audit entry pre-filled with the caller's IP, user agent and request id.
pub(crate) fn audit_entry(
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
pub(crate) async fn audit_change(
    tx: &mut TenantTx,
    client: &ClientInfo,
    action: &'static str,
    resource_type: &'static str,
    id: Uuid,
    changes: serde_json::Value,
) -> ApiResult<()> {
    let mut entry = audit_entry(client, action, resource_type);
    entry.resource_id = Some(id);
    entry.changes = changes;
    audit::record(tx, entry).await?;
    Ok(())
}
