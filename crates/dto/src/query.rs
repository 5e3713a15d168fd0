//! Query strings of the list endpoints, one type each, shared by the server (which
//! reads them, naming the parameter that is malformed) and the SPA (which writes
//! them). Every parameter travels as text so a malformed value is a 422 naming it
//! rather than a generic decoding failure.

use serde::{Deserialize, Serialize};

use crate::FieldIssue;

/// An optional parameter parsed as `T`, or the issue naming it.
pub fn parse_param<T: std::str::FromStr>(
    name: &str,
    raw: &Option<String>,
    expected: &str,
) -> Result<Option<T>, FieldIssue> {
    // `?from=` is a malformed value, not an absent one (as with `page`).
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(FieldIssue::new(
            name,
            format!("vazio; informe {expected} ou omita o parâmetro"),
        )),
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|_| FieldIssue::new(name, format!("{value:?} não é {expected}"))),
    }
}

/// One page of a list: 1-based `page`, `per_page` items (1–200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub const MAX_PER_PAGE: i64 = 200;
    pub const DEFAULT_PER_PAGE: i64 = 50;

    pub fn first(per_page: i64) -> Self {
        Page { page: 1, per_page }
    }

    pub fn params(self) -> Paging {
        Paging {
            page: Some(self.page.to_string()),
            per_page: Some(self.per_page.to_string()),
        }
    }
}

/// `page` (1-based, default 1) and `per_page` (1–200, default 50) of a list endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Paging {
    /// 1-based page number (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>, minimum = 1))]
    pub page: Option<String>,
    /// Items per page, 1–200 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<i64>, minimum = 1, maximum = 200))]
    pub per_page: Option<String>,
}

impl Paging {
    /// The page asked for, or the issue naming the parameter out of range.
    pub fn page(&self) -> Result<Page, FieldIssue> {
        // `?page=` is a malformed number, not an absent one.
        for (name, raw) in [("page", &self.page), ("per_page", &self.per_page)] {
            if raw.as_deref().is_some_and(|r| r.trim().is_empty()) {
                return Err(FieldIssue::new(name, "informe um número"));
            }
        }
        let page = parse_param::<i64>("page", &self.page, "um número")?.unwrap_or(1);
        let per_page = parse_param::<i64>("per_page", &self.per_page, "um número")?
            .unwrap_or(Page::DEFAULT_PER_PAGE);
        if !(1..=1_000_000).contains(&page) {
            return Err(FieldIssue::new(
                "page",
                "deve ser um número entre 1 e 1000000",
            ));
        }
        if !(1..=Page::MAX_PER_PAGE).contains(&per_page) {
            return Err(FieldIssue::new(
                "per_page",
                "deve ser um número entre 1 e 200",
            ));
        }
        Ok(Page { page, per_page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_trip_and_bad_ones_name_their_parameter() {
        let page = Page {
            page: 3,
            per_page: 20,
        };
        assert_eq!(page.params().page(), Ok(page));
        assert_eq!(
            Paging::default().page(),
            Ok(Page {
                page: 1,
                per_page: 50
            })
        );
        let issue = |page: Option<&str>, per_page: Option<&str>| {
            Paging {
                page: page.map(Into::into),
                per_page: per_page.map(Into::into),
            }
            .page()
            .unwrap_err()
            .field
        };
        assert_eq!(issue(Some(""), None), "page");
        assert_eq!(issue(Some("0"), None), "page");
        assert_eq!(issue(Some("x"), None), "page");
        assert_eq!(issue(None, Some("201")), "per_page");
    }
}
