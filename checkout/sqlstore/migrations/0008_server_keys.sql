-- Keys the server makes for itself on first start (the form-token key), kept
-- here so that they survive restarts and are shared by every instance.
CREATE TABLE server_keys (
	name       TEXT PRIMARY KEY,
	value      BLOB NOT NULL,
	created_at INTEGER NOT NULL
);
