package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// capturedPayment makes a Visa payment of 12.34 EUR and approves it in
// full; it returns our reference and Worldline's id.
func (e *env) capturedPayment(t *testing.T) (string, string) {
	t.Helper()
	ref, r := e.create(testcards.Visa)
	c, _ := paymentOf(t, r)
	a := e.do(call{method: http.MethodPost, path: "/payments/" + c.Payment.ID + "/approve", body: map[string]any{"amount": 1234}, key: ref + "-approve"})
	if a.status != http.StatusOK {
		t.Fatalf("approve: %d %s", a.status, a.body)
	}
	return ref, c.Payment.ID
}

// refund posts a refund of amount EUR under our refund id (also the key).
func (e *env) refund(id string, amount int64, refundID string) result {
	return e.do(call{method: http.MethodPost, path: "/payments/" + id + "/refund", key: refundID, body: map[string]any{
		"amountOfMoney":    map[string]any{"amount": amount, "currencyCode": "EUR"},
		"refundReferences": map[string]any{"merchantReference": refundID},
	}})
}

func refundOf(t testing.TB, r result, status int) refundResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("HTTP %d %s, want %d", r.status, r.body, status)
	}
	var rf refundResponse
	r.decode(t, &rf)
	return rf
}

// TestRefundInquiries: Get refund and Find refunds answer a refund as it
// stands; an unknown id is 404 and an unknown reference an empty list.
func TestRefundInquiries(t *testing.T) {
	e := newEnv(t)
	ref, id := e.capturedPayment(t)
	made := refundOf(t, e.refund(id, 500, "re_one"), http.StatusCreated)

	got := refundOf(t, e.do(call{method: http.MethodGet, path: "/refunds/" + made.ID}), http.StatusOK)
	if got.ID != made.ID || got.Status != statusRefundRequested || got.RefundOutput.AmountOfMoney != (money{500, "EUR"}) ||
		got.RefundOutput.References == nil || got.RefundOutput.References.MerchantReference != "re_one" {
		t.Errorf("get refund = %+v", got)
	}
	var found findRefundsResponse
	f := e.do(call{method: http.MethodGet, path: "/refunds", query: "merchantReference=re_one&offset=0&limit=10"})
	f.decode(t, &found)
	if f.status != http.StatusOK || found.TotalCount != 1 || len(found.Refunds) != 1 || found.Refunds[0].ID != made.ID || found.Limit != 10 {
		t.Errorf("find refunds = %d %+v", f.status, found)
	}
	f = e.do(call{method: http.MethodGet, path: "/refunds", query: "merchantReference=re_none"})
	f.decode(t, &found)
	if f.status != http.StatusOK || found.TotalCount != 0 || found.Refunds == nil || len(found.Refunds) != 0 {
		t.Errorf("find nothing = %d %s", f.status, f.body)
	}
	expectError(t, "unknown refund", e.do(call{method: http.MethodGet, path: "/refunds/" + id + "-9"}), 404, "1004", "")
	expectError(t, "bad limit", e.do(call{method: http.MethodGet, path: "/refunds", query: "limit=101"}), 400, "21000020", "limit")
	if r := e.do(call{method: http.MethodPost, path: "/refunds/" + made.ID, body: map[string]any{}}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST a refund: %d", r.status)
	}
	if st := e.sb.Refunds(ref); len(st) != 1 || st[0].MerchantReference != "re_one" || st[0].Outcome != checkout.RefundSucceeded || st[0].Inquiries != 2 {
		t.Errorf("ledger = %+v", st)
	}
	if r := e.do(call{method: http.MethodGet, path: "/refunds/" + made.ID, secret: "wrong"}); r.status != http.StatusForbidden {
		t.Errorf("unsigned get refund: %d", r.status)
	}
}

// TestPendingRefunds: a refund ending in 71 or 72 is PENDING_APPROVAL for
// two inquiries, then REFUND_REQUESTED or REJECTED; the pending amount is
// reserved, and a rejected one released.
func TestPendingRefunds(t *testing.T) {
	e := newEnv(t)
	ref, id := e.capturedPayment(t)

	ok := refundOf(t, e.refund(id, 171, "re_ok"), http.StatusCreated)
	no := refundOf(t, e.refund(id, 972, "re_no"), http.StatusCreated)
	for _, rf := range []refundResponse{ok, no} {
		if rf.Status != statusPendingApproval || rf.StatusOutput.StatusCode != 600 || rf.StatusOutput.StatusCategory != "PENDING_MERCHANT" {
			t.Fatalf("pending refund = %+v", rf)
		}
	}
	if st, _ := e.sb.Payment(ref); st.Refunded != 0 || st.RefundPending != 1143 || st.Status != statusCaptured {
		t.Fatalf("while pending: %+v", st)
	}
	// 91 is left while both are pending.
	expectError(t, "refund reserved money", e.refund(id, 92, "re_more"), 400, "21000020", "amountOfMoney.amount")

	statuses := func(rf refundResponse) []string {
		var got []string
		for i := range 3 {
			if i%2 == 0 {
				got = append(got, refundOf(t, e.do(call{method: http.MethodGet, path: "/refunds/" + rf.ID}), http.StatusOK).Status)
				continue
			}
			var found findRefundsResponse
			r := e.do(call{method: http.MethodGet, path: "/refunds", query: "merchantReference=" + rf.RefundOutput.References.MerchantReference})
			r.decode(t, &found)
			got = append(got, found.Refunds[0].Status)
		}
		return got
	}
	if got := strings.Join(statuses(ok), " "); got != "PENDING_APPROVAL PENDING_APPROVAL REFUND_REQUESTED" {
		t.Errorf("…71 read as %s", got)
	}
	if got := strings.Join(statuses(no), " "); got != "PENDING_APPROVAL PENDING_APPROVAL REJECTED" {
		t.Errorf("…72 read as %s", got)
	}
	if st, _ := e.sb.Payment(ref); st.Refunded != 171 || st.RefundPending != 0 || st.Status != statusCaptured {
		t.Fatalf("after settling: %+v", st)
	}
	// The rejected 9.72 is free again: refunding the rest empties the payment.
	refundOf(t, e.refund(id, 1063, "re_rest"), http.StatusCreated)
	if st, _ := e.sb.Payment(ref); st.Refunded != 1234 || st.Status != statusRefunded {
		t.Fatalf("after refunding the rest: %+v", st)
	}
	var outcomes []string
	for _, r := range e.sb.Refunds(ref) {
		outcomes = append(outcomes, r.MerchantReference+":"+string(r.Outcome))
	}
	if got := strings.Join(outcomes, " "); got != "re_ok:succeeded re_no:failed re_rest:succeeded" {
		t.Errorf("ledger: %s", got)
	}
	// A replay of the pending refund's create answers what it answered then.
	if again := refundOf(t, e.refund(id, 171, "re_ok"), http.StatusCreated); again.Status != statusPendingApproval {
		t.Errorf("replay = %s", again.Status)
	}

	e.waitWebhooks()
	var types []string
	for _, d := range e.sb.Deliveries() {
		if d.RefundReference == "re_ok" || d.RefundReference == "re_no" {
			types = append(types, d.RefundReference+":"+d.Type)
		}
	}
	if got := strings.Join(types, " "); got != "re_ok:refund.pending_approval re_no:refund.pending_approval re_ok:refund.refund_requested re_no:refund.rejected" {
		t.Errorf("refund webhooks: %s", got)
	}
}

// TestRefundFaults: a refund under a 5xx is not made and its key not
// kept; under a timeout it is made, and Find shows it; the inquiries take
// only faults armed for them by name.
func TestRefundFaults(t *testing.T) {
	e := newEnv(t)
	ref, id := e.capturedPayment(t)

	e.arm(t, `{"fault":"5xx","operation":"refund"}`)
	if r := e.refund(id, 100, "re_5xx"); r.status != http.StatusBadGateway {
		t.Fatalf("refund under 5xx: %d", r.status)
	}
	if _, ok := e.sb.Refund("re_5xx"); ok {
		t.Fatal("the 5xx made a refund")
	}
	if again := refundOf(t, e.refund(id, 100, "re_5xx"), http.StatusCreated); again.Status != statusRefundRequested || again.ID == "" {
		t.Fatalf("refund after the 5xx: %+v", again)
	}

	e.arm(t, `{"fault":"timeout","operation":"refund","delay_ms":50}`)
	if r := e.refund(id, 200, "re_slow"); r.status != http.StatusCreated {
		t.Fatalf("refund under a short timeout hold: %d", r.status)
	}
	if st, ok := e.sb.Refund("re_slow"); !ok || st.Outcome != checkout.RefundSucceeded {
		t.Fatalf("ledger after the timeout: %+v", st)
	}

	// An unscoped fault is not taken by an inquiry, but by the next refund.
	e.arm(t, `{"fault":"malformed"}`)
	if r := e.do(call{method: http.MethodGet, path: "/refunds", query: "merchantReference=re_slow"}); r.status != http.StatusOK || !json.Valid(r.body) {
		t.Fatalf("find took an unscoped fault: %d %s", r.status, r.body)
	}
	if r := e.refund(id, 300, "re_cut"); r.status != http.StatusCreated || json.Valid(r.body) {
		t.Fatalf("refund under malformed: %d %s", r.status, r.body)
	}

	e.arm(t, `{"fault":"5xx","operation":"inquire-refund"}`)
	if r := e.do(call{method: http.MethodGet, path: "/refunds", query: "merchantReference=re_cut"}); r.status != http.StatusBadGateway {
		t.Fatalf("find under an inquiry 5xx: %d", r.status)
	}
	e.arm(t, `{"fault":"malformed","operation":"inquire-refund"}`)
	if r := e.do(call{method: http.MethodGet, path: "/refunds", query: "merchantReference=re_cut"}); r.status != http.StatusOK || json.Valid(r.body) {
		t.Fatalf("find under an inquiry malformed: %d %s", r.status, r.body)
	}
	if len(e.sb.ArmedFaults()) != 0 {
		t.Fatalf("still armed: %v", e.sb.ArmedFaults())
	}
	if rs := e.sb.Refunds(ref); len(rs) != 3 {
		t.Fatalf("ledger: %+v", rs)
	}
}
