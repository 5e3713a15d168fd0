//! Cadences: a named sequence of steps, each a message on a channel after a delay,
//! and the lifecycle draft → active ⇄ paused → archived.

use crate::Channel;

pub const NAME_MIN_CHARS: usize = 3;
pub const NAME_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
pub const MIN_STEPS: usize = 2;
pub const MAX_STEPS: usize = 30;
pub const MAX_DELAY_DAYS: i32 = 30;
pub const MAX_DELAY_HOURS: i32 = 23;

vocabulary! {
    /// draft → active ⇄ paused → archived: only active cadences send; enrollments of
    /// a draft or paused cadence wait.
    pub enum CadenceStatus in "cadence_status" {
        Draft = "draft",
        Active = "active",
        Paused = "paused",
        Archived = "archived",
    }
}

impl CadenceStatus {
    /// Whether enrollments of a cadence in this status are held (not sent).
    pub fn holds_enrollments(self) -> bool {
        self != Self::Active
    }
}

/// A lifecycle action on a cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CadenceAction {
    Activate,
    Pause,
    Resume,
    Archive,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Não é possível {action} uma cadência {from}", action = .action.verb_pt_br(), from = .from.label_pt_br())]
pub struct TransitionRefused {
    pub from: CadenceStatus,
    pub action: CadenceAction,
}

impl CadenceAction {
    fn verb_pt_br(self) -> &'static str {
        match self {
            Self::Activate => "ativar",
            Self::Pause => "pausar",
            Self::Resume => "retomar",
            Self::Archive => "arquivar",
        }
    }
}

impl CadenceStatus {
    fn label_pt_br(self) -> &'static str {
        match self {
            Self::Draft => "em rascunho",
            Self::Active => "ativa",
            Self::Paused => "pausada",
            Self::Archived => "arquivada",
        }
    }

    /// The status after `action`, or why it is refused.
    pub fn apply(self, action: CadenceAction) -> Result<CadenceStatus, TransitionRefused> {
        use CadenceAction::*;
        use CadenceStatus::*;
        match (self, action) {
            (Draft, Activate) => Ok(Active),
            (Active, Pause) => Ok(Paused),
            (Paused, Resume) => Ok(Active),
            (Draft | Active | Paused, Archive) => Ok(Archived),
            (from, action) => Err(TransitionRefused { from, action }),
        }
    }
}

/// One step as written by the user (before templates are checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDraft {
    pub channel: Channel,
    pub delay_days: i32,
    pub delay_hours: i32,
}

impl StepDraft {
    /// Wait before this step, counted from the previous step (or the enrollment).
    pub fn delay(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.delay_days))
            + chrono::Duration::hours(i64::from(self.delay_hours))
    }
}

/// A field of the cadence and what is wrong with it (`steps[2].delay_days`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CadenceFieldError {
    pub field: String,
    pub reason: String,
}

fn field_error(field: impl Into<String>, reason: impl Into<String>) -> CadenceFieldError {
    CadenceFieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Name and description, trimmed; an empty description becomes `None`.
pub fn validate_header(
    name: &str,
    description: Option<&str>,
) -> Result<(String, Option<String>), CadenceFieldError> {
    let name = name.trim();
    let chars = name.chars().count();
    if !(NAME_MIN_CHARS..=NAME_MAX_CHARS).contains(&chars) {
        return Err(field_error(
            "name",
            format!("entre {NAME_MIN_CHARS} e {NAME_MAX_CHARS} caracteres"),
        ));
    }
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > DESCRIPTION_MAX_CHARS) {
        return Err(field_error(
            "description",
            format!("no máximo {DESCRIPTION_MAX_CHARS} caracteres"),
        ));
    }
    Ok((name.to_owned(), description.map(str::to_owned)))
}

/// Every step's own rules: count, delays. (Channel/template agreement needs the
/// templates and is checked by the caller.)
pub fn validate_steps(steps: &[StepDraft]) -> Result<(), CadenceFieldError> {
    if steps.len() < MIN_STEPS {
        return Err(field_error(
            "steps",
            format!("a cadência deve ter no mínimo {MIN_STEPS} passos"),
        ));
    }
    if steps.len() > MAX_STEPS {
        return Err(field_error(
            "steps",
            format!("no máximo {MAX_STEPS} passos"),
        ));
    }
    for (i, step) in steps.iter().enumerate() {
        if !(0..=MAX_DELAY_DAYS).contains(&step.delay_days) {
            return Err(field_error(
                format!("steps[{i}].delay_days"),
                format!("entre 0 e {MAX_DELAY_DAYS} dias"),
            ));
        }
        if !(0..=MAX_DELAY_HOURS).contains(&step.delay_hours) {
            return Err(field_error(
                format!("steps[{i}].delay_hours"),
                format!("entre 0 e {MAX_DELAY_HOURS} horas"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(days: i32, hours: i32) -> StepDraft {
        StepDraft {
            channel: Channel::Email,
            delay_days: days,
            delay_hours: hours,
        }
    }

    #[test]
    fn lifecycle_transitions() {
        use CadenceAction::*;
        use CadenceStatus::*;
        assert_eq!(Draft.apply(Activate), Ok(Active));
        assert_eq!(Active.apply(Pause), Ok(Paused));
        assert_eq!(Paused.apply(Resume), Ok(Active));
        assert_eq!(Paused.apply(Archive), Ok(Archived));
        assert!(Archived.apply(Activate).is_err());
        assert!(Draft.apply(Pause).is_err());
        assert!(Active.apply(Activate).is_err());
        assert_eq!(
            Archived.apply(Resume).unwrap_err().to_string(),
            "Não é possível retomar uma cadência arquivada"
        );
    }

    #[test]
    fn steps_need_two_and_bounded_delays() {
        assert_eq!(validate_steps(&[step(0, 0)]).unwrap_err().field, "steps");
        assert!(validate_steps(&[step(0, 0), step(30, 23)]).is_ok());
        assert_eq!(
            validate_steps(&[step(0, 0), step(31, 0)])
                .unwrap_err()
                .field,
            "steps[1].delay_days"
        );
        assert_eq!(
            validate_steps(&[step(0, -1), step(1, 0)])
                .unwrap_err()
                .field,
            "steps[0].delay_hours"
        );
        assert_eq!(step(2, 3).delay(), chrono::Duration::hours(51));
    }

    #[test]
    fn header_rules() {
        assert_eq!(validate_header("ab", None).unwrap_err().field, "name");
        assert_eq!(
            validate_header(" Outbound ", Some("  ")).unwrap(),
            ("Outbound".into(), None)
        );
        assert_eq!(
            validate_header("Outbound", Some(&"x".repeat(501)))
                .unwrap_err()
                .field,
            "description"
        );
    }
}
