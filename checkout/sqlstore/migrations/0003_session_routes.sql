-- Which provider serves each payment method of a session (a card provider
-- and a wallet provider can differ). Rows from before keep provider for all.
ALTER TABLE sessions ADD COLUMN routes TEXT NOT NULL DEFAULT '{}';
