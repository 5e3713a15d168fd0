//! A small IMAP4rev1 server for tests (RFC 3501 subset: CAPABILITY, LOGIN, SELECT and
//! EXAMINE of one folder, UID SEARCH by UID range or SINCE date, UID FETCH of UID,
//! RFC822.SIZE, FLAGS, BODY[HEADER] and BODY[] (with or without PEEK), NOOP,
//! LOGOUT), holding the messages a test delivers, so the poller is tested against the
//! wire protocol rather than a mock of our code.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

/// A message in the folder.
#[derive(Debug, Clone)]
struct Stored {
    uid: u32,
    /// The server's arrival date, `YYYY-MM-DD` order for comparisons.
    arrived: (i32, u32, u32),
    raw: Vec<u8>,
    seen: bool,
}

struct State {
    username: String,
    password: String,
    folder: String,
    uid_validity: u32,
    next_uid: u32,
    messages: Vec<Stored>,
    /// Every command line received (passwords masked), for assertions.
    commands: Vec<String>,
    refuse_logins: bool,
    /// UIDs whose FETCH answers `NO` (a corrupt item on a real server).
    refused: Vec<u32>,
}

#[derive(Clone)]
pub struct ImapInbox {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl ImapInbox {
    /// Starts a server on 127.0.0.1 (a free port) with one folder, `INBOX`, for one
    /// account.
    pub async fn start(username: &str, password: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            username: username.to_owned(),
            password: password.to_owned(),
            folder: "INBOX".into(),
            uid_validity: 1,
            next_uid: 1,
            messages: Vec::new(),
            commands: Vec::new(),
            refuse_logins: false,
            refused: Vec::new(),
        }));
        let addr = crate::loopback::serve_on_loopback("IMAP server", state.clone(), serve).await;
        Self { addr, state }
    }

    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a message in the folder, arrived on `day` (`(year, month, day)`); returns
    /// its UID.
    pub fn deliver_on(&self, raw: impl Into<Vec<u8>>, day: (i32, u32, u32)) -> u32 {
        let mut state = self.state();
        let uid = state.next_uid;
        state.next_uid += 1;
        state.messages.push(Stored {
            uid,
            arrived: day,
            raw: raw.into(),
            seen: false,
        });
        uid
    }

    /// Puts a message in the folder, arrived on 2026-11-21.
    pub fn deliver(&self, raw: impl Into<Vec<u8>>) -> u32 {
        self.deliver_on(raw, (2026, 11, 21))
    }

    /// Renumbers the folder the way a server rebuilding its index does: a new
    /// UIDVALIDITY and new UIDs for every message.
    pub fn renumber(&self) {
        let mut state = self.state();
        state.uid_validity += 1;
        let mut next = state.next_uid + 100;
        for m in state.messages.iter_mut() {
            m.uid = next;
            next += 1;
        }
        state.next_uid = next;
    }

    /// Makes every login fail (as after a password change) until called with false.
    pub fn refuse_logins(&self, refuse: bool) {
        self.state().refuse_logins = refuse;
    }

    /// Makes every FETCH that includes `uid` fail with `NO`, as servers do for an item
    /// they cannot read.
    pub fn refuse_fetch(&self, uid: u32) {
        self.state().refused.push(uid);
    }

    /// The command lines received so far (LOGIN passwords masked).
    pub fn commands(&self) -> Vec<String> {
        self.state().commands.clone()
    }

    /// Whether any message was marked read (a poller must not change the folder).
    pub fn any_seen(&self) -> bool {
        self.state().messages.iter().any(|m| m.seen)
    }
}

/// What one connection has done so far.
#[derive(Default)]
struct Connection {
    logged_in: bool,
    selected: bool,
}

async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"* OK [CAPABILITY IMAP4rev1] Flux test IMAP ready\r\n")
        .await?;
    let mut connection = Connection::default();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let (reply, close) = {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            respond(&mut state, &mut connection, line.trim_end())
        };
        write.write_all(&reply).await?;
        if close {
            return Ok(());
        }
    }
}

/// The answer to one command line, and whether the connection ends after it.
fn respond(state: &mut State, connection: &mut Connection, line: &str) -> (Vec<u8>, bool) {
    let words = tokenize(line);
    let Some((tag, rest)) = words.split_first() else {
        return (b"* BAD empty command\r\n".to_vec(), false);
    };
    let command = rest
        .first()
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_default();
    state.commands.push(if command == "LOGIN" {
        format!(
            "{tag} LOGIN {} ***",
            rest.get(1).cloned().unwrap_or_default()
        )
    } else {
        line.to_owned()
    });
    let reply: Vec<u8> = match command.as_str() {
        "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n").into(),
        "NOOP" => format!("{tag} OK done\r\n").into(),
        "LOGOUT" => return (format!("* BYE see you\r\n{tag} OK done\r\n").into(), true),
        "LOGIN" => {
            let ok = !state.refuse_logins
                && rest.get(1) == Some(&state.username)
                && rest.get(2) == Some(&state.password);
            connection.logged_in = ok;
            if ok {
                format!("{tag} OK logged in\r\n").into()
            } else {
                format!("{tag} NO [AUTHENTICATIONFAILED] invalid credentials\r\n").into()
            }
        }
        _ if !connection.logged_in => format!("{tag} BAD log in first\r\n").into(),
        "SELECT" | "EXAMINE" => {
            if rest
                .get(1)
                .is_some_and(|f| f.eq_ignore_ascii_case(&state.folder))
            {
                connection.selected = true;
                let mode = if command == "EXAMINE" {
                    "READ-ONLY"
                } else {
                    "READ-WRITE"
                };
                format!(
                    "* {} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Answered)\r\n\
                     * OK [UIDVALIDITY {}] ok\r\n* OK [UIDNEXT {}] ok\r\n{tag} OK [{mode}] done\r\n",
                    state.messages.len(),
                    state.uid_validity,
                    state.next_uid
                )
                .into()
            } else {
                format!("{tag} NO [NONEXISTENT] no such folder\r\n").into()
            }
        }
        _ if !connection.selected => format!("{tag} BAD select a folder first\r\n").into(),
        "UID" => uid_command(state, tag, &rest[1..]),
        _ => format!("{tag} BAD unknown command\r\n").into(),
    };
    (reply, false)
}

/// `UID SEARCH` and `UID FETCH`. A non-PEEK `BODY[]` marks the message read, as on
/// real servers.
fn uid_command(state: &mut State, tag: &str, args: &[String]) -> Vec<u8> {
    let sub = args
        .first()
        .map(|a| a.to_ascii_uppercase())
        .unwrap_or_default();
    match sub.as_str() {
        "SEARCH" => {
            let criteria: Vec<String> = args[1..].iter().map(|a| a.to_ascii_uppercase()).collect();
            let max = state.messages.iter().map(|m| m.uid).max().unwrap_or(0);
            let found: Vec<u32> = match criteria.as_slice() {
                [uid, set] if uid == "UID" => state
                    .messages
                    .iter()
                    .filter(|m| in_set(m.uid, set, max))
                    .map(|m| m.uid)
                    .collect(),
                [since, date] if since == "SINCE" => match parse_date(date) {
                    Some(day) => state
                        .messages
                        .iter()
                        .filter(|m| m.arrived >= day)
                        .map(|m| m.uid)
                        .collect(),
                    None => return format!("{tag} BAD bad date\r\n").into(),
                },
                _ => return format!("{tag} BAD unsupported search\r\n").into(),
            };
            let list: Vec<String> = found.iter().map(u32::to_string).collect();
            let sep = if list.is_empty() { "" } else { " " };
            format!("* SEARCH{sep}{}\r\n{tag} OK done\r\n", list.join(" ")).into()
        }
        "FETCH" => {
            let (Some(set), items) = (args.get(1), args[2..].join(" ").to_ascii_uppercase()) else {
                return format!("{tag} BAD missing set\r\n").into();
            };
            let max = state.messages.iter().map(|m| m.uid).max().unwrap_or(0);
            if state.refused.iter().any(|&uid| in_set(uid, set, max)) {
                return format!("{tag} NO [UNAVAILABLE] cannot read that message\r\n").into();
            }
            let mut out = Vec::new();
            for (index, m) in state.messages.iter_mut().enumerate() {
                if !in_set(m.uid, set, max) {
                    continue;
                }
                let mut attrs = format!("UID {}", m.uid).into_bytes();
                if items.contains("RFC822.SIZE") {
                    attrs.extend(format!(" RFC822.SIZE {}", m.raw.len()).bytes());
                }
                if items.contains("BODY[HEADER]") || items.contains("BODY.PEEK[HEADER]") {
                    let end = header_end(&m.raw);
                    attrs.extend(format!(" BODY[HEADER] {{{end}}}\r\n").bytes());
                    attrs.extend_from_slice(&m.raw[..end]);
                }
                if items.contains("BODY[]") || items.contains("BODY.PEEK[]") {
                    // `BODY.PEEK[]<0.n>`: the first n bytes, answered as `BODY[]<0>`.
                    match partial_length(&items) {
                        Some(n) => {
                            let part = &m.raw[..m.raw.len().min(n)];
                            attrs.extend(format!(" BODY[]<0> {{{}}}\r\n", part.len()).bytes());
                            attrs.extend_from_slice(part);
                        }
                        None => {
                            attrs.extend(format!(" BODY[] {{{}}}\r\n", m.raw.len()).bytes());
                            attrs.extend_from_slice(&m.raw);
                        }
                    }
                    if !items.contains("BODY.PEEK[]") {
                        m.seen = true;
                    }
                }
                out.extend(format!("* {} FETCH (", index + 1).bytes());
                out.extend(attrs);
                out.extend(b")\r\n");
            }
            out.extend(format!("{tag} OK done\r\n").bytes());
            out
        }
        _ => format!("{tag} BAD unsupported UID command\r\n").into(),
    }
}

/// `n` of a `BODY[]<0.n>` item.
fn partial_length(items: &str) -> Option<usize> {
    let start = items.find("[]<0.")? + "[]<0.".len();
    let rest = &items[start..];
    rest[..rest.find('>')?].parse().ok()
}

/// Where the header ends (after the blank line), or the whole message.
fn header_end(raw: &[u8]) -> usize {
    raw.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
        .unwrap_or(raw.len())
}

/// RFC 3501 sequence sets over UIDs: `n`, `a:b`, `a:*`, comma lists. `*` is the
/// highest UID, so `n:*` always includes the newest message.
fn in_set(uid: u32, set: &str, max: u32) -> bool {
    let value = |s: &str| {
        if s == "*" {
            Some(max)
        } else {
            s.parse::<u32>().ok()
        }
    };
    set.split(',').any(|item| match item.split_once(':') {
        Some((a, b)) => match (value(a), value(b)) {
            (Some(a), Some(b)) => (a.min(b)..=a.max(b)).contains(&uid),
            _ => false,
        },
        None => value(item) == Some(uid),
    })
}

/// `21-Nov-2026`.
fn parse_date(raw: &str) -> Option<(i32, u32, u32)> {
    let mut parts = raw.trim_matches('"').split('-');
    let day = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let month = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ]
    .iter()
    .position(|m| name.eq_ignore_ascii_case(m))?;
    let year = parts.next()?.parse().ok()?;
    Some((year, month as u32 + 1, day))
}

/// Atoms and quoted strings (with `\"` and `\\` escapes); parenthesised lists stay
/// whole words split at spaces, which is all the commands above need.
fn tokenize(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => word.extend(chars.next()),
                    '"' => break,
                    c => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    words
}
