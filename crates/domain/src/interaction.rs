//! What can happen with a lead: the entries of its timeline.

vocabulary! {
    /// The kinds of interaction with a lead.
    pub enum InteractionType in "interaction_type" {
        Sent = "sent",
        Delivered = "delivered",
        Opened = "opened",
        Clicked = "clicked",
        Replied = "replied",
        Bounced = "bounced",
        Failed = "failed",
        Unsubscribed = "unsubscribed",
        MeetingScheduled = "meeting_scheduled",
    }
}
