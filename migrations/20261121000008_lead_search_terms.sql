-- Lead list conditions PostgreSQL can serve from indexes under row-level security.
--
-- Under RLS a query condition may run before the tenant policy (as an index
-- condition) only when every operator in it is LEAKPROOF. Enum comparisons, `@@`
-- (full text) and LIKE are not, so the planner evaluated status filters and searches
-- row by row over the whole organization (100k rows read for one search). Text, uuid,
-- boolean and timestamp comparisons are leakproof: statuses become text with CHECKs,
-- and search reads an inverted index of the `search` lexemes by byte-wise ranges.

ALTER TABLE leads ALTER COLUMN status DROP DEFAULT, ALTER COLUMN enrichment_status DROP DEFAULT;
ALTER TABLE leads
  ALTER COLUMN status TYPE text USING status::text,
  ALTER COLUMN enrichment_status TYPE text USING enrichment_status::text;
ALTER TABLE leads
  ALTER COLUMN status SET DEFAULT 'new',
  ALTER COLUMN enrichment_status SET DEFAULT 'pending',
  ADD CONSTRAINT chk_leads_status
    CHECK (status IN ('new', 'contacted', 'qualified', 'unqualified')),
  ADD CONSTRAINT chk_leads_enrichment_status
    CHECK (enrichment_status IN ('pending', 'enriching', 'enriched', 'enrichment_failed', 'not_found'));
DROP TYPE lead_status;
DROP TYPE enrichment_status;

-- Counts of the default view (live, not archived) read small partial indexes alone,
-- with no per-entry archived check (half the time of an INCLUDE (archived_at) index).
-- Archived leads, usually few, get their own index for the archived view.
DROP INDEX idx_leads_status_enrichment;
CREATE INDEX idx_leads_status_enrichment ON leads(org_id, status, enrichment_status)
  WHERE deleted_at IS NULL AND archived_at IS NULL;
DROP INDEX idx_leads_enrichment;
CREATE INDEX idx_leads_enrichment ON leads(org_id, enrichment_status)
  WHERE deleted_at IS NULL AND archived_at IS NULL;
DROP INDEX idx_leads_cnae;
CREATE INDEX idx_leads_cnae ON leads(org_id, cnae text_pattern_ops)
  WHERE deleted_at IS NULL AND archived_at IS NULL;
DROP INDEX idx_leads_porte_uf;
CREATE INDEX idx_leads_porte_uf ON leads(org_id, porte, uf)
  WHERE deleted_at IS NULL AND archived_at IS NULL;
-- A city's newest leads and a state's leads by name are read in order, not sorted
-- out of every row of the organization.
DROP INDEX idx_leads_city_key;
CREATE INDEX idx_leads_city_key ON leads(org_id, cidade_key, created_at DESC, id DESC)
  WHERE deleted_at IS NULL AND archived_at IS NULL;
DROP INDEX idx_leads_uf_city;
CREATE INDEX idx_leads_uf_razao ON leads(org_id, uf, razao_social_key, id)
  WHERE deleted_at IS NULL AND archived_at IS NULL;
CREATE INDEX idx_leads_archived ON leads(org_id, archived_at DESC)
  WHERE deleted_at IS NULL AND archived_at IS NOT NULL;

-- One row per lexeme of a live lead's `search` vector. `term` is byte-ordered so a
-- typed prefix is the range [prefix, next prefix). `archived`, `created_at` and
-- `weight` (occurrences) let a search count, rank and page from the index alone.
-- Maintained by the triggers below; leads are never hard-deleted by the app, and an
-- organization's removal cascades here through org_id.
CREATE TABLE lead_search_terms (
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  lead_id uuid NOT NULL,
  term text COLLATE "C" NOT NULL,
  archived boolean NOT NULL,
  created_at timestamptz NOT NULL,
  weight smallint NOT NULL
);
CREATE INDEX idx_lead_search_terms ON lead_search_terms(org_id, archived, term, lead_id)
  INCLUDE (created_at, weight);
ALTER TABLE lead_search_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_search_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lead_search_terms
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON lead_search_terms TO flux_app;

-- Inserts are indexed once per statement (an import inserts thousands of rows).
CREATE FUNCTION lead_search_terms_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lead_search_terms (org_id, lead_id, term, archived, created_at, weight)
  SELECT n.org_id, n.id, t.lexeme, n.archived_at IS NOT NULL, n.created_at,
         coalesce(array_length(t.positions, 1), 1)
  FROM inserted n, unnest(n.search) AS t
  WHERE n.deleted_at IS NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER trg_leads_search_terms_insert AFTER INSERT ON leads
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION lead_search_terms_insert();

-- The old row's terms are found through the main index (org, archived, lexemes, id).
CREATE FUNCTION lead_search_terms_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.search IS NOT DISTINCT FROM NEW.search
     AND (OLD.deleted_at IS NULL) = (NEW.deleted_at IS NULL)
     AND OLD.org_id = NEW.org_id AND OLD.created_at = NEW.created_at THEN
    UPDATE lead_search_terms SET archived = NEW.archived_at IS NOT NULL
    WHERE org_id = OLD.org_id AND archived = (OLD.archived_at IS NOT NULL)
      AND term = ANY(tsvector_to_array(OLD.search)) AND lead_id = OLD.id;
    RETURN NULL;
  END IF;
  DELETE FROM lead_search_terms
  WHERE org_id = OLD.org_id AND archived = (OLD.archived_at IS NOT NULL)
    AND term = ANY(tsvector_to_array(OLD.search)) AND lead_id = OLD.id;
  IF NEW.deleted_at IS NULL THEN
    INSERT INTO lead_search_terms (org_id, lead_id, term, archived, created_at, weight)
    SELECT NEW.org_id, NEW.id, t.lexeme, NEW.archived_at IS NOT NULL, NEW.created_at,
           coalesce(array_length(t.positions, 1), 1)
    FROM unnest(NEW.search) AS t;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER trg_leads_search_terms_update AFTER UPDATE ON leads
  FOR EACH ROW
  WHEN (OLD.search IS DISTINCT FROM NEW.search
        OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)
        OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
        OR OLD.org_id <> NEW.org_id OR OLD.created_at <> NEW.created_at)
  EXECUTE FUNCTION lead_search_terms_update();

CREATE FUNCTION lead_search_terms_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM lead_search_terms t USING deleted d
  WHERE t.org_id = d.org_id AND t.archived = (d.archived_at IS NOT NULL)
    AND t.term = ANY(tsvector_to_array(d.search)) AND t.lead_id = d.id;
  RETURN NULL;
END $$;
CREATE TRIGGER trg_leads_search_terms_delete AFTER DELETE ON leads
  REFERENCING OLD TABLE AS deleted
  FOR EACH STATEMENT EXECUTE FUNCTION lead_search_terms_delete();

CREATE FUNCTION lead_search_terms_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE lead_search_terms;
  RETURN NULL;
END $$;
CREATE TRIGGER trg_leads_search_terms_truncate AFTER TRUNCATE ON leads
  FOR EACH STATEMENT EXECUTE FUNCTION lead_search_terms_truncate();

INSERT INTO lead_search_terms (org_id, lead_id, term, archived, created_at, weight)
SELECT l.org_id, l.id, t.lexeme, l.archived_at IS NOT NULL, l.created_at,
       coalesce(array_length(t.positions, 1), 1)
FROM leads l, unnest(l.search) AS t
WHERE l.deleted_at IS NULL;

-- Searches no longer read the GIN index (it cannot be combined with RLS).
DROP INDEX idx_leads_search;
