package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// CreateRefund reserves r's amount on its payment and inserts r (pending),
// in one transaction. The reservation is one guarded statement: only a paid
// payment whose confirmed and pending refunds leave room for r; otherwise
// ErrConflict and nothing is written. ErrDuplicate when the merchant already
// has a refund under r.IdempotencyKey, or r retries a refund retried before.
func (d *DB) CreateRefund(ctx context.Context, r *checkout.Refund, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE payments SET amount_refund_pending = amount_refund_pending + ?,
				version = version + 1, updated_at = ?
			WHERE id = ? AND status IN ('succeeded', 'captured', 'partially_refunded')
				AND amount_refunded + amount_refund_pending + ? <= amount`,
			r.Amount.Amount, ms(r.CreatedAt), r.PaymentID, r.Amount.Amount)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrConflict
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO refunds (`+refundColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.PaymentID, r.SessionID, r.MerchantID, r.Status, r.Amount.Amount, r.Amount.Currency,
			r.ProviderRef, r.ProviderCode, ms(r.CreatedAt), ms(r.UpdatedAt), ms(r.NextCheckAt), r.CheckCount,
			r.RetryOf, r.IdempotencyKey, r.Livemode)
		if isUniqueViolation(err) {
			return checkout.ErrDuplicate
		}
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// UpdateRefund writes a pending refund's new state (its status, provider
// references and check schedule) and, when p is not nil, the payment
// (compare-and-set on its version), in one transaction. Only a refund still
// pending changes: one settled meanwhile makes it ErrConflict, as does a
// payment that moved; then nothing, events included, is written.
func (d *DB) UpdateRefund(ctx context.Context, r *checkout.Refund, p *checkout.Payment, events ...checkout.Event) error {
	var cols []any
	if p != nil {
		var err error
		if cols, err = paymentValues(p); err != nil {
			return err
		}
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = ?, provider_ref = ?, provider_code = ?, updated_at = ?,
				next_check_at = ?, check_count = ?
			WHERE id = ? AND status = 'pending'`,
			r.Status, r.ProviderRef, r.ProviderCode, ms(r.UpdatedAt), ms(r.NextCheckAt), r.CheckCount, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrConflict
		}
		if p != nil {
			if err := updatePayment(ctx, tx, p, cols); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, events)
	})
}

const refundColumns = `id, payment_id, session_id, merchant_id, status, amount, currency, provider_ref, provider_code,
	created_at, updated_at, next_check_at, check_count, retry_of, idempotency_key, livemode`

func scanRefund(row scanner) (*checkout.Refund, error) {
	var r checkout.Refund
	var created, updated, next int64
	if err := row.Scan(&r.ID, &r.PaymentID, &r.SessionID, &r.MerchantID, &r.Status, &r.Amount.Amount,
		&r.Amount.Currency, &r.ProviderRef, &r.ProviderCode, &created, &updated, &next, &r.CheckCount,
		&r.RetryOf, &r.IdempotencyKey, &r.Livemode); err != nil {
		return nil, notFound(err)
	}
	r.CreatedAt, r.UpdatedAt, r.NextCheckAt = fromMS(created), fromMS(updated), fromMS(next)
	return &r, nil
}

func (d *DB) refunds(ctx context.Context, query string, args ...any) ([]*checkout.Refund, error) {
	return refundsFrom(ctx, d.db, query, args...)
}

func refundsFrom(ctx context.Context, q querier, query string, args ...any) ([]*checkout.Refund, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Refund loads a refund by id.
func (d *DB) Refund(ctx context.Context, id string) (*checkout.Refund, error) {
	return scanRefund(d.db.QueryRowContext(ctx, `SELECT `+refundColumns+` FROM refunds WHERE id = ?`, id))
}

// RefundByIdempotencyKey loads the merchant's refund created under key.
func (d *DB) RefundByIdempotencyKey(ctx context.Context, merchantID, key string) (*checkout.Refund, error) {
	if key == "" {
		return nil, checkout.ErrNotFound
	}
	return scanRefund(d.db.QueryRowContext(ctx, `SELECT `+refundColumns+` FROM refunds
		WHERE merchant_id = ? AND idempotency_key = ?`, merchantID, key))
}

// RefundRetry loads the refund that retried the failed refund id. No id
// has no retry: every refund that is not a retry has an empty retry_of.
func (d *DB) RefundRetry(ctx context.Context, id string) (*checkout.Refund, error) {
	if id == "" {
		return nil, checkout.ErrNotFound
	}
	return scanRefund(d.db.QueryRowContext(ctx, `SELECT `+refundColumns+` FROM refunds WHERE retry_of = ?`, id))
}

// RefundByProviderRef finds a refund of one of provider's payments by the
// provider's id for the refund.
func (d *DB) RefundByProviderRef(ctx context.Context, provider, ref string) (*checkout.Refund, error) {
	if ref == "" {
		return nil, checkout.ErrNotFound
	}
	return scanRefund(d.db.QueryRowContext(ctx, `SELECT `+prefixed("r.", refundColumns)+` FROM refunds r
		JOIN payments p ON p.id = r.payment_id WHERE p.provider = ? AND r.provider_ref = ?
		ORDER BY r.created_at DESC LIMIT 1`, provider, ref))
}

// PaymentRefunds lists a payment's refunds, oldest first.
func (d *DB) PaymentRefunds(ctx context.Context, paymentID string) ([]*checkout.Refund, error) {
	return d.refunds(ctx, `SELECT `+refundColumns+` FROM refunds WHERE payment_id = ? ORDER BY created_at, id`, paymentID)
}

// RefundsToCheck lists pending refunds whose next inquiry is due.
func (d *DB) RefundsToCheck(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*checkout.Refund, error) {
	return claimed(ctx, d, refundsFrom, `UPDATE refunds SET next_check_at = ? WHERE id IN (
		SELECT id FROM refunds WHERE status = 'pending' AND next_check_at <= ? ORDER BY next_check_at LIMIT ?`+d.dialect.skipLocked()+`)
		RETURNING `+refundColumns, ms(now.Add(max(lease, time.Millisecond))), ms(now), limit)
}

// CheckRefundsNow makes every pending refund of a payment due for an
// inquiry now (a provider said something about the payment's refunds).
func (d *DB) CheckRefundsNow(ctx context.Context, paymentID string, now time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE refunds SET next_check_at = ? WHERE payment_id = ? AND status = 'pending'`,
		ms(now), paymentID)
	return err
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
