-- Signed returns (issue 15): each merchant's return secret signs the
-- shopper's way back to its success_url and cancel_url. After a rotation
-- the previous secret keeps signing next to the new one until
-- previous_return_secret_expires_at (Unix ms; 0 when there is none).
--
-- Existing merchants start with '' ("none yet"): SQL has no portable way to
-- make a fresh random secret per row, so the server gives each one its own
-- at startup, and on first use should one still have none, in Go, with one
-- guarded statement (UPDATE ... WHERE return_secret = '', so that of two
-- servers starting at once the first one's secret is kept). Such a
-- merchant learns its secret by rotating it (POST
-- /v1/merchant/return_secret/rotate, or checkout merchants
-- rotate-return-secret).
ALTER TABLE merchants ADD COLUMN return_secret TEXT NOT NULL DEFAULT ''
	CHECK (return_secret = '' OR (length(return_secret) = 48 AND return_secret GLOB 'rsec_*'));
ALTER TABLE merchants ADD COLUMN previous_return_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN previous_return_secret_expires_at INTEGER NOT NULL DEFAULT 0;
-- The merchant's own events (no session: a rotation), newest first, for
-- Store.MerchantEvents: a partial index, so session events cost it nothing.
CREATE INDEX events_of_merchant ON events (merchant_id, seq) WHERE session_id = '';
