// Package ratelimit holds the in-memory sliding-window Limiter the HTTP
// layer throttles with (merchant API, session pages, CSP reports), and the
// merchant API's limits built on it. It imports no package of this module:
// checkout's card-testing limits use the Limiter through checkout.Counter.
package ratelimit

import (
	"slices"
	"sync"
	"time"
)

// Limiter counts events per key over a sliding window (in memory, so per
// process: the server on SQLite; instances on PostgreSQL share
// checkout/sqlstore.Counter instead). Its memory is bounded: keys idle for a whole
// window are swept at least once a minute of its clock (the injectable
// now of each call), and it never holds more than MaxKeys keys.
// Callers key it only on bounded values (validated ids, addresses, HMAC
// fingerprints), never on raw client input. The zero Limiter is ready to
// use.
type Limiter struct {
	mu        sync.Mutex
	events    map[string][]time.Time
	lastSweep time.Time
	maxWindow time.Duration // the longest window a call has used
}

// Counter is what the limits count with: a *Limiter in one process, or a
// counter several instances share (checkout/sqlstore's, in the database),
// which gives the same answers.
type Counter interface {
	Allow(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration)
	Blocked(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration)
	Sweep(now time.Time)
}

// MaxKeys bounds the keys one Limiter holds. Past it, after a sweep, the
// half of the keys whose last event is oldest go: under a flood of
// distinct keys the limiter forgets the stalest counts (never refusing a
// request it has no count for) instead of growing.
const MaxKeys = 100_000

// sweepEvery is how often, on the limiter's clock, idle keys go.
const sweepEvery = time.Minute

// Allow records an event for key at now unless limit events already
// happened in the window before it; when refused it says how long until
// one expires.
func (l *Limiter) Allow(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration) {
	if limit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == nil {
		l.events = map[string][]time.Time{}
	}
	l.maxWindow = max(l.maxWindow, window)
	if now.Sub(l.lastSweep) >= sweepEvery || now.Before(l.lastSweep) {
		l.sweep(now)
	}
	kept := l.events[key][:0]
	for _, t := range l.events[key] {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= limit {
		l.events[key] = kept
		return false, kept[0].Add(window).Sub(now)
	}
	if _, known := l.events[key]; !known && len(l.events) >= MaxKeys {
		if l.sweep(now); len(l.events) >= MaxKeys {
			l.evictStalest()
		}
	}
	l.events[key] = append(kept, now)
	return true, 0
}

// Blocked reports, without recording anything, whether key already had
// limit events in the window before now, and how long until one expires.
func (l *Limiter) Blocked(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration) {
	if limit <= 0 {
		return false, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	var oldest time.Time
	for _, t := range l.events[key] {
		if now.Sub(t) < window {
			if n == 0 {
				oldest = t
			}
			n++
		}
	}
	if n < limit {
		return false, 0
	}
	return true, oldest.Add(window).Sub(now)
}

// Sweep drops the keys with no event in the longest window used; the
// workers call it on a timer so an idle limiter gives its memory back.
func (l *Limiter) Sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
}

// Keys is how many keys the limiter holds (for tests and metrics).
func (l *Limiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// evictStalest drops the half of the keys whose last event is oldest.
func (l *Limiter) evictStalest() {
	last := make([]time.Time, 0, len(l.events))
	for _, ts := range l.events {
		if len(ts) > 0 {
			last = append(last, ts[len(ts)-1])
		}
	}
	if len(last) == 0 {
		return
	}
	slices.SortFunc(last, time.Time.Compare)
	cutoff := last[len(last)/2]
	for k, ts := range l.events {
		if len(ts) == 0 || !ts[len(ts)-1].After(cutoff) {
			delete(l.events, k)
		}
	}
}

func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, ts := range l.events {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= l.maxWindow {
			delete(l.events, k)
		}
	}
}
