package sqlite

import (
	"context"
	"database/sql"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// CreateRefund inserts r and, in the same transaction, writes the payment
// update that reserves its amount (compare-and-set on the payment version).
func (d *DB) CreateRefund(ctx context.Context, r *checkout.Refund, p *checkout.Payment, events ...checkout.Event) error {
	cols, err := paymentValues(p)
	if err != nil {
		return err
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		if err := updatePayment(ctx, tx, p, cols); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO refunds (id, payment_id, session_id, merchant_id, status, amount, currency, provider_ref,
				provider_code, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.PaymentID, r.SessionID, r.MerchantID, r.Status, r.Amount.Amount, r.Amount.Currency,
			r.ProviderRef, r.ProviderCode, ms(r.CreatedAt), ms(r.UpdatedAt)); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// UpdateRefund writes r's status and references and, when p is not nil, the
// payment (compare-and-set), in one transaction.
func (d *DB) UpdateRefund(ctx context.Context, r *checkout.Refund, p *checkout.Payment, events ...checkout.Event) error {
	var cols []any
	if p != nil {
		var err error
		if cols, err = paymentValues(p); err != nil {
			return err
		}
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		if p != nil {
			if err := updatePayment(ctx, tx, p, cols); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE refunds SET status = ?, provider_ref = ?, provider_code = ?, updated_at = ?
			WHERE id = ?`, r.Status, r.ProviderRef, r.ProviderCode, ms(r.UpdatedAt), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrNotFound
		}
		return insertEvents(ctx, tx, events)
	})
}

// PaymentRefunds lists a payment's refunds, oldest first.
func (d *DB) PaymentRefunds(ctx context.Context, paymentID string) ([]*checkout.Refund, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, payment_id, session_id, merchant_id, status, amount, currency,
		provider_ref, provider_code, created_at, updated_at FROM refunds WHERE payment_id = ? ORDER BY created_at, id`, paymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.Refund
	for rows.Next() {
		var r checkout.Refund
		var created, updated int64
		if err := rows.Scan(&r.ID, &r.PaymentID, &r.SessionID, &r.MerchantID, &r.Status, &r.Amount.Amount,
			&r.Amount.Currency, &r.ProviderRef, &r.ProviderCode, &created, &updated); err != nil {
			return nil, err
		}
		r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, &r)
	}
	return out, rows.Err()
}
