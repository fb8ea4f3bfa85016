package sandbox

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// checkExpired checks that a payment reads as an authentication that
// lapsed: REJECTED 180, not completed, nothing authorised.
func checkExpired(t *testing.T, got paymentResponse, method string) {
	t.Helper()
	so := got.StatusOutput
	tds := got.PaymentOutput.CardPaymentMethodSpecificOutput.ThreeDSecureResults
	if got.Status != statusRejected || so.StatusCode != 180 || so.StatusCategory != "UNSUCCESSFUL" ||
		so.ThreeDSecureStatus != threeDSFailed || so.IsAuthorized || so.IsCancellable || so.IsRefundable ||
		len(so.Errors) != 1 || so.Errors[0].Code != errAuthentication.Code ||
		got.PaymentOutput.CardPaymentMethodSpecificOutput.AuthorisationCode != "" {
		t.Errorf("expired payment = %s %+v", got.Status, so)
	}
	if tds == nil || tds.ECI != "" || tds.CAVV != "" || tds.ThreeDSecureData == nil || tds.ThreeDSecureData.Method != method {
		t.Errorf("expired 3DS results = %+v", tds)
	}
}

// TestActionTimeout: with ActionTimeout 0 (the default, 15 minutes), a
// payment left REDIRECTED (challenge page shown or not, 3DS Method hop not
// visited) for longer fails with nothing charged when it is next read, and
// its pages only send a late browser back; a payment whose shopper finished
// in time is not touched.
func TestActionTimeout(t *testing.T) {
	e := newEnv(t)
	if e.sb.actionTimeout != registry.DefaultActionTimeout || registry.DefaultActionTimeout != 15*time.Minute {
		t.Fatalf("actionTimeout = %v, want the 15 minute default", e.sb.actionTimeout)
	}
	shownRef, shown, shownDoc := e.challenge(testcards.Challenge)
	unopenedRef, r := e.create(testcards.Challenge)
	unopened, _ := paymentOf(t, r)
	hopRef, r := e.create(ThreeDSMethodCard)
	hop, _ := paymentOf(t, r)
	doneRef, done, doneDoc := e.challenge(testcards.Challenge)
	e.advance(5 * time.Minute)
	checkReturn(t, e.answer(doneDoc, testcards.ChallengeCode, "otp-submit"), done)

	// Exactly the timeout is not longer than it.
	e.advance(registry.DefaultActionTimeout - 5*time.Minute)
	if got := e.getPayment(shown.Payment.ID); got.Status != statusRedirected {
		t.Fatalf("at the timeout: %s", got.Status)
	}

	e.advance(time.Second)
	checkExpired(t, e.getPayment(shown.Payment.ID), "challenged")
	e.waitWebhooks()
	if ds := e.sb.Deliveries(); ds[len(ds)-1].Type != "payment.rejected" || ds[len(ds)-1].PaymentID != shown.Payment.ID {
		t.Errorf("last webhook = %s about %s, want payment.rejected", ds[len(ds)-1].Type, ds[len(ds)-1].PaymentID)
	}
	// The shopper comes back late: the page and the answer only send the
	// browser back, and the right code authorises nothing.
	redirectURL := shown.MerchantAction.RedirectData.RedirectURL
	resp, _ := e.page(http.MethodGet, redirectURL, nil)
	checkReturn(t, resp, shown)
	checkReturn(t, e.answer(shownDoc, testcards.ChallengeCode, "otp-submit"), shown)
	checkExpired(t, e.getPayment(shown.Payment.ID), "challenged")
	// The merchant cannot approve it.
	expectError(t, "approve after expiry", e.do(call{method: http.MethodPost, path: "/payments/" + shown.Payment.ID + "/approve"}),
		http.StatusConflict, "300450", "")

	// Found by reference, the unopened challenge has expired too.
	var found findPaymentsResponse
	e.do(call{method: http.MethodGet, path: "/payments", query: url.Values{"merchantReference": {unopenedRef}}.Encode()}).decode(t, &found)
	if len(found.Payments) != 1 || found.Payments[0].ID != unopened.Payment.ID {
		t.Fatalf("find = %+v", found)
	}
	checkExpired(t, found.Payments[0], "challenged")

	// The hop reached late completes nothing.
	resp, _ = e.page(http.MethodGet, hop.MerchantAction.RedirectData.RedirectURL, nil)
	checkReturn(t, resp, hop)
	checkExpired(t, e.getPayment(hop.Payment.ID), "frictionless")

	for _, ref := range []string{shownRef, unopenedRef, hopRef} {
		if st, _ := e.sb.Payment(ref); e.sb.Charges(ref) != 0 || st.Authorisations != 0 || st.Captured != 0 || st.Status != statusRejected {
			t.Errorf("%s: %+v, charges %d", ref, st, e.sb.Charges(ref))
		}
	}
	// Finished in time: untouched, however long after.
	e.advance(time.Hour)
	if got := e.getPayment(done.Payment.ID); got.Status != statusPendingApproval || e.sb.Charges(doneRef) != 1 {
		t.Errorf("finished payment = %s, charges %d", got.Status, e.sb.Charges(doneRef))
	}
}

// TestActionTimeoutConfig: Config.ActionTimeout replaces the default, and
// the ledger accessors apply it like any other read.
func TestActionTimeoutConfig(t *testing.T) {
	e := newEnvWith(t, func(c *Config) { c.ActionTimeout = time.Minute })
	ref, _ := e.create(testcards.Challenge)
	e.advance(time.Minute)
	if st, _ := e.sb.Payment(ref); st.Status != statusRedirected {
		t.Fatalf("at the timeout: %s", st.Status)
	}
	e.advance(time.Nanosecond)
	if st, _ := e.sb.Payment(ref); st.Status != statusRejected || st.StatusCode != 180 || st.Authorisations != 0 {
		t.Errorf("after the timeout: %+v", st)
	}
}

// TestStartActionTimeout: Start passes registry.SandboxEnv.ActionTimeout
// on, 0 meaning the default.
func TestStartActionTimeout(t *testing.T) {
	for _, tc := range []struct{ env, want time.Duration }{{0, registry.DefaultActionTimeout}, {2 * time.Minute, 2 * time.Minute}} {
		started, err := Start(registry.SandboxEnv{PublicURL: "http://127.0.0.1:8081/sandbox/worldline", ActionTimeout: tc.env})
		if err != nil {
			t.Fatal(err)
		}
		sb := started.Sandbox.(*Sandbox)
		if sb.actionTimeout != tc.want {
			t.Errorf("ActionTimeout %v: the sandbox waits %v, want %v", tc.env, sb.actionTimeout, tc.want)
		}
		_ = sb.Close()
	}
}
