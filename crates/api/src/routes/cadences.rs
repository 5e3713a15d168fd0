//! `/api/v1/cadences`: sequences of steps (inside the cadence body) and their lifecycle.

use actix_web::{delete, get, http::header, patch, post, web, HttpResponse};
use flux_domain::{cadence::CadenceAction, Permission};
use flux_dto::{
    cadences::{CadenceDto, CadenceList, CadenceQuery, CreateCadenceRequest, UpdateCadenceRequest},
    ErrorBody,
};
use flux_persistence::cadences::CadenceFilter;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::cadences::{self, CadencePatch};

use crate::{
    convert::cadences as convert,
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::{parse_uuid, search_text, Page, Paging},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_cadences)
        .service(create_cadence)
        .service(get_cadence)
        .service(update_cadence)
        .service(delete_cadence)
        .service(activate_cadence)
        .service(pause_cadence)
        .service(resume_cadence)
        .service(archive_cadence);
}

/// The organization's cadences, newest first, with their steps and how many
/// enrollments are in each status.
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(CadenceQuery, Paging),
    responses(
        (status = 200, description = "A page of cadences", body = CadenceList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:read`", body = ErrorBody),
        (status = 422, description = "Unknown status or malformed page (named in the error)", body = ErrorBody),
    )
)]
#[get("/cadences")]
async fn list_cadences(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<CadenceQuery>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<CadenceList>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    let Page { page, per_page } = paging.page()?;
    let query = query.into_inner();
    let filter = CadenceFilter {
        status: query.status,
        q: search_text("q", query.q)?,
    };
    let (items, total) = cadences::list(&state.db, ctx, &filter, page, per_page).await?;
    Ok(web::Json(CadenceList {
        items: items.iter().map(convert::cadence).collect(),
        total,
        page,
        per_page,
    }))
}

/// Create a cadence (as a draft) with its steps, in order.
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    request_body = CreateCadenceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters (e.g. a UUID). Retries with the same key within 24 h replay the first answer (`Idempotent-Replayed: true`); the same key with a different request is a 422.")),
    responses(
        (status = 201, description = "Cadence created (draft)", body = CadenceDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`", body = ErrorBody),
        (status = 422, description = "Invalid name, description or step (e.g. `steps[1].delay_days`)", body = ErrorBody),
    )
)]
#[post("/cadences")]
async fn create_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<CreateCadenceRequest>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let req = body.0;
    let steps: Vec<_> = req.steps.iter().map(convert::step_request).collect();
    let cadence = cadences::create(
        &state.db,
        ctx,
        &req.name,
        req.description.as_deref(),
        &steps,
        &client,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/cadences/{}", cadence.id)))
        .json(convert::cadence(&cadence)))
}

#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    responses(
        (status = 200, description = "The cadence", body = CadenceDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:read`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/cadences/{id}")]
async fn get_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<CadenceDto>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    let id = parse_uuid("id", &path)?;
    Ok(web::Json(convert::cadence(
        &cadences::get(&state.db, ctx, id).await?,
    )))
}

/// Rename, describe or change the steps (the whole list, in order). Allowed while
/// leads are enrolled: nobody gets a step twice, leads waiting for a removed step move
/// on to the next, a changed delay reschedules the leads waiting for that step.
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    request_body = UpdateCadenceRequest,
    responses(
        (status = 200, description = "The updated cadence", body = CadenceDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 409, description = "The cadence is archived", body = ErrorBody),
        (status = 422, description = "Invalid field (named, e.g. `steps[0].template_id`)", body = ErrorBody),
    )
)]
#[patch("/cadences/{id}")]
async fn update_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
    body: ValidJson<UpdateCadenceRequest>,
) -> ApiResult<web::Json<CadenceDto>> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let id = parse_uuid("id", &path)?;
    let req = body.0;
    let patch = CadencePatch {
        name: req.name,
        description: req.description,
        steps: req
            .steps
            .map(|steps| steps.iter().map(convert::step_request).collect()),
    };
    Ok(web::Json(convert::cadence(
        &cadences::update(&state.db, ctx, id, patch, &client).await?,
    )))
}

/// Delete a cadence (soft delete); its running enrollments stop.
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[delete("/cadences/{id}")]
async fn delete_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let id = parse_uuid("id", &path)?;
    cadences::delete(&state.db, ctx, id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn transition(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
    action: CadenceAction,
) -> ApiResult<web::Json<CadenceDto>> {
    let ctx = auth.require(Permission::CadencesActivate)?;
    let id = parse_uuid("id", &path)?;
    Ok(web::Json(convert::cadence(
        &cadences::transition(&state.db, ctx, id, action, &client).await?,
    )))
}

/// Start sending: a draft becomes active and its enrolled leads start receiving steps.
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    responses(
        (status = 200, description = "The active cadence", body = CadenceDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:activate`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 409, description = "Not a draft", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/activate")]
async fn activate_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<web::Json<CadenceDto>> {
    transition(state, auth, client, path, CadenceAction::Activate).await
}

/// Hold every enrollment of an active cadence (each keeps its own status).
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    responses(
        (status = 200, description = "The paused cadence", body = CadenceDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:activate`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 409, description = "Not active", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/pause")]
async fn pause_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<web::Json<CadenceDto>> {
    transition(state, auth, client, path, CadenceAction::Pause).await
}

/// Send again: overdue steps go out in the next open slot of the send window.
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    responses(
        (status = 200, description = "The active cadence", body = CadenceDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:activate`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 409, description = "Not paused", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/resume")]
async fn resume_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<web::Json<CadenceDto>> {
    transition(state, auth, client, path, CadenceAction::Resume).await
}

/// Retire a cadence for good: running enrollments stop; history stays.
#[utoipa::path(
    tag = "cadences",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    responses(
        (status = 200, description = "The archived cadence", body = CadenceDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:activate`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 409, description = "Already archived", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/archive")]
async fn archive_cadence(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<web::Json<CadenceDto>> {
    transition(state, auth, client, path, CadenceAction::Archive).await
}
