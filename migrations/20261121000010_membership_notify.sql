-- Every server process caches the active memberships it has verified (the role each
-- request runs with). A change to a membership is announced on channel
-- flux_memberships with payload '<org_id> <user_id>', so every process forgets it.
CREATE FUNCTION notify_membership_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('flux_memberships', OLD.org_id::text || ' ' || OLD.user_id::text);
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.org_id, NEW.user_id) IS NOT DISTINCT FROM (OLD.org_id, OLD.user_id) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify('flux_memberships', NEW.org_id::text || ' ' || NEW.user_id::text);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER trg_members_notify AFTER INSERT OR UPDATE OR DELETE ON organization_members
  FOR EACH ROW EXECUTE FUNCTION notify_membership_change();
