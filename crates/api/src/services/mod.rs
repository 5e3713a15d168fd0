//! Use cases behind the handlers: validation into domain types, transactions,
//! audit entries and outbox e-mails. Handlers stay thin HTTP adapters.

pub mod accounts;
pub mod cadences;
pub mod lead_export;
pub mod lead_imports;
pub mod leads;
pub mod passwords;
pub mod team;
pub mod templates;

use flux_persistence::audit::AuditEntry;

use crate::extract::ClientInfo;

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
