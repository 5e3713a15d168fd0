//! Sign-up, login, token refresh and password reset.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::members::MemberRole;
pub use flux_domain::subscription::SubscriptionStatus;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Ana Souza", min_length = 1, max_length = 120)
    )]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(example = "ana@acme.com.br", format = Email, max_length = 254))]
    pub email: String,
    /// At least 8 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "s3nha-forte", min_length = 8, max_length = 128)
    )]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "ana@acme.com.br", min_length = 1)
    )]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(example = "s3nha-forte", min_length = 1))]
    pub password: String,
    /// Organization to sign in to; defaults to the most recently joined one.
    #[serde(default)]
    pub org_id: Option<Uuid>,
}

/// Body of `/auth/refresh` and `/auth/logout`. Browser sessions send `{}` and the
/// token rides in the httpOnly cookie instead.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SwitchOrgRequest {
    pub org_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthTokens {
    /// JWT for `Authorization: Bearer …`.
    pub access_token: String,
    #[cfg_attr(feature = "openapi", schema(example = "Bearer"))]
    pub token_type: String,
    /// Access-token lifetime in seconds.
    #[cfg_attr(feature = "openapi", schema(example = 900))]
    pub expires_in: i64,
    /// Opaque rotating refresh token. Omitted when the client asked for cookie
    /// sessions (`X-Flux-Session: cookie`): it is then set as an httpOnly cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDto {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationDto {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    #[cfg_attr(feature = "openapi", schema(example = "America/Sao_Paulo"))]
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

/// A user's session in one organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    pub user: UserDto,
    pub organization: OrganizationDto,
    pub role: MemberRole,
    pub tokens: AuthTokens,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembershipSummary {
    pub org_id: Uuid,
    pub org_name: String,
    pub org_slug: String,
    pub role: MemberRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionSummary {
    #[cfg_attr(feature = "openapi", schema(example = "starter"))]
    pub plan_slug: String,
    #[cfg_attr(feature = "openapi", schema(example = "Starter"))]
    pub plan_name: String,
    pub status: SubscriptionStatus,
    pub current_period_end: DateTime<Utc>,
    pub included_users: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub user: UserDto,
    pub organization: OrganizationDto,
    pub role: MemberRole,
    /// Permissions of `role` (the matrix in `flux_domain::permissions`), e.g. `leads:read`.
    pub permissions: Vec<String>,
    /// Every active organization of the user (org switcher).
    pub memberships: Vec<MembershipSummary>,
    pub subscription: Option<SubscriptionSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[cfg_attr(feature = "openapi", schema(example = "ana@acme.com.br", format = Email, max_length = 254))]
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The one-time token from the e-mailed link.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: String,
}

/// Plain acknowledgement for requests whose outcome must not leak information.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Se o e-mail estiver cadastrado, enviaremos um link.")
    )]
    pub message: String,
}
