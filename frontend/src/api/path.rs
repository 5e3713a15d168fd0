//! Paths and query strings of the API. Pure, so the host tests check them.

use serde::Serialize;

const V1: &str = "/api/v1";

/// `/api/v1{path}`.
pub(super) fn v1(path: &str) -> String {
    format!("{V1}{path}")
}

/// `/api/v1{path}?{queries}`: each query is a serializable parameter struct; the ones
/// that write nothing are left out.
pub(super) fn v1_with(path: &str, queries: &[String]) -> String {
    let queries: Vec<&str> = queries
        .iter()
        .map(String::as_str)
        .filter(|q| !q.is_empty())
        .collect();
    if queries.is_empty() {
        v1(path)
    } else {
        format!("{V1}{path}?{}", queries.join("&"))
    }
}

/// The form-encoded query of a flat parameter struct (absent parameters left out).
pub(super) fn query(params: &impl Serialize) -> String {
    // Only a struct of plain optional values is ever passed, which always encodes.
    serde_urlencoded::to_string(params).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use flux_dto::{
        cadences::CadenceQuery,
        lead_query::{LeadQuery, LeadSort, LeadSortKey},
        leads::LeadStatus,
        query::Page,
    };

    use super::*;

    #[test]
    fn queries_are_encoded_and_empty_ones_left_out() {
        let leads = LeadQuery {
            q: Some("São & Cia".into()),
            statuses: vec![LeadStatus::New, LeadStatus::Contacted],
            sort: Some(LeadSort {
                key: LeadSortKey::RazaoSocial,
                descending: true,
            }),
            ..LeadQuery::default()
        };
        assert_eq!(
            v1_with(
                "/leads",
                &[query(&leads.params()), query(&Page::first(20).params())]
            ),
            "/api/v1/leads?q=S%C3%A3o+%26+Cia&status=new%2Ccontacted&sort=-razao_social&page=1&per_page=20"
        );
        assert_eq!(
            v1_with("/cadences", &[query(&CadenceQuery::default())]),
            "/api/v1/cadences"
        );
        assert_eq!(v1("/me"), "/api/v1/me");
    }
}
