-- The whole schema on PostgreSQL: the state the SQLite migrations 0001 to
-- 0023 reach, in one step (a PostgreSQL database starts here; later
-- changes come as migrations of both dialects). Times are Unix
-- milliseconds (BIGINT), flags 0 or 1 (SMALLINT), JSON documents text, as
-- on SQLite, so that the store's statements are the same on both.

CREATE TABLE merchants (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    api_key_hash     TEXT NOT NULL UNIQUE,
    default_provider TEXT NOT NULL,
    live             SMALLINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    return_origins   TEXT NOT NULL DEFAULT '[]',
    embed_origins    TEXT NOT NULL DEFAULT '[]',
    display_name     TEXT NOT NULL DEFAULT '',
    brand_color      TEXT NOT NULL DEFAULT '' CHECK (brand_color = '' OR brand_color ~ '^#[0-9a-f]{6}$'),
    logo_sha256      TEXT,
    return_secret    TEXT NOT NULL DEFAULT '' CHECK (return_secret = '' OR (length(return_secret) = 48 AND return_secret LIKE 'rsec\_%')),
    previous_return_secret TEXT NOT NULL DEFAULT '',
    previous_return_secret_expires_at BIGINT NOT NULL DEFAULT 0,
    support_email    TEXT NOT NULL DEFAULT ''
        CHECK (support_email = '' OR (length(support_email) BETWEEN 3 AND 254 AND support_email ~ '^.+@.+$'
            AND support_email !~ '[ <>"]')),
    support_url      TEXT NOT NULL DEFAULT ''
        CHECK (support_url = '' OR (length(support_url) <= 2048 AND support_url ~ '^https?://.+$'
            AND support_url !~ '[ <>"\\]')),
    previous_api_key_hash TEXT CHECK (previous_api_key_hash IS NULL OR previous_api_key_hash <> api_key_hash),
    previous_key_expires_at BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL DEFAULT 0,
    CHECK ((previous_api_key_hash IS NULL) = (previous_key_expires_at = 0))
);

CREATE TABLE logos (
    sha256       TEXT PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    width        BIGINT NOT NULL CHECK (width BETWEEN 1 AND 2048),
    height       BIGINT NOT NULL CHECK (height BETWEEN 1 AND 2048),
    body         BYTEA NOT NULL CHECK (octet_length(body) BETWEEN 1 AND 102400)
);
ALTER TABLE merchants ADD FOREIGN KEY (logo_sha256) REFERENCES logos (sha256);

CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    merchant_id        TEXT NOT NULL REFERENCES merchants (id),
    status             TEXT NOT NULL CHECK (status IN ('open', 'complete', 'expired', 'canceled')),
    amount             BIGINT NOT NULL CHECK (amount > 0),
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
    expires_at         BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    routes             TEXT NOT NULL DEFAULT '{}',
    setup_recurring    SMALLINT NOT NULL DEFAULT 0,
    idempotency_key    TEXT NOT NULL DEFAULT '',
    viewed_at          BIGINT NOT NULL DEFAULT 0,
    livemode           SMALLINT NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1))
);

CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    session_id      TEXT NOT NULL REFERENCES sessions (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    provider        TEXT NOT NULL,
    method          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('created', 'requires_action', 'processing', 'succeeded',
        'authorized', 'failed', 'pending', 'canceled', 'captured', 'refunded', 'partially_refunded')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
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
    attempt         BIGINT NOT NULL,
    version         BIGINT NOT NULL,
    next_check_at   BIGINT NOT NULL DEFAULT 0,
    check_count     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    amount_refunded BIGINT NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
    saved_card_id   TEXT NOT NULL DEFAULT '',
    form_token      TEXT NOT NULL DEFAULT '',
    amount_refund_pending BIGINT NOT NULL DEFAULT 0
        CHECK (amount_refund_pending >= 0 AND amount_refunded + amount_refund_pending <= amount),
    livemode        SMALLINT NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1)),
    UNIQUE (session_id, attempt)
);

CREATE TABLE events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    session_id  TEXT NOT NULL,
    payment_id  TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    merchant_id TEXT NOT NULL DEFAULT '',
    notify      TEXT NOT NULL DEFAULT '',
    payload     BYTEA
);

CREATE TABLE idempotency_keys (
    merchant_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    locked_until BIGINT NOT NULL,
    status       BIGINT NOT NULL DEFAULT 0,
    body         BYTEA,
    created_at   BIGINT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (merchant_id, key)
);

CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,
    payment_id      TEXT NOT NULL REFERENCES payments (id),
    session_id      TEXT NOT NULL REFERENCES sessions (id),
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    provider_ref    TEXT NOT NULL DEFAULT '',
    provider_code   TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    next_check_at   BIGINT NOT NULL DEFAULT 0,
    check_count     BIGINT NOT NULL DEFAULT 0,
    retry_of        TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT NOT NULL DEFAULT '',
    livemode        SMALLINT NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1))
);

CREATE TABLE provider_notifications (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);

CREATE TABLE webhook_endpoints (
    id                         TEXT PRIMARY KEY,
    merchant_id                TEXT NOT NULL REFERENCES merchants (id),
    url                        TEXT NOT NULL,
    secret                     TEXT NOT NULL,
    enabled                    SMALLINT NOT NULL DEFAULT 1,
    created_at                 BIGINT NOT NULL,
    previous_secret            TEXT NOT NULL DEFAULT '',
    previous_secret_expires_at BIGINT NOT NULL DEFAULT 0,
    enabled_events             TEXT NOT NULL DEFAULT '["*"]',
    consecutive_failures       BIGINT NOT NULL DEFAULT 0,
    deleted_at                 BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    value      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    merchant_id     TEXT NOT NULL,
    type            TEXT NOT NULL,
    payload         BYTEA NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (message_id, endpoint_id)
);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    number      BIGINT NOT NULL,
    status      BIGINT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, number)
);

CREATE TABLE dashboard_users (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    email          TEXT NOT NULL UNIQUE,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'support')),
    password_hash  TEXT NOT NULL,
    session_epoch  BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    totp_secret    TEXT NOT NULL DEFAULT '',
    totp_last_step BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE dashboard_sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES dashboard_users (id),
    created_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);

CREATE INDEX sessions_open_by_expiry ON sessions (expires_at) WHERE status = 'open';
CREATE UNIQUE INDEX payments_one_active_per_session ON payments (session_id) WHERE status NOT IN ('failed', 'canceled');
CREATE INDEX payments_due_for_check ON payments (next_check_at) WHERE next_check_at > 0;
CREATE INDEX events_by_session ON events (session_id, seq);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE INDEX payments_by_provider_ref ON payments (provider, provider_ref) WHERE provider_ref <> '';
CREATE INDEX refunds_by_payment ON refunds (payment_id, created_at);
CREATE INDEX webhook_endpoints_by_merchant ON webhook_endpoints (merchant_id);
CREATE UNIQUE INDEX payments_one_per_form ON payments (session_id, form_token) WHERE form_token <> '';
CREATE INDEX refunds_due_for_check ON refunds (next_check_at) WHERE status = 'pending';
CREATE UNIQUE INDEX refunds_one_retry ON refunds (retry_of) WHERE retry_of <> '';
CREATE UNIQUE INDEX refunds_by_idempotency_key ON refunds (merchant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE UNIQUE INDEX sessions_by_idempotency_key ON sessions (merchant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_merchant ON webhook_deliveries (merchant_id, created_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id) WHERE status = 'pending';
CREATE INDEX merchants_logo ON merchants (logo_sha256);
CREATE INDEX sessions_list ON sessions (merchant_id, id);
CREATE INDEX sessions_list_by_status ON sessions (merchant_id, status, id);
CREATE INDEX sessions_list_by_created ON sessions (merchant_id, created_at);
CREATE INDEX sessions_list_by_merchant_reference ON sessions (merchant_id, merchant_reference, id) WHERE merchant_reference <> '';
CREATE INDEX sessions_list_by_customer_reference ON sessions (merchant_id, customer_reference, id) WHERE customer_reference <> '';
CREATE INDEX sessions_list_by_customer_email ON sessions (merchant_id, customer_email, id) WHERE customer_email <> '';
CREATE INDEX payments_list ON payments (merchant_id, id);
CREATE INDEX payments_list_by_status ON payments (merchant_id, status, id);
CREATE INDEX payments_list_by_provider ON payments (merchant_id, provider, id);
CREATE INDEX payments_list_by_card_last4 ON payments (merchant_id, (card::jsonb ->> 'last4'), id) WHERE card IS NOT NULL;
CREATE INDEX payments_list_by_session ON payments (merchant_id, session_id, id);
CREATE INDEX refunds_list ON refunds (merchant_id, id);
CREATE INDEX events_merchant_list ON events (merchant_id, id) WHERE notify <> '';
CREATE INDEX events_merchant_list_by_type ON events (merchant_id, notify, id) WHERE notify <> '';
CREATE INDEX events_merchant_list_by_payment ON events (merchant_id, payment_id, id) WHERE notify <> '';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (merchant_id, id);
CREATE INDEX webhook_deliveries_list_by_status ON webhook_deliveries (merchant_id, status, id);
CREATE INDEX webhook_deliveries_list_by_endpoint ON webhook_deliveries (merchant_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_list_by_event ON webhook_deliveries (merchant_id, message_id, id);
CREATE INDEX events_of_merchant ON events (merchant_id, seq) WHERE session_id = '';
CREATE UNIQUE INDEX merchants_previous_key ON merchants (previous_api_key_hash) WHERE previous_api_key_hash IS NOT NULL;
CREATE UNIQUE INDEX events_browser_step_once ON events (payment_id, type)
    WHERE type IN ('device_data.started', 'device_data.completed', 'device_data.timed_out', 'challenge.shown',
        'challenge.returned', 'redirect.left', 'redirect.returned');
CREATE INDEX dashboard_users_of_merchant ON dashboard_users (merchant_id, email);
CREATE INDEX dashboard_sessions_of_user ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_seen ON dashboard_sessions (seen_at);
CREATE INDEX events_provider_calls ON events (merchant_id, created_at) WHERE type = 'provider.call';
