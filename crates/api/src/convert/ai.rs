//! AI messages between domain/persistence and the wire.

use flux_app::ai_messages::Generated;
use flux_dto::ai::{AiGeneration, AiGenerationTotals, AiUsage, GeneratedMessage, TokenUsage};
use flux_persistence::ai_usage::{GenerationRecord, GenerationTotals, Quota};

pub fn generated(g: Generated) -> GeneratedMessage {
    GeneratedMessage {
        generation_id: g.generation_id,
        subject: g.written.subject,
        body: g.written.body,
        model: g.model,
        tokens: TokenUsage {
            input: g.input_tokens,
            output: g.output_tokens,
        },
        remaining_today: g.remaining_today,
    }
}

pub fn usage(quota: &Quota, resets_at: chrono::DateTime<chrono::Utc>, configured: bool) -> AiUsage {
    AiUsage {
        date: quota.usage_date,
        used: quota.used,
        in_progress: quota.in_progress,
        limit: quota.limit,
        remaining: quota.remaining(),
        unlimited: quota.unlimited(),
        resets_at,
        plan: quota.plan_slug.clone(),
        configured,
    }
}

pub fn generation(r: GenerationRecord) -> AiGeneration {
    AiGeneration {
        id: r.id,
        created_at: r.created_at,
        user_id: r.user_id,
        user_name: r.user_name,
        lead_id: r.lead_id,
        lead_name: r.lead_name,
        enrollment_id: r.enrollment_id,
        source: r.source,
        channel: r.channel,
        tone: r.tone,
        provider: r.provider,
        model: r.model,
        outcome: r.outcome,
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        latency_ms: r.latency_ms,
        error_code: r.error_code,
        error_message: r.error_message,
    }
}

pub fn totals(t: GenerationTotals) -> AiGenerationTotals {
    AiGenerationTotals {
        succeeded: t.succeeded,
        failed: t.failed,
        limit_exceeded: t.limit_exceeded,
        input_tokens: t.input_tokens,
        output_tokens: t.output_tokens,
    }
}
