//! The organization's sending settings (send window, tracking, the AI fallback).

use chrono::{NaiveTime, Utc};
use flux_domain::{ai_message::AiFallback, TenantCtx};
use flux_persistence::organizations::{self, SendingSettings};
use flux_persistence::Db;
use serde_json::json;

use crate::{
    audit::audit_change,
    error::{AppError, AppResult},
    ClientInfo,
};

/// What a PATCH changes; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct SendingPatch {
    pub timezone: Option<String>,
    pub days: Option<Vec<i16>>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub send_on_optional_holidays: Option<bool>,
    pub track_opens: Option<bool>,
    pub track_clicks: Option<bool>,
    pub ai_fallback: Option<AiFallback>,
}

fn parse_time(field: &str, raw: &str) -> AppResult<NaiveTime> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map_err(|_| AppError::field(field, format!("{raw:?} não é um horário HH:MM")))
}

pub async fn get(db: &Db, ctx: &TenantCtx) -> AppResult<SendingSettings> {
    let mut tx = db.begin_tenant(ctx).await?;
    let settings = organizations::sending_settings(&mut tx).await?;
    tx.end_read_only();
    Ok(settings)
}

pub async fn update(
    db: &Db,
    ctx: &TenantCtx,
    patch: SendingPatch,
    client: &ClientInfo,
) -> AppResult<SendingSettings> {
    let mut tx = db.begin_tenant(ctx).await?;
    let current = organizations::sending_settings(&mut tx).await?;
    let mut days = patch.days.unwrap_or_else(|| current.days.clone());
    days.sort_unstable();
    days.dedup();
    let next = SendingSettings {
        timezone: patch
            .timezone
            .map(|t| t.trim().to_owned())
            .unwrap_or_else(|| current.timezone.clone()),
        days,
        start: match &patch.start {
            Some(raw) => parse_time("start", raw)?,
            None => current.start,
        },
        end: match &patch.end {
            Some(raw) => parse_time("end", raw)?,
            None => current.end,
        },
        send_on_optional_holidays: patch
            .send_on_optional_holidays
            .unwrap_or(current.send_on_optional_holidays),
        track_opens: patch.track_opens.unwrap_or(current.track_opens),
        track_clicks: patch.track_clicks.unwrap_or(current.track_clicks),
        ai_fallback: patch.ai_fallback.unwrap_or(current.ai_fallback),
    };
    next.window()
        .map_err(|e| AppError::field(e.field(), e.to_string()))?;
    organizations::update_sending_settings(&mut tx, &next).await?;
    let org_id = ctx.org_id().uuid();
    audit_change(
        &mut tx,
        client,
        "organization.sending_updated",
        "organization",
        org_id,
        json!({
            "timezone": next.timezone,
            "days": next.days,
            "start": next.start.format("%H:%M").to_string(),
            "end": next.end.format("%H:%M").to_string(),
            "send_on_optional_holidays": next.send_on_optional_holidays,
            "track_opens": next.track_opens,
            "track_clicks": next.track_clicks,
            "ai_fallback": next.ai_fallback.as_str(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// When the window next opens (for a lead with no UF).
pub fn next_open_at(settings: &SendingSettings) -> chrono::DateTime<Utc> {
    let now = Utc::now();
    settings
        .window()
        .map(|w| w.next_open(now, None))
        .unwrap_or(now)
}
