-- Premium (Lemit) data of a lead: extra e-mails/phones and estimated revenue. Kept on
-- the lead (its organization paid for it), never in the shared registry cache.
ALTER TABLE leads
  ADD COLUMN premium_contacts jsonb,
  ADD COLUMN faturamento_estimado_cents bigint;
