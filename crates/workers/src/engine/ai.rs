//! AI personalization of cadence steps: the step's rendered template, rewritten for
//! the lead within the plan's daily limit, or else the organization's fallback.
//!
//! The provider is never called inside a transaction: a step to personalize leaves
//! the prepare transaction as an [`AiDraft`] (its mailbox slot taken, nothing
//! written), is written by the model, and is then committed to the outbox in a
//! transaction of its own. A crash in between leaves no outbox row: the enrollment is
//! claimed again when its lease ends and written afresh.

use chrono::NaiveDate;
use flux_domain::enrollment::PauseReason;
use flux_domain::{
    ai_message::{AiFallback, Brief},
    Channel, TemplateFacts,
};
use flux_persistence::engine::NewSend;
use uuid::Uuid;

use chrono::{DateTime, Utc};
use flux_app::ai_messages::{AiSource, GenerateError, Generated, Request};
use flux_domain::TenantCtx;
use flux_persistence::engine::{self as repo, StepFailure};
use futures_util::{stream, StreamExt};

use super::{Batch, Engine, EngineError, Pending};

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
            source: AiSource::Cadence,
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

impl Engine {
    /// AI-personalized steps written by the model (no transaction open), then, for
    /// the enrollments still this claim's, committed to the outbox in one transaction
    /// or given the organization's fallback: the template as written, or a pause with
    /// the reason. A step that does not go out gives its mailbox slot back.
    pub(super) async fn personalize(
        &self,
        ctx: &TenantCtx,
        batch: &mut Batch,
        lease_until: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let drafts = std::mem::take(&mut batch.drafts);
        if drafts.is_empty() {
            return Ok(());
        }
        let results: Vec<(AiDraft, Result<_, GenerateError>)> = stream::iter(drafts)
            .map(|draft| async move {
                let result = match &self.ai {
                    Some(ai) => {
                        ai.generate(ctx, &draft.request(), &draft.facts, &draft.partner_names)
                            .await
                    }
                    None => Err(GenerateError::NotConfigured),
                };
                (draft, result)
            })
            .buffer_unordered(self.config.ai_concurrency.max(1))
            .collect()
            .await;

        let mut tx = self.db.begin_tenant(ctx).await?;
        // A claim whose lease ran out during the calls may have been taken over (and
        // the step sent, the enrollment moved on): nothing is written for those.
        let pairs: Vec<(Uuid, Uuid)> = results
            .iter()
            .map(|(d, _)| (d.enrollment_id(), d.send.step_id))
            .collect();
        let ours: std::collections::HashSet<Uuid> =
            repo::lock_still_claimed(&mut tx, &pairs, lease_until)
                .await?
                .into_iter()
                .collect();
        let now = self.clock.now();
        let mut unsent = Vec::new();
        let mut ready = Vec::new();
        let mut paused = Vec::new();
        for (draft, result) in results {
            if !ours.contains(&draft.enrollment_id()) {
                tracing::warn!(enrollment_id = %draft.enrollment_id(), "claim lapsed while the model wrote; left to its new owner");
                unsent.push(draft);
                continue;
            }
            match result {
                Ok(generated) => ready.push(draft.personalized(generated)),
                // This enrollment stays leased and is claimed again; the rest go on.
                Err(GenerateError::Repo(e)) => {
                    tracing::error!(enrollment_id = %draft.enrollment_id(), error = %e, "AI generation could not be recorded");
                    unsent.push(draft);
                }
                Err(error) => match fallback(batch.ai_fallback, &error) {
                    Fallback::Template => {
                        tracing::warn!(enrollment_id = %draft.enrollment_id(), error = %error, "AI text unavailable; sending the template");
                        ready.push(draft);
                    }
                    Fallback::Pause(detail) => {
                        paused.push(StepFailure {
                            enrollment_id: draft.enrollment_id(),
                            send_id: None,
                            pause_reason: PauseReason::StepFailed,
                            detail,
                        });
                        unsent.push(draft);
                    }
                },
            }
        }

        let (again, fresh): (Vec<AiDraft>, Vec<AiDraft>) =
            ready.into_iter().partition(|d| d.reprepare);
        let sends: Vec<NewSend> = fresh.iter().map(|d| d.send.clone()).collect();
        let inserted: std::collections::HashSet<Uuid> = repo::insert_prepared(&mut tx, &sends)
            .await?
            .into_iter()
            .collect();
        for draft in fresh {
            if inserted.contains(&draft.send.id) {
                batch.dispatch.push(draft.pending);
            } else {
                unsent.push(draft);
            }
        }
        for draft in again {
            if repo::reprepare(&mut tx, draft.send.id, &draft.send).await? {
                batch.dispatch.push(draft.pending);
            } else {
                unsent.push(draft);
            }
        }
        for draft in &unsent {
            if let Some(day) = draft.slot_day {
                repo::give_back_slot(&mut tx, draft.send.sender_id, day).await?;
            }
        }
        // Paused here, under the lock that proves the enrollments are still ours.
        repo::pause_failed(&mut tx, &paused, now).await?;
        tx.commit().await?;
        batch.report.failed += paused.len();
        Ok(())
    }
}
