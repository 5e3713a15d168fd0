-- Lead list filters and sorts measured by `make bench`. City is compared and razão
-- social sorted without accents or case: stored folded keys, so plain b-tree indexes
-- serve them (an index on the expression would not match the inlined function).
ALTER TABLE leads
  ADD COLUMN cidade_key text GENERATED ALWAYS AS (fold_accents(cidade)) STORED,
  ADD COLUMN razao_social_key text GENERATED ALWAYS AS (fold_accents(razao_social)) STORED;
CREATE INDEX idx_leads_city_key ON leads(org_id, cidade_key) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_razao_key ON leads(org_id, razao_social_key, id) WHERE deleted_at IS NULL;
-- Status and enrichment status are filtered together (the list's two status menus).
CREATE INDEX idx_leads_status_enrichment ON leads(org_id, status, enrichment_status) WHERE deleted_at IS NULL;
DROP INDEX idx_leads_status;
