//! `Authenticated`: adding it to a handler's parameters makes the route require a valid
//! bearer token AND an active membership in the token's organization. The role comes
//! from the database, so role changes and deactivation apply on the next request.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use flux_domain::{OrgId, Permission, TenantCtx, UserId};
use flux_persistence::members;

use crate::{error::ApiError, state::AppState};

pub struct Authenticated(pub TenantCtx);

impl Authenticated {
    pub fn ctx(&self) -> &TenantCtx {
        &self.0
    }

    /// The permission check of seed 000 §11; 403 in the envelope when it fails.
    pub fn require(&self, permission: Permission) -> Result<&TenantCtx, ApiError> {
        self.0.require(permission)?;
        Ok(&self.0)
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState missing")))?;
            let token =
                bearer.ok_or_else(|| ApiError::Unauthorized("Autenticação necessária".into()))?;
            let claims = state
                .jwt
                .verify(&token)
                .map_err(|_| ApiError::Unauthorized("Sessão inválida ou expirada".into()))?;
            let mut conn = state.db.acquire().await?;
            let role = members::active_role(&mut conn, claims.org, claims.sub)
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthorized("Sua conta não está ativa nesta organização".into())
                })?;
            tracing::Span::current().record("user_id", tracing::field::display(claims.sub));
            Ok(Authenticated(TenantCtx::new(
                OrgId::new(claims.org),
                UserId::new(claims.sub),
                role,
            )))
        })
    }
}
