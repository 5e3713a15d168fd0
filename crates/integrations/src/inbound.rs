//! Reading what comes back to a sender's inbox: replies to our messages, delivery
//! failures (DSN, RFC 3464, and the older free-form bounces) and automatic answers
//! (RFC 3834), from the raw RFC 5322 bytes. Pure functions: the poller decides what
//! to fetch and what to record.

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders};

/// What a message is, from its header alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A delivery report or a mailer daemon's failure notice: read the whole message
    /// with [`read_bounce`].
    Bounce,
    /// An out-of-office or other automatic answer: neither a reply nor a bounce.
    AutoReply,
    /// Anything else: a reply when it refers to one of our messages.
    Message,
}

/// A message's header, as far as replies and bounces go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    /// `In-Reply-To` then `References`, without angle brackets, in order, once each.
    pub refers_to: Vec<String>,
    /// Its own Message-ID, without brackets.
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// When it was written (its `Date`), if it says.
    pub date: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads a header block (or a whole message). `None` when it is not a message.
pub fn read_header(raw: &[u8]) -> Option<Header> {
    let message = MessageParser::new().parse_headers(raw)?;
    let kind = if let Some(kind) = report_type(&message) {
        kind
    } else if is_daemon_notice(&message) {
        Kind::Bounce
    } else if is_automatic(&message) {
        Kind::AutoReply
    } else {
        Kind::Message
    };
    Some(Header {
        kind,
        refers_to: references_of(&message),
        message_id: message.message_id().and_then(clean_id),
        from: sender_of(&message),
        subject: message.subject().map(|s| clean(s, MAX_SUBJECT)),
        date: message
            .date()
            .and_then(|d| chrono::DateTime::from_timestamp(d.to_timestamp(), 0)),
    })
}

/// The first lines the person wrote in a reply (quoted history and signatures cut
/// where they are recognisable), for the lead's timeline.
pub fn reply_excerpt(raw: &[u8], max_chars: usize) -> Option<String> {
    let message = MessageParser::new().parse(raw)?;
    let text = message.body_text(0)?;
    let mut kept = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('>') || is_quote_intro(trimmed) || trimmed == "--" {
            break;
        }
        kept.push(trimmed);
    }
    let excerpt = kept.join("\n");
    let excerpt = excerpt.trim();
    (!excerpt.is_empty()).then(|| clean(excerpt, max_chars))
}

/// A delivery failure, read from the whole message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounce {
    /// Message-IDs the report is about (the returned message's own, those it refers
    /// to, and any `Message-ID:` line in the returned text), without brackets.
    pub message_ids: Vec<String>,
    /// Whether delivery failed for good (a DSN `Action: failed` or a 5.x.x status;
    /// a free-form notice unless it says the message is only delayed).
    pub permanent: bool,
    pub recipient: Option<String>,
    /// The enhanced status code (RFC 3463), e.g. `5.1.1`.
    pub status: Option<String>,
    /// The remote server's words (`Diagnostic-Code`).
    pub diagnostic: Option<String>,
}

pub fn read_bounce(raw: &[u8]) -> Option<Bounce> {
    let message = MessageParser::new().parse(raw)?;
    let own_id = message.message_id().map(str::to_owned);
    let mut bounce = Bounce::default();
    let mut reported = false;
    for part in message.parts.iter() {
        let Some(content_type) = part.content_type() else {
            continue;
        };
        let subtype = content_type.subtype().unwrap_or_default();
        match (content_type.ctype(), subtype) {
            (t, s)
                if t.eq_ignore_ascii_case("message")
                    && (s.eq_ignore_ascii_case("delivery-status")
                        || s.eq_ignore_ascii_case("global-delivery-status")) =>
            {
                reported = true;
                read_delivery_status(&String::from_utf8_lossy(part.contents()), &mut bounce);
            }
            (t, s)
                if (t.eq_ignore_ascii_case("text") || t.eq_ignore_ascii_case("message"))
                    && (s.eq_ignore_ascii_case("rfc822-headers")
                        || s.eq_ignore_ascii_case("global-headers")) =>
            {
                if let Some(original) = MessageParser::new().parse_headers(part.contents()) {
                    push_ids(&mut bounce.message_ids, original.message_id());
                }
            }
            _ => {}
        }
        if let Some(original) = part.message() {
            push_ids(&mut bounce.message_ids, original.message_id());
            for id in references_of(original) {
                push_ids(&mut bounce.message_ids, Some(&id));
            }
        }
    }
    for id in references_of(&message) {
        push_ids(&mut bounce.message_ids, Some(&id));
    }
    for id in message_id_lines(raw) {
        if own_id.as_deref() != Some(id.as_str()) {
            push_ids(&mut bounce.message_ids, Some(&id));
        }
    }
    if !reported {
        let subject = message.subject().unwrap_or_default().to_lowercase();
        bounce.permanent = !DELAY_WORDS.iter().any(|w| subject.contains(w));
    }
    Some(bounce)
}

/// Words of a "still trying" notice (not a failure yet).
const DELAY_WORDS: [&str; 6] = [
    "delay",
    "atrasad",
    "warning",
    "aviso",
    "will retry",
    "tentando novamente",
];

/// RFC 3464 §2.3: per-recipient groups of fields, separated by blank lines.
fn read_delivery_status(text: &str, bounce: &mut Bounce) {
    for group in unfold(text).split(|line| line.is_empty()) {
        let field = |name: &str| {
            group.iter().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
        };
        let Some(action) = field("Action") else {
            continue;
        };
        let status = field("Status");
        let failed = action.eq_ignore_ascii_case("failed")
            || status.as_deref().is_some_and(|s| s.starts_with('5'));
        if failed && !bounce.permanent {
            bounce.permanent = true;
            bounce.recipient = field("Final-Recipient")
                .or_else(|| field("Original-Recipient"))
                .map(|r| clean(&strip_address_type(&r), MAX_ADDRESS));
            bounce.status = status.map(|s| clean(&s, 32));
            bounce.diagnostic =
                field("Diagnostic-Code").map(|d| clean(&strip_address_type(&d), MAX_DIAGNOSTIC));
        }
    }
}

/// Joins folded header lines (a line starting with white space continues the last).
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        match lines.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) && !last.is_empty() => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.trim().to_owned()),
        }
    }
    lines
}

/// `rfc822; someone@example.com` → `someone@example.com`.
fn strip_address_type(value: &str) -> String {
    match value.split_once(';') {
        Some((_, rest)) => rest.trim().to_owned(),
        None => value.trim().to_owned(),
    }
}

/// Every `Message-ID: <…>` line in the raw text (free-form bounces quote the returned
/// message's header in their body).
fn message_id_lines(raw: &[u8]) -> Vec<String> {
    const FIELD: &[u8] = b"message-id:";
    let mut ids = Vec::new();
    let mut at = 0;
    while let Some(found) = find_ignore_case(&raw[at..], FIELD) {
        let start = at + found + FIELD.len();
        let rest = &raw[start..raw.len().min(start + 1000)];
        if let (Some(open), Some(close)) = (
            rest.iter().position(|&b| b == b'<'),
            rest.iter().position(|&b| b == b'>'),
        ) {
            let between_is_blank = rest[..open].iter().all(u8::is_ascii_whitespace);
            if between_is_blank && open < close {
                if let Ok(id) = std::str::from_utf8(&rest[open + 1..close]) {
                    if id.contains('@') && !id.contains(char::is_whitespace) {
                        ids.extend(clean_id(id));
                    }
                }
            }
        }
        at = start;
    }
    ids
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn push_ids(ids: &mut Vec<String>, id: Option<&str>) {
    if let Some(id) = id.and_then(clean_id) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
}

/// Longest Message-ID kept (ours are about 50 characters; RFC 5322 lines stop at 998).
const MAX_ID: usize = 250;
const MAX_SUBJECT: usize = 300;
const MAX_ADDRESS: usize = 320;
const MAX_DIAGNOSTIC: usize = 500;

/// A Message-ID as stored: without brackets, and only when it can be one (no control
/// characters, which the database refuses, and not absurdly long).
fn clean_id(raw: &str) -> Option<String> {
    let id = raw.trim().trim_matches(['<', '>']);
    (!id.is_empty() && id.len() <= MAX_ID && !id.chars().any(char::is_control))
        .then(|| id.to_owned())
}

/// Text from a message made safe to store: no NUL or other control characters but
/// line breaks and tabs, at most `max` characters.
fn clean(text: &str, max: usize) -> String {
    let kept: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    truncate_chars(&kept, max)
}

fn references_of(message: &Message<'_>) -> Vec<String> {
    let mut ids = Vec::new();
    for value in [message.in_reply_to(), message.references()] {
        match value {
            HeaderValue::Text(id) => push_ids(&mut ids, Some(id)),
            HeaderValue::TextList(list) => {
                for id in list {
                    push_ids(&mut ids, Some(id));
                }
            }
            _ => {}
        }
    }
    ids
}

fn sender_of(message: &Message<'_>) -> Option<String> {
    message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| clean(a, MAX_ADDRESS))
}

/// What a `multipart/report` reports: a delivery (a DSN) or something else (read
/// receipts: automatic, never a reply). `None` for any other message.
fn report_type(message: &Message<'_>) -> Option<Kind> {
    let ct = message.content_type()?;
    let report = ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"));
    report.then(|| {
        let delivery = ct.attribute("report-type").is_some_and(|t| {
            t.eq_ignore_ascii_case("delivery-status")
                || t.eq_ignore_ascii_case("global-delivery-status")
        });
        if delivery {
            Kind::Bounce
        } else {
            Kind::AutoReply
        }
    })
}

/// A notice from a mailer daemon: a `MAILER-DAEMON`/`postmaster` sender, or an empty
/// return path with a failure subject.
fn is_daemon_notice(message: &Message<'_>) -> bool {
    let daemon = sender_of(message).is_some_and(|from| {
        let local = from.split('@').next().unwrap_or_default();
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
    });
    let null_return_path = message
        .header_raw("Return-Path")
        .is_some_and(|p| p.trim().trim_matches(['<', '>']).trim().is_empty());
    daemon || (null_return_path && looks_like_failure(message.subject().unwrap_or_default()))
}

fn looks_like_failure(subject: &str) -> bool {
    let subject = subject.to_lowercase();
    [
        "undeliver",
        "delivery status notification",
        "delivery failure",
        "returned mail",
        "mail delivery failed",
        "failure notice",
        "não foi possível entregar",
        "falha na entrega",
        "mensagem não entregue",
    ]
    .iter()
    .any(|w| subject.contains(w))
}

/// RFC 3834 `Auto-Submitted` (anything but `no`), the de facto `X-Autoreply` /
/// `X-Autorespond` and `Precedence: auto_reply|bulk|junk`, and Exchange's
/// out-of-office subjects.
fn is_automatic(message: &Message<'_>) -> bool {
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_lowercase());
    if header("Auto-Submitted").is_some_and(|v| v != "no") {
        return true;
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return true;
    }
    if header("Precedence").is_some_and(|v| ["auto_reply", "bulk", "junk"].contains(&v.as_str())) {
        return true;
    }
    let subject = message.subject().unwrap_or_default().to_lowercase();
    [
        "resposta automática:",
        "automatic reply:",
        "out of office",
        "fora do escritório",
    ]
    .iter()
    .any(|w| subject.starts_with(w))
}

/// "Em seg., 3 de nov. de 2026 às 10:00, Ana <ana@x.com> escreveu:" and
/// "On Mon, Nov 3, 2026 at 10:00 AM Ana <ana@x.com> wrote:", plus Outlook's header.
fn is_quote_intro(line: &str) -> bool {
    let lower = line.to_lowercase();
    ((lower.starts_with("em ") && lower.ends_with("escreveu:"))
        || (lower.starts_with("on ") && lower.ends_with("wrote:")))
        || lower.starts_with("-----original message-----")
        || lower.starts_with("-----mensagem original-----")
        || lower.starts_with("de: ") && lower.contains('@')
        || lower.starts_with("from: ") && lower.contains('@')
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
