//! Operations endpoints outside the versioned API: liveness, readiness, metrics.

use actix_web::{get, web, HttpResponse};
use flux_dto::ErrorBody;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{error::ApiError, state::AppState};

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

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Metrics in Prometheus text format", content_type = "text/plain; version=0.0.4", body = String))
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.db.pool();
    state.metrics.set_pool(pool.size(), pool.num_idle());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
