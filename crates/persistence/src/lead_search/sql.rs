//! The SQL of a lead list request, built for the conditions it uses: the matches of a
//! search, the filters, the order, and the page and count statements.

use sqlx::{Postgres, QueryBuilder};

use super::{
    ArchivedFilter, CreatedBound, LeadFilter, LeadSort, LeadSortKey, OwnerFilter,
    CNPJ_MATCH_WEIGHT, LIST_COLUMNS,
};
use crate::Plans;

pub(super) type Builder = QueryBuilder<'static, Postgres>;

pub(super) fn push_archived(q: &mut Builder, archived: ArchivedFilter, column: &str) {
    match archived {
        ArchivedFilter::Active => q.push(format!(" AND {column} IS NULL")),
        ArchivedFilter::Archived => q.push(format!(" AND {column} IS NOT NULL")),
        ArchivedFilter::All => q,
    };
}

/// `(SELECT lead_id, rank, matched_created_at …)`: one row per lead of the archived view
/// whose lexemes start with every searched lexeme, or whose CNPJ starts with the prefix.
pub(super) fn push_matches(q: &mut Builder, f: &LeadFilter, lexemes: &[String]) {
    if lexemes.is_empty() && f.cnpj_prefix.is_none() {
        // Only stop words were typed: nothing matches (as `to_tsquery` would say).
        q.push(
            "(SELECT NULL::uuid AS lead_id, 0::bigint AS rank, \
             NULL::timestamptz AS matched_created_at WHERE false)",
        );
        return;
    }
    // A bit per lexeme; a lead matches when its rows cover them all. A CNPJ hit
    // covers every bit at once. The API sends at most 8 words.
    debug_assert!(lexemes.len() < 31, "too many lexemes for the bitmask");
    let every_bit = (1_i32 << lexemes.len()) - 1;
    q.push("(SELECT lead_id, sum(weight) AS rank, max(created_at) AS matched_created_at FROM (");
    for (i, lexeme) in lexemes.iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        q.push(format!(
            "SELECT lead_id, created_at, weight, {} AS bit FROM lead_search_terms \
             WHERE org_id = app_current_org()",
            1_i32 << i
        ));
        q.push(match f.archived {
            ArchivedFilter::Active => " AND archived = false",
            ArchivedFilter::Archived => " AND archived = true",
            ArchivedFilter::All => " AND archived IN (false, true)",
        });
        q.push(" AND term >= ")
            .push_bind(lexeme.clone())
            .push(" AND term < ")
            .push_bind(prefix_upper_bound(lexeme));
    }
    if let Some(prefix) = &f.cnpj_prefix {
        if !lexemes.is_empty() {
            q.push(" UNION ALL ");
        }
        q.push(format!(
            "SELECT id AS lead_id, created_at, {CNPJ_MATCH_WEIGHT}::smallint AS weight, \
             {every_bit} AS bit FROM leads \
             WHERE org_id = app_current_org() AND deleted_at IS NULL"
        ));
        push_archived(q, f.archived, "archived_at");
        q.push(" AND cnpj ~>=~ ")
            .push_bind(prefix.clone())
            .push(" AND cnpj ~<~ ")
            .push_bind(prefix_upper_bound(prefix));
    }
    q.push(format!(
        ") AS hit GROUP BY lead_id HAVING bit_or(bit) = {every_bit})"
    ));
}

/// ` FROM leads` joined to the search matches when searching.
pub(super) fn push_from(q: &mut Builder, f: &LeadFilter, lexemes: &[String]) {
    q.push(" FROM leads");
    if f.searches() {
        q.push(" JOIN ");
        push_matches(q, f, lexemes);
        q.push(" AS m ON m.lead_id = leads.id");
    }
}

pub(super) fn push_filters(q: &mut Builder, f: &LeadFilter) {
    // RLS confines rows to the tenant; the explicit org condition lets the planner use
    // the (org_id, …) indexes.
    q.push(" WHERE org_id = app_current_org() AND deleted_at IS NULL");
    push_archived(q, f.archived, "archived_at");
    push_one_of(q, "status", &words(&f.statuses));
    push_one_of(q, "enrichment_status", &words(&f.enrichment_statuses));
    push_one_of(q, "porte", &f.portes);
    if !f.cnaes.is_empty() {
        // A code prefix as a byte-wise range (`47` → [`47`, `48`)), served by the
        // text_pattern_ops index and estimated from the column histogram.
        q.push(" AND (");
        for (i, cnae) in f.cnaes.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("(cnae ~>=~ ")
                .push_bind(cnae.clone())
                .push(" AND cnae ~<~ ")
                .push_bind(prefix_upper_bound(cnae))
                .push(")");
        }
        q.push(")");
    }
    push_one_of(q, "uf", &f.ufs);
    if let Some(city) = &f.city {
        q.push(" AND cidade_key = fold_accents(")
            .push_bind(city.clone())
            .push(")");
    }
    if let Some(import_id) = f.import_id {
        q.push(" AND import_id = ").push_bind(import_id);
    }
    match f.owner {
        Some(OwnerFilter::Is(owner)) => {
            q.push(" AND owner_id = ").push_bind(owner);
        }
        Some(OwnerFilter::Unassigned) => {
            q.push(" AND owner_id IS NULL");
        }
        None => {}
    }
    for (bound, op) in [(f.created_from, ">="), (f.created_to, "<")] {
        match bound {
            Some(CreatedBound::At(at)) => {
                q.push(format!(" AND created_at {op} ")).push_bind(at);
            }
            Some(CreatedBound::DayStart(day)) => {
                q.push(format!(" AND created_at {op} app_org_midnight("))
                    .push_bind(day)
                    .push(")");
            }
            None => {}
        }
    }
    if let Some(flag) = f.do_not_contact {
        q.push(" AND do_not_contact = ").push_bind(flag);
    }
}

/// ` AND column = value`, or `= ANY(values)` for several: a single value keeps the
/// rest of an index in order (`uf = 'RJ'` reads (org, uf, razão social) sorted).
/// The database's words for vocabulary values, to bind.
pub(super) fn words<T: Copy + std::fmt::Display>(values: &[T]) -> Vec<String> {
    values.iter().map(ToString::to_string).collect()
}

pub(super) fn push_one_of(q: &mut Builder, column: &str, values: &[String]) {
    match values {
        [] => {}
        [value] => {
            q.push(format!(" AND {column} = ")).push_bind(value.clone());
        }
        _ => {
            q.push(format!(" AND {column} = ANY("))
                .push_bind(values.to_vec())
                .push(")");
        }
    }
}

/// The smallest string above every string starting with `prefix` (byte-wise).
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    match bytes.last_mut() {
        Some(last) if *last < 0x7F => {
            *last += 1;
            String::from_utf8(bytes).unwrap_or_else(|_| format!("{prefix}\u{10FFFF}"))
        }
        // Above any continuation of `prefix` by a valid UTF-8 character.
        _ => format!("{prefix}\u{10FFFF}"),
    }
}

pub(super) fn push_order(q: &mut Builder, f: &LeadFilter, sort: LeadSort) {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    match sort.key {
        LeadSortKey::Relevance if f.searches() => {
            q.push(format!(" ORDER BY m.rank {dir}, created_at DESC, id DESC"));
        }
        LeadSortKey::Relevance | LeadSortKey::CreatedAt => {
            q.push(format!(" ORDER BY created_at {dir}, id {dir}"));
        }
        LeadSortKey::UpdatedAt => {
            q.push(format!(" ORDER BY updated_at {dir}, id {dir}"));
        }
        LeadSortKey::RazaoSocial => {
            q.push(format!(
                " ORDER BY razao_social_key {dir} NULLS LAST, id {dir}"
            ));
        }
        LeadSortKey::EnrichedAt => {
            q.push(format!(" ORDER BY enriched_at {dir} NULLS LAST, id {dir}"));
        }
    }
}

/// The statements of one list request.
pub(super) struct ListQuery {
    pub(super) page: Builder,
    pub(super) count: Builder,
    /// The page's rows carry the total (`count(*) OVER ()` over the matches), so the
    /// count runs only for a page past the end.
    pub(super) total_in_page: bool,
}

/// A plain search (no other filter, sorted by relevance or date) is counted, ranked
/// and paged from the terms index alone.
pub(super) fn ranked_by_matches(f: &LeadFilter, sort: LeadSort) -> bool {
    f.searches()
        && !f.has_lead_conditions()
        && matches!(sort.key, LeadSortKey::Relevance | LeadSortKey::CreatedAt)
}

pub(super) fn plans_for(f: &LeadFilter, sort: LeadSort) -> Plans {
    if ranked_by_matches(f, sort) {
        Plans::Cached
    } else {
        Plans::PerValues
    }
}

pub(super) fn list_query(
    f: &LeadFilter,
    lexemes: &[String],
    sort: LeadSort,
    limit: i64,
    offset: i64,
) -> ListQuery {
    if ranked_by_matches(f, sort) {
        // A plain search is counted, ranked and paged from the terms index alone;
        // only the page's leads are read.
        let dir = if sort.descending { "DESC" } else { "ASC" };
        let order = |t: &str| match sort.key {
            LeadSortKey::Relevance => {
                format!("{t}rank {dir}, {t}matched_created_at DESC, {t}lead_id DESC")
            }
            _ => format!("{t}matched_created_at {dir}, {t}lead_id {dir}"),
        };
        let mut page = Builder::new(
            "SELECT p.total, leads.* FROM (SELECT lead_id, rank, matched_created_at, \
             count(*) OVER () AS total FROM ",
        );
        push_matches(&mut page, f, lexemes);
        page.push(format!(" AS m ORDER BY {} LIMIT ", order("")))
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset)
            .push(format!(
                ") AS p CROSS JOIN LATERAL (SELECT {LIST_COLUMNS} FROM leads \
                 WHERE leads.id = p.lead_id AND deleted_at IS NULL) AS leads ORDER BY {}",
                order("p.")
            ));
        let mut count = Builder::new("SELECT count(*) FROM ");
        push_matches(&mut count, f, lexemes);
        count.push(" AS m");
        return ListQuery {
            page,
            count,
            total_in_page: true,
        };
    }
    let mut page = Builder::new(format!("SELECT {LIST_COLUMNS}"));
    push_from(&mut page, f, lexemes);
    push_filters(&mut page, f);
    push_order(&mut page, f, sort);
    page.push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let mut count = Builder::new("SELECT count(*)");
    push_from(&mut count, f, lexemes);
    push_filters(&mut count, f);
    ListQuery {
        page,
        count,
        total_in_page: false,
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn prefix_bounds_cover_exactly_the_codes_with_that_prefix() {
        assert_eq!(prefix_upper_bound("47"), "48");
        assert_eq!(prefix_upper_bound("49"), "4:");
        assert!("4999999" < prefix_upper_bound("49").as_str());
        assert!("5000000" > prefix_upper_bound("49").as_str());
        assert_eq!(prefix_upper_bound("4711302"), "4711303");
        // Past ASCII the bound stays above every continuation.
        let bound = prefix_upper_bound("caf\u{e9}");
        assert!("caf\u{e9}\u{e9}" < bound.as_str() && "caf\u{e9}zz" < bound.as_str());
        assert!("cag" > bound.as_str());
    }
}
