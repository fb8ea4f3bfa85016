package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func eventsJSON(events []string) string {
	if len(events) == 0 {
		return `["*"]`
	}
	b, _ := json.Marshal(events)
	return string(b)
}

// SaveWebhookEndpoint inserts or updates an endpoint (the demo merchant's
// seed and tests; the API creates endpoints with InsertWebhookEndpoint).
func (d *DB) SaveWebhookEndpoint(ctx context.Context, e *checkout.WebhookEndpoint) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled, created_at, enabled_events)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, secret = excluded.secret, enabled = excluded.enabled,
			enabled_events = excluded.enabled_events`,
		e.ID, e.MerchantID, e.URL, e.Secret, e.Enabled, ms(e.CreatedAt), eventsJSON(e.EnabledEvents))
	return err
}

// InsertWebhookEndpoint adds an endpoint only while its merchant has fewer
// than max live ones: the count is part of the INSERT, so concurrent
// creations cannot overshoot (SQLite runs one writer at a time).
func (d *DB) InsertWebhookEndpoint(ctx context.Context, e *checkout.WebhookEndpoint, max int) error {
	res, err := d.db.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled, created_at, enabled_events)
		SELECT ?, ?, ?, ?, ?, ?, ?
		WHERE (SELECT count(*) FROM webhook_endpoints WHERE merchant_id = ? AND deleted_at = 0) < ?`,
		e.ID, e.MerchantID, e.URL, e.Secret, e.Enabled, ms(e.CreatedAt), eventsJSON(e.EnabledEvents), e.MerchantID, max)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return checkout.ErrEndpointLimit
	}
	return nil
}

const endpointColumns = `id, merchant_id, url, secret, enabled, created_at, previous_secret, previous_secret_expires_at,
	enabled_events, consecutive_failures`

func scanEndpoint(row scanner) (*checkout.WebhookEndpoint, error) {
	var e checkout.WebhookEndpoint
	var created, previousExpires int64
	var events string
	if err := row.Scan(&e.ID, &e.MerchantID, &e.URL, &e.Secret, &e.Enabled, &created, &e.PreviousSecret, &previousExpires,
		&events, &e.ConsecutiveFailures); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(events), &e.EnabledEvents); err != nil || len(e.EnabledEvents) == 0 {
		e.EnabledEvents = []string{"*"}
	}
	e.CreatedAt, e.PreviousSecretExpiresAt = fromMS(created), fromMS(previousExpires)
	return &e, nil
}

// DeleteWebhookEndpoint marks the merchant's endpoint deleted (kept for the
// delivery log) and disabled, and cancels its pending deliveries, in one
// transaction.
func (d *DB) DeleteWebhookEndpoint(ctx context.Context, merchantID, id string, now time.Time) (*checkout.WebhookEndpoint, error) {
	var e *checkout.WebhookEndpoint
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET deleted_at = ?, enabled = 0
			WHERE id = ? AND merchant_id = ? AND deleted_at = 0`, ms(now), id, merchantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'canceled', last_error = 'endpoint_deleted', updated_at = ?
			WHERE endpoint_id = ? AND status = 'pending'`, ms(now), id); err != nil {
			return err
		}
		e, err = scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`, id))
		return err
	})
	return e, err
}

// SetWebhookEndpointEnabled turns the merchant's endpoint off or on. On
// clears its failure streak and makes its held pending deliveries due now
// (their attempt counts are untouched: nothing was lost while it was off).
func (d *DB) SetWebhookEndpointEnabled(ctx context.Context, merchantID, id string, enabled bool, now time.Time) (*checkout.WebhookEndpoint, error) {
	var e *checkout.WebhookEndpoint
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = ?,
			consecutive_failures = CASE WHEN ? = 1 THEN 0 ELSE consecutive_failures END
			WHERE id = ? AND merchant_id = ? AND deleted_at = 0`, enabled, enabled, id, merchantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrNotFound
		}
		if enabled {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = `+d.dialect.least("next_attempt_at", "?")+`
				WHERE endpoint_id = ? AND status = 'pending'`, ms(now), id); err != nil {
				return err
			}
		}
		e, err = scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`, id))
		return err
	})
	return e, err
}

// WebhookEndpoints lists a merchant's endpoints that are not deleted,
// oldest first.
func (d *DB) WebhookEndpoints(ctx context.Context, merchantID string) ([]*checkout.WebhookEndpoint, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE merchant_id = ? AND deleted_at = 0 ORDER BY created_at, id`, merchantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RotateWebhookSecret swaps in a new secret in one statement: the old one
// becomes the previous secret (replacing any earlier one) until
// previousUntil.
func (d *DB) RotateWebhookSecret(ctx context.Context, merchantID, id, current, fresh string, previousUntil time.Time) (*checkout.WebhookEndpoint, error) {
	var e *checkout.WebhookEndpoint
	err := d.tx(ctx, func(tx *sql.Tx) error {
		// SQLite reads every right-hand side from the row as it was, so
		// previous_secret gets the old secret.
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = ?,
			secret = ? WHERE id = ? AND merchant_id = ? AND deleted_at = 0 AND (? = '' OR secret = ?)`,
			ms(previousUntil), fresh, id, merchantID, current, current)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND deleted_at = 0`,
				id, merchantID).Scan(&one); err != nil {
				return notFound(err)
			}
			return checkout.ErrConflict
		}
		e, err = scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ?`, id))
		return err
	})
	return e, err
}

const deliveryColumns = `d.id, d.message_id, d.endpoint_id, d.merchant_id, d.type, d.payload, d.status, d.attempts,
	d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at`

func scanDelivery(row scanner, extra ...any) (*checkout.WebhookDelivery, error) {
	var w checkout.WebhookDelivery
	var next, created, updated int64
	dest := []any{&w.ID, &w.MessageID, &w.EndpointID, &w.MerchantID, &w.Type, &w.Payload, &w.Status, &w.Attempts,
		&next, &w.LastStatus, &w.LastError, &created, &updated}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, notFound(err)
	}
	w.NextAttemptAt, w.CreatedAt, w.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
	return &w, nil
}

// ClaimWebhookDeliveries leases due pending deliveries of enabled
// endpoints, at most perMerchant of each merchant (the earliest due), the
// earliest due first: one merchant's backlog can never fill a round. Their
// next attempt moves to now+lease inside the claiming transaction, so
// another relay (or this one after a crash) takes them only once the lease
// ran out.
func (d *DB) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit, perMerchant int) ([]*checkout.WebhookDelivery, error) {
	var out []*checkout.WebhookDelivery
	if perMerchant <= 0 {
		perMerchant = limit
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0] // on PostgreSQL the transaction may run again
		// A rotated-out secret signs only until it expires.
		rows, err := tx.QueryContext(ctx, `WITH due AS (
				SELECT d.id, ROW_NUMBER() OVER (PARTITION BY d.merchant_id ORDER BY d.next_attempt_at, d.id) AS n
				FROM webhook_deliveries d
				JOIN webhook_endpoints e ON e.id = d.endpoint_id
				WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND e.enabled = 1 AND e.deleted_at = 0)
			SELECT `+deliveryColumns+`, e.url, e.secret,
			CASE WHEN e.previous_secret_expires_at > ? THEN e.previous_secret ELSE '' END
			FROM due
			JOIN webhook_deliveries d ON d.id = due.id
			JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE due.n <= ?
			ORDER BY d.next_attempt_at, d.id LIMIT ?`, ms(now), ms(now), perMerchant, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var url, secret, previous string
			w, err := scanDelivery(rows, &url, &secret, &previous)
			if err != nil {
				rows.Close()
				return err
			}
			w.URL, w.Secret, w.PreviousSecret = url, secret, previous
			out = append(out, w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, w := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?`,
				ms(now.Add(lease)), w.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// RecordWebhookAttempt logs an attempt and sets the delivery's outcome (and
// next attempt when it stays pending); disableEndpoint turns the endpoint
// off. It keeps the endpoint's failure streak: a success resets it, a
// failure adds one, and from checkout.EndpointBackoffAfter failures in a
// row every pending delivery of the endpoint waits at least
// checkout.EndpointBackoff(streak), without using up an attempt. A
// delivery canceled meanwhile (its endpoint deleted) stays canceled.
func (d *DB) RecordWebhookAttempt(ctx context.Context, a checkout.WebhookAttempt, status string, next time.Time, disableEndpoint bool) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, number, status, error, duration_ms, at)
			VALUES (?, ?, ?, ?, ?, ?)`, a.DeliveryID, a.Number, a.Status, a.Error, a.DurationMS, ms(a.At)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = CASE WHEN status = 'canceled' THEN status ELSE ? END,
			attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, updated_at = ? WHERE id = ?`,
			status, a.Number, ms(next), a.Status, a.Error, ms(a.At), a.DeliveryID); err != nil {
			return err
		}
		var endpointID string
		var streak int
		if err := tx.QueryRowContext(ctx, `UPDATE webhook_endpoints
			SET consecutive_failures = CASE WHEN ? = 1 THEN 0 ELSE consecutive_failures + 1 END
			WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?)
			RETURNING id, consecutive_failures`, status == checkout.DeliverySucceeded, a.DeliveryID).Scan(&endpointID, &streak); err != nil {
			return err
		}
		if wait := checkout.EndpointBackoff(streak); wait > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = `+d.dialect.greatest("next_attempt_at", "?")+`
				WHERE endpoint_id = ? AND status = 'pending'`, ms(a.At.Add(wait)), endpointID); err != nil {
				return err
			}
		}
		if disableEndpoint {
			_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = 0
				WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?)`, a.DeliveryID)
			return err
		}
		return nil
	})
}

// WebhookDeliveries lists a merchant's deliveries, newest first.
func (d *DB) WebhookDeliveries(ctx context.Context, merchantID string, limit int) ([]*checkout.WebhookDelivery, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
		WHERE d.merchant_id = ? ORDER BY d.created_at DESC, d.id DESC LIMIT ?`, merchantID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.WebhookDelivery
	for rows.Next() {
		w, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// WebhookAttempts lists a delivery's attempts in order.
func (d *DB) WebhookAttempts(ctx context.Context, deliveryID string) ([]checkout.WebhookAttempt, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT delivery_id, number, status, error, duration_ms, at FROM webhook_attempts
		WHERE delivery_id = ? ORDER BY number`, deliveryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []checkout.WebhookAttempt
	for rows.Next() {
		var a checkout.WebhookAttempt
		var at int64
		if err := rows.Scan(&a.DeliveryID, &a.Number, &a.Status, &a.Error, &a.DurationMS, &at); err != nil {
			return nil, err
		}
		a.At = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// RedeliverWebhook makes a delivery pending and due now.
func (d *DB) RedeliverWebhook(ctx context.Context, merchantID, id string, now time.Time) (*checkout.WebhookDelivery, error) {
	// A delivery of a deleted endpoint has nowhere to go.
	res, err := d.db.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?
		WHERE id = ? AND merchant_id = ?
		AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE deleted_at = 0)`, ms(now), ms(now), id, merchantID)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, checkout.ErrNotFound
	}
	return scanDelivery(d.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.id = ?`, id))
}

// QueueTestWebhook writes one pending delivery of a test event to the
// merchant's endpoint (see checkout.Store): the endpoint's ownership,
// life and being enabled are conditions of the insert itself; a refusal is
// then told apart by reading the endpoint, in the same transaction.
func (d *DB) QueueTestWebhook(ctx context.Context, w *checkout.WebhookDelivery) error {
	id := deliveryID(w.MessageID, w.EndpointID)
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, message_id, endpoint_id, merchant_id, type, payload,
			status, next_attempt_at, created_at, updated_at)
			SELECT ?, ?, e.id, e.merchant_id, ?, ?, 'pending', ?, ?, ? FROM webhook_endpoints e
			WHERE e.id = ? AND e.merchant_id = ? AND e.deleted_at = 0 AND e.enabled = 1`,
			id, w.MessageID, w.Type, w.Payload, ms(w.NextAttemptAt), ms(w.CreatedAt), ms(w.UpdatedAt), w.EndpointID, w.MerchantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			w.ID = id
			return nil
		}
		var enabled bool
		err = tx.QueryRowContext(ctx, `SELECT enabled FROM webhook_endpoints WHERE id = ? AND merchant_id = ? AND deleted_at = 0`,
			w.EndpointID, w.MerchantID).Scan(&enabled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return checkout.ErrNotFound
		case err != nil:
			return err
		case !enabled:
			return checkout.ErrEndpointDisabled
		}
		return errors.New("test webhook: the endpoint is enabled but the delivery was not written")
	})
}
