//! A channel that keeps messages in memory: the local stand-in for a provider in
//! engine tests and the engine benchmark. It answers lookups like a provider with a
//! query API (or, set so, like SMTP: "cannot tell"), and can be told to fail.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;

use flux_app::channel::{ChannelSender, Lookup, OutgoingMessage, SendError, SendReceipt};

#[derive(Default)]
struct State {
    delivered: Vec<OutgoingMessage>,
    by_message_id: HashMap<String, String>,
    next_failure: Option<SendError>,
}

#[derive(Clone, Default)]
pub struct MemoryChannel {
    state: Arc<Mutex<State>>,
    /// Answer lookups with `Unknown`, as SMTP must.
    pub blind_lookups: bool,
}

impl MemoryChannel {
    pub fn blind() -> Self {
        Self {
            blind_lookups: true,
            ..Self::default()
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every message the provider took, in order.
    pub fn delivered(&self) -> Vec<OutgoingMessage> {
        self.state().delivered.clone()
    }

    /// The next send fails with `error`.
    pub fn fail_next(&self, error: SendError) {
        self.state().next_failure = Some(error);
    }
}

#[async_trait]
impl ChannelSender for MemoryChannel {
    async fn send(&self, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let mut state = self.state();
        if let Some(error) = state.next_failure.take() {
            if matches!(error, SendError::Ambiguous(_)) {
                // The provider took it, but the answer was lost.
                let provider_id = format!("mem-{}", state.delivered.len() + 1);
                state
                    .by_message_id
                    .insert(message.message_id.clone(), provider_id);
                state.delivered.push(message.clone());
            }
            return Err(error);
        }
        let provider_id = format!("mem-{}", state.delivered.len() + 1);
        state
            .by_message_id
            .insert(message.message_id.clone(), provider_id.clone());
        state.delivered.push(message.clone());
        Ok(SendReceipt {
            provider_id: Some(provider_id),
        })
    }

    async fn lookup(&self, message: &OutgoingMessage) -> Lookup {
        if self.blind_lookups {
            return Lookup::Unknown;
        }
        match self.state().by_message_id.get(&message.message_id) {
            Some(id) => Lookup::Sent {
                provider_id: Some(id.clone()),
            },
            None => Lookup::NotSent,
        }
    }
}
