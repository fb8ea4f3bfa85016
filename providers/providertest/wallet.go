package providertest

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// WalletHarness pairs a wallet adapter with its sandbox.
type WalletHarness struct {
	// Provider is the adapter under test, configured to talk to the sandbox.
	// Its "order not found" grace (if it has one) should be short, so that
	// an inquiry about a payment the wallet refused is final at once.
	Provider checkout.Provider
	// MisKeyed builds an adapter for the same sandbox whose keys do not
	// match the wallet's, so that nothing it sends or receives verifies.
	MisKeyed func(t testing.TB) checkout.Provider
	// Charges reports how many times the sandbox debited the shopper for
	// our payment id.
	Charges func(paymentID string) int
	// Cashier performs an action the way the shopper's browser would, over
	// plain HTTP: it opens the wallet's cashier, presses the button for
	// choice ("approve", "decline" or "cancel"), follows the wallet back and
	// returns what the browser brings to our return URL.
	Cashier func(t testing.TB, action checkout.Action, choice string) checkout.Continuation
	// Currency of the test payments; USD when empty.
	Currency string
}

// Cashier choices.
const (
	WalletApprove = "approve"
	WalletDecline = "decline"
	WalletCancel  = "cancel"
)

// Wallet test amounts (DESIGN.md section 6), in minor units.
const (
	walletAmount             int64 = 1234
	walletAmountOverLimit    int64 = 999999
	walletAmountInsufficient int64 = 1251 // ends in 51
)

// RunWallet runs every wallet scenario as a parallel subtest.
func RunWallet(t *testing.T, h WalletHarness) {
	t.Helper()
	if h.Provider == nil || h.MisKeyed == nil || h.Charges == nil || h.Cashier == nil {
		t.Fatal("providertest: the wallet harness needs Provider, MisKeyed, Charges and Cashier")
	}
	if h.Currency == "" {
		h.Currency = "USD"
	}
	if !h.Provider.Capabilities().Supports(checkout.MethodWallet) {
		t.Fatalf("%s does not offer wallet payments", h.Provider.Name())
	}

	for _, sc := range []struct {
		name    string
		amount  int64
		choice  string
		status  checkout.OutcomeStatus
		decline checkout.DeclineCode
		charges int
	}{
		{name: "approve", amount: walletAmount, choice: WalletApprove, status: checkout.OutcomeSucceeded, charges: 1},
		{name: "decline", amount: walletAmount, choice: WalletDecline, status: checkout.OutcomeFailed},
		{name: "cancel", amount: walletAmount, choice: WalletCancel, status: checkout.OutcomeFailed},
		{name: "approve, balance not enough", amount: walletAmountInsufficient, choice: WalletApprove,
			status: checkout.OutcomeFailed, decline: checkout.DeclineInsufficientFunds},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			j := newWalletJourney(t, h, sc.amount)
			out := j.pay()
			j.expectAction(out)
			out = j.cashier(out, sc.choice)
			j.expect(out, sc.status, sc.decline)
			j.expectCharges(sc.charges)
			// An inquiry afterwards must agree with what the flow concluded.
			j.expect(j.inquire(), sc.status, sc.decline)
			j.expectCharges(sc.charges)
		})
	}

	t.Run("amount over the wallet's limit", func(t *testing.T) {
		t.Parallel()
		j := newWalletJourney(t, h, walletAmountOverLimit)
		out := j.pay()
		j.expect(out, checkout.OutcomeFailed, checkout.DeclineLimitExceeded)
		j.expectCharges(0)
		// Nothing was created: an inquiry must not find a payment.
		j.expect(j.inquire(), checkout.OutcomeFailed, "")
		// The same payment again gets the same answer.
		j.expect(j.pay(), checkout.OutcomeFailed, checkout.DeclineLimitExceeded)
		j.expectCharges(0)
	})

	t.Run("paid again after approval", func(t *testing.T) {
		t.Parallel()
		j := newWalletJourney(t, h, walletAmount)
		first := j.pay()
		j.expectAction(first)
		out := j.cashier(first, WalletApprove)
		j.expect(out, checkout.OutcomeSucceeded, "")
		ref := j.payment.ProviderRef
		// The same payment paid again, as after a crash between the call and
		// recording its answer: the wallet knows the order, so nothing new
		// is created and nothing is charged again.
		again := j.pay()
		switch again.Status {
		case checkout.OutcomePending, checkout.OutcomeSucceeded:
		case checkout.OutcomeActionRequired:
			// Sent to the cashier again: pressing Approve again changes nothing.
			j.cashier(again, WalletApprove)
		default:
			t.Fatalf("paid again: %s (decline %+v)", again.Status, again.Decline)
		}
		if again.ProviderRef != "" && again.ProviderRef != ref {
			t.Errorf("paid again: the wallet answered with order %q, not %q", again.ProviderRef, ref)
		}
		j.expect(j.inquire(), checkout.OutcomeSucceeded, "")
		j.expectCharges(1)
	})

	t.Run("paid twice before the cashier", func(t *testing.T) {
		t.Parallel()
		j := newWalletJourney(t, h, walletAmount)
		first := j.pay()
		j.expectAction(first)
		second := j.pay()
		switch second.Status {
		case checkout.OutcomeActionRequired, checkout.OutcomePending:
		default:
			t.Fatalf("paid twice: the second answer is %s (decline %+v)", second.Status, second.Decline)
		}
		if second.ProviderRef != "" && second.ProviderRef != first.ProviderRef {
			t.Errorf("paid twice: two orders, %q and %q", first.ProviderRef, second.ProviderRef)
		}
		action := first
		if second.Status == checkout.OutcomeActionRequired {
			action = second
		}
		out := j.cashier(action, WalletApprove)
		j.expect(out, checkout.OutcomeSucceeded, "")
		// The first cashier link leads to the same, finished order.
		if second.Status == checkout.OutcomeActionRequired {
			j.cashier(first, WalletApprove)
		}
		j.expect(j.inquire(), checkout.OutcomeSucceeded, "")
		j.expectCharges(1)
	})

	t.Run("second press on a finished cashier", func(t *testing.T) {
		t.Parallel()
		j := newWalletJourney(t, h, walletAmount)
		first := j.pay()
		j.expectAction(first)
		j.expect(j.cashier(first, WalletDecline), checkout.OutcomeFailed, "")
		j.cashier(first, WalletApprove)
		j.expect(j.inquire(), checkout.OutcomeFailed, "")
		j.expectCharges(0)
	})

	t.Run("mis-keyed adapter", func(t *testing.T) {
		t.Parallel()
		j := newWalletJourney(t, h, walletAmount)
		out, err := h.MisKeyed(t).Pay(t.Context(), j.req)
		if err == nil {
			t.Fatalf("a mis-keyed adapter concluded %s; want an error", out.Status)
		}
		j.expectCharges(0)
	})

	t.Run("not a wallet payment", func(t *testing.T) {
		t.Parallel()
		j := newWalletJourney(t, h, walletAmount)
		req := j.req
		req.Method = checkout.MethodCard
		out, err := h.Provider.Pay(t.Context(), req)
		if err != nil || out.Status != checkout.OutcomeFailed || out.Decline == nil || out.Decline.Code != checkout.DeclineNotSupported {
			t.Fatalf("a card payment = %s %+v, %v; want failed, not_supported", out.Status, out.Decline, err)
		}
		j.expectCharges(0)
	})
}

// walletJourney is one wallet payment driven the way the Service drives
// it: the payment record keeps what the adapter returned between calls.
type walletJourney struct {
	t       testing.TB
	h       WalletHarness
	req     checkout.PayRequest
	payment checkout.Payment
}

func newWalletJourney(t testing.TB, h WalletHarness, amount int64) *walletJourney {
	req := walletPayRequest(h, amount)
	return &walletJourney{t: t, h: h, req: req, payment: checkout.Payment{
		ID:           req.PaymentID,
		SessionID:    req.SessionID,
		Provider:     h.Provider.Name(),
		Method:       req.Method,
		Status:       checkout.PaymentProcessing,
		Amount:       req.Amount,
		CaptureMode:  req.CaptureMode,
		ProviderData: map[string]string{},
		Browser:      req.Browser,
		Attempt:      1,
		CreatedAt:    time.Now().UTC(),
	}}
}

// walletPayRequest is a realistic wallet payment with a fresh payment id.
func walletPayRequest(h WalletHarness, amount int64) checkout.PayRequest {
	ids := checkout.RandomIDs{}
	paymentID, sessionID := ids.NewID(checkout.PrefixPayment), ids.NewID(checkout.PrefixSession)
	const origin = "https://checkout.example.com"
	reference := "order-" + paymentID[len(checkout.PrefixPayment):][:8]
	return checkout.PayRequest{
		PaymentID:         paymentID,
		IdempotencyKey:    paymentID,
		SessionID:         sessionID,
		MerchantReference: reference,
		Description:       "Linen shirt and socks",
		Amount:            checkout.Money{Amount: amount, Currency: h.Currency},
		LineItems:         []checkout.LineItem{{Name: "Order " + reference, Quantity: 1, UnitAmount: amount}},
		Customer:          checkout.Customer{Email: "jane.doe@example.com", Reference: "cust-42"},
		Locale:            "en-US",
		Method:            checkout.MethodWallet,
		Browser: checkout.BrowserInfo{
			UserAgent:         "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
			AcceptHeader:      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
			IP:                "203.0.113.7",
			Language:          "en-US",
			JavaScriptEnabled: true,
		},
		CaptureMode: checkout.CaptureAutomatic,
		ReturnURL:   origin + "/c/" + sessionID + "/return/" + paymentID,
		NotifyURL:   origin + "/notify/" + h.Provider.Name(),
		OriginURL:   origin,
	}
}

// pay calls Pay and records the answer; an error fails the test.
func (j *walletJourney) pay() checkout.Outcome {
	j.t.Helper()
	out, err := j.h.Provider.Pay(j.t.Context(), j.req)
	if err != nil {
		j.t.Fatalf("pay: outcome unknown: %v", err)
	}
	j.record(out)
	return out
}

// expectAction checks that the wallet accepted the order and asks for the
// shopper's browser at a cashier.
func (j *walletJourney) expectAction(out checkout.Outcome) {
	j.t.Helper()
	if out.Status != checkout.OutcomeActionRequired || out.Action == nil || out.Action.URL == "" {
		j.t.Fatalf("pay = %s (decline %+v); want requires_action with a cashier URL", out.Status, out.Decline)
	}
	switch out.Action.Kind {
	case checkout.ActionRedirect:
	case checkout.ActionRedirectForm:
		if m := strings.ToUpper(out.Action.Method); m != "POST" && m != "GET" {
			j.t.Errorf("redirect form method %q", out.Action.Method)
		}
	default:
		j.t.Fatalf("a wallet action of kind %q; want a top-level redirect or form", out.Action.Kind)
	}
	if out.ProviderRef == "" {
		j.t.Error("the accepted order has no provider reference")
	}
}

// cashier performs the action in the browser with choice and continues, as
// the Service does after the browser's return.
func (j *walletJourney) cashier(out checkout.Outcome, choice string) checkout.Outcome {
	j.t.Helper()
	cont := j.h.Cashier(j.t, *out.Action, choice)
	if cont.Kind != out.Action.Expects() {
		j.t.Fatalf("the browser came back with %q after %q", cont.Kind, out.Action.Kind)
	}
	next, err := j.h.Provider.Continue(j.t.Context(), j.payment, cont)
	if err != nil {
		j.t.Fatalf("continue: outcome unknown: %v", err)
	}
	j.record(next)
	return next
}

// inquire asks the provider until it gives a final answer.
func (j *walletJourney) inquire() checkout.Outcome {
	j.t.Helper()
	for range 20 {
		out, err := j.h.Provider.Inquire(j.t.Context(), j.payment)
		if err != nil {
			j.t.Fatalf("inquiry: %v", err)
		}
		if out.Status != checkout.OutcomePending {
			j.record(out)
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
	j.t.Fatal("the inquiry stayed pending")
	return checkout.Outcome{}
}

// record keeps what the Service would keep of an answer.
func (j *walletJourney) record(out checkout.Outcome) {
	if out.ProviderRef != "" {
		j.payment.ProviderRef = out.ProviderRef
	}
	maps.Copy(j.payment.ProviderData, out.ProviderData)
	if out.Action != nil {
		j.payment.Action = out.Action
		j.payment.Status = checkout.PaymentRequiresAction
	}
}

func (j *walletJourney) expect(out checkout.Outcome, status checkout.OutcomeStatus, decline checkout.DeclineCode) {
	j.t.Helper()
	if out.Status != status {
		j.t.Fatalf("status = %s, want %s (decline %+v)", out.Status, status, out.Decline)
	}
	if status != checkout.OutcomeFailed {
		if out.Decline != nil {
			j.t.Errorf("%s with a decline %+v", status, out.Decline)
		}
		return
	}
	if out.Decline == nil || out.Decline.Code == "" || out.Decline.Message == "" {
		j.t.Fatalf("failed without a decline code and message: %+v", out.Decline)
	}
	if decline != "" && out.Decline.Code != decline {
		j.t.Errorf("decline = %s (provider code %q), want %s", out.Decline.Code, out.Decline.ProviderCode, decline)
	}
}

func (j *walletJourney) expectCharges(want int) {
	j.t.Helper()
	if got := j.h.Charges(j.req.PaymentID); got != want {
		j.t.Errorf("the sandbox charged the payment %d times, want %d", got, want)
	}
}
