//! AI-written messages within the plan's daily limit, shared by "Gerar com IA" (the
//! API) and AI-personalized cadence steps (the engine).
//!
//! One generation: hold a slot of the day's limit (a short transaction), ask the
//! provider with no transaction open, then count the success or free the slot (a
//! second short transaction). Every step is logged in `ai_generations`; lead data
//! never reaches the logs.

use std::{sync::Arc, time::Instant};

use flux_domain::{
    ai_message::{self, Author, Brief, LeadProfile, Written},
    Channel, TemplateFacts, TenantCtx,
};
use flux_integrations::ai::{AiError, AiProvider, Prompt, RetryPolicy};
use flux_persistence::{
    ai_usage::{self, NewGeneration, Quota, Reservation, Spent},
    Db, RepoError,
};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};

/// Creativity of the writing: varied enough that "regenerate" gives a new take.
const TEMPERATURE: f64 = 0.7;

pub use flux_domain::ai_message::AiSource;

/// One message to write.
#[derive(Debug, Clone)]
pub struct Request {
    /// Who asked (on demand) or who sends (a cadence's sender).
    pub user_id: Uuid,
    pub lead_id: Uuid,
    pub enrollment_id: Option<Uuid>,
    pub source: AiSource,
    pub channel: Channel,
    pub brief: Brief,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub generation_id: Uuid,
    pub written: Written,
    pub model: String,
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// Generations left today; `None` when the plan has no limit.
    pub remaining_today: Option<i32>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("nenhum provedor de IA está configurado neste servidor")]
    NotConfigured,
    #[error("o limite diário de gerações com IA do plano foi atingido")]
    LimitReached(Quota),
    #[error(transparent)]
    Provider(#[from] AiError),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

#[derive(Clone)]
pub struct AiMessages {
    db: Db,
    provider: Option<Arc<dyn AiProvider>>,
    clock: Arc<dyn Clock>,
    /// How long a pending generation holds its slot.
    held_for: chrono::Duration,
    /// The most a provider call may take, retries included: well inside `held_for`,
    /// so a slot never lapses while its generation can still succeed.
    call_budget: std::time::Duration,
}

impl AiMessages {
    pub fn new(db: Db, provider: Option<Arc<dyn AiProvider>>, policy: RetryPolicy) -> Self {
        let call_budget = policy.worst_case();
        // Margin for the two short transactions around the call (pool waits included).
        let held_for = chrono::Duration::from_std(call_budget)
            .unwrap_or(chrono::Duration::minutes(10))
            + chrono::Duration::minutes(2);
        Self {
            db,
            provider,
            clock: Arc::new(SystemClock),
            held_for,
            call_budget,
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The most one generation's provider call may take, retries included.
    pub fn call_budget(&self) -> std::time::Duration {
        self.call_budget
    }

    /// Whether a provider is configured (without one, every generation fails).
    pub fn is_configured(&self) -> bool {
        self.provider.is_some()
    }

    /// Today's standing against the plan's limit.
    pub async fn quota(&self, ctx: &TenantCtx) -> Result<Quota, RepoError> {
        let mut tx = self.db.begin_tenant(ctx).await?;
        let quota = ai_usage::today(&mut tx, self.clock.now(), self.held_for).await?;
        tx.commit().await?;
        Ok(quota)
    }

    /// Writes one message for the lead the facts describe.
    #[tracing::instrument(
        skip_all,
        fields(org_id = %ctx.org_id(), source = request.source.as_str(), channel = request.channel.as_str(), generation_id)
    )]
    pub async fn generate(
        &self,
        ctx: &TenantCtx,
        request: &Request,
        facts: &TemplateFacts,
        partner_names: &[String],
    ) -> Result<Generated, GenerateError> {
        let provider = self.provider.as_ref().ok_or(GenerateError::NotConfigured)?;
        let tone = match &request.brief {
            Brief::Fresh { tone, .. } => Some(tone.as_str()),
            Brief::Personalize { .. } => None,
        };
        let mut tx = self.db.begin_tenant(ctx).await?;
        let reservation = ai_usage::reserve(
            &mut tx,
            self.clock.now(),
            self.held_for,
            &NewGeneration {
                user_id: Some(request.user_id),
                lead_id: Some(request.lead_id),
                enrollment_id: request.enrollment_id,
                source: request.source.as_str(),
                channel: request.channel.as_str(),
                tone,
                provider: provider.name(),
                model: provider.model(),
            },
        )
        .await?;
        tx.commit().await?;
        let (id, quota) = match reservation {
            Reservation::Held { id, quota } => (id, quota),
            Reservation::Refused { quota } => {
                tracing::info!(
                    limit = quota.limit,
                    "AI generation refused: daily limit reached"
                );
                return Err(GenerateError::LimitReached(quota));
            }
        };
        tracing::Span::current().record("generation_id", tracing::field::display(id));

        let text = ai_message::prompt(
            request.channel,
            &request.brief,
            &LeadProfile::from_facts(facts, partner_names),
            &Author::from_facts(facts),
        );
        let started = Instant::now();
        let prompt = Prompt {
            system: text.system,
            user: text.user,
            max_tokens: text.max_tokens,
            temperature: TEMPERATURE,
        };
        let call = provider.complete(&prompt);
        // A client adapting its parameters may run its retries more than once: the
        // budget holds whatever it does.
        let result = tokio::time::timeout(self.call_budget, call)
            .await
            .unwrap_or(Err(AiError::Timeout))
            .and_then(|completion| {
                ai_message::read_answer(request.channel, &completion.text)
                    .map(|written| (written, completion))
                    .map_err(|e| AiError::Malformed(e.to_string()))
            });
        let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);

        let mut tx = self.db.begin_tenant(ctx).await?;
        let now = self.clock.now();
        let outcome = match result {
            Ok((written, completion)) => {
                let used = ai_usage::succeed(
                    &mut tx,
                    id,
                    &Spent {
                        model: &completion.model,
                        input_tokens: completion.input_tokens,
                        output_tokens: completion.output_tokens,
                        latency_ms,
                    },
                    now,
                )
                .await?
                .unwrap_or(quota.used + 1);
                tracing::info!(
                    latency_ms,
                    input_tokens = completion.input_tokens,
                    output_tokens = completion.output_tokens,
                    "AI message written"
                );
                // Slots others hold stay held; this one is now counted as used.
                let remaining = Quota {
                    used,
                    in_progress: quota.in_progress - 1,
                    ..quota
                }
                .remaining();
                Ok(Generated {
                    generation_id: id,
                    written,
                    model: completion.model,
                    input_tokens: completion.input_tokens,
                    output_tokens: completion.output_tokens,
                    remaining_today: remaining,
                })
            }
            Err(error) => {
                ai_usage::fail(
                    &mut tx,
                    id,
                    error.code(),
                    &error.to_string(),
                    latency_ms,
                    now,
                )
                .await?;
                tracing::warn!(latency_ms, error = error.code(), "AI generation failed");
                Err(GenerateError::Provider(error))
            }
        };
        tx.commit().await?;
        outcome
    }
}
