-- The one-time token of the form a payment was submitted with: the same
-- form submitted twice (a double click, Back and Pay again) makes one
-- attempt, even when the first attempt was already declined.
ALTER TABLE payments ADD COLUMN form_token TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payments_one_per_form ON payments (session_id, form_token) WHERE form_token <> '';
