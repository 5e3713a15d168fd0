//! The reply and bounce poller: every IMAP-enabled mailbox is read every
//! `FLUX_IMAP_POLL_SECS`. A reply to one of our messages (matched by `In-Reply-To` /
//! `References` to its Message-ID) ends the enrollment as `replied`; a permanent
//! delivery failure as `bounced`; automatic answers (out of office, read receipts)
//! change nothing. Each mailbox remembers the folder's UIDVALIDITY and the last UID
//! read, so a message is read once; the interactions are keyed by the inbound
//! message, so reading it again (a renumbered folder) records nothing twice.
//!
//! No transaction spans the IMAP session: the poll reads the sync state, talks to
//! the server, then records what it found and how far it got in one transaction.

use std::{collections::HashSet, sync::Arc, time::Duration};

use chrono::{Duration as Span, NaiveDate};
use flux_domain::{OrgId, TenantCtx};
use flux_integrations::{
    imap::{self, HostPolicy, ImapError, ImapServer, Inbox},
    inbound::{self, Kind},
};
use flux_persistence::{
    inbound::{self as repo, Outcome, SyncState},
    Db, RepoError,
};
use flux_platform::SecretsKey;
use futures_util::{stream, StreamExt};
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

use flux_app::clock::{Clock, SystemClock};
use flux_app::mail_servers::imap_server;

#[derive(Debug, Clone)]
pub struct InboxConfig {
    /// How often each mailbox is read.
    pub every: Duration,
    /// Mailboxes claimed per pass, and read at once.
    pub batch: i64,
    pub concurrency: usize,
    /// For each IMAP step.
    pub step_timeout: Duration,
    /// Messages read per mailbox per poll (the rest wait for the next poll).
    pub max_messages: usize,
    /// How much of a reply or bounce is fetched: its first bytes hold the text and
    /// the delivery report; attachments after them are never downloaded.
    pub max_fetch_bytes: u32,
    /// A poll stops reading new messages after this long and records how far it got
    /// (a slow server cannot hold a worker).
    pub poll_budget: Duration,
    /// How far back a first sync (or a renumbered folder) reads.
    pub first_sync_days: i64,
}

impl Default for InboxConfig {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(120),
            batch: 16,
            concurrency: 4,
            step_timeout: Duration::from_secs(20),
            max_messages: 500,
            max_fetch_bytes: 256 * 1024,
            poll_budget: Duration::from_secs(180),
            first_sync_days: 30,
        }
    }
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    pub mailboxes: usize,
    pub failed: usize,
    /// Inbound messages read.
    pub read: usize,
    pub replies: usize,
    pub bounces: usize,
}

impl PollReport {
    fn add(&mut self, other: &PollReport) {
        self.mailboxes += other.mailboxes;
        self.failed += other.failed;
        self.read += other.read;
        self.replies += other.replies;
        self.bounces += other.bounces;
    }
}

pub struct InboxPoller {
    db: Db,
    key: SecretsKey,
    clock: Arc<dyn Clock>,
    config: InboxConfig,
    hosts: HostPolicy,
}

/// Something an inbound message did to one of our messages.
#[derive(Debug, Clone)]
struct Found {
    outcome: Outcome,
    refers_to: Vec<String>,
    key: String,
    summary: String,
    metadata: serde_json::Value,
    detail: String,
    /// The inbound message's date, if it gave one.
    date: Option<chrono::DateTime<chrono::Utc>>,
}

/// What one poll of a folder read.
struct Batch {
    uid_validity: u32,
    last_uid: u32,
    read: usize,
    found: Vec<Found>,
}

impl InboxPoller {
    pub fn new(db: Db, key: SecretsKey) -> Self {
        Self {
            db,
            key,
            clock: Arc::new(SystemClock),
            config: InboxConfig::default(),
            hosts: HostPolicy::PublicOnly,
        }
    }

    /// Which addresses mailbox servers may resolve to (public ones by default).
    pub fn with_hosts(mut self, hosts: HostPolicy) -> Self {
        self.hosts = hosts;
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_config(mut self, config: InboxConfig) -> Self {
        self.config = config;
        self
    }

    /// Reads every mailbox that is due, a batch at a time.
    pub async fn run_once(&self) -> Result<PollReport, RepoError> {
        let mut report = PollReport::default();
        loop {
            let now = self.clock.now();
            let due_before = now - Span::from_std(self.config.every).unwrap_or(Span::zero());
            let claimed =
                repo::claim_polls(self.db.pool(), now, due_before, self.config.batch).await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            let results: Vec<Result<PollReport, RepoError>> = stream::iter(claimed)
                .map(|(org, mailbox)| self.poll(org, mailbox))
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
            for result in results {
                report.add(&result?);
            }
        }
    }

    /// Reads one mailbox's new messages and records what they did.
    #[tracing::instrument(skip(self), fields(org = %org_id, mailbox = %mailbox_id))]
    pub async fn poll(&self, org_id: Uuid, mailbox_id: Uuid) -> Result<PollReport, RepoError> {
        let ctx = TenantCtx::system(OrgId::new(org_id));
        let mut tx = self.db.begin_tenant(&ctx).await?;
        let mailbox = flux_persistence::mailboxes::get(&mut tx, mailbox_id).await?;
        let state = repo::sync_state(&mut tx, mailbox_id).await?;
        tx.commit().await?;
        let (Some(mailbox), Some(state)) = (mailbox, state) else {
            return Ok(PollReport::default());
        };
        let mut report = PollReport {
            mailboxes: 1,
            ..PollReport::default()
        };
        let read = match imap_server(
            &self.key,
            org_id,
            &mailbox.fields,
            self.config.step_timeout,
            self.hosts,
        ) {
            Ok(server) => self
                .read(&server, &state, org_id)
                .await
                .map_err(|e| e.to_string()),
            Err(reason) => Err(reason),
        };
        let mut tx = self.db.begin_tenant(&ctx).await?;
        match read {
            Ok(batch) => {
                let now = self.clock.now();
                report.read = batch.read;
                for found in &batch.found {
                    let recorded = repo::record(
                        &mut tx,
                        &repo::Inbound {
                            outcome: found.outcome,
                            refers_to: &found.refers_to,
                            key: &found.key,
                            summary: &found.summary,
                            metadata: found.metadata.clone(),
                            detail: &found.detail,
                            // A message dated in the future (a wrong clock) shows now.
                            occurred_at: found.date.map_or(now, |d| d.min(now)),
                        },
                        now,
                    )
                    .await?;
                    if recorded.interaction {
                        match found.outcome {
                            Outcome::Replied => report.replies += 1,
                            Outcome::Bounced => report.bounces += 1,
                        }
                    }
                }
                let kept = repo::record_progress(
                    &mut tx,
                    mailbox_id,
                    &state.identity,
                    i64::from(batch.uid_validity),
                    i64::from(batch.last_uid),
                    now,
                )
                .await?;
                if !kept {
                    tracing::info!("mailbox settings changed during the poll; progress dropped");
                }
            }
            Err(reason) => {
                tracing::warn!(error = %reason, "inbox poll failed");
                report.failed = 1;
                repo::record_failure(&mut tx, mailbox_id, &state.identity, &reason).await?;
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    async fn read(
        &self,
        server: &ImapServer,
        state: &SyncState,
        org_id: Uuid,
    ) -> Result<Batch, ImapError> {
        let mut inbox = imap::open(server).await?;
        let batch = self.read_new(&mut inbox, state, org_id).await;
        inbox.close().await;
        batch
    }

    async fn read_new(
        &self,
        inbox: &mut Inbox,
        state: &SyncState,
        org_id: Uuid,
    ) -> Result<Batch, ImapError> {
        let continuing = state.uid_validity == Some(i64::from(inbox.uid_validity));
        let last = state
            .last_uid
            .filter(|_| continuing)
            .and_then(|uid| u32::try_from(uid).ok());
        let mut uids = match last {
            Some(last) => inbox.uids_after(last).await?,
            None => inbox.uids_since(self.first_day(state)).await?,
        };
        uids.truncate(self.config.max_messages);
        let last_uid = match uids.last() {
            Some(&newest) => newest,
            // Nothing new: a fresh sync starts after what is there now.
            None => last.unwrap_or_else(|| inbox.uid_next.map_or(0, |n| n.saturating_sub(1))),
        };
        let mut headers = inbox.headers(&uids).await?;
        headers.sort_by_key(|h| h.uid);

        let parsed: Vec<_> = headers
            .iter()
            .filter_map(|h| inbound::read_header(&h.header).map(|header| (h, header)))
            .collect();
        let ours = self.ours(org_id, &parsed).await?;
        let started = std::time::Instant::now();
        let mut found = Vec::new();
        let mut read = headers.len();
        let mut last_uid = last_uid;
        for (fetched, header) in parsed {
            let wanted = match header.kind {
                Kind::Bounce => true,
                Kind::Message => header.refers_to.iter().any(|id| ours.contains(id)),
                Kind::AutoReply => false,
            };
            if !wanted {
                continue;
            }
            if started.elapsed() > self.config.poll_budget {
                // Out of time: what is left (from this message on) waits for the next poll.
                last_uid = fetched.uid.saturating_sub(1);
                read = headers.iter().filter(|h| h.uid < fetched.uid).count();
                tracing::warn!(
                    uid = fetched.uid,
                    "inbox poll out of time; continuing next poll"
                );
                break;
            }
            // `None` (refused or gone): a reply still counts, without its excerpt.
            let raw = inbox
                .message(fetched.uid, self.config.max_fetch_bytes)
                .await?;
            let key = header
                .message_id
                .clone()
                .unwrap_or_else(|| format!("sha256:{}", hex_digest(&fetched.header)));
            match header.kind {
                Kind::Bounce => {
                    let bounce = raw.as_deref().and_then(inbound::read_bounce);
                    if let Some(bounce) = bounce {
                        if bounce.permanent && !bounce.message_ids.is_empty() {
                            found.push(bounced(bounce, key, header.date));
                        }
                    }
                }
                _ => {
                    let excerpt = raw
                        .as_deref()
                        .and_then(|raw| inbound::reply_excerpt(raw, 1000));
                    found.push(replied(header, excerpt, key));
                }
            }
        }
        Ok(Batch {
            uid_validity: inbox.uid_validity,
            last_uid,
            read,
            found,
        })
    }

    /// The day a fresh sync reads from: the mailbox's first message or creation, and
    /// no more than `first_sync_days` back.
    fn first_day(&self, state: &SyncState) -> NaiveDate {
        let floor = self.clock.now() - Span::days(self.config.first_sync_days);
        // IMAP dates are the server's days: one day earlier covers any time zone.
        (state.read_since.max(floor) - Span::days(1)).date_naive()
    }

    /// Which Message-IDs the headers refer to are ours (one query per poll).
    async fn ours(
        &self,
        org_id: Uuid,
        parsed: &[(&imap::FetchedHeader, inbound::Header)],
    ) -> Result<HashSet<String>, ImapError> {
        let ids: Vec<String> = parsed
            .iter()
            .filter(|(_, h)| h.kind == Kind::Message)
            .flat_map(|(_, h)| h.refers_to.iter().cloned())
            .collect();
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let lookup = async {
            let mut tx = self
                .db
                .begin_tenant(&TenantCtx::system(OrgId::new(org_id)))
                .await?;
            let ours = repo::ours(&mut tx, &ids).await?;
            tx.commit().await?;
            Ok::<_, RepoError>(ours)
        };
        lookup
            .await
            .map(|ours| ours.into_iter().collect())
            .map_err(|e| ImapError::Transient(format!("banco de dados: {e}")))
    }

    /// Polls until `shutdown` flips to true, checking for due mailboxes every quarter
    /// of the interval (at least every 5 s, at most every 60 s).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let tick = (self.config.every / 4).clamp(Duration::from_secs(5), Duration::from_secs(60));
        loop {
            match self.run_once().await {
                Ok(report) if report.replies + report.bounces > 0 => {
                    tracing::info!(?report, "inbox poll pass");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "inbox poll pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }
}

/// A stable name for a message without a Message-ID: its header's digest (the same
/// after the folder is renumbered).
fn hex_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn replied(header: inbound::Header, excerpt: Option<String>, key: String) -> Found {
    let summary = excerpt
        .as_deref()
        .and_then(|e| e.lines().find(|l| !l.trim().is_empty()))
        .or(header.subject.as_deref())
        .unwrap_or("Resposta")
        .to_owned();
    Found {
        outcome: Outcome::Replied,
        refers_to: header.refers_to,
        key,
        summary,
        metadata: json!({
            "from": header.from,
            "subject": header.subject,
            "excerpt": excerpt,
        }),
        detail: "O lead respondeu ao e-mail".into(),
        date: header.date,
    }
}

fn bounced(
    bounce: inbound::Bounce,
    key: String,
    date: Option<chrono::DateTime<chrono::Utc>>,
) -> Found {
    let reason = bounce
        .diagnostic
        .clone()
        .or_else(|| bounce.status.clone())
        .unwrap_or_else(|| "endereço recusado pelo servidor de destino".into());
    let reason: String = reason.chars().take(300).collect();
    Found {
        outcome: Outcome::Bounced,
        refers_to: bounce.message_ids,
        key,
        summary: format!("E-mail não entregue: {reason}"),
        metadata: json!({
            "recipient": bounce.recipient,
            "status": bounce.status,
            "diagnostic": bounce.diagnostic,
        }),
        detail: format!("O e-mail voltou (bounce): {reason}"),
        date,
    }
}
