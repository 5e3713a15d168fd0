//! Enrollments: one lead going through one cadence. Who may be enrolled, and the
//! statuses an enrollment moves through.

use crate::{Channel, Email, PhoneBr};

vocabulary! {
    /// Where an enrollment is.
    pub enum EnrollmentStatus in "enrollment_status" {
        /// Receiving steps.
        Active = "active",
        /// Waiting; see `pause_reason`.
        Paused = "paused",
        /// Every step went out.
        Completed = "completed",
        /// The lead replied: the cadence stopped for them.
        Replied = "replied",
        /// A message bounced.
        Bounced = "bounced",
        /// The lead unsubscribed (and was flagged do-not-contact).
        Unsubscribed = "unsubscribed",
        /// Unenrolled, or the cadence was archived or deleted.
        Stopped = "stopped",
    }
}

impl EnrollmentStatus {
    /// Active or paused: the lead is still in the cadence.
    pub fn is_running(self) -> bool {
        matches!(self, Self::Active | Self::Paused)
    }
}

vocabulary! {
    /// Why a paused enrollment is paused.
    pub enum PauseReason in "text" {
        /// Someone paused it.
        Manual = "manual",
        /// Its step could not be sent (a missing value, a channel or the AI writer not
        /// configured, the provider refused it; `status_detail` says which). Resuming
        /// retries the step.
        StepFailed = "step_failed",
        /// A send was interrupted and the provider cannot tell whether it went out:
        /// someone must say whether it did before the enrollment goes on.
        ReviewRequired = "review_required",
    }
}

/// A lifecycle action on one enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentAction {
    Pause,
    Resume,
    Unenroll,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollmentActionRefused {
    #[error("A inscrição já terminou ({0}); inscreva o lead de novo se quiser recomeçar")]
    Finished(EnrollmentStatus),
    #[error("A inscrição já está pausada")]
    AlreadyPaused,
    #[error("A inscrição não está pausada")]
    NotPaused,
    #[error(
        "Um envio desta inscrição está pendente de revisão: confirme se ele saiu antes de retomar"
    )]
    ReviewPending,
}

/// Checks an action against the enrollment's status and pause reason.
pub fn check_action(
    status: EnrollmentStatus,
    pause_reason: Option<PauseReason>,
    action: EnrollmentAction,
) -> Result<(), EnrollmentActionRefused> {
    if !status.is_running() {
        return Err(EnrollmentActionRefused::Finished(status));
    }
    match (action, status, pause_reason) {
        (EnrollmentAction::Pause, EnrollmentStatus::Paused, _) => {
            Err(EnrollmentActionRefused::AlreadyPaused)
        }
        (EnrollmentAction::Resume, EnrollmentStatus::Active, _) => {
            Err(EnrollmentActionRefused::NotPaused)
        }
        (EnrollmentAction::Resume, _, Some(PauseReason::ReviewRequired)) => {
            Err(EnrollmentActionRefused::ReviewPending)
        }
        _ => Ok(()),
    }
}

/// Why a lead cannot be enrolled in a cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// No such lead in the organization (or deleted).
    NotFound,
    /// The lead asked not to be contacted.
    OptedOut,
    Archived,
    /// The lead has no valid address for the channel of the cadence's first step.
    NoAddress(Channel),
    /// The lead already has an active or paused enrollment in this cadence.
    AlreadyEnrolled,
}

impl Refusal {
    /// Stable code for API clients.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::OptedOut => "opted_out",
            Self::Archived => "archived",
            Self::NoAddress(_) => "no_address",
            Self::AlreadyEnrolled => "already_enrolled",
        }
    }

    /// pt-BR explanation for people.
    pub fn message(self) -> String {
        match self {
            Self::NotFound => "Lead não encontrado".into(),
            Self::OptedOut => "O lead pediu para não ser contatado".into(),
            Self::Archived => "O lead está arquivado".into(),
            Self::NoAddress(Channel::Email) => {
                "O lead não tem um e-mail válido para o primeiro passo".into()
            }
            Self::NoAddress(Channel::Whatsapp) => {
                "O lead não tem um celular válido para o WhatsApp do primeiro passo".into()
            }
            Self::AlreadyEnrolled => "O lead já está nesta cadência".into(),
        }
    }
}

/// What decides whether a lead may be enrolled.
#[derive(Debug, Clone, Default)]
pub struct LeadEligibility<'a> {
    pub do_not_contact: bool,
    pub archived: bool,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub already_enrolled: bool,
}

/// The address of a lead on a channel, normalized; `None` when it has no valid one.
/// WhatsApp needs a mobile number.
pub fn address_for(channel: Channel, email: Option<&str>, phone: Option<&str>) -> Option<String> {
    match channel {
        Channel::Email => Email::parse(email?).ok().map(|e| e.as_str().to_owned()),
        Channel::Whatsapp => PhoneBr::parse(phone?)
            .ok()
            .filter(PhoneBr::is_mobile)
            .map(|p| p.as_str().to_owned()),
    }
}

/// The first reason (in the order people fix them) the lead cannot be enrolled in a
/// cadence whose first step is on `first_channel`.
pub fn refusal(lead: &LeadEligibility<'_>, first_channel: Channel) -> Option<Refusal> {
    if lead.do_not_contact {
        Some(Refusal::OptedOut)
    } else if lead.archived {
        Some(Refusal::Archived)
    } else if lead.already_enrolled {
        Some(Refusal::AlreadyEnrolled)
    } else if address_for(first_channel, lead.email, lead.phone).is_none() {
        Some(Refusal::NoAddress(first_channel))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eligible() -> LeadEligibility<'static> {
        LeadEligibility {
            email: Some("compras@acme.com.br"),
            phone: Some("(11) 98765-4321"),
            ..LeadEligibility::default()
        }
    }

    #[test]
    fn an_eligible_lead_is_accepted_on_both_channels() {
        assert_eq!(refusal(&eligible(), Channel::Email), None);
        assert_eq!(refusal(&eligible(), Channel::Whatsapp), None);
    }

    #[test]
    fn each_refusal_is_reported() {
        let opted_out = LeadEligibility {
            do_not_contact: true,
            ..eligible()
        };
        assert_eq!(refusal(&opted_out, Channel::Email), Some(Refusal::OptedOut));
        let archived = LeadEligibility {
            archived: true,
            ..eligible()
        };
        assert_eq!(refusal(&archived, Channel::Email), Some(Refusal::Archived));
        let enrolled = LeadEligibility {
            already_enrolled: true,
            ..eligible()
        };
        assert_eq!(
            refusal(&enrolled, Channel::Email),
            Some(Refusal::AlreadyEnrolled)
        );
        let no_email = LeadEligibility {
            email: None,
            ..eligible()
        };
        assert_eq!(
            refusal(&no_email, Channel::Email),
            Some(Refusal::NoAddress(Channel::Email))
        );
        assert_eq!(refusal(&no_email, Channel::Whatsapp), None);
    }

    #[test]
    fn an_invalid_email_or_a_landline_is_no_address() {
        let bad_email = LeadEligibility {
            email: Some("não é e-mail"),
            ..eligible()
        };
        assert_eq!(
            refusal(&bad_email, Channel::Email),
            Some(Refusal::NoAddress(Channel::Email))
        );
        let landline = LeadEligibility {
            phone: Some("(11) 3456-7890"),
            ..eligible()
        };
        assert_eq!(
            refusal(&landline, Channel::Whatsapp),
            Some(Refusal::NoAddress(Channel::Whatsapp))
        );
    }

    #[test]
    fn opting_out_is_reported_before_the_rest() {
        let everything = LeadEligibility {
            do_not_contact: true,
            archived: true,
            already_enrolled: true,
            email: None,
            phone: None,
        };
        assert_eq!(
            refusal(&everything, Channel::Email),
            Some(Refusal::OptedOut)
        );
    }

    #[test]
    fn actions_follow_the_status() {
        use EnrollmentAction::*;
        use EnrollmentStatus::*;
        assert_eq!(check_action(Active, None, Pause), Ok(()));
        assert_eq!(check_action(Active, None, Unenroll), Ok(()));
        assert_eq!(
            check_action(Active, None, Resume),
            Err(EnrollmentActionRefused::NotPaused)
        );
        assert_eq!(
            check_action(Paused, Some(PauseReason::Manual), Pause),
            Err(EnrollmentActionRefused::AlreadyPaused)
        );
        assert_eq!(
            check_action(Paused, Some(PauseReason::StepFailed), Resume),
            Ok(())
        );
        assert_eq!(
            check_action(Paused, Some(PauseReason::ReviewRequired), Resume),
            Err(EnrollmentActionRefused::ReviewPending)
        );
        assert_eq!(
            check_action(Paused, Some(PauseReason::ReviewRequired), Unenroll),
            Ok(())
        );
        for done in [Completed, Replied, Bounced, Unsubscribed, Stopped] {
            assert_eq!(
                check_action(done, None, Unenroll),
                Err(EnrollmentActionRefused::Finished(done))
            );
        }
    }
}
