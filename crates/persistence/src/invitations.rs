//! Invitations to join an organization. Only token hashes are stored.

use chrono::{DateTime, Utc};
pub use flux_domain::InvitationStatus;
use flux_domain::MemberRole;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::RepoResult, RepoError, TenantTx};

#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub role: MemberRole,
    pub status: InvitationStatus,
    pub invited_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

struct InvitationRow {
    id: Uuid,
    org_id: Uuid,
    email: String,
    role: MemberRole,
    status: InvitationStatus,
    invited_by: Option<Uuid>,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

impl From<InvitationRow> for InvitationRecord {
    fn from(r: InvitationRow) -> Self {
        Self {
            id: r.id,
            org_id: r.org_id,
            email: r.email,
            role: r.role,
            status: r.status,
            invited_by: r.invited_by,
            expires_at: r.expires_at,
            created_at: r.created_at,
        }
    }
}

/// Fails with `Conflict { invitations_pending_email_key }` if one is already pending.
pub async fn create(
    tx: &mut TenantTx,
    email: &str,
    role: MemberRole,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> RepoResult<InvitationRecord> {
    let org_id = tx.ctx().org_id().uuid();
    let invited_by = tx.ctx().user_id().uuid();
    // An expired pending invitation must not block a fresh one.
    sqlx::query!(
        "UPDATE invitations SET status = 'expired'
         WHERE email = $1 AND status = 'pending' AND expires_at <= now()",
        email
    )
    .execute(tx.conn())
    .await?;
    let row = sqlx::query_as!(
        InvitationRow,
        r#"INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
           VALUES ($1, $2, $3::text::member_role, $4, $5, $6)
           RETURNING id, org_id, email, role AS "role: MemberRole", status AS "status: InvitationStatus",
                     invited_by, expires_at, created_at"#,
        org_id,
        email,
        role.as_str(),
        token_hash,
        invited_by,
        expires_at
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(row.into())
}

// In the two reads below a pending invitation past its expiry reads as expired.

pub async fn list(tx: &mut TenantTx) -> RepoResult<Vec<InvitationRecord>> {
    let rows = sqlx::query_as!(
        InvitationRow,
        r#"SELECT id, org_id, email, role AS "role: MemberRole",
                  CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired'::invitation_status ELSE status END AS "status!: InvitationStatus",
                  invited_by, expires_at, created_at
           FROM invitations ORDER BY created_at DESC"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(InvitationRecord::from).collect())
}

/// Revokes a pending invitation; `NotFound` if there is none with that id.
pub async fn revoke(tx: &mut TenantTx, id: Uuid) -> RepoResult<()> {
    let done = sqlx::query!(
        "UPDATE invitations SET status = 'revoked' WHERE id = $1 AND status = 'pending'",
        id
    )
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(RepoError::NotFound)
    }
}

/// Looks an invitation up by its token (system: the invitee has no tenant yet),
/// locking it so it can be accepted only once.
pub async fn find_by_token_for_update(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> RepoResult<Option<InvitationRecord>> {
    let row = sqlx::query_as!(
        InvitationRow,
        r#"SELECT id, org_id, email, role AS "role: MemberRole",
                  CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired'::invitation_status ELSE status END AS "status!: InvitationStatus",
                  invited_by, expires_at, created_at
           FROM invitations WHERE token_hash = $1 FOR UPDATE"#,
        token_hash
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(InvitationRecord::from))
}

pub async fn mark_accepted(conn: &mut PgConnection, id: Uuid) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE invitations SET status = 'accepted', accepted_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}
