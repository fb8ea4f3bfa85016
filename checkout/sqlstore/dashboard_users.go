package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

const dashboardUserColumns = `id, merchant_id, email, role, password_hash, session_epoch, created_at, updated_at, totp_secret, totp_last_step`

func scanDashboardUser(row scanner) (*checkout.DashboardUser, error) {
	var u checkout.DashboardUser
	var created, updated int64
	if err := row.Scan(&u.ID, &u.MerchantID, &u.Email, &u.Role, &u.PasswordHash, &u.SessionEpoch, &created, &updated,
		&u.TOTPSecret, &u.TOTPLastStep); err != nil {
		return nil, notFound(err)
	}
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return &u, nil
}

// CreateDashboardUser inserts u and its events in one transaction;
// ErrDuplicate when its email is taken (the UNIQUE index decides).
func (d *DB) CreateDashboardUser(ctx context.Context, u *checkout.DashboardUser, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO dashboard_users (`+dashboardUserColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.MerchantID, u.Email, string(u.Role), u.PasswordHash, u.SessionEpoch, ms(u.CreatedAt), ms(u.UpdatedAt),
			u.TOTPSecret, u.TOTPLastStep)
		if isUniqueViolation(err) {
			return checkout.ErrDuplicate
		}
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// DashboardUser loads a user by id.
func (d *DB) DashboardUser(ctx context.Context, id string) (*checkout.DashboardUser, error) {
	return scanDashboardUser(d.db.QueryRowContext(ctx, `SELECT `+dashboardUserColumns+` FROM dashboard_users WHERE id = ?`, id))
}

// DashboardUserByEmail loads a user by their (lower-cased) email.
func (d *DB) DashboardUserByEmail(ctx context.Context, email string) (*checkout.DashboardUser, error) {
	return scanDashboardUser(d.db.QueryRowContext(ctx, `SELECT `+dashboardUserColumns+` FROM dashboard_users WHERE email = ?`, email))
}

// DashboardUsers lists a merchant's users ("" for all merchants) by email.
func (d *DB) DashboardUsers(ctx context.Context, merchantID string) ([]*checkout.DashboardUser, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+dashboardUserColumns+` FROM dashboard_users
		WHERE ? = '' OR merchant_id = ? ORDER BY merchant_id, email`, merchantID, merchantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*checkout.DashboardUser
	for rows.Next() {
		u, err := scanDashboardUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteDashboardUser deletes a user and writes the events, in one
// transaction; ErrNotFound when there is no such user.
func (d *DB) DeleteDashboardUser(ctx context.Context, id string, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM dashboard_users WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return checkout.ErrNotFound
		}
		return insertEvents(ctx, tx, events)
	})
}

// SetDashboardPassword stores a new password hash and moves the session
// epoch on, in one statement guarded by the epoch still being epoch; the
// events are written in the same transaction, only when it changed.
func (d *DB) SetDashboardPassword(ctx context.Context, id string, epoch int64, hash string, at time.Time, events ...checkout.Event) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dashboard_users SET password_hash = ?, session_epoch = session_epoch + 1,
			updated_at = ? WHERE id = ? AND session_epoch = ?`, hash, ms(at), id, epoch)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM dashboard_users WHERE id = ?`, id).Scan(&one); err != nil {
				return notFound(err)
			}
			return checkout.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// CreateDashboardSession inserts a session.
func (d *DB) CreateDashboardSession(ctx context.Context, s *checkout.DashboardSession) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO dashboard_sessions (id, user_id, created_at, seen_at) VALUES (?, ?, ?, ?)`,
		s.ID, s.UserID, ms(s.CreatedAt), ms(s.SeenAt))
	if isUniqueViolation(err) {
		return checkout.ErrDuplicate
	}
	return err
}

// DashboardSession loads a session seen after seenAfter.
func (d *DB) DashboardSession(ctx context.Context, id string, seenAfter time.Time) (*checkout.DashboardSession, error) {
	var s checkout.DashboardSession
	var created, seen int64
	err := d.db.QueryRowContext(ctx, `SELECT id, user_id, created_at, seen_at FROM dashboard_sessions WHERE id = ? AND seen_at > ?`,
		id, ms(seenAfter)).Scan(&s.ID, &s.UserID, &created, &seen)
	if err != nil {
		return nil, notFound(err)
	}
	s.CreatedAt, s.SeenAt = fromMS(created), fromMS(seen)
	return &s, nil
}

// TouchDashboardSession moves a session's seen time on (never back).
func (d *DB) TouchDashboardSession(ctx context.Context, id string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE dashboard_sessions SET seen_at = ? WHERE id = ? AND seen_at < ?`, ms(at), id, ms(at))
	return err
}

// DeleteDashboardSession deletes a session.
func (d *DB) DeleteDashboardSession(ctx context.Context, id string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE id = ?`, id)
	return err
}

// PruneDashboardSessions deletes the sessions not seen since before.
func (d *DB) PruneDashboardSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM dashboard_sessions WHERE seen_at < ?`, ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
