-- Sessions that set up later merchant-initiated charges of the saved card
-- they are paid with, and the saved card (the provider's token id) a
-- payment used.
ALTER TABLE sessions ADD COLUMN setup_recurring INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN saved_card_id TEXT NOT NULL DEFAULT '';
