//! `/api/v1/ai`: AI-written messages for a lead, the day's usage, the usage log.

use actix_web::{get, post, web};
use flux_domain::Permission;
use flux_dto::{
    ai::{AiGenerationList, AiUsage, GenerateMessageRequest, GeneratedMessage, GenerationQuery},
    ErrorBody,
};
use flux_persistence::ai_usage::GenerationFilter;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::ai::{self, GenerateInput};

use crate::{
    convert::ai as convert,
    error::{ApiError, ApiResult},
    extract::{Authenticated, ValidJson},
    routes::{query_param, Page, Paging},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(generate_message)
        .service(get_usage)
        .service(list_generations);
}

/// Write a message for a lead with AI ("Gerar com IA"): from the lead's enriched
/// data (razão social, nome fantasia, activity, size, city/UF, partners' first names)
/// and the sender, in pt-BR, in the chosen tone. E-mail comes with a subject;
/// WhatsApp is short and plain. Counts against the plan's daily limit only when it
/// succeeds. Nothing is saved but the usage log entry: edit, then save it as a
/// template or send it.
#[utoipa::path(
    tag = "ai",
    security(("bearer_auth" = [])),
    request_body = GenerateMessageRequest,
    responses(
        (status = 200, description = "The message", body = GeneratedMessage),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 402, description = "`LIMIT_EXCEEDED`: the plan's daily AI limit is reached (`details`: `limit` = `max_ai_per_day`, `max`, `used`, `plan`, `resets_at`, `upgrade_url`)", body = ErrorBody),
        (status = 403, description = "Requires `ai:generate`", body = ErrorBody),
        (status = 422, description = "Unknown lead, channel or tone, or `additional_context` over 500 characters (the field is named)", body = ErrorBody),
        (status = 429, description = "`RATE_LIMIT`: more requests than `FLUX_AI_RATE_PER_MEMBER` per minute from this member (`Retry-After` says when to try again)", body = ErrorBody),
        (status = 502, description = "`EXTERNAL_API`: the provider refused the request or answered something unusable (`details.reason`: `rejected` or `malformed`)", body = ErrorBody),
        (status = 503, description = "`EXTERNAL_API`: no AI provider is configured (`details.reason` = `not_configured`), or the provider is unavailable or rate-limiting after retries (`unavailable`, `rate_limited` with `retry_after_seconds` and a `Retry-After` header)", body = ErrorBody),
        (status = 504, description = "`EXTERNAL_API`: the provider did not answer in time (`details.reason` = `timeout`)", body = ErrorBody),
    )
)]
#[post("/ai/messages")]
async fn generate_message(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: ValidJson<GenerateMessageRequest>,
) -> ApiResult<web::Json<GeneratedMessage>> {
    let ctx = auth.require(Permission::AiGenerate)?;
    state.auth.limits.check_ai(&ctx.user_id().to_string())?;
    let req = body.0;
    let generated = ai::generate(
        &state.db,
        &state.ai(),
        ctx,
        GenerateInput {
            lead_id: req.lead_id,
            channel: req.channel,
            tone: req.tone,
            additional_context: req.additional_context,
        },
    )
    .await?;
    Ok(web::Json(convert::generated(generated)))
}

/// Today's AI generations against the plan's daily limit (the day is the
/// organization's, in its time zone), and whether AI is configured.
#[utoipa::path(
    tag = "ai",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "Today's usage", body = AiUsage),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `ai:generate`", body = ErrorBody),
    )
)]
#[get("/ai/usage")]
async fn get_usage(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> ApiResult<web::Json<AiUsage>> {
    let ctx = auth.require(Permission::AiGenerate)?;
    let (quota, resets_at) = ai::usage(&state.ai(), ctx).await?;
    Ok(web::Json(convert::usage(
        &quota,
        resets_at,
        state.ports.ai.provider.is_some(),
    )))
}

/// The AI usage log, newest first: who generated, for which lead, with which model,
/// tokens in and out, latency and outcome, plus totals over the whole selection.
/// Managers see the organization's; other members see their own. The texts are not
/// kept.
#[utoipa::path(
    tag = "ai",
    security(("bearer_auth" = [])),
    params(GenerationQuery, Paging),
    responses(
        (status = 200, description = "A page of generations", body = AiGenerationList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `ai:generate`; another member's log requires `billing:manage` (managers)", body = ErrorBody),
        (status = 422, description = "Malformed `user_id`, `from`, `to`, `page` or `per_page`, or `from` after `to`", body = ErrorBody),
    )
)]
#[get("/ai/generations")]
async fn list_generations(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<GenerationQuery>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<AiGenerationList>> {
    let ctx = auth.require(Permission::AiGenerate)?;
    let Page { page, per_page } = paging.page()?;
    let filter = GenerationFilter {
        user_id: query_param("user_id", &query.user_id, "um UUID")?,
        from: query_param("from", &query.from, "uma data AAAA-MM-DD")?,
        to: query_param("to", &query.to, "uma data AAAA-MM-DD")?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(ApiError::field("from", "deve ser no máximo igual a `to`"));
        }
    }
    let (items, totals) = ai::list(&state.db, ctx, filter, page, per_page).await?;
    Ok(web::Json(AiGenerationList {
        total: totals.total,
        items: items.into_iter().map(convert::generation).collect(),
        totals: convert::totals(totals),
        page,
        per_page,
    }))
}
