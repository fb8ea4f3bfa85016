-- Webhook secret rotation: the secret an endpoint had before its last
-- rotation keeps signing, next to the new one, until
-- previous_secret_expires_at (Unix ms; 0 when there is none).

ALTER TABLE webhook_endpoints ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at INTEGER NOT NULL DEFAULT 0;
