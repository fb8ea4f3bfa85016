-- Merchants, checkout sessions, payment attempts, the per-session event
-- timeline and merchant API idempotency records. Times are Unix milliseconds.

CREATE TABLE merchants (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    api_key_hash     TEXT NOT NULL UNIQUE,
    default_provider TEXT NOT NULL,
    live             INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    merchant_id        TEXT NOT NULL REFERENCES merchants (id),
    status             TEXT NOT NULL CHECK (status IN ('open', 'complete', 'expired', 'canceled')),
    amount             INTEGER NOT NULL CHECK (amount > 0),
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    merchant_reference TEXT NOT NULL DEFAULT '',
    line_items         TEXT NOT NULL DEFAULT '[]',
    customer_email     TEXT NOT NULL DEFAULT '',
    customer_reference TEXT NOT NULL DEFAULT '',
    locale             TEXT NOT NULL,
    success_url        TEXT NOT NULL,
    cancel_url         TEXT NOT NULL DEFAULT '',
    payment_methods    TEXT NOT NULL,
    provider           TEXT NOT NULL,
    capture_mode       TEXT NOT NULL CHECK (capture_mode IN ('automatic', 'manual')),
    three_ds           TEXT NOT NULL,
    metadata           TEXT NOT NULL DEFAULT '{}',
    expires_at         INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE INDEX sessions_open_by_expiry ON sessions (expires_at) WHERE status = 'open';

CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    session_id      TEXT NOT NULL REFERENCES sessions (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    provider        TEXT NOT NULL,
    method          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('created', 'requires_action', 'processing', 'succeeded',
        'authorized', 'failed', 'pending', 'canceled', 'captured', 'refunded', 'partially_refunded')),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    capture_mode    TEXT NOT NULL,
    provider_ref    TEXT NOT NULL DEFAULT '',
    provider_data   TEXT NOT NULL DEFAULT '{}',
    card            TEXT,
    browser         TEXT NOT NULL DEFAULT '{}',
    action          TEXT,
    three_ds        TEXT,
    decline         TEXT,
    shopper_message TEXT NOT NULL DEFAULT '',
    attempt         INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    next_check_at   INTEGER NOT NULL DEFAULT 0,
    check_count     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (session_id, attempt)
);

-- At most one attempt per session that is not failed or canceled: the
-- database, not a mutex, is what stops a double submit from paying twice.
CREATE UNIQUE INDEX payments_one_active_per_session ON payments (session_id)
    WHERE status NOT IN ('failed', 'canceled');

CREATE INDEX payments_due_for_check ON payments (next_check_at) WHERE next_check_at > 0;

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    payment_id TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

CREATE INDEX events_by_session ON events (session_id, seq);

CREATE TABLE idempotency_keys (
    merchant_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    locked_until INTEGER NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
