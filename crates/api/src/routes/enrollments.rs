//! `/api/v1/cadences/{id}/enrollments` (leads going through a cadence), the cadence
//! funnel and `/api/v1/leads/{id}/timeline`.

use actix_web::{delete, get, post, web};
use flux_domain::{enrollment::EnrollmentAction, Permission};
use flux_dto::{
    enrollments::{
        CadenceFunnel, EnrollRefusal, EnrollRequest, EnrollResult, EnrolledLead, EnrollmentDto,
        EnrollmentList, EnrollmentQuery, LeadTimeline, ResolveReviewRequest, ReviewOutcome,
    },
    ErrorBody,
};
use flux_persistence::enrollments::EnrollmentFilter;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::enrollments;

use crate::{
    convert::enrollments as convert,
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::{parse_uuid, Page, Paging},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(enroll_leads)
        .service(list_enrollments)
        .service(get_enrollment)
        .service(unenroll)
        .service(pause_enrollment)
        .service(resume_enrollment)
        .service(resolve_review)
        .service(cadence_funnel)
        .service(lead_timeline);
}

/// Enroll leads (1–1000) in a cadence. Each lead is enrolled or refused with a reason:
/// not found, opted out, archived, no address for the first step's channel, or
/// already active/paused in this cadence. Leads of a draft or paused cadence wait
/// until it is active.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Cadence id (UUID)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters (e.g. a UUID). Retries with the same key within 24 h replay the first answer (`Idempotent-Replayed: true`); the same key with a different request is a 422."),
    ),
    request_body = EnrollRequest,
    responses(
        (status = 200, description = "Per-lead result", body = EnrollResult),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`; a `sender_id` other than the caller requires `enrollments:send_as` (managers)", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 409, description = "The cadence is archived", body = ErrorBody),
        (status = 422, description = "No ids or more than 1000, or `sender_id` is not an active member", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/enrollments")]
async fn enroll_leads(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
    body: ValidJson<EnrollRequest>,
) -> ApiResult<web::Json<EnrollResult>> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let id = parse_uuid("id", &path)?;
    let req = body.0;
    let outcome =
        enrollments::enroll(&state.db, ctx, id, &req.lead_ids, req.sender_id, &client).await?;
    Ok(web::Json(EnrollResult {
        enrolled: outcome
            .enrolled
            .into_iter()
            .map(|(lead_id, enrollment_id)| EnrolledLead {
                lead_id,
                enrollment_id,
            })
            .collect(),
        refused: outcome
            .refused
            .into_iter()
            .map(|(lead_id, reason)| EnrollRefusal {
                lead_id,
                reason: convert::refusal_to_dto(reason),
                message: reason.message(),
            })
            .collect(),
    }))
}

/// The enrollments of a cadence, most recent first.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)"), EnrollmentQuery, Paging),
    responses(
        (status = 200, description = "A page of enrollments", body = EnrollmentList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:read`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id, status or page (named in the error)", body = ErrorBody),
    )
)]
#[get("/cadences/{id}/enrollments")]
async fn list_enrollments(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
    query: web::Query<EnrollmentQuery>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<EnrollmentList>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    let id = parse_uuid("id", &path)?;
    let Page { page, per_page } = paging.page()?;
    let filter = EnrollmentFilter {
        status: query.status,
        ..EnrollmentFilter::default()
    };
    let (items, total) =
        enrollments::list_for_cadence(&state.db, ctx, id, filter, page, per_page).await?;
    Ok(web::Json(EnrollmentList {
        items: items.iter().map(convert::enrollment).collect(),
        total,
        page,
        per_page,
    }))
}

fn ids(path: &(String, String)) -> ApiResult<(uuid::Uuid, uuid::Uuid)> {
    Ok((
        parse_uuid("id", &path.0)?,
        parse_uuid("enrollment_id", &path.1)?,
    ))
}

#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Cadence id (UUID)"),
        ("enrollment_id" = String, Path, description = "Enrollment id (UUID)"),
    ),
    responses(
        (status = 200, description = "The enrollment", body = EnrollmentDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:read`", body = ErrorBody),
        (status = 404, description = "No such enrollment in this cadence", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/cadences/{id}/enrollments/{enrollment_id}")]
async fn get_enrollment(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<EnrollmentDto>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    let (cadence_id, id) = ids(&path)?;
    Ok(web::Json(convert::enrollment(
        &enrollments::get(&state.db, ctx, cadence_id, id).await?,
    )))
}

async fn act(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<(String, String)>,
    action: EnrollmentAction,
) -> ApiResult<web::Json<EnrollmentDto>> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let (cadence_id, id) = ids(&path)?;
    Ok(web::Json(convert::enrollment(
        &enrollments::act(&state.db, ctx, cadence_id, id, action, &client).await?,
    )))
}

/// Take the lead out of the cadence (status `stopped`); what was sent stays in the
/// history, and the lead may be enrolled again.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Cadence id (UUID)"),
        ("enrollment_id" = String, Path, description = "Enrollment id (UUID)"),
    ),
    responses(
        (status = 200, description = "The stopped enrollment", body = EnrollmentDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`", body = ErrorBody),
        (status = 404, description = "No such enrollment in this cadence", body = ErrorBody),
        (status = 409, description = "The enrollment already ended", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[delete("/cadences/{id}/enrollments/{enrollment_id}")]
async fn unenroll(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<EnrollmentDto>> {
    act(state, auth, client, path, EnrollmentAction::Unenroll).await
}

/// Hold this lead's steps until resumed.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Cadence id (UUID)"),
        ("enrollment_id" = String, Path, description = "Enrollment id (UUID)"),
    ),
    responses(
        (status = 200, description = "The paused enrollment", body = EnrollmentDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`", body = ErrorBody),
        (status = 404, description = "No such enrollment in this cadence", body = ErrorBody),
        (status = 409, description = "Already paused, or ended", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/enrollments/{enrollment_id}/pause")]
async fn pause_enrollment(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<EnrollmentDto>> {
    act(state, auth, client, path, EnrollmentAction::Pause).await
}

/// Go on: a step that came due while paused goes out in the next open slot of the
/// send window; a step that failed is tried again.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Cadence id (UUID)"),
        ("enrollment_id" = String, Path, description = "Enrollment id (UUID)"),
    ),
    responses(
        (status = 200, description = "The active enrollment", body = EnrollmentDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`", body = ErrorBody),
        (status = 404, description = "No such enrollment in this cadence", body = ErrorBody),
        (status = 409, description = "Not paused, ended, or a send awaits review", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/enrollments/{enrollment_id}/resume")]
async fn resume_enrollment(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<EnrollmentDto>> {
    act(state, auth, client, path, EnrollmentAction::Resume).await
}

/// Settle a send that a crash left unknown (the enrollment is paused with
/// `review_required`): `sent` records it and moves the lead on; `not_sent` sends it
/// again. Either way the enrollment is active again.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Cadence id (UUID)"),
        ("enrollment_id" = String, Path, description = "Enrollment id (UUID)"),
    ),
    request_body = ResolveReviewRequest,
    responses(
        (status = 200, description = "The enrollment, active again (or completed)", body = EnrollmentDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`; settling another member's send requires `enrollments:send_as` (managers)", body = ErrorBody),
        (status = 404, description = "No such enrollment in this cadence", body = ErrorBody),
        (status = 409, description = "No send of this enrollment awaits review", body = ErrorBody),
        (status = 422, description = "Malformed id or outcome", body = ErrorBody),
    )
)]
#[post("/cadences/{id}/enrollments/{enrollment_id}/review")]
async fn resolve_review(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<(String, String)>,
    body: ValidJson<ResolveReviewRequest>,
) -> ApiResult<web::Json<EnrollmentDto>> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let (cadence_id, id) = ids(&path)?;
    let was_sent = body.0.outcome == ReviewOutcome::Sent;
    Ok(web::Json(convert::enrollment(
        &enrollments::resolve_review(&state.db, ctx, cadence_id, id, was_sent, &client).await?,
    )))
}

/// Per step: how many leads were sent the message, and how many of them had it
/// delivered, opened, clicked, replied, bounced, failed or unsubscribed.
#[utoipa::path(
    tag = "enrollments",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Cadence id (UUID)")),
    responses(
        (status = 200, description = "The funnel, one entry per step in order", body = CadenceFunnel),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:read`", body = ErrorBody),
        (status = 404, description = "No such cadence in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/cadences/{id}/funnel")]
async fn cadence_funnel(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<CadenceFunnel>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    let id = parse_uuid("id", &path)?;
    let rows = enrollments::funnel(&state.db, ctx, id).await?;
    Ok(web::Json(convert::funnel(id, &rows)))
}

/// A lead's timeline: its interactions (a page, newest first) and every enrollment.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Lead id (UUID)"), Paging),
    responses(
        (status = 200, description = "The timeline", body = LeadTimeline),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id or page", body = ErrorBody),
    )
)]
#[get("/leads/{id}/timeline")]
async fn lead_timeline(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<LeadTimeline>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let id = parse_uuid("id", &path)?;
    let Page { page, per_page } = paging.page()?;
    let timeline = enrollments::timeline(&state.db, ctx, id, page, per_page).await?;
    Ok(web::Json(LeadTimeline {
        interactions: timeline
            .interactions
            .iter()
            .map(convert::interaction)
            .collect(),
        total: timeline.total,
        page,
        per_page,
        enrollments: timeline
            .enrollments
            .iter()
            .map(convert::enrollment)
            .collect(),
    }))
}
