-- A mailbox's updated_at says when its settings last changed: the engine's send
-- counters and the IMAP poller's sync state are not edits.
DROP TRIGGER trg_mailboxes_updated_at ON mailboxes;
CREATE TRIGGER trg_mailboxes_updated_at
  BEFORE UPDATE OF from_name, from_email, smtp_host, smtp_port, smtp_security,
    smtp_username, smtp_password_enc, imap_enabled, imap_host, imap_port, imap_security,
    imap_username, imap_password_enc, imap_folder, daily_limit, min_interval_seconds
  ON mailboxes
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- The poller's claim: enabled mailboxes, least recently polled first.
CREATE INDEX idx_mailboxes_poll ON mailboxes (last_poll_at NULLS FIRST) WHERE imap_enabled;
