-- Leads, CSV imports, enrichment and the durable job queue (issue #3).
-- Same tenancy rules as the foundation: org_id on every tenant row, RLS (ENABLE +
-- FORCE) on app_current_org(), privileges granted to flux_app only where needed.

CREATE TYPE lead_status AS ENUM ('new', 'contacted', 'qualified', 'unqualified');
CREATE TYPE enrichment_status AS ENUM ('pending', 'enriching', 'enriched', 'enrichment_failed', 'not_found');
CREATE TYPE import_status AS ENUM ('queued', 'processing', 'completed', 'failed');
CREATE TYPE enrichment_outcome AS ENUM ('success', 'not_found', 'rate_limited', 'failed');
CREATE TYPE job_status AS ENUM ('queued', 'running', 'succeeded', 'dead', 'cancelled');

-- Lower case without Portuguese diacritics, so search is accent-insensitive without
-- depending on the unaccent extension (absent from some managed PostgreSQL servers).
CREATE FUNCTION fold_accents(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT translate(lower($1), 'áàâãäåéèêëíìîïóòôõöúùûüçñ', 'aaaaaaeeeeiiiiooooouuuucn')
$$;

CREATE TABLE lead_imports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  file_name text NOT NULL,
  file_size_bytes integer NOT NULL,
  encoding text NOT NULL,
  delimiter text NOT NULL,
  -- Which CSV column feeds which lead field: {"cnpj": "CNPJ", "email": "E-mail", ...}.
  column_mapping jsonb NOT NULL,
  total_rows integer NOT NULL DEFAULT 0,
  processed_rows integer NOT NULL DEFAULT 0,
  success_count integer NOT NULL DEFAULT 0,
  error_count integer NOT NULL DEFAULT 0,
  status import_status NOT NULL DEFAULT 'queued',
  failure_reason text,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  CONSTRAINT chk_imports_rows_positive CHECK (total_rows >= 0),
  CONSTRAINT chk_imports_processed CHECK (processed_rows >= 0 AND processed_rows <= total_rows),
  CONSTRAINT chk_imports_counts CHECK (success_count >= 0 AND error_count >= 0
    AND success_count + error_count <= processed_rows)
);
CREATE INDEX idx_lead_imports_org ON lead_imports(org_id, created_at DESC);

-- The uploaded bytes, kept only until the import job has processed them.
CREATE TABLE lead_import_files (
  import_id uuid PRIMARY KEY REFERENCES lead_imports(id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  content bytea NOT NULL
);

CREATE TABLE leads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  -- Numeric or alphanumeric (July 2026) CNPJ, normalized; check digits verified by the app.
  cnpj text NOT NULL CONSTRAINT chk_leads_cnpj_format CHECK (cnpj ~ '^[0-9A-Z]{12}[0-9]{2}$'),
  status lead_status NOT NULL DEFAULT 'new',
  enrichment_status enrichment_status NOT NULL DEFAULT 'pending',
  razao_social text,
  nome_fantasia text,
  endereco jsonb,            -- {logradouro, numero, complemento, bairro, cidade, uf, cep}
  uf text,
  cidade text,
  porte text,
  cnae text,
  cnae_descricao text,
  situacao_cadastral text,
  natureza_juridica text,
  capital_social_cents bigint,
  data_abertura date,
  socios jsonb NOT NULL DEFAULT '[]',   -- [{nome, qualificacao, cpf_cnpj_masked, data_entrada}]
  email text,
  telefone text,
  contact_name text,
  do_not_contact boolean NOT NULL DEFAULT false,
  owner_id uuid REFERENCES users(id) ON DELETE SET NULL,
  enriched_at timestamptz,
  enrichment_provider text,
  import_id uuid REFERENCES lead_imports(id) ON DELETE SET NULL,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  archived_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  search tsvector GENERATED ALWAYS AS (
    to_tsvector('portuguese'::regconfig,
      fold_accents(coalesce(razao_social, '') || ' ' || coalesce(nome_fantasia, '')))
  ) STORED,
  CONSTRAINT chk_leads_uf CHECK (uf IS NULL OR uf ~ '^[A-Z]{2}$')
);
-- One live lead per organization and CNPJ; a soft-deleted lead may be imported again.
CREATE UNIQUE INDEX uq_leads_org_cnpj ON leads(org_id, cnpj) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_cnpj_prefix ON leads(org_id, cnpj text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_created ON leads(org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_status ON leads(org_id, status) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_enrichment ON leads(org_id, enrichment_status) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_porte ON leads(org_id, porte) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_cnae ON leads(org_id, cnae) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_uf_city ON leads(org_id, uf, cidade) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_owner ON leads(org_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_import ON leads(import_id) WHERE import_id IS NOT NULL;
CREATE INDEX idx_leads_search ON leads USING gin(search) WHERE deleted_at IS NULL;
CREATE TRIGGER trg_leads_updated_at BEFORE UPDATE ON leads
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE TABLE lead_import_errors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  import_id uuid NOT NULL REFERENCES lead_imports(id) ON DELETE CASCADE,
  row_number integer NOT NULL,
  cnpj text,
  -- invalid_cnpj | duplicate_in_file | already_exists | plan_limit_reached | missing_cnpj
  code text NOT NULL,
  message text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT chk_import_errors_row CHECK (row_number > 0)
);
CREATE INDEX idx_lead_import_errors_import ON lead_import_errors(import_id, row_number);

CREATE TABLE enrichment_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  lead_id uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  provider text NOT NULL,
  outcome enrichment_outcome NOT NULL,
  http_status smallint,
  from_cache boolean NOT NULL DEFAULT false,
  error_message text,
  duration_ms integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT chk_enrichment_provider CHECK (provider IN ('cnpj_ws', 'brasilapi', 'lemit')),
  CONSTRAINT chk_enrichment_duration CHECK (duration_ms >= 0)
);
CREATE INDEX idx_enrichment_attempts_lead ON enrichment_attempts(lead_id, created_at DESC);

-- Public Receita data (CNPJ.ws, BrasilAPI) shared across organizations for a
-- configurable time. Premium provider data never goes here.
CREATE TABLE company_registry_cache (
  cnpj text PRIMARY KEY CONSTRAINT chk_cache_cnpj_format CHECK (cnpj ~ '^[0-9A-Z]{12}[0-9]{2}$'),
  provider text NOT NULL,
  data jsonb NOT NULL,
  fetched_at timestamptz NOT NULL DEFAULT now()
);

-- Durable job queue. Claimed with SKIP LOCKED by the system connection; a job's
-- handler runs in a tenant transaction of the job's organization.
CREATE TABLE jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  unique_key text,
  status job_status NOT NULL DEFAULT 'queued',
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 5,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_by text,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  CONSTRAINT chk_jobs_attempts CHECK (attempts >= 0 AND max_attempts >= 1)
);
-- At most one live job per key: enqueueing the same work twice is a no-op.
CREATE UNIQUE INDEX uq_jobs_live_key ON jobs(org_id, kind, unique_key)
  WHERE unique_key IS NOT NULL AND status IN ('queued', 'running');
CREATE INDEX idx_jobs_due ON jobs(run_at) WHERE status = 'queued';
CREATE INDEX idx_jobs_lease ON jobs(locked_until) WHERE status = 'running';
CREATE INDEX idx_jobs_org ON jobs(org_id, created_at DESC);

ALTER TABLE lead_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lead_imports
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE lead_import_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_import_files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lead_import_files
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE leads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON leads
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE lead_import_errors ENABLE ROW LEVEL SECURITY;
ALTER TABLE lead_import_errors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lead_import_errors
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE enrichment_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrichment_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON enrichment_attempts
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

GRANT SELECT, INSERT, UPDATE ON lead_imports, leads TO flux_app;
GRANT SELECT, INSERT, DELETE ON lead_import_files TO flux_app;
GRANT SELECT, INSERT ON lead_import_errors, enrichment_attempts TO flux_app;
GRANT SELECT, INSERT, UPDATE ON jobs TO flux_app;
-- Public registry data is shared on purpose; no RLS.
GRANT SELECT, INSERT, UPDATE ON company_registry_cache TO flux_app;

-- Events pushed to the SPA (Server-Sent Events). Each insert is also announced with
-- pg_notify on channel flux_events so every server process can fan it out; the table
-- lets a reconnecting client replay what it missed (Last-Event-ID).
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_events_org ON events(org_id, id);
CREATE INDEX idx_events_created ON events(created_at);
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
GRANT SELECT, INSERT ON events TO flux_app;
