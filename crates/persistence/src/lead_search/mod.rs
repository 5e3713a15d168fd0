//! Lead list queries: filters, accent-insensitive Portuguese full-text search, sort and
//! paging, plus keyset pages for streaming exports. Built dynamically so each request
//! carries only the conditions it uses (the planner then picks the matching index).
//!
//! Every condition uses leakproof operators only (text, uuid, boolean and timestamp
//! comparisons): under row-level security PostgreSQL will not run any other operator
//! ahead of the tenant policy, so it could not serve it from an index. Searches read
//! `lead_search_terms` (one row per lexeme of a lead, kept by triggers) by byte-wise
//! prefix ranges instead of `@@` on the GIN index.

use chrono::{DateTime, NaiveDateTime, Utc};
use flux_domain::lead::{EnrichmentStatus, LeadStatus};
pub use flux_domain::lead_filter::{
    ArchivedFilter, CreatedBound, LeadSort, LeadSortKey, OwnerFilter,
};
use sqlx::{postgres::PgRow, FromRow, Row};
use uuid::Uuid;

mod sql;

pub use sql::prefix_upper_bound;
use sql::{list_query, plans_for, push_filters, push_from, Builder, ListQuery};

use crate::{error::RepoResult, Plans, TenantDb, TenantTx};

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub statuses: Vec<LeadStatus>,
    pub enrichment_statuses: Vec<EnrichmentStatus>,
    pub portes: Vec<String>,
    /// CNAE codes or prefixes of ASCII digits (`47` = every retail activity).
    pub cnaes: Vec<String>,
    pub ufs: Vec<String>,
    /// Compared without accents or case.
    pub city: Option<String>,
    pub import_id: Option<Uuid>,
    pub owner: Option<OwnerFilter>,
    /// Created at or after.
    pub created_from: Option<CreatedBound>,
    /// Created before.
    pub created_to: Option<CreatedBound>,
    pub archived: ArchivedFilter,
    pub do_not_contact: Option<bool>,
    /// Folded words typed in the search box (`[a-z0-9]+`); a lead matches when each
    /// word is a prefix of one of its Portuguese lexemes (`constru` → Construtora).
    pub search_words: Vec<String>,
    /// Uppercase `0-9A-Z` prefix of a CNPJ typed in the search box.
    pub cnpj_prefix: Option<String>,
}

/// The columns of a list row ([`LIST_COLUMNS`], in that order).
#[derive(Debug, Clone)]
pub struct LeadListRow {
    pub id: Uuid,
    pub cnpj: String,
    pub status: LeadStatus,
    pub enrichment_status: EnrichmentStatus,
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

/// The columns of a lead list row, in the order [`LeadListRow`] decodes them.
pub const LIST_COLUMNS: &str = "id, cnpj, status, enrichment_status, razao_social, nome_fantasia, \
     porte, cnae, uf, cidade, situacao_cadastral, email, telefone, contact_name, owner_id, \
     do_not_contact, import_id, enriched_at, archived_at, created_at, updated_at";

impl LeadListRow {
    /// Decodes [`LIST_COLUMNS`] starting at column `first`. By position: a page has
    /// thousands of values, and looking each one up by name was a sixth of the
    /// server's time per list request. Unchecked: the SQL types of these fixed columns
    /// are not re-compared per value (tests/lead_list_columns.rs pins them instead).
    fn decode_from(row: &PgRow, first: usize) -> sqlx::Result<Self> {
        let mut column = first;
        let mut next = || {
            column += 1;
            column - 1
        };
        Ok(Self {
            id: row.try_get_unchecked(next())?,
            cnpj: row.try_get_unchecked(next())?,
            status: row.try_get_unchecked(next())?,
            enrichment_status: row.try_get_unchecked(next())?,
            razao_social: row.try_get_unchecked(next())?,
            nome_fantasia: row.try_get_unchecked(next())?,
            porte: row.try_get_unchecked(next())?,
            cnae: row.try_get_unchecked(next())?,
            uf: row.try_get_unchecked(next())?,
            cidade: row.try_get_unchecked(next())?,
            situacao_cadastral: row.try_get_unchecked(next())?,
            email: row.try_get_unchecked(next())?,
            telefone: row.try_get_unchecked(next())?,
            contact_name: row.try_get_unchecked(next())?,
            owner_id: row.try_get_unchecked(next())?,
            do_not_contact: row.try_get_unchecked(next())?,
            import_id: row.try_get_unchecked(next())?,
            enriched_at: row.try_get_unchecked(next())?,
            archived_at: row.try_get_unchecked(next())?,
            created_at: row.try_get_unchecked(next())?,
            updated_at: row.try_get_unchecked(next())?,
        })
    }
}

impl FromRow<'_, PgRow> for LeadListRow {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        Self::decode_from(row, 0)
    }
}

/// The Portuguese lexemes of the words typed, stemmed as the indexed text is (stop
/// words drop out). `$1` is the words joined by spaces.
pub const LEXEMES_SQL: &str =
    "SELECT coalesce(array_agg(t.lexeme ORDER BY t.lexeme), '{}'::text[]) \
     FROM unnest(to_tsvector('portuguese', $1)) AS t";

/// Rank of a lead found by its CNPJ prefix: above any match by name.
pub(crate) const CNPJ_MATCH_WEIGHT: i16 = 1000;

impl LeadFilter {
    /// Whether the filter has a search (words or a CNPJ prefix).
    pub fn searches(&self) -> bool {
        !self.search_words.is_empty() || self.cnpj_prefix.is_some()
    }

    /// Conditions only the leads table answers (beyond deletion and archiving).
    fn has_lead_conditions(&self) -> bool {
        !self.statuses.is_empty()
            || !self.enrichment_statuses.is_empty()
            || !self.portes.is_empty()
            || !self.cnaes.is_empty()
            || !self.ufs.is_empty()
            || self.city.is_some()
            || self.import_id.is_some()
            || self.owner.is_some()
            || self.created_from.is_some()
            || self.created_to.is_some()
            || self.do_not_contact.is_some()
    }
}

/// A page row that also carries the total of the search (`total, LIST_COLUMNS`).
struct CountedRow {
    total: i64,
    lead: LeadListRow,
}

impl FromRow<'_, PgRow> for CountedRow {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Self {
            total: row.try_get(0)?,
            lead: LeadListRow::decode_from(row, 1)?,
        })
    }
}

/// The lexemes `words` search for (see [`LEXEMES_SQL`]).
async fn search_lexemes(tx: &mut TenantTx, words: &[String]) -> RepoResult<Vec<String>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(LEXEMES_SQL)
        .bind(words.join(" "))
        .fetch_one(tx.conn())
        .await?)
}

/// One page of leads and the total matching the filter, read in one tenant
/// transaction.
pub async fn search(
    db: &TenantDb,
    filter: &LeadFilter,
    sort: LeadSort,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<LeadListRow>, i64)> {
    // Every statement is prepared once per connection. A plain search has one plan
    // whatever its words (range scans of the terms index), so it keeps its cached
    // plan; filters are planned for their values on every run, as a generic plan
    // cannot know how selective they are and picks whole-organization scans.
    let mut tx = db.begin_with(plans_for(filter, sort)).await?;
    let lexemes = search_lexemes(&mut tx, &filter.search_words).await?;
    let ListQuery {
        mut page,
        mut count,
        total_in_page,
    } = list_query(filter, &lexemes, sort, limit, offset);
    let (rows, total) = if total_in_page {
        let rows: Vec<CountedRow> = page.build_query_as().fetch_all(tx.conn()).await?;
        // An empty first page means no match at all.
        let total = rows.first().map(|r| r.total).or((offset == 0).then_some(0));
        (rows.into_iter().map(|r| r.lead).collect::<Vec<_>>(), total)
    } else {
        let rows: Vec<LeadListRow> = page.build_query_as().fetch_all(tx.conn()).await?;
        // When the whole result fits in the first page, its length is the total.
        let total = (offset == 0 && (rows.len() as i64) < limit).then_some(rows.len() as i64);
        (rows, total)
    };
    let total = match total {
        Some(total) => total,
        None => {
            count
                .build_query_scalar::<i64>()
                .fetch_one(tx.conn())
                .await?
        }
    };
    tx.end_read_only();
    Ok((rows, total))
}

/// Keyset page for exports: newest first, strictly after `after` (created_at, id).
pub async fn export_page(
    tx: &mut TenantTx,
    filter: &LeadFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> RepoResult<Vec<ExportRow>> {
    let lexemes = search_lexemes(tx, &filter.search_words).await?;
    // The organization's zone is read once (an uncorrelated subquery), and PostgreSQL
    // converts with the same zone database that reads the date filters.
    let mut q = Builder::new(format!(
        "SELECT {LIST_COLUMNS}, timezone((SELECT o.timezone FROM organizations o \
         WHERE o.id = app_current_org()), created_at) AS created_local"
    ));
    push_from(&mut q, filter, &lexemes);
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

/// A lead as exported: its list columns, and when it was created on the
/// organization's clock.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub lead: LeadListRow,
    pub created_local: NaiveDateTime,
}

impl FromRow<'_, PgRow> for ExportRow {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        let lead = LeadListRow::decode_from(row, 0)?;
        Ok(Self {
            lead,
            created_local: row.try_get("created_local")?,
        })
    }
}

/// The SQL `search` runs for `filter` once its words are `lexemes` (placeholders
/// `$1…` in bind order), for benchmarks that replay the endpoint's own statements.
#[derive(Debug)]
pub struct ListStatements {
    /// Run first when the filter has search words ([`LEXEMES_SQL`]).
    pub lexemes: Option<&'static str>,
    pub page: String,
    pub count: String,
    /// The page carries the total; `count` runs only for a page past the end.
    pub total_in_page: bool,
    /// How the transaction plans these (prepared) statements.
    pub plans: Plans,
}

pub fn search_statements(
    filter: &LeadFilter,
    lexemes: &[String],
    sort: LeadSort,
    limit: i64,
    offset: i64,
) -> ListStatements {
    let query = list_query(filter, lexemes, sort, limit, offset);
    ListStatements {
        lexemes: (!filter.search_words.is_empty()).then_some(LEXEMES_SQL),
        page: query.page.sql().to_owned(),
        count: query.count.sql().to_owned(),
        total_in_page: query.total_in_page,
        plans: plans_for(filter, sort),
    }
}
