-- The engine's write path, lighter (docs/benchmarks.md, "Cadence engine").

-- The outbox row changes state twice after its insert (dispatching, sent). With no
-- index on the columns those updates touch and room left in each page, both are HOT
-- updates: no index entry is written for them. The review queue is found through
-- the enrollments paused for review, so no index on the state is needed.
DROP INDEX idx_sends_review;
ALTER TABLE step_sends SET (fillfactor = 70);
-- The once-per-step key leads with the tenant, as every tenant query's policy does:
-- one index answers "this enrollment's sends" exactly. Without org_id in it, the
-- planner ANDs it with an org_id index (every row of the tenant) whenever its
-- statistics lag behind a fast-growing outbox.
ALTER TABLE step_sends DROP CONSTRAINT uq_sends_enrollment_step;
ALTER TABLE step_sends ADD CONSTRAINT uq_sends_enrollment_step
  UNIQUE (org_id, enrollment_id, step_id);

-- The step after `last_step` for an enrollment (no row when none is left): the first
-- live step, in the cadence's current order, after `last_step` (or, when that step was
-- removed, after every live step already sent) that the enrollment has not been sent.
-- Recording a send asks it with the step just sent, so the enrollment's row is
-- written once per step. A set-returning SQL function, so the planner inlines it into
-- the calling query (LATERAL) instead of running it once per row.
CREATE FUNCTION enrollment_step_after(cadence uuid, enrollment uuid, last_step uuid)
RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
  SELECT s.id
  FROM cadence_steps s
  WHERE s.cadence_id = cadence AND s.removed_at IS NULL
    AND s.position > coalesce(
          (SELECT l.position FROM cadence_steps l WHERE l.id = last_step AND l.removed_at IS NULL),
          (SELECT max(p.position) FROM step_sends ss JOIN cadence_steps p ON p.id = ss.step_id
           WHERE ss.enrollment_id = enrollment AND p.removed_at IS NULL),
          0)
    AND NOT EXISTS (SELECT 1 FROM step_sends ss
                    WHERE ss.enrollment_id = enrollment AND ss.step_id = s.id)
  ORDER BY s.position
  LIMIT 1
$$;

-- Same rule, from the enrollment's own last step.
CREATE OR REPLACE FUNCTION enrollment_next_step(enrollment uuid) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT n.id
  FROM cadence_enrollments e
  CROSS JOIN LATERAL enrollment_step_after(e.cadence_id, e.id, e.last_step_id) AS n(id)
  WHERE e.id = enrollment
$$;

-- Tenant policies compare with the tenant read once per statement (an InitPlan), not
-- re-evaluated for every row scanned: same rule, a fraction of the cost on scans.
-- Not on leads and lead_search_terms: measured, their list queries got slower
-- (docs/benchmarks.md, 2026-11-21 23:13).
ALTER POLICY tenant_isolation ON audit_logs
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON cadence_enrollments
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON cadence_steps
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON cadences
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON email_outbox
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON enrichment_attempts
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON events
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON idempotency_keys
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON interactions
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON invitations
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON jobs
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON lead_import_errors
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON lead_import_files
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON lead_imports
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON mailboxes
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON message_templates
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON organization_members
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON organizations
  USING (id = (SELECT app_current_org())) WITH CHECK (id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON step_sends
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
ALTER POLICY tenant_isolation ON subscriptions
  USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
