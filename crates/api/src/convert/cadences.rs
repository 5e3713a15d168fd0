//! Cadences: records to wire DTOs and requests to service inputs.

use flux_domain::cadence::CadenceStatus;
use flux_dto::cadences::{
    self as dto, CadenceDto, CadenceStepDto, CadenceStepInput, EnrollmentCounts,
};
use flux_persistence::cadences::{CadenceRecord, StepValues};

use super::templates::{channel_from_dto, channel_to_dto};
use flux_app::cadences::StepRequest;

fn count(record: &CadenceRecord, status: &str) -> i64 {
    record
        .enrollments
        .by_status
        .get(status)
        .copied()
        .unwrap_or_default()
}

pub fn status_to_dto(status: CadenceStatus) -> dto::CadenceStatus {
    match status {
        CadenceStatus::Draft => dto::CadenceStatus::Draft,
        CadenceStatus::Active => dto::CadenceStatus::Active,
        CadenceStatus::Paused => dto::CadenceStatus::Paused,
        CadenceStatus::Archived => dto::CadenceStatus::Archived,
    }
}

pub fn status_from_dto(status: dto::CadenceStatus) -> CadenceStatus {
    match status {
        dto::CadenceStatus::Draft => CadenceStatus::Draft,
        dto::CadenceStatus::Active => CadenceStatus::Active,
        dto::CadenceStatus::Paused => CadenceStatus::Paused,
        dto::CadenceStatus::Archived => CadenceStatus::Archived,
    }
}

pub fn step_request(step: &CadenceStepInput) -> StepRequest {
    StepRequest {
        id: step.id,
        values: StepValues {
            channel: channel_from_dto(step.channel),
            template_id: step.template_id,
            delay_days: step.delay_days,
            delay_hours: step.delay_hours,
            ai_personalization: step.ai_personalization,
        },
    }
}

pub fn cadence(c: &CadenceRecord) -> CadenceDto {
    CadenceDto {
        id: c.id,
        name: c.name.clone(),
        description: c.description.clone(),
        status: status_to_dto(c.status),
        steps: c
            .steps
            .iter()
            .map(|s| CadenceStepDto {
                id: s.id,
                position: s.position,
                channel: channel_to_dto(s.channel),
                template_id: s.template_id,
                template_name: s.template_name.clone(),
                delay_days: s.delay_days,
                delay_hours: s.delay_hours,
                ai_personalization: s.ai_personalization,
            })
            .collect(),
        enrollments: EnrollmentCounts {
            active: count(c, "active"),
            paused: count(c, "paused"),
            completed: count(c, "completed"),
            replied: count(c, "replied"),
            bounced: count(c, "bounced"),
            unsubscribed: count(c, "unsubscribed"),
            stopped: count(c, "stopped"),
        },
        created_by: c.created_by,
        created_at: c.created_at,
        updated_at: c.updated_at,
        activated_at: c.activated_at,
        archived_at: c.archived_at,
    }
}
