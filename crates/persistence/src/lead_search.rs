//! Lead list queries: filters, accent-insensitive Portuguese full-text search, sort and
//! paging, plus keyset pages for streaming exports. Built dynamically so each request
//! carries only the conditions it uses (the planner then picks the matching index).

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchivedFilter {
    /// Not archived (the default view).
    #[default]
    Active,
    Archived,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    Is(Uuid),
    Unassigned,
}

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub statuses: Vec<String>,
    pub enrichment_statuses: Vec<String>,
    pub portes: Vec<String>,
    /// CNAE codes or prefixes of ASCII digits (`47` = every retail activity).
    pub cnaes: Vec<String>,
    pub ufs: Vec<String>,
    /// Compared without accents or case.
    pub city: Option<String>,
    pub import_id: Option<Uuid>,
    pub owner: Option<OwnerFilter>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub archived: ArchivedFilter,
    pub do_not_contact: Option<bool>,
    /// `to_tsquery('portuguese', …)` input, already sanitized (`constru:* & sao:*`).
    pub tsquery: Option<String>,
    /// Uppercase `0-9A-Z` prefix of a CNPJ typed in the search box.
    pub cnpj_prefix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    CreatedAt,
    UpdatedAt,
    RazaoSocial,
    EnrichedAt,
    /// Full-text rank (only meaningful with a search).
    Relevance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// The columns of a list row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeadListRow {
    pub id: Uuid,
    pub cnpj: String,
    pub status: String,
    pub enrichment_status: String,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub porte: Option<String>,
    pub cnae: Option<String>,
    pub uf: Option<String>,
    pub cidade: Option<String>,
    pub situacao_cadastral: Option<String>,
    pub email: Option<String>,
    pub telefone: Option<String>,
    pub contact_name: Option<String>,
    pub owner_id: Option<Uuid>,
    pub do_not_contact: bool,
    pub import_id: Option<Uuid>,
    pub enriched_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const LIST_COLUMNS: &str = "id, cnpj, status::text AS status, enrichment_status::text AS enrichment_status, \
     razao_social, nome_fantasia, porte, cnae, uf, cidade, situacao_cadastral, email, telefone, \
     contact_name, owner_id, do_not_contact, import_id, enriched_at, archived_at, created_at, updated_at";

fn push_filters(q: &mut QueryBuilder<'_, Postgres>, f: &LeadFilter) {
    // RLS confines rows to the tenant; the explicit org condition lets the planner use
    // the (org_id, …) indexes.
    q.push(" WHERE org_id = app_current_org() AND deleted_at IS NULL");
    match f.archived {
        ArchivedFilter::Active => q.push(" AND archived_at IS NULL"),
        ArchivedFilter::Archived => q.push(" AND archived_at IS NOT NULL"),
        ArchivedFilter::All => q,
    };
    if !f.statuses.is_empty() {
        q.push(" AND status = ANY(")
            .push_bind(f.statuses.clone())
            .push("::lead_status[])");
    }
    if !f.enrichment_statuses.is_empty() {
        q.push(" AND enrichment_status = ANY(")
            .push_bind(f.enrichment_statuses.clone())
            .push("::enrichment_status[])");
    }
    if !f.portes.is_empty() {
        q.push(" AND porte = ANY(")
            .push_bind(f.portes.clone())
            .push(")");
    }
    if !f.cnaes.is_empty() {
        // A code prefix as a byte-wise range (`47` → [`47`, `48`)), served by the
        // text_pattern_ops index and estimated from the column histogram — `LIKE '47%'`
        // is estimated far too selective and picks a bad plan.
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
    if !f.ufs.is_empty() {
        q.push(" AND uf = ANY(").push_bind(f.ufs.clone()).push(")");
    }
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
    if let Some(from) = f.created_from {
        q.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(to) = f.created_to {
        q.push(" AND created_at < ").push_bind(to);
    }
    if let Some(flag) = f.do_not_contact {
        q.push(" AND do_not_contact = ").push_bind(flag);
    }
    match (&f.tsquery, &f.cnpj_prefix) {
        (Some(ts), Some(prefix)) => {
            q.push(" AND (search @@ to_tsquery('portuguese', ")
                .push_bind(ts.clone())
                .push(") OR cnpj LIKE ")
                .push_bind(format!("{prefix}%"))
                .push(")");
        }
        (Some(ts), None) => {
            q.push(" AND search @@ to_tsquery('portuguese', ")
                .push_bind(ts.clone())
                .push(")");
        }
        (None, Some(prefix)) => {
            q.push(" AND cnpj LIKE ").push_bind(format!("{prefix}%"));
        }
        (None, None) => {}
    }
}

/// The smallest string above every string starting with `prefix` (byte-wise).
fn prefix_upper_bound(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    match bytes.last_mut() {
        Some(last) if *last < 0x7F => {
            *last += 1;
            String::from_utf8(bytes).unwrap_or_else(|_| format!("{prefix}\u{7f}"))
        }
        _ => format!("{prefix}\u{7f}"),
    }
}

fn push_order(q: &mut QueryBuilder<'_, Postgres>, f: &LeadFilter, sort: Sort) {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    match (sort.key, &f.tsquery) {
        (SortKey::Relevance, Some(ts)) => {
            q.push(" ORDER BY ts_rank(search, to_tsquery('portuguese', ")
                .push_bind(ts.clone())
                .push(format!(")) {dir}, created_at DESC, id DESC"));
        }
        (SortKey::Relevance, None) | (SortKey::CreatedAt, _) => {
            q.push(format!(" ORDER BY created_at {dir}, id {dir}"));
        }
        (SortKey::UpdatedAt, _) => {
            q.push(format!(" ORDER BY updated_at {dir}, id {dir}"));
        }
        (SortKey::RazaoSocial, _) => {
            q.push(format!(
                " ORDER BY razao_social_key {dir} NULLS LAST, id {dir}"
            ));
        }
        (SortKey::EnrichedAt, _) => {
            q.push(format!(" ORDER BY enriched_at {dir} NULLS LAST, id {dir}"));
        }
    }
}

/// One page of leads and the total matching the filter.
pub async fn search(
    tx: &mut TenantTx,
    filter: &LeadFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<LeadListRow>, i64)> {
    let mut q = QueryBuilder::new(format!("SELECT {LIST_COLUMNS} FROM leads"));
    push_filters(&mut q, filter);
    push_order(&mut q, filter, sort);
    q.push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    // Unnamed statements: planned for these very values every time. A cached generic
    // plan cannot know how selective a filter or a search term is, and picks
    // whole-organization scans.
    let rows: Vec<LeadListRow> = q
        .build_query_as()
        .persistent(false)
        .fetch_all(tx.conn())
        .await?;
    let total = if offset == 0 && (rows.len() as i64) < limit {
        // The whole result fits in this page: no second query.
        rows.len() as i64
    } else {
        let mut count = QueryBuilder::new("SELECT count(*) FROM leads");
        push_filters(&mut count, filter);
        count
            .build_query_scalar::<i64>()
            .fetch_one(tx.conn())
            .await?
    };
    Ok((rows, total))
}

/// Keyset page for exports: newest first, strictly after `after` (created_at, id).
pub async fn export_page(
    tx: &mut TenantTx,
    filter: &LeadFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> RepoResult<Vec<LeadListRow>> {
    let mut q = QueryBuilder::new(format!("SELECT {LIST_COLUMNS} FROM leads"));
    push_filters(&mut q, filter);
    if let Some((created_at, id)) = after {
        q.push(" AND (created_at, id) < (")
            .push_bind(created_at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(limit);
    Ok(q.build_query_as()
        .persistent(false)
        .fetch_all(tx.conn())
        .await?)
}

/// The SQL texts `search` runs for `filter` (placeholders `$1…` in bind order), for
/// benchmarks that replay the endpoint's own statements with pgbench.
pub fn search_statements(
    filter: &LeadFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> (String, String) {
    let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {LIST_COLUMNS} FROM leads"));
    push_filters(&mut q, filter);
    push_order(&mut q, filter, sort);
    q.push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM leads");
    push_filters(&mut count, filter);
    (q.sql().to_owned(), count.sql().to_owned())
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
    }
}
