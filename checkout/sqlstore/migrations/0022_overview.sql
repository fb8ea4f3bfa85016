-- The dashboard's overview (issue 17): provider call latency by provider
-- over the last days. Sessions and payments are counted through their
-- list indexes (merchant_id, id), ids sorting by the time they were made;
-- provider calls get a partial index of their own, so that no other
-- event pays for it.
CREATE INDEX events_provider_calls ON events (merchant_id, created_at) WHERE type = 'provider.call';
