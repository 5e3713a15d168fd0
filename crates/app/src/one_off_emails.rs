//! One-off e-mails to a lead: checked, counted against the author's mailbox cap and
//! committed to the outbox with their delivery job, in one transaction. The job
//! (`crate::one_off_email`) sends it.

use crate::channel::MailboxRoute;
use chrono::{DateTime, Utc};
use flux_domain::{one_off_email, Email, TenantCtx};
use flux_persistence::{
    jobs::{self, kinds, NewJob},
    leads,
    one_off_emails::{self as repo, NewOneOff, OneOffEmailRecord, Slot},
    Db, TenantTx,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::audit_change,
    error::{AppError, AppResult},
    ClientInfo, Resource,
};

/// A delivery is tried this many times (the mail server down, a 4xx) before it fails.
pub const MAX_ATTEMPTS: i32 = 6;

/// What the member wrote.
#[derive(Debug, Clone)]
pub struct NewOneOffEmail {
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
    pub ai_generated: bool,
}

/// Queues the e-mail for delivery from the caller's mailbox.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), lead_id = %lead_id))]
pub async fn send(
    db: &Db,
    ctx: &TenantCtx,
    lead_id: Uuid,
    email: NewOneOffEmail,
    client: &ClientInfo,
) -> AppResult<OneOffEmailRecord> {
    let (subject, body) = one_off_email::validate(&email.subject, &email.body)
        .map_err(|e| AppError::field(e.field, e.reason))?;
    let to = email
        .to
        .as_deref()
        .map(|to| Email::parse(to).map_err(|e| AppError::field("to", e.to_string())))
        .transpose()?;
    let now = Utc::now();
    let mut tx = db.begin_tenant(ctx).await?;
    let lead = repo::recipient(&mut tx, lead_id, to.as_ref().map(Email::as_str))
        .await?
        .ok_or(AppError::not_found(Resource::Lead))?;
    if !lead.owns_address {
        return Err(AppError::field(
            "to",
            "use um dos e-mails do lead (o principal ou um contato)",
        ));
    }
    let to = match to {
        Some(to) => to.as_str().to_owned(),
        None => lead
            .email
            .filter(|e| !e.trim().is_empty())
            .ok_or_else(|| AppError::field("to", "o lead não tem e-mail; informe um"))?,
    };
    if lead.do_not_contact {
        return Err(AppError::conflict_on(
            "lead_id",
            "o lead pediu para não ser contatado",
        ));
    }
    let sender = ctx.user_id().uuid();
    let mailbox = match repo::take_slot(&mut tx, sender, now).await? {
        Slot::Taken(mailbox) => mailbox,
        Slot::NoMailbox => {
            return Err(AppError::conflict_on(
                "mailbox",
                "conecte sua caixa de e-mail em Configurações › Caixa de e-mail para enviar",
            ))
        }
        Slot::DailyLimit { limit } => {
            return Err(AppError::conflict_on(
                "mailbox",
                format!("sua caixa de e-mail já enviou o limite de {limit} mensagens hoje"),
            ))
        }
    };
    let id = Uuid::new_v4();
    let message_id = MailboxRoute::message_id_for(id, Some(&MailboxRoute::from_row(&mailbox)));
    repo::insert(
        &mut tx,
        &NewOneOff {
            id,
            lead_id,
            sender_id: sender,
            message_id,
            to_address: to.clone(),
            subject,
            body,
            ai_generated: email.ai_generated,
            created_at: now,
        },
    )
    .await?;
    enqueue_delivery(&mut tx, id, now).await?;
    audit_change(
        &mut tx,
        client,
        "lead.email_sent",
        "lead",
        lead_id,
        json!({ "email_id": id, "ai_generated": email.ai_generated }),
    )
    .await?;
    let record = repo::get(&mut tx, lead_id, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the e-mail just written is gone")))?;
    tx.commit().await?;
    Ok(record)
}

/// Queues the delivery job. A delivery still live for the e-mail (the run that
/// left it for review, in its last moments) refuses a second one: try again shortly.
async fn enqueue_delivery(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    jobs::enqueue(
        tx,
        NewJob::new(kinds::SEND_ONE_OFF_EMAIL, json!({ "send_id": id }), now)
            .unique(id.to_string())
            .max_attempts(MAX_ATTEMPTS),
    )
    .await?
    .map(|_| ())
    .ok_or_else(|| {
        AppError::conflict_on(
            "email_id",
            "a entrega anterior deste e-mail ainda está terminando; tente de novo em instantes",
        )
    })
}

/// Settles a one-off the mail server never confirmed (`needs_review`): it went out
/// (recorded as sent now) or it did not (delivered again, by a new job).
pub async fn resolve_review(
    db: &Db,
    ctx: &TenantCtx,
    lead_id: Uuid,
    id: Uuid,
    was_sent: bool,
    client: &ClientInfo,
) -> AppResult<OneOffEmailRecord> {
    let now = Utc::now();
    let mut tx = db.begin_tenant(ctx).await?;
    let email = repo::get(&mut tx, lead_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::OneOffEmail))?;
    if email.sender_id != ctx.user_id().uuid() {
        crate::access::require_send_as(
            ctx,
            "Só quem enviou ou um gestor decide se este e-mail saiu",
        )?;
    }
    if !repo::resolve_review(&mut tx, id, was_sent, now).await? {
        return Err(AppError::conflict_on(
            "email_id",
            "este e-mail não está aguardando revisão",
        ));
    }
    if !was_sent {
        enqueue_delivery(&mut tx, id, now).await?;
    }
    audit_change(
        &mut tx,
        client,
        "lead.email_review_resolved",
        "lead",
        lead_id,
        json!({ "email_id": id, "was_sent": was_sent }),
    )
    .await?;
    let record = repo::get(&mut tx, lead_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::OneOffEmail))?;
    tx.commit().await?;
    Ok(record)
}

/// One of the lead's one-off e-mails.
pub async fn get(
    db: &Db,
    ctx: &TenantCtx,
    lead_id: Uuid,
    id: Uuid,
) -> AppResult<OneOffEmailRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let record = repo::get(&mut tx, lead_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::OneOffEmail))?;
    tx.commit().await?;
    Ok(record)
}

/// A page of the lead's one-off e-mails, newest first, and how many it has.
pub async fn list(
    db: &Db,
    ctx: &TenantCtx,
    lead_id: Uuid,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<OneOffEmailRecord>, i64)> {
    let mut tx = db.begin_tenant(ctx).await?;
    leads::get(&mut tx, lead_id)
        .await?
        .ok_or(AppError::not_found(Resource::Lead))?;
    let found = repo::list(&mut tx, lead_id, per_page, (page - 1) * per_page).await?;
    tx.commit().await?;
    Ok(found)
}
