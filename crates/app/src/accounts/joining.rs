//! Joining an organization from an invitation: the preview the page shows, and the
//! acceptance that creates or links the account and starts the session.

use flux_persistence::{
    audit,
    invitations::{self, InvitationStatus},
    members, organizations, users, Db,
};
use flux_platform::crypto;
use serde_json::json;

use crate::{
    audit::audit_entry,
    error::{AppError, AppResult, FieldErrors},
    passwords, ClientInfo, Resource,
};

use super::{parse_name, Auth, SessionOutcome};

pub struct InvitationView {
    pub organization_name: String,
    pub invitation: invitations::InvitationRecord,
    pub account_exists: bool,
}

const INVALID_INVITATION: &str = "convite inválido, expirado ou já utilizado";

async fn pending_invitation(
    conn: &mut sqlx::PgConnection,
    token: &str,
) -> AppResult<invitations::InvitationRecord> {
    invitations::find_by_token_for_update(conn, &crypto::token_hash(token))
        .await?
        .filter(|i| i.status == InvitationStatus::Pending)
        .ok_or_else(|| AppError::field("token", INVALID_INVITATION))
}

pub async fn preview_invitation(db: &Db, token: &str) -> AppResult<InvitationView> {
    let mut tx = db.begin_system().await?;
    let invitation = pending_invitation(&mut tx, token).await?;
    let org = organizations::find_by_id_system(&mut tx, invitation.org_id)
        .await?
        .ok_or_else(|| AppError::field("token", INVALID_INVITATION))?;
    let account_exists = users::find_by_email(&mut tx, &invitation.email)
        .await?
        .is_some();
    tx.rollback().await.map_err(anyhow::Error::new)?;
    Ok(InvitationView {
        organization_name: org.name,
        invitation,
        account_exists,
    })
}

/// Accepts an invitation: creates the account (name + new password) or confirms an
/// existing one (its password), joins the organization and signs in to it.
#[tracing::instrument(skip_all)]
pub async fn accept_invitation(
    db: &Db,
    auth: &Auth,
    token: &str,
    name: Option<&str>,
    password: &str,
    client: &ClientInfo,
) -> AppResult<SessionOutcome> {
    let mut tx = db.begin_system().await?;
    let invitation = pending_invitation(&mut tx, token).await?;
    let user = match users::find_by_email(&mut tx, &invitation.email).await? {
        Some(existing) => {
            auth.limits
                .check_login(client.ip.as_deref(), &existing.email)?;
            if !passwords::verify(password, Some(&existing.password_hash)).await? {
                return Err(AppError::field(
                    "password",
                    "senha incorreta para a conta existente",
                ));
            }
            existing
        }
        None => {
            let mut invalid = FieldErrors::default();
            let (name, password) = match (
                invalid.check(parse_name(name.unwrap_or_default())),
                invalid.check(passwords::parse("password", password)),
            ) {
                (Some(name), Some(password)) => (name, password),
                _ => return Err(invalid.into_error()),
            };
            let hash = passwords::hash(&password).await?;
            // Two invitations to one new address accepted at once: the loser signs in instead.
            users::insert(&mut tx, name.as_str(), &invitation.email, &hash)
                .await
                .map_err(|e| {
                    if e.is_conflict_on("users_email_key") {
                        AppError::conflict_on(
                            "token",
                            "já existe uma conta com este e-mail: use a senha dela",
                        )
                    } else {
                        e.into()
                    }
                })?
        }
    };
    if members::active_role(&mut tx, invitation.org_id, user.id)
        .await?
        .is_some()
    {
        // Reactivated since the invitation was sent: the link must not change their role.
        return Err(AppError::conflict_on(
            "token",
            "você já é membro ativo desta organização",
        ));
    }
    members::activate_membership(&mut tx, invitation.org_id, user.id, invitation.role).await?;
    invitations::mark_accepted(&mut tx, invitation.id).await?;
    let organization = organizations::find_by_id_system(&mut tx, invitation.org_id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Organization))?;
    let mut entry = audit_entry(client, "invitation.accepted", "invitation");
    entry.resource_id = Some(invitation.id);
    entry.changes = json!({ "role": invitation.role.as_str() });
    audit::record_system(&mut tx, Some(invitation.org_id), Some(user.id), entry).await?;
    users::touch_last_login(&mut tx, user.id).await?;
    let session = auth
        .sessions
        .issue(&mut tx, user.id, invitation.org_id, None, client)
        .await?;
    tx.commit().await?;
    Ok(SessionOutcome {
        user,
        organization,
        role: invitation.role,
        session,
    })
}
