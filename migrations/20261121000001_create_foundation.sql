-- Foundation schema: accounts, organizations, members, plans, subscriptions,
-- invitations, auth tokens, audit log and the e-mail outbox.
-- Tenant tables carry org_id and are protected by RLS (ENABLE + FORCE) on
-- current_setting('app.org_id'). The application runs tenant work as the
-- non-owner role flux_app (SET LOCAL ROLE), to which RLS always applies.

-- Cluster-wide role; tolerate concurrent creation by parallel test databases.
DO $$
BEGIN
  CREATE ROLE flux_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
-- The connecting (migrating) user must be able to SET ROLE flux_app.
DO $$
BEGIN
  EXECUTE format('GRANT flux_app TO %I', current_user);
EXCEPTION
  WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO flux_app;

-- The tenant of the current transaction; NULL outside a tenant transaction, which
-- makes every policy below deny.
CREATE FUNCTION app_current_org() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.org_id', true), '')::uuid
$$;

CREATE FUNCTION update_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$;

CREATE TYPE member_role AS ENUM ('manager', 'sdr');
CREATE TYPE member_status AS ENUM ('invited', 'active', 'suspended', 'removed');
CREATE TYPE subscription_status AS ENUM ('active', 'past_due', 'canceled', 'trialing');
CREATE TYPE invitation_status AS ENUM ('pending', 'accepted', 'revoked', 'expired');
CREATE TYPE outbox_status AS ENUM ('pending', 'sent', 'failed');

-- Users are global (one login across organizations); not a tenant table.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  email text NOT NULL,
  password_hash text NOT NULL,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT chk_users_email_lowercase CHECK (email = lower(email)),
  CONSTRAINT chk_users_name_length CHECK (char_length(name) BETWEEN 1 AND 120)
);
CREATE TRIGGER trg_users_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL,
  owner_id uuid NOT NULL REFERENCES users(id),
  timezone text NOT NULL DEFAULT 'America/Sao_Paulo',
  dpo_email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organizations_slug_key UNIQUE (slug),
  CONSTRAINT chk_organizations_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);
CREATE TRIGGER trg_organizations_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE TABLE organization_members (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role member_role NOT NULL DEFAULT 'sdr',
  status member_status NOT NULL DEFAULT 'invited',
  invited_at timestamptz NOT NULL DEFAULT now(),
  accepted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organization_members_org_user_key UNIQUE (org_id, user_id)
);
CREATE INDEX idx_members_user ON organization_members(user_id) WHERE status = 'active';
CREATE INDEX idx_members_org ON organization_members(org_id);
CREATE TRIGGER trg_members_updated_at BEFORE UPDATE ON organization_members
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- Plans are global catalogue data (seed 000 §9).
CREATE TABLE plans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL,
  price_cents integer NOT NULL,
  max_leads integer NOT NULL,
  max_ai_per_day integer NOT NULL,          -- -1 = unlimited
  max_whatsapp_per_month integer NOT NULL,
  included_users integer NOT NULL DEFAULT 4,
  additional_user_price_cents integer NOT NULL,
  features jsonb NOT NULL DEFAULT '{}',
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT plans_slug_key UNIQUE (slug),
  CONSTRAINT chk_plans_price_positive CHECK (price_cents >= 0),
  CONSTRAINT chk_plans_max_leads CHECK (max_leads > 0),
  CONSTRAINT chk_plans_max_ai CHECK (max_ai_per_day >= -1),
  CONSTRAINT chk_plans_max_whatsapp CHECK (max_whatsapp_per_month >= 0),
  CONSTRAINT chk_plans_included_users CHECK (included_users > 0),
  CONSTRAINT chk_plans_additional_user_price CHECK (additional_user_price_cents >= 0)
);
CREATE TRIGGER trg_plans_updated_at BEFORE UPDATE ON plans
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

INSERT INTO plans (name, slug, price_cents, max_leads, max_ai_per_day, max_whatsapp_per_month, included_users, additional_user_price_cents, features) VALUES
  ('Starter', 'starter', 14900, 1000, 50, 500, 4, 4900, '{"enrichment": "basic", "crm": false, "calendar": false}'::jsonb),
  ('Pro', 'pro', 34900, 5000, 200, 2500, 4, 8900, '{"enrichment": "lemit", "crm": true, "calendar": true}'::jsonb),
  ('Enterprise', 'enterprise', 69900, 10000, -1, 10000, 4, 12900, '{"enrichment": "full", "crm": true, "calendar": true}'::jsonb)
ON CONFLICT (slug) DO NOTHING;

CREATE TABLE subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  plan_id uuid NOT NULL REFERENCES plans(id),
  status subscription_status NOT NULL DEFAULT 'trialing',
  current_period_start timestamptz NOT NULL DEFAULT now(),
  current_period_end timestamptz NOT NULL DEFAULT now() + interval '30 days',
  stripe_subscription_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscriptions_org_key UNIQUE (org_id),
  CONSTRAINT chk_subscriptions_period CHECK (current_period_end > current_period_start)
);
CREATE TRIGGER trg_subscriptions_updated_at BEFORE UPDATE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email text NOT NULL,
  role member_role NOT NULL DEFAULT 'sdr',
  token_hash bytea NOT NULL,
  status invitation_status NOT NULL DEFAULT 'pending',
  invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
  CONSTRAINT chk_invitations_email_lowercase CHECK (email = lower(email))
);
CREATE UNIQUE INDEX invitations_pending_email_key ON invitations(org_id, email)
  WHERE status = 'pending';
CREATE INDEX idx_invitations_org ON invitations(org_id, created_at DESC);
CREATE TRIGGER trg_invitations_updated_at BEFORE UPDATE ON invitations
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- Auth tokens belong to users, not tenants: only hashes are stored.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  family_id uuid NOT NULL,
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  rotated_at timestamptz,
  revoked_at timestamptz,
  user_agent text,
  ip_address inet,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens(user_id) WHERE revoked_at IS NULL;

CREATE TABLE password_reset_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  requested_ip inet,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT password_reset_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX idx_password_reset_user ON password_reset_tokens(user_id);

-- Audit log of sensitive actions (who, what, when, IP, before/after). org_id is
-- NULL for events that precede a tenant (e.g. a failed login).
CREATE TABLE audit_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid REFERENCES organizations(id) ON DELETE SET NULL,
  user_id uuid REFERENCES users(id) ON DELETE SET NULL,
  action varchar(100) NOT NULL,
  resource_type varchar(100) NOT NULL,
  resource_id uuid,
  ip_address inet,
  user_agent text,
  request_id text,
  changes jsonb NOT NULL DEFAULT '{}',
  success boolean NOT NULL DEFAULT true,
  failure_reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_audit_logs_org ON audit_logs(org_id, created_at DESC);
CREATE INDEX idx_audit_logs_user ON audit_logs(user_id, created_at DESC);

-- Transactional outbox: a row is written in the same transaction as the change
-- that causes the e-mail; a dispatcher delivers it and retries with backoff.
CREATE TABLE email_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  kind text NOT NULL,
  to_email text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  status outbox_status NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT chk_outbox_attempts CHECK (attempts >= 0)
);
CREATE INDEX idx_email_outbox_due ON email_outbox(next_attempt_at) WHERE status = 'pending';

-- Row-level security on every tenant table.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
  USING (id = app_current_org()) WITH CHECK (id = app_current_org());

ALTER TABLE organization_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE organization_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organization_members
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON subscriptions
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_logs
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE email_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON email_outbox
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

-- Privileges of the tenant role. Global tables are readable where tenant queries
-- join them; auth-token tables are reachable only by the owner (system) connection.
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, organization_members, subscriptions,
  invitations TO flux_app;
GRANT SELECT, INSERT ON audit_logs, email_outbox TO flux_app;
GRANT SELECT ON plans TO flux_app;
GRANT SELECT (id, name, email, created_at, last_login_at) ON users TO flux_app;
