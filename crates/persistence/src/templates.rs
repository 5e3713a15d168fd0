//! Message templates of an organization, with their usage in cadences.

use chrono::{DateTime, Utc};
use flux_domain::{message_template::ValidTemplate, Channel};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone)]
pub struct TemplateRecord {
    pub id: Uuid,
    pub name: String,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    pub variables_used: Vec<String>,
    pub is_system: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent: i64,
    pub replied: i64,
}

struct Row {
    id: Uuid,
    name: String,
    channel: Channel,
    subject: Option<String>,
    body: String,
    variables_used: Vec<String>,
    is_system: bool,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    sent: i64,
    replied: i64,
}

impl From<Row> for TemplateRecord {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            name: r.name,
            channel: r.channel,
            subject: r.subject,
            body: r.body,
            variables_used: r.variables_used,
            is_system: r.is_system,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            sent: r.sent,
            replied: r.replied,
        }
    }
}

/// Filters of the template list.
#[derive(Debug, Clone, Default)]
pub struct TemplateFilter {
    pub channel: Option<Channel>,
    /// Case- and accent-insensitive substring of the name.
    pub q: Option<String>,
}

/// Live templates, system ones first, then by name.
pub async fn list(
    tx: &mut TenantTx,
    filter: &TemplateFilter,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<TemplateRecord>, i64)> {
    let channel = filter.channel.map(Channel::as_str);
    let pattern = filter.q.as_deref().map(crate::like::contains_folded);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM message_templates
           WHERE deleted_at IS NULL AND ($1::text IS NULL OR channel::text = $1)
             AND ($2::text IS NULL OR fold_accents(name) LIKE $2)"#,
        channel,
        pattern
    )
    .fetch_one(tx.conn())
    .await?;
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT t.id, t.name, t.channel AS "channel: Channel", t.subject, t.body, t.variables_used,
                  t.is_system, t.created_by, t.created_at, t.updated_at,
                  s.sent AS "sent!", s.replied AS "replied!"
           FROM message_templates t
           CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE i.type = 'sent') AS sent,
                    count(*) FILTER (WHERE i.type = 'replied') AS replied
             FROM interactions i WHERE i.template_id = t.id AND i.type IN ('sent', 'replied')
           ) s
           WHERE t.deleted_at IS NULL AND ($1::text IS NULL OR t.channel::text = $1)
             AND ($2::text IS NULL OR fold_accents(t.name) LIKE $2)
           ORDER BY t.is_system DESC, t.name, t.id
           LIMIT $3 OFFSET $4"#,
        channel,
        pattern,
        limit,
        offset
    )
    .fetch_all(tx.conn())
    .await?;
    let items = rows.into_iter().map(TemplateRecord::from).collect();
    Ok((items, total))
}

/// A live template by id.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<TemplateRecord>> {
    Ok(sqlx::query_as!(
        Row,
        r#"SELECT t.id, t.name, t.channel AS "channel: Channel", t.subject, t.body, t.variables_used,
                  t.is_system, t.created_by, t.created_at, t.updated_at,
                  s.sent AS "sent!", s.replied AS "replied!"
           FROM message_templates t
           CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE i.type = 'sent') AS sent,
                    count(*) FILTER (WHERE i.type = 'replied') AS replied
             FROM interactions i WHERE i.template_id = t.id AND i.type IN ('sent', 'replied')
           ) s
           WHERE t.id = $1 AND t.deleted_at IS NULL"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .map(TemplateRecord::from))
}

fn variable_names(t: &ValidTemplate) -> Vec<String> {
    t.variables_used
        .iter()
        .map(|v| v.name().to_owned())
        .collect()
}

fn text(t: &flux_domain::TemplateText) -> &str {
    t.source()
}

pub async fn insert(tx: &mut TenantTx, template: &ValidTemplate) -> RepoResult<Uuid> {
    let org_id = tx.ctx().org_id().uuid();
    let created_by = Some(tx.ctx().user_id().uuid()).filter(|id| !id.is_nil());
    Ok(sqlx::query_scalar!(
        "INSERT INTO message_templates (org_id, name, channel, subject, body, variables_used, created_by)
         VALUES ($1, $2, $3::text::channel_type, $4, $5, $6, $7) RETURNING id",
        org_id,
        template.name,
        template.channel.as_str(),
        template.subject.as_ref().map(text),
        text(&template.body),
        &variable_names(template),
        created_by
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Replaces a user template's texts (system templates are never updated).
pub async fn update(tx: &mut TenantTx, id: Uuid, template: &ValidTemplate) -> RepoResult<bool> {
    let done = sqlx::query!(
        "UPDATE message_templates SET name = $2, subject = $3, body = $4, variables_used = $5
         WHERE id = $1 AND deleted_at IS NULL AND NOT is_system",
        id,
        template.name,
        template.subject.as_ref().map(text),
        text(&template.body),
        &variable_names(template)
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks a live template against concurrent use or deletion; `Some(is_system)`.
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<bool>> {
    Ok(sqlx::query_scalar!(
        "SELECT is_system FROM message_templates WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn soft_delete(tx: &mut TenantTx, id: Uuid) -> RepoResult<bool> {
    let done = sqlx::query!(
        "UPDATE message_templates SET deleted_at = now()
         WHERE id = $1 AND deleted_at IS NULL AND NOT is_system",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Names of the cadences still able to send this template (not archived or deleted,
/// the step not removed).
pub async fn cadences_using(tx: &mut TenantTx, id: Uuid) -> RepoResult<Vec<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT DISTINCT c.name FROM cadence_steps s JOIN cadences c ON c.id = s.cadence_id
         WHERE s.template_id = $1 AND s.removed_at IS NULL
           AND c.deleted_at IS NULL AND c.status <> 'archived'
         ORDER BY c.name",
        id
    )
    .fetch_all(tx.conn())
    .await?)
}
