//! Organizations and their subscription.

use chrono::{DateTime, Utc};
use flux_domain::ai_message::AiFallback;
use flux_domain::subscription::SubscriptionStatus;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::RepoResult, RepoError, TenantTx};

#[derive(Debug, Clone)]
pub struct OrganizationRecord {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SubscriptionRecord {
    pub plan_slug: String,
    pub plan_name: String,
    pub status: SubscriptionStatus,
    pub current_period_end: DateTime<Utc>,
    pub included_users: i32,
    pub max_leads: i32,
    /// `basic`, `lemit` or `full` (the plan's features): premium enrichment
    /// is allowed from `lemit` up.
    pub enrichment_tier: String,
}

/// Sign-up: the organization, its first manager and a
/// Starter subscription in trial, inside the caller's transaction.
pub async fn create_with_owner(
    conn: &mut PgConnection,
    name: &str,
    slug_base: &str,
    owner_id: Uuid,
) -> RepoResult<OrganizationRecord> {
    let org = insert_with_unique_slug(conn, name, slug_base, owner_id).await?;
    sqlx::query!(
        "INSERT INTO organization_members (org_id, user_id, role, status, accepted_at)
         VALUES ($1, $2, 'manager', 'active', now())",
        org.id,
        owner_id
    )
    .execute(&mut *conn)
    .await?;
    let inserted = sqlx::query!(
        "INSERT INTO subscriptions (org_id, plan_id, status)
         SELECT $1, id, 'trialing' FROM plans WHERE slug = 'starter' AND active",
        org.id
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() != 1 {
        // The plan seed is part of the first migration; its absence is corruption.
        return Err(RepoError::Db(sqlx::Error::Protocol(
            "plan 'starter' is missing".into(),
        )));
    }
    Ok(org)
}

/// Tries `base`, then `base-<8 hex>` until a free slug is found. `ON CONFLICT DO
/// NOTHING` keeps the surrounding transaction usable on collisions.
async fn insert_with_unique_slug(
    conn: &mut PgConnection,
    name: &str,
    base: &str,
    owner_id: Uuid,
) -> RepoResult<OrganizationRecord> {
    for attempt in 0..8 {
        let slug = if attempt == 0 {
            base.to_owned()
        } else {
            format!("{base}-{}", &Uuid::new_v4().simple().to_string()[..8])
        };
        let row = sqlx::query_as!(
            OrganizationRecord,
            "INSERT INTO organizations (name, slug, owner_id) VALUES ($1, $2, $3)
             ON CONFLICT (slug) DO NOTHING RETURNING id, name, slug, timezone, created_at",
            name,
            slug,
            owner_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(org) = row {
            return Ok(org);
        }
    }
    Err(RepoError::Conflict {
        constraint: "organizations_slug_key".into(),
    })
}

pub async fn find_by_id_system(
    conn: &mut PgConnection,
    id: Uuid,
) -> RepoResult<Option<OrganizationRecord>> {
    Ok(sqlx::query_as!(
        OrganizationRecord,
        "SELECT id, name, slug, timezone, created_at FROM organizations WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// The tenant's own organization.
pub async fn current(tx: &mut TenantTx) -> RepoResult<OrganizationRecord> {
    let org_id = tx.ctx().org_id().uuid();
    Ok(sqlx::query_as!(
        OrganizationRecord,
        "SELECT id, name, slug, timezone, created_at FROM organizations WHERE id = $1",
        org_id
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Serializes changes to the team (seats, roles, statuses) within one organization:
/// the subscription row is the organization's lock. Take it first in the transaction.
pub async fn lock_team(tx: &mut TenantTx) -> RepoResult<()> {
    let org_id = tx.ctx().org_id().uuid();
    sqlx::query!(
        "SELECT 1 AS locked FROM subscriptions WHERE org_id = $1 FOR UPDATE",
        org_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(())
}

pub async fn subscription(tx: &mut TenantTx) -> RepoResult<Option<SubscriptionRecord>> {
    let org_id = tx.ctx().org_id().uuid();
    Ok(sqlx::query_as!(
        SubscriptionRecord,
        r#"SELECT p.slug AS plan_slug, p.name AS plan_name,
                  s.status AS "status: SubscriptionStatus",
                  s.current_period_end, p.included_users, p.max_leads,
                  coalesce(p.features->>'enrichment', 'basic') AS "enrichment_tier!"
           FROM subscriptions s JOIN plans p ON p.id = s.plan_id
           WHERE s.org_id = $1"#,
        org_id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// When and how the organization sends (the send window and tracking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendingSettings {
    pub timezone: String,
    /// ISO weekdays, 1 = Monday.
    pub days: Vec<i16>,
    pub start: chrono::NaiveTime,
    pub end: chrono::NaiveTime,
    pub send_on_optional_holidays: bool,
    pub track_opens: bool,
    pub track_clicks: bool,
    /// What AI-personalized steps do when no AI text can be had.
    pub ai_fallback: AiFallback,
}

impl SendingSettings {
    /// The weekdays, Monday first.
    pub fn weekdays(&self) -> Vec<chrono::Weekday> {
        self.days
            .iter()
            .filter_map(|d| u8::try_from(d - 1).ok())
            .filter_map(|d| chrono::Weekday::try_from(d).ok())
            .collect()
    }

    pub fn window(&self) -> Result<flux_domain::SendWindow, flux_domain::SendWindowError> {
        flux_domain::SendWindow::new(
            &self.timezone,
            &self.weekdays(),
            self.start,
            self.end,
            !self.send_on_optional_holidays,
        )
    }
}

pub async fn sending_settings(tx: &mut TenantTx) -> RepoResult<SendingSettings> {
    let org_id = tx.ctx().org_id().uuid();
    let r = sqlx::query!(
        r#"SELECT timezone, send_days AS days, send_start AS start, send_end AS end,
                  send_on_optional_holidays, track_opens, track_clicks,
                  ai_fallback AS "ai_fallback: AiFallback"
           FROM organizations WHERE id = $1"#,
        org_id
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(SendingSettings {
        timezone: r.timezone,
        days: r.days,
        start: r.start,
        end: r.end,
        send_on_optional_holidays: r.send_on_optional_holidays,
        track_opens: r.track_opens,
        track_clicks: r.track_clicks,
        ai_fallback: r.ai_fallback,
    })
}

/// Saves the settings; enrollments already scheduled keep their due time and are
/// moved into the new window when the engine picks them up.
pub async fn update_sending_settings(
    tx: &mut TenantTx,
    settings: &SendingSettings,
) -> RepoResult<()> {
    let org_id = tx.ctx().org_id().uuid();
    sqlx::query!(
        "UPDATE organizations
         SET timezone = $2, send_days = $3, send_start = $4, send_end = $5,
             send_on_optional_holidays = $6, track_opens = $7, track_clicks = $8,
             ai_fallback = $9::text::ai_fallback
         WHERE id = $1",
        org_id,
        settings.timezone,
        &settings.days,
        settings.start,
        settings.end,
        settings.send_on_optional_holidays,
        settings.track_opens,
        settings.track_clicks,
        settings.ai_fallback.as_str()
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
