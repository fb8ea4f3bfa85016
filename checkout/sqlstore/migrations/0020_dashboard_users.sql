-- Dashboard users (issue 17): people who sign in to a merchant's
-- dashboard. The email is stored lower-cased and is unique across
-- merchants, so that an email alone finds its user. password_hash is an
-- argon2id PHC string; session_epoch moves on with every password change,
-- ending the sessions made before it.
CREATE TABLE dashboard_users (
	id            TEXT PRIMARY KEY,
	merchant_id   TEXT NOT NULL REFERENCES merchants(id),
	email         TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'support')),
	password_hash TEXT NOT NULL,
	session_epoch INTEGER NOT NULL DEFAULT 1,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX dashboard_users_of_merchant ON dashboard_users (merchant_id, email);
