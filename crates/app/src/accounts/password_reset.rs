//! Password resets: a one-time link by e-mail, and the new password it sets.

use chrono::Utc;
use flux_persistence::{audit, system_mail, tokens, users, Db};
use flux_platform::crypto;
use serde_json::json;

use crate::{
    audit::audit_entry,
    error::{AppError, AppResult},
    passwords, ClientInfo,
};

use super::{parse_email, Auth};

const RESET_TTL_MINUTES: i64 = 60;

/// Sends a one-time reset link if the account exists; the caller always gets the same
/// answer so the endpoint reveals nothing about which e-mails have accounts.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(
    db: &Db,
    auth: &Auth,
    email: &str,
    client: &ClientInfo,
) -> AppResult<()> {
    let email = parse_email("email", email)?;
    auth.limits
        .check_reset(client.ip.as_deref(), email.as_str())?;
    let mut tx = db.begin_system().await?;
    let Some(user) = users::find_by_email(&mut tx, email.as_str()).await? else {
        return Ok(());
    };
    let token = crypto::new_token();
    let expires_at = Utc::now() + chrono::Duration::minutes(RESET_TTL_MINUTES);
    tokens::insert_reset(
        &mut tx,
        user.id,
        &crypto::token_hash(&token),
        expires_at,
        client.ip.as_deref(),
    )
    .await?;
    let link = auth.links.page("redefinir-senha", &token);
    system_mail::enqueue_system(
        &mut tx,
        None,
        system_mail::OutgoingEmail {
            kind: "password_reset",
            to: user.email.clone(),
            subject: "Redefina sua senha do Flux".into(),
            body_text: format!(
                "Olá, {}!\n\nRecebemos um pedido para redefinir a senha da sua conta Flux.\n\
                 Abra o link abaixo em até {RESET_TTL_MINUTES} minutos:\n\n{link}\n\n\
                 Se você não pediu, ignore este e-mail: sua senha continua a mesma.\n",
                user.name
            ),
        },
    )
    .await?;
    let mut entry = audit_entry(client, "auth.password_reset_requested", "user");
    entry.resource_id = Some(user.id);
    audit::record_system(&mut tx, None, Some(user.id), entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the new password, burns the token and signs the user out everywhere.
#[tracing::instrument(skip_all)]
pub async fn confirm_password_reset(
    db: &Db,
    auth: &Auth,
    token: &str,
    password: &str,
    client: &ClientInfo,
) -> AppResult<()> {
    let password = passwords::parse("password", password)?;
    // The cheap refusals come before the costly hash: the address's budget, then a
    // token that cannot be used (checked again under the lock below).
    auth.limits.check_ip(client.ip.as_deref())?;
    let usable = |r: &tokens::ResetTokenRecord| r.used_at.is_none() && r.expires_at > Utc::now();
    let invalid = || AppError::field("token", "link de redefinição inválido ou expirado");
    let mut conn = db.acquire().await?;
    tokens::find_reset_for_update(&mut conn, &crypto::token_hash(token))
        .await?
        .filter(usable)
        .ok_or_else(invalid)?;
    drop(conn);
    let password_hash = passwords::hash(&password).await?;
    let mut tx = db.begin_system().await?;
    let record = tokens::find_reset_for_update(&mut tx, &crypto::token_hash(token))
        .await?
        .filter(usable)
        .ok_or_else(invalid)?;
    users::set_password(&mut tx, record.user_id, &password_hash).await?;
    tokens::mark_reset_used(&mut tx, record.id).await?;
    let revoked = tokens::revoke_all_for_user(&mut tx, record.user_id).await?;
    tokens::announce_sessions_ended(&mut tx, record.user_id).await?;
    let mut entry = audit_entry(client, "auth.password_reset", "user");
    entry.resource_id = Some(record.user_id);
    entry.changes = json!({ "revoked_sessions": revoked });
    audit::record_system(&mut tx, None, Some(record.user_id), entry).await?;
    tx.commit().await?;
    Ok(())
}
