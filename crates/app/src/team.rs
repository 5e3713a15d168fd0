//! Members and invitations of the caller's organization (tenant transactions only).

use chrono::Utc;
use flux_domain::{Email, MemberRole, MemberStatus, TenantCtx};
use flux_persistence::{
    audit, invitations, members, organizations, system_mail, tokens, Db, TenantTx,
};
use flux_platform::crypto;
use serde_json::json;
use uuid::Uuid;

use crate::{
    accounts::Links,
    audit::audit_entry,
    error::{AppError, AppResult, UPGRADE_URL},
    ClientInfo, Resource,
};
use flux_dto::error::{PlanLimit, PlanLimitDetails};

pub const INVITATION_TTL_DAYS: i64 = 7;

/// 402 when every seat of the plan is taken (active members + pending invitations).
async fn ensure_free_seat(tx: &mut TenantTx) -> AppResult<()> {
    let subscription = organizations::subscription(tx)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("organization without subscription")))?;
    let used = members::seats_in_use(tx).await?;
    let max = i64::from(subscription.included_users);
    if used >= max {
        return Err(AppError::LimitExceeded {
            message: format!(
                "Seu plano {} inclui {max} usuários e todos estão em uso. Faça upgrade do plano ou libere um usuário.",
                subscription.plan_name
            ),
            details: PlanLimitDetails {
                limit: PlanLimit::IncludedUsers,
                max,
                used,
                in_progress: None,
                plan: subscription.plan_slug,
                upgrade_url: UPGRADE_URL.into(),
                resets_at: None,
            },
        });
    }
    Ok(())
}

pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub role: MemberRole,
}

#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id()))]
pub async fn invite(
    db: &Db,
    links: &Links,
    ctx: &TenantCtx,
    input: NewInvitation<'_>,
    client: &ClientInfo,
) -> AppResult<invitations::InvitationRecord> {
    let email = Email::parse(input.email).map_err(|e| AppError::field("email", e.to_string()))?;
    let mut tx = db.begin_tenant(ctx).await?;
    // Concurrent invitations must not both take the last seat.
    organizations::lock_team(&mut tx).await?;
    if members::is_active_member_email(&mut tx, email.as_str()).await? {
        return Err(AppError::conflict_on(
            "email",
            "Esta pessoa já é membro da organização",
        ));
    }
    ensure_free_seat(&mut tx).await?;
    let token = crypto::new_token();
    let expires_at = Utc::now() + chrono::Duration::days(INVITATION_TTL_DAYS);
    let invitation = invitations::create(
        &mut tx,
        email.as_str(),
        input.role,
        &crypto::token_hash(&token),
        expires_at,
    )
    .await
    .map_err(|e| {
        if e.is_conflict_on("invitations_pending_email_key") {
            AppError::conflict_on("email", "Já existe um convite pendente para este e-mail")
        } else {
            e.into()
        }
    })?;
    let org = organizations::current(&mut tx).await?;
    let role_label = match input.role {
        MemberRole::Manager => "gestor(a)",
        MemberRole::Sdr => "SDR",
    };
    system_mail::enqueue(
        &mut tx,
        system_mail::OutgoingEmail {
            kind: "invitation",
            to: email.to_string(),
            subject: format!("Convite para a equipe {} no Flux", org.name),
            body_text: format!(
                "Olá!\n\nVocê foi convidado(a) para entrar na equipe {} no Flux como {role_label}.\n\
                 Aceite o convite em até {INVITATION_TTL_DAYS} dias:\n\n{}\n",
                org.name,
                links.page("convite", &token)
            ),
        },
    )
    .await?;
    let mut entry = audit_entry(client, "invitation.created", "invitation");
    entry.resource_id = Some(invitation.id);
    entry.changes = json!({ "email": invitation.email, "role": input.role.as_str() });
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(invitation)
}

pub async fn list_invitations(
    db: &Db,
    ctx: &TenantCtx,
) -> AppResult<Vec<invitations::InvitationRecord>> {
    let mut tx = db.begin_tenant(ctx).await?;
    let list = invitations::list(&mut tx).await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn revoke_invitation(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    client: &ClientInfo,
) -> AppResult<()> {
    let mut tx = db.begin_tenant(ctx).await?;
    invitations::revoke(&mut tx, id)
        .await
        .map_err(|e| match e {
            flux_persistence::RepoError::NotFound => AppError::not_found(Resource::Invitation),
            other => other.into(),
        })?;
    let mut entry = audit_entry(client, "invitation.revoked", "invitation");
    entry.resource_id = Some(id);
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_members(db: &Db, ctx: &TenantCtx) -> AppResult<Vec<members::MemberRecord>> {
    let mut tx = db.begin_tenant(ctx).await?;
    let list = members::list(&mut tx).await?;
    tx.commit().await?;
    Ok(list)
}

pub struct MemberChange {
    pub role: Option<MemberRole>,
    pub status: Option<MemberStatus>,
}

/// Changes a member's role and/or status. The organization always keeps at least one
/// active manager; reactivation needs a free seat; deactivation ends their sessions.
/// The member's very next request sees the change: this process forgets its cached
/// membership at once, and other processes hear of it through the database.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id()))]
pub async fn update_member(
    db: &Db,
    ctx: &TenantCtx,
    member_id: Uuid,
    change: MemberChange,
    client: &ClientInfo,
) -> AppResult<members::MemberRecord> {
    if change.role.is_none() && change.status.is_none() {
        return Err(AppError::field("body", "informe role e/ou status"));
    }
    let mut tx = db.begin_tenant(ctx).await?;
    // One team change at a time per organization: no seat race, and no deadlock between
    // two managers demoting each other (the last-manager rule stays exact).
    organizations::lock_team(&mut tx).await?;
    let before = members::get(&mut tx, member_id)
        .await
        .map_err(|e| match e {
            flux_persistence::RepoError::NotFound => AppError::not_found(Resource::Member),
            other => other.into(),
        })?;
    if matches!(before.status, MemberStatus::Invited | MemberStatus::Removed) {
        return Err(AppError::conflict_on(
            "status",
            "Só é possível alterar membros ativos ou desativados",
        ));
    }
    let role = change.role.unwrap_or(before.role);
    let status = change.status.unwrap_or(before.status);
    let was_active_manager =
        before.role == MemberRole::Manager && before.status == MemberStatus::Active;
    let stays_active_manager = role == MemberRole::Manager && status == MemberStatus::Active;
    if was_active_manager
        && !stays_active_manager
        && members::count_active_managers(&mut tx).await? <= 1
    {
        return Err(AppError::conflict_on(
            if change.role.is_some() {
                "role"
            } else {
                "status"
            },
            "A organização precisa de pelo menos um gestor ativo",
        ));
    }
    if before.status != MemberStatus::Active && status == MemberStatus::Active {
        ensure_free_seat(&mut tx).await?;
    }
    let after = members::update(&mut tx, member_id, role, status).await?;
    let mut entry = audit_entry(client, "member.updated", "organization_member");
    entry.resource_id = Some(member_id);
    entry.changes = json!({
        "before": { "role": before.role.as_str(), "status": before.status.as_str() },
        "after": { "role": after.role.as_str(), "status": after.status.as_str() },
    });
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;

    if after.status != MemberStatus::Active {
        // Access already stops on the next request (membership is checked each time);
        // this also stops the refresh tokens from minting new access tokens. The change
        // is committed, so a failure here is logged rather than reported as a failure.
        let revoked = async {
            let mut conn = db.acquire().await?;
            tokens::revoke_for_member(&mut conn, ctx.org_id().uuid(), after.user_id).await
        }
        .await;
        if let Err(e) = revoked {
            tracing::error!(error = %e, member_id = %member_id, "could not revoke a deactivated member's sessions");
        }
    }
    Ok(after)
}
