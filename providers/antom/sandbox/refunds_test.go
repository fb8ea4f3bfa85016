package sandbox_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// paidPayment pays 12.34 USD with automatic capture, notifications to the
// sink; it returns our payment id and Antom's.
func (e *tenv) paidPayment(t *testing.T) (string, string) {
	t.Helper()
	id := newID()
	a := e.post(t, "pay", payBody(id, testcards.Visa, func(b map[string]any) { b["paymentNotifyUrl"] = e.srv.URL + "/notify/antom" }))
	ref, _ := a.fields["paymentId"].(string)
	if a.code() != "SUCCESS" || ref == "" {
		t.Fatalf("pay: %s", a.raw)
	}
	return id, ref
}

func (e *tenv) refund(t *testing.T, reqID, ref, value string) answer {
	t.Helper()
	return e.post(t, "refund", map[string]any{"refundRequestId": reqID, "paymentId": ref, "refundAmount": map[string]any{"currency": "USD", "value": value}})
}

func (e *tenv) inquireRefund(t *testing.T, body map[string]string) answer {
	t.Helper()
	return e.post(t, "inquiryRefund", body)
}

// TestRefundInquiries: inquiryRefund answers a refund by refundRequestId
// or refundId, and REFUND_NOT_EXIST for one it does not know.
func TestRefundInquiries(t *testing.T) {
	e := newTestEnv(t, nil)
	id, ref := e.paidPayment(t)
	made := e.refund(t, "re-"+id, ref, "500")
	if made.code() != "SUCCESS" || made.fields["refundId"] == "" {
		t.Fatalf("refund: %s", made.raw)
	}
	for name, body := range map[string]map[string]string{
		"by refundRequestId":      {"refundRequestId": "re-" + id},
		"by refundId":             {"refundId": made.fields["refundId"].(string)},
		"refundId takes the lead": {"refundId": made.fields["refundId"].(string), "refundRequestId": "someone-else"},
	} {
		q := e.inquireRefund(t, body)
		if q.code() != "SUCCESS" || q.resultStatus() != "S" || q.fields["refundStatus"] != "SUCCESS" || q.fields["refundRequestId"] != "re-"+id ||
			q.fields["refundId"] != made.fields["refundId"] || field(q.fields, "refundAmount.value") != "500" || q.fields["refundTime"] == nil {
			t.Errorf("%s: %s", name, q.raw)
		}
	}
	if q := e.inquireRefund(t, map[string]string{"refundRequestId": "re-unknown"}); q.code() != "REFUND_NOT_EXIST" || q.resultStatus() != "F" {
		t.Errorf("unknown refund: %s", q.raw)
	}
	if q := e.inquireRefund(t, map[string]string{}); q.code() != "PARAM_ILLEGAL" {
		t.Errorf("no id: %s", q.raw)
	}
	if q := e.post(t, "inquiryRefund", map[string]string{"refundRequestId": "re-" + id}, func(c *call) { c.key = mustKey(t) }); q.code() != "INVALID_SIGNATURE" {
		t.Errorf("mis-signed: %s", q.raw)
	}
	if rs := e.sb.Refunds(id); len(rs) != 1 || rs[0].Outcome != checkout.RefundSucceeded || rs[0].Inquiries != 3 {
		t.Errorf("ledger %+v", rs)
	}
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	other, err := alipaysign.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	k, err := alipaysign.ParsePrivateKey(other.Private)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestHeldRefunds: a refund ending in 71 or 72 is U REFUND_IN_PROCESS and
// PROCESSING for two inquiries, then SUCCESS or FAIL; the held amount is
// reserved, a failed one released; notifyRefund goes out when each is final.
func TestHeldRefunds(t *testing.T) {
	e := newTestEnv(t, nil)
	id, ref := e.paidPayment(t)
	for _, r := range []struct{ reqID, value string }{{"re-ok-" + id, "171"}, {"re-no-" + id, "972"}} {
		a := e.refund(t, r.reqID, ref, r.value)
		if a.resultStatus() != "U" || a.code() != "REFUND_IN_PROCESS" || a.fields["refundId"] == nil || a.fields["refundTime"] != nil {
			t.Fatalf("held refund %s: %s", r.value, a.raw)
		}
	}
	if st, _ := e.sb.PaymentState(id); st.Refunded != 0 || st.RefundPending != 1143 {
		t.Fatalf("while held: %+v", st)
	}
	if a := e.refund(t, "re-more-"+id, ref, "92"); a.code() != "REFUND_AMOUNT_EXCEED" {
		t.Errorf("refund of reserved money: %s", a.raw)
	}
	statuses := func(reqID string) string {
		var got []string
		for range 3 {
			got = append(got, e.inquireRefund(t, map[string]string{"refundRequestId": reqID}).fields["refundStatus"].(string))
		}
		return strings.Join(got, " ")
	}
	if got := statuses("re-ok-" + id); got != "PROCESSING PROCESSING SUCCESS" {
		t.Errorf("…71: %s", got)
	}
	if got := statuses("re-no-" + id); got != "PROCESSING PROCESSING FAIL" {
		t.Errorf("…72: %s", got)
	}
	if st, _ := e.sb.PaymentState(id); st.Refunded != 171 || st.RefundPending != 0 {
		t.Fatalf("after settling: %+v", st)
	}
	// Replays answer the refunds as they stand now.
	if a := e.refund(t, "re-ok-"+id, ref, "171"); a.code() != "SUCCESS" || a.resultStatus() != "S" {
		t.Errorf("replay of the settled refund: %s", a.raw)
	}
	if a := e.refund(t, "re-no-"+id, ref, "972"); a.code() != "PROCESS_FAIL" || a.resultStatus() != "F" {
		t.Errorf("replay of the failed refund: %s", a.raw)
	}
	// The failed 9.72 is free again.
	if a := e.refund(t, "re-rest-"+id, ref, "1063"); a.code() != "SUCCESS" {
		t.Errorf("refund of the rest: %s", a.raw)
	}
	var outcomes []string
	for _, r := range e.sb.Refunds(id) {
		outcomes = append(outcomes, strings.TrimSuffix(r.RefundRequestID, "-"+id)+":"+string(r.Outcome))
	}
	if got := strings.Join(outcomes, " "); got != "re-ok:succeeded re-no:failed re-rest:succeeded" {
		t.Errorf("ledger: %s", got)
	}
	q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id})
	var txs []string
	for _, tx := range q.fields["transactions"].([]any) {
		m := tx.(map[string]any)
		txs = append(txs, m["transactionType"].(string)+":"+field(m, "transactionAmount.value").(string)+":"+m["transactionStatus"].(string))
	}
	if got := strings.Join(txs, " "); got != "CAPTURE:1234:SUCCESS REFUND:171:SUCCESS REFUND:972:FAIL REFUND:1063:SUCCESS" {
		t.Errorf("transactions: %s", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	var refunds []string
	for _, r := range e.sink.got() {
		var n struct {
			NotifyType      string `json:"notifyType"`
			RefundStatus    string `json:"refundStatus"`
			RefundRequestID string `json:"refundRequestId"`
			RefundID        string `json:"refundId"`
			Result          struct {
				ResultCode, ResultStatus string
			} `json:"result"`
		}
		if json.Unmarshal(r.body, &n) != nil || n.NotifyType != sandbox.NotifyRefundResult {
			continue
		}
		pub, _ := alipaysign.ParsePublicKey(e.creds.AntomPublicKey)
		if _, err := alipaysign.VerifyMessage(pub, r.header, alipaysign.HeaderRequestTime, http.MethodPost, r.uri, e.creds.ClientID, r.body); err != nil || r.uri != "/notify/antom" {
			t.Errorf("notifyRefund to %s does not verify: %v", r.uri, err)
		}
		if n.RefundID == "" {
			t.Errorf("notifyRefund without refundId: %s", r.body)
		}
		refunds = append(refunds, strings.TrimSuffix(n.RefundRequestID, "-"+id)+":"+n.RefundStatus+":"+n.Result.ResultStatus+":"+n.Result.ResultCode)
	}
	if got := strings.Join(refunds, " "); got != "re-ok:SUCCESS:S:SUCCESS re-no:FAIL:F:PROCESS_FAIL re-rest:SUCCESS:S:SUCCESS" {
		t.Errorf("notifyRefund: %s", got)
	}
}

// TestRefundFaults: a refund under a 5xx is not made; under a timeout it
// is, and inquiryRefund shows it; inquiryRefund takes only faults armed
// for it by name.
func TestRefundFaults(t *testing.T) {
	e := newTestEnv(t, nil)
	id, ref := e.paidPayment(t)
	body := map[string]any{"refundRequestId": "re-5xx-" + id, "paymentId": ref, "refundAmount": map[string]any{"currency": "USD", "value": "100"}}

	e.arm(t, `{"fault":"5xx","operation":"refund"}`)
	if got := e.status(t, "refund", body); got != http.StatusBadGateway {
		t.Fatalf("refund under 5xx: %d", got)
	}
	if q := e.inquireRefund(t, map[string]string{"refundRequestId": "re-5xx-" + id}); q.code() != "REFUND_NOT_EXIST" {
		t.Fatalf("after the 5xx: %s", q.raw)
	}
	if a := e.post(t, "refund", body); a.code() != "SUCCESS" {
		t.Fatalf("refund after the 5xx: %s", a.raw)
	}

	e.arm(t, `{"fault":"timeout","operation":"refund","delay_ms":50}`)
	if a := e.refund(t, "re-slow-"+id, ref, "200"); a.code() != "SUCCESS" {
		t.Fatalf("refund under a short hold: %s", a.raw)
	}
	// An unscoped fault is not taken by an inquiry, but by the next refund.
	e.arm(t, `{"fault":"malformed"}`)
	if q := e.inquireRefund(t, map[string]string{"refundRequestId": "re-slow-" + id}); q.code() != "SUCCESS" {
		t.Fatalf("inquiry took an unscoped fault: %s", q.raw)
	}
	if a := e.refund(t, "re-cut-"+id, ref, "300"); a.fields != nil || a.status != http.StatusOK {
		t.Fatalf("refund under malformed: %d %s", a.status, a.raw)
	}
	e.arm(t, `{"fault":"5xx","operation":"inquiryRefund"}`)
	if got := e.status(t, "inquiryRefund", map[string]string{"refundRequestId": "re-cut-" + id}); got != http.StatusBadGateway {
		t.Fatalf("inquiry under 5xx: %d", got)
	}
	e.arm(t, `{"fault":"malformed","operation":"inquiryRefund"}`)
	if q := e.inquireRefund(t, map[string]string{"refundRequestId": "re-cut-" + id}); q.fields != nil {
		t.Fatalf("inquiry under malformed: %s", q.raw)
	}
	if len(e.sb.ArmedFaults()) != 0 {
		t.Fatalf("still armed: %v", e.sb.ArmedFaults())
	}
	if rs := e.sb.Refunds(id); len(rs) != 3 {
		t.Fatalf("ledger: %+v", rs)
	}
}
