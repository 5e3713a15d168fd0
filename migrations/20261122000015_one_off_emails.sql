-- One-off e-mails: a member writes to a lead from its page (often an AI draft), and
-- Flux sends it through the member's mailbox. It is a row of the outbox like a
-- cadence step's — same Message-ID scheme, state machine, tracking links and reply
-- matching — with no enrollment, step or cadence.
ALTER TABLE step_sends
  ALTER COLUMN enrollment_id DROP NOT NULL,
  ALTER COLUMN step_id DROP NOT NULL,
  ALTER COLUMN cadence_id DROP NOT NULL,
  -- NOT VALID, then VALIDATE: the outbox is not locked against writes while its rows
  -- are checked.
  ADD CONSTRAINT chk_sends_step_or_one_off CHECK (
    (enrollment_id IS NULL) = (step_id IS NULL) AND (step_id IS NULL) = (cadence_id IS NULL))
    NOT VALID;
ALTER TABLE step_sends VALIDATE CONSTRAINT chk_sends_step_or_one_off;

-- Who did it, on the timeline: the member for a one-off e-mail (a cadence's messages
-- have none: the engine sent them).
COMMENT ON COLUMN interactions.actor_id IS
  'The member who acted (sent a one-off e-mail, …); NULL for the engine and recipients.';
