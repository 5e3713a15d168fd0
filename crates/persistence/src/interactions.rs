//! The append-only log of what happened with a lead: messages sent, opened, clicked,
//! replied to, bounced, unsubscribes.

use chrono::{DateTime, Utc};
use flux_domain::{interaction::InteractionType, Channel};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone)]
pub struct InteractionRecord {
    pub id: Uuid,
    pub kind: InteractionType,
    pub channel: Option<Channel>,
    pub summary: Option<String>,
    pub enrollment_id: Option<Uuid>,
    pub cadence_id: Option<Uuid>,
    pub cadence_name: Option<String>,
    pub step_id: Option<Uuid>,
    pub step_position: Option<i32>,
    pub template_id: Option<Uuid>,
    pub ai_generated: bool,
    pub actor_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
}

/// A lead's interactions, newest first, and how many it has.
pub async fn for_lead(
    tx: &mut TenantTx,
    lead_id: Uuid,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<InteractionRecord>, i64)> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM interactions WHERE lead_id = $1"#,
        lead_id
    )
    .fetch_one(tx.conn())
    .await?;
    let items = sqlx::query_as!(
        InteractionRecord,
        r#"SELECT i.id, i.type AS "kind: InteractionType", i.channel AS "channel: Channel", i.summary,
                  i.enrollment_id, i.cadence_id, c.name AS "cadence_name?", i.step_id,
                  s.position AS "step_position?", i.template_id, i.ai_generated, i.actor_id,
                  i.occurred_at
           FROM interactions i
           LEFT JOIN cadences c ON c.id = i.cadence_id
           LEFT JOIN cadence_steps s ON s.id = i.step_id
           WHERE i.lead_id = $1
           ORDER BY i.occurred_at DESC, i.id
           LIMIT $2 OFFSET $3"#,
        lead_id,
        limit,
        offset
    )
    .fetch_all(tx.conn())
    .await?;
    Ok((items, total))
}
