//! `/api/v1/members`: the organization's team.

use actix_web::{get, patch, web};
use flux_domain::{MemberStatus, Permission};
use flux_dto::{
    members::{MemberDto, MemberList, MemberStatusChange, UpdateMemberRequest},
    ErrorBody,
};
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::team::{self, MemberChange};

use crate::{
    convert,
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::parse_uuid,
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_members).service(update_member);
}

/// List the organization's members (every role may see the team).
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "Members, active and deactivated", body = MemberList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    )
)]
#[get("/members")]
async fn list_members(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> ApiResult<web::Json<MemberList>> {
    let items: Vec<MemberDto> = team::list_members(&state.db, auth.ctx())
        .await?
        .iter()
        .map(convert::member)
        .collect();
    Ok(web::Json(MemberList {
        total: items.len() as i64,
        items,
    }))
}

/// Change a member's role or (de)activate them. Managers only (`users:manage`).
///
/// The organization always keeps one active manager (409). Reactivating needs a free
/// seat in the plan (402). Deactivation ends the member's sessions.
#[utoipa::path(
    tag = "members",
    security(("bearer_auth" = [])),
    params(("id" = uuid::Uuid, Path, description = "Membership id")),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "Updated member", body = MemberDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 402, description = "No free seat to reactivate", body = ErrorBody),
        (status = 403, description = "Requires `users:manage`", body = ErrorBody),
        (status = 404, description = "No such member in this organization", body = ErrorBody),
        (status = 409, description = "Would leave the organization without an active manager", body = ErrorBody),
        (status = 422, description = "Invalid id or body", body = ErrorBody),
    )
)]
#[patch("/members/{id}")]
async fn update_member(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    id: web::Path<String>,
    body: ValidJson<UpdateMemberRequest>,
) -> ApiResult<web::Json<MemberDto>> {
    let ctx = auth.require(Permission::UsersManage)?;
    let id = parse_uuid("id", &id)?;
    let change = MemberChange {
        role: body.0.role,
        status: body.0.status.map(|s| match s {
            MemberStatusChange::Active => MemberStatus::Active,
            MemberStatusChange::Suspended => MemberStatus::Suspended,
        }),
    };
    let member = team::update_member(&state.db, ctx, id, change, &client).await?;
    // This process's cache learns at once; the others from the membership event.
    state
        .memberships
        .forget(ctx.org_id().uuid(), member.user_id);
    Ok(web::Json(convert::member(&member)))
}
