package checkout

import (
	"context"
	"sync"
	"time"
)

// Observer hears what the service does, for metrics (web/metrics.go);
// a nil Service.Observer hears nothing.
type Observer interface {
	// ProviderCall is one call to a provider: its operation (pay,
	// continue, inquire, capture, cancel, refund…), its outcome (the
	// answer's status, or the class of failure: timeout, http_error…) and
	// how long it took.
	ProviderCall(provider, operation, outcome string, took time.Duration)
	// PaymentStatus is a payment reaching a status.
	PaymentStatus(provider string, method PaymentMethod, status PaymentStatus)
	// ThreeDS is a 3-D Secure flow of a kind: frictionless, challenge,
	// redirect, device_data_timeout.
	ThreeDS(kind string)
}

// 3-D Secure flow kinds an Observer hears.
const (
	ThreeDSFrictionless      = "frictionless"
	ThreeDSChallenge         = "challenge"
	ThreeDSRedirect          = "redirect"
	ThreeDSDeviceDataTimeout = "device_data_timeout"
)

// observeCall tells the observer, and the request's Timing, of the
// provider call a provider.call entry's data describes.
func (s *Service) observeCall(ctx context.Context, call map[string]any, took time.Duration) {
	addTiming(ctx, took, false)
	if s.Observer == nil {
		return
	}
	provider, _ := call["provider"].(string)
	op, _ := call["operation"].(string)
	outcome, _ := call["outcome"].(string)
	if e, ok := call["error"].(string); ok && outcome == "" {
		outcome = e
	}
	s.Observer.ProviderCall(provider, op, outcome, took)
}

func (s *Service) observeStatus(p *Payment, status PaymentStatus) {
	if s.Observer != nil {
		s.Observer.PaymentStatus(p.Provider, p.Method, status)
	}
}

func (s *Service) observeThreeDS(kind string) {
	if s.Observer != nil {
		s.Observer.ThreeDS(kind)
	}
}

// Timing adds up where a request's time went: in the database and waiting
// for providers (the API's Server-Timing header).
type Timing struct {
	mu           sync.Mutex
	db, provider time.Duration
}

type timingKey struct{}

// WithTiming is ctx with a Timing the store and the service add to.
func WithTiming(ctx context.Context) (context.Context, *Timing) {
	t := &Timing{}
	return context.WithValue(ctx, timingKey{}, t), t
}

// DBTime adds the time since start to ctx's Timing, if it has one: the
// store calls it around each statement and transaction.
func DBTime(ctx context.Context, start time.Time) { addTiming(ctx, time.Since(start), true) }

func addTiming(ctx context.Context, d time.Duration, db bool) {
	t, ok := ctx.Value(timingKey{}).(*Timing)
	if !ok {
		return
	}
	t.mu.Lock()
	if db {
		t.db += d
	} else {
		t.provider += d
	}
	t.mu.Unlock()
}

// Spent is the time spent in the database and waiting for providers.
func (t *Timing) Spent() (db, provider time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.db, t.provider
}
