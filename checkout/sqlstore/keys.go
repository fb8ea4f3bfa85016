package sqlstore

import (
	"context"
	"time"
)

// ServerKey returns the key stored under name, storing fresh first when
// there is none yet (the first of several instances to start wins).
func (d *DB) ServerKey(ctx context.Context, name string, fresh []byte, at time.Time) ([]byte, error) {
	if _, err := d.db.ExecContext(ctx, `INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, name, fresh, ms(at)); err != nil {
		return nil, err
	}
	var key []byte
	if err := d.db.QueryRowContext(ctx, `SELECT value FROM server_keys WHERE name = ?`, name).Scan(&key); err != nil {
		return nil, err
	}
	return key, nil
}
