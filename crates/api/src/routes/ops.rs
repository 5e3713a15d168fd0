//! Operations endpoints outside the versioned API: liveness, readiness, metrics.

use actix_web::{get, web, HttpRequest, HttpResponse};
use flux_dto::ErrorBody;
use flux_platform::crypto;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{error::ApiError, extract::auth::bearer_token, state::AppState};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = HealthStatus)))]
#[get("/healthz")]
async fn healthz() -> web::Json<HealthStatus> {
    web::Json(HealthStatus {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness: the database answers.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = HealthStatus),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(HealthStatus {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            let mut body = actix_web::ResponseError::error_response(&ApiError::Internal(
                anyhow::anyhow!("database unavailable"),
            ));
            *body.status_mut() = actix_web::http::StatusCode::SERVICE_UNAVAILABLE;
            body
        }
    }
}

/// Prometheus metrics (text exposition format). With `FLUX_METRICS_TOKEN` set, only
/// for `Authorization: Bearer <that token>`; otherwise open (keep it off the public
/// network).
#[utoipa::path(
    tag = "operations",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "Metrics in Prometheus text format", content_type = "text/plain; version=0.0.4", body = String),
        (status = 401, description = "`FLUX_METRICS_TOKEN` is set and the request does not carry it", body = ErrorBody),
    )
)]
#[get("/metrics")]
async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let presented = bearer_token(&req).unwrap_or_default();
        // Digests compared, so the time taken says nothing about the token.
        if crypto::token_hash(&presented) != crypto::token_hash(expected.expose()) {
            return Err(ApiError::Unauthorized(
                "As métricas exigem o token de FLUX_METRICS_TOKEN".into(),
            ));
        }
    }
    let pool = state.db.pool();
    state.metrics.set_pool(pool.size(), pool.num_idle());
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render()))
}
