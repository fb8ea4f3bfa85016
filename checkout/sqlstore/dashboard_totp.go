package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// EnableDashboardTOTP stores a user's sealed TOTP secret and the step its
// confirming code used, in one statement guarded by the user having no
// secret (a second confirmation changes nothing: ErrConflict); the events
// are written in the same transaction, only when it changed.
func (d *DB) EnableDashboardTOTP(ctx context.Context, id, sealed string, step int64, at time.Time, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dashboard_users SET totp_secret = ?, totp_last_step = `+d.dialect.greatest("totp_last_step", "?")+`,
			updated_at = ? WHERE id = ? AND totp_secret = ''`, sealed, step, ms(at), id)
		if err != nil {
			return err
		}
		if err := userChanged(ctx, tx, res, id); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// DisableDashboardTOTP clears a user's TOTP secret, in one statement
// guarded by the user having one (ErrConflict otherwise); the events are
// written in the same transaction, only when it changed. The last step
// used stays: it only ever grows.
func (d *DB) DisableDashboardTOTP(ctx context.Context, id string, at time.Time, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dashboard_users SET totp_secret = '', updated_at = ? WHERE id = ? AND totp_secret != ''`,
			ms(at), id)
		if err != nil {
			return err
		}
		if err := userChanged(ctx, tx, res, id); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// UseDashboardTOTPStep records step as the user's last used one: the
// compare-and-set is the statement's condition (the secret the code was
// checked against is still the user's, and step is later than the last
// one used), so of two uses of one code only one changes the row; the
// other is ErrConflict.
func (d *DB) UseDashboardTOTPStep(ctx context.Context, id, sealed string, step int64) error {
	res, err := d.db.ExecContext(ctx, `UPDATE dashboard_users SET totp_last_step = ?
		WHERE id = ? AND totp_secret = ? AND totp_secret != '' AND totp_last_step < ?`, step, id, sealed, step)
	if err != nil {
		return err
	}
	return userChanged(ctx, d.db, res, id)
}

// userChanged is nil when res changed the user's row; else ErrNotFound
// when there is no such user, ErrConflict when the statement's guard held
// it back.
func userChanged(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, res sql.Result, id string) error {
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var one int
	if err := q.QueryRowContext(ctx, `SELECT 1 FROM dashboard_users WHERE id = ?`, id).Scan(&one); err != nil {
		return notFound(err)
	}
	return checkout.ErrConflict
}
