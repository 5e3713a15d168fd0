-- Midnight starting `day` in the current organization's time zone: a bare date in a
-- filter ("created on 2026-11-05") means the organization's calendar day, not UTC's.
-- Its argument is a parameter, never a column, so a condition `created_at >= it`
-- still runs as an index condition under row-level security.
CREATE FUNCTION app_org_midnight(day date) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT timezone(o.timezone, day::timestamp)
  FROM organizations o
  WHERE o.id = app_current_org()
$$;
