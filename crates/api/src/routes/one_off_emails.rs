//! `/api/v1/leads/{id}/emails`: one-off e-mails to a lead, sent by Flux through the
//! author's mailbox.

use actix_web::{get, http::header, post, web, HttpResponse};
use flux_domain::Permission;
use flux_dto::{
    enrollments::{ResolveReviewRequest, ReviewOutcome},
    one_off_emails::{OneOffEmail, OneOffEmailList, SendOneOffEmailRequest},
    ErrorBody,
};
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::one_off_emails::{self, NewOneOffEmail};

use crate::{
    convert::one_off_emails as convert,
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::{parse_uuid, Page, Paging},
    state::AppState,
};

/// `/leads/{id}/emails/{email_id}`, each id named when malformed.
fn email_ids(path: &(String, String)) -> ApiResult<(uuid::Uuid, uuid::Uuid)> {
    Ok((parse_uuid("id", &path.0)?, parse_uuid("email_id", &path.1)?))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(send_email)
        .service(list_emails)
        .service(get_email)
        .service(resolve_email_review);
}

/// Send an e-mail to the lead from the caller's mailbox (e.g. an AI draft from "Gerar
/// com IA", edited). It is queued and delivered within seconds, exactly once: poll
/// `Location` until `state` is final. It carries the organization's open and click
/// tracking and an unsubscribe link, counts against the mailbox's daily cap (it is
/// not spaced like a cadence's messages), appears on the lead's timeline as `sent`
/// by the caller, and a reply to it ends the lead's running cadences. Honours
/// `Idempotency-Key` (a replayed answer has the e-mail's `id` but no `Location`).
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Lead id (UUID)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters (e.g. a UUID). Retries with the same key within 24 h replay the first answer (`Idempotent-Replayed: true`) instead of sending twice; the same key with a different request is a 422."),
    ),
    request_body = SendOneOffEmailRequest,
    responses(
        (status = 202, description = "Queued for delivery (`state` = `prepared`)", body = OneOffEmail,
         headers(("Location" = String, description = "The e-mail, to follow its state"))),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: the lead asked not to be contacted (`lead_id`), or the caller has no mailbox or it reached its daily cap (`mailbox`)", body = ErrorBody),
        (status = 422, description = "Empty, multi-line or over-long `subject`; empty or over-long `body`; `to` malformed, not one of the lead's addresses, or missing when the lead has no e-mail", body = ErrorBody),
    )
)]
#[post("/leads/{id}/emails")]
async fn send_email(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: ValidJson<SendOneOffEmailRequest>,
    client: Client,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let lead_id = parse_uuid("id", &path)?;
    let req = body.0;
    let email = one_off_emails::send(
        &state.db,
        ctx,
        lead_id,
        NewOneOffEmail {
            to: req.to,
            subject: req.subject,
            body: req.body,
            ai_generated: req.ai_generated,
        },
        &client,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/leads/{lead_id}/emails/{}", email.id),
        ))
        .json(convert::lead_email(email)))
}

/// The lead's one-off e-mails, newest first, with their states (e.g. to find those
/// waiting for a person: `needs_review`).
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Lead id (UUID)"), Paging),
    responses(
        (status = 200, description = "A page of e-mails", body = OneOffEmailList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such lead in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id, `page` or `per_page`", body = ErrorBody),
    )
)]
#[get("/leads/{id}/emails")]
async fn list_emails(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<OneOffEmailList>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let lead_id = parse_uuid("id", &path)?;
    let Page { page, per_page } = paging.page()?;
    let (items, total) = one_off_emails::list(&state.db, ctx, lead_id, page, per_page).await?;
    Ok(web::Json(OneOffEmailList {
        items: items.into_iter().map(convert::lead_email).collect(),
        total,
        page,
        per_page,
    }))
}

/// One of the lead's one-off e-mails: where its delivery is (`state`) and, when it
/// did not go out, why (`last_error`).
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Lead id (UUID)"),
        ("email_id" = String, Path, description = "E-mail id (UUID)"),
    ),
    responses(
        (status = 200, description = "The e-mail", body = OneOffEmail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such e-mail of this lead in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/leads/{id}/emails/{email_id}")]
async fn get_email(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<OneOffEmail>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let (lead_id, id) = email_ids(&path)?;
    let email = one_off_emails::get(&state.db, ctx, lead_id, id).await?;
    Ok(web::Json(convert::lead_email(email)))
}

/// Settle a one-off e-mail the mail server never confirmed (`needs_review`): after
/// checking the mailbox's sent folder, `sent` records it as sent now (on the
/// timeline); `not_sent` delivers it again.
#[utoipa::path(
    tag = "leads",
    security(("bearer_auth" = [])),
    params(
        ("id" = String, Path, description = "Lead id (UUID)"),
        ("email_id" = String, Path, description = "E-mail id (UUID)"),
    ),
    request_body = ResolveReviewRequest,
    responses(
        (status = 200, description = "The e-mail: `sent`, or `prepared` for a new delivery", body = OneOffEmail),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:write`; settling an e-mail another member sent requires `enrollments:send_as` (managers)", body = ErrorBody),
        (status = 404, description = "No such e-mail of this lead in this organization", body = ErrorBody),
        (status = 409, description = "`CONFLICT` (`email_id`): the e-mail is not waiting for review, or (`not_sent`) the delivery that left it for review is still finishing: try again shortly", body = ErrorBody),
        (status = 422, description = "Malformed id or outcome", body = ErrorBody),
    )
)]
#[post("/leads/{id}/emails/{email_id}/review")]
async fn resolve_email_review(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<(String, String)>,
    body: ValidJson<ResolveReviewRequest>,
) -> ApiResult<web::Json<OneOffEmail>> {
    let ctx = auth.require(Permission::LeadsWrite)?;
    let (lead_id, id) = email_ids(&path)?;
    let was_sent = body.0.outcome == ReviewOutcome::Sent;
    let email =
        one_off_emails::resolve_review(&state.db, ctx, lead_id, id, was_sent, &client).await?;
    Ok(web::Json(convert::lead_email(email)))
}
