-- Idempotency claims carry their owner (a random token of the request that
-- claimed the key), so that a request whose lease ran out and was taken
-- over can neither store its answer over the new owner's nor release the
-- new owner's claim: both statements name the owner in their WHERE clause.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
