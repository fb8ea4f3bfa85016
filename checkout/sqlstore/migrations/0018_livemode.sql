-- Test and live kept apart (issue 15): a session, its payments and its
-- refunds record the mode of the key that made them (1: live, 0: test), so
-- that they go to the mode's providers (a test session only ever to the
-- sandboxes) and every object shows it as livemode. Existing rows take
-- their merchant's mode.
ALTER TABLE sessions ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1));
ALTER TABLE payments ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1));
ALTER TABLE refunds ADD COLUMN livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1));
UPDATE sessions SET livemode = (SELECT m.live FROM merchants m WHERE m.id = sessions.merchant_id)
	WHERE EXISTS (SELECT 1 FROM merchants m WHERE m.id = sessions.merchant_id);
UPDATE payments SET livemode = (SELECT s.livemode FROM sessions s WHERE s.id = payments.session_id)
	WHERE EXISTS (SELECT 1 FROM sessions s WHERE s.id = payments.session_id);
UPDATE refunds SET livemode = (SELECT p.livemode FROM payments p WHERE p.id = refunds.payment_id)
	WHERE EXISTS (SELECT 1 FROM payments p WHERE p.id = refunds.payment_id);
