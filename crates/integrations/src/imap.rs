//! Reading a sender's inbox over IMAP (RFC 3501), as the reply and bounce poller
//! needs it: connect, secure, log in, open the folder read-only (`EXAMINE`: nothing
//! is marked read), find messages by UID or date, fetch headers and whole messages
//! with `BODY.PEEK`. Every step is time-boxed.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use async_imap::{Client, Session};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    time::timeout,
};
use tokio_rustls::{client::TlsStream, rustls::pki_types::ServerName};

use crate::mail_server::{resolve, tls_connector, Unreachable};
pub use crate::mail_server::{HostPolicy, MailSecurity};

/// One IMAP account and the folder replies arrive in.
#[derive(Clone)]
pub struct ImapServer {
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub username: String,
    pub password: String,
    pub folder: String,
    /// For each step (connect, each command).
    pub timeout: Duration,
    /// Which addresses `host` may resolve to.
    pub hosts: HostPolicy,
}

impl std::fmt::Debug for ImapServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

/// Why the inbox could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImapError {
    /// May work on the next poll (connection refused or lost, a timeout).
    #[error("{0}")]
    Transient(String),
    /// Will not work until the settings change (login refused, no such folder, TLS or
    /// certificate failure, a password that would travel unencrypted).
    #[error("{0}")]
    Rejected(String),
}

/// An open, read-only view of the folder.
pub struct Inbox {
    session: Session<MailStream>,
    step: Duration,
    /// Changes when the server renumbered the folder: UIDs seen before mean nothing.
    pub uid_validity: u32,
    pub exists: u32,
    /// The UID the next message will get, when the server says.
    pub uid_next: Option<u32>,
}

/// A message's header as fetched.
#[derive(Debug, Clone)]
pub struct FetchedHeader {
    pub uid: u32,
    /// The whole message's size (`RFC822.SIZE`).
    pub size: u32,
    pub header: Vec<u8>,
}

/// How many UIDs go in one `UID FETCH`.
const FETCH_CHUNK: usize = 100;
/// How long a LOGOUT may take: a server that stopped answering must not hold the poll.
const GOODBYE: Duration = Duration::from_secs(2);

/// Connects, secures, logs in and opens the folder read-only. Connecting and logging
/// in take at most four steps' time.
pub async fn open(server: &ImapServer) -> Result<Inbox, ImapError> {
    let all = server.timeout * 4;
    timeout(all, open_folder(server)).await.unwrap_or_else(|_| {
        Err(ImapError::Transient(format!(
            "a conexão IMAP passou de {}s",
            all.as_secs()
        )))
    })
}

/// Checks the server, the account and the folder, reading nothing.
pub async fn check(server: &ImapServer) -> Result<(), ImapError> {
    open(server).await?.close().await;
    Ok(())
}

async fn open_folder(server: &ImapServer) -> Result<Inbox, ImapError> {
    let session = log_in(server).await?;
    let mut inbox = Inbox {
        session,
        step: server.timeout,
        uid_validity: 0,
        exists: 0,
        uid_next: None,
    };
    let examined = run(
        server.timeout,
        "abrir a pasta",
        inbox.session.examine(&server.folder),
    )
    .await;
    let mailbox = match examined {
        Ok(mailbox) => mailbox,
        Err(e) => {
            inbox.close().await;
            return Err(e);
        }
    };
    let Some(uid_validity) = mailbox.uid_validity else {
        inbox.close().await;
        return Err(ImapError::Rejected(format!(
            "{} não informa UIDVALIDITY para {}",
            server.host, server.folder
        )));
    };
    inbox.uid_validity = uid_validity;
    inbox.exists = mailbox.exists;
    inbox.uid_next = mailbox.uid_next;
    Ok(inbox)
}

async fn log_in(server: &ImapServer) -> Result<Session<MailStream>, ImapError> {
    let step = server.timeout;
    let addr = resolve(&server.host, server.port, server.hosts)
        .await
        .map_err(|e| match e {
            Unreachable::Lookup(m) => ImapError::Transient(m),
            Unreachable::Internal(m) => ImapError::Rejected(m),
        })?;
    let tcp = within(step, "conectar", TcpStream::connect(addr))
        .await?
        .map_err(|e| ImapError::Transient(format!("conectar a {}: {e}", server.host)))?;
    let stream = match server.security {
        MailSecurity::Tls => secure(server, tcp).await?,
        MailSecurity::None | MailSecurity::Starttls => MailStream::Plain(tcp),
    };
    let mut client = Client::new(stream);
    match within(step, "saudação", client.read_response()).await? {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Err(ImapError::Transient(format!(
                "{} fechou a conexão sem saudação",
                server.host
            )))
        }
        Err(e) => return Err(ImapError::Transient(format!("saudação: {e}"))),
    }
    if server.security == MailSecurity::Starttls {
        within(
            step,
            "STARTTLS",
            client.run_command_and_check_ok("STARTTLS", None),
        )
        .await?
        .map_err(|e| {
            ImapError::Rejected(format!(
                "{} recusou STARTTLS ({e}); use TLS (porta 993)",
                server.host
            ))
        })?;
        let MailStream::Plain(tcp) = client.into_inner() else {
            return Err(ImapError::Rejected("STARTTLS duplo".into()));
        };
        client = Client::new(secure(server, tcp).await?);
    }
    if !client.get_ref().is_encrypted() && !addr.ip().is_loopback() {
        return Err(ImapError::Rejected(format!(
            "a senha não é enviada sem criptografia: use STARTTLS ou TLS com {}",
            server.host
        )));
    }
    within(
        step,
        "autenticar",
        client.login(&server.username, &server.password),
    )
    .await?
    .map_err(|(e, _)| classify(e, "login"))
}

async fn secure(server: &ImapServer, tcp: TcpStream) -> Result<MailStream, ImapError> {
    let connector =
        tls_connector().map_err(|e| ImapError::Rejected(format!("TLS indisponível: {e}")))?;
    let name = ServerName::try_from(server.host.clone())
        .map_err(|e| ImapError::Rejected(format!("nome inválido para TLS {}: {e}", server.host)))?;
    let tls = within(server.timeout, "TLS", connector.connect(name, tcp))
        .await?
        .map_err(|e| ImapError::Rejected(format!("TLS com {}: {e}", server.host)))?;
    Ok(MailStream::Tls(Box::new(tls)))
}

impl Inbox {
    /// UIDs above `last`, ascending. (`n:*` always names the newest message, even
    /// when its UID is below `n`: filtered out.)
    pub async fn uids_after(&mut self, last: u32) -> Result<Vec<u32>, ImapError> {
        let query = format!("UID {}:*", last.saturating_add(1));
        let mut uids = self.search(&query).await?;
        uids.retain(|&uid| uid > last);
        Ok(uids)
    }

    /// UIDs of messages that arrived on or after `day` (the server's date), ascending.
    pub async fn uids_since(&mut self, day: NaiveDate) -> Result<Vec<u32>, ImapError> {
        self.search(&format!("SINCE {}", day.format("%-d-%b-%Y")))
            .await
    }

    async fn search(&mut self, query: &str) -> Result<Vec<u32>, ImapError> {
        let found = run(self.step, "procurar", self.session.uid_search(query)).await?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The headers and sizes of `uids` (any order), without marking anything read. A
    /// message the server does not return (a corrupt item refused with `NO`, one
    /// expunged meanwhile) is left out rather than failing the others: when a chunk
    /// comes back short, its missing messages are asked for one at a time. (async-imap
    /// ends a FETCH at its tagged status without reporting a `NO`.)
    pub async fn headers(&mut self, uids: &[u32]) -> Result<Vec<FetchedHeader>, ImapError> {
        let mut fetched = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(FETCH_CHUNK) {
            let rows = self.fetch_headers(chunk).await?;
            let missing: Vec<u32> = chunk
                .iter()
                .copied()
                .filter(|uid| !rows.iter().any(|r| r.uid == *uid))
                .collect();
            fetched.extend(rows);
            if chunk.len() > 1 {
                for uid in missing {
                    let single = self.fetch_headers(&[uid]).await?;
                    if single.is_empty() {
                        tracing::warn!(uid, "message not returned by the server; skipped");
                    }
                    fetched.extend(single);
                }
            }
        }
        Ok(fetched)
    }

    /// One `UID FETCH`, time-boxed, read to its end.
    async fn fetch(
        &mut self,
        set: &str,
        query: &str,
        what: &str,
    ) -> Result<Vec<async_imap::types::Fetch>, ImapError> {
        let session = &mut self.session;
        run(self.step, what, async {
            session
                .uid_fetch(set, query)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await
    }

    async fn fetch_headers(&mut self, uids: &[u32]) -> Result<Vec<FetchedHeader>, ImapError> {
        let rows = self
            .fetch(
                &uid_set(uids),
                "(UID RFC822.SIZE BODY.PEEK[HEADER])",
                "ler cabeçalhos",
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                Some(FetchedHeader {
                    uid: row.uid?,
                    size: row.size.unwrap_or(0),
                    header: row.header()?.to_vec(),
                })
            })
            .collect())
    }

    /// The first `max_bytes` of message `uid` (all of it when smaller), without
    /// marking it read. `None` when the server does not return it (gone, or refused).
    pub async fn message(
        &mut self,
        uid: u32,
        max_bytes: u32,
    ) -> Result<Option<Vec<u8>>, ImapError> {
        let query = format!("(UID BODY.PEEK[]<0.{max_bytes}>)");
        let rows = self
            .fetch(&uid.to_string(), &query, "ler a mensagem")
            .await?;
        Ok(rows
            .iter()
            .find(|row| row.uid == Some(uid))
            .and_then(|row| row.body())
            .map(|body| body[..body.len().min(max_bytes as usize)].to_vec()))
    }

    /// Logs out (time-boxed: a silent server cannot hold the poll).
    pub async fn close(mut self) {
        let _ = timeout(GOODBYE, self.session.logout()).await;
    }
}

/// One IMAP command, time-boxed, its failure classified.
async fn run<T>(
    step: Duration,
    what: &str,
    future: impl std::future::Future<Output = async_imap::error::Result<T>>,
) -> Result<T, ImapError> {
    within(step, what, future)
        .await?
        .map_err(|e| classify(e, what))
}

/// `1,2,3` (sorted runs could be `1:3`; plain lists are always valid).
fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

async fn within<T>(
    step: Duration,
    what: &str,
    future: impl std::future::Future<Output = T>,
) -> Result<T, ImapError> {
    timeout(step, future)
        .await
        .map_err(|_| ImapError::Transient(format!("{what}: sem resposta em {}s", step.as_secs())))
}

fn classify(e: async_imap::error::Error, what: &str) -> ImapError {
    use async_imap::error::Error;
    let message = format!("{what}: {e}");
    match e {
        Error::Io(_) | Error::ConnectionLost => ImapError::Transient(message),
        Error::No(_) | Error::Bad(_) | Error::Parse(_) | Error::Validate(_) | Error::Append => {
            ImapError::Rejected(message)
        }
        _ => ImapError::Transient(message),
    }
}

/// The connection before and after TLS: one type, so STARTTLS can swap it in place.
#[derive(Debug)]
enum MailStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl MailStream {
    fn is_encrypted(&self) -> bool {
        matches!(self, Self::Tls(_))
    }
}

impl AsyncRead for MailStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
