package sandbox

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
)

// checkedOutAs pays 4242 with the adapter up to device data collection,
// holder being the name on the card, and returns the payment as the
// Service would hold it.
func (e *testEnv) checkedOutAs(holder string) checkout.Payment {
	e.t.Helper()
	id := checkout.RandomIDs{}.NewID(checkout.PrefixPayment)
	req := checkout.PayRequest{
		PaymentID: id, IdempotencyKey: id, Description: "order-7",
		Amount:          checkout.Money{Amount: 4200, Currency: "USD"},
		Method:          checkout.MethodCard,
		Card:            &checkout.CardInput{Number: "4242424242424242", CVC: "123", ExpMonth: 12, ExpYear: 2031, Holder: holder},
		Browser:         checkout.BrowserInfo{UserAgent: "Mozilla/5.0"},
		ChallengeWindow: checkout.WindowSizeByCode("02"),
		ReturnURL:       "https://checkout.example.com/c/cs_1/return/" + id,
		OriginURL:       "https://checkout.example.com",
	}
	out, err := e.adapter.Pay(e.t.Context(), req)
	if err != nil || out.Action == nil {
		e.t.Fatalf("Pay = %+v, %v", out, err)
	}
	return checkout.Payment{ID: id, Browser: req.Browser, ProviderData: out.ProviderData}
}

func (e *testEnv) payOrder(ctx context.Context, p checkout.Payment) (checkout.Outcome, error) {
	return e.adapter.Continue(ctx, p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
}

// TestFaultHolders: each magic cardholder name misbehaves on payOrder as
// documented, the ledger counts the charge, and queryOrder or a replay
// tells the truth.
func TestFaultHolders(t *testing.T) {
	e := newTestEnv(t)
	settled := func(p checkout.Payment, want checkout.OutcomeStatus, charges int) {
		t.Helper()
		out, err := e.adapter.Inquire(t.Context(), p)
		o, _ := e.sb.Order(p.ID)
		if err != nil || out.Status != want || o.Charges != charges {
			t.Fatalf("queryOrder = %+v, %v; %d charges", out, err, o.Charges)
		}
	}

	p := e.checkedOutAs(sandboxfault.HolderServerError)
	if _, err := e.payOrder(t.Context(), p); err == nil {
		t.Fatal("server error: payOrder answered")
	}
	settled(p, checkout.OutcomeFailed, 0)

	p = e.checkedOutAs(sandboxfault.HolderMalformed)
	if _, err := e.payOrder(t.Context(), p); err == nil {
		t.Fatal("malformed: payOrder answered")
	}
	settled(p, checkout.OutcomeSucceeded, 1)
	if out, err := e.payOrder(t.Context(), p); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Fatalf("replay after malformed = %+v, %v", out, err)
	}

	p = e.checkedOutAs(sandboxfault.HolderReset)
	if _, err := e.payOrder(t.Context(), p); err == nil {
		t.Fatal("reset: payOrder answered")
	}
	settled(p, checkout.OutcomeSucceeded, 1)

	p = e.checkedOutAs(sandboxfault.HolderTimeout)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := e.payOrder(ctx, p); err == nil {
		t.Fatal("timeout: payOrder answered")
	}
	settled(p, checkout.OutcomeSucceeded, 1)

	p = e.checkedOutAs(sandboxfault.HolderSlow)
	began := time.Now()
	if out, err := e.payOrder(t.Context(), p); err != nil || out.Status != checkout.OutcomeSucceeded || time.Since(began) < sandboxfault.DefaultSlowDelay {
		t.Fatalf("slow = %+v, %v after %v", out, err, time.Since(began))
	}
	if e.sb.Charges() != 4 {
		t.Fatalf("%d charges in all, want 4", e.sb.Charges())
	}
}

// TestInjectedFaults: a fault armed over HTTP waits for payOrder (the
// services before it never take one); a 5xx there fails the order without
// a charge.
func TestInjectedFaults(t *testing.T) {
	e := newTestEnv(t)
	arm := func(fault string) {
		t.Helper()
		resp, err := http.Post(e.base+sandboxfault.Path, "application/json", bytes.NewReader([]byte(fault)))
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("arming %s: %v %v", fault, resp, err)
		}
		resp.Body.Close()
	}

	arm(`{"fault":"5xx","operation":"payOrder"}`)
	p := e.checkedOutAs("Jane Doe")
	if len(e.sb.ArmedFaults()) != 1 {
		t.Fatal("a service before payOrder took the fault")
	}
	if _, err := e.payOrder(t.Context(), p); err == nil {
		t.Fatal("payOrder answered under 5xx")
	}
	if o, _ := e.sb.Order(p.ID); o.Outcome != payorder.OutcomeFailed || o.Charges != 0 {
		t.Fatalf("order after the 5xx: %+v", o)
	}

	arm(`{"fault":"slow","count":2,"delay_ms":200}`)
	p = e.checkedOutAs("Jane Doe")
	for i := range 2 { // the charge, then its replay: both held
		began := time.Now()
		if out, err := e.payOrder(t.Context(), p); err != nil || out.Status != checkout.OutcomeSucceeded || time.Since(began) < 200*time.Millisecond {
			t.Fatalf("payOrder %d = %+v, %v after %v", i, out, err, time.Since(began))
		}
	}
	if o, _ := e.sb.Order(p.ID); o.Charges != 1 || len(e.sb.ArmedFaults()) != 0 {
		t.Fatalf("charges %d, armed %v", o.Charges, e.sb.ArmedFaults())
	}
}
