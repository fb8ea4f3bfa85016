package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// NotificationSeen reports whether a provider event was handled already.
func (d *DB) NotificationSeen(ctx context.Context, provider, eventID string) (bool, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM provider_notifications WHERE provider = ? AND event_id = ?`,
		provider, eventID).Scan(&n)
	return n > 0, err
}

// RecordNotification remembers a handled provider event, with the events
// its handling adds to a timeline, in one transaction; recording it twice
// is not an error.
func (d *DB) RecordNotification(ctx context.Context, provider, eventID string, at time.Time, events ...checkout.Event) error {
	record := func(ctx context.Context, q execer) error {
		_, err := q.ExecContext(ctx, `INSERT INTO provider_notifications (provider, event_id, received_at) VALUES (?, ?, ?)
			ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, ms(at))
		return err
	}
	if len(events) == 0 {
		return record(ctx, d.db)
	}
	// No guard: the record's insert does nothing for one seen already.
	return d.txGuarded(ctx, func(tx *sql.Tx) error {
		if err := record(ctx, tx); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// execer is a pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
