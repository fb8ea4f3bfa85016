-- Dashboard two-step sign-in (issue 17): a user's TOTP secret, sealed
-- with AES-256-GCM under the server key "dashboard_totp" and bound to the
-- user's id (never stored in plain; '' when two-step sign-in is off), and
-- the latest 30-second step whose code was used: a code is accepted only
-- for a later step, set in the statement that accepts it, so that each
-- code signs in once.
ALTER TABLE dashboard_users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE dashboard_users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
