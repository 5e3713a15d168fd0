//! The vocabulary of the lead list's filters and sort, shared by the wire query
//! (`flux-dto`), the SPA and the repository that runs it.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

vocabulary! {
    /// Which leads by archival: the active ones (default), the archived ones or all.
    #[derive(Default)]
    pub enum ArchivedFilter {
        #[default]
        Active = "active",
        Archived = "archived",
        All = "all",
    }
}

vocabulary! {
    /// What the lead list is ordered by.
    pub enum LeadSortKey {
        CreatedAt = "created_at",
        UpdatedAt = "updated_at",
        RazaoSocial = "razao_social",
        EnrichedAt = "enriched_at",
        /// How well a search matches (only meaningful with a search): lexeme
        /// occurrences, a CNPJ prefix first, then newest.
        Relevance = "relevance",
    }
}

/// An order of the lead list: `-created_at` is newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadSort {
    pub key: LeadSortKey,
    pub descending: bool,
}

impl LeadSort {
    /// Newest first: the default without a search.
    pub const NEWEST: LeadSort = LeadSort {
        key: LeadSortKey::CreatedAt,
        descending: true,
    };
    /// Best match first: the default with a search.
    pub const RELEVANCE: LeadSort = LeadSort {
        key: LeadSortKey::Relevance,
        descending: true,
    };
}

impl std::fmt::Display for LeadSort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.descending {
            f.write_str("-")?;
        }
        f.write_str(self.key.as_str())
    }
}

impl std::str::FromStr for LeadSort {
    type Err = crate::vocabulary::UnknownValue;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (descending, key) = match raw.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, raw),
        };
        Ok(LeadSort {
            key: key.parse()?,
            descending,
        })
    }
}

/// Whose leads: one member's, or nobody's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    Is(Uuid),
    Unassigned,
}

impl std::fmt::Display for OwnerFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OwnerFilter::Is(id) => write!(f, "{id}"),
            OwnerFilter::Unassigned => f.write_str("none"),
        }
    }
}

/// A bound of the creation-date filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatedBound {
    At(DateTime<Utc>),
    /// Midnight starting this day in the organization's time zone.
    DayStart(NaiveDate),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_read_and_write_the_minus_prefix() {
        for key in LeadSortKey::ALL {
            for descending in [false, true] {
                let sort = LeadSort {
                    key: *key,
                    descending,
                };
                assert_eq!(sort.to_string().parse::<LeadSort>(), Ok(sort));
            }
        }
        assert_eq!(LeadSort::NEWEST.to_string(), "-created_at");
        assert!("-name".parse::<LeadSort>().is_err());
        assert!("--created_at".parse::<LeadSort>().is_err());
    }
}
