//! One-off e-mails on the wire.

use flux_dto::one_off_emails::OneOffEmail;
use flux_persistence::one_off_emails::OneOffEmailRecord;

pub fn lead_email(r: OneOffEmailRecord) -> OneOffEmail {
    OneOffEmail {
        id: r.id,
        lead_id: r.lead_id,
        sender_id: r.sender_id,
        to: r.to_address,
        subject: r.subject.unwrap_or_default(),
        body: r.body,
        ai_generated: r.ai_generated,
        state: r.state,
        last_error: r.last_error,
        attempts: r.dispatch_attempts,
        created_at: r.created_at,
        sent_at: r.sent_at,
    }
}
