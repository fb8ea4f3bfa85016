package worldline

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// The webhook vector of connect-sdk-go webhooks/V1WebhooksHelper_test.go:
// its testValidBody (testdata/webhook_sdk_payment_paid.json, byte for byte,
// no trailing newline) signed with testSecretKey under testKeyID.
const (
	sdkWebhookSecret    = "hello+world"
	sdkWebhookKeyID     = "dummy-key-id"
	sdkWebhookSignature = "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk="
)

func sdkWebhookClient(t *testing.T) *Client {
	t.Helper()
	cfg := testConfig("https://x.test", time.Second)
	cfg.WebhookKeyID, cfg.WebhookSecret = sdkWebhookKeyID, sdkWebhookSecret
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func webhookPost(body []byte, keyID, signature string) checkout.NotificationRequest {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderKeyID, keyID)
	h.Set(HeaderSignature, signature)
	return checkout.NotificationRequest{Method: http.MethodPost, Header: h, Body: body}
}

func TestWebhookSDKVector(t *testing.T) {
	body := readTestdata(t, "webhook_sdk_payment_paid.json")
	if got := WebhookSignature(sdkWebhookSecret, body); got != sdkWebhookSignature {
		t.Fatalf("the SDK body signs to %s, want %s: testdata changed?", got, sdkWebhookSignature)
	}
	n, err := sdkWebhookClient(t).Notification(t.Context(), webhookPost(body, sdkWebhookKeyID, sdkWebhookSignature))
	if err != nil {
		t.Fatal(err)
	}
	if n.EventID != "8ee793f6-4553-4749-85dc-f2ef095c5ab0" || n.Type != "payment.paid" || n.ProviderRef != "00000200000143570012" || n.PaymentID != "" {
		t.Errorf("notification = %+v", n)
	}
	if n.Amount == nil || *n.Amount != (checkout.Money{Amount: 1000, Currency: "EUR"}) {
		t.Errorf("amount = %+v", n.Amount)
	}
	if n.Outcome.Status != checkout.OutcomeSucceeded || n.Outcome.ProviderRef != "00000200000143570012" {
		t.Errorf("outcome = %s %q", n.Outcome.Status, n.Outcome.ProviderRef)
	}
	if n.Reply != (checkout.NotificationReply{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "OK"}) {
		t.Errorf("reply = %+v", n.Reply)
	}
}

func TestWebhookRejected(t *testing.T) {
	body := readTestdata(t, "webhook_sdk_payment_paid.json")
	signed := func(b string) checkout.NotificationRequest {
		return webhookPost([]byte(b), sdkWebhookKeyID, WebhookSignature(sdkWebhookSecret, []byte(b)))
	}
	tampered := []byte(strings.Replace(string(body), `"amount": 1000`, `"amount": 1`, 1))
	for name, tc := range map[string]struct {
		req  checkout.NotificationRequest
		want string
	}{
		"tampered body":       {webhookPost(tampered, sdkWebhookKeyID, sdkWebhookSignature), "does not verify"},
		"trailing newline":    {webhookPost(append(append([]byte{}, body...), '\n'), sdkWebhookKeyID, sdkWebhookSignature), "does not verify"},
		"wrong key id":        {webhookPost(body, "other-key-id", sdkWebhookSignature), "unknown key id"},
		"wrong signature":     {webhookPost(body, sdkWebhookKeyID, "1"+sdkWebhookSignature), "does not verify"},
		"signed by other key": {webhookPost(body, sdkWebhookKeyID, WebhookSignature("1"+sdkWebhookSecret, body)), "does not verify"},
		"no signature":        {checkout.NotificationRequest{Method: "POST", Header: http.Header{HeaderKeyID: {sdkWebhookKeyID}}, Body: body}, "exactly one"},
		"no key id":           {checkout.NotificationRequest{Method: "POST", Header: http.Header{HeaderSignature: {sdkWebhookSignature}}, Body: body}, "exactly one"},
		"two signatures": {checkout.NotificationRequest{Method: "POST", Header: http.Header{
			HeaderKeyID: {sdkWebhookKeyID}, HeaderSignature: {sdkWebhookSignature, sdkWebhookSignature}}, Body: body}, "exactly one"},
		"signed garbage":      {signed(`{"apiVersion":"v1",`), "not readable JSON"},
		"signed v2":           {signed(strings.Replace(string(body), `"v1"`, `"v2"`, 1)), "apiVersion"},
		"signed, no version":  {signed(`{"id":"e1","type":"payment.paid","payment":{"id":"1","status":"PAID"}}`), "apiVersion"},
		"signed, no id":       {signed(`{"apiVersion":"v1","type":"payment.paid","payment":{"id":"1","status":"PAID"}}`), "id and type"},
		"signed, no payment":  {signed(`{"apiVersion":"v1","id":"e1","type":"payment.paid"}`), "without a well-formed payment"},
		"signed, odd payment": {signed(`{"apiVersion":"v1","id":"e1","type":"payment.paid","payment":{"id":"../1","status":"PAID"}}`), "without a well-formed payment"},
		"PUT":                 {checkout.NotificationRequest{Method: "PUT", Header: webhookPost(body, sdkWebhookKeyID, sdkWebhookSignature).Header, Body: body}, "method PUT"},
		"GET without value":   {checkout.NotificationRequest{Method: "GET", Header: http.Header{}}, HeaderEndpointVerification},
		"GET with a newline":  {checkout.NotificationRequest{Method: "GET", Header: http.Header{HeaderEndpointVerification: {"a\nb"}}}, HeaderEndpointVerification},
		"GET too long":        {checkout.NotificationRequest{Method: "GET", Header: http.Header{HeaderEndpointVerification: {strings.Repeat("a", 1025)}}}, HeaderEndpointVerification},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := sdkWebhookClient(t).Notification(t.Context(), tc.req)
			if err == nil {
				t.Fatalf("accepted: %+v", n)
			}
			if !strings.HasPrefix(err.Error(), "worldline: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), sdkWebhookSecret) {
				t.Error("the error quotes the secret")
			}
		})
	}

	t.Run("not configured", func(t *testing.T) {
		cfg := testConfig("https://x.test", time.Second)
		cfg.WebhookKeyID, cfg.WebhookSecret = "", ""
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range []checkout.NotificationRequest{
			webhookPost(body, "", WebhookSignature("", body)),
			{Method: "GET", Header: http.Header{HeaderEndpointVerification: {"v"}}},
		} {
			if _, err := c.Notification(t.Context(), req); err == nil || !strings.Contains(err.Error(), "not configured") {
				t.Errorf("%s without webhook keys: %v", req.Method, err)
			}
		}
	})
}

func TestWebhookEndpointVerification(t *testing.T) {
	req := checkout.NotificationRequest{Method: http.MethodGet, Header: http.Header{}}
	req.Header.Set(HeaderEndpointVerification, "d2f5d9c0-4c2b-4f4b-9f7e-3c0b6a2c0a11")
	n, err := sdkWebhookClient(t).Notification(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if n.EventID != "" || n.Reply != (checkout.NotificationReply{Status: 200, ContentType: "text/plain; charset=utf-8", Body: "d2f5d9c0-4c2b-4f4b-9f7e-3c0b6a2c0a11"}) {
		t.Errorf("verification = %+v", n)
	}
}

// TestWebhookEvents reads events shaped as the sandbox sends them.
func TestWebhookEvents(t *testing.T) {
	c := mustClient(t, "https://x.test", time.Second)
	event := func(typ string, extra obj) []byte {
		ev := obj{"apiVersion": "v1", "id": "6c4ea1c2-5b0e-4a5b-8a29-" + strings.Repeat("0", 12), "created": "2026-03-14T15:09:26.000+0000",
			"merchantId": testMerchantID, "type": typ}
		for k, v := range extra {
			ev[k] = v
		}
		b, _ := json.Marshal(ev)
		return b
	}
	for name, tc := range map[string]struct {
		body    []byte
		outcome checkout.OutcomeStatus
		decline checkout.DeclineCode
	}{
		"pending approval": {event("payment.pending_approval", obj{"payment": paymentObj(StatusPendingApproval)}), checkout.OutcomeAuthorized, ""},
		"captured":         {event("payment.captured", obj{"payment": paymentObj(StatusCaptured)}), checkout.OutcomeSucceeded, ""},
		"cancelled":        {event("payment.cancelled", obj{"payment": paymentObj(StatusCancelled)}), checkout.OutcomeCanceled, ""},
		"refunded":         {event("payment.refunded", obj{"payment": paymentObj(StatusRefunded)}), checkout.OutcomeRefunded, ""},
		"redirected":       {event("payment.redirected", obj{"payment": paymentObj(StatusRedirected)}), checkout.OutcomePending, ""},
		"rejected": {event("payment.rejected", obj{"payment": paymentObj(StatusRejected, withErrors("401025"), with3DSStatus(ThreeDSecureNotCompleted, 180))}),
			checkout.OutcomeFailed, checkout.DeclineAuthenticationFailed},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := c.Notification(t.Context(), webhookPost(tc.body, testWebhookKeyID, WebhookSignature(testWebhookSecret, tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			if n.EventID == "" || !strings.HasPrefix(n.Type, "payment.") || n.PaymentID != testPaymentID || n.ProviderRef != testRef {
				t.Errorf("notification = %+v", n)
			}
			if n.Amount == nil || *n.Amount != (checkout.Money{Amount: 1234, Currency: "EUR"}) {
				t.Errorf("amount = %+v", n.Amount)
			}
			if n.Outcome.Status != tc.outcome || (tc.decline != "" && (n.Outcome.Decline == nil || n.Outcome.Decline.Code != tc.decline)) {
				t.Errorf("outcome = %s %+v, want %s %s", n.Outcome.Status, n.Outcome.Decline, tc.outcome, tc.decline)
			}
			if n.Reply.Status != 200 || n.Reply.Body != "OK" {
				t.Errorf("reply = %+v", n.Reply)
			}
		})
	}

	// Refund events carry a RefundNotice instead of a payment outcome.
	refundObj := func(status string, edits ...func(obj)) obj {
		r := obj{"id": testRef + "-1", "status": status,
			"refundOutput": obj{"amountOfMoney": obj{"amount": 500, "currencyCode": "EUR"}, "references": obj{"merchantReference": "re_aaaabbbbccccddddeeeeffffgggghhhh"}},
			"statusOutput": obj{"statusCategory": "PENDING_CONNECT_OR_3RD_PARTY", "statusCode": 800}}
		for _, e := range edits {
			e(r)
		}
		return r
	}
	for name, tc := range map[string]struct {
		typ, status string
		edit        func(obj)
		want        checkout.RefundStatus
		code        string
		refundID    string
		amount      *checkout.Money
		err         string
	}{
		"requested":        {typ: "refund.refund_requested", status: StatusRefundRequested, want: checkout.RefundSucceeded},
		"refunded":         {typ: "refund.refunded", status: StatusRefunded, want: checkout.RefundSucceeded},
		"pending approval": {typ: "refund.pending_approval", status: StatusPendingApproval, want: checkout.RefundPending},
		"rejected":         {typ: "refund.rejected", status: StatusRejected, want: checkout.RefundFailed, code: StatusRejected},
		"cancelled":        {typ: "refund.cancelled", status: StatusCancelled, want: checkout.RefundFailed, code: StatusCancelled},
		"unknown status":   {typ: "refund.something_new", status: "SOMETHING_NEW", want: checkout.RefundPending},
		"made elsewhere": {typ: "refund.refund_requested", status: StatusRefundRequested, want: checkout.RefundSucceeded, refundID: "-",
			edit: func(r obj) {
				r["refundOutput"].(obj)["references"] = obj{"merchantReference": "refund by phone, ticket 77"}
			}},
		"no amount": {typ: "refund.refund_requested", status: StatusRefundRequested, want: checkout.RefundSucceeded, amount: &checkout.Money{},
			edit: func(r obj) { delete(r["refundOutput"].(obj), "amountOfMoney") }},
		"no refund":         {typ: "refund.refund_requested", edit: func(r obj) { clear(r) }, err: "without a well-formed refund"},
		"card-shaped id":    {typ: "refund.refund_requested", status: StatusRefundRequested, edit: func(r obj) { r["id"] = "4242424242424242" }, err: "well-formed"},
		"id with a slash":   {typ: "refund.refund_requested", status: StatusRefundRequested, edit: func(r obj) { r["id"] = "../x" }, err: "well-formed"},
		"amount as a float": {typ: "refund.refund_requested", status: StatusRefundRequested, edit: func(r obj) { r["refundOutput"].(obj)["amountOfMoney"] = obj{"amount": 5.5} }, err: "not readable"},
	} {
		t.Run("refund "+name, func(t *testing.T) {
			r := refundObj(tc.status, func(r obj) {
				if tc.edit != nil {
					tc.edit(r)
				}
			})
			body := event(tc.typ, obj{"refund": r})
			n, err := c.Notification(t.Context(), webhookPost(body, testWebhookKeyID, WebhookSignature(testWebhookSecret, body)))
			if tc.err != "" {
				mustErr(t, checkout.Outcome{}, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.EventID == "" || n.Type != tc.typ || n.PaymentID != "" || n.ProviderRef != "" || n.Amount != nil || n.Outcome.Status != "" || n.Refund == nil {
				t.Fatalf("refund notification = %+v", n)
			}
			wantID, wantAmount := "re_aaaabbbbccccddddeeeeffffgggghhhh", &checkout.Money{Amount: 500, Currency: "EUR"}
			if tc.refundID == "-" {
				wantID = ""
			}
			if tc.amount != nil {
				wantAmount = nil
			}
			got := n.Refund
			if got.RefundID != wantID || got.ProviderRef != testRef+"-1" || !reflect.DeepEqual(got.Amount, wantAmount) {
				t.Errorf("notice = %+v (amount %v)", got, got.Amount)
			}
			if got.Outcome.Status != tc.want || got.Outcome.ProviderCode != tc.code || got.Outcome.ProviderRef != testRef+"-1" {
				t.Errorf("outcome = %+v, want %s %q", got.Outcome, tc.want, tc.code)
			}
		})
	}
}
