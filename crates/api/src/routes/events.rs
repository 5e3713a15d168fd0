//! `/api/v1/events`: the organization's live events as Server-Sent Events.

use actix_web::{
    get,
    http::header::{self, CacheControl, CacheDirective, ContentEncoding},
    post, web, HttpRequest, HttpResponse,
};
use flux_domain::TenantCtx;
use flux_dto::{
    events::{StreamQuery, StreamTicket},
    ErrorBody,
};
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::sessions::jwt::STREAM_TICKET_TTL_SECS;

use crate::{
    error::{ApiError, ApiResult},
    events::stream::sse,
    extract::{
        auth::{authenticate, bearer_token, member_ctx},
        Authenticated,
    },
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_ticket).service(stream_events);
}

/// A one-minute ticket to open the events stream from a browser `EventSource`
/// (which cannot send an `Authorization` header). API clients can skip it and send
/// their bearer token to `GET /api/v1/events` directly.
#[utoipa::path(
    tag = "events",
    security(("bearer_auth" = [])),
    responses(
        (status = 201, description = "Ticket issued", body = StreamTicket),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    )
)]
#[post("/events/ticket")]
async fn create_ticket(state: web::Data<AppState>, auth: Authenticated) -> ApiResult<HttpResponse> {
    let ctx = auth.ctx();
    let ticket = state
        .auth
        .sessions
        .keys
        .issue_stream_ticket(ctx.user_id().uuid(), ctx.org_id().uuid())
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Created().json(StreamTicket {
        ticket,
        expires_in: STREAM_TICKET_TTL_SECS,
    }))
}

async fn stream_ctx(
    state: &AppState,
    req: &HttpRequest,
    ticket: Option<&str>,
) -> ApiResult<TenantCtx> {
    if let Some(token) = bearer_token(req) {
        return authenticate(state, Some(&token)).await;
    }
    let ticket = ticket.ok_or_else(|| ApiError::Unauthorized("Autenticação necessária".into()))?;
    let claims = state
        .auth
        .sessions
        .keys
        .verify_stream_ticket(ticket)
        .map_err(|_| ApiError::Unauthorized("Ticket inválido ou expirado".into()))?;
    member_ctx(state, &claims).await
}

/// The organization's live events (`text/event-stream`). Each event has an `id`, an
/// `event` kind and JSON `data`: `import.created`, `import.progress`,
/// `import.completed`, `import.failed` (data: the import's counters and status);
/// `lead.created`, `lead.updated`, `lead.deleted`, `lead.enrichment_started`,
/// `lead.enriched`, `lead.not_found`, `lead.enrichment_failed` (data: `lead_id` and
/// details); `leads.archived`, `leads.unarchived`, `leads.assigned` (data: `count`). Reconnect with the
/// `Last-Event-ID` header (or `?last_event_id=`) to receive what was missed (up to 500
/// events of the last 24 h). A `: ping` comment is sent every 15 s.
#[utoipa::path(
    tag = "events",
    security(("bearer_auth" = []), ()),
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "Id of the last event received"),
    ),
    responses(
        (status = 200, description = "Event stream", content_type = "text/event-stream", body = String),
        (status = 401, description = "No valid bearer token or ticket", body = ErrorBody),
        (status = 422, description = "Malformed `last_event_id`", body = ErrorBody),
    )
)]
#[get("/events")]
async fn stream_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<StreamQuery>,
) -> ApiResult<HttpResponse> {
    let ctx = stream_ctx(&state, &req, query.ticket.as_deref()).await?;
    let last_event_id = match req.headers().get("last-event-id") {
        Some(raw) => Some(
            raw.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| ApiError::field("Last-Event-ID", "deve ser um número inteiro"))?,
        ),
        None => query.last_event_id,
    };
    // Subscribe before the replay is read so nothing published in between is lost.
    let receiver = state.events.subscribe();
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(CacheControl(vec![
            CacheDirective::NoCache,
            CacheDirective::NoTransform,
        ]))
        // Never buffered by the compression middleware or a proxy.
        .insert_header(ContentEncoding::Identity)
        .insert_header((header::HeaderName::from_static("x-accel-buffering"), "no"))
        .streaming(sse(state.db.clone(), ctx, receiver, last_event_id)))
}
