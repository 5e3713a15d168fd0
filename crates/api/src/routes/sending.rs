//! `/api/v1/organization/sending`: the send window and tracking settings.

use actix_web::{get, patch, web};
use flux_domain::Permission;
use flux_dto::{
    sending::{SendingSettings, UpdateSendingSettings, Weekday},
    ErrorBody,
};
use flux_persistence::organizations::SendingSettings as Record;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::sending::{self, SendingPatch};

use crate::{
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_sending).service(update_sending);
}

fn to_dto(settings: &Record) -> SendingSettings {
    SendingSettings {
        timezone: settings.timezone.clone(),
        days: Weekday::ALL
            .into_iter()
            .filter(|d| settings.days.contains(&d.iso()))
            .collect(),
        start: settings.start.format("%H:%M").to_string(),
        end: settings.end.format("%H:%M").to_string(),
        send_on_optional_holidays: settings.send_on_optional_holidays,
        track_opens: settings.track_opens,
        track_clicks: settings.track_clicks,
        ai_fallback: settings.ai_fallback,
        next_open_at: sending::next_open_at(settings),
    }
}

/// The organization's send window and tracking settings.
#[utoipa::path(
    tag = "organization",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The settings", body = SendingSettings),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `cadences:read`", body = ErrorBody),
    )
)]
#[get("/organization/sending")]
async fn get_sending(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> ApiResult<web::Json<SendingSettings>> {
    let ctx = auth.require(Permission::CadencesRead)?;
    Ok(web::Json(to_dto(&sending::get(&state.db, ctx).await?)))
}

/// Change the send window (time zone, days, hours, pontos facultativos), tracking, or
/// what AI-personalized steps do when no AI text can be had.
/// Steps already scheduled move into the new window when they come due.
#[utoipa::path(
    tag = "organization",
    security(("bearer_auth" = [])),
    request_body = UpdateSendingSettings,
    responses(
        (status = 200, description = "The updated settings", body = SendingSettings),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `integrations:manage` (managers)", body = ErrorBody),
        (status = 422, description = "Unknown time zone, no days, a malformed time or `end` not after `start`", body = ErrorBody),
    )
)]
#[patch("/organization/sending")]
async fn update_sending(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<UpdateSendingSettings>,
) -> ApiResult<web::Json<SendingSettings>> {
    let ctx = auth.require(Permission::IntegrationsManage)?;
    let req = body.0;
    let patch = SendingPatch {
        timezone: req.timezone,
        days: req.days.map(|days| days.iter().map(|d| d.iso()).collect()),
        start: req.start,
        end: req.end,
        send_on_optional_holidays: req.send_on_optional_holidays,
        track_opens: req.track_opens,
        track_clicks: req.track_clicks,
        ai_fallback: req.ai_fallback,
    };
    Ok(web::Json(to_dto(
        &sending::update(&state.db, ctx, patch, &client).await?,
    )))
}
