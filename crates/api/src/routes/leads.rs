//! `/api/v1/leads`: companies the organization prospects.

use actix_web::{get, post, web, HttpResponse};
use flux_domain::Permission;
use flux_dto::{
    leads::{EnrichmentAttemptList, LeadDto},
    ErrorBody,
};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    convert,
    error::ApiResult,
    extract::Authenticated,
    routes::parse_uuid,
    services::leads::{self, EnrichNow},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_lead)
        .service(enrich_lead)
        .service(list_enrichment_attempts);
}

/// One lead with its company data, partners and contacts.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Lead id (UUID)")),
    responses(
        (status = 200, description = "The lead", body = LeadDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/leads/{id}")]
async fn get_lead(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<LeadDto>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let id = parse_uuid("id", &path)?;
    Ok(web::Json(convert::lead(
        &leads::get(&state, ctx, id).await?,
    )?))
}

/// Enrich one lead now from the public registry providers (with fallback and the
/// shared cache), plus premium contacts on Pro and Enterprise plans. 200 with the
/// updated lead when a provider answered (enriched or not found); 202 when none
/// could (rate limits, outages): the lead is queued and retried with backoff, and the
/// `lead.enriched` / `lead.enrichment_failed` event tells how it ended.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Lead id (UUID)")),
    responses(
        (status = 200, description = "Enrichment finished (`enrichment_status` is `enriched` or `not_found`)", body = LeadDto),
        (status = 202, description = "Providers unavailable now; enrichment queued", body = LeadDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[post("/leads/{id}/enrich")]
async fn enrich_lead(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let id = parse_uuid("id", &path)?;
    Ok(match leads::enrich_now(&state, ctx, id).await? {
        EnrichNow::Done(lead) => HttpResponse::Ok().json(convert::lead(&lead)?),
        EnrichNow::Scheduled(lead) => HttpResponse::Accepted().json(convert::lead(&lead)?),
    })
}

/// The lead's enrichment history, newest first (last 100 provider calls).
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Lead id (UUID)")),
    responses(
        (status = 200, description = "Provider calls", body = EnrichmentAttemptList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/leads/{id}/enrichment-attempts")]
async fn list_enrichment_attempts(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<EnrichmentAttemptList>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let id = parse_uuid("id", &path)?;
    let attempts = leads::enrichment_attempts(&state, ctx, id).await?;
    Ok(web::Json(EnrichmentAttemptList {
        items: attempts
            .iter()
            .map(convert::enrichment_attempt)
            .collect::<ApiResult<_>>()?,
    }))
}
