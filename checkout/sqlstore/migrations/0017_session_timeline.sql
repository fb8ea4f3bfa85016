-- The session timeline (issue 15, point 2).
--
-- A session remembers when its checkout page was first viewed (0: never),
-- so that the page's GET writes page.viewed at most once: the guarded
-- UPDATE ... WHERE viewed_at = 0 that sets it writes the event in the same
-- transaction, and a page whose session shows a view writes nothing.
ALTER TABLE sessions ADD COLUMN viewed_at INTEGER NOT NULL DEFAULT 0;

-- The steps of the shopper's browser (device data collection started and
-- completed or timed out, a challenge shown and returned from, a redirect
-- left and returned from: checkout.BrowserStepTypes) are recorded at most
-- once per payment: the index refuses a second row, so a page (or a
-- script) posting a step again, or a browser coming back twice, cannot
-- grow the timeline.
CREATE UNIQUE INDEX events_browser_step_once ON events (payment_id, type)
    WHERE type IN ('device_data.started', 'device_data.completed', 'device_data.timed_out', 'challenge.shown',
        'challenge.returned', 'redirect.left', 'redirect.returned');

-- GET /v1/checkout/sessions/{id}/timeline reads a page of the session's
-- events with events_by_session (session_id, seq), the webhooks they queued
-- with webhook_deliveries' UNIQUE (message_id, endpoint_id), and each
-- delivery's attempts with webhook_attempts' primary key (delivery_id,
-- number): no new index is needed for the read.
