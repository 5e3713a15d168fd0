//! The signed-in session, shared through context: `None` while signed out.

use flux_dto::auth::MeResponse;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<MeResponse>>,
    /// False until the first attempt to restore the session from the cookie ends.
    pub ready: RwSignal<bool>,
}

impl Session {
    pub fn new() -> Self {
        Self {
            me: RwSignal::new(None),
            ready: RwSignal::new(false),
        }
    }

    pub fn can(&self, permission: &str) -> bool {
        self.me.with(|me| {
            me.as_ref()
                .is_some_and(|m| m.permissions.iter().any(|p| p == permission))
        })
    }

    /// Whether the signed-in member may act on something `sender` sends (settle its
    /// review): their own, or anyone's with `enrollments:send_as`.
    pub fn may_act_for(&self, sender: uuid::Uuid) -> bool {
        self.me
            .with(|me| me.as_ref().is_some_and(|m| m.user.id == sender))
            || self.can("enrollments:send_as")
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
