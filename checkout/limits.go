package checkout

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Counter counts events per key over a sliding window: the store behind
// the Service's limits (card-testing attempts, rejected browser returns).
// handlers/ratelimit.Limiter implements it in memory, for one process
// (SQLite); checkout/sqlstore.Counter in the database, shared by every
// instance on PostgreSQL with the same answers.
type Counter interface {
	// Allow records an event for key at now unless limit events already
	// happened in the window before it; when refused it says how long
	// until one expires. A limit of zero or less allows everything.
	Allow(key string, limit int, window time.Duration, now time.Time) (bool, time.Duration)
	// Sweep forgets the keys with no event in a window before now; the
	// workers call it on a timer.
	Sweep(now time.Time)
}

// AttemptLimits slow card testing: payment attempts per client IP and per
// card (a keyed HMAC fingerprint of the number, never the number) within
// Window, counted in Counter. Zero limits are off. A nil Counter refuses
// every attempt as an internal error: a money guard fails closed.
type AttemptLimits struct {
	PerIP, PerCard int
	Window         time.Duration
	Key            []byte // keys the card fingerprints
	Counter        Counter
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
	if a.Counter == nil {
		return Internal(errors.New("checkout: AttemptLimits without a Counter"))
	}
	at := now()
	window := a.Window
	if window <= 0 {
		window = time.Hour
	}
	if ip != "" {
		if ok, wait := a.Counter.Allow("ip:"+ip, a.PerIP, window, at); !ok {
			return &Error{Code: ERateLimited, Message: "Too many payment attempts from this connection. Please wait before trying again.", RetryAfter: wait}
		}
	}
	if card != "" {
		if ok, wait := a.Counter.Allow("card:"+CardFingerprint(a.Key, card), a.PerCard, window, at); !ok {
			return &Error{Code: ERateLimited, Message: "Too many payment attempts with this card. Please wait before trying again.", RetryAfter: wait}
		}
	}
	return nil
}

// Sweep drops the idle keys of the attempt limits.
func (a *AttemptLimits) Sweep(now time.Time) {
	if a != nil && a.Counter != nil {
		a.Counter.Sweep(now)
	}
}

// SweepLimiters drops the idle keys of the service's limits; the workers
// call it on a timer.
func (s *Service) SweepLimiters() {
	now := s.now()
	s.Limits.Sweep(now)
	s.TestLimits.Sweep(now)
	if s.RejectedReturns != nil {
		s.RejectedReturns.Sweep(now)
	}
}
