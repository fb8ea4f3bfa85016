package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// BeginIdempotent claims an idempotency key. It returns nil when the caller
// owns the key now (new, or an abandoned claim whose lease ran out), or the
// stored record for the caller to replay or refuse.
func (d *DB) BeginIdempotent(ctx context.Context, rec checkout.IdempotencyRecord) (*checkout.IdempotencyRecord, error) {
	var existing *checkout.IdempotencyRecord
	err := d.tx(ctx, func(tx *sql.Tx) error {
		existing = nil
		r, err := idempotencyRecord(ctx, tx, rec.MerchantID, rec.Key)
		if err != nil {
			return err
		}
		if r == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (merchant_id, key, request_hash, locked_until, created_at, owner)
				VALUES (?, ?, ?, ?, ?, ?)`, rec.MerchantID, rec.Key, rec.RequestHash, ms(rec.LockedUntil), ms(rec.CreatedAt), rec.Owner)
			return err
		}
		// The first request died holding the lease: the same request takes
		// it over, in a statement that holds the conditions itself.
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET locked_until = ?, owner = ?
			WHERE merchant_id = ? AND key = ? AND status = 0 AND request_hash = ? AND locked_until <= ?`,
			ms(rec.LockedUntil), rec.Owner, rec.MerchantID, rec.Key, rec.RequestHash, ms(rec.CreatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		existing = r
		return nil
	})
	return existing, err
}

// CompleteIdempotent stores the answer of the request holding the key,
// only while owner still holds it: ErrConflict otherwise (its lease ran
// out and another request took the key over).
func (d *DB) CompleteIdempotent(ctx context.Context, merchantID, key, owner string, status int, body []byte) error {
	res, err := d.db.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, body = ?, locked_until = 0
		WHERE merchant_id = ? AND key = ? AND owner = ? AND status = 0`,
		status, body, merchantID, key, owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return checkout.ErrConflict
	}
	return nil
}

// ReleaseIdempotent forgets a key whose request should not be remembered
// (it failed validation), so a corrected retry can use it; only owner's
// claim, never an answer or another request's claim.
func (d *DB) ReleaseIdempotent(ctx context.Context, merchantID, key, owner string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE merchant_id = ? AND key = ? AND owner = ? AND status = 0`,
		merchantID, key, owner)
	return err
}

// PruneIdempotent deletes records created before the cut-off (24 hours ago in production).
func (d *DB) PruneIdempotent(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// IdempotencyRecord reads the merchant's record under key (nil when none).
func (d *DB) IdempotencyRecord(ctx context.Context, merchantID, key string) (*checkout.IdempotencyRecord, error) {
	return idempotencyRecord(ctx, d.db, merchantID, key)
}

// idempotencyRecord reads the merchant's record under key (nil when none).
func idempotencyRecord(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, merchantID, key string) (*checkout.IdempotencyRecord, error) {
	var r checkout.IdempotencyRecord
	var locked, created int64
	err := q.QueryRowContext(ctx, `SELECT merchant_id, key, request_hash, locked_until, status, body, created_at
		FROM idempotency_keys WHERE merchant_id = ? AND key = ?`, merchantID, key).Scan(
		&r.MerchantID, &r.Key, &r.RequestHash, &locked, &r.Status, &r.Body, &created)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.LockedUntil, r.CreatedAt = fromMS(locked), fromMS(created)
	return &r, nil
}
