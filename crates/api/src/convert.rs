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
