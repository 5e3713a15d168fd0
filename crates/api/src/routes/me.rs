//! `/api/v1/me`: the signed-in user, the active organization, role and permissions.

use actix_web::{get, web};
use flux_dto::{auth::MeResponse, ErrorBody};
use flux_persistence::{members, organizations, users};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    convert,
    error::{ApiError, ApiResult},
    extract::Authenticated,
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(me);
}

/// The current user, organization, role, permissions and other memberships.
#[utoipa::path(
    tag = "me",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "Current session", body = MeResponse),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    )
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, auth: Authenticated) -> ApiResult<web::Json<MeResponse>> {
    let ctx = auth.ctx();
    let mut tx = state.db.begin_tenant(ctx).await?;
    let organization = organizations::current(&mut tx).await?;
    let subscription = organizations::subscription(&mut tx).await?;
    tx.commit().await?;

    let mut conn = state.db.acquire().await?;
    let user = users::find_by_id(&mut conn, ctx.user_id().uuid())
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Sessão inválida".into()))?;
    let memberships = members::active_memberships(&mut conn, user.id).await?;

    Ok(web::Json(MeResponse {
        user: convert::user(&user),
        organization: convert::organization(&organization),
        role: ctx.role(),
        permissions: ctx
            .role()
            .permissions()
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        memberships: memberships.iter().map(convert::membership).collect(),
        subscription: subscription.as_ref().map(convert::subscription),
    }))
}
