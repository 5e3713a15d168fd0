//! A small SMTP server for tests (RFC 5321 subset: EHLO/HELO, AUTH PLAIN and LOGIN,
//! MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), keeping what it
//! receives and able to fail the way real servers do, so the SMTP client is tested
//! against the wire protocol rather than a mock of our code.

use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use base64::{engine::general_purpose::STANDARD, Engine};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

/// A message the sink accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, CRLF line ends.
    pub data: String,
    pub user: Option<String>,
}

impl Received {
    /// The decoded text/plain body.
    pub fn text(&self) -> String {
        self.parsed(|m| m.body_text(0).map(|t| t.into_owned()))
    }

    /// The decoded text/html body, if the message has one.
    pub fn html(&self) -> Option<String> {
        let html = self.parsed(|m| {
            m.html_part(0)
                .filter(|p| p.is_text_html())
                .and_then(|p| p.text_contents())
                .map(str::to_owned)
        });
        (!html.is_empty()).then_some(html)
    }

    fn parsed(&self, read: impl Fn(&mail_parser::Message<'_>) -> Option<String>) -> String {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .and_then(|m| read(&m))
            .unwrap_or_default()
    }

    /// The value of the first header `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((key, rest)) = line.split_once(':') {
                if key.eq_ignore_ascii_case(name) {
                    value = Some(rest.trim().to_owned());
                }
            }
        }
        value
    }
}

/// How the sink misbehaves. Each `*_once` flag applies to the next message only.
#[derive(Debug, Default)]
struct Faults {
    credentials: Option<(String, String)>,
    rejected_recipients: HashSet<String>,
    busy_once: bool,
    drop_after_data_once: bool,
    reject_data_once: bool,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    faults: Faults,
}

#[derive(Clone)]
pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl SmtpSink {
    /// Starts a sink on 127.0.0.1 (a free port) that accepts any login.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let addr = crate::loopback::serve_on_loopback("SMTP sink", state.clone(), serve).await;
        Self { addr, state }
    }

    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut lock(&self.state))
    }

    /// Only this login is accepted (535 otherwise).
    pub fn require_login(&self, user: &str, password: &str) {
        self.with(|s| s.faults.credentials = Some((user.into(), password.into())));
    }

    /// `RCPT TO` this address answers 550.
    pub fn reject_recipient(&self, address: &str) {
        self.with(|s| {
            s.faults
                .rejected_recipients
                .insert(address.to_ascii_lowercase())
        });
    }

    /// The next `MAIL FROM` answers 421 (try later).
    pub fn busy_once(&self) {
        self.with(|s| s.faults.busy_once = true);
    }

    /// The next message is read to its end, then the connection drops without a
    /// reply: the client cannot know whether it was taken. The sink keeps it, as a
    /// real server that crashed after queueing might.
    pub fn drop_after_data_once(&self) {
        self.with(|s| s.faults.drop_after_data_once = true);
    }

    /// The next message is refused at the end of DATA with 554.
    pub fn reject_data_once(&self) {
        self.with(|s| s.faults.reject_data_once = true);
    }

    pub fn received(&self) -> Vec<Received> {
        self.with(|s| s.received.clone())
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.flux.test ESMTP\r\n").await?;
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    let mut user: Option<String> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-sink.flux.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN LOGIN".into()
        } else if upper.starts_with("HELO") {
            "250 sink.flux.test".into()
        } else if upper.starts_with("AUTH PLAIN") {
            let encoded = command.get(10..).unwrap_or_default().trim().to_owned();
            let encoded = if encoded.is_empty() {
                write.write_all(b"334 \r\n").await?;
                line.clear();
                lines.read_line(&mut line).await?;
                line.trim().to_owned()
            } else {
                encoded
            };
            let decoded = STANDARD.decode(encoded).unwrap_or_default();
            let parts: Vec<String> = decoded
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            let (login, password) = (
                parts.get(1).cloned().unwrap_or_default(),
                parts.get(2).cloned().unwrap_or_default(),
            );
            login_reply(&state, &mut user, login, password)
        } else if upper.starts_with("AUTH LOGIN") {
            write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
            line.clear();
            lines.read_line(&mut line).await?;
            let login = String::from_utf8_lossy(&STANDARD.decode(line.trim()).unwrap_or_default())
                .into_owned();
            write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
            line.clear();
            lines.read_line(&mut line).await?;
            let password =
                String::from_utf8_lossy(&STANDARD.decode(line.trim()).unwrap_or_default())
                    .into_owned();
            login_reply(&state, &mut user, login, password)
        } else if upper.starts_with("MAIL FROM:") {
            let needs_login = lock(&state).faults.credentials.is_some();
            if needs_login && user.is_none() {
                "530 5.7.0 Authentication required".into()
            } else if std::mem::take(&mut lock(&state).faults.busy_once) {
                "421 4.3.2 Service busy, try later".into()
            } else {
                from = address_of(&command[10..]);
                to.clear();
                "250 2.1.0 Ok".into()
            }
        } else if upper.starts_with("RCPT TO:") {
            let address = address_of(&command[8..]);
            if lock(&state)
                .faults
                .rejected_recipients
                .contains(&address.to_ascii_lowercase())
            {
                "550 5.1.1 No such user".into()
            } else {
                to.push(address);
                "250 2.1.5 Ok".into()
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                "503 5.5.1 No recipients".into()
            } else {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut lines).await? else {
                    return Ok(());
                };
                let (hang_up, reject) = {
                    let mut s = lock(&state);
                    (
                        std::mem::take(&mut s.faults.drop_after_data_once),
                        std::mem::take(&mut s.faults.reject_data_once),
                    )
                };
                if reject {
                    "554 5.7.1 Message rejected as spam".into()
                } else {
                    let mut s = lock(&state);
                    s.received.push(Received {
                        from: from.clone(),
                        to: std::mem::take(&mut to),
                        data,
                        user: user.clone(),
                    });
                    let id = s.received.len();
                    drop(s);
                    if hang_up {
                        return Ok(());
                    }
                    format!("250 2.0.0 Ok: queued as SINK{id}")
                }
            }
        } else if upper == "RSET" {
            to.clear();
            "250 2.0.0 Ok".into()
        } else if upper == "NOOP" {
            "250 2.0.0 Ok".into()
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 5.5.2 Command not recognized".into()
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

fn login_reply(
    state: &Arc<Mutex<State>>,
    user: &mut Option<String>,
    login: String,
    password: String,
) -> String {
    let expected = lock(state).faults.credentials.clone();
    match expected {
        Some((u, p)) if u != login || p != password => {
            "535 5.7.8 Authentication credentials invalid".into()
        }
        _ => {
            *user = Some(login);
            "235 2.7.0 Authentication successful".into()
        }
    }
}

fn address_of(argument: &str) -> String {
    let argument = argument.trim();
    let inner = argument
        .strip_prefix('<')
        .and_then(|a| a.split_once('>'))
        .map(|(a, _)| a)
        .unwrap_or(argument);
    inner.to_owned()
}

/// The message up to the lone dot; `None` when the client left before it (an
/// unfinished message is not taken).
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut R,
) -> std::io::Result<Option<String>> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(Some(data));
        }
        let unstuffed = line.strip_prefix('.').unwrap_or(&line);
        data.push_str(unstuffed);
    }
}
