//! Organization memberships.

use chrono::{DateTime, Utc};
use flux_domain::{MemberRole, MemberStatus};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::RepoResult, RepoError, TenantTx};

#[derive(Debug, Clone)]
pub struct MemberRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: MemberRole,
    pub status: MemberStatus,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MembershipRecord {
    pub org_id: Uuid,
    pub org_name: String,
    pub org_slug: String,
    pub role: MemberRole,
}

struct MemberRow {
    id: Uuid,
    user_id: Uuid,
    name: String,
    email: String,
    role: MemberRole,
    status: MemberStatus,
    accepted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<MemberRow> for MemberRecord {
    fn from(r: MemberRow) -> Self {
        Self {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            email: r.email,
            role: r.role,
            status: r.status,
            accepted_at: r.accepted_at,
            created_at: r.created_at,
        }
    }
}

/// The member's current role if their membership is active (checked on every request,
/// so a role change or deactivation takes effect immediately).
pub async fn active_role(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
) -> RepoResult<Option<MemberRole>> {
    let role = sqlx::query_scalar!(
        r#"SELECT role AS "role: MemberRole" FROM organization_members
           WHERE org_id = $1 AND user_id = $2 AND status = 'active'"#,
        org_id,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(role)
}

/// Every organization where the user is an active member, most recently joined first.
pub async fn active_memberships(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> RepoResult<Vec<MembershipRecord>> {
    let rows = sqlx::query!(
        r#"SELECT o.id, o.name, o.slug, m.role AS "role: MemberRole"
           FROM organization_members m JOIN organizations o ON o.id = m.org_id
           WHERE m.user_id = $1 AND m.status = 'active'
           ORDER BY m.accepted_at DESC NULLS LAST, o.created_at DESC"#,
        user_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MembershipRecord {
            org_id: r.id,
            org_name: r.name,
            org_slug: r.slug,
            role: r.role,
        })
        .collect())
}

/// Joins (or re-joins) a user to the organization as an active member.
pub async fn activate_membership(
    conn: &mut PgConnection,
    org_id: Uuid,
    user_id: Uuid,
    role: MemberRole,
) -> RepoResult<()> {
    sqlx::query!(
        "INSERT INTO organization_members (org_id, user_id, role, status, accepted_at)
         VALUES ($1, $2, $3::text::member_role, 'active', now())
         ON CONFLICT (org_id, user_id)
         DO UPDATE SET role = EXCLUDED.role, status = 'active', accepted_at = now()",
        org_id,
        user_id,
        role.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx) -> RepoResult<Vec<MemberRecord>> {
    let rows = sqlx::query_as!(
        MemberRow,
        r#"SELECT m.id, m.user_id, u.name, u.email, m.role AS "role: MemberRole",
                  m.status AS "status: MemberStatus", m.accepted_at, m.created_at
           FROM organization_members m JOIN users u ON u.id = m.user_id
           WHERE m.status <> 'removed' ORDER BY u.name, u.email"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(MemberRecord::from).collect())
}

/// One member, locked for update; [`RepoError::NotFound`] when there is none with
/// that id.
pub async fn get(tx: &mut TenantTx, member_id: Uuid) -> RepoResult<MemberRecord> {
    let row = sqlx::query_as!(
        MemberRow,
        r#"SELECT m.id, m.user_id, u.name, u.email, m.role AS "role: MemberRole",
                  m.status AS "status: MemberStatus", m.accepted_at, m.created_at
           FROM organization_members m JOIN users u ON u.id = m.user_id
           WHERE m.id = $1 FOR UPDATE OF m"#,
        member_id
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(RepoError::NotFound)?;
    Ok(row.into())
}

pub async fn update(
    tx: &mut TenantTx,
    member_id: Uuid,
    role: MemberRole,
    status: MemberStatus,
) -> RepoResult<MemberRecord> {
    sqlx::query!(
        "UPDATE organization_members SET role = $2::text::member_role, status = $3::text::member_status
         WHERE id = $1",
        member_id,
        role.as_str(),
        status.as_str()
    )
    .execute(tx.conn())
    .await?;
    get(tx, member_id).await
}

/// Active managers, locked so two concurrent demotions cannot both pass the
/// "at least one manager" rule.
pub async fn count_active_managers(tx: &mut TenantTx) -> RepoResult<i64> {
    let ids = sqlx::query_scalar!(
        "SELECT id FROM organization_members WHERE role = 'manager' AND status = 'active' FOR UPDATE"
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(ids.len() as i64)
}

/// Seats in use: active members plus pending, unexpired invitations.
pub async fn seats_in_use(tx: &mut TenantTx) -> RepoResult<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM organization_members WHERE status = 'active')
                + (SELECT count(*) FROM invitations WHERE status = 'pending' AND expires_at > now())
                AS "seats!""#
    )
    .fetch_one(tx.conn())
    .await?)
}

pub async fn is_active_member_email(tx: &mut TenantTx, email: &str) -> RepoResult<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM organization_members m JOIN users u ON u.id = m.user_id
                          WHERE u.email = $1 AND m.status = 'active') AS "exists!""#,
        email
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Whether `user_id` is an active member of the transaction's organization.
pub async fn is_active_member(tx: &mut TenantTx, user_id: Uuid) -> RepoResult<bool> {
    let org_id = tx.ctx().org_id().uuid();
    Ok(active_role(tx.conn(), org_id, user_id).await?.is_some())
}
