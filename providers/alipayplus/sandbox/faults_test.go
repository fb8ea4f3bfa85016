package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
)

// rawAnswer is what a client got from a pay that may misbehave.
type rawAnswer struct {
	status int
	body   []byte
	err    error
	took   time.Duration
	signed bool // the wallet's signature verifies over body
}

// rawPay sends a signed pay and reads whatever comes back; timeout bounds
// the wait (none when zero).
func (e *env) rawPay(id, value string, timeout time.Duration) rawAnswer {
	e.t.Helper()
	body := e.payBody(id, "USD", value)
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/v1/payments/pay", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if err := alipaysign.SignMessage(e.merchant, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, "/v1/payments/pay", creds().ClientID, e.now().Format(timeFormat), []byte(body)); err != nil {
		e.t.Fatal(err)
	}
	began := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawAnswer{err: err, took: time.Since(began)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a := rawAnswer{status: resp.StatusCode, body: raw, err: err, took: time.Since(began)}
	_, verr := alipaysign.VerifyMessage(e.wallet, resp.Header, alipaysign.HeaderResponseTime, http.MethodPost, "/v1/payments/pay", creds().ClientID, raw)
	a.signed = verr == nil
	return a
}

// TestFaultAmounts: the magic amounts misbehave on the pay that creates the
// order; the order then waits at the cashier, and only an Approve there
// charges.
func TestFaultAmounts(t *testing.T) {
	e := newEnv(t, nil)

	if a := e.rawPay("f-502", "10502", 0); a.status != http.StatusBadGateway || a.signed {
		t.Fatalf("…0502: %d %s", a.status, a.body)
	}
	if q := e.inquire("f-502"); q.result() != "F ORDER_NOT_EXIST" {
		t.Fatalf("inquiry after …0502: %s", q.result())
	}
	if _, ok := e.sb.CashierURL("f-502"); ok {
		t.Fatal("an order was created by …0502")
	}

	a := e.rawPay("f-503", "10503", 0)
	if a.status != http.StatusOK || json.Valid(a.body) || !a.signed {
		t.Fatalf("…0503: %d %s, signed %v", a.status, a.body, a.signed)
	}
	if a := e.rawPay("f-504", "10504", 300*time.Millisecond); a.err == nil {
		t.Fatalf("…0504 answered %d", a.status)
	}
	if a := e.rawPay("f-505", "10505", 0); a.err == nil {
		t.Fatalf("…0505 answered %d", a.status)
	}
	if a := e.rawPay("f-506", "10506", 0); a.status != http.StatusOK || !json.Valid(a.body) || a.took < sandboxfault.DefaultSlowDelay {
		t.Fatalf("…0506: %d %s after %v", a.status, a.body, a.took)
	}
	for _, id := range []string{"f-503", "f-504", "f-505", "f-506"} {
		st, ok := e.sb.PaymentState(id)
		if !ok || st.Status != StatusProcessing || st.Charges != 0 {
			t.Fatalf("%s: %+v", id, st)
		}
		if q := e.inquire(id); q.result() != "S SUCCESS" || str(q.get("paymentStatus")) != StatusProcessing {
			t.Fatalf("inquiry of %s: %s", id, q.raw)
		}
	}
	// The replay of the lost answer is whole, with the cashier form.
	again := e.pay("f-504", "10504")
	cashier, _ := e.sb.CashierURL("f-504")
	if again.result() != "S REPEAT_REQUEST" || str(again.get("redirectActionForm.redirectionUrl")) != cashier {
		t.Fatalf("replay: %s", again.raw)
	}
	_, doc := e.open(again)
	if resp := e.press(doc, TestIDApprove); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if e.sb.Charges("f-504") != 1 || e.sb.TotalCharges() != 1 {
		t.Fatalf("charges %d, %d in all", e.sb.Charges("f-504"), e.sb.TotalCharges())
	}
}

// TestInjectedFaults: a fault armed over HTTP counts pays, replays
// included, and never inquiries.
func TestInjectedFaults(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Post(e.base+sandboxfault.Path, "application/json", bytes.NewReader([]byte(`{"fault":"reset","count":2,"operation":"pay"}`)))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("arming: %v %v", resp, err)
	}
	resp.Body.Close()
	if q := e.inquire("i-1"); q.result() != "F ORDER_NOT_EXIST" || len(e.sb.ArmedFaults()) != 1 {
		t.Fatalf("the inquiry took the fault: %s", q.result())
	}
	for i := range 2 {
		if a := e.rawPay("i-1", "2500", 0); a.err == nil {
			t.Fatalf("pay %d answered %d", i, a.status)
		}
	}
	if a := e.pay("i-1", "2500"); a.result() != "S REPEAT_REQUEST" || len(e.sb.ArmedFaults()) != 0 {
		t.Fatalf("third pay: %s, armed %v", a.result(), e.sb.ArmedFaults())
	}
	if st, _ := e.sb.PaymentState("i-1"); st.Status != StatusProcessing || e.sb.Requests()["pay"] != 1 {
		t.Fatalf("order %+v, requests %v", st, e.sb.Requests())
	}
}
