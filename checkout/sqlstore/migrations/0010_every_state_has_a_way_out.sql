-- Every state has a way out.
--
-- Refunds: a pending refund (its provider call failed, timed out, or the
-- provider holds it in process) is reserved, not refunded. A payment's
-- amount_refunded counts only refunds the provider confirmed;
-- amount_refund_pending is reserved by refunds still pending; the two never
-- add up to more than the payment. Pending refunds are inquired on a
-- schedule (next_check_at, check_count). A failed refund may be retried
-- once by a new refund (retry_of).
--
-- Merchant API idempotency: the Idempotency-Key a resource was created
-- under is kept on the resource, unique per merchant, so a request retried
-- after a crash finds what its first run created instead of creating it
-- again (a second refund, a second recurring charge).
--
-- Authorized payments get a check time (see the end).
--
-- Payments are now created as processing, with their check time, in one
-- statement; rows a crash left in created (no provider call known to have
-- been made) are handed to the reconciler.

ALTER TABLE payments ADD COLUMN amount_refund_pending INTEGER NOT NULL DEFAULT 0
    CHECK (amount_refund_pending >= 0 AND amount_refunded + amount_refund_pending <= amount);

-- Before: amount_refunded included pending refunds, and the payment was
-- marked (partially) refunded as soon as a refund was accepted or unknown.
UPDATE payments SET
    amount_refund_pending = (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.payment_id = payments.id AND r.status = 'pending'),
    amount_refunded = amount_refunded - (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.payment_id = payments.id AND r.status = 'pending')
WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = payments.id AND r.status = 'pending');

UPDATE payments SET status = CASE
        WHEN amount_refunded = amount THEN 'refunded'
        WHEN amount_refunded > 0 THEN 'partially_refunded'
        WHEN capture_mode = 'manual' THEN 'captured'
        ELSE 'succeeded' END
WHERE status IN ('refunded', 'partially_refunded');

ALTER TABLE refunds ADD COLUMN next_check_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN check_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN retry_of TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';

UPDATE refunds SET next_check_at = updated_at WHERE status = 'pending';

CREATE INDEX refunds_due_for_check ON refunds (next_check_at) WHERE status = 'pending';
CREATE UNIQUE INDEX refunds_one_retry ON refunds (retry_of) WHERE retry_of <> '';
CREATE UNIQUE INDEX refunds_by_idempotency_key ON refunds (merchant_id, idempotency_key) WHERE idempotency_key <> '';

ALTER TABLE sessions ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX sessions_by_idempotency_key ON sessions (merchant_id, idempotency_key) WHERE idempotency_key <> '';

UPDATE payments SET status = 'processing', next_check_at = updated_at + 120000, version = version + 1
WHERE status = 'created';

-- An authorized payment is asked about a week after it was authorized
-- (providers let uncaptured authorisations lapse), then daily.
UPDATE payments SET next_check_at = updated_at + 604800000 WHERE status = 'authorized';
