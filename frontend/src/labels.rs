//! How each vocabulary reads in the app (pt-BR), and the badge class of the ones shown
//! as badges: one place, so a status reads the same on every page.

use flux_dto::{
    ai::{AiOutcome, AiSource},
    cadences::CadenceStatus,
    enrollments::{EnrollmentStatus, InteractionType, PauseReason},
    leads::{EnrichmentStatus, LeadStatus},
    mailboxes::MailSecurity,
    members::{InvitationStatus, MemberRole, MemberStatus},
    one_off_emails::SendState,
    sending::Weekday,
    templates::{Channel, VariableSource},
};

pub fn lead_status(status: LeadStatus) -> &'static str {
    match status {
        LeadStatus::New => "Novo",
        LeadStatus::Contacted => "Contatado",
        LeadStatus::Qualified => "Qualificado",
        LeadStatus::Unqualified => "Desqualificado",
    }
}

pub fn enrichment_status(status: EnrichmentStatus) -> (&'static str, &'static str) {
    match status {
        EnrichmentStatus::Pending => ("Na fila", "badge"),
        EnrichmentStatus::Enriching => ("Enriquecendo…", "badge badge-info"),
        EnrichmentStatus::Enriched => ("Enriquecido", "badge badge-ok"),
        EnrichmentStatus::EnrichmentFailed => ("Falhou", "badge badge-error"),
        EnrichmentStatus::NotFound => ("Não encontrado", "badge badge-warn"),
    }
}

pub fn cadence_status(status: CadenceStatus) -> (&'static str, &'static str) {
    match status {
        CadenceStatus::Draft => ("Rascunho", "badge badge-info"),
        CadenceStatus::Active => ("Ativa", "badge badge-ok"),
        CadenceStatus::Paused => ("Pausada", "badge badge-warn"),
        CadenceStatus::Archived => ("Arquivada", "badge badge-off"),
    }
}

pub fn enrollment_status(status: EnrollmentStatus) -> (&'static str, &'static str) {
    match status {
        EnrollmentStatus::Active => ("Ativa", "badge badge-ok"),
        EnrollmentStatus::Paused => ("Pausada", "badge badge-warn"),
        EnrollmentStatus::Completed => ("Concluída", "badge badge-info"),
        EnrollmentStatus::Replied => ("Respondeu", "badge badge-ok"),
        EnrollmentStatus::Bounced => ("Bounce", "badge badge-error"),
        EnrollmentStatus::Unsubscribed => ("Descadastrou", "badge badge-off"),
        EnrollmentStatus::Stopped => ("Encerrada", "badge badge-off"),
    }
}

pub fn pause_reason(reason: PauseReason) -> &'static str {
    match reason {
        PauseReason::Manual => "pausada manualmente",
        PauseReason::StepFailed => "um passo falhou",
        PauseReason::ReviewRequired => "envio a conferir",
    }
}

pub fn channel(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "E-mail",
        Channel::Whatsapp => "WhatsApp",
    }
}

pub fn variable_source(source: VariableSource) -> &'static str {
    match source {
        VariableSource::Lead => "Do lead",
        VariableSource::Sender => "De quem envia",
        VariableSource::Organization => "Da empresa",
        VariableSource::Context => "Do momento do envio",
    }
}

pub fn send_state(state: SendState) -> &'static str {
    match state {
        SendState::Prepared => "Na fila",
        SendState::Dispatching => "Enviando",
        SendState::NeedsReview => "Aguardando revisão",
        SendState::Sent => "Enviado",
        SendState::Failed => "Falhou",
        SendState::Cancelled => "Cancelado",
    }
}

pub fn role(role: MemberRole) -> &'static str {
    match role {
        MemberRole::Manager => "Gestor(a)",
        MemberRole::Sdr => "SDR",
    }
}

pub fn member_status(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Invited => "Convidado",
        MemberStatus::Active => "Ativo",
        MemberStatus::Suspended => "Desativado",
        MemberStatus::Removed => "Removido",
    }
}

pub fn invitation_status(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Pending => "Pendente",
        InvitationStatus::Accepted => "Aceito",
        InvitationStatus::Revoked => "Revogado",
        InvitationStatus::Expired => "Expirado",
    }
}

pub fn interaction(kind: InteractionType) -> (&'static str, &'static str) {
    match kind {
        InteractionType::Sent => ("Enviado", "badge badge-info"),
        InteractionType::Delivered => ("Entregue", "badge badge-info"),
        InteractionType::Opened => ("Aberto", "badge badge-ok"),
        InteractionType::Clicked => ("Clicou", "badge badge-ok"),
        InteractionType::Replied => ("Respondeu", "badge badge-ok"),
        InteractionType::Bounced => ("Bounce", "badge badge-error"),
        InteractionType::Failed => ("Falhou", "badge badge-error"),
        InteractionType::Unsubscribed => ("Descadastrou", "badge badge-off"),
        InteractionType::MeetingScheduled => ("Reunião agendada", "badge badge-ok"),
    }
}

pub fn ai_outcome(outcome: AiOutcome) -> &'static str {
    match outcome {
        AiOutcome::Pending => "Em andamento",
        AiOutcome::Succeeded => "Gerada",
        AiOutcome::Failed => "Falhou",
        AiOutcome::LimitExceeded => "Limite atingido",
    }
}

pub fn ai_source(source: AiSource) -> &'static str {
    match source {
        AiSource::OnDemand => "Gerar com IA",
        AiSource::Cadence => "Cadência",
    }
}

pub fn mail_security(security: MailSecurity) -> &'static str {
    match security {
        MailSecurity::None => "Sem criptografia",
        MailSecurity::Starttls => "STARTTLS",
        MailSecurity::Tls => "TLS",
    }
}

pub fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Segunda",
        Weekday::Tuesday => "Terça",
        Weekday::Wednesday => "Quarta",
        Weekday::Thursday => "Quinta",
        Weekday::Friday => "Sexta",
        Weekday::Saturday => "Sábado",
        Weekday::Sunday => "Domingo",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Every word has its own, non-empty text (two statuses that read the same could
    /// not be told apart).
    fn distinct<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) {
        let texts: Vec<&str> = all.iter().map(|v| text(*v)).collect();
        assert!(texts.iter().all(|t| !t.trim().is_empty()), "{texts:?}");
        assert_eq!(
            texts.iter().collect::<HashSet<_>>().len(),
            texts.len(),
            "{texts:?}"
        );
    }

    #[test]
    fn each_vocabulary_reads_distinctly() {
        distinct(LeadStatus::ALL, lead_status);
        distinct(EnrichmentStatus::ALL, |s| enrichment_status(s).0);
        distinct(CadenceStatus::ALL, |s| cadence_status(s).0);
        distinct(EnrollmentStatus::ALL, |s| enrollment_status(s).0);
        distinct(PauseReason::ALL, pause_reason);
        distinct(Channel::ALL, channel);
        distinct(SendState::ALL, send_state);
        distinct(AiOutcome::ALL, ai_outcome);
        distinct(AiSource::ALL, ai_source);
        distinct(MailSecurity::ALL, mail_security);
        distinct(MemberRole::ALL, role);
        distinct(MemberStatus::ALL, member_status);
        distinct(InvitationStatus::ALL, invitation_status);
        distinct(InteractionType::ALL, |k| interaction(k).0);
    }

    #[test]
    fn badges_carry_the_badge_class() {
        for s in EnrichmentStatus::ALL {
            assert!(enrichment_status(*s).1.starts_with("badge"));
        }
        for s in CadenceStatus::ALL {
            assert!(cadence_status(*s).1.starts_with("badge"));
        }
        for s in EnrollmentStatus::ALL {
            assert!(enrollment_status(*s).1.starts_with("badge"));
        }
    }
}
