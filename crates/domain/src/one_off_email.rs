//! What makes a one-off e-mail (a member's message to a lead) valid: a one-line
//! subject and a body, within the limits of a template's. The text goes out as
//! written: `{{variables}}` are not filled in (the drawer's AI text is final).

use crate::message_template::{EMAIL_BODY_MAX_CHARS, SUBJECT_MAX_CHARS};

/// A field of the e-mail and what is wrong with it (pt-BR).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct OneOffFieldError {
    pub field: &'static str,
    pub reason: String,
}

/// The subject and body trimmed, or the first field that is wrong.
pub fn validate(subject: &str, body: &str) -> Result<(String, String), OneOffFieldError> {
    let err = |field, reason: String| Err(OneOffFieldError { field, reason });
    let subject = subject.trim();
    if subject.is_empty() {
        return err("subject", "e-mails precisam de um assunto".into());
    }
    if subject.chars().count() > SUBJECT_MAX_CHARS {
        return err(
            "subject",
            format!("no máximo {SUBJECT_MAX_CHARS} caracteres"),
        );
    }
    if subject.contains(['\n', '\r']) {
        return err("subject", "o assunto deve ter uma só linha".into());
    }
    let body = body.trim_end();
    if body.trim().is_empty() {
        return err("body", "escreva a mensagem".into());
    }
    if body.chars().count() > EMAIL_BODY_MAX_CHARS {
        return err(
            "body",
            format!("no máximo {EMAIL_BODY_MAX_CHARS} caracteres"),
        );
    }
    Ok((subject.to_owned(), body.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_text_trimmed() {
        assert_eq!(
            validate("  Olá  ", "Corpo\n\n").unwrap(),
            ("Olá".to_owned(), "Corpo".to_owned())
        );
        // Leading indentation of the body is the writer's.
        assert_eq!(validate("a", "  Corpo").unwrap().1, "  Corpo");
    }

    #[test]
    fn names_the_wrong_field() {
        assert_eq!(validate(" ", "x").unwrap_err().field, "subject");
        assert_eq!(
            validate("a\r\nBcc: x@y.z", "x").unwrap_err().field,
            "subject"
        );
        assert_eq!(
            validate(&"a".repeat(SUBJECT_MAX_CHARS + 1), "x")
                .unwrap_err()
                .field,
            "subject"
        );
        assert!(validate(&"é".repeat(SUBJECT_MAX_CHARS), "x").is_ok());
        assert_eq!(validate("a", " \n ").unwrap_err().field, "body");
        assert_eq!(
            validate("a", &"b".repeat(EMAIL_BODY_MAX_CHARS + 1))
                .unwrap_err()
                .field,
            "body"
        );
    }
}
