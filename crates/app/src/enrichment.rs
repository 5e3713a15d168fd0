//! Enriching one lead: registry cache or public providers (with fallback), premium
//! contacts for plans that include them, the attempts log, the lead's status and a
//! live event. Used by the `leads.enrich` job and by "enrich now".

use flux_dto::events as event_kind;
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use flux_domain::{lead::EnrichmentStatus, Cnpj};
use flux_integrations::enrichment::{
    Attempt, CompanyData, Enricher, EnrichmentOutcome, PremiumContacts, ProviderId, PublicOutcome,
};
use flux_persistence::{
    events,
    leads::{self, AttemptRecord, Enrichment},
    organizations, RepoError, TenantDb,
};
use serde_json::json;
use uuid::Uuid;

/// What enriching a lead came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrichOutcome {
    Enriched {
        provider: String,
        from_cache: bool,
    },
    NotFound,
    /// No provider could answer now; try again (after `retry_after` when known).
    Unavailable {
        retry_after: Option<Duration>,
        error: String,
    },
    /// The lead is gone (deleted), or was enriched since the caller asked.
    Skipped,
    /// Every provider's rate limit is used up for `after`; nothing was recorded.
    Deferred {
        after: Duration,
    },
    /// Another run is enriching this lead right now.
    InProgress,
}

/// How long public registry data is reused across organizations.
#[derive(Debug, Clone)]
pub struct EnrichmentPolicy {
    pub enricher: Arc<Enricher>,
    pub cache_ttl: chrono::Duration,
}

fn record(attempt: &Attempt, from_cache: bool) -> AttemptRecord {
    AttemptRecord {
        provider: attempt.provider.as_str().to_owned(),
        outcome: attempt.outcome,
        http_status: attempt.http_status.and_then(|s| i16::try_from(s).ok()),
        from_cache,
        error_message: attempt.error.clone(),
        duration_ms: i32::try_from(attempt.duration.as_millis()).unwrap_or(i32::MAX),
        created_at: attempt.started_at,
    }
}

fn to_enrichment(
    provider: &str,
    data: &CompanyData,
    premium: Option<&PremiumContacts>,
) -> Enrichment {
    let address = data.endereco.as_ref();
    Enrichment {
        provider: provider.to_owned(),
        razao_social: data.razao_social.clone(),
        nome_fantasia: data.nome_fantasia.clone(),
        endereco: address.map(|a| json!(a)),
        uf: address.and_then(|a| a.uf.clone()),
        cidade: address.and_then(|a| a.cidade.clone()),
        porte: data.porte.clone(),
        cnae: data.cnae.clone(),
        cnae_descricao: data.cnae_descricao.clone(),
        situacao_cadastral: data.situacao_cadastral.clone(),
        natureza_juridica: data.natureza_juridica.clone(),
        capital_social_cents: data.capital_social_cents,
        data_abertura: data.data_abertura,
        // Premium partners (with participation) win over the public QSA when present.
        socios: match premium {
            Some(p) if !p.socios.is_empty() => json!(p.socios),
            _ => json!(data.socios),
        },
        email: data
            .email
            .clone()
            .or_else(|| premium.and_then(|p| p.emails.first().cloned())),
        telefone: data
            .telefone
            .clone()
            .or_else(|| premium.and_then(|p| p.telefones.first().cloned())),
        premium_contacts: premium.map(|p| json!(p)),
        faturamento_estimado_cents: premium.and_then(|p| p.faturamento_estimado_cents),
    }
}

/// Enrichment attempts per lead before it is marked `enrichment_failed`.
pub const ENRICH_MAX_ATTEMPTS: i32 = 6;

/// How long an `enriching` claim holds before another run may take the lead over
/// (a run that died mid-way must not block the lead for ever).
const CLAIM_TTL_MINUTES: i64 = 5;

/// Enriches `lead_id` for the organization of `db`. `done_since`: skip when the lead
/// was already enriched at or after this instant (a queued job whose work an "enrich
/// now" did meanwhile).
#[tracing::instrument(skip_all, fields(org_id = %db.ctx().org_id(), %lead_id))]
pub async fn enrich_lead(
    db: &TenantDb,
    policy: &EnrichmentPolicy,
    lead_id: Uuid,
    done_since: Option<DateTime<Utc>>,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<EnrichOutcome, RepoError> {
    let mut tx = db.begin().await?;
    let Some(lead) = leads::get(&mut tx, lead_id).await? else {
        return Ok(EnrichOutcome::Skipped);
    };
    if let (Some(since), Some(enriched_at)) = (done_since, lead.enriched_at) {
        if enriched_at >= since {
            return Ok(EnrichOutcome::Skipped);
        }
    }
    let Ok(cnpj) = Cnpj::parse(&lead.cnpj) else {
        // The CHECK constraint admits only valid shapes; a bad check digit here would
        // be data written around the domain type.
        return Ok(EnrichOutcome::NotFound);
    };
    let cached = leads::cached_registry(&mut tx, cnpj.as_str(), now() - policy.cache_ttl)
        .await?
        .and_then(|(provider, data)| {
            Some((provider, serde_json::from_value::<CompanyData>(data).ok()?))
        });
    // Without cached data a provider call is needed: take its slot before writing
    // anything, so a used-up rate limit defers the work instead of recording it.
    let reservation = match &cached {
        Some(_) => None,
        None => match policy.enricher.reserve() {
            Ok(reservation) => Some(reservation),
            Err(wait) => return Ok(EnrichOutcome::Deferred { after: wait }),
        },
    };
    let claimed = leads::claim_enrichment(
        &mut tx,
        lead_id,
        now() - chrono::Duration::minutes(CLAIM_TTL_MINUTES),
    )
    .await?;
    if !claimed {
        return Ok(EnrichOutcome::InProgress);
    }
    let premium_plan = organizations::subscription(&mut tx)
        .await?
        .is_some_and(|s| s.enrichment_tier != "basic");
    events::publish(
        &mut tx,
        event_kind::LEAD_ENRICHMENT_STARTED,
        json!({ "lead_id": lead_id }),
    )
    .await?;
    tx.commit().await?;

    let started_at = now();
    let mut attempts: Vec<AttemptRecord> = Vec::new();
    let public = match (cached, reservation) {
        (Some((provider, data)), _) => {
            let id = ProviderId::parse(&provider).unwrap_or(ProviderId::BrasilApi);
            attempts.push(record(
                &Attempt {
                    provider: id,
                    started_at,
                    outcome: EnrichmentOutcome::Success,
                    http_status: None,
                    duration: Duration::ZERO,
                    error: None,
                },
                true,
            ));
            Ok((provider, data, true))
        }
        (None, reservation) => {
            let result = match reservation {
                Some(reservation) => policy.enricher.fetch(reservation, &cnpj).await,
                None => policy.enricher.public_data(&cnpj).await,
            };
            attempts.extend(result.attempts.iter().map(|a| record(a, false)));
            match result.outcome {
                PublicOutcome::Found { provider, data } => {
                    Ok((provider.as_str().to_owned(), *data, false))
                }
                // Err(None): nobody knows the CNPJ; Err(Some(wait)): try again later.
                PublicOutcome::NotFound => Err(None),
                PublicOutcome::Unavailable { retry_after } => Err(Some(retry_after)),
            }
        }
    };
    let premium = match (&public, premium_plan) {
        (Ok(_), true) => match policy.enricher.premium_contacts(&cnpj).await {
            Some((contacts, attempt)) => {
                attempts.push(record(&attempt, false));
                contacts
            }
            None => None,
        },
        _ => None,
    };

    let mut tx = db.begin().await?;
    leads::insert_attempts(&mut tx, lead_id, &attempts).await?;
    let outcome = match public {
        Ok((provider, data, from_cache)) => {
            leads::apply_enrichment(
                &mut tx,
                lead_id,
                &to_enrichment(&provider, &data, premium.as_ref()),
                now(),
            )
            .await?;
            if !from_cache {
                leads::cache_registry(&mut tx, cnpj.as_str(), &provider, &json!(data), now())
                    .await?;
            }
            events::publish(
                &mut tx,
                event_kind::LEAD_ENRICHED,
                json!({ "lead_id": lead_id, "provider": provider, "razao_social": data.razao_social }),
            )
            .await?;
            EnrichOutcome::Enriched {
                provider,
                from_cache,
            }
        }
        Err(None) => {
            leads::set_enrichment_status(&mut tx, lead_id, EnrichmentStatus::NotFound).await?;
            events::publish(
                &mut tx,
                event_kind::LEAD_NOT_FOUND,
                json!({ "lead_id": lead_id }),
            )
            .await?;
            EnrichOutcome::NotFound
        }
        Err(Some(retry_after)) => {
            // Back to pending while the retry waits; the last attempt's error says why.
            leads::set_enrichment_status(&mut tx, lead_id, EnrichmentStatus::Pending).await?;
            let error = attempts
                .iter()
                .rev()
                .find_map(|a| a.error_message.clone())
                .unwrap_or_else(|| "nenhum provedor de enriquecimento configurado".to_owned());
            EnrichOutcome::Unavailable { retry_after, error }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Marks a lead whose enrichment will not be retried any more.
pub async fn give_up(db: &TenantDb, lead_id: Uuid, error: &str) -> Result<(), RepoError> {
    let mut tx = db.begin().await?;
    if leads::get(&mut tx, lead_id).await?.is_some() {
        leads::set_enrichment_status(&mut tx, lead_id, EnrichmentStatus::EnrichmentFailed).await?;
        events::publish(
            &mut tx,
            event_kind::LEAD_ENRICHMENT_FAILED,
            json!({ "lead_id": lead_id, "error": error }),
        )
        .await?;
    }
    tx.commit().await
}
