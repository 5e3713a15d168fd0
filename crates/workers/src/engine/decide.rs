//! What to do with each claimed enrollment, inside the prepare transaction: stop it,
//! move it on, wait for the window or the sender's cap, finish what an earlier pass
//! left in the outbox, or render its step afresh (for the channel, or for the model).

use flux_domain::enrollment::PauseReason;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use flux_app::{
    ai_messages::GenerateError,
    channel::{MailboxRoute, OutgoingMessage, Tracking},
};
use flux_domain::{
    ai_message::AiFallback,
    enrollment::{address_for, EnrollmentStatus},
    send::SendState,
    Channel, SendWindow, TemplateText,
};
use flux_persistence::engine::{DueEnrollment, ExistingSend, MailboxRow, NewSend, StepFailure};
use uuid::Uuid;

use super::{
    ai::{self, AiDraft, Draft},
    budget::{Budget, Slot},
    Batch, Engine, Pending,
};

pub(super) const REVIEW_DETAIL: &str =
    "O envio foi interrompido e o provedor não confirma se a mensagem saiu: verifique antes de reenviar";

/// The prepare transaction's writes.
#[derive(Default)]
pub(super) struct Writes {
    pub(super) new_sends: Vec<NewSend>,
    pub(super) reprepared: Vec<(Uuid, NewSend)>,
    pub(super) reschedule: Vec<(Uuid, DateTime<Utc>)>,
    pub(super) stops: Vec<(Uuid, String)>,
    pub(super) advance: Vec<Uuid>,
}

/// Decides the claimed enrollments of one organization's prepare transaction.
pub(super) struct Decider<'a> {
    pub(super) engine: &'a Engine,
    pub(super) window: &'a SendWindow,
    pub(super) now: DateTime<Utc>,
    /// Each sender's mailbox and what is left of its daily cap.
    pub(super) mailboxes: &'a mut HashMap<Uuid, (MailboxRow, Budget)>,
    pub(super) batch: &'a mut Batch,
    pub(super) writes: &'a mut Writes,
}

impl Decider<'_> {
    /// What to do with one claimed enrollment.
    pub(super) fn decide(&mut self, e: &DueEnrollment) {
        if e.status != EnrollmentStatus::Active || e.cadence_held {
            return;
        }
        if let Some(detail) = stop_reason(e) {
            self.writes.stops.push((e.id, detail.into()));
            return;
        }
        let (Some(step_id), Some(channel)) = (e.step_id, e.channel) else {
            // No step left: the enrollment is done.
            self.writes.advance.push(e.id);
            return;
        };
        let open_at = self.window.next_open(self.now, e.facts.uf.as_deref());
        let mailbox = self
            .mailboxes
            .get(&e.sender_id)
            .map(|(row, _)| MailboxRoute::from_row(row));
        let existing = e.existing.as_ref();
        // A message already prepared keeps the channel it was written for.
        let channel = existing.map_or(channel, |x| x.channel);
        let in_flight = existing.is_some_and(|x| x.state == SendState::Dispatching);
        if e.step_removed && !in_flight {
            // The step left the cadence: the lead moves on to the next one.
            self.writes.advance.push(e.id);
            return;
        }
        if let Some(x) = existing {
            if self.finish_existing(e, x, channel, open_at, &mailbox) {
                return;
            }
        }
        if open_at > self.now {
            self.writes.reschedule.push((e.id, open_at));
            return;
        }
        self.render_new(e, step_id, channel, mailbox);
    }

    /// A step an earlier pass left in the outbox: moved on, put up for review,
    /// looked up with the provider, or sent as written. False when it must be
    /// rendered afresh (it failed, and the enrollment was resumed).
    fn finish_existing(
        &mut self,
        e: &DueEnrollment,
        x: &ExistingSend,
        channel: Channel,
        open_at: DateTime<Utc>,
        mailbox: &Option<MailboxRoute>,
    ) -> bool {
        let as_written = || Pending {
            channel,
            enrollment_id: e.id,
            message: message_of(
                e,
                x.id,
                &x.message_id,
                &x.to_address,
                x.subject.clone(),
                &x.body,
                mailbox.clone(),
            ),
        };
        match x.state {
            SendState::Sent | SendState::Cancelled => self.writes.advance.push(e.id),
            SendState::NeedsReview => self.batch.failures.push(StepFailure {
                enrollment_id: e.id,
                send_id: Some(x.id),
                pause_reason: PauseReason::ReviewRequired,
                detail: REVIEW_DETAIL.into(),
            }),
            SendState::Dispatching => match x.dispatch_lease_until.filter(|u| *u > self.now) {
                // Another engine is sending it right now.
                Some(until) => self.writes.reschedule.push((e.id, until)),
                None => self.batch.recover.push(as_written()),
            },
            SendState::Prepared if open_at > self.now => {
                self.writes.reschedule.push((e.id, open_at))
            }
            SendState::Prepared => self.batch.dispatch.push(as_written()),
            SendState::Failed => return false,
        }
        true
    }

    /// A step rendered afresh for the lead: checked, given a slot of the sender's
    /// cap, and written to the outbox (or handed to the model first).
    fn render_new(
        &mut self,
        e: &DueEnrollment,
        step_id: Uuid,
        channel: Channel,
        mailbox: Option<MailboxRoute>,
    ) {
        let existing = e.existing.as_ref();
        let (to, draft) = match self.checked(e, channel, &mailbox) {
            Ok(ready) => ready,
            Err(detail) => {
                self.batch.failures.push(StepFailure {
                    enrollment_id: e.id,
                    send_id: None,
                    pause_reason: PauseReason::StepFailed,
                    detail,
                });
                return;
            }
        };
        // With no provider there is nothing to wait for: the fallback applies now.
        let personalize = e.ai_personalization
            && match (self.engine.ai_configured(), self.batch.ai_fallback) {
                (true, _) => true,
                (false, AiFallback::SendTemplate) => false,
                (false, AiFallback::Pause) => {
                    self.batch.failures.push(StepFailure {
                        enrollment_id: e.id,
                        send_id: None,
                        pause_reason: PauseReason::StepFailed,
                        detail: ai::pause_reason(&GenerateError::NotConfigured),
                    });
                    return;
                }
            };
        if personalize && self.batch.drafts.len() >= self.batch.ai_left {
            // This pass has its share of provider calls: the next one writes it.
            self.writes.reschedule.push((e.id, self.now));
            self.batch.report.ai_waiting += 1;
            return;
        }
        let Some(slot_day) = self.take_slot(e) else {
            return;
        };
        let send_id = existing.map(|x| x.id).unwrap_or_else(Uuid::new_v4);
        let message_id = existing
            .map(|x| x.message_id.clone())
            .unwrap_or_else(|| MailboxRoute::message_id_for(send_id, mailbox.as_ref()));
        let send = NewSend {
            id: send_id,
            enrollment_id: e.id,
            step_id,
            cadence_id: e.cadence_id,
            lead_id: e.lead_id,
            sender_id: e.sender_id,
            channel,
            message_id: message_id.clone(),
            to_address: to.clone(),
            subject: draft.subject.clone(),
            body: draft.body.clone(),
            template_id: e.template_id,
            ai_generated: false,
        };
        let pending = Pending {
            channel,
            enrollment_id: e.id,
            message: message_of(
                e,
                send_id,
                &message_id,
                &to,
                draft.subject,
                &draft.body,
                mailbox,
            ),
        };
        if personalize {
            self.batch.drafts.push(AiDraft {
                facts: e.facts.clone(),
                partner_names: e.partner_names.clone(),
                send,
                reprepare: existing.is_some(),
                slot_day,
                pending,
            });
            return;
        }
        self.batch.dispatch.push(pending);
        match existing {
            Some(_) => self.writes.reprepared.push((send_id, send)),
            None => self.writes.new_sends.push(send),
        }
    }

    /// The step can go out: an active sender, a configured channel, a mailbox for
    /// e-mail, an address for the lead, a template that renders. The address and
    /// the rendered text, or why not.
    fn checked(
        &self,
        e: &DueEnrollment,
        channel: Channel,
        mailbox: &Option<MailboxRoute>,
    ) -> Result<(String, Draft), String> {
        let sender = e.facts.sdr_nome.as_deref().unwrap_or("O remetente");
        if !e.sender_active {
            return Err(format!(
                "{sender} não é mais membro ativo da organização: escolha outro remetente"
            ));
        }
        if self.engine.channels.get(channel).is_none() {
            return Err(not_configured(channel));
        }
        if channel == Channel::Email && mailbox.is_none() {
            return Err(format!(
                "{sender} não tem uma caixa de e-mail configurada para enviar"
            ));
        }
        let to = address_for(
            channel,
            e.facts.email.as_deref(),
            e.facts.telefone.as_deref(),
        )
        .ok_or_else(|| match channel {
            Channel::Email => "O lead não tem um e-mail válido".to_owned(),
            Channel::Whatsapp => "O lead não tem um celular válido para o WhatsApp".to_owned(),
        })?;
        Ok((to, render(e, self.window.local_hour(self.now))?))
    }

    /// A slot of the sender's daily cap: `Some(day it counts on)`, `Some(None)` when
    /// the sender has no mailbox budget to count against, `None` when the step was
    /// moved to the next slot.
    fn take_slot(&mut self, e: &DueEnrollment) -> Option<Option<chrono::NaiveDate>> {
        let Some((_, budget)) = self.mailboxes.get_mut(&e.sender_id) else {
            return Some(None);
        };
        let today = self.window.local_date(self.now);
        match budget.take(self.now, today) {
            Slot::Now => Some(Some(today)),
            Slot::At(at) => {
                self.writes.reschedule.push((e.id, at));
                None
            }
            Slot::NextDay => {
                let next = self.window.next_day_open(self.now, e.facts.uf.as_deref());
                self.writes.reschedule.push((e.id, next));
                None
            }
        }
    }
}

fn stop_reason(e: &DueEnrollment) -> Option<&'static str> {
    if e.lead_gone {
        Some("O lead foi excluído")
    } else if e.do_not_contact {
        Some("O lead pediu para não ser contatado")
    } else if e.lead_archived {
        Some("O lead foi arquivado")
    } else {
        None
    }
}

pub(super) fn not_configured(channel: Channel) -> String {
    format!(
        "O canal {} não está configurado nesta organização",
        channel.label()
    )
}

fn message_of(
    e: &DueEnrollment,
    send_id: Uuid,
    message_id: &str,
    to: &str,
    subject: Option<String>,
    body: &str,
    mailbox: Option<MailboxRoute>,
) -> OutgoingMessage {
    OutgoingMessage {
        send_id,
        org_id: e.org_id,
        message_id: message_id.to_owned(),
        to: to.to_owned(),
        subject,
        body: body.to_owned(),
        mailbox,
        // Set for the whole batch by `prepare`.
        tracking: Tracking::default(),
    }
}

/// The step's template rendered for the lead, or why it cannot be.
fn render(e: &DueEnrollment, local_hour: u32) -> Result<Draft, String> {
    let facts = flux_domain::TemplateFacts {
        local_hour: Some(local_hour),
        ..e.facts.clone()
    };
    let parse = |source: &str| {
        TemplateText::parse(source).map_err(|err| format!("O modelo tem um erro: {err}"))
    };
    let missing = |err: flux_domain::template::MissingValues| {
        format!(
            "Faltam dados do lead para o modelo: {} (preencha ou use um valor padrão)",
            err.0.join(", ")
        )
    };
    let body = parse(e.body_template.as_deref().unwrap_or_default())?
        .render(&facts)
        .map_err(missing)?;
    let subject = match e.subject_template.as_deref() {
        Some(source) => Some(parse(source)?.render(&facts).map_err(missing)?),
        None => None,
    };
    Ok(Draft { subject, body })
}
