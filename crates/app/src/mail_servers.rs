//! The SMTP and IMAP accounts of a mailbox, its sealed passwords opened with
//! `FLUX_SECRETS_KEY`. The reasons they cannot be built are pt-BR, for the sender.

use std::time::Duration;

use flux_integrations::{
    imap::ImapServer,
    mail_server::{HostPolicy, MailSecurity},
    smtp::SmtpServer,
};
use flux_persistence::mailboxes::{sealing_context, Credential, MailboxFields};
use flux_platform::SecretsKey;
use uuid::Uuid;

use crate::channel::MailboxRoute;

/// The SMTP server of a mailbox, its password unsealed; why not, in pt-BR.
pub fn smtp_server(
    key: &SecretsKey,
    org_id: Uuid,
    mailbox: &MailboxRoute,
    timeout: Duration,
    hosts: HostPolicy,
) -> Result<SmtpServer, String> {
    let password = key
        .open(
            &mailbox.smtp_password_enc,
            &sealing_context(org_id, Credential::Smtp),
        )
        .map_err(|_| {
            "A senha SMTP da caixa não pode ser lida (a chave FLUX_SECRETS_KEY mudou?): cadastre-a de novo"
                .to_owned()
        })?;
    Ok(SmtpServer {
        host: mailbox.smtp_host.clone(),
        port: mailbox.smtp_port,
        security: mailbox.smtp_security,
        username: mailbox.smtp_username.clone(),
        password: String::from_utf8_lossy(&password).into_owned(),
        timeout,
        hosts,
    })
}

/// The IMAP account of a mailbox, its password unsealed; why not, in pt-BR.
pub fn imap_server(
    key: &SecretsKey,
    org_id: Uuid,
    fields: &MailboxFields,
    timeout: Duration,
    hosts: HostPolicy,
) -> Result<ImapServer, String> {
    let (Some(host), Some(port), Some(username), Some(sealed)) = (
        fields.imap_host.as_ref(),
        fields.imap_port,
        fields.imap_username.as_ref(),
        fields.imap_password_enc.as_ref(),
    ) else {
        return Err("A leitura de respostas (IMAP) não está configurada nesta caixa".into());
    };
    let password = key
        .open(sealed, &sealing_context(org_id, Credential::Imap))
        .map_err(|_| {
            "A senha IMAP da caixa não pode ser lida (a chave FLUX_SECRETS_KEY mudou?): cadastre-a de novo"
                .to_owned()
        })?;
    Ok(ImapServer {
        host: host.clone(),
        port: u16::try_from(port).map_err(|_| format!("porta IMAP inválida: {port}"))?,
        // Saved mailboxes with IMAP on always have it; TLS is what port 993 expects.
        security: fields.imap_security.unwrap_or(MailSecurity::Tls),
        username: username.clone(),
        password: String::from_utf8_lossy(&password).into_owned(),
        folder: fields.imap_folder.clone(),
        timeout,
        hosts,
    })
}
