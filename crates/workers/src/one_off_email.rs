//! Delivers a one-off e-mail (`emails.send_one_off` jobs): a member's message to a
//! lead through the member's mailbox, with the channel the engine sends cadences
//! through (same Message-ID, tracking and unsubscribe link).
//!
//! Exactly once, like the engine: the row is `dispatching` (with a lease) before the
//! provider call, and a run that finds it so after the lease lapsed asks the
//! provider; when the provider cannot tell (SMTP), the message waits for a person
//! (`needs_review`) instead of being sent twice.

use std::sync::Arc;

use async_trait::async_trait;
use flux_domain::send::SendState;
use flux_persistence::{
    one_off_emails::{self as repo, Delivery, Ending},
    RepoError, TenantTx,
};

use flux_app::channel::{
    ChannelSender, Lookup, MailboxRoute, OutgoingMessage, SendError, Tracking,
};

use crate::queue::{JobContext, JobError, JobHandler};

/// How long a delivery owns the message: longer than the channel's worst case
/// (SMTP: eight steps of 20 s).
pub const DISPATCH_LEASE: chrono::Duration = chrono::Duration::minutes(5);

const REVIEW: &str =
    "O envio pode ter saído, mas o servidor de e-mail não confirmou: verifique a caixa de enviados antes de reenviar";

pub struct SendOneOffEmail {
    channel: Arc<dyn ChannelSender>,
}

impl SendOneOffEmail {
    pub fn new(channel: Arc<dyn ChannelSender>) -> Self {
        Self { channel }
    }
}

#[async_trait]
impl JobHandler for SendOneOffEmail {
    #[tracing::instrument(skip_all, fields(job_id = %ctx.job.id))]
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        let id = ctx.payload_uuid("send_id")?;
        let now = ctx.clock.now();
        let mut tx = ctx.begin().await?;
        // Gone with its lead: nothing to send.
        let Some(delivery) = repo::for_delivery(&mut tx, id).await? else {
            return Ok(());
        };
        let message = outgoing(&delivery);
        match delivery.state {
            SendState::Prepared => {}
            SendState::Dispatching => {
                if let Some(until) = delivery.dispatch_lease_until.filter(|u| *u > now) {
                    return Err(JobError::Defer {
                        reason: "another run is delivering it".into(),
                        after: (until - now).to_std().unwrap_or_default(),
                    });
                }
                // A run died after the provider call may have happened.
                match self.channel.lookup(&message).await {
                    Lookup::Sent { provider_id } => {
                        repo::record_sent(&mut tx, id, provider_id.as_deref(), now).await?;
                        return Ok(tx.commit().await?);
                    }
                    Lookup::NotSent => {}
                    Lookup::Unknown => {
                        return end(tx, id, Ending::NeedsReview, REVIEW, now).await;
                    }
                }
            }
            // Sent, failed, cancelled or waiting for a person: done.
            _ => return Ok(()),
        }
        if delivery.lead_gone || delivery.do_not_contact {
            let reason = if delivery.lead_gone {
                "O lead foi excluído antes do envio"
            } else {
                "O lead pediu para não ser contatado antes do envio"
            };
            return end(tx, id, Ending::Cancelled, reason, now).await;
        }
        if message.mailbox.is_none() {
            let reason = "O remetente não tem mais caixa de e-mail";
            return end(tx, id, Ending::Failed, reason, now).await;
        }
        repo::mark_dispatching(&mut tx, id, now, now + DISPATCH_LEASE).await?;
        tx.commit().await?;

        let result = self.channel.send(&message).await;
        let now = ctx.clock.now();
        let mut tx = ctx.begin().await?;
        match result {
            Ok(receipt) => {
                repo::record_sent(&mut tx, id, receipt.provider_id.as_deref(), now).await?;
                tx.commit().await?;
                tracing::info!(send_id = %id, "one-off e-mail sent");
                Ok(())
            }
            Err(SendError::Transient {
                message,
                retry_after,
            }) => {
                if ctx.is_last_attempt() {
                    let reason = format!(
                        "O envio falhou {} vezes seguidas: {message}",
                        ctx.job.attempts
                    );
                    return end(tx, id, Ending::Failed, &reason, now).await;
                }
                repo::release(&mut tx, id, &message).await?;
                tx.commit().await?;
                tracing::warn!(send_id = %id, error = %message, "one-off e-mail failed; retrying");
                Err(JobError::Retry {
                    message,
                    after: retry_after,
                })
            }
            Err(SendError::Rejected(reason)) => {
                let reason = format!("O envio foi recusado: {reason}");
                end(tx, id, Ending::Failed, &reason, now).await
            }
            Err(SendError::Ambiguous(reason)) => {
                let reason = format!("{REVIEW} ({reason})");
                end(tx, id, Ending::NeedsReview, &reason, now).await
            }
        }
    }

    /// The job died (the database failed every attempt): the message ends where it
    /// is, never resent by itself — `needs_review` if the provider may have it.
    async fn on_dead(&self, ctx: &JobContext, error: &str) -> Result<(), RepoError> {
        let Ok(id) = ctx.payload_uuid("send_id") else {
            return Ok(());
        };
        let now = ctx.clock.now();
        let mut tx = ctx.begin().await?;
        let Some(delivery) = repo::for_delivery(&mut tx, id).await? else {
            return Ok(());
        };
        let ending = if delivery.state == SendState::Dispatching {
            Ending::NeedsReview
        } else {
            Ending::Failed
        };
        let reason = format!("O envio não pôde ser concluído: {error}");
        repo::end(&mut tx, id, ending, &reason, now).await?;
        tx.commit().await
    }
}

async fn end(
    mut tx: TenantTx,
    id: uuid::Uuid,
    ending: Ending,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), JobError> {
    repo::end(&mut tx, id, ending, reason, now).await?;
    tx.commit().await?;
    tracing::warn!(send_id = %id, ?ending, reason, "one-off e-mail not sent");
    Ok(())
}

fn outgoing(d: &Delivery) -> OutgoingMessage {
    OutgoingMessage {
        send_id: d.id,
        org_id: d.org_id,
        message_id: d.message_id.clone(),
        to: d.to_address.clone(),
        subject: d.subject.clone(),
        body: d.body.clone(),
        mailbox: d.mailbox.as_ref().map(MailboxRoute::from_row),
        tracking: Tracking {
            opens: d.track_opens,
            clicks: d.track_clicks,
        },
    }
}
