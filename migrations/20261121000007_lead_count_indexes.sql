-- Index-only counts for the lead list's menu filters: every index carries the
-- default view's `archived_at IS NULL` condition (INCLUDE) and the soft-delete
-- predicate, so `count(*)` reads the index alone once pages are all-visible.
-- CNAE filters are prefixes (`47` = retail): text_pattern_ops serves LIKE 'x%'
-- under any collation.
DROP INDEX idx_leads_status_enrichment;
CREATE INDEX idx_leads_status_enrichment ON leads(org_id, status, enrichment_status)
  INCLUDE (archived_at) WHERE deleted_at IS NULL;
DROP INDEX idx_leads_cnae;
CREATE INDEX idx_leads_cnae ON leads(org_id, cnae text_pattern_ops)
  INCLUDE (archived_at) WHERE deleted_at IS NULL;
DROP INDEX idx_leads_porte;
CREATE INDEX idx_leads_porte_uf ON leads(org_id, porte, uf)
  INCLUDE (archived_at) WHERE deleted_at IS NULL;
DROP INDEX idx_leads_enrichment;
CREATE INDEX idx_leads_enrichment ON leads(org_id, enrichment_status)
  INCLUDE (archived_at) WHERE deleted_at IS NULL;
