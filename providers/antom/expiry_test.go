package antom_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/providertest"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// TestSandboxActionTimeout: a payment whose 3DS page nobody answered (the
// server died before the shopper got the URL, or the shopper went away)
// is failed, with nothing charged, once the sandbox's ActionTimeout has
// passed: Inquire, which the reconciler calls, and a late return
// (Continue) both read it as failed, and the late shopper is sent back.
// One answered in time keeps its outcome.
func TestSandboxActionTimeout(t *testing.T) {
	const timeout = 3 * time.Minute
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := newEnv(t, func(c *sandbox.Config) { c.Now, c.ActionTimeout = clock, timeout })
	c := e.client(t, 5*time.Second, e.creds.MerchantPrivateKey)

	pay := func(card string) (checkout.PayRequest, checkout.Payment, checkout.Outcome) {
		t.Helper()
		req := payRequest(card, checkout.CaptureAutomatic)
		p := paymentOf(req)
		out, err := c.Pay(t.Context(), req)
		if err != nil || out.Status != checkout.OutcomeActionRequired {
			t.Fatalf("pay: %s %v", out.Status, err)
		}
		p.ProviderRef = out.ProviderRef
		maps.Copy(p.ProviderData, out.ProviderData)
		return req, p, out
	}
	abandoned, ap, _ := pay(testcards.Challenge)
	late, lp, lout := pay(testcards.Challenge)
	done, dp, dout := pay(testcards.Challenge)

	advance(timeout - time.Second)
	if out, err := c.Inquire(t.Context(), ap); err != nil || out.Status != checkout.OutcomePending {
		t.Errorf("before the timeout: %s %v, want pending", out.Status, err)
	}
	back := providertest.BrowseRedirect(t, *dout.Action, testcards.ChallengeCode)
	if out, err := c.Continue(t.Context(), dp, back); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("answered in time: %s %v", out.Status, err)
	}

	advance(2 * time.Second)
	out, err := c.Inquire(t.Context(), ap)
	if err != nil || out.Status != checkout.OutcomeFailed || out.Decline == nil || out.Action != nil {
		t.Errorf("abandoned, inquired: %s %+v %v, want failed", out.Status, out.Decline, err)
	}
	// The late shopper: the page sends the browser straight back, and the
	// return reads the failure.
	back = providertest.BrowseRedirect(t, *lout.Action, testcards.ChallengeCode)
	if out, err := c.Continue(t.Context(), lp, back); err != nil || out.Status != checkout.OutcomeFailed {
		t.Errorf("late return: %s %v, want failed", out.Status, err)
	}
	if out, err := c.Inquire(t.Context(), dp); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Errorf("answered in time, inquired later: %s %v", out.Status, err)
	}
	for _, id := range []string{abandoned.PaymentID, late.PaymentID} {
		if n := e.sb.Charges(id); n != 0 {
			t.Errorf("%s charged %d times", id, n)
		}
	}
	if n := e.sb.Charges(done.PaymentID); n != 1 {
		t.Errorf("the payment answered in time was charged %d times", n)
	}

	// The expiries' notifyPayment (F ORDER_IS_CLOSED) verify and read.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	e.notify.mu.Lock()
	defer e.notify.mu.Unlock()
	failed := 0
	for _, n := range e.notify.accepted {
		if n.Outcome.Status == checkout.OutcomeFailed {
			failed++
		}
	}
	if len(e.notify.rejected) != 0 || failed != 2 {
		t.Errorf("notifications: %d failures accepted, rejected %v", failed, e.notify.rejected)
	}
}
