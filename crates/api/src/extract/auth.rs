//! `Authenticated`: adding it to a handler's parameters makes the route require a valid
//! bearer token AND an active membership in the token's organization. The role comes
//! from the database (through a cache that every change invalidates), so role changes
//! and deactivation apply on the next request.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use flux_domain::{OrgId, Permission, TenantCtx, UserId};
use flux_persistence::members;

use flux_app::sessions::jwt::AccessClaims;

use crate::{error::ApiError, state::AppState};

pub struct Authenticated(pub TenantCtx);

impl Authenticated {
    pub fn ctx(&self) -> &TenantCtx {
        &self.0
    }

    /// The permission check (`flux_domain::permissions`); 403 in the envelope when it fails.
    pub fn require(&self, permission: Permission) -> Result<&TenantCtx, ApiError> {
        self.0.require(permission)?;
        Ok(&self.0)
    }
}

/// The bearer token of a request, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
}

/// Verifies the access token and the member's active membership.
pub async fn authenticate(state: &AppState, token: Option<&str>) -> Result<TenantCtx, ApiError> {
    let token = token.ok_or_else(|| ApiError::Unauthorized("Autenticação necessária".into()))?;
    let claims = state
        .auth
        .sessions
        .keys
        .verify(token)
        .map_err(|_| ApiError::Unauthorized("Sessão inválida ou expirada".into()))?;
    member_ctx(state, &claims).await
}

/// The tenant context of verified claims, if the member is still active. The role
/// comes from the database, or from this process's cache of it, which every change
/// invalidates (see [`MembershipCache`](crate::auth::memberships::MembershipCache)).
pub async fn member_ctx(state: &AppState, claims: &AccessClaims) -> Result<TenantCtx, ApiError> {
    let cached = state.memberships.get(claims.org, claims.sub);
    state.metrics.membership_lookup(cached.is_some());
    let role = match cached {
        Some(role) => role,
        None => {
            let generation = state.memberships.generation();
            let mut conn = state.db.acquire().await?;
            let role = members::active_role(&mut conn, claims.org, claims.sub)
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthorized("Sua conta não está ativa nesta organização".into())
                })?;
            state
                .memberships
                .remember(claims.org, claims.sub, role, generation);
            role
        }
    };
    Ok(TenantCtx::new(
        OrgId::new(claims.org),
        UserId::new(claims.sub),
        role,
    ))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Already authenticated earlier in this request (Idempotency-Key middleware).
        if let Some(ctx) = req.extensions().get::<TenantCtx>().cloned() {
            return Box::pin(async move { Ok(Authenticated(ctx)) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState missing")))?;
            let ctx = authenticate(&state, token.as_deref()).await?;
            tracing::Span::current().record("user_id", tracing::field::display(ctx.user_id()));
            Ok(Authenticated(ctx))
        })
    }
}
