//! Company enrichment by CNPJ: public registry data (CNPJ.ws, BrasilAPI) with
//! fallback and rate limits, and premium contacts (Lemit) for the plans that have them.

mod brasilapi;
mod cnpj_ws;
mod enricher;
mod json;
mod lemit;
pub mod model;
mod provider;

pub use brasilapi::BrasilApi;
pub use cnpj_ws::CnpjWs;
pub use enricher::{
    Attempt, Enricher, EnricherBuilder, EnrichmentOutcome, PublicOutcome, PublicResult, Reservation,
};
pub use lemit::{mask_document, Lemit};
pub use model::{Address, CompanyData, Partner, PremiumContacts};
pub use provider::{Answer, CompanyProvider, ContactsProvider, ProviderError, ProviderId};
