//! `/api/v1/leads`: companies the organization prospects.

use actix_web::{delete, get, http::header, patch, post, web, HttpResponse};
use flux_domain::Permission;
use flux_dto::{
    lead_query::LeadQueryParams,
    leads::{
        BulkAssignRequest, BulkLeadIds, BulkResult, CreateLeadRequest, EnrichmentAttemptList,
        LeadDto, LeadList, UpdateLeadRequest,
    },
    ErrorBody,
};
use futures_util::StreamExt;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::{
    lead_export,
    leads::{self, BulkAction, EnrichNow},
};

use crate::{
    convert,
    csv_export::attachment,
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::{lead_query::lead_filter, parse_uuid, Page, Paging},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    // Literal paths before `/leads/{id}` so `export` is never read as an id.
    cfg.service(export_leads)
        .service(list_leads)
        .service(create_lead)
        .service(archive_leads)
        .service(unarchive_leads)
        .service(assign_leads)
        .service(get_lead)
        .service(update_lead)
        .service(delete_lead)
        .service(enrich_lead)
        .service(list_enrichment_attempts);
}

/// The organization's leads: filters, accent-insensitive search (`q`), sort and
/// pages with the total. Archived leads are hidden unless `archived` says otherwise.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(LeadQueryParams, Paging),
    responses(
        (status = 200, description = "A page of leads", body = LeadList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 422, description = "A malformed filter, sort or page (named in the error)", body = ErrorBody),
    )
)]
#[get("/leads")]
async fn list_leads(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<LeadQueryParams>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<LeadList>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let (filter, sort) = lead_filter(&query)?;
    let Page { page, per_page } = paging.page()?;
    let (rows, total) = leads::list(&state.db, ctx, &filter, sort, page, per_page).await?;
    Ok(web::Json(LeadList {
        items: rows
            .into_iter()
            .map(convert::lead_list_item)
            .collect::<ApiResult<_>>()?,
        total,
        page,
        per_page,
    }))
}

/// Download the filtered leads (same filters as the list) as a CSV that opens in
/// Excel pt-BR: UTF-8 with BOM, `;`, dates in the organization's time zone
/// (`America/Sao_Paulo` unless changed). Streamed, any size.
/// Managers only (`leads:export`); every export is audited.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(LeadQueryParams),
    responses(
        (status = 200, description = "CSV of the filtered leads", content_type = "text/csv", body = String),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:export`", body = ErrorBody),
        (status = 422, description = "A malformed filter", body = ErrorBody),
    )
)]
#[get("/leads/export")]
async fn export_leads(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    query: web::Query<LeadQueryParams>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::LeadsExport)?;
    let (filter, _) = lead_filter(&query)?;
    let body = lead_export::export(state.db.clone(), ctx.clone(), filter, &client).await?;
    let name = format!("leads-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(&name))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body.map(|chunk| {
            chunk
                .map(web::Bytes::from)
                .map_err(|_| actix_web::error::ErrorInternalServerError("export failed"))
        })))
}

/// Add one company by CNPJ. It is queued for enrichment at once.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    request_body = CreateLeadRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters (e.g. a UUID). Retries with the same key within 24 h replay the first answer (`Idempotent-Replayed: true`); the same key with a different request is a 422.")),
    responses(
        (status = 201, description = "Lead created", body = LeadDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 402, description = "The plan's lead limit is reached", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 409, description = "A lead with this CNPJ exists", body = ErrorBody),
        (status = 422, description = "Invalid CNPJ, e-mail, phone, text or owner", body = ErrorBody),
    )
)]
#[post("/leads")]
async fn create_lead(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<CreateLeadRequest>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let lead = leads::create(&state.db, ctx, &body.0, &client).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/leads/{}", lead.id)))
        .json(convert::lead(&lead)?))
}

/// Change contact fields, status, owner or the do-not-contact flag. Absent fields
/// are kept; `null` clears a field.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Lead id (UUID)")),
    request_body = UpdateLeadRequest,
    responses(
        (status = 200, description = "The updated lead", body = LeadDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 422, description = "Invalid field (named in the error)", body = ErrorBody),
    )
)]
#[patch("/leads/{id}")]
async fn update_lead(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
    body: ValidJson<UpdateLeadRequest>,
) -> ApiResult<web::Json<LeadDto>> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let id = parse_uuid("id", &path)?;
    let lead = leads::update(&state.db, ctx, id, &body.0, &client).await?;
    Ok(web::Json(convert::lead(&lead)?))
}

/// Delete a lead (soft delete: it disappears everywhere; its CNPJ can be added again).
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Lead id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[delete("/leads/{id}")]
async fn delete_lead(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let id = parse_uuid("id", &path)?;
    leads::delete(&state.db, ctx, id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Archive leads (hidden from the default list, kept with their history).
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    request_body = BulkLeadIds,
    responses(
        (status = 200, description = "How many leads changed", body = BulkResult),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 422, description = "No ids or more than 1000", body = ErrorBody),
    )
)]
#[post("/leads/archive")]
async fn archive_leads(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<BulkLeadIds>,
) -> ApiResult<web::Json<BulkResult>> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let affected = leads::bulk(
        &state.db,
        ctx,
        &body.0.lead_ids,
        BulkAction::Archive,
        &client,
    )
    .await?;
    Ok(web::Json(BulkResult {
        affected: affected as i64,
    }))
}

/// Bring archived leads back.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    request_body = BulkLeadIds,
    responses(
        (status = 200, description = "How many leads changed", body = BulkResult),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 422, description = "No ids or more than 1000", body = ErrorBody),
    )
)]
#[post("/leads/unarchive")]
async fn unarchive_leads(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<BulkLeadIds>,
) -> ApiResult<web::Json<BulkResult>> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let affected = leads::bulk(
        &state.db,
        ctx,
        &body.0.lead_ids,
        BulkAction::Unarchive,
        &client,
    )
    .await?;
    Ok(web::Json(BulkResult {
        affected: affected as i64,
    }))
}

/// Give leads to a member (or to nobody with `owner_id: null`).
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    request_body = BulkAssignRequest,
    responses(
        (status = 200, description = "How many leads changed", body = BulkResult),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 422, description = "No ids, more than 1000, or the owner is not an active member", body = ErrorBody),
    )
)]
#[post("/leads/assign")]
async fn assign_leads(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<BulkAssignRequest>,
) -> ApiResult<web::Json<BulkResult>> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let action = BulkAction::Assign(body.0.owner_id);
    let affected = leads::bulk(&state.db, ctx, &body.0.lead_ids, action, &client).await?;
    Ok(web::Json(BulkResult {
        affected: affected as i64,
    }))
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
        &leads::get(&state.db, ctx, id).await?,
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
    Ok(
        match leads::enrich_now(&state.db, &state.ports.enrichment, ctx, id).await? {
            EnrichNow::Done(lead) => HttpResponse::Ok().json(convert::lead(&lead)?),
            EnrichNow::Scheduled(lead) => HttpResponse::Accepted().json(convert::lead(&lead)?),
        },
    )
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
    let attempts = leads::enrichment_attempts(&state.db, ctx, id).await?;
    Ok(web::Json(EnrichmentAttemptList {
        items: attempts
            .iter()
            .map(convert::enrichment_attempt)
            .collect::<ApiResult<_>>()?,
    }))
}
