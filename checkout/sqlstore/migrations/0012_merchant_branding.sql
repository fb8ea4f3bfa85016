-- Per-merchant branding (issue 13): the name shoppers see, the accent
-- colour of the merchant's pages and its logo. Logos are stored once under
-- the SHA-256 of their bytes, which is also their URL (/logos/<sha256>.png);
-- the checks repeat the domain's (checkout.ParseLogo, ParseBrandColor) so
-- that nothing else can ever reach a page or the logo route.
CREATE TABLE logos (
	sha256       TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
	width        INTEGER NOT NULL CHECK (width BETWEEN 1 AND 2048),
	height       INTEGER NOT NULL CHECK (height BETWEEN 1 AND 2048),
	body         BLOB NOT NULL CHECK (length(body) BETWEEN 1 AND 102400)
);
-- '' is "not set": the merchant's name, our own accent.
ALTER TABLE merchants ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN brand_color TEXT NOT NULL DEFAULT ''
	CHECK (brand_color = '' OR (length(brand_color) = 7 AND brand_color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'));
-- NULL: no logo.
ALTER TABLE merchants ADD COLUMN logo_sha256 TEXT REFERENCES logos (sha256);
CREATE INDEX merchants_logo ON merchants (logo_sha256);
