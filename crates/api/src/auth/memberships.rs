//! The active memberships this process has verified, so an authenticated request does
//! not query its role every time. Correctness comes from invalidation, not expiry:
//! - every change to `organization_members` is announced on [`CHANNEL`] (a trigger),
//!   and the process's LISTEN connection forgets that member ([`forget`]);
//! - the cache answers only while that connection is up; it is emptied when the
//!   connection drops and again when it is back, since notifications in between are
//!   lost ([`set_live`]);
//! - a lookup that raced a change is not stored: entries are stored only if nothing
//!   was forgotten since the lookup started ([`generation`]);
//! - the process making a change forgets it at once, so its next request sees it
//!   without waiting for the notification.
//!
//! Entries also expire after [`MAX_AGE`], a bound should anything above be wrong.
//!
//! [`forget`]: MembershipCache::forget
//! [`set_live`]: MembershipCache::set_live
//! [`generation`]: MembershipCache::generation

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use flux_domain::MemberRole;
use uuid::Uuid;

/// The channel the `trg_members_notify` trigger publishes to: `<org_id> <user_id>`.
pub const CHANNEL: &str = "flux_memberships";

pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Beyond this many entries the cache starts over (a bound on memory, not a policy).
const MAX_ENTRIES: usize = 100_000;

type Key = (Uuid, Uuid);

#[derive(Default)]
pub struct MembershipCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    live: bool,
    generation: u64,
    roles: HashMap<Key, (MemberRole, Instant)>,
}

impl Inner {
    fn forget_all(&mut self) {
        self.generation += 1;
        self.roles.clear();
    }
}

impl MembershipCache {
    /// The member's cached active role, if fresh and the cache is live.
    pub fn get(&self, org_id: Uuid, user_id: Uuid) -> Option<MemberRole> {
        let inner = self.lock();
        if !inner.live {
            return None;
        }
        inner
            .roles
            .get(&(org_id, user_id))
            .filter(|(_, at)| at.elapsed() < MAX_AGE)
            .map(|(role, _)| *role)
    }

    /// Taken before reading a role from the database, for [`remember`](Self::remember).
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Stores an active role read after `generation` was taken, unless something was
    /// forgotten since (the read may predate that change).
    pub fn remember(&self, org_id: Uuid, user_id: Uuid, role: MemberRole, generation: u64) {
        let mut inner = self.lock();
        if !inner.live || inner.generation != generation {
            return;
        }
        if inner.roles.len() >= MAX_ENTRIES {
            inner.roles.clear();
        }
        inner
            .roles
            .insert((org_id, user_id), (role, Instant::now()));
    }

    pub fn forget(&self, org_id: Uuid, user_id: Uuid) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.roles.remove(&(org_id, user_id));
    }

    /// Empties the cache and says whether change notifications are being received.
    pub fn set_live(&self, live: bool) {
        let mut inner = self.lock();
        inner.forget_all();
        inner.live = live;
    }

    /// Applies a [`CHANNEL`] payload; an unreadable one empties the cache.
    pub fn forget_notified(&self, payload: &str) {
        let parsed = payload
            .split_once(' ')
            .and_then(|(org, user)| Some((org.parse().ok()?, user.parse().ok()?)));
        match parsed {
            Some((org_id, user_id)) => self.forget(org_id, user_id),
            None => {
                tracing::warn!(payload, "unreadable membership notification");
                self.lock().forget_all();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The data stays consistent whatever panicked while holding the lock.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Uuid, Uuid) {
        (Uuid::new_v4(), Uuid::new_v4())
    }

    fn live() -> MembershipCache {
        let cache = MembershipCache::default();
        cache.set_live(true);
        cache
    }

    #[test]
    fn answers_only_while_live() {
        let cache = MembershipCache::default();
        let (org, user) = ids();
        cache.remember(org, user, MemberRole::Sdr, cache.generation());
        assert_eq!(cache.get(org, user), None, "not live: nothing stored");
        cache.set_live(true);
        cache.remember(org, user, MemberRole::Sdr, cache.generation());
        assert_eq!(cache.get(org, user), Some(MemberRole::Sdr));
        cache.set_live(false);
        assert_eq!(cache.get(org, user), None, "a lost connection empties it");
        cache.set_live(true);
        assert_eq!(cache.get(org, user), None, "and nothing comes back");
    }

    #[test]
    fn a_lookup_that_raced_a_change_is_not_stored() {
        let cache = live();
        let (org, user) = ids();
        let generation = cache.generation();
        cache.forget(org, user); // the change commits while the lookup runs
        cache.remember(org, user, MemberRole::Manager, generation);
        assert_eq!(cache.get(org, user), None);
        cache.remember(org, user, MemberRole::Sdr, cache.generation());
        assert_eq!(cache.get(org, user), Some(MemberRole::Sdr));
    }

    #[test]
    fn notifications_forget_one_member() {
        let cache = live();
        let (org, user) = ids();
        let (other_org, other_user) = ids();
        cache.remember(org, user, MemberRole::Manager, cache.generation());
        cache.remember(other_org, other_user, MemberRole::Sdr, cache.generation());
        cache.forget_notified(&format!("{org} {user}"));
        assert_eq!(cache.get(org, user), None);
        assert_eq!(cache.get(other_org, other_user), Some(MemberRole::Sdr));
        cache.forget_notified("garbage");
        assert_eq!(
            cache.get(other_org, other_user),
            None,
            "unreadable: start over"
        );
        cache.remember(org, user, MemberRole::Sdr, cache.generation());
        assert_eq!(cache.get(org, user), Some(MemberRole::Sdr), "still live");
    }
}
