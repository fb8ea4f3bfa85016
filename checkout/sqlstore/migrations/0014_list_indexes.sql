-- The merchant API's lists (issue 15): GET /v1/checkout/sessions,
-- /v1/payments, /v1/refunds, /v1/events and /v1/webhook_deliveries page
-- newest first by id (ids sort by the time they were made), one merchant's
-- objects at a time, with a cursor on the id. Each index below serves one
-- list or one filter of it, and the list's query names it (INDEXED BY;
-- checkout/sqlstore/lists.go picks the most selective filter's index):
-- (merchant_id, [filter,] id) is a range of the merchant's objects already
-- in page order, so a page reads its own rows and one more.

-- GET /v1/checkout/sessions, with no filter, ?payment_status= (the latest
-- attempt's status, one lookup per session in the payments (session_id,
-- attempt) unique index) or ?created[gte]= alone (the id range from the
-- least id a session created then can have).
CREATE INDEX sessions_list ON sessions (merchant_id, id);
-- ?status=
CREATE INDEX sessions_list_by_status ON sessions (merchant_id, status, id);
-- ?created[lte]= (with or without created[gte]): a range of the created
-- time, sorted by id (at most a page is kept while sorting).
CREATE INDEX sessions_list_by_created ON sessions (merchant_id, created_at);
-- ?merchant_reference=, ?customer_reference=, ?customer_email=: partial,
-- sessions without one are not indexed (the queries say <> '').
CREATE INDEX sessions_list_by_merchant_reference ON sessions (merchant_id, merchant_reference, id)
    WHERE merchant_reference <> '';
CREATE INDEX sessions_list_by_customer_reference ON sessions (merchant_id, customer_reference, id)
    WHERE customer_reference <> '';
CREATE INDEX sessions_list_by_customer_email ON sessions (merchant_id, customer_email, id)
    WHERE customer_email <> '';

-- GET /v1/payments.
CREATE INDEX payments_list ON payments (merchant_id, id);
-- ?status=
CREATE INDEX payments_list_by_status ON payments (merchant_id, status, id);
-- ?provider=
CREATE INDEX payments_list_by_provider ON payments (merchant_id, provider, id);
-- ?card_last4=: the last 4 digits inside the card JSON (brand, BIN, last 4
-- and expiry; nothing more is ever stored).
CREATE INDEX payments_list_by_card_last4 ON payments (merchant_id, json_extract(card, '$.last4'), id)
    WHERE card IS NOT NULL;
-- ?session=
CREATE INDEX payments_list_by_session ON payments (merchant_id, session_id, id);

-- GET /v1/refunds; ?payment= is served by refunds_by_payment (0002), a
-- payment's few refunds sorted.
CREATE INDEX refunds_list ON refunds (merchant_id, id);

-- GET /v1/events: merchant-visible events only (notify <> '': the rows that
-- are webhooks), of the last 30 days (the id range from the least id an
-- event made then can have, and created_at).
CREATE INDEX events_merchant_list ON events (merchant_id, id) WHERE notify <> '';
-- ?type=
CREATE INDEX events_merchant_list_by_type ON events (merchant_id, notify, id) WHERE notify <> '';
-- ?payment=; ?session= is served by events_by_session (0001), a session's
-- short timeline sorted.
CREATE INDEX events_merchant_list_by_payment ON events (merchant_id, payment_id, id) WHERE notify <> '';

-- GET /v1/webhook_deliveries.
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (merchant_id, id);
-- ?outcome=
CREATE INDEX webhook_deliveries_list_by_status ON webhook_deliveries (merchant_id, status, id);
-- ?endpoint=
CREATE INDEX webhook_deliveries_list_by_endpoint ON webhook_deliveries (merchant_id, endpoint_id, id);
-- ?event= (the webhook-id)
CREATE INDEX webhook_deliveries_list_by_event ON webhook_deliveries (merchant_id, message_id, id);
