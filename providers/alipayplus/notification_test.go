package alipayplus

import (
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

const notifyPath = "/notify/alipayplus"

func notifyBody(status, code, value string) string {
	return `{"paymentId":"` + testWalletRef + `","paymentRequestId":"` + testPaymentID + `",` +
		`"paymentResult":{"resultCode":"` + code + `","resultStatus":"` + status + `","resultMessage":"whatever"},` +
		`"paymentAmount":{"currency":"USD","value":"` + value + `"},"paymentCreateTime":"2026-03-14T23:09:30.000+08:00","paymentTime":"2026-03-14T23:10:00.000+08:00"}`
}

// signedNotification is a notification as the wallet sends it.
func signedNotification(t testing.TB, key *rsa.PrivateKey, path, clientID, body string) checkout.NotificationRequest {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
	if err := alipaysign.SignMessage(key, h, alipaysign.HeaderRequestTime, http.MethodPost, path, clientID, "2026-03-14T23:10:01.000+08:00", []byte(body)); err != nil {
		t.Fatal(err)
	}
	return checkout.NotificationRequest{Method: http.MethodPost, RequestURI: path, Header: h, Body: []byte(body)}
}

func TestNotification(t *testing.T) {
	c := mustClient(t, testConfig("https://openapi.wallet.test", 0))
	for name, tc := range map[string]struct {
		body    string
		status  checkout.OutcomeStatus
		decline checkout.DeclineCode
		event   string
	}{
		"success":      {notifyBody("S", "SUCCESS", "1234"), checkout.OutcomeSucceeded, "", testWalletRef + ":S:SUCCESS"},
		"balance":      {notifyBody("F", "USER_BALANCE_NOT_ENOUGH", "1234"), checkout.OutcomeFailed, checkout.DeclineInsufficientFunds, testWalletRef + ":F:USER_BALANCE_NOT_ENOUGH"},
		"closed":       {notifyBody("F", "ORDER_IS_CLOSED", "1234"), checkout.OutcomeFailed, checkout.DeclineProcessingError, testWalletRef + ":F:ORDER_IS_CLOSED"},
		"in process":   {notifyBody("U", "PAYMENT_IN_PROCESS", "1234"), checkout.OutcomePending, "", testWalletRef + ":U:PAYMENT_IN_PROCESS"},
		"inconsistent": {notifyBody("F", "REPEAT_REQ_INCONSISTENT", "1234"), checkout.OutcomePending, "", testWalletRef + ":F:REPEAT_REQ_INCONSISTENT"},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := c.Notification(t.Context(), signedNotification(t, keys().walletPriv, notifyPath, testClientID, tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if n.EventID != tc.event || n.Type != NotificationType || n.PaymentID != testPaymentID || n.ProviderRef != testWalletRef {
				t.Errorf("notification %+v", n)
			}
			if n.Amount == nil || *n.Amount != (checkout.Money{Amount: 1234, Currency: "USD"}) {
				t.Errorf("amount = %+v", n.Amount)
			}
			if n.Outcome.Status != tc.status || n.Outcome.ProviderRef != testWalletRef {
				t.Errorf("outcome = %+v", n.Outcome)
			}
			if tc.decline != "" && (n.Outcome.Decline == nil || n.Outcome.Decline.Code != tc.decline) {
				t.Errorf("decline = %+v, want %s", n.Outcome.Decline, tc.decline)
			}
			want := checkout.NotificationReply{Status: 200, ContentType: "application/json",
				Body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`}
			if n.Reply != want {
				t.Errorf("reply = %+v", n.Reply)
			}
		})
	}

	// A retry of the same result is the same event; another result is not.
	a, _ := c.Notification(t.Context(), signedNotification(t, keys().walletPriv, notifyPath, testClientID, notifyBody("S", "SUCCESS", "1234")))
	b, _ := c.Notification(t.Context(), signedNotification(t, keys().walletPriv, notifyPath, testClientID, notifyBody("S", "SUCCESS", "1234")))
	f, _ := c.Notification(t.Context(), signedNotification(t, keys().walletPriv, notifyPath, testClientID, notifyBody("F", "PROCESS_FAIL", "1234")))
	if a.EventID != b.EventID || a.EventID == f.EventID {
		t.Errorf("event ids %q %q %q", a.EventID, b.EventID, f.EventID)
	}

	// Without an amount the notification still reads; the Service has none to compare.
	noAmount := `{"paymentId":"` + testWalletRef + `","paymentRequestId":"` + testPaymentID + `","paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}}`
	if n, err := c.Notification(t.Context(), signedNotification(t, keys().walletPriv, notifyPath, testClientID, noAmount)); err != nil || n.Amount != nil {
		t.Errorf("without an amount: %+v, %v", n, err)
	}
}

// TestNotificationQuery: a notify URL with a query verifies over the path
// and query (what the sandbox signs) or over the path alone.
func TestNotificationQuery(t *testing.T) {
	c := mustClient(t, testConfig("https://openapi.wallet.test", 0))
	body := notifyBody("S", "SUCCESS", "1234")
	uri := notifyPath + "?tenant=a%20b"
	for _, signed := range []string{uri, notifyPath} {
		req := signedNotification(t, keys().walletPriv, signed, testClientID, body)
		req.RequestURI = uri
		if _, err := c.Notification(t.Context(), req); err != nil {
			t.Errorf("signed over %s: %v", signed, err)
		}
	}
}

// TestNotificationRejected: anything not signed by the wallet for this
// path, client and body is refused before it is read.
func TestNotificationRejected(t *testing.T) {
	c := mustClient(t, testConfig("https://openapi.wallet.test", 0))
	body := notifyBody("S", "SUCCESS", "1234")
	for name, tc := range map[string]struct {
		req  func() checkout.NotificationRequest
		want string
	}{
		"tampered body": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.Body = []byte(strings.Replace(body, `"1234"`, `"1"`, 1))
			return r
		}, "bad signature"},
		"merchant's key": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().merchantPriv, notifyPath, testClientID, body)
		}, "bad signature"},
		"stranger's key": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().strangerPriv, notifyPath, testClientID, body)
		}, "bad signature"},
		"other path": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, "/notify/antom", testClientID, body)
			r.RequestURI = notifyPath
			return r
		}, "bad signature"},
		"other client": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().walletPriv, notifyPath, "2022099999999999", body)
		}, "another Client-Id"},
		"other time": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.Header.Set(alipaysign.HeaderRequestTime, "2026-03-14T23:10:02.000+08:00")
			return r
		}, "bad signature"},
		"no signature": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.Header.Del(alipaysign.HeaderSignature)
			return r
		}, "missing"},
		"no client": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.Header.Del(alipaysign.HeaderClientID)
			return r
		}, "missing"},
		"no time": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.Header.Del(alipaysign.HeaderRequestTime)
			return r
		}, "missing"},
		"malformed signature header": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.Header.Set(alipaysign.HeaderSignature, "algorithm=SHA1,signature=abc")
			return r
		}, "malformed"},
		"no request URI": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.RequestURI = ""
			return r
		}, "request URI"},
		"GET": {func() checkout.NotificationRequest {
			r := signedNotification(t, keys().walletPriv, notifyPath, testClientID, body)
			r.Method = http.MethodGet
			return r
		}, "POST"},
		"signed, not JSON": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().walletPriv, notifyPath, testClientID, `nope`)
		}, "JSON"},
		"signed, no paymentId": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().walletPriv, notifyPath, testClientID, strings.Replace(body, testWalletRef, "", 1))
		}, "paymentId"},
		"signed, no paymentRequestId": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().walletPriv, notifyPath, testClientID, strings.Replace(body, testPaymentID, "", 1))
		}, "paymentRequestId"},
		"signed, no result": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().walletPriv, notifyPath, testClientID, `{"paymentId":"1","paymentRequestId":"p"}`)
		}, "result"},
		"signed, decimal amount": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().walletPriv, notifyPath, testClientID, notifyBody("S", "SUCCESS", "12.34"))
		}, "minor-unit"},
		"signed, negative amount": {func() checkout.NotificationRequest {
			return signedNotification(t, keys().walletPriv, notifyPath, testClientID, notifyBody("S", "SUCCESS", "-1234"))
		}, "minor-unit"},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := c.Notification(t.Context(), tc.req())
			if err == nil {
				t.Fatalf("accepted: %+v", n)
			}
			if !strings.HasPrefix(err.Error(), "alipayplus: notification") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one about %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "whatever") || strings.Contains(err.Error(), testPaymentID) {
				t.Errorf("the error quotes the body: %v", err)
			}
		})
	}
}
