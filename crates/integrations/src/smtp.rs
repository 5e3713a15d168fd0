//! Delivering one message to a sender's SMTP server, step by step, so a failure can
//! say whether the server may have the message. Only a failure after the message
//! data was handed over (no final reply to the end of DATA) is ambiguous; anything
//! earlier certainly did not send.

use std::time::Duration;

use tokio::time::timeout;

use lettre::{
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        commands::{Data, Mail, Rcpt},
        extension::{ClientId, Extension, MailBodyParameter, MailParameter},
        Error as SmtpError,
    },
};

use crate::mail_server::{resolve, Unreachable};
pub use crate::mail_server::{HostPolicy, MailSecurity};

/// One SMTP server and the account on it.
#[derive(Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    /// Empty: no AUTH.
    pub username: String,
    pub password: String,
    /// For each step (connect, each command, the data).
    pub timeout: Duration,
    /// Which addresses `host` may resolve to.
    pub hosts: HostPolicy,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why a delivery failed, by whether the server may have the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Not delivered; may work later (connection refused, timeout, a 4xx reply).
    #[error("{0}")]
    Transient(String),
    /// Not delivered; will not work as is (a 5xx reply, bad credentials, a TLS or
    /// certificate failure, a password that would travel unencrypted).
    #[error("{0}")]
    Rejected(String),
    /// The data was handed over and no final reply came: the server may have it.
    #[error("{0}")]
    Ambiguous(String),
}

/// How long a QUIT (polite goodbye) may take: a server that stopped answering must
/// not hold the sender (lettre's connection has no read timeout of its own).
const GOODBYE: Duration = Duration::from_secs(2);

async fn hang_up(mut conn: AsyncSmtpConnection) {
    let _ = timeout(GOODBYE, conn.abort()).await;
}

/// Connects, secures and authenticates: what both a delivery and the
/// test-connection endpoint need.
async fn open(server: &SmtpServer) -> Result<AsyncSmtpConnection, DeliveryError> {
    let hello = ClientId::default();
    let tls = || {
        TlsParameters::new(server.host.clone())
            .map_err(|e| DeliveryError::Rejected(format!("TLS inválido para {}: {e}", server.host)))
    };
    let wrapped = match server.security {
        MailSecurity::Tls => Some(tls()?),
        MailSecurity::None | MailSecurity::Starttls => None,
    };
    let addr = resolve(&server.host, server.port, server.hosts)
        .await
        .map_err(|e| match e {
            Unreachable::Lookup(m) => DeliveryError::Transient(m),
            Unreachable::Internal(m) => DeliveryError::Rejected(m),
        })?;
    let mut conn = step(
        server.timeout,
        "conectar",
        AsyncSmtpConnection::connect_tokio1(addr, Some(server.timeout), &hello, wrapped, None),
    )
    .await?;
    if server.security == MailSecurity::Starttls {
        if !conn.can_starttls() {
            hang_up(conn).await;
            return Err(DeliveryError::Rejected(format!(
                "{} não oferece STARTTLS; use TLS (porta 465) ou outro servidor",
                server.host
            )));
        }
        let parameters = tls()?;
        if let Err(e) = step(
            server.timeout,
            "STARTTLS",
            conn.starttls(parameters, &hello),
        )
        .await
        {
            hang_up(conn).await;
            return Err(e);
        }
    }
    if !server.username.is_empty() {
        if !conn.is_encrypted() && !addr.ip().is_loopback() {
            hang_up(conn).await;
            return Err(DeliveryError::Rejected(format!(
                "a senha não é enviada sem criptografia: use STARTTLS ou TLS com {}",
                server.host
            )));
        }
        let credentials = Credentials::new(server.username.clone(), server.password.clone());
        let auth = step(
            server.timeout,
            "autenticar",
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials),
        )
        .await;
        if let Err(e) = auth {
            hang_up(conn).await;
            return Err(e);
        }
    }
    Ok(conn)
}

/// Checks the server and the account (connect, TLS, AUTH), sending nothing.
pub async fn check(server: &SmtpServer) -> Result<(), DeliveryError> {
    let mut conn = within(server, "o teste", open(server)).await?;
    let _ = timeout(GOODBYE, conn.quit()).await;
    Ok(())
}

/// Connecting and securing may take at most four steps' time: enough for a slow
/// server, short enough that the whole delivery ends well inside the engine's lease.
async fn within<T>(
    server: &SmtpServer,
    what: &str,
    future: impl std::future::Future<Output = Result<T, DeliveryError>>,
) -> Result<T, DeliveryError> {
    timeout(server.timeout * 4, future)
        .await
        .unwrap_or_else(|_| {
            Err(DeliveryError::Transient(format!(
                "{what} passou de {}s",
                (server.timeout * 4).as_secs()
            )))
        })
}

/// Delivers `message` (the formatted RFC 5322 bytes) to `to`, from `from`. Returns
/// the server's final reply (it often carries the queue id).
pub async fn deliver(
    server: &SmtpServer,
    envelope: &Envelope,
    message: &[u8],
) -> Result<String, DeliveryError> {
    let mut conn = within(server, "a conexão", open(server)).await?;
    let result = hand_over(&mut conn, server.timeout, envelope, message).await;
    match &result {
        Ok(_) => {
            let _ = timeout(GOODBYE, conn.quit()).await;
        }
        Err(_) => hang_up(conn).await,
    }
    result
}

async fn hand_over(
    conn: &mut AsyncSmtpConnection,
    limit: Duration,
    envelope: &Envelope,
    message: &[u8],
) -> Result<String, DeliveryError> {
    // As lettre's own `send`: declare what the message needs, and refuse what the
    // server cannot take (certainly not sent).
    let mut options = Vec::new();
    let non_ascii = |a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii();
    if envelope.from().is_some_and(non_ascii) || envelope.to().iter().any(non_ascii) {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(DeliveryError::Rejected(
                "o servidor não aceita endereços com acentos (SMTPUTF8)".into(),
            ));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !message.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(DeliveryError::Rejected(
                "o servidor não aceita mensagens de 8 bits (8BITMIME)".into(),
            ));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    step(
        limit,
        "MAIL FROM",
        conn.command(Mail::new(envelope.from().cloned(), options)),
    )
    .await?;
    for to in envelope.to() {
        step(
            limit,
            "RCPT TO",
            conn.command(Rcpt::new(to.clone(), vec![])),
        )
        .await?;
    }
    step(limit, "DATA", conn.command(Data)).await?;
    // From here on, a failure without a reply may have delivered.
    match timeout(limit, conn.message(message)).await {
        Ok(Ok(reply)) => Ok(reply.message().collect::<Vec<_>>().join(" ")),
        Ok(Err(e)) => Err(match classify(&e, "fim da mensagem") {
            DeliveryError::Transient(m) if e.status().is_none() => DeliveryError::Ambiguous(m),
            other => other,
        }),
        Err(_) => Err(DeliveryError::Ambiguous(format!(
            "o servidor não respondeu ao fim da mensagem em {}s",
            limit.as_secs()
        ))),
    }
}

fn is_tls_failure(e: &SmtpError) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let text = inner.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return true;
        }
        source = inner.source();
    }
    false
}

/// Runs one step before the data, where every failure means "not sent".
async fn step<T>(
    limit: Duration,
    what: &str,
    future: impl std::future::Future<Output = Result<T, SmtpError>>,
) -> Result<T, DeliveryError> {
    match timeout(limit, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(classify(&e, what)),
        Err(_) => Err(DeliveryError::Transient(format!(
            "o servidor não respondeu ({what}) em {}s",
            limit.as_secs()
        ))),
    }
}

fn classify(e: &SmtpError, what: &str) -> DeliveryError {
    let message = format!("{what}: {e}");
    // A 5xx, a client-side refusal (no common AUTH mechanism) or a TLS failure (bad
    // certificate; lettre reports handshakes as connection errors) will not pass by
    // itself.
    if e.is_permanent() || e.is_client() || e.is_tls() || is_tls_failure(e) {
        DeliveryError::Rejected(message)
    } else {
        DeliveryError::Transient(message)
    }
}
