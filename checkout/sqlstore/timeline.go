package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// MarkSessionViewed sets the session's first view in one statement guarded
// by viewed_at = 0, and writes events only when it did; ErrConflict
// otherwise, with nothing written.
func (d *DB) MarkSessionViewed(ctx context.Context, sessionID string, at time.Time, events ...checkout.Event) error {
	return d.txGuarded(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET viewed_at = ? WHERE id = ? AND viewed_at = 0`, ms(at), sessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrConflict
		}
		return insertEvents(ctx, tx, events)
	})
}

// RecordBrowserStep inserts e unless its payment has an event of its type
// already: the unique index events_browser_step_once (migration 0017) makes
// the insert do nothing then. The event takes its session's merchant.
func (d *DB) RecordBrowserStep(ctx context.Context, e checkout.Event) (bool, error) {
	data, err := json.Marshal(nonNilMap(e.Data))
	if err != nil {
		return false, err
	}
	// The WHERE clause is part of the guard (no session, no row) and
	// keeps SQLite's parser from reading ON CONFLICT as a join's.
	res, err := d.db.ExecContext(ctx, `INSERT INTO events (id, session_id, payment_id, merchant_id, type, data, notify, payload, created_at)
		SELECT ?, s.id, ?, s.merchant_id, ?, ?, '', NULL, ? FROM sessions s WHERE s.id = ?
		ON CONFLICT DO NOTHING`,
		e.ID, e.PaymentID, e.Type, string(data), ms(e.CreatedAt), e.SessionID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SessionTimeline reads a page of the session's events, the webhook
// deliveries they queued and those deliveries' attempts in one read
// transaction (a snapshot: an event is never seen without the deliveries
// its transaction queued). afterID is an event of the session or a
// delivery one of them queued.
func (d *DB) SessionTimeline(ctx context.Context, sessionID, afterID string, limit int) (*checkout.TimelineRecords, error) {
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var after int64
	if afterID != "" {
		err := tx.QueryRowContext(ctx, `SELECT seq FROM events WHERE session_id = ?
			AND id = COALESCE((SELECT message_id FROM webhook_deliveries WHERE id = ?), ?)`, sessionID, afterID, afterID).Scan(&after)
		if err != nil {
			return nil, notFound(err)
		}
	}
	recs := &checkout.TimelineRecords{}
	rows, err := tx.QueryContext(ctx, `SELECT seq, id, session_id, payment_id, type, data, created_at FROM events
		WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`, sessionID, after, limit+1)
	if err != nil {
		return nil, err
	}
	last := after
	for rows.Next() {
		var e checkout.Event
		var seq, created int64
		var data string
		if err := rows.Scan(&seq, &e.ID, &e.SessionID, &e.PaymentID, &e.Type, &data, &created); err != nil {
			rows.Close()
			return nil, err
		}
		if len(recs.Events) == limit {
			recs.More = true
			break
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			rows.Close()
			return nil, err
		}
		e.CreatedAt, last = fromMS(created), seq
		recs.Events = append(recs.Events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(recs.Events) == 0 {
		return recs, nil
	}
	rows, err = tx.QueryContext(ctx, `SELECT d.id, d.message_id, d.endpoint_id, d.merchant_id, d.type, d.status, d.attempts,
			d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at
		FROM events e JOIN webhook_deliveries d ON d.message_id = e.id
		WHERE e.session_id = ? AND e.seq > ? AND e.seq <= ? ORDER BY e.seq, d.endpoint_id`, sessionID, after, last)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var w checkout.WebhookDelivery
		var next, created, updated int64
		if err := rows.Scan(&w.ID, &w.MessageID, &w.EndpointID, &w.MerchantID, &w.Type, &w.Status, &w.Attempts,
			&next, &w.LastStatus, &w.LastError, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		w.NextAttemptAt, w.CreatedAt, w.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
		recs.Deliveries = append(recs.Deliveries, &w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(recs.Deliveries) == 0 {
		return recs, nil
	}
	rows, err = tx.QueryContext(ctx, `SELECT a.delivery_id, a.number, a.status, a.error, a.duration_ms, a.at
		FROM events e JOIN webhook_deliveries d ON d.message_id = e.id JOIN webhook_attempts a ON a.delivery_id = d.id
		WHERE e.session_id = ? AND e.seq > ? AND e.seq <= ? ORDER BY a.delivery_id, a.number`, sessionID, after, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a checkout.WebhookAttempt
		var at int64
		if err := rows.Scan(&a.DeliveryID, &a.Number, &a.Status, &a.Error, &a.DurationMS, &at); err != nil {
			return nil, err
		}
		a.At = fromMS(at)
		recs.Attempts = append(recs.Attempts, a)
	}
	return recs, rows.Err()
}
