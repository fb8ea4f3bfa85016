package checkout

import (
	"context"
	"errors"
	"time"
)

// checkSchedule is how long to wait before each inquiry of a payment whose
// outcome is unknown: the first within seconds, then spreading out so that
// the whole schedule covers a little over 24 hours.
// The first minute is dense (every 5 s, as wallet docs suggest after the
// shopper returns), so a shopper waiting on the "confirming" page sees the
// answer as soon as the provider has it.
var checkSchedule = []time.Duration{
	2 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second,
	5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second,
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour,
}

// NextCheckDelay returns the wait before inquiry number n (0-based). Past
// the schedule (a little over 24 hours) the outcome is still unknown and a
// person has to look (ok is false), but the inquiries go on at the
// schedule's last interval: an unknown outcome is never left unchecked.
func NextCheckDelay(n int) (delay time.Duration, ok bool) {
	if n < 0 {
		n = 0
	}
	if n >= len(checkSchedule) {
		return checkSchedule[len(checkSchedule)-1], false
	}
	return checkSchedule[n], true
}

// StaleActionAfter is how long a payment may wait for the shopper's browser
// (a challenge, a redirect) before the reconciler asks the provider about it.
const StaleActionAfter = 15 * time.Minute

// ProcessingCheckAfter is how long a provider call may run before the
// reconciler treats the payment as unknown (the process may have died).
const ProcessingCheckAfter = 2 * time.Minute

// An authorized (manual capture) payment waits for the merchant's capture
// or cancel. Providers let an uncaptured authorisation lapse after about
// seven days (card scheme rules; some allow up to 30), so from
// AuthorizationCheckAfter on the provider is asked every
// AuthorizationCheckEvery, and a lapsed or voided authorisation is recorded
// as canceled (a capture made elsewhere as captured).
const (
	AuthorizationCheckAfter = 7 * 24 * time.Hour
	AuthorizationCheckEvery = 24 * time.Hour
)

// Reconcile asks the provider about one payment whose outcome is unknown
// and settles it only on a definitive answer; otherwise it schedules the
// next inquiry.
func (s *Service) Reconcile(ctx context.Context, paymentID string) (*Payment, error) {
	p, err := s.Store.Payment(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	if !p.Status.InFlight() && (p.Status != PaymentAuthorized || p.NextCheckAt.IsZero() || p.NextCheckAt.After(s.now())) {
		return p, nil
	}
	return s.inquire(ctx, p)
}

// inquire asks the provider about p and settles its answer.
func (s *Service) inquire(ctx context.Context, p *Payment) (*Payment, error) {
	prov, ok := s.providers(p.Livemode)[p.Provider]
	if !ok {
		return nil, Internal(errors.New("provider " + p.Provider + " is not configured"))
	}
	start := time.Now()
	out, callErr := prov.Inquire(ctx, *p)
	return s.settle(ctx, p, "inquire", time.Since(start), out, callErr)
}

// ReconcileDue runs Reconcile on every payment due for an inquiry.
func (s *Service) ReconcileDue(ctx context.Context) (int, error) {
	// Claimed for as long as a provider call may take: another instance
	// takes a payment over only after that.
	due, err := s.Store.PaymentsToCheck(ctx, s.now(), s.processingCheckAfter(), 50)
	if err != nil {
		return 0, err
	}
	for _, p := range due {
		// Claimed: its next check is the claim's end, so it is asked
		// about now whatever that says.
		if _, err := s.inquire(ctx, p); err != nil {
			s.Log.WarnContext(ctx, "reconcile failed", "payment_id", p.ID, "err", err)
		}
	}
	return len(due), nil
}
