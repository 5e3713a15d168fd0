//! The organization's subscription to a plan.

vocabulary! {
    /// Where the subscription is with billing.
    pub enum SubscriptionStatus in "subscription_status" {
        Trialing = "trialing",
        Active = "active",
        PastDue = "past_due",
        Canceled = "canceled",
    }
}
