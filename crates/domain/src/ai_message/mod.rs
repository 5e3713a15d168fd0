//! AI-written messages: the prompt built from a lead's enriched data, and
//! the reading of the model's answer.
//!
//! Lead fields come from public registries and CSV imports, so anyone can put text in
//! them: they travel as a JSON document inside a delimited block the instructions
//! declare to be data, with `<` and `>` escaped so no field can close the block. The
//! SDR's extra context and a cadence's base message are written by the organization's
//! own people and steer the message, but cannot open or close a block either.

mod answer;
mod prompt;
#[cfg(test)]
mod tests;

pub use answer::{read_answer, AnswerError, Written};
pub use prompt::{prompt, Author, Brief, LeadProfile, PromptText};

/// The most characters of extra context an SDR may give.
pub const MAX_ADDITIONAL_CONTEXT: usize = 500;
/// A WhatsApp message the model writes must fit this (the platform allows 4096).
pub const MAX_WHATSAPP_CHARS: usize = 1000;
/// Any field, after trimming, is cut at this many characters before it reaches a model.
pub(crate) const MAX_FIELD_CHARS: usize = 200;

vocabulary! {
    /// Where a generation comes from (the usage log shows it).
    pub enum AiSource in "ai_source" {
        /// "Gerar com IA" or `POST /ai/messages`.
        OnDemand = "on_demand",
        /// A cadence step with AI personalization.
        Cadence = "cadence",
    }
}

vocabulary! {
    /// How a generation went.
    pub enum AiOutcome in "ai_outcome" {
        /// The provider is writing it now.
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
        /// Refused: the day's limit was reached. Not counted.
        LimitExceeded = "limit_exceeded",
    }
}

vocabulary! {
    /// How the message should sound.
    pub enum AiTone in "text" {
        Professional = "professional",
        Consultive = "consultive",
        Direct = "direct",
        Friendly = "friendly",
    }
}

impl AiTone {
    /// How the tone reads, told to the model.
    pub(crate) fn guidance(self) -> &'static str {
        match self {
            AiTone::Professional => {
                "profissional: cordial, claro e objetivo, sem gírias nem exageros"
            }
            AiTone::Consultive => {
                "consultivo: parte de um desafio provável do setor do lead, mostra entendimento e \
                 convida para uma conversa com uma pergunta aberta"
            }
            AiTone::Direct => {
                "direto: curto, diz na primeira frase por que está escrevendo e termina com um \
                 pedido claro"
            }
            AiTone::Friendly => {
                "amigável: próximo e leve, trata a pessoa pelo primeiro nome quando houver, \
                 sem perder o respeito"
            }
        }
    }
}

vocabulary! {
    /// What a cadence step with AI personalization does when no AI text can be had (no
    /// provider, the plan's daily limit reached, the provider failing): the
    /// organization's choice, never a blank message.
    #[derive(Default)]
    pub enum AiFallback in "ai_fallback" {
        /// Pause the enrollment with the reason, for a person to decide.
        #[default]
        Pause = "pause",
        /// Send the step's template as written, without AI.
        SendTemplate = "send_template",
    }
}
