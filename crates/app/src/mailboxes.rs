//! Senders' mailboxes: validation, sealing passwords (AES-256-GCM under
//! `FLUX_SECRETS_KEY`), who may see and change which mailbox, and the connection test.

use flux_domain::{Email, Permission, TenantCtx};
use flux_dto::mailboxes::{CreateMailbox, UpdateMailbox};
use flux_integrations::{
    imap,
    mail_server::{self, HostPolicy},
    smtp,
};
use flux_persistence::{
    mailboxes::{self, sealing_context, Credential, MailboxFields, MailboxRecord},
    members, Db,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::audit_change,
    channel::MailboxRoute,
    error::{AppError, AppResult},
    mail_servers::{imap_server, smtp_server},
    ClientInfo, Ports, Resource,
};

/// Per step of the connection test; the SPA waits for it.
const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Managers see and manage every mailbox; other members only their own.
fn manages_all(ctx: &TenantCtx) -> bool {
    ctx.role().allows(Permission::IntegrationsManage)
}

fn check_owner(ctx: &TenantCtx, record: &MailboxRecord) -> AppResult<()> {
    if record.user_id == ctx.user_id().uuid() || manages_all(ctx) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Só o dono da caixa ou um gestor (integrations:manage) pode acessá-la".into(),
        ))
    }
}

pub async fn list(db: &Db, ctx: &TenantCtx) -> AppResult<Vec<MailboxRecord>> {
    let mut tx = db.begin_tenant(ctx).await?;
    let only = (!manages_all(ctx)).then(|| ctx.user_id().uuid());
    let items = mailboxes::list(&mut tx, only).await?;
    tx.end_read_only();
    Ok(items)
}

/// The mailbox, locked for a change, if the caller may touch it.
async fn load(
    tx: &mut flux_persistence::TenantTx,
    ctx: &TenantCtx,
    id: Uuid,
) -> AppResult<MailboxRecord> {
    let record = mailboxes::get_for_update(tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Mailbox))?;
    check_owner(ctx, &record)?;
    Ok(record)
}

pub async fn get(db: &Db, ctx: &TenantCtx, id: Uuid) -> AppResult<MailboxRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let record = mailboxes::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Mailbox))?;
    tx.end_read_only();
    check_owner(ctx, &record)?;
    Ok(record)
}

pub async fn create(
    db: &Db,
    ports: &Ports,
    ctx: &TenantCtx,
    req: CreateMailbox,
    client: &ClientInfo,
) -> AppResult<MailboxRecord> {
    let owner = req.user_id.unwrap_or_else(|| ctx.user_id().uuid());
    if owner != ctx.user_id().uuid() && !manages_all(ctx) {
        return Err(AppError::Forbidden(
            "Criar a caixa de outro membro requer integrations:manage".into(),
        ));
    }
    let org_id = ctx.org_id().uuid();
    let seal = |plain: &str, which| {
        ports
            .secrets
            .seal(plain.as_bytes(), &sealing_context(org_id, which))
    };
    let fields = MailboxFields {
        from_name: req.from_name,
        from_email: req.from_email,
        smtp_host: req.smtp_host,
        smtp_port: i32::from(req.smtp_port),
        smtp_security: req.smtp_security,
        smtp_username: req.smtp_username,
        smtp_password_enc: {
            check_password("smtp_password", &req.smtp_password)?;
            seal(&req.smtp_password, Credential::Smtp)
        },
        imap_enabled: req.imap_enabled,
        imap_host: req.imap_host,
        imap_port: req.imap_port.map(i32::from),
        imap_security: req.imap_security,
        imap_username: req.imap_username,
        imap_password_enc: match &req.imap_password {
            Some(p) => {
                check_password("imap_password", p)?;
                Some(seal(p, Credential::Imap))
            }
            None => None,
        },
        imap_folder: req.imap_folder.unwrap_or_else(|| "INBOX".into()),
        daily_limit: req.daily_limit.unwrap_or(200),
        min_interval_seconds: req.min_interval_seconds.unwrap_or(60),
    };
    let fields = validate(fields, ports.mail_hosts)?;
    let mut tx = db.begin_tenant(ctx).await?;
    if !members::is_active_member(&mut tx, owner).await? {
        return Err(AppError::field(
            "user_id",
            "deve ser um membro ativo da organização",
        ));
    }
    let id = Uuid::new_v4();
    mailboxes::save(&mut tx, id, owner, &fields)
        .await
        .map_err(|e| {
            if e.is_conflict_on("uq_mailboxes_user") {
                AppError::conflict_on("user_id", "Este membro já tem uma caixa de e-mail")
            } else {
                e.into()
            }
        })?;
    audit_change(
        &mut tx,
        client,
        "mailbox.created",
        "mailbox",
        id,
        audit_view(owner, &fields),
    )
    .await?;
    let record = mailboxes::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Mailbox))?;
    tx.commit().await?;
    Ok(record)
}

pub async fn update(
    db: &Db,
    ports: &Ports,
    ctx: &TenantCtx,
    id: Uuid,
    patch: UpdateMailbox,
    client: &ClientInfo,
) -> AppResult<MailboxRecord> {
    let org_id = ctx.org_id().uuid();
    let mut tx = db.begin_tenant(ctx).await?;
    let current = load(&mut tx, ctx, id).await?;
    let f = current.fields.clone();
    require_password_with_new_server(&patch)?;
    let seal = |plain: &str, which| {
        ports
            .secrets
            .seal(plain.as_bytes(), &sealing_context(org_id, which))
    };
    let smtp_password_enc = match &patch.smtp_password {
        Some(p) => {
            check_password("smtp_password", p)?;
            seal(p, Credential::Smtp)
        }
        None => f.smtp_password_enc,
    };
    let imap_password_enc = match &patch.imap_password {
        Some(p) => {
            check_password("imap_password", p)?;
            Some(seal(p, Credential::Imap))
        }
        None => f.imap_password_enc,
    };
    let next = validate(
        MailboxFields {
            from_name: patch.from_name.unwrap_or(f.from_name),
            from_email: patch.from_email.unwrap_or(f.from_email),
            smtp_host: patch.smtp_host.unwrap_or(f.smtp_host),
            smtp_port: patch.smtp_port.map(i32::from).unwrap_or(f.smtp_port),
            smtp_security: patch.smtp_security.unwrap_or(f.smtp_security),
            smtp_username: patch.smtp_username.unwrap_or(f.smtp_username),
            smtp_password_enc,
            imap_enabled: patch.imap_enabled.unwrap_or(f.imap_enabled),
            imap_host: patch.imap_host.or(f.imap_host),
            imap_port: patch.imap_port.map(i32::from).or(f.imap_port),
            imap_security: patch.imap_security.or(f.imap_security),
            imap_username: patch.imap_username.or(f.imap_username),
            imap_password_enc,
            imap_folder: patch.imap_folder.unwrap_or(f.imap_folder),
            daily_limit: patch.daily_limit.unwrap_or(f.daily_limit),
            min_interval_seconds: patch.min_interval_seconds.unwrap_or(f.min_interval_seconds),
        },
        ports.mail_hosts,
    )?;
    mailboxes::save(&mut tx, id, current.user_id, &next).await?;
    let mut changes = audit_view(current.user_id, &next);
    changes["smtp_password_changed"] = json!(patch.smtp_password.is_some());
    changes["imap_password_changed"] = json!(patch.imap_password.is_some());
    audit_change(&mut tx, client, "mailbox.updated", "mailbox", id, changes).await?;
    let record = mailboxes::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Mailbox))?;
    tx.commit().await?;
    Ok(record)
}

pub async fn delete(db: &Db, ctx: &TenantCtx, id: Uuid, client: &ClientInfo) -> AppResult<()> {
    let mut tx = db.begin_tenant(ctx).await?;
    let current = load(&mut tx, ctx, id).await?;
    mailboxes::delete(&mut tx, id).await?;
    audit_change(
        &mut tx,
        client,
        "mailbox.deleted",
        "mailbox",
        id,
        json!({ "user_id": current.user_id, "from_email": current.fields.from_email }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the connection test found: the SMTP server's answer, and the IMAP
/// server's when reply reading is on. Each is what worked, or why not.
pub struct ConnectionTests {
    pub smtp: Result<String, String>,
    pub imap: Option<Result<String, String>>,
}

/// Connects to the stored SMTP server (and IMAP server, at the same time) and logs
/// in, sending and reading nothing.
pub async fn test(db: &Db, ports: &Ports, ctx: &TenantCtx, id: Uuid) -> AppResult<ConnectionTests> {
    let record = get(db, ctx, id).await?;
    let org_id = ctx.org_id().uuid();
    let f = &record.fields;
    let smtp = async {
        let route = MailboxRoute::from_fields(record.id, f);
        let server = smtp_server(
            &ports.secrets,
            org_id,
            &route,
            TEST_TIMEOUT,
            ports.mail_hosts,
        )?;
        smtp::check(&server).await.map_err(|e| e.to_string())?;
        Ok(if f.smtp_username.is_empty() {
            format!(
                "Conectado a {}:{} (sem autenticação)",
                f.smtp_host, f.smtp_port
            )
        } else {
            format!(
                "Conectado a {}:{} e autenticado como {}",
                f.smtp_host, f.smtp_port, f.smtp_username
            )
        })
    };
    let imap = async {
        if !f.imap_enabled {
            return None;
        }
        Some(
            async {
                let server =
                    imap_server(&ports.secrets, org_id, f, TEST_TIMEOUT, ports.mail_hosts)?;
                imap::check(&server).await.map_err(|e| e.to_string())?;
                Ok(format!(
                    "Conectado a {}:{} como {}; pasta {} aberta",
                    server.host, server.port, server.username, server.folder
                ))
            }
            .await,
        )
    };
    let (smtp, imap) = tokio::join!(smtp, imap);
    Ok(ConnectionTests { smtp, imap })
}

/// A stored password goes only to the server it was given for: pointing the
/// mailbox elsewhere (server, port, security, account) needs it entered again, or
/// anyone who may edit the mailbox could have it sent to a server of theirs.
fn require_password_with_new_server(patch: &UpdateMailbox) -> AppResult<()> {
    let smtp_moved = patch.smtp_host.is_some()
        || patch.smtp_port.is_some()
        || patch.smtp_security.is_some()
        || patch.smtp_username.is_some();
    if smtp_moved && patch.smtp_password.is_none() {
        return Err(AppError::field(
            "smtp_password",
            "informe a senha de novo ao trocar o servidor, a porta, a segurança ou o usuário SMTP",
        ));
    }
    let imap_moved = patch.imap_host.is_some()
        || patch.imap_port.is_some()
        || patch.imap_security.is_some()
        || patch.imap_username.is_some();
    if imap_moved && patch.imap_password.is_none() {
        return Err(AppError::field(
            "imap_password",
            "informe a senha de novo ao trocar o servidor, a porta, a segurança ou o usuário IMAP",
        ));
    }
    Ok(())
}

fn check_password(field: &str, password: &str) -> AppResult<()> {
    if password.is_empty() || password.chars().count() > 1024 {
        Err(AppError::field(field, "deve ter de 1 a 1024 caracteres"))
    } else {
        Ok(())
    }
}

/// A valid host name, and not one that is certainly internal (an IP literal or
/// `localhost`; names are checked again each time they are connected to).
fn check_host(field: &str, host: &str, hosts: HostPolicy) -> AppResult<()> {
    if hosts == HostPolicy::PublicOnly && mail_server::is_internal_literal(host) {
        return Err(AppError::field(
            field,
            mail_server::internal_refusal(host, None),
        ));
    }
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'));
    if valid {
        Ok(())
    } else {
        Err(AppError::field(
            field,
            format!("{host:?} não é um nome de servidor válido"),
        ))
    }
}

fn check_text(field: &str, value: &str, max: usize) -> AppResult<()> {
    if value.chars().count() > max || value.chars().any(char::is_control) {
        Err(AppError::field(
            field,
            format!("deve ter até {max} caracteres, sem caracteres de controle"),
        ))
    } else {
        Ok(())
    }
}

/// Trims and checks every field, naming the first that is wrong.
fn validate(mut f: MailboxFields, hosts: HostPolicy) -> AppResult<MailboxFields> {
    f.from_name = f.from_name.trim().to_owned();
    if f.from_name.is_empty() {
        return Err(AppError::field("from_name", "é obrigatório"));
    }
    check_text("from_name", &f.from_name, 100)?;
    f.from_email = Email::parse(&f.from_email)
        .map_err(|e| AppError::field("from_email", e.to_string()))?
        .as_str()
        .to_owned();
    f.smtp_host = f.smtp_host.trim().to_ascii_lowercase();
    check_host("smtp_host", &f.smtp_host, hosts)?;
    if f.smtp_port == 0 {
        return Err(AppError::field("smtp_port", "deve estar entre 1 e 65535"));
    }
    check_text("smtp_username", &f.smtp_username, 320)?;
    f.imap_folder = f.imap_folder.trim().to_owned();
    if f.imap_folder.is_empty() {
        return Err(AppError::field("imap_folder", "é obrigatório"));
    }
    check_text("imap_folder", &f.imap_folder, 200)?;
    if let Some(host) = &mut f.imap_host {
        *host = host.trim().to_ascii_lowercase();
        check_host("imap_host", host, hosts)?;
    }
    if let Some(user) = &f.imap_username {
        check_text("imap_username", user, 320)?;
    }
    if f.imap_port == Some(0) {
        return Err(AppError::field("imap_port", "deve estar entre 1 e 65535"));
    }
    if f.imap_enabled {
        for (field, missing) in [
            ("imap_host", f.imap_host.is_none()),
            ("imap_port", f.imap_port.is_none()),
            ("imap_security", f.imap_security.is_none()),
            ("imap_username", f.imap_username.is_none()),
            ("imap_password", f.imap_password_enc.is_none()),
        ] {
            if missing {
                return Err(AppError::field(field, "é obrigatório com imap_enabled"));
            }
        }
    }
    if !(1..=100_000).contains(&f.daily_limit) {
        return Err(AppError::field(
            "daily_limit",
            "deve estar entre 1 e 100000",
        ));
    }
    if !(0..=86_400).contains(&f.min_interval_seconds) {
        return Err(AppError::field(
            "min_interval_seconds",
            "deve estar entre 0 e 86400",
        ));
    }
    Ok(f)
}

/// The audit entry of a mailbox: every setting but the passwords.
fn audit_view(owner: Uuid, f: &MailboxFields) -> serde_json::Value {
    json!({
        "user_id": owner,
        "from_name": f.from_name,
        "from_email": f.from_email,
        "smtp_host": f.smtp_host,
        "smtp_port": f.smtp_port,
        "smtp_security": f.smtp_security,
        "smtp_username": f.smtp_username,
        "imap_enabled": f.imap_enabled,
        "imap_host": f.imap_host,
        "imap_port": f.imap_port,
        "imap_folder": f.imap_folder,
        "daily_limit": f.daily_limit,
        "min_interval_seconds": f.min_interval_seconds,
    })
}
