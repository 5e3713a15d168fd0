//! Where a message of the outbox is (the `send_state` enum of the database): a
//! cadence step's or a one-off e-mail's.

vocabulary! {
    /// Where a message of the outbox is.
    pub enum SendState in "send_state" {
        /// Waiting for delivery (also between retries).
        Prepared = "prepared",
        /// Being handed to the provider (under a lease): it may have it.
        Dispatching = "dispatching",
        Sent = "sent",
        /// Refused, or failed every attempt: `last_error` says why.
        Failed = "failed",
        /// The provider may have it but did not confirm: a person checks the
        /// mailbox's sent folder and decides.
        NeedsReview = "needs_review",
        /// The lead opted out before it left.
        Cancelled = "cancelled",
    }
}

impl SendState {
    /// No further change will come.
    pub fn is_final(self) -> bool {
        !matches!(self, SendState::Prepared | SendState::Dispatching)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_name() {
        for state in SendState::ALL {
            assert_eq!(state.as_str().parse(), Ok(*state));
        }
        assert!("review".parse::<SendState>().is_err());
    }
}
