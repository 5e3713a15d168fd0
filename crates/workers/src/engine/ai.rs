//! AI personalization of cadence steps: the step's rendered template, rewritten for
//! the lead within the plan's daily limit, or else the organization's fallback.
//!
//! The provider is never called inside a transaction: a step to personalize leaves
//! the prepare transaction as an [`AiDraft`] (its mailbox slot taken, nothing
//! written), is written by the model, and is then committed to the outbox in a
//! transaction of its own. A crash in between leaves no outbox row: the enrollment is
//! claimed again when its lease ends and written afresh.

use chrono::NaiveDate;
use flux_domain::{
    ai_message::{AiFallback, Brief},
    Channel, TemplateFacts,
};
use flux_persistence::engine::NewSend;
use uuid::Uuid;

use super::Pending;
use flux_app::ai_messages::{GenerateError, Generated, Request, Source};

/// A rendered message before personalization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: Option<String>,
    pub body: String,
}

/// A step waiting for its AI text.
pub(super) struct AiDraft {
    pub(super) facts: TemplateFacts,
    pub(super) partner_names: Vec<String>,
    /// The outbox row, with the template's text until the model's replaces it.
    pub(super) send: NewSend,
    /// A `failed` row tried again rather than a new one.
    pub(super) reprepare: bool,
    /// The sender's local day whose cap slot the step took, if it took one.
    pub(super) slot_day: Option<NaiveDate>,
    pub(super) pending: Pending,
}

impl AiDraft {
    pub(super) fn request(&self) -> Request {
        Request {
            user_id: self.send.sender_id,
            lead_id: self.send.lead_id,
            enrollment_id: Some(self.send.enrollment_id),
            source: Source::Cadence,
            channel: self.pending.channel,
            brief: Brief::Personalize {
                subject: self.send.subject.clone(),
                body: self.send.body.clone(),
            },
        }
    }

    /// The model's text in place of the template's.
    pub(super) fn personalized(mut self, generated: Generated) -> Self {
        let subject = match self.pending.channel {
            Channel::Email => generated.written.subject,
            Channel::Whatsapp => None,
        };
        self.send.subject = subject.clone();
        self.send.body = generated.written.body.clone();
        self.send.ai_generated = true;
        self.pending.message.subject = subject;
        self.pending.message.body = generated.written.body;
        self
    }

    pub(super) fn enrollment_id(&self) -> Uuid {
        self.send.enrollment_id
    }
}

/// What becomes of a step whose AI text could not be had.
pub(super) enum Fallback {
    /// The template goes out as written.
    Template,
    /// The enrollment pauses with this reason.
    Pause(String),
}

pub(super) fn fallback(setting: AiFallback, error: &GenerateError) -> Fallback {
    match setting {
        AiFallback::SendTemplate => Fallback::Template,
        AiFallback::Pause => Fallback::Pause(pause_reason(error)),
    }
}

/// Why the step paused, for the person who resumes it.
pub(super) fn pause_reason(error: &GenerateError) -> String {
    const HINT: &str =
        "retome quando resolver, ou escolha enviar o modelo sem IA em Configurações › Envio";
    match error {
        GenerateError::NotConfigured => format!(
            "IA não configurada: configure um provedor de IA ou desligue a personalização deste \
             passo ({HINT})"
        ),
        GenerateError::LimitReached(quota) => format!(
            "Limite diário de gerações com IA do plano {} atingido ({} por dia): {HINT}, ou mude \
             de plano",
            if quota.plan_name.is_empty() {
                "atual"
            } else {
                quota.plan_name.as_str()
            },
            quota.limit.max(0)
        ),
        GenerateError::Provider(e) => format!("A personalização por IA falhou: {e} ({HINT})"),
        GenerateError::Repo(_) => {
            format!("A personalização por IA falhou por um erro interno ({HINT})")
        }
    }
}
