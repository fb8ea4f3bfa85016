package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// CreateSession inserts a session and its first events; ErrDuplicate when
// the merchant already has a session under s.IdempotencyKey.
func (d *DB) CreateSession(ctx context.Context, s *checkout.Session, events ...checkout.Event) error {
	return d.txGuarded(ctx, func(tx *sql.Tx) error { return insertSession(ctx, tx, s, events) })
}

// CreateSessionAnswered inserts s, its events and the completed record of
// the request that made it in one transaction, unless the merchant has a
// record under answer.Key: that one is returned, and nothing is written.
// The record's primary key is the guard (a record written since the read
// that looked for one refuses the insert); the read before it only spares
// a replay the write lock.
func (d *DB) CreateSessionAnswered(ctx context.Context, s *checkout.Session, answer checkout.IdempotencyRecord, events ...checkout.Event) (*checkout.IdempotencyRecord, error) {
	if r, err := idempotencyRecord(ctx, d.db, answer.MerchantID, answer.Key); err != nil || r != nil {
		return r, err
	}
	// Its guards are unique indexes: the session's key, the record's.
	err := d.txGuarded(ctx, func(tx *sql.Tx) error {
		if err := insertSession(ctx, tx, s, events); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (merchant_id, key, request_hash, locked_until, status, body, created_at, owner)
			VALUES (?, ?, ?, 0, ?, ?, ?, '')`, answer.MerchantID, answer.Key, answer.RequestHash, answer.Status, answer.Body, ms(answer.CreatedAt))
		if isUniqueViolation(err) {
			return checkout.ErrDuplicate
		}
		return err
	})
	if errors.Is(err, checkout.ErrDuplicate) {
		// Another request under the key committed first: its record, if
		// it wrote one, is the answer.
		if r, rerr := idempotencyRecord(ctx, d.db, answer.MerchantID, answer.Key); rerr != nil || r != nil {
			return r, rerr
		}
	}
	return nil, err
}

func insertSession(ctx context.Context, tx *sql.Tx, s *checkout.Session, events []checkout.Event) error {
	items, _ := json.Marshal(nonNil(s.LineItems))
	methods, _ := json.Marshal(s.PaymentMethods)
	meta, _ := json.Marshal(nonNilMap(s.Metadata))
	routes, _ := json.Marshal(nonNilMap(s.Routes))
	_, err := tx.ExecContext(ctx, `
		INSERT INTO sessions (id, merchant_id, status, amount, currency, merchant_reference, line_items,
			customer_email, customer_reference, locale, success_url, cancel_url, payment_methods, provider,
			capture_mode, three_ds, metadata, expires_at, created_at, updated_at, routes, setup_recurring, idempotency_key, livemode)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.MerchantID, s.Status, s.Amount.Amount, s.Amount.Currency, s.MerchantReference, string(items),
		s.Customer.Email, s.Customer.Reference, s.Locale, s.SuccessURL, s.CancelURL, string(methods), s.Provider,
		s.CaptureMode, s.ThreeDS, string(meta), ms(s.ExpiresAt), ms(s.CreatedAt), ms(s.UpdatedAt), string(routes), s.SetupRecurring,
		s.IdempotencyKey, s.Livemode)
	if isUniqueViolation(err) && s.IdempotencyKey != "" {
		return checkout.ErrDuplicate
	}
	if err != nil {
		return err
	}
	return insertEventsOf(ctx, tx, s.ID, s.MerchantID, events)
}

const sessionColumns = `id, merchant_id, status, amount, currency, merchant_reference, line_items, customer_email,
	customer_reference, locale, success_url, cancel_url, payment_methods, provider, capture_mode, three_ds,
	metadata, expires_at, created_at, updated_at, routes, setup_recurring, idempotency_key, livemode, viewed_at`

func scanSession(row scanner) (*checkout.Session, error) { return scanSessionAnd(row) }

// scanSessionAnd reads a row of sessionColumns, and then extra's columns.
func scanSessionAnd(row scanner, extra ...any) (*checkout.Session, error) {
	var s checkout.Session
	var items, methods, meta, routes string
	var expires, created, updated, viewed int64
	err := row.Scan(append([]any{
		&s.ID, &s.MerchantID, &s.Status, &s.Amount.Amount, &s.Amount.Currency, &s.MerchantReference, &items,
		&s.Customer.Email, &s.Customer.Reference, &s.Locale, &s.SuccessURL, &s.CancelURL, &methods, &s.Provider,
		&s.CaptureMode, &s.ThreeDS, &meta, &expires, &created, &updated, &routes, &s.SetupRecurring, &s.IdempotencyKey, &s.Livemode,
		&viewed}, extra...)...)
	if err != nil {
		return nil, notFound(err)
	}
	if err := unmarshalAll(items, &s.LineItems, methods, &s.PaymentMethods, meta, &s.Metadata, routes, &s.Routes); err != nil {
		return nil, err
	}
	s.ExpiresAt, s.CreatedAt, s.UpdatedAt = fromMS(expires), fromMS(created), fromMS(updated)
	s.ViewedAt = fromMS(viewed)
	return &s, nil
}

// Session loads a session by id.
func (d *DB) Session(ctx context.Context, id string) (*checkout.Session, error) {
	return scanSession(d.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
}

// SessionWithPayments loads a session and its payments, oldest first. The
// session's row says how many payments it has, in the same statement: a
// session without any (its page before the first payment) is one
// statement.
func (d *DB) SessionWithPayments(ctx context.Context, id string) (*checkout.Session, []*checkout.Payment, error) {
	var n int64
	s, err := scanSessionAnd(d.db.QueryRowContext(ctx, `SELECT `+sessionColumns+`,
		(SELECT count(*) FROM payments p WHERE p.session_id = sessions.id) FROM sessions WHERE id = ?`, id), &n)
	if err != nil || n == 0 {
		return s, nil, err
	}
	pays, err := d.SessionPayments(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return s, pays, nil
}

// SessionByIdempotencyKey loads the merchant's session created under key.
func (d *DB) SessionByIdempotencyKey(ctx context.Context, merchantID, key string) (*checkout.Session, error) {
	if key == "" {
		return nil, checkout.ErrNotFound
	}
	return scanSession(d.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE merchant_id = ? AND idempotency_key = ?`, merchantID, key))
}

// ExpireSession moves an open session to expired in one guarded
// statement: only while no payment of it is active (created, processing,
// waiting for the shopper, pending or paid), and, when dueOnly, only once
// its expiry time has passed at. The events are written only when the row
// changed; otherwise it is ErrConflict and nothing is written.
func (d *DB) ExpireSession(ctx context.Context, id string, at time.Time, dueOnly bool, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET status = 'expired', updated_at = ?
			WHERE id = ? AND status = 'open' AND (? = 0 OR expires_at <= ?)
				AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.session_id = sessions.id
					AND p.status NOT IN ('failed', 'canceled'))`,
			ms(at), id, dueOnly, ms(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrConflict
		}
		return insertEvents(ctx, tx, events)
	})
}

// SessionsExpiringBefore lists open sessions whose expiry time is before t
// and that have no active payment (those wait for it to settle).
func (d *DB) SessionsExpiringBefore(ctx context.Context, t time.Time, limit int) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id FROM sessions WHERE status = 'open' AND expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.session_id = sessions.id AND p.status NOT IN ('failed', 'canceled'))
		ORDER BY expires_at LIMIT ?`,
		ms(t), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
