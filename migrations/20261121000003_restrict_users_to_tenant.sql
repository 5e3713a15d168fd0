-- Users are global accounts, but a tenant transaction should only see the accounts of
-- its own organization's members (defence in depth: column grants already hide secrets).
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
-- organization_members is itself under RLS, so the subquery sees only this tenant's rows.
CREATE POLICY tenant_members_only ON users FOR SELECT
  USING (EXISTS (SELECT 1 FROM organization_members m WHERE m.user_id = users.id));
