//! The lead list's query (`flux_dto::lead_query`, shared with the SPA) turned into
//! the repository's filter: the search text becomes folded words and a CNPJ prefix.

use flux_domain::text::fold_accents;
use flux_dto::lead_query::{LeadQuery, LeadQueryParams, LeadSort};
use flux_persistence::lead_search::LeadFilter;

use crate::error::ApiError;

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

/// The repository filter and order of a lead list request, or 422 naming the
/// malformed parameter.
pub(crate) fn lead_filter(params: &LeadQueryParams) -> Result<(LeadFilter, LeadSort), ApiError> {
    let query = LeadQuery::try_from(params)?;
    let sort = query.effective_sort();
    let (search_words, cnpj_prefix) = query.q.as_deref().map(search_terms).unwrap_or_default();
    let filter = LeadFilter {
        statuses: query.statuses,
        enrichment_statuses: query.enrichment_statuses,
        portes: query.portes,
        cnaes: query.cnaes,
        ufs: query.ufs,
        city: query.city,
        import_id: query.import_id,
        owner: query.owner,
        created_from: query.created_from,
        created_to: query.created_to,
        archived: query.archived,
        do_not_contact: query.do_not_contact,
        search_words,
        cnpj_prefix,
    };
    Ok((filter, sort))
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
