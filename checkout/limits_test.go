package checkout_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/handlers/ratelimit"
)

func TestCardTestingLimits(t *testing.T) {
	ctx := context.Background()
	prov := &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeFailed, Decline: checkout.NewDecline(checkout.DeclineGeneric, "")}, nil)}
	svc, m, clk := MustService(t, prov)
	m.Live = true // the card-testing limits hold live-mode payments
	svc.Limits = &checkout.AttemptLimits{PerIP: 3, PerCard: 2, Window: 10 * time.Minute, Key: []byte("k"), Counter: &ratelimit.Limiter{}}
	pay := func(ip string) error {
		s := mustCreate(t, svc, m)
		_, err := svc.Pay(ctx, s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t), Browser: checkout.BrowserInfo{IP: ip}})
		return err
	}
	// The same card from two addresses: the card limit (2) stops the third.
	if pay("203.0.113.1") != nil || pay("203.0.113.2") != nil {
		t.Fatal("the first two attempts were refused")
	}
	err := pay("203.0.113.3")
	var ce *checkout.Error
	if e, ok := err.(*checkout.Error); !ok || e.Code != checkout.ERateLimited || e.RetryAfter <= 0 || e.RetryAfter > 10*time.Minute {
		t.Fatalf("third attempt with the card: %v", err)
	} else {
		ce = e
	}
	if strings.Contains(ce.Message, "4242") {
		t.Fatal("the refusal quotes the card")
	}
	if calls := prov.calls.Load(); calls != 2 {
		t.Fatalf("a refused attempt reached the provider (%d calls)", calls)
	}
	// Once the window has passed, the card may be tried again.
	clk.Add(10*time.Minute + time.Second)
	if err := pay("203.0.113.4"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Different cards from one address: the IP limit (3) stops the fourth.
	ipPay := func(number string) error {
		s := mustCreate(t, svc, m)
		cvc := "123"
		if checkout.DetectBrand(number) == checkout.BrandAmex {
			cvc = "1234"
		}
		c, errs := checkout.ParseCard(number, "12/30", cvc, "Ada", clk.Now())
		if errs != nil {
			t.Fatal(errs)
		}
		_, err := svc.Pay(ctx, s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: &c, Browser: checkout.BrowserInfo{IP: "198.51.100.9"}})
		return err
	}
	for i, n := range []string{"5555555555554444", "378282246310005", "4000000000000002"} {
		if err := ipPay(n); err != nil {
			t.Fatalf("attempt %d from one address: %v", i+1, err)
		}
	}
	if err := ipPay("4000000000009995"); checkout.ErrorCodeOf(err) != checkout.ERateLimited {
		t.Fatalf("fourth attempt from one address: %v", err)
	}
	if f := checkout.CardFingerprint([]byte("k"), "4242424242424242"); strings.Contains(f, "4242") || len(f) != 64 ||
		f != checkout.CardFingerprint([]byte("k"), "4242424242424242") || f == checkout.CardFingerprint([]byte("other"), "4242424242424242") {
		t.Fatalf("fingerprint %s", f)
	}
}

// After 5 failed attempts a session is locked: a 6th reaches no provider.
func TestSessionLockedAfterFiveFailedAttempts(t *testing.T) {
	ctx := context.Background()
	prov := &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeFailed, Decline: checkout.NewDecline(checkout.DeclineGeneric, "")}, nil)}
	svc, m, _ := MustService(t, prov)
	s := mustCreate(t, svc, m)
	for i := range 5 {
		p, err := svc.Pay(ctx, s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)})
		if err != nil || p.Status != checkout.PaymentFailed {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := svc.Pay(ctx, s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t)}); checkout.ErrorCodeOf(err) != checkout.EConflict {
		t.Fatalf("sixth attempt: %v", err)
	}
	if calls := prov.calls.Load(); calls != 5 {
		t.Fatalf("%d provider calls for 5 allowed attempts", calls)
	}
}

// Attempt limits with no Counter to keep their counts fail closed: the
// attempt is an internal error and reaches no provider.
func TestAttemptLimitsWithoutCounterRefuse(t *testing.T) {
	prov := &fakeProvider{pay: outcome(checkout.Outcome{Status: checkout.OutcomeSucceeded, ProviderRef: "ref"}, nil)}
	svc, m, _ := MustService(t, prov)
	m.Live = true
	svc.Limits = &checkout.AttemptLimits{PerIP: 3, PerCard: 2, Key: []byte("k")}
	s := mustCreate(t, svc, m)
	_, err := svc.Pay(context.Background(), s.ID, checkout.PayInput{Method: checkout.MethodCard, Card: card(t), Browser: checkout.BrowserInfo{IP: "203.0.113.1"}})
	if checkout.ErrorCodeOf(err) != checkout.EInternal {
		t.Fatalf("an attempt under limits without a counter: %v", err)
	}
	if calls := prov.calls.Load(); calls != 0 {
		t.Fatalf("%d provider calls", calls)
	}
}
