//! Organization members and invitations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use flux_domain::{InvitationStatus, MemberRole, MemberStatus};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberDto {
    /// Membership id (use it in `/members/{id}`).
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: MemberRole,
    pub status: MemberStatus,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberList {
    pub items: Vec<MemberDto>,
    pub total: i64,
}

/// Member status a manager may set: reactivate or deactivate (suspend).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberStatusChange {
    Active,
    Suspended,
}

/// At least one of `role` and `status`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub role: Option<MemberRole>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub status: Option<MemberStatusChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInvitationRequest {
    #[cfg_attr(feature = "openapi", schema(example = "bruno@acme.com.br", format = Email, max_length = 254))]
    pub email: String,
    pub role: MemberRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationDto {
    pub id: Uuid,
    pub email: String,
    pub role: MemberRole,
    pub status: InvitationStatus,
    pub invited_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationList {
    pub items: Vec<InvitationDto>,
    pub total: i64,
}

/// What the invitee sees before accepting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationPreview {
    pub organization_name: String,
    pub email: String,
    pub role: MemberRole,
    /// When true, accepting asks only for the existing account's password.
    pub account_exists: bool,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// The one-time token from the invitation e-mail.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub token: String,
    /// Required when the invitee has no account yet.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 120))]
    pub name: Option<String>,
    /// New password (no account yet, 8–128 characters) or the existing account's password.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub password: String,
}

/// The one-time token of an invitation link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationTokenRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub token: String,
}
