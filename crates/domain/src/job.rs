//! Background jobs: where one stands.

vocabulary! {
    /// queued → running → succeeded | dead (out of attempts) | cancelled.
    pub enum JobStatus in "job_status" {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        /// Every attempt failed (or its worker vanished on the last one).
        Dead = "dead",
        Cancelled = "cancelled",
    }
}
