-- Merchant events (issue 15): every event row names its merchant, so that
-- events of the merchant itself (merchant.updated, with no session) sit in
-- the same log, and a merchant-visible event keeps its type (notify, the
-- webhook type, '' for timeline-only entries) and the JSON payload its
-- webhooks carry, which GET /v1/events serves.
ALTER TABLE events ADD COLUMN merchant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN notify TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN payload BLOB;
UPDATE events SET merchant_id = (SELECT s.merchant_id FROM sessions s WHERE s.id = events.session_id)
	WHERE merchant_id = '' AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = events.session_id);
