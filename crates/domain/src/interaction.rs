//! What can happen with a lead: the entries of its timeline.

use std::{fmt, str::FromStr};

/// The kinds of interaction (the `interaction_type` enum of the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InteractionKind {
    Sent,
    Delivered,
    Opened,
    Clicked,
    Replied,
    Bounced,
    Failed,
    Unsubscribed,
    MeetingScheduled,
}

impl InteractionKind {
    pub const ALL: [InteractionKind; 9] = [
        Self::Sent,
        Self::Delivered,
        Self::Opened,
        Self::Clicked,
        Self::Replied,
        Self::Bounced,
        Self::Failed,
        Self::Unsubscribed,
        Self::MeetingScheduled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Opened => "opened",
            Self::Clicked => "clicked",
            Self::Replied => "replied",
            Self::Bounced => "bounced",
            Self::Failed => "failed",
            Self::Unsubscribed => "unsubscribed",
            Self::MeetingScheduled => "meeting_scheduled",
        }
    }
}

impl fmt::Display for InteractionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InteractionKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in InteractionKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        assert_eq!("open".parse::<InteractionKind>(), Err(()));
    }
}
