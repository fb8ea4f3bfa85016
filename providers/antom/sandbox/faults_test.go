package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// arm posts a fault to the control endpoint.
func (e *tenv) arm(t *testing.T, fault string) {
	t.Helper()
	resp, err := http.Post(e.base+sandboxfault.Path, "application/json", bytes.NewReader([]byte(fault)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("arming %s: HTTP %d", fault, resp.StatusCode)
	}
}

// status sends a signed request and returns only the HTTP status, for
// answers that are not Antom's (the 502 of a 5xx fault is unsigned).
func (e *tenv) status(t *testing.T, endpoint string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	path := "/ams/sandbox/api/v1/payments/" + endpoint
	req, _ := http.NewRequest(http.MethodPost, e.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if err := alipaysign.SignMessage(e.merchant, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, path, e.creds.ClientID, strconv.FormatInt(time.Now().UnixMilli(), 10), b); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func holder(name string) func(map[string]any) {
	return func(b map[string]any) {
		meta(b)["cardholderName"] = map[string]any{"firstName": "Jane", "lastName": "Doe", "fullName": name}
	}
}

// TestFaultHolders: each magic cardholder name misbehaves on pay as
// documented (a malformed answer still signed), the payment is on the
// ledger, and the replay answers normally.
func TestFaultHolders(t *testing.T) {
	e := newTestEnv(t, nil)
	replay := func(t *testing.T, id, name string) {
		t.Helper()
		if r := e.post(t, "pay", payBody(id, testcards.Visa, holder(name))); r.code() != "SUCCESS" || e.sb.Charges(id) != 1 {
			t.Fatalf("replay: %s, charges %d", r.raw, e.sb.Charges(id))
		}
	}

	id := newID()
	if a := e.post(t, "pay", payBody(id, testcards.Visa, holder(sandboxfault.HolderServerError))); a.status != http.StatusInternalServerError {
		t.Fatalf("server error: %d %s", a.status, a.raw)
	}
	if q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id}); q.code() != "ORDER_NOT_EXIST" || e.sb.Charges(id) != 0 {
		t.Fatalf("after the server error: %s, charges %d", q.code(), e.sb.Charges(id))
	}

	id = newID()
	a := e.post(t, "pay", payBody(id, testcards.Visa, holder(sandboxfault.HolderMalformed))) // post checks the signature
	if a.status != http.StatusOK || json.Valid(a.raw) || e.sb.Charges(id) != 1 {
		t.Fatalf("malformed: %d %s, charges %d", a.status, a.raw, e.sb.Charges(id))
	}
	replay(t, id, sandboxfault.HolderMalformed) // the same request: answered normally this time

	id = newID()
	if a := e.post(t, "pay", payBody(id, testcards.Visa, holder(sandboxfault.HolderReset))); a.status != -1 || e.sb.Charges(id) != 1 {
		t.Fatalf("reset: %d, charges %d", a.status, e.sb.Charges(id))
	}
	replay(t, id, sandboxfault.HolderReset)

	id = newID()
	began := time.Now()
	if a := e.post(t, "pay", payBody(id, testcards.Visa, holder(sandboxfault.HolderSlow))); a.code() != "SUCCESS" || time.Since(began) < sandboxfault.DefaultSlowDelay {
		t.Fatalf("slow: %s after %v", a.code(), time.Since(began))
	}
	if e.sb.TotalCharges() != 3 {
		t.Fatalf("%d charges in all, want 3", e.sb.TotalCharges())
	}
}

// TestInjectedFaults: faults armed over HTTP hit only the operation they
// name; a 5xx does nothing; inquiryPayment never takes one.
func TestInjectedFaults(t *testing.T) {
	e := newTestEnv(t, nil)
	manual := func(b map[string]any) {
		b["paymentFactor"] = map[string]any{"isAuthorization": true, "captureMode": "MANUAL"}
	}
	e.arm(t, `{"fault":"5xx","operation":"capture"}`)
	id := newID()
	paid := e.post(t, "pay", payBody(id, testcards.Visa, manual))
	ref, _ := paid.fields["paymentId"].(string)
	if paid.code() != "SUCCESS" || e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id}).code() != "SUCCESS" {
		t.Fatalf("pay or inquiry took the capture fault: %s", paid.raw)
	}
	capture := map[string]any{"captureRequestId": id + "-capture", "paymentId": ref, "captureAmount": map[string]any{"currency": "USD", "value": "1234"}}
	if code := e.status(t, "capture", capture); code != http.StatusBadGateway {
		t.Fatalf("capture under 5xx: HTTP %d", code)
	}
	if st, _ := e.sb.PaymentState(id); st.Captured != 0 {
		t.Fatalf("the 5xx captured: %+v", st)
	}
	if c := e.post(t, "capture", capture); c.code() != "SUCCESS" {
		t.Fatalf("capture after the 5xx: %s", c.raw)
	}

	e.arm(t, `{"fault":"timeout","operation":"pay","delay_ms":200}`)
	id = newID()
	began := time.Now()
	if a := e.post(t, "pay", payBody(id, testcards.Visa)); a.code() != "SUCCESS" || time.Since(began) < 200*time.Millisecond {
		t.Fatalf("held pay: %s after %v", a.code(), time.Since(began))
	}
	if len(e.sb.ArmedFaults()) != 0 || e.sb.TotalCharges() != 2 {
		t.Fatalf("armed %v, %d charges", e.sb.ArmedFaults(), e.sb.TotalCharges())
	}
}
