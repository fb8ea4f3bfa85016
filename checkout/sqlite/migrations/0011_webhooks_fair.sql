-- Fair merchant webhooks (issue 12, defect 7).
--
-- enabled_events: the JSON list of event types an endpoint receives
-- (["*"] for all). consecutive_failures: failed attempts in a row, reset by
-- a success; past a threshold the endpoint's pending deliveries back off
-- further. deleted_at (Unix ms, 0 when live): a deleted endpoint is kept for
-- the delivery log, and its pending deliveries become 'canceled' in the
-- same transaction.

ALTER TABLE webhook_endpoints ADD COLUMN enabled_events TEXT NOT NULL DEFAULT '["*"]';
ALTER TABLE webhook_endpoints ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;

-- Deliveries gain the final status 'canceled'. SQLite cannot alter a CHECK
-- constraint, and the table cannot be rebuilt inside the migration's
-- transaction while webhook_attempts references it with foreign keys on;
-- widening the CHECK (every existing row still satisfies it) is the
-- documented writable_schema edit that leaves the stored rows untouched.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (status IN (''pending'', ''succeeded'', ''failed''))',
    'CHECK (status IN (''pending'', ''succeeded'', ''failed'', ''canceled''))')
WHERE type = 'table' AND name = 'webhook_deliveries';
PRAGMA writable_schema = OFF;

CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id) WHERE status = 'pending';
