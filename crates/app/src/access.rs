//! Who may act on whose records inside an organization, beyond the role's
//! permissions: a member acts on their own sends; managers on anyone's.

use flux_domain::{Permission, TenantCtx};

use crate::error::{AppError, AppResult};

/// Acting as another member (their mailbox, their sends) needs
/// `enrollments:send_as`; `message` says what was refused, in pt-BR.
pub fn require_send_as(ctx: &TenantCtx, message: &str) -> AppResult<()> {
    if ctx.role().allows(Permission::EnrollmentsSendAs) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{message} ({}).",
            Permission::EnrollmentsSendAs
        )))
    }
}
