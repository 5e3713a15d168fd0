//! What makes a message template valid for its channel.

use std::collections::BTreeSet;

use crate::{
    template::{TemplateText, Variable},
    Channel,
};

pub const NAME_MAX_CHARS: usize = 120;
pub const SUBJECT_MAX_CHARS: usize = 200;
pub const EMAIL_BODY_MAX_CHARS: usize = 20_000;
/// WhatsApp Cloud API limit for a text message body.
pub const WHATSAPP_BODY_MAX_CHARS: usize = 4_096;

/// A template that passed validation: its parsed texts and the variables they use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTemplate {
    pub name: String,
    pub channel: Channel,
    pub subject: Option<TemplateText>,
    pub body: TemplateText,
    pub variables_used: BTreeSet<Variable>,
}

/// A field of the template and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct TemplateFieldError {
    pub field: &'static str,
    /// pt-BR; a syntax error's position (in characters) is part of it.
    pub reason: String,
}

impl TemplateFieldError {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

pub fn validate(
    name: &str,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
) -> Result<ValidTemplate, TemplateFieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(TemplateFieldError::new("name", "informe um nome"));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(TemplateFieldError::new(
            "name",
            format!("no máximo {NAME_MAX_CHARS} caracteres"),
        ));
    }
    let parse = |field: &'static str, text: &str| {
        TemplateText::parse(text).map_err(|e| TemplateFieldError::new(field, e.to_string()))
    };
    // Checked trimmed, parsed (and stored) as written, so error positions match
    // what the user typed.
    let subject = match (channel, subject.map(|s| (s, s.trim()))) {
        (Channel::Email, None | Some((_, ""))) => {
            return Err(TemplateFieldError::new(
                "subject",
                "e-mails precisam de um assunto",
            ))
        }
        (Channel::Email, Some((_, s))) if s.chars().count() > SUBJECT_MAX_CHARS => {
            return Err(TemplateFieldError::new(
                "subject",
                format!("no máximo {SUBJECT_MAX_CHARS} caracteres"),
            ))
        }
        (Channel::Email, Some((_, s))) if s.contains(['\n', '\r']) => {
            return Err(TemplateFieldError::new(
                "subject",
                "o assunto deve ter uma só linha",
            ))
        }
        (Channel::Email, Some((raw, _))) => Some(parse("subject", raw)?),
        (Channel::Whatsapp, None | Some((_, ""))) => None,
        (Channel::Whatsapp, Some(_)) => {
            return Err(TemplateFieldError::new(
                "subject",
                "mensagens de WhatsApp não têm assunto",
            ))
        }
    };
    let max_body = match channel {
        Channel::Email => EMAIL_BODY_MAX_CHARS,
        Channel::Whatsapp => WHATSAPP_BODY_MAX_CHARS,
    };
    if body.trim().is_empty() {
        return Err(TemplateFieldError::new("body", "escreva a mensagem"));
    }
    if body.chars().count() > max_body {
        return Err(TemplateFieldError::new(
            "body",
            format!("no máximo {max_body} caracteres"),
        ));
    }
    let body = parse("body", body)?;
    let mut variables_used = body.variables();
    if let Some(subject) = &subject {
        variables_used.extend(subject.variables());
    }
    Ok(ValidTemplate {
        name: name.to_owned(),
        channel,
        subject,
        body,
        variables_used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_needs_a_one_line_subject() {
        assert_eq!(
            validate("x", Channel::Email, None, "b").unwrap_err().field,
            "subject"
        );
        assert_eq!(
            validate("x", Channel::Email, Some("a\nb"), "b")
                .unwrap_err()
                .field,
            "subject"
        );
    }

    #[test]
    fn whatsapp_has_no_subject_and_a_shorter_body() {
        assert_eq!(
            validate("x", Channel::Whatsapp, Some("s"), "b")
                .unwrap_err()
                .field,
            "subject"
        );
        let long = "a".repeat(WHATSAPP_BODY_MAX_CHARS + 1);
        assert_eq!(
            validate("x", Channel::Whatsapp, None, &long)
                .unwrap_err()
                .field,
            "body"
        );
        assert!(validate("x", Channel::Email, Some("s"), &long).is_ok());
    }

    #[test]
    fn variables_of_subject_and_body_are_collected() {
        let t = validate(
            " Primeiro contato ",
            Channel::Email,
            Some("{{nome_fantasia|razao_social}}"),
            "Oi {{contato_primeiro_nome|\"tudo bem\"}}, {{sdr_nome}}",
        )
        .unwrap();
        assert_eq!(t.name, "Primeiro contato");
        let names: Vec<_> = t.variables_used.iter().map(|v| v.name()).collect();
        assert_eq!(
            names,
            vec![
                "razao_social",
                "nome_fantasia",
                "contato_primeiro_nome",
                "sdr_nome"
            ]
        );
    }

    #[test]
    fn a_syntax_error_names_the_field_it_is_in() {
        let err = validate("x", Channel::Email, Some("ok"), "{{foo}}").unwrap_err();
        assert_eq!(err.field, "body");
        assert!(err.reason.contains("foo"));
    }
}
