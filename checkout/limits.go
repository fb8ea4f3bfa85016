package checkout

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Limiter counts events per key over a sliding window (in memory, so per
// process: enough to slow card testing on one instance; several instances
// would share a store). Its memory is bounded: keys idle for a whole
// window are swept at least once a minute of its clock (the injectable
// now of each call), and it never holds more than MaxLimiterKeys keys.
// Callers key it only on bounded values (validated ids, addresses, HMAC
// fingerprints), never on raw client input.
type Limiter struct {
	mu        sync.Mutex
	events    map[string][]time.Time
	lastSweep time.Time
	maxWindow time.Duration // the longest window a call has used
}

// MaxLimiterKeys bounds the keys one Limiter holds. Past it, after a sweep,
// the half of the keys whose last event is oldest go: under a flood of
// distinct keys the limiter forgets the stalest counts (never refusing a
// request it has no count for) instead of growing.
const MaxLimiterKeys = 100_000

// limiterSweepEvery is how often, on the limiter's clock, idle keys go.
const limiterSweepEvery = time.Minute

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
	if now.Sub(l.lastSweep) >= limiterSweepEvery || now.Before(l.lastSweep) {
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
	if _, known := l.events[key]; !known && len(l.events) >= MaxLimiterKeys {
		if l.sweep(now); len(l.events) >= MaxLimiterKeys {
			l.evictStalest()
		}
	}
	l.events[key] = append(kept, now)
	return true, 0
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

// AttemptLimits slow card testing: payment attempts per client IP and per
// card (a keyed HMAC fingerprint of the number, never the number) within
// Window. Zero limits are off.
type AttemptLimits struct {
	PerIP, PerCard int
	Window         time.Duration
	Key            []byte // keys the card fingerprints
	limiter        Limiter
}

// CardFingerprint is a keyed HMAC of a card number: the same card gives the
// same value under one key, and the number cannot be recovered from it.
func CardFingerprint(key []byte, number string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(number))
	return hex.EncodeToString(m.Sum(nil))
}

// check records an attempt from ip with card (either may be empty) and
// refuses it over a limit.
func (a *AttemptLimits) check(now func() time.Time, ip, card string) error {
	if a == nil {
		return nil
	}
	at := now()
	window := a.Window
	if window <= 0 {
		window = time.Hour
	}
	if ip != "" {
		if ok, wait := a.limiter.Allow("ip:"+ip, a.PerIP, window, at); !ok {
			return &Error{Code: ERateLimited, Message: "Too many payment attempts from this connection. Please wait before trying again.", RetryAfter: wait}
		}
	}
	if card != "" {
		if ok, wait := a.limiter.Allow("card:"+CardFingerprint(a.Key, card), a.PerCard, window, at); !ok {
			return &Error{Code: ERateLimited, Message: "Too many payment attempts with this card. Please wait before trying again.", RetryAfter: wait}
		}
	}
	return nil
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

// Sweep drops the idle keys of the attempt limits.
func (a *AttemptLimits) Sweep(now time.Time) {
	if a != nil {
		a.limiter.Sweep(now)
	}
}

// SweepLimiters drops the idle keys of the service's in-memory limits;
// the workers call it on a timer.
func (s *Service) SweepLimiters() {
	now := s.now()
	s.Limits.Sweep(now)
	s.forgedReturns.Sweep(now)
}
