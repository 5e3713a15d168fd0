//! Where a message of the outbox is (the `send_state` enum of the database): a
//! cadence step's or a one-off e-mail's.

use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendState {
    /// Committed, not handed to the provider yet (also between retries).
    Prepared,
    /// The provider call may have happened (under a lease).
    Dispatching,
    Sent,
    Failed,
    /// A crash or a silent server left it unknown: a person decides.
    NeedsReview,
    Cancelled,
}

impl SendState {
    pub const ALL: [SendState; 6] = [
        Self::Prepared,
        Self::Dispatching,
        Self::Sent,
        Self::Failed,
        Self::NeedsReview,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prepared => "prepared",
            Self::Dispatching => "dispatching",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::NeedsReview => "needs_review",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for SendState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SendState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_name() {
        for state in SendState::ALL {
            assert_eq!(state.as_str().parse(), Ok(state));
        }
        assert_eq!("review".parse::<SendState>(), Err(()));
    }
}
