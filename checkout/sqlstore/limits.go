package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Counter is a sliding-window limiter kept in the database, so that every
// instance on it counts together: the same answers as the in-memory
// handlers/ratelimit.Limiter gives in one process (an event counts while
// now - at < window). It implements checkout.Counter and
// ratelimit.Counter. Its keys live under its namespace.
//
// A database that does not answer refuses (a second's wait): these limits
// guard against card testing and floods, and fail closed.
type Counter struct {
	d         *DB
	namespace string
	mu        sync.Mutex
	maxWindow time.Duration
}

// Counter is a limiter whose keys are namespace:key.
func (d *DB) Counter(namespace string) *Counter {
	return &Counter{d: d, namespace: namespace + ":"}
}

// counterTimeout bounds one limiter call.
const counterTimeout = 5 * time.Second

// Allow records an event for key at now unless limit events already
// happened in the window before it; when refused it says how long until
// one expires. A limit of zero or less allows everything.
func (c *Counter) Allow(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration) {
	if limit <= 0 {
		return true, 0
	}
	c.seen(window)
	ctx, cancel := context.WithTimeout(context.Background(), counterTimeout)
	defer cancel()
	key = c.namespace + key
	allowed, wait := false, time.Second
	err := c.d.tx(ctx, func(tx *sql.Tx) error {
		allowed, wait = false, time.Second
		if _, err := tx.ExecContext(ctx, `DELETE FROM limit_events WHERE key = ? AND at <= ?`, key, ms(now.Add(-window))); err != nil {
			return err
		}
		var n int
		var oldest int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(min(at), 0) FROM limit_events WHERE key = ?`, key).Scan(&n, &oldest); err != nil {
			return err
		}
		if n >= limit {
			wait = time.UnixMilli(oldest).Add(window).Sub(now)
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO limit_events (key, at) VALUES (?, ?)`, key, ms(now)); err != nil {
			return err
		}
		allowed, wait = true, 0
		return nil
	})
	if err != nil {
		return false, time.Second
	}
	return allowed, wait
}

// Blocked reports, without recording anything, whether key already had
// limit events in the window before now, and how long until one expires.
func (c *Counter) Blocked(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration) {
	if limit <= 0 {
		return false, 0
	}
	c.seen(window)
	ctx, cancel := context.WithTimeout(context.Background(), counterTimeout)
	defer cancel()
	var n int
	var oldest int64
	if err := c.d.db.QueryRowContext(ctx, `SELECT count(*), coalesce(min(at), 0) FROM limit_events WHERE key = ? AND at > ?`,
		c.namespace+key, ms(now.Add(-window))).Scan(&n, &oldest); err != nil {
		return true, time.Second
	}
	if n < limit {
		return false, 0
	}
	return true, time.UnixMilli(oldest).Add(window).Sub(now)
}

// Sweep deletes the namespace's events older than the longest window used
// (the workers call it on a timer).
func (c *Counter) Sweep(now time.Time) {
	c.mu.Lock()
	window := c.maxWindow
	c.mu.Unlock()
	if window == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), counterTimeout)
	defer cancel()
	_, _ = c.d.db.ExecContext(ctx, `DELETE FROM limit_events WHERE at <= ? AND substr(key, 1, ?) = ?`,
		ms(now.Add(-window)), len(c.namespace), c.namespace)
}

func (c *Counter) seen(window time.Duration) {
	c.mu.Lock()
	c.maxWindow = max(c.maxWindow, window)
	c.mu.Unlock()
}
