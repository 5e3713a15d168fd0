//! The query of `GET /leads` and `GET /leads/export`: [`LeadQueryParams`] is what
//! travels, [`LeadQuery`] what it means. The server parses one into the other (the
//! issue names the parameter); the SPA builds a `LeadQuery` and writes its params.

use chrono::{DateTime, NaiveDate, Utc};
use flux_domain::lead::{EnrichmentStatus, LeadStatus};
pub use flux_domain::lead_filter::{
    ArchivedFilter, CreatedBound, LeadSort, LeadSortKey, OwnerFilter,
};
use flux_domain::text::fold_accents;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{query::parse_param, FieldIssue};

/// The company sizes a lead may have (Receita Federal's `porte`).
pub const PORTES: &[&str] = &["ME", "EPP", "DEMAIS"];
/// The longest search text.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The lead list's query string as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LeadQueryParams {
    /// Search razão social, nome fantasia (accent-insensitive; every word typed must
    /// start a word of the name, Portuguese plurals and inflections included) and CNPJ
    /// (prefix, with or without mask). Relevance: CNPJ matches first, then names with
    /// more matching words, then newest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Comma-separated: `new`, `contacted`, `qualified`, `unqualified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Comma-separated: `pending`, `enriching`, `enriched`, `enrichment_failed`, `not_found`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment_status: Option<String>,
    /// Comma-separated: `ME`, `EPP`, `DEMAIS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub porte: Option<String>,
    /// Comma-separated CNAE codes or prefixes (digits): `4711302`, `47`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnae: Option<String>,
    /// Comma-separated states: `SP,RJ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uf: Option<String>,
    /// City name (case and accents ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<uuid::Uuid>))]
    pub import_id: Option<String>,
    /// A member's user id, or `none` for leads without owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Created at or after: RFC 3339 date-time or `YYYY-MM-DD` (midnight in the
    /// organization's time zone, `America/Sao_Paulo` unless changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from: Option<String>,
    /// Created before: RFC 3339 date-time or `YYYY-MM-DD` (that whole day of the
    /// organization's time zone included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_to: Option<String>,
    /// `active` (default), `archived` or `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<bool>))]
    pub do_not_contact: Option<String>,
    /// `created_at`, `updated_at`, `razao_social`, `enriched_at` or `relevance`;
    /// prefix `-` for descending. Default `-created_at` (`-relevance` with `q`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
}

/// Which leads, in which order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadQuery {
    /// Search text, trimmed (at most [`MAX_SEARCH_CHARS`]).
    pub q: Option<String>,
    pub statuses: Vec<LeadStatus>,
    pub enrichment_statuses: Vec<EnrichmentStatus>,
    /// Words of [`PORTES`].
    pub portes: Vec<String>,
    /// CNAE codes or prefixes of ASCII digits (`47` = every retail activity).
    pub cnaes: Vec<String>,
    /// Two uppercase letters each.
    pub ufs: Vec<String>,
    pub city: Option<String>,
    pub import_id: Option<Uuid>,
    pub owner: Option<OwnerFilter>,
    /// Created at or after.
    pub created_from: Option<CreatedBound>,
    /// Created before.
    pub created_to: Option<CreatedBound>,
    pub archived: ArchivedFilter,
    pub do_not_contact: Option<bool>,
    /// `None`: newest first, or best match first with a search.
    pub sort: Option<LeadSort>,
}

impl LeadQuery {
    /// The order the list is in: the one asked for, or the default.
    pub fn effective_sort(&self) -> LeadSort {
        self.sort.unwrap_or(if self.q.is_some() {
            LeadSort::RELEVANCE
        } else {
            LeadSort::NEWEST
        })
    }

    /// The query string that asks for this (parameters left at their default are
    /// left out).
    pub fn params(&self) -> LeadQueryParams {
        fn joined<T: ToString>(items: &[T]) -> Option<String> {
            (!items.is_empty()).then(|| {
                items
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })
        }
        let bound = |b: &Option<CreatedBound>| {
            b.map(|b| match b {
                CreatedBound::At(at) => at.to_rfc3339(),
                CreatedBound::DayStart(day) => day.format("%Y-%m-%d").to_string(),
            })
        };
        LeadQueryParams {
            q: self.q.clone(),
            status: joined(&self.statuses),
            enrichment_status: joined(&self.enrichment_statuses),
            porte: joined(&self.portes),
            cnae: joined(&self.cnaes),
            uf: joined(&self.ufs),
            city: self.city.clone(),
            import_id: self.import_id.map(|id| id.to_string()),
            owner_id: self.owner.map(|o| o.to_string()),
            created_from: bound(&self.created_from),
            // A day bound is written back as the day it came from.
            created_to: self.created_to.map(|b| match b {
                CreatedBound::At(at) => at.to_rfc3339(),
                CreatedBound::DayStart(next) => next
                    .pred_opt()
                    .unwrap_or(next)
                    .format("%Y-%m-%d")
                    .to_string(),
            }),
            archived: (self.archived != ArchivedFilter::default())
                .then(|| self.archived.to_string()),
            do_not_contact: self.do_not_contact.map(|d| d.to_string()),
            sort: self.sort.map(|s| s.to_string()),
        }
    }
}

impl TryFrom<&LeadQueryParams> for LeadQuery {
    type Error = FieldIssue;

    /// Reads the parameters, or names the first malformed one and why.
    fn try_from(raw: &LeadQueryParams) -> Result<Self, FieldIssue> {
        let query = LeadQuery {
            q: search_text(&raw.q)?,
            statuses: words("status", &raw.status, LeadStatus::ALL)?,
            enrichment_statuses: words(
                "enrichment_status",
                &raw.enrichment_status,
                EnrichmentStatus::ALL,
            )?,
            portes: list("porte", &raw.porte, PORTES, true)?,
            cnaes: list("cnae", &raw.cnae, &[], false)?,
            ufs: list("uf", &raw.uf, &[], true)?,
            city: raw
                .city
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            import_id: parse_param("import_id", &raw.import_id, "um UUID")?,
            owner: match raw.owner_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some("none") => Some(OwnerFilter::Unassigned),
                Some(id) => Some(OwnerFilter::Is(id.parse().map_err(|_| {
                    FieldIssue::new("owner_id", "use o id de um membro ou `none`")
                })?)),
            },
            created_from: date_bound("created_from", &raw.created_from, false)?,
            created_to: date_bound("created_to", &raw.created_to, true)?,
            archived: match raw.archived.as_deref().map(str::trim) {
                None | Some("") => ArchivedFilter::default(),
                Some(word) => word
                    .parse()
                    .map_err(|_| FieldIssue::new("archived", "use active, archived ou all"))?,
            },
            do_not_contact: parse_param("do_not_contact", &raw.do_not_contact, "true ou false")?,
            sort: match raw.sort.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(word) => Some(word.parse().map_err(|_| {
                    FieldIssue::new(
                        "sort",
                        "use created_at, updated_at, razao_social, enriched_at ou relevance (prefixo - para decrescente)",
                    )
                })?),
            },
        };
        if query
            .cnaes
            .iter()
            .any(|c| c.is_empty() || c.len() > 7 || !c.chars().all(|d| d.is_ascii_digit()))
        {
            return Err(FieldIssue::new("cnae", "use códigos CNAE de até 7 dígitos"));
        }
        if query
            .city
            .as_deref()
            .is_some_and(|c| c.chars().count() > 100 || c.chars().any(char::is_control))
        {
            return Err(FieldIssue::new(
                "city",
                "use o nome da cidade (até 100 caracteres, sem caracteres de controle)",
            ));
        }
        if query
            .ufs
            .iter()
            .any(|u| u.len() != 2 || !u.chars().all(|c| c.is_ascii_uppercase()))
        {
            return Err(FieldIssue::new("uf", "use siglas de 2 letras (SP, RJ…)"));
        }
        Ok(query)
    }
}

fn search_text(raw: &Option<String>) -> Result<Option<String>, FieldIssue> {
    let Some(q) = raw.as_deref().map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(FieldIssue::new(
            "q",
            format!("a busca aceita até {MAX_SEARCH_CHARS} caracteres"),
        ));
    }
    // The search matches folded ASCII words and CNPJ characters: nothing else to
    // look for means nothing could match.
    if !fold_accents(q).chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(FieldIssue::new("q", "digite letras ou números para buscar"));
    }
    Ok(Some(q.to_owned()))
}

fn list(
    field: &str,
    raw: &Option<String>,
    allowed: &[&str],
    upper: bool,
) -> Result<Vec<String>, FieldIssue> {
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
                Err(FieldIssue::new(
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
) -> Result<Vec<T>, FieldIssue> {
    let known: Vec<String> = all.iter().map(ToString::to_string).collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    list(field, raw, &known, false)?
        .iter()
        .map(|w| {
            w.parse()
                .map_err(|_| FieldIssue::new(field, format!("valor desconhecido {w:?}")))
        })
        .collect()
}

fn date_bound(
    field: &str,
    raw: &Option<String>,
    end_of_day: bool,
) -> Result<Option<CreatedBound>, FieldIssue> {
    let Some(raw) = raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(CreatedBound::At(at.with_timezone(&Utc))));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| FieldIssue::new(field, "use uma data AAAA-MM-DD ou data-hora RFC 3339"))?;
    // A bare date is a whole calendar day of the organization: an end bound is the
    // midnight that starts the next one.
    let day = if end_of_day {
        day.succ_opt()
            .ok_or_else(|| FieldIssue::new(field, "data fora do intervalo aceito"))?
    } else {
        day
    };
    Ok(Some(CreatedBound::DayStart(day)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(params: LeadQueryParams) -> Result<LeadQuery, FieldIssue> {
        LeadQuery::try_from(&params)
    }

    #[test]
    fn a_full_query_survives_the_trip_through_its_params() {
        let query = LeadQuery {
            q: Some("construtora são".into()),
            statuses: vec![LeadStatus::New, LeadStatus::Qualified],
            enrichment_statuses: vec![EnrichmentStatus::NotFound],
            portes: vec!["ME".into(), "EPP".into()],
            cnaes: vec!["47".into()],
            ufs: vec!["SP".into(), "RJ".into()],
            city: Some("São Paulo".into()),
            import_id: Some(Uuid::nil()),
            owner: Some(OwnerFilter::Unassigned),
            created_from: Some(CreatedBound::DayStart(
                NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            )),
            created_to: Some(CreatedBound::DayStart(
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            )),
            archived: ArchivedFilter::All,
            do_not_contact: Some(false),
            sort: Some(LeadSort {
                key: LeadSortKey::RazaoSocial,
                descending: false,
            }),
        };
        let params = query.params();
        assert_eq!(params.created_to.as_deref(), Some("2026-02-28"));
        assert_eq!(params.status.as_deref(), Some("new,qualified"));
        assert_eq!(parse(params), Ok(query));
        assert_eq!(LeadQuery::default().params(), LeadQueryParams::default());
    }

    #[test]
    fn each_malformed_parameter_is_named() {
        let field = |params: LeadQueryParams| parse(params).unwrap_err().field;
        let with = |set: fn(&mut LeadQueryParams)| {
            let mut params = LeadQueryParams::default();
            set(&mut params);
            params
        };
        assert_eq!(
            field(with(|p| p.status = Some("new,lost".into()))),
            "status"
        );
        assert_eq!(field(with(|p| p.porte = Some("grande".into()))), "porte");
        assert_eq!(field(with(|p| p.cnae = Some("47a".into()))), "cnae");
        assert_eq!(field(with(|p| p.uf = Some("SPX".into()))), "uf");
        assert_eq!(
            field(with(|p| p.owner_id = Some("joão".into()))),
            "owner_id"
        );
        assert_eq!(field(with(|p| p.archived = Some("old".into()))), "archived");
        assert_eq!(field(with(|p| p.sort = Some("-name".into()))), "sort");
        assert_eq!(field(with(|p| p.q = Some("!!!".into()))), "q");
        assert_eq!(field(with(|p| p.q = Some("a".repeat(201)))), "q");
        assert_eq!(
            field(with(|p| p.created_to = Some("31/01/2026".into()))),
            "created_to"
        );
        assert_eq!(
            field(with(|p| p.import_id = Some(String::new()))),
            "import_id"
        );
        assert_eq!(
            parse(with(|p| p.status = Some(" NEW , ".into())))
                .unwrap()
                .statuses,
            vec![LeadStatus::New]
        );
    }

    #[test]
    fn the_default_order_follows_the_search() {
        let mut query = LeadQuery::default();
        assert_eq!(query.effective_sort(), LeadSort::NEWEST);
        query.q = Some("padaria".into());
        assert_eq!(query.effective_sort(), LeadSort::RELEVANCE);
    }

    proptest! {
        #[test]
        fn any_params_parse_or_name_a_parameter(
            q in proptest::option::of(".{0,40}"),
            status in proptest::option::of("[a-z_, ]{0,30}"),
            uf in proptest::option::of("[A-Za-z, ]{0,10}"),
            sort in proptest::option::of("-?[a-z_]{0,15}"),
            created_from in proptest::option::of("[0-9TZ:+-]{0,25}"),
        ) {
            let params = LeadQueryParams { q, status, uf, sort, created_from, ..LeadQueryParams::default() };
            match parse(params) {
                // What parses is written back to params that parse to the same query.
                Ok(query) => prop_assert_eq!(parse(query.params()), Ok(query)),
                Err(issue) => prop_assert!(
                    ["q", "status", "uf", "sort", "created_from"].contains(&issue.field.as_str())
                ),
            }
        }
    }
}
