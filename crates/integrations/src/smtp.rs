//! Delivering one message to a sender's SMTP server, step by step, so a failure can
//! say whether the server may have the message. Only a failure after the message
//! data was handed over (no final reply to the end of DATA) is ambiguous; anything
//! earlier certainly did not send.

use std::time::Duration;

use lettre::{
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        commands::{Data, Mail, Rcpt},
        extension::{ClientId, MailBodyParameter, MailParameter},
        Error as SmtpError,
    },
};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text (local relays and test servers only).
    None,
    /// Plain connect, then `STARTTLS` (required: refused if the server lacks it).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl Security {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(Self::None),
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }
}

/// One SMTP server and the account on it.
#[derive(Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Empty: no AUTH.
    pub username: String,
    pub password: String,
    /// For each step (connect, each command, the data).
    pub timeout: Duration,
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
    /// Not delivered; will not work as is (a 5xx reply, bad credentials, TLS refused).
    #[error("{0}")]
    Rejected(String),
    /// The data was handed over and no final reply came: the server may have it.
    #[error("{0}")]
    Ambiguous(String),
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
        Security::Tls => Some(tls()?),
        Security::None | Security::StartTls => None,
    };
    let mut conn = step(
        server.timeout,
        "conectar",
        AsyncSmtpConnection::connect_tokio1(
            (server.host.as_str(), server.port),
            Some(server.timeout),
            &hello,
            wrapped,
            None,
        ),
    )
    .await?;
    if server.security == Security::StartTls {
        if !conn.can_starttls() {
            conn.abort().await;
            return Err(DeliveryError::Rejected(format!(
                "{} não oferece STARTTLS; use TLS (porta 465) ou outro servidor",
                server.host
            )));
        }
        step(server.timeout, "STARTTLS", conn.starttls(tls()?, &hello)).await?;
    }
    if !server.username.is_empty() {
        let credentials = Credentials::new(server.username.clone(), server.password.clone());
        let auth = step(
            server.timeout,
            "autenticar",
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials),
        )
        .await;
        if let Err(e) = auth {
            conn.abort().await;
            return Err(e);
        }
    }
    Ok(conn)
}

/// Checks the server and the account (connect, TLS, AUTH), sending nothing.
pub async fn check(server: &SmtpServer) -> Result<(), DeliveryError> {
    let mut conn = open(server).await?;
    let _ = tokio_timeout(server.timeout, conn.quit()).await;
    Ok(())
}

/// Delivers `message` (the formatted RFC 5322 bytes) to `to`, from `from`. Returns
/// the server's final reply (it often carries the queue id).
pub async fn deliver(
    server: &SmtpServer,
    envelope: &Envelope,
    message: &[u8],
) -> Result<String, DeliveryError> {
    let mut conn = open(server).await?;
    let result = hand_over(&mut conn, server.timeout, envelope, message).await;
    match &result {
        Ok(_) => {
            let _ = tokio_timeout(server.timeout, conn.quit()).await;
        }
        Err(_) => conn.abort().await,
    }
    result
}

async fn hand_over(
    conn: &mut AsyncSmtpConnection,
    timeout: Duration,
    envelope: &Envelope,
    message: &[u8],
) -> Result<String, DeliveryError> {
    let mut options = Vec::new();
    if !message.is_ascii() {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    step(
        timeout,
        "MAIL FROM",
        conn.command(Mail::new(envelope.from().cloned(), options)),
    )
    .await?;
    for to in envelope.to() {
        step(
            timeout,
            "RCPT TO",
            conn.command(Rcpt::new(to.clone(), vec![])),
        )
        .await?;
    }
    step(timeout, "DATA", conn.command(Data)).await?;
    // From here on, a failure without a reply may have delivered.
    match tokio_timeout(timeout, conn.message(message)).await {
        Ok(Ok(reply)) => Ok(reply.message().collect::<Vec<_>>().join(" ")),
        Ok(Err(e)) => Err(match classify(&e, "fim da mensagem") {
            DeliveryError::Transient(m) if e.status().is_none() => DeliveryError::Ambiguous(m),
            other => other,
        }),
        Err(_) => Err(DeliveryError::Ambiguous(format!(
            "o servidor não respondeu ao fim da mensagem em {}s",
            timeout.as_secs()
        ))),
    }
}

async fn tokio_timeout<F: std::future::Future>(
    limit: Duration,
    future: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    tokio::time::timeout(limit, future).await
}

/// Runs one step before the data, where every failure means "not sent".
async fn step<T>(
    limit: Duration,
    what: &str,
    future: impl std::future::Future<Output = Result<T, SmtpError>>,
) -> Result<T, DeliveryError> {
    match tokio_timeout(limit, future).await {
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
    // A 5xx, a client-side refusal (no common AUTH mechanism) or a TLS failure
    // will not pass by itself.
    if e.is_permanent() || e.is_client() || e.is_tls() {
        DeliveryError::Rejected(message)
    } else {
        DeliveryError::Transient(message)
    }
}
