// Package providertest is the conformance suite every card provider adapter
// runs against its sandbox: the same shopper journeys with the shared test
// cards (providers/testcards), over real HTTP, checked against the outcome
// the Service would record and the sandbox's ledger.
package providertest

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Harness pairs an adapter with its sandbox.
type Harness struct {
	// Provider is the adapter under test, configured to talk to the sandbox
	// with an HTTP timeout short enough for the timeout card to finish fast.
	Provider checkout.Provider
	// MisKeyed builds an adapter for the same sandbox with a wrong signing key.
	MisKeyed func(t testing.TB) checkout.Provider
	// Charges reports how many times the sandbox's ledger charged the payment.
	Charges func(paymentID string) int
	// Browser performs an action the way the shopper's browser would, over
	// plain HTTP, and returns what the browser brings back. For a challenge
	// it types otp as the one-time code.
	Browser func(t testing.TB, action checkout.Action, otp string) checkout.Continuation
	// Currency of the test payments; USD when empty.
	Currency string
	// Challenged, when set, reports whether the sandbox showed its challenge
	// page for our payment id. Providers whose challenge is a top-level
	// redirect (Worldline) need it; otherwise a challenge is an
	// ActionChallenge step.
	Challenged func(paymentID string) bool
}

// wrongCode is a one-time code that fails every sandbox challenge.
const wrongCode = "9999"

// Run runs every scenario as a parallel subtest.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Provider == nil || h.MisKeyed == nil || h.Charges == nil || h.Browser == nil {
		t.Fatal("providertest: the harness needs Provider, MisKeyed, Charges and Browser")
	}
	if h.Currency == "" {
		h.Currency = "USD"
	}

	finals := []struct {
		name      string
		card      string
		otp       string
		status    checkout.OutcomeStatus
		decline   checkout.DeclineCode
		challenge bool
		charges   int
		threeDS   func(t testing.TB, r *checkout.ThreeDSResult)
	}{
		{name: "approve", card: testcards.Visa, status: checkout.OutcomeSucceeded, charges: 1,
			threeDS: optional(checkout.FlowFrictionless, true)},
		{name: "decline generic", card: testcards.DeclineGeneric, status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		{name: "decline insufficient funds", card: testcards.DeclineFunds, status: checkout.OutcomeFailed, decline: checkout.DeclineInsufficientFunds},
		{name: "challenge pass", card: testcards.Challenge, otp: testcards.ChallengeCode, status: checkout.OutcomeSucceeded,
			challenge: true, charges: 1, threeDS: optional(checkout.FlowChallenge, true)},
		{name: "challenge fail", card: testcards.Challenge, otp: wrongCode, status: checkout.OutcomeFailed,
			decline: checkout.DeclineAuthenticationFailed, challenge: true},
		{name: "challenge pass then issuer decline", card: testcards.ChallengeThenDecline, otp: testcards.ChallengeCode,
			status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, challenge: true},
		{name: "frictionless authentication failed", card: testcards.AuthFailed, status: checkout.OutcomeFailed,
			decline: checkout.DeclineAuthenticationFailed},
		{name: "3DS unavailable", card: testcards.AuthUnavailable, status: checkout.OutcomeSucceeded, charges: 1,
			threeDS: unavailable},
	}
	for _, sc := range finals {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			j := newJourney(t, h, sc.card)
			out, err := j.pay(sc.otp)
			if err != nil {
				t.Fatalf("outcome unknown: %v", err)
			}
			j.expect(out, sc.status, sc.decline)
			if got := j.challenged(); got != sc.challenge {
				t.Errorf("challenge shown = %v, want %v", got, sc.challenge)
			}
			if sc.threeDS != nil {
				sc.threeDS(t, out.ThreeDS)
			}
			j.expectCharges(sc.charges)
			// An inquiry afterwards must agree with what the flow concluded.
			again, err := j.inquire()
			if err != nil {
				t.Fatalf("inquiry: %v", err)
			}
			j.expect(again, sc.status, sc.decline)
		})
	}

	t.Run("unknown then charged, resolved by inquiry", func(t *testing.T) {
		t.Parallel()
		j := newJourney(t, h, testcards.TimeoutAfterCharge)
		out, err := j.pay("")
		if err == nil {
			t.Fatalf("the provider timed out but the adapter concluded %s", out.Status)
		}
		out, err = j.inquire()
		if err != nil {
			t.Fatalf("inquiry: %v", err)
		}
		j.expect(out, checkout.OutcomeSucceeded, "")
		j.expectCharges(1)
	})

	t.Run("unknown then not charged, resolved by inquiry", func(t *testing.T) {
		t.Parallel()
		j := newJourney(t, h, testcards.ServerError)
		out, err := j.pay("")
		if err == nil {
			t.Fatalf("the provider failed with a 500 but the adapter concluded %s", out.Status)
		}
		out, err = j.inquire()
		if err != nil {
			t.Fatalf("inquiry: %v", err)
		}
		if out.Status != checkout.OutcomeFailed {
			t.Fatalf("inquiry status = %s, want %s", out.Status, checkout.OutcomeFailed)
		}
		j.expectCharges(0)
	})

	t.Run("duplicate idempotency key", func(t *testing.T) {
		t.Parallel()
		j := newJourney(t, h, testcards.Visa)
		out, err := j.pay("")
		if err != nil {
			t.Fatalf("first attempt: %v", err)
		}
		j.expect(out, checkout.OutcomeSucceeded, "")
		// The same payment paid again, as after a crash between the call
		// and recording its answer: it may replay the success or fail to
		// know, but it must never charge again or report a decline.
		out, err = j.pay("")
		if err != nil {
			if out, err = j.inquire(); err != nil {
				t.Fatalf("inquiry after the second attempt: %v", err)
			}
		}
		j.expect(out, checkout.OutcomeSucceeded, "")
		j.expectCharges(1)
	})

	t.Run("bad signature", func(t *testing.T) {
		t.Parallel()
		j := newJourney(t, h, testcards.Visa)
		out, err := h.MisKeyed(t).Pay(t.Context(), j.req)
		if err == nil {
			t.Fatalf("a mis-keyed adapter got an answer (%s); want an error", out.Status)
		}
		j.noCardData(err)
		j.expectCharges(0)
	})
}

// optional checks a 3DS result when the provider reports one.
func optional(flow string, liabilityShift bool) func(testing.TB, *checkout.ThreeDSResult) {
	return func(t testing.TB, r *checkout.ThreeDSResult) {
		t.Helper()
		if r == nil {
			return
		}
		if r.Flow != flow {
			t.Errorf("3DS flow = %q, want %q", r.Flow, flow)
		}
		if r.LiabilityShift() != liabilityShift {
			t.Errorf("3DS ECI %q: liability shift = %v, want %v", r.ECI, r.LiabilityShift(), liabilityShift)
		}
	}
}

// unavailable checks that 3DS could not run: ECI 07 (00 for Mastercard), no
// liability shift, no authentication value.
func unavailable(t testing.TB, r *checkout.ThreeDSResult) {
	t.Helper()
	if r == nil {
		t.Fatal("no 3DS result; want ECI 07 without liability shift")
	}
	if r.ECI != "07" && r.ECI != "00" {
		t.Errorf("3DS ECI = %q, want 07 or 00", r.ECI)
	}
	if r.LiabilityShift() || r.AuthenticationValuePresent {
		t.Errorf("3DS unavailable but liability shift = %v, authentication value = %v", r.LiabilityShift(), r.AuthenticationValuePresent)
	}
}

// journey is one payment driven the way the Service drives it: the payment
// record keeps what the adapter returned between calls.
type journey struct {
	t       testing.TB
	h       Harness
	req     checkout.PayRequest
	payment checkout.Payment
	actions []checkout.ActionKind
}

func newJourney(t testing.TB, h Harness, number string) *journey {
	req := payRequest(h, number)
	return &journey{t: t, h: h, req: req, payment: checkout.Payment{
		ID:           req.PaymentID,
		SessionID:    req.SessionID,
		Provider:     h.Provider.Name(),
		Method:       req.Method,
		Status:       checkout.PaymentProcessing,
		Amount:       req.Amount,
		CaptureMode:  req.CaptureMode,
		ProviderData: map[string]string{},
		Card:         new(req.Card.Details()),
		Browser:      req.Browser,
		Attempt:      1,
		CreatedAt:    time.Now().UTC(),
	}}
}

// payRequest is a realistic card payment of 12.34 with a fresh payment id.
func payRequest(h Harness, number string) checkout.PayRequest {
	ids := checkout.RandomIDs{}
	paymentID, sessionID := ids.NewID(checkout.PrefixPayment), ids.NewID(checkout.PrefixSession)
	cvc := "123"
	if checkout.DetectBrand(number) == checkout.BrandAmex {
		cvc = "1234"
	}
	browser := checkout.BrowserInfo{
		UserAgent:         "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		AcceptHeader:      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		IP:                "203.0.113.7",
		Language:          "en-US",
		ColorDepth:        24,
		ScreenWidth:       1440,
		ScreenHeight:      900,
		InnerWidth:        1280,
		InnerHeight:       760,
		TimezoneOffset:    -60,
		JavaScriptEnabled: true,
	}
	const origin = "https://checkout.example.com"
	reference := "order-" + paymentID[len(checkout.PrefixPayment):][:8]
	return checkout.PayRequest{
		PaymentID:         paymentID,
		IdempotencyKey:    paymentID,
		SessionID:         sessionID,
		MerchantReference: reference,
		Description:       reference,
		Amount:            checkout.Money{Amount: 1234, Currency: h.Currency},
		LineItems: []checkout.LineItem{
			{Name: "Linen shirt", Quantity: 1, UnitAmount: 1000},
			{Name: "Socks", Quantity: 1, UnitAmount: 234},
		},
		Customer:        checkout.Customer{Email: "jane.doe@example.com"},
		Locale:          "en-US",
		Method:          checkout.MethodCard,
		Card:            &checkout.CardInput{Number: number, CVC: cvc, ExpMonth: 12, ExpYear: time.Now().Year() + 3, Holder: "Jane Doe"},
		Browser:         browser,
		ThreeDS:         checkout.ThreeDSAutomatic,
		CaptureMode:     checkout.CaptureAutomatic,
		ChallengeWindow: checkout.ChallengeWindowFor(browser.InnerWidth, browser.InnerHeight),
		ReturnURL:       origin + "/c/" + sessionID + "/return/" + paymentID,
		NotifyURL:       origin + "/notify/" + h.Provider.Name(),
		OriginURL:       origin,
	}
}

// pay calls Pay, then performs each action in the browser and continues,
// until the adapter concludes or fails to know.
func (j *journey) pay(otp string) (checkout.Outcome, error) {
	j.t.Helper()
	ctx := j.t.Context()
	out, err := j.h.Provider.Pay(ctx, j.req)
	for step := 0; err == nil && out.Status == checkout.OutcomeActionRequired; step++ {
		if step == 4 {
			j.t.Fatal("still asking for actions after 4 steps")
		}
		j.record(out)
		a := out.Action
		if a == nil || a.URL == "" {
			j.t.Fatal("requires_action without an action URL")
		}
		j.actions = append(j.actions, a.Kind)
		cont := j.h.Browser(j.t, *a, otp)
		if cont.Kind != a.Expects() {
			j.t.Fatalf("the browser came back with %q after %q", cont.Kind, a.Kind)
		}
		if a.Kind == checkout.ActionChallenge && a.MD != "" && cont.Values.Get("MD") != a.MD {
			j.t.Fatal("the challenge return does not carry the MD the action was bound to")
		}
		out, err = j.h.Provider.Continue(ctx, j.payment, cont)
	}
	if err != nil {
		j.noCardData(err)
		return out, err
	}
	j.record(out)
	return out, nil
}

// inquire asks the provider until it gives a final answer.
func (j *journey) inquire() (checkout.Outcome, error) {
	j.t.Helper()
	for range 20 {
		out, err := j.h.Provider.Inquire(j.t.Context(), j.payment)
		if err != nil {
			j.noCardData(err)
			return out, err
		}
		if out.Status != checkout.OutcomePending {
			j.record(out)
			return out, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	j.t.Fatal("the inquiry stayed pending")
	return checkout.Outcome{}, nil
}

// record keeps what the Service would keep of an answer.
func (j *journey) record(out checkout.Outcome) {
	if out.ProviderRef != "" {
		j.payment.ProviderRef = out.ProviderRef
	}
	maps.Copy(j.payment.ProviderData, out.ProviderData)
	if out.ThreeDS != nil {
		j.payment.ThreeDS = out.ThreeDS
	}
	j.payment.Action = out.Action
}

func (j *journey) challenged() bool {
	if j.h.Challenged != nil {
		return j.h.Challenged(j.req.PaymentID)
	}
	for _, k := range j.actions {
		if k == checkout.ActionChallenge {
			return true
		}
	}
	return false
}

func (j *journey) expect(out checkout.Outcome, status checkout.OutcomeStatus, decline checkout.DeclineCode) {
	j.t.Helper()
	if out.Status != status {
		j.t.Fatalf("status = %s, want %s (decline %+v)", out.Status, status, out.Decline)
	}
	if status != checkout.OutcomeFailed {
		return
	}
	if out.Decline == nil {
		j.t.Fatal("failed without a decline")
	}
	if decline != "" && out.Decline.Code != decline {
		j.t.Errorf("decline = %s (provider code %q), want %s", out.Decline.Code, out.Decline.ProviderCode, decline)
	}
}

func (j *journey) expectCharges(want int) {
	j.t.Helper()
	if got := j.h.Charges(j.req.PaymentID); got != want {
		j.t.Errorf("the sandbox charged the payment %d times, want %d", got, want)
	}
}

// noCardData checks that an error message does not carry the card number.
func (j *journey) noCardData(err error) {
	j.t.Helper()
	if strings.Contains(err.Error(), j.req.Card.Number) {
		j.t.Errorf("the error carries the card number: %v", err)
	}
}
