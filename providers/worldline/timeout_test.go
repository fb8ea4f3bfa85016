package worldline_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/providertest"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
	"github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
)

// TestSandboxActionTimeout: a payment whose shopper never finished the
// redirect (the server died before recording it, say) reads as failed with
// nothing charged once the sandbox's action timeout has passed, both on
// Inquire (the reconciler) and on a late browser return (Continue); one
// finished in time is unaffected. The sandbox and the adapter share one
// clock, so the Date headers stay within the sandbox's tolerance.
func TestSandboxActionTimeout(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano()) // payRequest's card expires in two years of real time
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	creds, err := sandbox.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Config{PublicURL: srv.URL + mount, Credentials: creds, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	c, err := worldline.New(worldline.Config{
		BaseURL: srv.URL + mount, MerchantID: creds.MerchantID, APIKeyID: creds.APIKeyID, SecretAPIKey: creds.SecretAPIKey,
		WebhookKeyID: creds.WebhookKeyID, WebhookSecret: creds.WebhookSecret,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Now: now, NotFoundAfter: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}

	pay := func(card string) (checkout.Payment, checkout.Action) {
		t.Helper()
		req := payRequest(card, checkout.CaptureAutomatic)
		out, err := c.Pay(t.Context(), req)
		if err != nil || out.Status != checkout.OutcomeActionRequired || out.Action == nil {
			t.Fatalf("pay = %s, %v; want a redirect", out.Status, err)
		}
		p := checkout.Payment{ID: req.PaymentID, Provider: c.Name(), Amount: req.Amount, CaptureMode: req.CaptureMode,
			Status: checkout.PaymentRequiresAction, ProviderRef: out.ProviderRef, ProviderData: map[string]string{}}
		maps.Copy(p.ProviderData, out.ProviderData)
		return p, *out.Action
	}
	abandoned, _ := pay(testcards.Challenge)
	late, lateAction := pay(testcards.Challenge)
	hop, hopAction := pay(sandbox.ThreeDSMethodCard)
	finished, finishedAction := pay(testcards.Challenge)
	if out, err := c.Continue(t.Context(), finished, providertest.BrowseRedirect(t, finishedAction, testcards.ChallengeCode)); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("finished in time: %s, %v", out.Status, err)
	}

	clock.Add(int64(registry.DefaultActionTimeout))
	if out, err := c.Inquire(t.Context(), abandoned); err != nil || out.Status != checkout.OutcomePending {
		t.Fatalf("inquiry at the timeout = %s, %v; want pending", out.Status, err)
	}
	clock.Add(int64(time.Second))

	out, err := c.Inquire(t.Context(), abandoned)
	if err != nil || out.Status != checkout.OutcomeFailed || out.Decline == nil || out.Decline.Code != checkout.DeclineAuthenticationFailed {
		t.Errorf("inquiry after the timeout = %s %+v, %v; want failed", out.Status, out.Decline, err)
	}
	out, err = c.Continue(t.Context(), late, providertest.BrowseRedirect(t, lateAction, testcards.ChallengeCode))
	if err != nil || out.Status != checkout.OutcomeFailed {
		t.Errorf("late challenge = %s, %v; want failed", out.Status, err)
	}
	out, err = c.Continue(t.Context(), hop, providertest.BrowseRedirect(t, hopAction, ""))
	if err != nil || out.Status != checkout.OutcomeFailed {
		t.Errorf("late 3DS Method hop = %s, %v; want failed", out.Status, err)
	}
	for _, p := range []checkout.Payment{abandoned, late, hop} {
		if n := sb.Charges(p.ID); n != 0 {
			t.Errorf("%s: %d charges after expiry", p.ID, n)
		}
	}
	if out, err := c.Inquire(t.Context(), finished); err != nil || out.Status != checkout.OutcomeSucceeded || sb.Charges(finished.ID) != 1 {
		t.Errorf("finished in time, inquired later = %s, %v, %d charges", out.Status, err, sb.Charges(finished.ID))
	}
}
