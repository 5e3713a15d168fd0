//! One LISTEN connection per server process, fanned out to every open SSE stream of
//! that process. Events are published by any process (API or worker) with
//! `pg_notify`, so every instance sees every organization's events and each stream
//! keeps only its own organization's. The same connection hears membership changes
//! for the process's [`MembershipCache`].

use std::{sync::Arc, time::Duration};

use flux_persistence::{events::CHANNEL, tokens::SESSIONS_ENDED_CHANNEL, Db};
use serde::Deserialize;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::auth::memberships::{self, MembershipCache};

/// Buffered notifications per process; a stream that falls further behind reloads
/// what it missed from the `events` table.
const CAPACITY: usize = 1024;

/// A notification as published by `flux_persistence::events::publish`. `kind` and
/// `data` are absent when the event was too large to inline.
#[derive(Debug, Clone, Deserialize)]
pub struct Notice {
    pub id: i64,
    pub org_id: Uuid,
    pub kind: Option<String>,
    pub data: Option<serde_json::Value>,
}

/// What the hub fans out to the process's streams.
#[derive(Debug, Clone)]
pub enum HubMessage {
    Event(Notice),
    /// The user logged out or reset their password: their streams end.
    SessionsEnded(Uuid),
}

#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<HubMessage>>,
}

impl EventHub {
    /// Starts listening in the background (reconnecting with backoff when the
    /// database connection drops); `memberships` is live while the connection is.
    pub fn start(db: Db, memberships: Arc<MembershipCache>) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        let hub = Self { sender };
        let forward = hub.sender.clone();
        tokio::spawn(async move { listen(db, forward, &memberships).await });
        hub
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<HubMessage>> {
        self.sender.subscribe()
    }
}

async fn listen(db: Db, sender: broadcast::Sender<Arc<HubMessage>>, memberships: &MembershipCache) {
    let mut delay = Duration::from_millis(200);
    loop {
        match sqlx::postgres::PgListener::connect_with(db.pool()).await {
            Ok(mut listener) => match listener
                .listen_all([CHANNEL, memberships::CHANNEL, SESSIONS_ENDED_CHANNEL])
                .await
            {
                Ok(()) => {
                    tracing::info!(channel = CHANNEL, "listening for events");
                    memberships.set_live(true);
                    delay = Duration::from_millis(200);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification))
                                if notification.channel() == memberships::CHANNEL =>
                            {
                                memberships.forget_notified(notification.payload());
                            }
                            Ok(Some(notification))
                                if notification.channel() == SESSIONS_ENDED_CHANNEL =>
                            {
                                match notification.payload().parse::<Uuid>() {
                                    Ok(user) => {
                                        drop(sender.send(Arc::new(HubMessage::SessionsEnded(user))))
                                    }
                                    Err(e) => {
                                        tracing::warn!(error = %e, "unreadable session notification")
                                    }
                                }
                            }
                            Ok(Some(notification)) => {
                                match serde_json::from_str::<Notice>(notification.payload()) {
                                    // No receivers is fine: nobody is streaming right now.
                                    Ok(notice) => {
                                        drop(sender.send(Arc::new(HubMessage::Event(notice))))
                                    }
                                    Err(e) => {
                                        tracing::warn!(error = %e, "unreadable event notification")
                                    }
                                }
                            }
                            // The connection dropped; notifications meanwhile are lost to
                            // live streams (they are still in the table for replays).
                            Ok(None) => {
                                tracing::warn!("event listener connection lost; reconnecting");
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "event listener failed; reconnecting");
                                break;
                            }
                        }
                    }
                    memberships.set_live(false);
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot open the event listener connection"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
