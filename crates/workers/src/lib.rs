//! Background work that runs in-process with `flux serve` (or in `flux worker`).

pub mod engine;
pub mod enrichment;
pub mod housekeeping;
pub mod inbox;
pub mod lead_import;
pub mod one_off_email;
pub mod queue;
pub mod system_mail;

use std::sync::Arc;

use flux_persistence::{jobs::kinds, Db};

/// The job runner with every handler this program has; one-off e-mails leave
/// through `email`, the channel the engine sends cadences' e-mail with.
pub fn runner(
    db: Db,
    enrichment: flux_app::enrichment::EnrichmentPolicy,
    email: Arc<dyn flux_app::channel::ChannelSender>,
) -> queue::Runner {
    queue::Runner::builder(db)
        .handler(
            kinds::IMPORT_LEADS,
            Arc::new(lead_import::ImportLeads::default()),
        )
        .handler(
            kinds::ENRICH_IMPORT,
            Arc::new(lead_import::EnrichImportedLeads),
        )
        .handler(
            kinds::ENRICH_LEAD,
            Arc::new(enrichment::EnrichLead { policy: enrichment }),
        )
        .handler(
            kinds::SEND_ONE_OFF_EMAIL,
            Arc::new(one_off_email::SendOneOffEmail::new(email)),
        )
        .build()
}
