//! Query parameters of `GET /leads` and `GET /leads/export`, validated into a
//! repository filter (422 naming the parameter when one is malformed).

use chrono::{DateTime, NaiveDate, Utc};
use flux_domain::lead::{EnrichmentStatus, LeadStatus};
use flux_domain::text::fold_accents;
use flux_persistence::lead_search::{
    ArchivedFilter, CreatedBound, LeadFilter, OwnerFilter, Sort, SortKey,
};
use serde::Deserialize;

use crate::{error::ApiError, routes::query_param};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LeadQuery {
    /// Search razão social, nome fantasia (accent-insensitive; every word typed must
    /// start a word of the name, Portuguese plurals and inflections included) and CNPJ
    /// (prefix, with or without mask). Relevance: CNPJ matches first, then names with
    /// more matching words, then newest.
    q: Option<String>,
    /// Comma-separated: `new`, `contacted`, `qualified`, `unqualified`.
    status: Option<String>,
    /// Comma-separated: `pending`, `enriching`, `enriched`, `enrichment_failed`, `not_found`.
    enrichment_status: Option<String>,
    /// Comma-separated: `ME`, `EPP`, `DEMAIS`.
    porte: Option<String>,
    /// Comma-separated CNAE codes or prefixes (digits): `4711302`, `47`.
    cnae: Option<String>,
    /// Comma-separated states: `SP,RJ`.
    uf: Option<String>,
    /// City name (case and accents ignored).
    city: Option<String>,
    #[param(value_type = Option<uuid::Uuid>)]
    import_id: Option<String>,
    /// A member's user id, or `none` for leads without owner.
    owner_id: Option<String>,
    /// Created at or after: RFC 3339 date-time or `YYYY-MM-DD` (midnight in the
    /// organization's time zone, `America/Sao_Paulo` unless changed).
    created_from: Option<String>,
    /// Created before: RFC 3339 date-time or `YYYY-MM-DD` (that whole day of the
    /// organization's time zone included).
    created_to: Option<String>,
    /// `active` (default), `archived` or `all`.
    archived: Option<String>,
    #[param(value_type = Option<bool>)]
    do_not_contact: Option<String>,
    /// `created_at`, `updated_at`, `razao_social`, `enriched_at` or `relevance`;
    /// prefix `-` for descending. Default `-created_at` (`-relevance` with `q`).
    sort: Option<String>,
}

fn list(
    field: &str,
    raw: &Option<String>,
    allowed: &[&str],
    upper: bool,
) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|v| {
            if upper {
                v.trim().to_uppercase()
            } else {
                v.trim().to_lowercase()
            }
        })
        .filter(|v| !v.is_empty())
        .map(|v| {
            if allowed.is_empty() || allowed.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(ApiError::field(
                    field,
                    format!("valor desconhecido {v:?}; use {}", allowed.join(", ")),
                ))
            }
        })
        .collect()
}

/// A comma-separated list of a vocabulary's words (any case), naming the field and
/// the words it takes when one is unknown.
fn words<T: Copy + std::fmt::Display + std::str::FromStr>(
    field: &str,
    raw: &Option<String>,
    all: &[T],
) -> Result<Vec<T>, ApiError> {
    let known: Vec<String> = all.iter().map(ToString::to_string).collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    list(field, raw, &known, false)?
        .iter()
        .map(|w| {
            w.parse()
                .map_err(|_| ApiError::field(field, format!("valor desconhecido {w:?}")))
        })
        .collect()
}

fn date_bound(
    field: &str,
    raw: &Option<String>,
    end_of_day: bool,
) -> Result<Option<CreatedBound>, ApiError> {
    let Some(raw) = raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(CreatedBound::At(at.with_timezone(&Utc))));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::field(field, "use uma data AAAA-MM-DD ou data-hora RFC 3339"))?;
    // A bare date is a whole calendar day of the organization: an end bound is the
    // midnight that starts the next one.
    let day = if end_of_day {
        day.succ_opt()
            .ok_or_else(|| ApiError::field(field, "data fora do intervalo aceito"))?
    } else {
        day
    };
    Ok(Some(CreatedBound::DayStart(day)))
}

/// `(["construtora", "sao"], Some("1122233"))` from what a user types: folded words
/// (at most 8) and, when it looks like one, a CNPJ prefix.
pub(crate) fn search_terms(q: &str) -> (Vec<String>, Option<String>) {
    let compact: String = q
        .chars()
        .filter(|c| !matches!(c, '.' | '/' | '-' | ' '))
        .collect();
    let cnpj_prefix = (compact.len() >= 3
        && compact.len() <= 14
        && compact.chars().all(|c| c.is_ascii_alphanumeric())
        && compact.chars().any(|c| c.is_ascii_digit()))
    .then(|| compact.to_uppercase());
    let words = fold_accents(q)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_owned)
        .collect();
    (words, cnpj_prefix)
}

impl LeadQuery {
    pub(crate) fn filter(&self) -> Result<(LeadFilter, Sort), ApiError> {
        let mut filter = LeadFilter {
            statuses: words("status", &self.status, LeadStatus::ALL)?,
            enrichment_statuses: words(
                "enrichment_status",
                &self.enrichment_status,
                EnrichmentStatus::ALL,
            )?,
            portes: list("porte", &self.porte, &["ME", "EPP", "DEMAIS"], true)?,
            cnaes: list("cnae", &self.cnae, &[], false)?,
            ufs: list("uf", &self.uf, &[], true)?,
            city: self
                .city
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            import_id: query_param("import_id", &self.import_id, "um UUID")?,
            created_from: date_bound("created_from", &self.created_from, false)?,
            created_to: date_bound("created_to", &self.created_to, true)?,
            do_not_contact: query_param("do_not_contact", &self.do_not_contact, "true ou false")?,
            ..LeadFilter::default()
        };
        if filter
            .cnaes
            .iter()
            .any(|c| c.is_empty() || c.len() > 7 || !c.chars().all(|d| d.is_ascii_digit()))
        {
            return Err(ApiError::field("cnae", "use códigos CNAE de até 7 dígitos"));
        }
        if filter
            .city
            .as_deref()
            .is_some_and(|c| c.chars().count() > 100 || c.chars().any(char::is_control))
        {
            return Err(ApiError::field(
                "city",
                "use o nome da cidade (até 100 caracteres, sem caracteres de controle)",
            ));
        }
        if filter
            .ufs
            .iter()
            .any(|u| u.len() != 2 || !u.chars().all(|c| c.is_ascii_uppercase()))
        {
            return Err(ApiError::field("uf", "use siglas de 2 letras (SP, RJ…)"));
        }
        filter.owner = match self.owner_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("none") => Some(OwnerFilter::Unassigned),
            Some(raw) => Some(OwnerFilter::Is(raw.parse().map_err(|_| {
                ApiError::field("owner_id", "use o id de um membro ou `none`")
            })?)),
        };
        filter.archived = match self.archived.as_deref().map(str::trim) {
            None | Some("") | Some("active") => ArchivedFilter::Active,
            Some("archived") => ArchivedFilter::Archived,
            Some("all") => ArchivedFilter::All,
            Some(_) => return Err(ApiError::field("archived", "use active, archived ou all")),
        };
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            if q.chars().count() > 200 {
                return Err(ApiError::field("q", "a busca aceita até 200 caracteres"));
            }
            let (words, cnpj_prefix) = search_terms(q);
            if words.is_empty() && cnpj_prefix.is_none() {
                return Err(ApiError::field("q", "digite letras ou números para buscar"));
            }
            filter.search_words = words;
            filter.cnpj_prefix = cnpj_prefix;
        }
        let default_key = if filter.searches() {
            "-relevance"
        } else {
            "-created_at"
        };
        let raw_sort = self
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(default_key);
        let (descending, key) = match raw_sort.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, raw_sort),
        };
        let key = match key {
            "created_at" => SortKey::CreatedAt,
            "updated_at" => SortKey::UpdatedAt,
            "razao_social" => SortKey::RazaoSocial,
            "enriched_at" => SortKey::EnrichedAt,
            "relevance" => SortKey::Relevance,
            _ => {
                return Err(ApiError::field(
                    "sort",
                    "use created_at, updated_at, razao_social, enriched_at ou relevance (prefixo - para decrescente)",
                ))
            }
        };
        Ok((filter, Sort { key, descending }))
    }
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn search_terms_fold_accents_split_words_and_spot_cnpjs() {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            search_terms("Construtora São"),
            (words(&["construtora", "sao"]), None)
        );
        assert_eq!(
            search_terms("11.222.333/0001"),
            (
                words(&["11", "222", "333", "0001"]),
                Some("112223330001".into())
            )
        );
        assert_eq!(
            search_terms("12abc"),
            (words(&["12abc"]), Some("12ABC".into()))
        );
        assert_eq!(search_terms("!!!"), (Vec::new(), None));
        assert_eq!(
            search_terms("a'b & c|d"),
            (words(&["a", "b", "c", "d"]), None)
        );
        assert_eq!(search_terms("a b c d e f g h i j").0.len(), 8);
    }
}
