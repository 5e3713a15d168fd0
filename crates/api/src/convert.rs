//! Mapping between domain/persistence records and wire DTOs.

use flux_domain::{MemberRole, MemberStatus};
use flux_dto::{
    auth::{MembershipSummary, OrganizationDto, SubscriptionStatus, SubscriptionSummary, UserDto},
    members::{self as dto, InvitationDto, MemberDto, Role},
};
use flux_persistence::{
    invitations::{InvitationRecord, InvitationStatus},
    members::{MemberRecord, MembershipRecord},
    organizations::{OrganizationRecord, SubscriptionRecord},
    users::UserRecord,
};

pub fn role_to_dto(role: MemberRole) -> Role {
    match role {
        MemberRole::Manager => Role::Manager,
        MemberRole::Sdr => Role::Sdr,
    }
}

pub fn role_from_dto(role: Role) -> MemberRole {
    match role {
        Role::Manager => MemberRole::Manager,
        Role::Sdr => MemberRole::Sdr,
    }
}

pub fn status_to_dto(status: MemberStatus) -> dto::MemberStatus {
    match status {
        MemberStatus::Invited => dto::MemberStatus::Invited,
        MemberStatus::Active => dto::MemberStatus::Active,
        MemberStatus::Suspended => dto::MemberStatus::Suspended,
        MemberStatus::Removed => dto::MemberStatus::Removed,
    }
}

pub fn user(u: &UserRecord) -> UserDto {
    UserDto {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        created_at: u.created_at,
    }
}

pub fn organization(o: &OrganizationRecord) -> OrganizationDto {
    OrganizationDto {
        id: o.id,
        name: o.name.clone(),
        slug: o.slug.clone(),
        timezone: o.timezone.clone(),
        created_at: o.created_at,
    }
}

pub fn member(m: &MemberRecord) -> MemberDto {
    MemberDto {
        id: m.id,
        user_id: m.user_id,
        name: m.name.clone(),
        email: m.email.clone(),
        role: role_to_dto(m.role),
        status: status_to_dto(m.status),
        accepted_at: m.accepted_at,
        created_at: m.created_at,
    }
}

pub fn membership(m: &MembershipRecord) -> MembershipSummary {
    MembershipSummary {
        org_id: m.org_id,
        org_name: m.org_name.clone(),
        org_slug: m.org_slug.clone(),
        role: role_to_dto(m.role),
    }
}

pub fn invitation(i: &InvitationRecord) -> InvitationDto {
    InvitationDto {
        id: i.id,
        email: i.email.clone(),
        role: role_to_dto(i.role),
        status: match i.status {
            InvitationStatus::Pending => dto::InvitationStatus::Pending,
            InvitationStatus::Accepted => dto::InvitationStatus::Accepted,
            InvitationStatus::Revoked => dto::InvitationStatus::Revoked,
            InvitationStatus::Expired => dto::InvitationStatus::Expired,
        },
        invited_by: i.invited_by,
        expires_at: i.expires_at,
        created_at: i.created_at,
    }
}

pub fn subscription(s: &SubscriptionRecord) -> SubscriptionSummary {
    SubscriptionSummary {
        plan_slug: s.plan_slug.clone(),
        plan_name: s.plan_name.clone(),
        status: match s.status.as_str() {
            "active" => SubscriptionStatus::Active,
            "past_due" => SubscriptionStatus::PastDue,
            "canceled" => SubscriptionStatus::Canceled,
            _ => SubscriptionStatus::Trialing,
        },
        current_period_end: s.current_period_end,
        included_users: s.included_users,
    }
}

pub fn lead_field(field: flux_import::LeadField) -> flux_dto::leads::LeadField {
    use flux_dto::leads::LeadField as Dto;
    use flux_import::LeadField as F;
    match field {
        F::Cnpj => Dto::Cnpj,
        F::RazaoSocial => Dto::RazaoSocial,
        F::NomeFantasia => Dto::NomeFantasia,
        F::Email => Dto::Email,
        F::Telefone => Dto::Telefone,
        F::ContactName => Dto::ContactName,
    }
}

pub fn import_error_code(code: flux_import::RowErrorCode) -> flux_dto::leads::ImportErrorCode {
    use flux_dto::leads::ImportErrorCode as Dto;
    use flux_import::RowErrorCode as C;
    match code {
        C::MissingCnpj => Dto::MissingCnpj,
        C::InvalidCnpj => Dto::InvalidCnpj,
        C::InvalidEmail => Dto::InvalidEmail,
        C::InvalidPhone => Dto::InvalidPhone,
        C::FieldTooLong => Dto::FieldTooLong,
        C::DuplicateInFile => Dto::DuplicateInFile,
        C::AlreadyExists => Dto::AlreadyExists,
        C::PlanLimitReached => Dto::PlanLimitReached,
    }
}

pub fn lead_import(
    i: &flux_persistence::lead_imports::ImportRecord,
) -> flux_dto::leads::LeadImportDto {
    use flux_dto::leads::ImportStatus as Dto;
    use flux_persistence::lead_imports::ImportStatus as S;
    flux_dto::leads::LeadImportDto {
        id: i.id,
        file_name: i.file_name.clone(),
        file_size_bytes: i.file_size_bytes,
        encoding: i.encoding.clone(),
        delimiter: i.delimiter.clone(),
        // Written by this program from the same type; an unreadable value shows empty.
        mapping: serde_json::from_value(i.column_mapping.clone()).unwrap_or_default(),
        status: match i.status {
            S::Queued => Dto::Queued,
            S::Processing => Dto::Processing,
            S::Completed => Dto::Completed,
            S::Failed => Dto::Failed,
        },
        total_rows: i.total_rows,
        processed_rows: i.processed_rows,
        success_count: i.success_count,
        error_count: i.error_count,
        failure_reason: i.failure_reason.clone(),
        created_by: i.created_by,
        created_at: i.created_at,
        started_at: i.started_at,
        finished_at: i.finished_at,
    }
}

/// Stored row errors carry codes this program wrote; an unknown one is corruption.
pub fn import_row_error(
    e: &flux_persistence::lead_imports::ImportErrorRecord,
) -> Result<flux_dto::leads::ImportRowError, crate::error::ApiError> {
    let code = flux_import::RowErrorCode::from_code(&e.code).ok_or_else(|| {
        crate::error::ApiError::Internal(anyhow::anyhow!("unknown import error code {:?}", e.code))
    })?;
    Ok(flux_dto::leads::ImportRowError {
        row_number: e.row_number,
        cnpj: e.cnpj.clone(),
        code: import_error_code(code),
        message: e.message.clone(),
    })
}
