//! The Server-Sent Events body of one client: replay after `Last-Event-ID`, then live
//! events of the client's organization, with a heartbeat comment.

use std::{sync::Arc, time::Duration};

use actix_web::web::Bytes;
use flux_domain::TenantCtx;
use flux_persistence::{events, Db, RepoError};
use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use super::hub::HubMessage;

/// Keeps proxies and load balancers from closing an idle stream.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// How many missed events a reconnecting client may replay.
const REPLAY_LIMIT: i64 = 500;
/// The browser's reconnection delay.
const RETRY_MS: u32 = 3000;

/// One SSE frame.
pub fn frame(id: i64, kind: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("id: {id}\nevent: {kind}\ndata: {data}\n\n"))
}

struct State {
    db: Db,
    ctx: TenantCtx,
    receiver: broadcast::Receiver<Arc<HubMessage>>,
    /// Highest id read from the table (replay, lag catch-up).
    last_id: i64,
    /// Ids sent from the table that may still arrive live: skipped once, then
    /// forgotten. Live events are not compared with `last_id`: ids are assigned
    /// before commit, so a lower id may commit (and arrive) after a higher one.
    from_table: std::collections::HashSet<i64>,
    pending: std::collections::VecDeque<Bytes>,
    started: bool,
    replay_from: Option<i64>,
    /// The heartbeat is due at a fixed time, whatever other organizations' events
    /// wake the stream meanwhile.
    next_ping: tokio::time::Instant,
}

/// Bounds the memory of a stream that replayed events which never arrive live.
const FROM_TABLE_MAX: usize = 10_000;

impl State {
    fn push_from_table(&mut self, events: Vec<events::EventRecord>) {
        if self.from_table.len() > FROM_TABLE_MAX {
            self.from_table.clear();
        }
        for e in events {
            self.last_id = self.last_id.max(e.id);
            self.from_table.insert(e.id);
            self.pending.push_back(frame(e.id, &e.kind, &e.data));
        }
    }
}

async fn missed(
    db: &Db,
    ctx: &TenantCtx,
    after: i64,
) -> Result<Vec<events::EventRecord>, RepoError> {
    let mut tx = db.begin_tenant(ctx).await?;
    events::since(&mut tx, after, REPLAY_LIMIT).await
}

async fn load(db: &Db, ctx: &TenantCtx, id: i64) -> Result<Option<events::EventRecord>, RepoError> {
    let mut tx = db.begin_tenant(ctx).await?;
    events::get(&mut tx, id).await
}

async fn still_member(db: &Db, ctx: &TenantCtx) -> bool {
    let Ok(mut conn) = db.acquire().await else {
        return true; // a database hiccup is not a reason to drop the client
    };
    !matches!(
        flux_persistence::members::active_role(
            &mut conn,
            ctx.org_id().uuid(),
            ctx.user_id().uuid()
        )
        .await,
        Ok(None)
    )
}

/// The byte stream of a client. `receiver` must be subscribed before the replay is
/// read, so nothing published in between is lost (duplicates are skipped by id).
pub fn sse(
    db: Db,
    ctx: TenantCtx,
    receiver: broadcast::Receiver<Arc<HubMessage>>,
    last_event_id: Option<i64>,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let state = State {
        db,
        ctx,
        receiver,
        last_id: last_event_id.unwrap_or(0),
        from_table: Default::default(),
        pending: Default::default(),
        started: false,
        replay_from: last_event_id,
        next_ping: tokio::time::Instant::now() + HEARTBEAT,
    };
    futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(bytes) = s.pending.pop_front() {
                return Some((Ok(bytes), s));
            }
            if !s.started {
                s.started = true;
                s.pending
                    .push_back(Bytes::from(format!("retry: {RETRY_MS}\n: connected\n\n")));
                if let Some(after) = s.replay_from {
                    match missed(&s.db, &s.ctx, after).await {
                        Ok(events) => s.push_from_table(events),
                        Err(e) => tracing::warn!(error = %e, "event replay failed"),
                    }
                }
                continue;
            }
            let next = tokio::time::timeout_at(s.next_ping, s.receiver.recv()).await;
            match next {
                Err(_elapsed) => {
                    s.next_ping = tokio::time::Instant::now() + HEARTBEAT;
                    // A member removed or deactivated meanwhile stops receiving.
                    if !still_member(&s.db, &s.ctx).await {
                        return None;
                    }
                    return Some((Ok(Bytes::from_static(b": ping\n\n")), s));
                }
                Ok(Err(RecvError::Closed)) => return None,
                Ok(Err(RecvError::Lagged(_))) => {
                    // Too slow for the live buffer: catch up from the table.
                    if let Ok(events) = missed(&s.db, &s.ctx, s.last_id).await {
                        s.push_from_table(events);
                    }
                }
                Ok(Ok(message)) => {
                    let notice = match &*message {
                        HubMessage::SessionsEnded(user) if *user == s.ctx.user_id().uuid() => {
                            return None;
                        }
                        HubMessage::SessionsEnded(_) => continue,
                        HubMessage::Event(notice) => notice,
                    };
                    if notice.org_id != s.ctx.org_id().uuid() || s.from_table.remove(&notice.id) {
                        continue;
                    }
                    match (&notice.kind, &notice.data) {
                        (Some(kind), Some(data)) => {
                            s.pending.push_back(frame(notice.id, kind, data))
                        }
                        _ => {
                            if let Ok(Some(e)) = load(&s.db, &s.ctx, notice.id).await {
                                s.pending.push_back(frame(e.id, &e.kind, &e.data));
                            }
                        }
                    }
                }
            }
        }
    })
}
