-- Idempotency-Key support (SPEC §3): the first answer to a creating POST is kept for
-- 24 hours and replayed to retries with the same key from the same member.
CREATE TABLE idempotency_keys (
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key text NOT NULL,
  request_hash bytea NOT NULL,
  -- NULL while the first request is still being handled.
  status_code smallint,
  content_type text,
  response_body bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id, key),
  CONSTRAINT chk_idempotency_key_length CHECK (char_length(key) BETWEEN 1 AND 255),
  CONSTRAINT chk_idempotency_status CHECK (status_code IS NULL OR status_code BETWEEN 100 AND 599)
);
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys(created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO flux_app;
