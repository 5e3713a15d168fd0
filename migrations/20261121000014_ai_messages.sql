-- AI messages (issue #5): the per-organization daily counter, the log of every
-- generation (who, which lead, model, tokens, latency, outcome — never the text), and
-- what a cadence does when an AI step cannot be written.

-- A day's successful generations, per organization. The day is the organization's
-- (its time zone); daily_limit is the plan's at the time (-1 = unlimited).
CREATE TABLE ai_usage (
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  usage_date date NOT NULL,
  generation_count integer NOT NULL DEFAULT 0,
  daily_limit integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, usage_date),
  CONSTRAINT chk_ai_usage_count CHECK (generation_count >= 0),
  CONSTRAINT chk_ai_usage_limit CHECK (daily_limit >= -1)
);

-- pending: a slot is held while the provider writes (it counts against the limit so
-- parallel requests cannot overshoot); the others are final.
CREATE TYPE ai_outcome AS ENUM ('pending', 'succeeded', 'failed', 'limit_exceeded');
-- on_demand: "Gerar com IA" and POST /ai/messages; cadence: a personalized step.
CREATE TYPE ai_source AS ENUM ('on_demand', 'cadence');

CREATE TABLE ai_generations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  -- References, not foreign keys: the log outlives the rows it mentions.
  user_id uuid,
  lead_id uuid,
  enrollment_id uuid,
  source ai_source NOT NULL,
  channel channel_type NOT NULL,
  tone text,
  provider text NOT NULL,
  model text NOT NULL,
  usage_date date NOT NULL,
  outcome ai_outcome NOT NULL DEFAULT 'pending',
  input_tokens integer,
  output_tokens integer,
  latency_ms integer,
  error_code text,
  error_message text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CONSTRAINT chk_ai_generations_final CHECK ((outcome = 'pending') = (finished_at IS NULL)),
  CONSTRAINT chk_ai_generations_tokens CHECK (input_tokens >= 0 AND output_tokens >= 0)
);
CREATE INDEX idx_ai_generations_org ON ai_generations(org_id, created_at DESC, id DESC);
CREATE INDEX idx_ai_generations_pending ON ai_generations(org_id, usage_date)
  WHERE outcome = 'pending';

CREATE TYPE ai_fallback AS ENUM ('pause', 'send_template');
ALTER TABLE organizations
  ADD COLUMN ai_fallback ai_fallback NOT NULL DEFAULT 'pause';

ALTER TABLE ai_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_usage
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE ai_generations ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_generations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_generations
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

GRANT SELECT, INSERT, UPDATE ON ai_usage, ai_generations TO flux_app;
