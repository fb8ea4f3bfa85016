package sqlstore

import (
	"context"
	"time"
)

// NotificationSeen reports whether a provider event was handled already.
func (d *DB) NotificationSeen(ctx context.Context, provider, eventID string) (bool, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM provider_notifications WHERE provider = ? AND event_id = ?`,
		provider, eventID).Scan(&n)
	return n > 0, err
}

// RecordNotification remembers a handled provider event; recording it twice
// is not an error.
func (d *DB) RecordNotification(ctx context.Context, provider, eventID string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO provider_notifications (provider, event_id, received_at) VALUES (?, ?, ?)
		ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, ms(at))
	return err
}
