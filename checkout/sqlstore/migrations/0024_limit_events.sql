-- Limits shared by every instance (issue 18, point 3): the events of each
-- limiter key in its sliding window, as the in-memory limiter keeps them
-- (one row per event), so that several instances give the answers one
-- process gives. Counter.Allow deletes a key's events past its window,
-- counts the rest and adds one, in one transaction.
CREATE TABLE limit_events (
	key TEXT NOT NULL,
	at  INTEGER NOT NULL
);
CREATE INDEX limit_events_by_key ON limit_events (key, at);
CREATE INDEX limit_events_by_age ON limit_events (at);
