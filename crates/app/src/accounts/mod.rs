//! Sign-up, login, refresh rotation, logout and org switch; password resets
//! (`password_reset`) and invitation acceptance (`joining`): everything that
//! happens before or around a tenant.

mod joining;
mod password_reset;

pub use joining::{accept_invitation, preview_invitation, InvitationView};
pub use password_reset::{confirm_password_reset, request_password_reset};

use std::sync::Arc;

use chrono::Utc;
use flux_domain::{org_name_from_email, slug_base, Email, MemberRole, PersonName};
use flux_persistence::{audit, members, organizations, tokens, users, Db};
use flux_platform::crypto;
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::audit_entry,
    error::{AppError, AppResult, FieldErrors},
    passwords,
    rate_limit::RateLimits,
    sessions::{IssuedSession, Sessions},
    ClientInfo, Resource,
};

/// What signing in needs besides the database: the session issuer, the credential
/// rate limits and the address links in e-mails point at.
#[derive(Clone)]
pub struct Auth {
    pub sessions: Sessions,
    pub limits: Arc<RateLimits>,
    pub links: Links,
}

/// Links into the SPA sent by e-mail (password reset, invitations).
#[derive(Clone)]
pub struct Links {
    /// `FLUX_PUBLIC_URL` without a trailing slash.
    base: String,
}

impl Links {
    pub fn new(public_url: &url::Url) -> Self {
        Self {
            base: public_url.as_str().trim_end_matches('/').to_owned(),
        }
    }

    /// `{public_url}/{page}?token={token}`.
    pub fn page(&self, page: &str, token: &str) -> String {
        format!("{}/{page}?token={token}", self.base)
    }
}

/// Everything a session response carries besides the tokens.
pub struct SessionOutcome {
    pub user: users::UserRecord,
    pub organization: organizations::OrganizationRecord,
    pub role: MemberRole,
    pub session: IssuedSession,
}

pub struct SignupInput<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

fn parse_email(field: &str, raw: &str) -> AppResult<Email> {
    Email::parse(raw).map_err(|e| AppError::field(field, e.to_string()))
}

fn parse_name(raw: &str) -> AppResult<PersonName> {
    PersonName::parse(raw).map_err(|e| AppError::field("name", e.to_string()))
}

#[tracing::instrument(skip_all)]
pub async fn signup(
    db: &Db,
    auth: &Auth,
    input: SignupInput<'_>,
    client: &ClientInfo,
) -> AppResult<SessionOutcome> {
    let mut invalid = FieldErrors::default();
    let (name, email, password) = match (
        invalid.check(parse_name(input.name)),
        invalid.check(parse_email("email", input.email)),
        invalid.check(passwords::parse("password", input.password)),
    ) {
        (Some(name), Some(email), Some(password)) => (name, email, password),
        _ => return Err(invalid.into_error()),
    };
    // The cheap refusals come before the costly hash: the address's budget, then a
    // taken e-mail (the insert below still catches a race).
    auth.limits.check_ip(client.ip.as_deref())?;
    let mut conn = db.acquire().await?;
    if users::find_by_email(&mut conn, email.as_str())
        .await?
        .is_some()
    {
        return Err(email_taken());
    }
    drop(conn);

    let password_hash = passwords::hash(&password).await?;
    let org_name = org_name_from_email(&email, name.as_str());
    let mut tx = db.begin_system().await?;
    let user = users::insert(&mut tx, name.as_str(), email.as_str(), &password_hash)
        .await
        .map_err(|e| {
            if e.is_conflict_on("users_email_key") {
                email_taken()
            } else {
                e.into()
            }
        })?;
    let org = organizations::create_with_owner(&mut tx, &org_name, &slug_base(&org_name), user.id)
        .await?;
    let mut entry = audit_entry(client, "auth.signup", "user");
    entry.resource_id = Some(user.id);
    entry.changes = json!({ "organization": org.slug });
    audit::record_system(&mut tx, Some(org.id), Some(user.id), entry).await?;
    let session = auth
        .sessions
        .issue(&mut tx, user.id, org.id, None, client)
        .await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, org_id = %org.id, "signed up");
    Ok(SessionOutcome {
        user,
        organization: org,
        role: MemberRole::Manager,
        session,
    })
}

fn email_taken() -> AppError {
    AppError::conflict_on("email", "Já existe uma conta com este e-mail")
}

const BAD_CREDENTIALS: &str = "E-mail ou senha incorretos";

#[tracing::instrument(skip_all)]
pub async fn login(
    db: &Db,
    auth: &Auth,
    email: &str,
    password: &str,
    org_id: Option<Uuid>,
    client: &ClientInfo,
) -> AppResult<SessionOutcome> {
    let normalized = email.trim().to_lowercase();
    auth.limits.check_login(client.ip.as_deref(), &normalized)?;
    if normalized.is_empty() {
        return Err(AppError::field("email", "o e-mail é obrigatório"));
    }
    if password.is_empty() {
        return Err(AppError::field("password", "a senha é obrigatória"));
    }

    let mut conn = db.acquire().await?;
    let user = users::find_by_email(&mut conn, &normalized).await?;
    let verified =
        passwords::verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    let Some(user) = user.filter(|_| verified) else {
        let mut entry = audit_entry(client, "auth.login", "user");
        entry.success = false;
        entry.failure_reason = Some("bad_credentials".into());
        entry.changes = json!({ "email": normalized });
        audit::record_system(&mut conn, None, None, entry).await?;
        return Err(AppError::Unauthorized(BAD_CREDENTIALS.into()));
    };

    let memberships = members::active_memberships(&mut conn, user.id).await?;
    let chosen = match org_id {
        Some(wanted) => memberships
            .iter()
            .find(|m| m.org_id == wanted)
            .ok_or_else(|| {
                AppError::Forbidden("Você não é membro ativo desta organização".into())
            })?,
        None => memberships.first().ok_or_else(|| {
            AppError::Forbidden("Sua conta não está ativa em nenhuma organização".into())
        })?,
    };
    let (org_id, role) = (chosen.org_id, chosen.role);
    drop(conn);
    start_session(db, auth, user, org_id, role, "auth.login", client).await
}

/// Issues a new session (new token family) for a user already authorized in `org_id`.
async fn start_session(
    db: &Db,
    auth: &Auth,
    user: users::UserRecord,
    org_id: Uuid,
    role: MemberRole,
    action: &'static str,
    client: &ClientInfo,
) -> AppResult<SessionOutcome> {
    let mut tx = db.begin_system().await?;
    let organization = organizations::find_by_id_system(&mut tx, org_id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Organization))?;
    users::touch_last_login(&mut tx, user.id).await?;
    let mut entry = audit_entry(client, action, "user");
    entry.resource_id = Some(user.id);
    audit::record_system(&mut tx, Some(org_id), Some(user.id), entry).await?;
    let session = auth
        .sessions
        .issue(&mut tx, user.id, org_id, None, client)
        .await?;
    tx.commit().await?;
    Ok(SessionOutcome {
        user,
        organization,
        role,
        session,
    })
}

/// Switches the caller's session to another organization they are active in.
pub async fn switch_org(
    db: &Db,
    auth: &Auth,
    user_id: Uuid,
    org_id: Uuid,
    client: &ClientInfo,
) -> AppResult<SessionOutcome> {
    let mut conn = db.acquire().await?;
    let user = users::find_by_id(&mut conn, user_id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("Sessão inválida".into()))?;
    let role = members::active_role(&mut conn, org_id, user_id)
        .await?
        .ok_or_else(|| AppError::Forbidden("Você não é membro ativo desta organização".into()))?;
    drop(conn);
    start_session(db, auth, user, org_id, role, "auth.switch_org", client).await
}

const INVALID_REFRESH: &str = "Sessão expirada. Entre novamente.";
/// Two browser tabs may refresh with the same cookie at the same moment; within this
/// window the second gets its own token of the same family instead of being treated as
/// theft. Reuse after it revokes the family.
pub const REFRESH_REUSE_GRACE_SECS: i64 = 30;

/// Rotates a refresh token. Presenting a token that was already rotated is treated as
/// theft: the whole family is revoked and the caller must log in again.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    db: &Db,
    auth: &Auth,
    token: &str,
    client: &ClientInfo,
) -> AppResult<IssuedSession> {
    let mut tx = db.begin_system().await?;
    let record = tokens::find_refresh_for_update(&mut tx, &crypto::token_hash(token))
        .await?
        .ok_or_else(|| AppError::Unauthorized(INVALID_REFRESH.into()))?;
    if record.revoked_at.is_some() || record.expires_at <= Utc::now() {
        return Err(AppError::Unauthorized(INVALID_REFRESH.into()));
    }
    let max_age = chrono::Duration::from_std(auth.sessions.max_age).map_err(anyhow::Error::new)?;
    if record.family_started_at + max_age <= Utc::now() {
        // However often it was rotated, a session ends this long after its login.
        tokens::revoke_family(&mut tx, record.family_id).await?;
        tx.commit().await?;
        let days = match max_age.num_days() {
            1 => "1 dia".to_owned(),
            n => format!("{n} dias"),
        };
        return Err(AppError::Unauthorized(format!(
            "Sua sessão chegou ao limite de {days}. Entre novamente."
        )));
    }
    let grace = chrono::Duration::seconds(REFRESH_REUSE_GRACE_SECS);
    let reused_within_grace = match record.rotated_at {
        None => false,
        Some(rotated) if Utc::now() - rotated <= grace => true,
        Some(_) => {
            let revoked = tokens::revoke_family(&mut tx, record.family_id).await?;
            let mut entry = audit_entry(client, "auth.refresh_reuse_detected", "session");
            entry.resource_id = Some(record.family_id);
            entry.success = false;
            entry.changes = json!({ "revoked_tokens": revoked });
            audit::record_system(&mut tx, Some(record.org_id), Some(record.user_id), entry).await?;
            tx.commit().await?;
            tracing::warn!(user_id = %record.user_id, family = %record.family_id, "refresh token reuse: family revoked");
            return Err(AppError::Unauthorized(INVALID_REFRESH.into()));
        }
    };
    if members::active_role(&mut tx, record.org_id, record.user_id)
        .await?
        .is_none()
    {
        tokens::revoke_family(&mut tx, record.family_id).await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized(
            "Sua conta não está ativa nesta organização".into(),
        ));
    }
    if !reused_within_grace {
        tokens::mark_rotated(&mut tx, record.id).await?;
    }
    let session = auth
        .sessions
        .issue(
            &mut tx,
            record.user_id,
            record.org_id,
            Some(record.family_id),
            client,
        )
        .await?;
    tx.commit().await?;
    Ok(session)
}

/// Revokes the token's family. Unknown tokens are ignored (logout is idempotent).
pub async fn logout(db: &Db, token: &str, client: &ClientInfo) -> AppResult<()> {
    let mut tx = db.begin_system().await?;
    if let Some(record) =
        tokens::find_refresh_for_update(&mut tx, &crypto::token_hash(token)).await?
    {
        tokens::revoke_family(&mut tx, record.family_id).await?;
        // Streams opened with this session's tickets end too (every process hears).
        tokens::announce_sessions_ended(&mut tx, record.user_id).await?;
        let entry = audit_entry(client, "auth.logout", "session");
        audit::record_system(&mut tx, Some(record.org_id), Some(record.user_id), entry).await?;
    }
    tx.commit().await?;
    Ok(())
}
