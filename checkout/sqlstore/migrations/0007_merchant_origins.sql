-- The origins a merchant's shoppers may be sent back to, and the origins
-- that may frame its checkout pages. An empty list of return origins means
-- any (the sandbox demo merchant only; merchants made with the CLI have one).
ALTER TABLE merchants ADD COLUMN return_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE merchants ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '[]';
