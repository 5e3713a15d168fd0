//! `/api/v1/invitations`: invite teammates by e-mail; preview and accept an invitation.

use actix_web::{delete, get, http::StatusCode, post, web, HttpRequest, HttpResponse};
use flux_domain::Permission;
use flux_dto::{
    auth::AuthResponse,
    members::{
        AcceptInvitationRequest, CreateInvitationRequest, InvitationDto, InvitationList,
        InvitationPreview, InvitationTokenRequest,
    },
    ErrorBody,
};
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::{
    accounts,
    team::{self, NewInvitation},
};

use crate::{
    convert,
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::{auth::session_response, parse_uuid},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_invitation)
        .service(list_invitations)
        .service(revoke_invitation)
        .service(preview_invitation)
        .service(accept_invitation);
}

/// Invite someone by e-mail with a role. Managers only (`users:manage`).
///
/// Counts against the plan's included users together with active members (402 when
/// full). The invitation link is e-mailed and valid for 7 days.
#[utoipa::path(
    tag = "invitations",
    security(("bearer_auth" = [])),
    request_body = CreateInvitationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters (e.g. a UUID). Retries with the same key within 24 h replay the first answer (`Idempotent-Replayed: true`) instead of acting twice; the same key with a different request is a 422.")),
    responses(
        (status = 201, description = "Invitation created and e-mailed", body = InvitationDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 402, description = "Every seat of the plan is in use", body = ErrorBody),
        (status = 403, description = "Requires `users:manage`", body = ErrorBody),
        (status = 409, description = "Already a member, or an invitation is pending", body = ErrorBody),
        (status = 422, description = "Invalid e-mail or role", body = ErrorBody),
    )
)]
#[post("/invitations")]
async fn create_invitation(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<CreateInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::UsersManage)?;
    let invitation = team::invite(
        &state.db,
        &state.auth.links,
        ctx,
        NewInvitation {
            email: &body.0.email,
            role: body.0.role,
        },
        &client,
    )
    .await?;
    Ok(HttpResponse::Created().json(convert::invitation(&invitation)))
}

/// List the organization's invitations (newest first). Managers only.
#[utoipa::path(
    tag = "invitations",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "Invitations", body = InvitationList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `users:manage`", body = ErrorBody),
    )
)]
#[get("/invitations")]
async fn list_invitations(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> ApiResult<web::Json<InvitationList>> {
    let ctx = auth.require(Permission::UsersManage)?;
    let items: Vec<InvitationDto> = team::list_invitations(&state.db, ctx)
        .await?
        .iter()
        .map(convert::invitation)
        .collect();
    Ok(web::Json(InvitationList {
        total: items.len() as i64,
        items,
    }))
}

/// Revoke a pending invitation. Managers only.
#[utoipa::path(
    tag = "invitations",
    security(("bearer_auth" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `users:manage`", body = ErrorBody),
        (status = 404, description = "No pending invitation with that id", body = ErrorBody),
        (status = 422, description = "Invalid id", body = ErrorBody),
    )
)]
#[delete("/invitations/{id}")]
async fn revoke_invitation(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::UsersManage)?;
    let id = parse_uuid("id", &id)?;
    team::revoke_invitation(&state.db, ctx, id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What an invitation link is for: organization, e-mail, role, whether the account exists.
///
/// A POST so the token stays out of URLs and access logs.
#[utoipa::path(
    tag = "invitations",
    request_body = InvitationTokenRequest,
    responses(
        (status = 200, description = "The pending invitation", body = InvitationPreview),
        (status = 422, description = "Invalid, expired or used token", body = ErrorBody),
    )
)]
#[post("/invitations/preview")]
async fn preview_invitation(
    state: web::Data<AppState>,
    body: ValidJson<InvitationTokenRequest>,
) -> ApiResult<web::Json<InvitationPreview>> {
    let view = accounts::preview_invitation(&state.db, &body.0.token).await?;
    Ok(web::Json(InvitationPreview {
        organization_name: view.organization_name,
        email: view.invitation.email,
        role: view.invitation.role,
        account_exists: view.account_exists,
        expires_at: view.invitation.expires_at,
    }))
}

/// Accept an invitation and sign in to the organization.
///
/// New people send `name` and a new `password`; people with an account send its password.
#[utoipa::path(
    tag = "invitations",
    request_body = AcceptInvitationRequest,
    params(("X-Flux-Session" = Option<String>, Header, description = "`cookie` to receive the refresh token in an httpOnly cookie")),
    responses(
        (status = 200, description = "Joined and signed in", body = AuthResponse),
        (status = 422, description = "Invalid token, name or password", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    )
)]
#[post("/invitations/accept")]
async fn accept_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    body: ValidJson<AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let outcome = accounts::accept_invitation(
        &state.db,
        &state.auth,
        &body.token,
        body.name.as_deref(),
        &body.password,
        &client,
    )
    .await?;
    Ok(session_response(&req, &state, StatusCode::OK, outcome))
}
