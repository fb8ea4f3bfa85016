package antom

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

const notifyURI = "/notify/antom?merchant=mer_1"

// signedNotification is a notification as Antom posts it: signed with the
// Antom key over "POST <uri>" for clientID at requestTime.
func signedNotification(t *testing.T, body, uri, clientID, key, requestTime string) checkout.NotificationRequest {
	t.Helper()
	priv, err := alipaysign.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if err := alipaysign.SignMessage(priv, h, alipaysign.HeaderRequestTime, http.MethodPost, uri, clientID, requestTime, []byte(body)); err != nil {
		t.Fatal(err)
	}
	return checkout.NotificationRequest{Method: http.MethodPost, RequestURI: uri, Header: h, Body: []byte(body)}
}

func notificationClient(t *testing.T) *Client {
	t.Helper()
	return mustClient(t, testConfig("https://open-sea-global.alipay.com", time.Second))
}

func TestNotificationSeedSample(t *testing.T) {
	_, antom, _ := testKeys(t)
	c := notificationClient(t)
	body := string(readTestdata(t, "seed_notify_payment.json"))
	n, err := c.Notification(t.Context(), signedNotification(t, body, notifyURI, testClientID, antom.Private, "2020-01-01T12:01:01+08:30"))
	if err != nil {
		t.Fatal(err)
	}
	if n.EventID != "PAYMENT_RESULT:2020010123456789XXXX:S:SUCCESS" || n.Type != "PAYMENT_RESULT" ||
		n.PaymentID != "2020010123456789XXXX" || n.ProviderRef != "2020010123456789XXXX" {
		t.Errorf("notification = %+v", n)
	}
	if n.Amount == nil || *n.Amount != (checkout.Money{Amount: 8000, Currency: "EUR"}) {
		t.Errorf("amount = %+v", n.Amount)
	}
	if n.Outcome.Status != checkout.OutcomeAuthorized || n.Outcome.ThreeDS == nil || n.Outcome.ThreeDS.ECI != "02" || !n.Outcome.ThreeDS.AuthenticationValuePresent {
		t.Errorf("outcome = %+v %+v", n.Outcome, n.Outcome.ThreeDS)
	}
	want := checkout.NotificationReply{Status: 200, ContentType: "application/json",
		Body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`}
	if n.Reply != want {
		t.Errorf("reply = %+v, want %+v", n.Reply, want)
	}

	// A retry (signed again, later) is the same event.
	again, err := c.Notification(t.Context(), signedNotification(t, body, notifyURI, testClientID, antom.Private, "2020-01-01T12:03:01+08:30"))
	if err != nil || again.EventID != n.EventID {
		t.Errorf("retry: %q, %v; want event %q", again.EventID, err, n.EventID)
	}
}

func TestNotificationKinds(t *testing.T) {
	_, antom, _ := testKeys(t)
	c := notificationClient(t)
	failed := `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"DO_NOT_HONOR","resultStatus":"F","resultMessage":"Do not honor."},` +
		`"paymentRequestId":"` + testPaymentID + `","paymentId":"` + testRef + `","paymentAmount":{"currency":"EUR","value":"1234"}}`
	for name, tc := range map[string]struct {
		body      string
		event     string
		paymentID string
		status    checkout.OutcomeStatus
	}{
		"capture": {body: string(readTestdata(t, "contract_notify_capture.json")),
			event: "CAPTURE_RESULT:20260314987654321098765432109876543:S:SUCCESS", paymentID: testPaymentID, status: checkout.OutcomeSucceeded},
		"capture refused": {body: strings.Replace(string(readTestdata(t, "contract_notify_capture.json")), `"resultCode":"SUCCESS","resultStatus":"S"`, `"resultCode":"PROCESS_FAIL","resultStatus":"F"`, 1),
			event: "CAPTURE_RESULT:20260314987654321098765432109876543:F:PROCESS_FAIL", paymentID: testPaymentID, status: checkout.OutcomeAuthorized},
		"payment failed": {body: failed, event: "PAYMENT_RESULT:" + testRef + ":F:DO_NOT_HONOR", paymentID: testPaymentID, status: checkout.OutcomeFailed},
		"payment pending": {body: strings.Replace(strings.Replace(failed, `"PAYMENT_RESULT"`, `"PAYMENT_PENDING"`, 1), `"resultCode":"DO_NOT_HONOR","resultStatus":"F"`, `"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U"`, 1),
			event: "PAYMENT_PENDING:" + testRef + ":U:PAYMENT_IN_PROCESS", paymentID: testPaymentID, status: checkout.OutcomePending},
		"dispute without a result": {body: `{"notifyType":"DISPUTE_NOTIFICATION","disputeId":"1"}`},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := c.Notification(t.Context(), signedNotification(t, tc.body, notifyURI, testClientID, antom.Private, "1700000000000"))
			if err != nil {
				t.Fatal(err)
			}
			if n.EventID != tc.event || n.PaymentID != tc.paymentID || n.Outcome.Status != tc.status {
				t.Errorf("notification = %q %q %q, want %q %q %q", n.EventID, n.PaymentID, n.Outcome.Status, tc.event, tc.paymentID, tc.status)
			}
			if n.Reply.Status != 200 || n.Reply.Body != notificationAck {
				t.Errorf("reply = %+v", n.Reply)
			}
			if tc.status == checkout.OutcomeFailed && (n.Outcome.Decline == nil || n.Outcome.Decline.Code != checkout.DeclineGeneric) {
				t.Errorf("decline = %+v", n.Outcome.Decline)
			}
		})
	}
}

// TestRefundNotifications: notifyRefund becomes a RefundNotice with our
// refund id, Antom's refundId, the amount and the refund's outcome.
func TestRefundNotifications(t *testing.T) {
	_, antom, _ := testKeys(t)
	c := notificationClient(t)
	const refundID = "re_aaaabbbbccccddddeeeeffffgggghhhh"
	body := func(edits ...func(obj)) string {
		b := obj{"notifyType": "REFUND_RESULT", "result": res("S", "SUCCESS"), "refundStatus": "SUCCESS",
			"refundRequestId": refundID, "refundId": "2026031400000000000000000000000002",
			"refundAmount": obj{"currency": "EUR", "value": "234"}, "refundTime": "2026-03-14T15:10:00+01:00"}
		for _, e := range edits {
			e(b)
		}
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	failed := func(b obj) {
		b["result"], b["refundStatus"] = res("F", "PROCESS_FAIL"), "FAIL"
		delete(b, "refundTime")
	}
	for name, tc := range map[string]struct {
		body     string
		event    string
		want     checkout.RefundStatus
		code     string
		refundID string
		err      string
	}{
		"succeeded":             {body: body(), event: "REFUND_RESULT:2026031400000000000000000000000002:S:SUCCESS", want: checkout.RefundSucceeded, refundID: refundID},
		"failed":                {body: body(failed), event: "REFUND_RESULT:2026031400000000000000000000000002:F:PROCESS_FAIL", want: checkout.RefundFailed, code: "PROCESS_FAIL", refundID: refundID},
		"failed without a code": {body: body(failed, func(b obj) { b["result"] = res("F", "no code") }), err: "well-formed result"},
		"status from the result": {body: body(func(b obj) { delete(b, "refundStatus") }), event: "REFUND_RESULT:2026031400000000000000000000000002:S:SUCCESS",
			want: checkout.RefundSucceeded, refundID: refundID},
		"unknown status": {body: body(func(b obj) { b["refundStatus"] = "SOMETHING_NEW" }), event: "REFUND_RESULT:2026031400000000000000000000000002:S:SUCCESS",
			want: checkout.RefundPending, refundID: refundID},
		"not our refund id": {body: body(func(b obj) { b["refundRequestId"] = "refund by phone" }), event: "REFUND_RESULT:2026031400000000000000000000000002:S:SUCCESS",
			want: checkout.RefundSucceeded},
		"no refundId":       {body: body(func(b obj) { delete(b, "refundId") }), err: "without a well-formed refundId"},
		"card-shaped id":    {body: body(func(b obj) { b["refundId"] = "4242424242424242" }), err: "without a well-formed refundId"},
		"no amount":         {body: body(func(b obj) { delete(b, "refundAmount") }), err: "no amount"},
		"amount as decimal": {body: body(func(b obj) { b["refundAmount"] = obj{"currency": "EUR", "value": "2.34"} }), err: "not a whole number"},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := c.Notification(t.Context(), signedNotification(t, tc.body, notifyURI, testClientID, antom.Private, "1700000000000"))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "antom: ") {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.EventID != tc.event || n.Type != NotifyRefundResult || n.PaymentID != "" || n.ProviderRef != "" || n.Amount != nil || n.Outcome.Status != "" || n.Refund == nil {
				t.Fatalf("notification = %+v", n)
			}
			r := n.Refund
			if r.RefundID != tc.refundID || r.ProviderRef != "2026031400000000000000000000000002" || r.Amount == nil || *r.Amount != (checkout.Money{Amount: 234, Currency: "EUR"}) {
				t.Errorf("notice = %+v", r)
			}
			if r.Outcome.Status != tc.want || r.Outcome.ProviderCode != tc.code || r.Outcome.ProviderRef != "2026031400000000000000000000000002" {
				t.Errorf("outcome = %+v, want %s %q", r.Outcome, tc.want, tc.code)
			}
			if n.Reply.Status != 200 || n.Reply.Body != notificationAck {
				t.Errorf("reply = %+v", n.Reply)
			}
		})
	}
	// A tampered notifyRefund is refused before anything is read.
	req := signedNotification(t, body(), notifyURI, testClientID, antom.Private, "1700000000000")
	req.Body = []byte(strings.Replace(string(req.Body), `"234"`, `"2340"`, 1))
	if _, err := c.Notification(t.Context(), req); err == nil {
		t.Fatal("a tampered notifyRefund was accepted")
	}
}

// TestNotificationRejected: nothing is read from a notification that does
// not verify, and a verified one must be well formed.
func TestNotificationRejected(t *testing.T) {
	_, antom, other := testKeys(t)
	c := notificationClient(t)
	body := string(readTestdata(t, "seed_notify_payment.json"))
	good := func() checkout.NotificationRequest {
		return signedNotification(t, body, notifyURI, testClientID, antom.Private, "1700000000000")
	}
	signed := func(b string) checkout.NotificationRequest {
		return signedNotification(t, b, notifyURI, testClientID, antom.Private, "1700000000000")
	}
	without := func(header string) checkout.NotificationRequest {
		r := good()
		r.Header.Del(header)
		return r
	}
	for name, tc := range map[string]struct {
		req  checkout.NotificationRequest
		want string
	}{
		"tampered body": {func() checkout.NotificationRequest {
			r := good()
			r.Body = []byte(strings.Replace(body, `"8000"`, `"1"`, 1))
			return r
		}(), "does not verify"},
		"trailing newline":      {func() checkout.NotificationRequest { r := good(); r.Body = append(r.Body, '\n'); return r }(), "does not verify"},
		"signed by another key": {signedNotification(t, body, notifyURI, testClientID, other.Private, "1700000000000"), "does not verify"},
		"signed for another path": {func() checkout.NotificationRequest {
			r := good()
			r.RequestURI = "/notify/alipayplus?merchant=mer_1"
			return r
		}(), "does not verify"},
		"signed without the query": {func() checkout.NotificationRequest {
			r := signedNotification(t, body, "/notify/antom", testClientID, antom.Private, "1700000000000")
			r.RequestURI = notifyURI
			return r
		}(), "does not verify"},
		"another time": {func() checkout.NotificationRequest {
			r := good()
			r.Header.Set("Request-Time", "1700000000001")
			return r
		}(), "does not verify"},
		"another client":     {signedNotification(t, body, notifyURI, "SANDBOX_OTHER", antom.Private, "1700000000000"), "Client-Id is not the expected one"},
		"no Client-Id":       {without("Client-Id"), "header missing"},
		"no Request-Time":    {without("Request-Time"), "header missing"},
		"no Signature":       {without("Signature"), "header missing"},
		"odd Signature":      {func() checkout.NotificationRequest { r := good(); r.Header.Set("Signature", "sha1=abc"); return r }(), "algorithm=RSA256"},
		"GET":                {func() checkout.NotificationRequest { r := good(); r.Method = http.MethodGet; return r }(), "want POST"},
		"no request URI":     {func() checkout.NotificationRequest { r := good(); r.RequestURI = ""; return r }(), "request URI"},
		"not JSON":           {signed("notify!"), "not readable JSON"},
		"decimal amount":     {signed(strings.Replace(body, `"8000"`, `"80.00"`, 1)), "not a whole number"},
		"negative amount":    {signed(strings.Replace(body, `"8000"`, `"-8000"`, 1)), "not a whole number"},
		"spaced amount":      {signed(strings.Replace(body, `"8000"`, `" 8000"`, 1)), "not a whole number"},
		"huge amount":        {signed(strings.Replace(body, `"8000"`, `"9999999999999999999"`, 1)), "not a whole number"},
		"bad currency":       {signed(strings.Replace(body, `"EUR"`, `"Euro"`, 1)), "ISO 4217"},
		"no amount":          {signed(`{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"1"}`), "no amount"},
		"no paymentId":       {signed(`{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentAmount":{"currency":"EUR","value":"1"}}`), "paymentId"},
		"no result":          {signed(`{"notifyType":"PAYMENT_RESULT","paymentId":"1","paymentAmount":{"currency":"EUR","value":"1"}}`), "well-formed result"},
		"odd resultStatus":   {signed(strings.Replace(body, `"resultStatus": "S"`, `"resultStatus": "Q"`, 1)), "resultStatus Q"},
		"odd notifyType":     {signed(`{"notifyType":"payment result"}`), "notifyType"},
		"capture without id": {signed(`{"notifyType":"CAPTURE_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"1","captureAmount":{"currency":"EUR","value":"1"}}`), "captureId"},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := c.Notification(t.Context(), tc.req)
			if err == nil {
				t.Fatalf("accepted: %+v", n)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "antom: ") {
				t.Errorf("err = %v, want one about %q", err, tc.want)
			}
		})
	}
}
