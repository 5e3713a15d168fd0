//! Member roles and the permission matrix. The server checks these on
//! every route; the SPA uses the same table to hide what a role cannot do.

use std::fmt;

use serde::{Deserialize, Serialize};

vocabulary! {
    /// What a member may do in the organization (see [`MemberRole::allows`]).
    pub enum MemberRole in "member_role" {
        Manager = "manager",
        Sdr = "sdr",
    }
}

vocabulary! {
    /// Where a membership stands.
    pub enum MemberStatus in "member_status" {
        Invited = "invited",
        Active = "active",
        Suspended = "suspended",
        Removed = "removed",
    }
}

vocabulary! {
    /// pending → accepted | revoked | expired.
    pub enum InvitationStatus in "invitation_status" {
        Pending = "pending",
        Accepted = "accepted",
        Revoked = "revoked",
        Expired = "expired",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "leads:read")]
    LeadsRead,
    #[serde(rename = "leads:write")]
    LeadsWrite,
    #[serde(rename = "leads:import")]
    LeadsImport,
    #[serde(rename = "leads:export")]
    LeadsExport,
    #[serde(rename = "cadences:read")]
    CadencesRead,
    #[serde(rename = "cadences:write")]
    CadencesWrite,
    #[serde(rename = "cadences:activate")]
    CadencesActivate,
    /// Choose another member as the sender of an enrollment (their mailbox, their
    /// name), and settle reviews of sends that are not one's own.
    #[serde(rename = "enrollments:send_as")]
    EnrollmentsSendAs,
    #[serde(rename = "templates:read")]
    TemplatesRead,
    #[serde(rename = "templates:write")]
    TemplatesWrite,
    #[serde(rename = "ai:generate")]
    AiGenerate,
    #[serde(rename = "integrations:manage")]
    IntegrationsManage,
    #[serde(rename = "users:manage")]
    UsersManage,
    #[serde(rename = "billing:manage")]
    BillingManage,
    #[serde(rename = "reports:read")]
    ReportsRead,
    #[serde(rename = "reports:export")]
    ReportsExport,
}

impl Permission {
    pub const ALL: [Permission; 16] = [
        Permission::LeadsRead,
        Permission::LeadsWrite,
        Permission::LeadsImport,
        Permission::LeadsExport,
        Permission::CadencesRead,
        Permission::CadencesWrite,
        Permission::CadencesActivate,
        Permission::EnrollmentsSendAs,
        Permission::TemplatesRead,
        Permission::TemplatesWrite,
        Permission::AiGenerate,
        Permission::IntegrationsManage,
        Permission::UsersManage,
        Permission::BillingManage,
        Permission::ReportsRead,
        Permission::ReportsExport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::LeadsRead => "leads:read",
            Permission::LeadsWrite => "leads:write",
            Permission::LeadsImport => "leads:import",
            Permission::LeadsExport => "leads:export",
            Permission::CadencesRead => "cadences:read",
            Permission::CadencesWrite => "cadences:write",
            Permission::CadencesActivate => "cadences:activate",
            Permission::EnrollmentsSendAs => "enrollments:send_as",
            Permission::TemplatesRead => "templates:read",
            Permission::TemplatesWrite => "templates:write",
            Permission::AiGenerate => "ai:generate",
            Permission::IntegrationsManage => "integrations:manage",
            Permission::UsersManage => "users:manage",
            Permission::BillingManage => "billing:manage",
            Permission::ReportsRead => "reports:read",
            Permission::ReportsExport => "reports:export",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl MemberRole {
    /// The matrix itself: SDRs lack export, sending as others, integrations, users,
    /// billing and report export.
    pub fn allows(self, permission: Permission) -> bool {
        match self {
            MemberRole::Manager => true,
            MemberRole::Sdr => !matches!(
                permission,
                Permission::LeadsExport
                    | Permission::EnrollmentsSendAs
                    | Permission::IntegrationsManage
                    | Permission::UsersManage
                    | Permission::BillingManage
                    | Permission::ReportsExport
            ),
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.allows(*p))
            .collect()
    }
}
