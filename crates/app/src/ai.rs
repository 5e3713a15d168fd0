//! AI messages for a lead, within the plan's daily limit; the day's usage; the log.

use chrono::Utc;
use flux_domain::{
    ai_message::{AiTone, Brief, MAX_ADDITIONAL_CONTEXT},
    send_window, Channel, Permission, TenantCtx,
};
use flux_integrations::ai::AiError;
use flux_persistence::{
    ai_usage::{self, GenerationFilter, GenerationRecord, GenerationTotals, Quota},
    template_facts, Db,
};
use uuid::Uuid;

use crate::{
    ai_messages::{AiMessages, AiSource, GenerateError, Generated, Request},
    error::{AppError, AppResult, ExternalFailure, UPGRADE_URL},
    templates,
};
use flux_dto::error::{ExternalDetails, ExternalReason, PlanLimit, PlanLimitDetails};

/// What "Gerar com IA" asks for.
#[derive(Debug, Clone)]
pub struct GenerateInput {
    pub lead_id: Uuid,
    pub channel: Channel,
    pub tone: AiTone,
    pub additional_context: Option<String>,
}

/// Writes a message for a lead as the caller.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id()))]
pub async fn generate(
    db: &Db,
    ai: &AiMessages,
    ctx: &TenantCtx,
    input: GenerateInput,
) -> AppResult<Generated> {
    let context = input
        .additional_context
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if context.is_some_and(|c| c.chars().count() > MAX_ADDITIONAL_CONTEXT) {
        return Err(AppError::field(
            "additional_context",
            format!("use no máximo {MAX_ADDITIONAL_CONTEXT} caracteres"),
        ));
    }
    // The request is checked (the lead exists) before the server's configuration.
    let mut tx = db.begin_tenant(ctx).await?;
    let facts = templates::lead_facts(&mut tx, input.lead_id).await?;
    let partners = template_facts::partner_names(&mut tx, input.lead_id).await?;
    tx.commit().await?;
    let request = Request {
        user_id: ctx.user_id().uuid(),
        lead_id: input.lead_id,
        enrollment_id: None,
        source: AiSource::OnDemand,
        channel: input.channel,
        brief: Brief::Fresh {
            tone: input.tone,
            additional_context: context.map(str::to_owned),
        },
    };
    ai.generate(ctx, &request, &facts, &partners)
        .await
        .map_err(generate_error)
}

/// Today's usage, and when it starts over.
pub async fn usage(ai: &AiMessages, ctx: &TenantCtx) -> AppResult<(Quota, chrono::DateTime<Utc>)> {
    let quota = ai.quota(ctx).await?;
    let resets_at = resets_at(&quota);
    Ok((quota, resets_at))
}

/// The organization's next midnight.
fn resets_at(quota: &Quota) -> chrono::DateTime<Utc> {
    quota
        .usage_date
        .succ_opt()
        .and_then(|day| send_window::day_start(&quota.timezone, day))
        .unwrap_or_else(|| Utc::now() + chrono::Duration::days(1))
}

/// The usage log: managers see everyone's, others their own.
pub async fn list(
    db: &Db,
    ctx: &TenantCtx,
    mut filter: GenerationFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<GenerationRecord>, GenerationTotals)> {
    if !ctx.role().allows(Permission::BillingManage) {
        let own = ctx.user_id().uuid();
        if filter.user_id.is_some_and(|u| u != own) {
            return Err(AppError::Forbidden(
                "Só gestores veem as gerações de outros membros".into(),
            ));
        }
        filter.user_id = Some(own);
    }
    let mut tx = db.begin_tenant(ctx).await?;
    let listed = ai_usage::list(&mut tx, &filter, per_page, (page - 1) * per_page).await?;
    tx.commit().await?;
    Ok(listed)
}

/// A failed generation in the application's terms.
pub fn generate_error(e: GenerateError) -> AppError {
    match e {
        GenerateError::NotConfigured => AppError::ExternalApi {
            failure: ExternalFailure::Unavailable,
            message: "A geração de mensagens com IA não está configurada neste servidor. \
                      Peça ao administrador para configurar um provedor (FLUX_AI_PROVIDER)."
                .into(),
            details: ExternalDetails {
                reason: ExternalReason::NotConfigured,
                retry_after_seconds: None,
            },
        },
        GenerateError::LimitReached(quota) => {
            let resets_at = resets_at(&quota);
            AppError::LimitExceeded {
                message: format!(
                    "Seu plano {} permite {} gerações com IA por dia e todas já foram usadas \
                     hoje{}. O limite renova à meia-noite ({}); para mais, faça upgrade do plano.",
                    quota.plan_name,
                    quota.limit,
                    if quota.in_progress > 0 {
                        " ou estão sendo escritas agora"
                    } else {
                        ""
                    },
                    quota.timezone
                ),
                details: PlanLimitDetails {
                    limit: PlanLimit::MaxAiPerDay,
                    max: i64::from(quota.limit),
                    used: i64::from(quota.used),
                    in_progress: Some(i64::from(quota.in_progress)),
                    plan: quota.plan_slug,
                    upgrade_url: UPGRADE_URL.into(),
                    resets_at: Some(resets_at),
                },
            }
        }
        GenerateError::Provider(error) => {
            let failure = match error {
                AiError::Timeout => ExternalFailure::Timeout,
                AiError::RateLimited { .. } | AiError::Unavailable(_) => {
                    ExternalFailure::Unavailable
                }
                AiError::Malformed(_) | AiError::Rejected(_) => ExternalFailure::BadAnswer,
            };
            let retry_after_seconds = match &error {
                AiError::RateLimited {
                    retry_after: Some(wait),
                } => Some(wait.as_secs().max(1)),
                _ => None,
            };
            let details = ExternalDetails {
                reason: match &error {
                    AiError::RateLimited { .. } => ExternalReason::RateLimited,
                    AiError::Unavailable(_) => ExternalReason::Unavailable,
                    AiError::Timeout => ExternalReason::Timeout,
                    AiError::Malformed(_) => ExternalReason::Malformed,
                    AiError::Rejected(_) => ExternalReason::Rejected,
                },
                retry_after_seconds,
            };
            AppError::ExternalApi {
                failure,
                message: format!("A IA não conseguiu escrever a mensagem: {error}."),
                details,
            }
        }
        GenerateError::Repo(e) => e.into(),
    }
}
