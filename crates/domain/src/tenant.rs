//! Who is acting, for which organization. Everything tenant-scoped takes a
//! `TenantCtx`, never a bare organization id.

use std::fmt;

use uuid::Uuid;

use crate::{MemberRole, Permission};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgId(Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(Uuid);

macro_rules! uuid_newtype {
    ($t:ident) => {
        impl $t {
            pub fn new(id: Uuid) -> Self {
                Self(id)
            }
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
uuid_newtype!(OrgId);
uuid_newtype!(UserId);

/// An authenticated member acting inside one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCtx {
    org_id: OrgId,
    user_id: UserId,
    role: MemberRole,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role {role} lacks permission {permission}", role = .role.as_str())]
pub struct PermissionDenied {
    pub role: MemberRole,
    pub permission: Permission,
}

impl TenantCtx {
    /// Built by the authentication layer once the member's active membership is verified.
    pub fn new(org_id: OrgId, user_id: UserId, role: MemberRole) -> Self {
        Self {
            org_id,
            user_id,
            role,
        }
    }

    /// Background work acting for the organization itself (job handlers): no member
    /// behind it, so the nil user id, with manager permissions. Rows a job creates on
    /// a member's behalf take that member's id from the job payload.
    pub fn system(org_id: OrgId) -> Self {
        Self {
            org_id,
            user_id: UserId(Uuid::nil()),
            role: MemberRole::Manager,
        }
    }

    pub fn is_system(&self) -> bool {
        self.user_id.0.is_nil()
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub fn role(&self) -> MemberRole {
        self.role
    }

    pub fn require(&self, permission: Permission) -> Result<(), PermissionDenied> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(PermissionDenied {
                role: self.role,
                permission,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdr_is_denied_user_management() {
        let ctx = TenantCtx::new(
            OrgId::new(Uuid::nil()),
            UserId::new(Uuid::nil()),
            MemberRole::Sdr,
        );
        let err = ctx.require(Permission::UsersManage).unwrap_err();
        assert_eq!(err.permission, Permission::UsersManage);
        assert!(ctx.require(Permission::LeadsRead).is_ok());
    }
}
