-- Templates, cadences, enrollments, the send outbox, interactions and mailboxes
-- (issue #4). Same tenancy rules as before: org_id on every tenant row, RLS (ENABLE +
-- FORCE) on app_current_org(), privileges granted to flux_app only where needed.
-- References to tenant rows (between the new tables, and to leads) carry org_id
-- (composite keys), so a row can never point at another organization's row even
-- though FK checks ignore RLS.

CREATE TYPE channel_type AS ENUM ('email', 'whatsapp');

-- Lets the new tables reference leads by (org_id, id).
ALTER TABLE leads ADD CONSTRAINT uq_leads_org_id UNIQUE (org_id, id);
CREATE TYPE cadence_status AS ENUM ('draft', 'active', 'paused', 'archived');
CREATE TYPE enrollment_status AS ENUM
  ('active', 'paused', 'completed', 'replied', 'bounced', 'unsubscribed', 'stopped');
CREATE TYPE interaction_type AS ENUM
  ('sent', 'delivered', 'opened', 'clicked', 'replied', 'bounced', 'failed',
   'unsubscribed', 'meeting_scheduled');
-- prepared: committed before the provider call; dispatching: the call may have
-- happened; needs_review: a crash left it unknown and the provider cannot tell.
CREATE TYPE send_state AS ENUM
  ('prepared', 'dispatching', 'sent', 'failed', 'needs_review', 'cancelled');
CREATE TYPE mail_security AS ENUM ('none', 'starttls', 'tls');

-- Send window and tracking, per organization (time zone is already there).
ALTER TABLE organizations
  ADD COLUMN send_days smallint[] NOT NULL DEFAULT '{1,2,3,4,5}',  -- ISO: 1 = Monday
  ADD COLUMN send_start time NOT NULL DEFAULT '08:00',
  ADD COLUMN send_end time NOT NULL DEFAULT '18:00',
  ADD COLUMN send_on_optional_holidays boolean NOT NULL DEFAULT false,
  ADD COLUMN track_opens boolean NOT NULL DEFAULT false,
  ADD COLUMN track_clicks boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT chk_organizations_send_days CHECK (
    cardinality(send_days) BETWEEN 1 AND 7 AND send_days <@ '{1,2,3,4,5,6,7}'::smallint[]),
  ADD CONSTRAINT chk_organizations_send_hours CHECK (send_start < send_end);

CREATE TABLE message_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL,
  channel channel_type NOT NULL,
  subject text,
  body text NOT NULL,
  variables_used text[] NOT NULL DEFAULT '{}',
  -- Seeded for every organization; editable copies are made with "duplicate".
  is_system boolean NOT NULL DEFAULT false,
  -- Which seeded template this is, so seeding is idempotent.
  system_key text,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_templates_org_id UNIQUE (org_id, id),
  CONSTRAINT chk_templates_name CHECK (char_length(name) BETWEEN 1 AND 120),
  CONSTRAINT chk_templates_subject CHECK ((channel = 'email') = (subject IS NOT NULL)),
  CONSTRAINT chk_templates_system CHECK (is_system = (system_key IS NOT NULL))
);
CREATE INDEX idx_templates_org ON message_templates(org_id, channel, name) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX uq_templates_system_key ON message_templates(org_id, system_key)
  WHERE system_key IS NOT NULL;
CREATE TRIGGER trg_templates_updated_at BEFORE UPDATE ON message_templates
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE TABLE cadences (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  status cadence_status NOT NULL DEFAULT 'draft',
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  activated_at timestamptz,
  archived_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_cadences_org_id UNIQUE (org_id, id),
  CONSTRAINT chk_cadences_name CHECK (char_length(name) BETWEEN 3 AND 100),
  CONSTRAINT chk_cadences_description CHECK (char_length(description) <= 500)
);
CREATE INDEX idx_cadences_org ON cadences(org_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE TRIGGER trg_cadences_updated_at BEFORE UPDATE ON cadences
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- A removed step keeps its row (sends and interactions point at it) with no position.
CREATE TABLE cadence_steps (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  cadence_id uuid NOT NULL,
  position integer,
  channel channel_type NOT NULL,
  template_id uuid NOT NULL,
  delay_days integer NOT NULL DEFAULT 0,
  delay_hours integer NOT NULL DEFAULT 0,
  ai_personalization boolean NOT NULL DEFAULT false,
  removed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_steps_org_id UNIQUE (org_id, id),
  CONSTRAINT fk_steps_cadence FOREIGN KEY (org_id, cadence_id)
    REFERENCES cadences(org_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_steps_template FOREIGN KEY (org_id, template_id)
    REFERENCES message_templates(org_id, id),
  -- Deferred, so a reorder can swap positions inside one transaction.
  CONSTRAINT uq_steps_position UNIQUE (cadence_id, position) DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT chk_steps_position CHECK (position > 0),
  CONSTRAINT chk_steps_removed CHECK ((position IS NULL) = (removed_at IS NOT NULL)),
  CONSTRAINT chk_steps_delay CHECK (delay_days BETWEEN 0 AND 30 AND delay_hours BETWEEN 0 AND 23)
);
CREATE INDEX idx_steps_cadence ON cadence_steps(cadence_id, position) WHERE removed_at IS NULL;
CREATE INDEX idx_steps_template ON cadence_steps(template_id);
CREATE TRIGGER trg_steps_updated_at BEFORE UPDATE ON cadence_steps
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE TABLE cadence_enrollments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  cadence_id uuid NOT NULL,
  lead_id uuid NOT NULL,
  -- Whose mailbox (and name, in {{sdr_nome}}) the messages go out with.
  sender_id uuid NOT NULL REFERENCES users(id),
  status enrollment_status NOT NULL DEFAULT 'active',
  -- Why a paused enrollment is paused: manual | step_failed | review_required.
  pause_reason text,
  -- The human-readable cause of a step_failed / review_required pause or a stop.
  status_detail text,
  -- The step that goes out next (NULL once none is left).
  next_step_id uuid,
  -- The step sent last: the next one is the first unsent step after it.
  last_step_id uuid,
  next_step_due timestamptz,
  -- Mirrors "the cadence is not active": held enrollments wait without losing their
  -- own status, and the engine's claim index leaves them out.
  cadence_held boolean NOT NULL DEFAULT false,
  steps_sent integer NOT NULL DEFAULT 0,
  -- When the last step went out (or the enrollment started): delays count from here.
  last_step_at timestamptz NOT NULL DEFAULT now(),
  enrolled_by uuid REFERENCES users(id) ON DELETE SET NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_enrollments_org_id UNIQUE (org_id, id),
  CONSTRAINT fk_enrollments_cadence FOREIGN KEY (org_id, cadence_id)
    REFERENCES cadences(org_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_enrollments_lead FOREIGN KEY (org_id, lead_id)
    REFERENCES leads(org_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_enrollments_step FOREIGN KEY (org_id, next_step_id)
    REFERENCES cadence_steps(org_id, id),
  CONSTRAINT fk_enrollments_last_step FOREIGN KEY (org_id, last_step_id)
    REFERENCES cadence_steps(org_id, id),
  CONSTRAINT chk_enrollments_pause CHECK ((status = 'paused') = (pause_reason IS NOT NULL)),
  CONSTRAINT chk_enrollments_pause_reason CHECK
    (pause_reason IN ('manual', 'step_failed', 'review_required')),
  CONSTRAINT chk_enrollments_steps_sent CHECK (steps_sent >= 0)
);
-- At most one running (active or paused) enrollment per lead and cadence.
CREATE UNIQUE INDEX uq_enrollments_running ON cadence_enrollments(cadence_id, lead_id)
  WHERE status IN ('active', 'paused');
-- The engine's claim: due, active, not held.
CREATE INDEX idx_enrollments_due ON cadence_enrollments(next_step_due)
  WHERE status = 'active' AND NOT cadence_held;
CREATE INDEX idx_enrollments_cadence ON cadence_enrollments(org_id, cadence_id, status);
CREATE INDEX idx_enrollments_lead ON cadence_enrollments(org_id, lead_id);
CREATE INDEX idx_enrollments_next_step ON cadence_enrollments(next_step_id)
  WHERE next_step_id IS NOT NULL;
CREATE TRIGGER trg_enrollments_updated_at BEFORE UPDATE ON cadence_enrollments
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- A sender's SMTP/IMAP mailbox. Passwords are AES-256-GCM ciphertexts (nonce ‖
-- ciphertext ‖ tag) under the key in FLUX_SECRETS_KEY.
CREATE TABLE mailboxes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  from_name text NOT NULL,
  from_email text NOT NULL,
  smtp_host text NOT NULL,
  smtp_port integer NOT NULL,
  smtp_security mail_security NOT NULL DEFAULT 'starttls',
  smtp_username text NOT NULL,
  smtp_password_enc bytea NOT NULL,
  imap_enabled boolean NOT NULL DEFAULT false,
  imap_host text,
  imap_port integer,
  imap_security mail_security,
  imap_username text,
  imap_password_enc bytea,
  imap_folder text NOT NULL DEFAULT 'INBOX',
  imap_uidvalidity bigint,
  imap_last_uid bigint,
  last_poll_at timestamptz,
  last_poll_ok_at timestamptz,
  last_poll_error text,
  -- Caps: at most daily_limit messages per day (the org's calendar day) and one
  -- every min_interval_seconds.
  daily_limit integer NOT NULL DEFAULT 200,
  min_interval_seconds integer NOT NULL DEFAULT 60,
  sent_day date,
  sent_today integer NOT NULL DEFAULT 0,
  next_slot_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_mailboxes_user UNIQUE (org_id, user_id),
  CONSTRAINT chk_mailboxes_ports CHECK (smtp_port BETWEEN 1 AND 65535
    AND (imap_port IS NULL OR imap_port BETWEEN 1 AND 65535)),
  CONSTRAINT chk_mailboxes_imap CHECK (NOT imap_enabled OR (imap_host IS NOT NULL
    AND imap_port IS NOT NULL AND imap_security IS NOT NULL AND imap_username IS NOT NULL
    AND imap_password_enc IS NOT NULL)),
  CONSTRAINT chk_mailboxes_caps CHECK (daily_limit BETWEEN 1 AND 100000
    AND min_interval_seconds BETWEEN 0 AND 86400 AND sent_today >= 0)
);
CREATE TRIGGER trg_mailboxes_updated_at BEFORE UPDATE ON mailboxes
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- The outbox: one row per enrollment and step, ever. The unique key is what makes a
-- step go out at most once; the state machine is what makes it go out at least once.
CREATE TABLE step_sends (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL,
  enrollment_id uuid NOT NULL,
  step_id uuid NOT NULL,
  cadence_id uuid NOT NULL,
  lead_id uuid NOT NULL,
  sender_id uuid NOT NULL REFERENCES users(id),
  channel channel_type NOT NULL,
  state send_state NOT NULL DEFAULT 'prepared',
  -- Our own RFC 5322 Message-ID (without angle brackets): replies and the
  -- crash-recovery lookup find the message by it.
  message_id text NOT NULL,
  to_address text NOT NULL,
  subject text,
  body text NOT NULL,
  template_id uuid,
  ai_generated boolean NOT NULL DEFAULT false,
  provider_id text,
  last_error text,
  dispatch_attempts integer NOT NULL DEFAULT 0,
  -- While dispatching: until when the dispatching engine owns it.
  dispatch_lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  dispatched_at timestamptz,
  sent_at timestamptz,
  resolved_by uuid REFERENCES users(id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uq_sends_org_id UNIQUE (org_id, id),
  CONSTRAINT uq_sends_enrollment_step UNIQUE (enrollment_id, step_id),
  CONSTRAINT uq_sends_message_id UNIQUE (message_id),
  CONSTRAINT fk_sends_enrollment FOREIGN KEY (org_id, enrollment_id)
    REFERENCES cadence_enrollments(org_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_sends_step FOREIGN KEY (org_id, step_id) REFERENCES cadence_steps(org_id, id),
  CONSTRAINT fk_sends_lead FOREIGN KEY (org_id, lead_id) REFERENCES leads(org_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_sends_cadence FOREIGN KEY (org_id, cadence_id)
    REFERENCES cadences(org_id, id) ON DELETE CASCADE
);
CREATE INDEX idx_sends_review ON step_sends(org_id, created_at) WHERE state = 'needs_review';
CREATE INDEX idx_sends_lead ON step_sends(org_id, lead_id);
CREATE TRIGGER trg_sends_updated_at BEFORE UPDATE ON step_sends
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- The step an enrollment gets next: the first live step, in the cadence's current
-- order, after the step it was sent last, that it has not been sent. Steps inserted
-- before where a lead is are skipped for it; a step moved later is never sent twice.
-- When the last step was removed, "after" means after every live step already sent.
-- NULL when nothing is left.
CREATE FUNCTION enrollment_next_step(enrollment uuid) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT s.id
  FROM cadence_enrollments e
  JOIN cadence_steps s ON s.cadence_id = e.cadence_id AND s.removed_at IS NULL
  WHERE e.id = enrollment
    AND s.position > coalesce(
          (SELECT l.position FROM cadence_steps l WHERE l.id = e.last_step_id AND l.removed_at IS NULL),
          (SELECT max(p.position) FROM step_sends ss JOIN cadence_steps p ON p.id = ss.step_id
           WHERE ss.enrollment_id = e.id AND p.removed_at IS NULL),
          0)
    AND NOT EXISTS (SELECT 1 FROM step_sends ss WHERE ss.enrollment_id = e.id AND ss.step_id = s.id)
  ORDER BY s.position
  LIMIT 1
$$;

-- Append-only event log of a lead (the timeline, the funnel, template stats).
CREATE TABLE interactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  lead_id uuid NOT NULL,
  enrollment_id uuid,
  cadence_id uuid,
  step_id uuid,
  send_id uuid,
  template_id uuid,
  channel channel_type,
  type interaction_type NOT NULL,
  -- Subject or first line, for the timeline.
  summary text,
  external_id text,
  metadata jsonb NOT NULL DEFAULT '{}',
  ai_generated boolean NOT NULL DEFAULT false,
  -- Events that may arrive more than once (an open, a reply fetched twice) record
  -- once: (org, dedup_key) is unique.
  dedup_key text,
  actor_id uuid REFERENCES users(id) ON DELETE SET NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT fk_interactions_lead FOREIGN KEY (org_id, lead_id)
    REFERENCES leads(org_id, id) ON DELETE CASCADE
);
CREATE INDEX idx_interactions_lead ON interactions(org_id, lead_id, occurred_at DESC);
CREATE INDEX idx_interactions_cadence ON interactions(org_id, cadence_id, step_id, type)
  WHERE cadence_id IS NOT NULL;
CREATE INDEX idx_interactions_template ON interactions(org_id, template_id, type)
  WHERE template_id IS NOT NULL;
CREATE UNIQUE INDEX uq_interactions_dedup ON interactions(org_id, dedup_key)
  WHERE dedup_key IS NOT NULL;

ALTER TABLE message_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_templates
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE cadences ENABLE ROW LEVEL SECURITY;
ALTER TABLE cadences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cadences
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE cadence_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE cadence_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cadence_steps
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE cadence_enrollments ENABLE ROW LEVEL SECURITY;
ALTER TABLE cadence_enrollments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cadence_enrollments
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE mailboxes ENABLE ROW LEVEL SECURITY;
ALTER TABLE mailboxes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mailboxes
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE step_sends ENABLE ROW LEVEL SECURITY;
ALTER TABLE step_sends FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON step_sends
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

ALTER TABLE interactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE interactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON interactions
  USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());

GRANT SELECT, INSERT, UPDATE ON message_templates, cadences, cadence_steps,
  cadence_enrollments, step_sends TO flux_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mailboxes TO flux_app;
-- The timeline is append-only.
GRANT SELECT, INSERT ON interactions TO flux_app;

-- System templates (pt-BR), seeded for every organization: now for the existing
-- ones, and by trigger for each new one. SECURITY DEFINER because the organization
-- may be created outside a tenant transaction of itself. The tests check that every
-- text here passes the application's template validation and that variables_used
-- matches what it extracts.
CREATE FUNCTION seed_system_templates(org uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
  INSERT INTO message_templates (org_id, name, channel, subject, body, variables_used, is_system, system_key)
  VALUES
  (org, 'Primeiro contato (e-mail)', 'email',
   '{{nome_fantasia|razao_social}} + {{org_nome}}',
   $b${{saudacao}}, {{contato_primeiro_nome|primeiro_nome_socio|"pessoal"}}!

Sou {{sdr_primeiro_nome}}, da {{org_nome}}. Vi que a {{nome_fantasia|razao_social}} atua com {{atividade|"o seu segmento"}} em {{cidade|"sua região"}} e achei que faria sentido conversarmos.

Ajudamos empresas como a sua a encontrar e abordar novos clientes com mais previsibilidade. Você teria 15 minutos nesta semana para uma conversa rápida?

Abraço,
{{sdr_nome}}
{{org_nome}}$b$,
   '{razao_social,nome_fantasia,cidade,atividade,primeiro_nome_socio,contato_primeiro_nome,sdr_nome,sdr_primeiro_nome,org_nome,saudacao}',
   true, 'email_first_touch'),
  (org, 'Follow-up (e-mail)', 'email',
   'Re: {{nome_fantasia|razao_social}} + {{org_nome}}',
   $b$Oi, {{contato_primeiro_nome|primeiro_nome_socio|"pessoal"}}, tudo bem?

Escrevi há alguns dias e imagino que a agenda esteja corrida. Faz sentido uma conversa de 15 minutos sobre como a {{org_nome}} pode ajudar a {{nome_fantasia|razao_social}}?

Se não for o momento, é só me avisar.

{{sdr_nome}}$b$,
   '{razao_social,nome_fantasia,primeiro_nome_socio,contato_primeiro_nome,sdr_nome,org_nome}',
   true, 'email_follow_up'),
  (org, 'Último contato (e-mail)', 'email',
   'Posso encerrar por aqui?',
   $b$Oi, {{contato_primeiro_nome|primeiro_nome_socio|"pessoal"}}.

Como não tivemos retorno, vou entender que este não é o momento para a {{nome_fantasia|razao_social}}. Se algo mudar, é só responder este e-mail.

Obrigado pela atenção,
{{sdr_nome}}
{{org_nome}}$b$,
   '{razao_social,nome_fantasia,primeiro_nome_socio,contato_primeiro_nome,sdr_nome,org_nome}',
   true, 'email_break_up'),
  (org, 'Primeiro contato (WhatsApp)', 'whatsapp', NULL,
   $b${{saudacao}}! Aqui é {{sdr_primeiro_nome}}, da {{org_nome}}. Falo com alguém da {{nome_fantasia|razao_social}}? Ajudamos empresas de {{cidade|"todo o Brasil"}} a vender mais. Posso te mandar uma apresentação rápida?$b$,
   '{razao_social,nome_fantasia,cidade,sdr_primeiro_nome,org_nome,saudacao}',
   true, 'whatsapp_first_touch'),
  (org, 'Follow-up (WhatsApp)', 'whatsapp', NULL,
   $b$Oi, tudo bem? Sou {{sdr_primeiro_nome}}, da {{org_nome}}. Conseguiu ver minha mensagem sobre a {{nome_fantasia|razao_social}}? Se preferir, marcamos 15 minutos por aqui mesmo.$b$,
   '{razao_social,nome_fantasia,sdr_primeiro_nome,org_nome}',
   true, 'whatsapp_follow_up')
  ON CONFLICT (org_id, system_key) WHERE system_key IS NOT NULL DO NOTHING
$$;

CREATE FUNCTION seed_system_templates_for_new_org() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  PERFORM seed_system_templates(NEW.id);
  RETURN NEW;
END
$$;
CREATE TRIGGER trg_organizations_system_templates AFTER INSERT ON organizations
  FOR EACH ROW EXECUTE FUNCTION seed_system_templates_for_new_org();

SELECT seed_system_templates(id) FROM organizations;
-- Only the trigger (running as the owner) seeds; no tenant may seed another org.
REVOKE EXECUTE ON FUNCTION seed_system_templates(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION seed_system_templates_for_new_org() FROM PUBLIC;
