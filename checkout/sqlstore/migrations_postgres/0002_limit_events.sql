-- Limits shared by every instance: see the SQLite migration 0024.
CREATE TABLE limit_events (
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX limit_events_by_key ON limit_events (key, at);
CREATE INDEX limit_events_by_age ON limit_events (at);
