-- Refunds of paid payments, the amount each payment has refunded (pending
-- refunds included, so two refunds can never return more than was paid),
-- provider notifications already handled (to drop duplicates), and a lookup
-- of payments by the provider's id.

ALTER TABLE payments ADD COLUMN amount_refunded INTEGER NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount);

CREATE INDEX payments_by_provider_ref ON payments (provider, provider_ref) WHERE provider_ref <> '';

CREATE TABLE refunds (
    id            TEXT PRIMARY KEY,
    payment_id    TEXT NOT NULL REFERENCES payments (id),
    session_id    TEXT NOT NULL REFERENCES sessions (id),
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    currency      TEXT NOT NULL,
    provider_ref  TEXT NOT NULL DEFAULT '',
    provider_code TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE INDEX refunds_by_payment ON refunds (payment_id, created_at);

CREATE TABLE provider_notifications (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (provider, event_id)
);
