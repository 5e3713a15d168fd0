//! `/api/v1/mailboxes`: each sender's SMTP (and IMAP) mailbox. Members manage their
//! own; managers (`integrations:manage`) every one.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use flux_domain::Permission;
use flux_dto::{
    mailboxes::{
        ConnectionCheck, CreateMailbox, MailboxDto, MailboxList, MailboxSync, MailboxTestResult,
        UpdateMailbox,
    },
    ErrorBody,
};
use flux_persistence::mailboxes::MailboxRecord;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::mailboxes;

use crate::{
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::parse_uuid,
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_mailboxes)
        .service(create_mailbox)
        .service(get_mailbox)
        .service(update_mailbox)
        .service(delete_mailbox)
        .service(test_mailbox);
}

fn to_dto(r: MailboxRecord) -> MailboxDto {
    let f = r.fields;
    MailboxDto {
        id: r.id,
        user_id: r.user_id,
        from_name: f.from_name,
        from_email: f.from_email,
        smtp_host: f.smtp_host,
        smtp_port: u16::try_from(f.smtp_port).unwrap_or_default(),
        smtp_security: f.smtp_security,
        smtp_username: f.smtp_username,
        imap_enabled: f.imap_enabled,
        imap_host: f.imap_host,
        imap_port: f.imap_port.and_then(|p| u16::try_from(p).ok()),
        imap_security: f.imap_security,
        imap_username: f.imap_username,
        imap_password_set: f.imap_password_enc.is_some(),
        imap_folder: f.imap_folder,
        daily_limit: f.daily_limit,
        min_interval_seconds: f.min_interval_seconds,
        sent_today: r.sent_today,
        sync: MailboxSync {
            last_poll_at: r.last_poll_at,
            last_poll_ok_at: r.last_poll_ok_at,
            last_poll_error: r.last_poll_error,
        },
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// Mailboxes: every one for managers, the caller's own for other members.
#[utoipa::path(
    tag = "mailboxes",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The mailboxes", body = MailboxList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:read`", body = ErrorBody),
    )
)]
#[get("/mailboxes")]
async fn list_mailboxes(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> ApiResult<web::Json<MailboxList>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    let items = mailboxes::list(&state.db, ctx).await?;
    Ok(web::Json(MailboxList {
        items: items.into_iter().map(to_dto).collect(),
    }))
}

/// Create a member's mailbox (one per member). The passwords are stored encrypted
/// and never returned.
#[utoipa::path(
    tag = "mailboxes",
    security(("bearer_auth" = [])),
    request_body = CreateMailbox,
    responses(
        (status = 201, description = "Created", body = MailboxDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:write`; another member's needs `integrations:manage`", body = ErrorBody),
        (status = 409, description = "The member already has a mailbox", body = ErrorBody),
        (status = 422, description = "A field is missing or invalid (named in `details.fields`)", body = ErrorBody),
    )
)]
#[post("/mailboxes")]
async fn create_mailbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<CreateMailbox>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let record = mailboxes::create(&state.db, &state.ports, ctx, body.0, &client).await?;
    Ok(HttpResponse::Created().json(to_dto(record)))
}

/// One mailbox.
#[utoipa::path(
    tag = "mailboxes",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Mailbox id (UUID)")),
    responses(
        (status = 200, description = "The mailbox", body = MailboxDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Another member's mailbox, without `integrations:manage`", body = ErrorBody),
        (status = 404, description = "No such mailbox in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/mailboxes/{id}")]
async fn get_mailbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<MailboxDto>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    let id = parse_uuid("id", &path)?;
    Ok(web::Json(to_dto(mailboxes::get(&state.db, ctx, id).await?)))
}

/// Change a mailbox; absent fields are kept, passwords only when given. Changing
/// the IMAP server, account or folder restarts its sync.
#[utoipa::path(
    tag = "mailboxes",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Mailbox id (UUID)")),
    request_body = UpdateMailbox,
    responses(
        (status = 200, description = "The updated mailbox", body = MailboxDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Another member's mailbox, without `integrations:manage`", body = ErrorBody),
        (status = 404, description = "No such mailbox in this organization", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `details.fields`)", body = ErrorBody),
    )
)]
#[patch("/mailboxes/{id}")]
async fn update_mailbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
    body: ValidJson<UpdateMailbox>,
) -> ApiResult<web::Json<MailboxDto>> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let id = parse_uuid("id", &path)?;
    Ok(web::Json(to_dto(
        mailboxes::update(&state.db, &state.ports, ctx, id, body.0, &client).await?,
    )))
}

/// Delete a mailbox. The member's e-mail steps pause ("no mailbox") until a new one
/// is set up.
#[utoipa::path(
    tag = "mailboxes",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Mailbox id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Another member's mailbox, without `integrations:manage`", body = ErrorBody),
        (status = 404, description = "No such mailbox in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[delete("/mailboxes/{id}")]
async fn delete_mailbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let id = parse_uuid("id", &path)?;
    mailboxes::delete(&state.db, ctx, id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Test the stored settings: connect, TLS, login and quit on the SMTP server (sending
/// nothing) and, when reply reading is on, on the IMAP server, opening the folder
/// read-only. A failure is a 200 with `ok: false` and the server's answer.
#[utoipa::path(
    tag = "mailboxes",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Mailbox id (UUID)")),
    responses(
        (status = 200, description = "What the connection showed", body = MailboxTestResult),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Another member's mailbox, without `integrations:manage`", body = ErrorBody),
        (status = 404, description = "No such mailbox in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
        (status = 429, description = "More than 10 connection tests by this member in a minute (`Retry-After`)", body = ErrorBody),
    )
)]
#[post("/mailboxes/{id}/test")]
async fn test_mailbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<MailboxTestResult>> {
    let ctx = auth.require(Permission::CadencesWrite)?;
    let id = parse_uuid("id", &path)?;
    state
        .auth
        .limits
        .check_mailbox_test(&ctx.user_id().to_string())?;
    let tests = mailboxes::test(&state.db, &state.ports, ctx, id).await?;
    Ok(web::Json(MailboxTestResult {
        smtp: check(tests.smtp),
        imap: tests.imap.map(check),
    }))
}

fn check(result: Result<String, String>) -> ConnectionCheck {
    match result {
        Ok(message) => ConnectionCheck { ok: true, message },
        Err(message) => ConnectionCheck { ok: false, message },
    }
}
