//! Member roles and the permission matrix. The server checks these on
//! every route; the SPA uses the same table to hide what a role cannot do.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Manager,
    Sdr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Invited,
    Active,
    Suspended,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct RoleParseError(pub String);

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

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Manager => "manager",
            MemberRole::Sdr => "sdr",
        }
    }
}

impl FromStr for MemberRole {
    type Err = RoleParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "manager" => Ok(MemberRole::Manager),
            "sdr" => Ok(MemberRole::Sdr),
            other => Err(RoleParseError(other.to_owned())),
        }
    }
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Invited => "invited",
            MemberStatus::Active => "active",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Removed => "removed",
        }
    }
}

impl FromStr for MemberStatus {
    type Err = RoleParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "invited" => Ok(MemberStatus::Invited),
            "active" => Ok(MemberStatus::Active),
            "suspended" => Ok(MemberStatus::Suspended),
            "removed" => Ok(MemberStatus::Removed),
            other => Err(RoleParseError(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_has_every_permission() {
        assert_eq!(
            MemberRole::Manager.permissions().len(),
            Permission::ALL.len()
        );
    }

    #[test]
    fn sdr_permissions_are_the_matrix_row() {
        let sdr: Vec<&str> = MemberRole::Sdr
            .permissions()
            .into_iter()
            .map(Permission::as_str)
            .collect();
        assert_eq!(
            sdr,
            [
                "leads:read",
                "leads:write",
                "leads:import",
                "cadences:read",
                "cadences:write",
                "cadences:activate",
                "templates:read",
                "templates:write",
                "ai:generate",
                "reports:read",
            ]
        );
    }

    #[test]
    fn roles_round_trip_from_text() {
        for role in [MemberRole::Manager, MemberRole::Sdr] {
            assert_eq!(role.as_str().parse::<MemberRole>().unwrap(), role);
        }
        assert!("admin".parse::<MemberRole>().is_err());
    }
}
