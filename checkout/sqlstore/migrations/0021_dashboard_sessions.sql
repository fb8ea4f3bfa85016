-- Dashboard sessions: one row per signed-in browser, under the SHA-256 of
-- the random token its cookie holds (a database read gives no usable
-- cookie). Sign-out deletes the row; a password change or the user's
-- removal deletes all of the user's; a row not seen for the idle expiry
-- no longer signs anyone in and is pruned.
CREATE TABLE dashboard_sessions (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES dashboard_users(id),
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX dashboard_sessions_of_user ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_seen ON dashboard_sessions (seen_at);
