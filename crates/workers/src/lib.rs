//! Background work that runs in-process with `flux serve` (or in `flux worker`).

pub mod clock;
pub mod email_outbox;
pub mod housekeeping;
pub mod queue;
