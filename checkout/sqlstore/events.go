package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// AppendEvents adds entries to the timeline.
func (d *DB) AppendEvents(ctx context.Context, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, events) })
}

func insertEvents(ctx context.Context, tx *sql.Tx, events []checkout.Event) error {
	return insertEventsOf(ctx, tx, "", "", events)
}

// insertEventsOf is insertEvents for a change of session sessionID of
// merchant merchantID: its events need no lookup of their merchant.
func insertEventsOf(ctx context.Context, tx *sql.Tx, sessionID, merchantID string, events []checkout.Event) error {
	events = slices.Clone(events) // the merchant ids filled in are this call's
	const cols = 9
	var (
		merchants = map[string]string{} // session id -> merchant id
		args      []any                 // the rows of the one INSERT
		rows      int
		payloads  = make([][]byte, len(events))
	)
	if sessionID != "" && merchantID != "" {
		merchants[sessionID] = merchantID
	}
	flush := func() error {
		if rows == 0 {
			return nil
		}
		q := `INSERT INTO events (id, session_id, payment_id, merchant_id, type, data, notify, payload, created_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?), `, rows), ", ")
		_, err := tx.ExecContext(ctx, q, args...)
		args, rows = args[:0], 0
		return err
	}
	for i := range events {
		e := &events[i]
		data, err := json.Marshal(nonNilMap(e.Data))
		if err != nil {
			return err
		}
		if e.MerchantID == "" {
			if m, ok := merchants[e.SessionID]; ok {
				e.MerchantID = m
			} else if err := tx.QueryRowContext(ctx, `SELECT merchant_id FROM sessions WHERE id = ?`, e.SessionID).Scan(&e.MerchantID); err != nil {
				if err == sql.ErrNoRows {
					return fmt.Errorf("event %s: no session %q and no merchant", e.ID, e.SessionID)
				}
				return err
			}
			merchants[e.SessionID] = e.MerchantID
		}
		// A merchant-visible event (Notify set) keeps the payload its
		// webhooks carry: GET /v1/events serves the same bytes.
		if e.Notify != "" {
			if payloads[i], err = checkout.WebhookPayload(*e); err != nil {
				return err
			}
		}
		values := []any{e.ID, e.SessionID, e.PaymentID, e.MerchantID, e.Type, string(data), e.Notify, payloads[i], ms(e.CreatedAt)}
		if slices.Contains(checkout.BrowserStepTypes, e.Type) {
			// At most one per payment (events_browser_step_once): a
			// second is dropped, and the change it comes with stands.
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, session_id, payment_id, merchant_id, type, data, notify, payload, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, values...); err != nil {
				return err
			}
			continue
		}
		// The change's other events go in one statement.
		args = append(args, values...)
		if rows++; rows*cols >= 900 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	endpoints := map[string][]endpoint{} // merchant id -> its enabled endpoints, read once
	for i, e := range events {
		if e.Notify == "" {
			continue
		}
		eps, ok := endpoints[e.MerchantID]
		if !ok {
			var err error
			if eps, err = merchantEndpoints(ctx, tx, e.MerchantID); err != nil {
				return err
			}
			endpoints[e.MerchantID] = eps
		}
		if err := queueWebhooks(ctx, tx, e, payloads[i], eps); err != nil {
			return err
		}
	}
	return nil
}

// endpoint is a merchant's enabled webhook endpoint and the event types
// it takes.
type endpoint struct {
	id, merchant string
	enabled      []string
}

// merchantEndpoints reads the merchant's enabled webhook endpoints, in the
// change's transaction (an endpoint disabled or deleted since is not
// queued to).
func merchantEndpoints(ctx context.Context, tx *sql.Tx, merchantID string) ([]endpoint, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, merchant_id, enabled_events FROM webhook_endpoints
		WHERE merchant_id = ? AND enabled = 1 AND deleted_at = 0 ORDER BY id`, merchantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []endpoint
	for rows.Next() {
		var ep endpoint
		var events string
		if err := rows.Scan(&ep.id, &ep.merchant, &events); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(events), &ep.enabled); err != nil {
			return nil, err
		}
		out = append(out, ep)
	}
	return out, rows.Err()
}

// queueWebhooks writes the outbox: one pending delivery of the event's
// message to every enabled endpoint of the session's merchant whose
// enabled_events include the event's type. The message
// id (webhook-id) is the event id.
func queueWebhooks(ctx context.Context, tx *sql.Tx, e checkout.Event, payload []byte, endpoints []endpoint) error {
	for _, ep := range endpoints {
		// Only the event types the endpoint enabled are queued for it.
		if !checkout.WantsEvent(ep.enabled, e.Notify) {
			continue
		}
		id := deliveryID(e.ID, ep.id)
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, message_id, endpoint_id, merchant_id, type, payload,
			status, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
			ON CONFLICT (message_id, endpoint_id) DO NOTHING`,
			id, e.ID, ep.id, ep.merchant, e.Notify, payload, ms(e.CreatedAt), ms(e.CreatedAt), ms(e.CreatedAt)); err != nil {
			return err
		}
	}
	return nil
}

// deliveryID is the id of the delivery of event eventID to endpoint: it
// starts with the event's id (its time, so deliveries sort as their
// events) and ends with the random end of the endpoint's (the start of a
// time-sortable endpoint id is its time, the same for endpoints made in
// one moment).
func deliveryID(eventID, endpoint string) string {
	return checkout.PrefixWebhookDelivery + strings.TrimPrefix(eventID, checkout.PrefixEvent)[:28] + endpoint[len(endpoint)-8:]
}

// SessionEvents returns a session's timeline in order.
func (d *DB) SessionEvents(ctx context.Context, sessionID string) ([]checkout.Event, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, session_id, payment_id, type, data, created_at FROM events WHERE session_id = ? ORDER BY seq`, sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []checkout.Event
	for rows.Next() {
		var e checkout.Event
		var data string
		var created int64
		if err := rows.Scan(&e.ID, &e.SessionID, &e.PaymentID, &e.Type, &data, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}
