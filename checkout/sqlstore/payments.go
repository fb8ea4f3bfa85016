package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// CreatePayment inserts a payment attempt, in one statement, only while its
// session is open and not past its expiry time (at p.CreatedAt):
// ErrSessionNotOpen otherwise. ErrConflict when the session already has an
// active attempt (or the attempt number or form token is taken).
func (d *DB) CreatePayment(ctx context.Context, p *checkout.Payment, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		cols, err := paymentValues(p)
		if err != nil {
			return err
		}
		args := append([]any{p.ID, p.SessionID, p.MerchantID, p.Provider, p.Method, p.Livemode}, cols...)
		res, err := tx.ExecContext(ctx, `
			INSERT INTO payments (id, session_id, merchant_id, provider, method, livemode, `+paymentMutableColumns+`)
			SELECT ?, ?, ?, ?, ?, ?, `+placeholders(len(cols))+`
			WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ? AND status = 'open' AND expires_at > ?)`,
			append(args, p.SessionID, ms(p.CreatedAt))...)
		if isUniqueViolation(err) {
			return checkout.ErrConflict
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrSessionNotOpen
		}
		return insertEventsOf(ctx, tx, p.SessionID, p.MerchantID, events)
	})
}

// paymentMutableColumns are the columns paymentValues fills, in its order.
const paymentMutableColumns = `status, amount, currency, capture_mode, provider_ref, provider_data, card, browser, action,
	three_ds, decline, shopper_message, attempt, version, next_check_at, check_count, created_at, updated_at,
	amount_refunded, saved_card_id, form_token, amount_refund_pending`

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// paymentValues are the mutable columns, from status to updated_at, in table order.
func paymentValues(p *checkout.Payment) ([]any, error) {
	data, err := json.Marshal(nonNilMap(p.ProviderData))
	if err != nil {
		return nil, err
	}
	browser, err := json.Marshal(p.Browser)
	if err != nil {
		return nil, err
	}
	return []any{p.Status, p.Amount.Amount, p.Amount.Currency, p.CaptureMode, p.ProviderRef, string(data),
		jsonOrNull(p.Card), string(browser), jsonOrNull(p.Action), jsonOrNull(p.ThreeDS), jsonOrNull(p.Decline),
		p.ShopperMessage, p.Attempt, p.Version, ms(p.NextCheckAt), p.CheckCount, ms(p.CreatedAt), ms(p.UpdatedAt),
		p.AmountRefunded, p.SavedCardID, p.FormToken, p.AmountRefundPending}, nil
}

// UpdatePayment writes p when the stored version is p.Version-1, applies the
// optional session change if the session is still in its From status (with
// the change's own events only then), and appends the events, all in one
// transaction.
func (d *DB) UpdatePayment(ctx context.Context, p *checkout.Payment, session *checkout.SessionChange, events ...checkout.Event) error {
	cols, err := paymentValues(p)
	if err != nil {
		return err
	}
	// Its guards are single statements: the payment's compare-and-set, the
	// session's move from its expected status.
	return d.txGuarded(ctx, func(tx *sql.Tx) error {
		if err := updatePayment(ctx, tx, p, cols); err != nil {
			return err
		}
		if session != nil {
			// A paid payment is recorded whatever happened to the session
			// meanwhile; the session moves, and says so, only if it is
			// still where we expect.
			res, err := tx.ExecContext(ctx, `UPDATE sessions SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
				session.To, ms(p.UpdatedAt), p.SessionID, session.From)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				// A copy: on PostgreSQL the transaction may run again.
				return insertEventsOf(ctx, tx, p.SessionID, p.MerchantID, append(slices.Clone(events), session.Events...))
			}
		}
		return insertEventsOf(ctx, tx, p.SessionID, p.MerchantID, events)
	})
}

// updatePayment is the compare-and-set write of p's mutable columns.
func updatePayment(ctx context.Context, tx *sql.Tx, p *checkout.Payment, cols []any) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE payments SET status = ?, amount = ?, currency = ?, capture_mode = ?, provider_ref = ?,
			provider_data = ?, card = ?, browser = ?, action = ?, three_ds = ?, decline = ?, shopper_message = ?,
			attempt = ?, version = ?, next_check_at = ?, check_count = ?, created_at = ?, updated_at = ?,
			amount_refunded = ?, saved_card_id = ?, form_token = ?, amount_refund_pending = ?
		WHERE id = ? AND version = ?`,
		append(cols, p.ID, p.Version-1)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return checkout.ErrConflict
	}
	return nil
}

const paymentColumns = `id, session_id, merchant_id, provider, method, livemode, ` + paymentMutableColumns

type scanner interface{ Scan(dest ...any) error }

func scanPayment(row scanner) (*checkout.Payment, error) {
	var p checkout.Payment
	var data, browser string
	var card, action, threeDS, decline sql.NullString
	var next, created, updated int64
	err := row.Scan(&p.ID, &p.SessionID, &p.MerchantID, &p.Provider, &p.Method, &p.Livemode, &p.Status, &p.Amount.Amount,
		&p.Amount.Currency, &p.CaptureMode, &p.ProviderRef, &data, &card, &browser, &action, &threeDS, &decline,
		&p.ShopperMessage, &p.Attempt, &p.Version, &next, &p.CheckCount, &created, &updated, &p.AmountRefunded, &p.SavedCardID, &p.FormToken, &p.AmountRefundPending)
	if err != nil {
		return nil, notFound(err)
	}
	if err := unmarshalAll(data, &p.ProviderData, browser, &p.Browser); err != nil {
		return nil, err
	}
	if err := unmarshalNull(card, &p.Card); err != nil {
		return nil, err
	}
	if err := unmarshalNull(action, &p.Action); err != nil {
		return nil, err
	}
	if err := unmarshalNull(threeDS, &p.ThreeDS); err != nil {
		return nil, err
	}
	if err := unmarshalNull(decline, &p.Decline); err != nil {
		return nil, err
	}
	p.NextCheckAt, p.CreatedAt, p.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
	return &p, nil
}

// Payment loads a payment by id.
func (d *DB) Payment(ctx context.Context, id string) (*checkout.Payment, error) {
	return scanPayment(d.db.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id))
}

// SessionPayments lists a session's attempts, oldest first.
func (d *DB) SessionPayments(ctx context.Context, sessionID string) ([]*checkout.Payment, error) {
	return d.payments(ctx, `SELECT `+paymentColumns+` FROM payments WHERE session_id = ? ORDER BY attempt`, sessionID)
}

// PaymentsToCheck lists in-flight (and long-authorized) payments whose
// next inquiry is due.
func (d *DB) PaymentsToCheck(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*checkout.Payment, error) {
	return claimed(ctx, d, paymentsFrom, `UPDATE payments SET next_check_at = ? WHERE id IN (
		SELECT id FROM payments
		WHERE next_check_at > 0 AND next_check_at <= ?
			AND status IN ('created', 'processing', 'requires_action', 'pending', 'authorized')
		ORDER BY next_check_at LIMIT ?`+d.dialect.skipLocked()+`)
		RETURNING `+paymentColumns, ms(now.Add(max(lease, time.Millisecond))), ms(now), limit)
}

// PaymentByProviderRef finds a payment by the provider's id for it.
func (d *DB) PaymentByProviderRef(ctx context.Context, provider, ref string) (*checkout.Payment, error) {
	if ref == "" {
		return nil, checkout.ErrNotFound
	}
	return scanPayment(d.db.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE provider = ? AND provider_ref = ? ORDER BY created_at DESC LIMIT 1`, provider, ref))
}

func (d *DB) payments(ctx context.Context, query string, args ...any) ([]*checkout.Payment, error) {
	return paymentsFrom(ctx, d.db, query, args...)
}

func paymentsFrom(ctx context.Context, q querier, query string, args ...any) ([]*checkout.Payment, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.Payment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
