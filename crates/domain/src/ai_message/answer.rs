//! Reading the model's answer into a message, or saying why it cannot be used.

use super::MAX_WHATSAPP_CHARS;
use crate::Channel;

/// A message as the model wrote it, ready to edit or send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// E-mail only.
    pub subject: Option<String>,
    pub body: String,
}

/// Why an answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("a resposta não tem a linha de assunto do e-mail")]
    MissingSubject,
    #[error("a resposta não tem corpo")]
    EmptyBody,
    /// The marker itself is not kept: it is the model's text.
    #[error("a resposta deixou um marcador sem preencher (como [Nome] ou {{{{variável}}}})")]
    Placeholder,
    #[error("a mensagem de WhatsApp passou de {MAX_WHATSAPP_CHARS} caracteres")]
    TooLong,
}

/// Reads the model's answer: `Assunto: …`, a blank line and the body for e-mail; the
/// body alone for WhatsApp. Code fences and bold markers are dropped.
pub fn read_answer(channel: Channel, raw: &str) -> Result<Written, AnswerError> {
    let text = strip_fences(raw.trim()).replace("**", "");
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty()).peekable();
    let subject = match lines.peek().and_then(|first| subject_of(first)) {
        Some(subject) => {
            lines.next();
            Some(subject)
        }
        None => None,
    };
    let body = lines.collect::<Vec<_>>().join("\n").trim().to_owned();
    if body.is_empty() {
        return Err(AnswerError::EmptyBody);
    }
    let subject = match channel {
        Channel::Email => Some(subject.ok_or(AnswerError::MissingSubject)?),
        // A subject line on WhatsApp is dropped, not sent.
        Channel::Whatsapp => None,
    };
    if subject
        .iter()
        .chain(std::iter::once(&body))
        .any(|part| has_placeholder(part))
    {
        return Err(AnswerError::Placeholder);
    }
    if channel == Channel::Whatsapp && body.chars().count() > MAX_WHATSAPP_CHARS {
        return Err(AnswerError::TooLong);
    }
    Ok(Written { subject, body })
}

fn strip_fences(text: &str) -> &str {
    let Some(inner) = text.strip_prefix("```") else {
        return text;
    };
    // The fence's language tag ("```text") runs to the end of its line.
    let inner = inner.split_once('\n').map_or("", |(_, rest)| rest);
    inner.strip_suffix("```").unwrap_or(inner).trim()
}

/// The subject on a line like `Assunto: …` (or `Subject:`), unquoted.
fn subject_of(line: &str) -> Option<String> {
    let line = line.trim().trim_start_matches('#').trim();
    let (label, rest) = line.split_once(':')?;
    if !matches!(label.trim().to_lowercase().as_str(), "assunto" | "subject") {
        return None;
    }
    let subject = rest
        .trim()
        .trim_matches(|c| c == '"' || c == '*' || c == '“' || c == '”')
        .trim();
    (!subject.is_empty()).then(|| subject.chars().take(150).collect())
}

/// A marker a model leaves when it lacks a fact: `{{…}}`, `[Nome]`, `[Sua empresa]`…
fn has_placeholder(text: &str) -> bool {
    if text.contains("{{") {
        return true;
    }
    const WORDS: [&str; 8] = [
        "nome", "seu ", "sua ", "empresa", "cargo", "link", "telefone", "data",
    ];
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inside = after[..close].to_lowercase();
        if close <= 40 && WORDS.iter().any(|w| inside.starts_with(w)) {
            return true;
        }
        rest = &after[close..];
    }
    false
}
