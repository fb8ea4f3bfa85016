-- Merchant settings over the API (issue 15, point 6).
--
-- Where shoppers ask about a payment, shown on the checkout and result
-- pages: '' is "not set". The checks repeat the domain's
-- (checkout.ParseSupportEmail, ParseSupportURL) in their shape, so that
-- nothing that could break out of a mailto: or href attribute is stored.
ALTER TABLE merchants ADD COLUMN support_email TEXT NOT NULL DEFAULT ''
	CHECK (support_email = '' OR (length(support_email) BETWEEN 3 AND 254 AND support_email GLOB '?*@?*'
		AND support_email NOT GLOB '*[ <>"]*'));
ALTER TABLE merchants ADD COLUMN support_url TEXT NOT NULL DEFAULT ''
	CHECK (support_url = '' OR (length(support_url) <= 2048 AND (support_url GLOB 'https://?*' OR support_url GLOB 'http://?*')
		AND support_url NOT GLOB '*[ <>"\]*'));

-- Key rotation with an overlap: the key before the last rotation still
-- authenticates until previous_key_expires_at (Unix milliseconds; 0 with
-- no previous key). MerchantByKeyHash compares it with the caller's clock
-- in its statement. One hash finds one merchant: the partial unique index
-- serves that lookup.
ALTER TABLE merchants ADD COLUMN previous_api_key_hash TEXT
	CHECK (previous_api_key_hash IS NULL OR previous_api_key_hash <> api_key_hash);
ALTER TABLE merchants ADD COLUMN previous_key_expires_at INTEGER NOT NULL DEFAULT 0
	CHECK ((previous_api_key_hash IS NULL) = (previous_key_expires_at = 0));
CREATE UNIQUE INDEX merchants_previous_key ON merchants (previous_api_key_hash) WHERE previous_api_key_hash IS NOT NULL;

-- Every saved change of a merchant (settings, a key rotation) moves its
-- version on; a write is guarded by the version it read (compare-and-set),
-- so that two concurrent changes never silently undo each other.
ALTER TABLE merchants ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
