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
-- constraint, so both delivery tables are rebuilt inside this migration's
-- transaction with foreign keys on: copies first, then the old child table
-- and the old parent are dropped (no row is ever orphaned), and renaming the
-- new parent rewrites the new child's REFERENCES clause.
CREATE TABLE webhook_deliveries_new (
    id              TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    merchant_id     TEXT NOT NULL,
    type            TEXT NOT NULL,
    payload         BLOB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (message_id, endpoint_id)
);
INSERT INTO webhook_deliveries_new (id, message_id, endpoint_id, merchant_id, type, payload, status, attempts,
    next_attempt_at, last_status, last_error, created_at, updated_at)
SELECT id, message_id, endpoint_id, merchant_id, type, payload, status, attempts,
    next_attempt_at, last_status, last_error, created_at, updated_at FROM webhook_deliveries;

CREATE TABLE webhook_attempts_new (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries_new (id),
    number      INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, number)
);
INSERT INTO webhook_attempts_new (delivery_id, number, status, error, duration_ms, at)
SELECT delivery_id, number, status, error, duration_ms, at FROM webhook_attempts;

DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
ALTER TABLE webhook_attempts_new RENAME TO webhook_attempts;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_merchant ON webhook_deliveries (merchant_id, created_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id) WHERE status = 'pending';
