package alipayplus

// Fuzz targets for what the wallet sends us (SECURITY.md R40): pay and
// inquiry answers, the signature on those answers, and notifyPayment. Keys
// are made per process, so the fuzzer can only present a valid signature
// where the harness puts one: over its own input (to reach the parsers),
// or over a fixed message whose other parts it then changes.

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

const (
	fuzzClientID     = "2022091123456789"
	fuzzPaymentID    = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	fuzzWalletRef    = "20260314000000000000000012345"
	fuzzResponseTime = "2026-03-14T23:09:27.000+08:00"
	fuzzNotifyURI    = "/notify/alipayplus?merchant=mer_1"
	fuzzRequestTime  = "2026-03-14T23:10:00.000+08:00"
)

var fuzzAmount = checkout.Money{Amount: 1234, Currency: "SGD"}

type fuzzWalletKeys struct {
	merchant, wallet alipaysign.KeyPair
	walletPriv       *rsa.PrivateKey
}

// fuzzKeyPair makes an RSA-1024 pair (see GenerateKeyPair).
func fuzzKeyPair() alipaysign.KeyPair {
	k, err := alipaysign.GenerateKeyPair(1024)
	if err != nil {
		panic(err)
	}
	return k
}

var fuzzKeys = sync.OnceValue(func() fuzzWalletKeys {
	var k fuzzWalletKeys
	var err error
	k.merchant, k.wallet = fuzzKeyPair(), fuzzKeyPair()
	if k.walletPriv, err = alipaysign.ParsePrivateKey(k.wallet.Private); err != nil {
		panic(err)
	}
	return k
})

// fuzzTransport answers every request without a network.
type fuzzTransport func(*http.Request) *http.Response

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return f(r), nil
}

func fuzzResponse(r *http.Request, h http.Header, body []byte) *http.Response {
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}
}

func fuzzClient(t *testing.T, rt fuzzTransport) *Client {
	t.Helper()
	k := fuzzKeys()
	c, err := New(Config{
		BaseURL: "https://openapi.wallet.example", PathPrefix: "/api", ClientID: fuzzClientID,
		MerchantPrivateKey: k.merchant.Private, WalletPublicKey: k.wallet.Public, MerchantName: "Demo Shop",
		HTTPClient: &http.Client{Transport: rt, Timeout: 5 * time.Second},
		Now:        func() time.Time { return time.Date(2026, 3, 14, 23, 9, 26, 0, time.FixedZone("", 8*3600)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fuzzPayRequest() checkout.PayRequest {
	return checkout.PayRequest{
		PaymentID: fuzzPaymentID, IdempotencyKey: fuzzPaymentID, Amount: fuzzAmount, Method: checkout.MethodWallet,
		ReturnURL: "https://checkout.example/return/pay_1", NotifyURL: "https://checkout.example/notify/alipayplus",
	}
}

// fuzzMessages are the only decline messages the adapter may show.
var fuzzMessages = func() map[string]bool {
	m := map[string]bool{msgFailed: true, msgCancelled: true}
	for _, d := range declines {
		m[d.message] = true
	}
	return m
}()

// fuzzCheckOutcome asserts what holds for any outcome the adapter reports.
func fuzzCheckOutcome(t *testing.T, out checkout.Outcome) {
	t.Helper()
	if out.ProviderRef != "" && !idPattern.MatchString(out.ProviderRef) {
		t.Errorf("provider ref %q", out.ProviderRef)
	}
	if (out.Status == checkout.OutcomeFailed) != (out.Decline != nil) {
		t.Errorf("status %s with decline %+v", out.Status, out.Decline)
	}
	if d := out.Decline; d != nil {
		if !fuzzMessages[d.Message] {
			t.Errorf("decline message %q is not ours", d.Message)
		}
		if d.ProviderCode != "" && !codePattern.MatchString(d.ProviderCode) {
			t.Errorf("decline provider code %q", d.ProviderCode)
		}
	}
	if out.Status != checkout.OutcomeActionRequired {
		if out.Action != nil {
			t.Errorf("status %s with an action", out.Status)
		}
		return
	}
	a := out.Action
	if a == nil {
		t.Fatal("action required without an action")
	}
	u, err := url.Parse(a.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !printable(a.URL) {
		t.Errorf("action URL %q", a.URL)
	}
	switch a.Kind {
	case checkout.ActionRedirect:
		if len(a.Fields) > 0 || a.Method != "" {
			t.Errorf("redirect with a form: %+v", a)
		}
	case checkout.ActionRedirectForm:
		if a.Method != http.MethodPost || len(a.URL) > maxURL {
			t.Errorf("form %s %d-byte URL", a.Method, len(a.URL))
		}
		for _, fl := range a.Fields {
			if fl.Name == "" {
				t.Errorf("form field without a name: %+v", a.Fields)
			}
		}
	default:
		t.Errorf("action kind %q", a.Kind)
	}
}

func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"4374784884773748478499xxxx",` +
			`"paymentTime":"2022-11-24T18:34:09+08:00","redirectActionForm":{"method":"POST","redirectionUrl":"https://www.wallet.com/cashier?orderId=xxxxxxx"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"` + fuzzWalletRef + `","redirectActionForm":{"method":"GET","redirectUrl":"https://w.example/c","parameters":{"a":"1","b":2,"c":true,"d":null}}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"redirectActionForm":{"method":"POST","redirectionUrl":"https://w.example/c","parameters":"{\"token\":\"abc\"}"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"redirectActionForm":{"method":"PUT","redirectionUrl":"https://w.example/c"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"redirectActionForm":{"redirectionUrl":"javascript:alert(1)"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"redirectActionForm":{"method":"POST","redirectionUrl":"https://w.example/c","parameters":{"a":{"b":1}}}}`,
		`{"result":{"resultCode":"USER_BALANCE_NOT_ENOUGH","resultStatus":"F","resultMessage":"balance 12345678901234"}}`,
		`{"result":{"resultCode":"REPEAT_REQ_INCONSISTENT","resultStatus":"F"}}`,
		`{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"X"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"bad id"}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"` + fuzzWalletRef + `","paymentRequestId":"` + fuzzPaymentID +
			`","paymentStatus":"SUCCESS","paymentAmount":{"currency":"SGD","value":"1234"},"paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"FAIL","paymentFailReason":{"resultCode":"RISK_REJECT"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"CANCELLED","paymentFailReason":"USER_CANCEL"}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"SUCCESS","paymentAmount":{"currency":"SGD","value":"01234"}}`,
		`{"result":{"resultCode":"ORDER_NOT_EXIST","resultStatus":"F"}}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, inquiry bool) {
		k := fuzzKeys()
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			h := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
			if err := alipaysign.SignMessage(k.walletPriv, h, alipaysign.HeaderResponseTime, http.MethodPost, r.URL.Path, fuzzClientID, fuzzResponseTime, body); err != nil {
				t.Fatal(err)
			}
			return fuzzResponse(r, h, body)
		})
		var out checkout.Outcome
		var err error
		if inquiry {
			p := checkout.Payment{ID: fuzzPaymentID, Amount: fuzzAmount, CreatedAt: time.Date(2026, 3, 14, 14, 0, 0, 0, time.UTC)}
			out, err = c.Inquire(context.Background(), p)
		} else {
			out, err = c.Pay(context.Background(), fuzzPayRequest())
		}
		if err != nil {
			return
		}
		fuzzCheckOutcome(t, out)

		var answer inquiryResponse
		if json.Unmarshal(body, &answer) != nil || answer.Result == nil {
			t.Fatalf("an outcome (%s) from an answer without a result: %q", out.Status, body)
		}
		if !inquiry {
			// Pay S is an order the shopper has yet to pay at the cashier.
			if out.Status == checkout.OutcomeSucceeded {
				t.Errorf("pay answer reported as paid: %s", body)
			}
			return
		}
		paid := answer.PaymentStatus == PaymentSuccess ||
			answer.PaymentStatus == "" && answer.PaymentResult != nil && answer.PaymentResult.ResultStatus == StatusSuccess
		if out.Status == checkout.OutcomeSucceeded && (!paid || answer.Result.ResultStatus != StatusSuccess) {
			t.Errorf("inquiry reported as paid: %s", body)
		}
	})
}

// fuzzSignedAnswer is the pay answer the harness signs for FuzzAnswerSignature.
const fuzzSignedAnswer = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"` + fuzzWalletRef +
	`","redirectActionForm":{"method":"POST","redirectionUrl":"https://www.wallet.com/cashier?orderId=1"}}`

// fuzzSignatureOf is the URL-encoded signature of a Signature header.
func fuzzSignatureOf(header string) string {
	_, sig, _ := strings.Cut(header, ",signature=")
	return sig
}

func FuzzAnswerSignature(f *testing.F) {
	for _, s := range []struct{ body, header, clientID, responseTime string }{
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer, "algorithm=RSA256, keyVersion=1, signature=$SIG", fuzzClientID, fuzzResponseTime},
		{strings.Replace(fuzzSignedAnswer, "orderId=1", "orderId=2", 1), "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, fuzzResponseTime},
		{strings.Replace(fuzzSignedAnswer, "www.wallet.com", "evil.example", 1), "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=$SIG", "2022091123456780", fuzzResponseTime},
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, "2026-03-14T23:09:28.000+08:00"},
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=AAAA", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer, "", fuzzClientID, fuzzResponseTime},
	} {
		f.Add([]byte(s.body), s.header, s.clientID, s.responseTime)
	}
	f.Fuzz(func(t *testing.T, body []byte, header, clientID, responseTime string) {
		k := fuzzKeys()
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			signed := http.Header{}
			if err := alipaysign.SignMessage(k.walletPriv, signed, alipaysign.HeaderResponseTime, http.MethodPost, r.URL.Path, fuzzClientID, fuzzResponseTime, []byte(fuzzSignedAnswer)); err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set(alipaysign.HeaderClientID, clientID)
			h.Set(alipaysign.HeaderResponseTime, responseTime)
			h.Set(alipaysign.HeaderSignature, strings.ReplaceAll(header, "$SIG", fuzzSignatureOf(signed.Get(alipaysign.HeaderSignature))))
			return fuzzResponse(r, h, body)
		})
		out, err := c.Pay(context.Background(), fuzzPayRequest())
		if err != nil {
			return
		}
		if string(body) != fuzzSignedAnswer || clientID != fuzzClientID || responseTime != fuzzResponseTime {
			t.Errorf("answer %q at %q for %q was trusted (outcome %s)", body, responseTime, clientID, out.Status)
		}
	})
}

// fuzzSignedNotification is the notification the harness signs for
// FuzzNotification's fixed-message mode.
const fuzzSignedNotification = `{"paymentId":"` + fuzzWalletRef + `","paymentRequestId":"` + fuzzPaymentID +
	`","paymentResult":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentAmount":{"currency":"SGD","value":"1234"},` +
	`"paymentTime":"2026-03-14T23:10:00+08:00"}`

func FuzzNotification(f *testing.F) {
	for _, s := range []struct {
		method, uri, clientID, requestTime, header, body string
		signIt                                           bool
	}{
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", "/notify/alipayplus?merchant=mer_2", fuzzClientID, fuzzRequestTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", "/notify/alipayplus", fuzzClientID, fuzzRequestTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", strings.Replace(fuzzSignedNotification, `"S"`, `"F"`, 1), false},
		{"POST", fuzzNotifyURI, "2022091123456780", fuzzRequestTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"PUT", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "", fuzzSignedNotification, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "", strings.Replace(fuzzSignedNotification, `"resultCode":"SUCCESS","resultStatus":"S"`, `"resultCode":"USER_BALANCE_NOT_ENOUGH","resultStatus":"F"`, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "", strings.Replace(fuzzSignedNotification, `"resultStatus":"S"`, `"resultStatus":"U"`, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "", strings.Replace(fuzzSignedNotification, `"1234"`, `"12.34"`, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "", `{"paymentId":"x y","paymentRequestId":"p","paymentResult":{"resultStatus":"S"}}`, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "", `{"paymentId":"1","paymentRequestId":"p\u0000","paymentResult":{"resultStatus":"S"}}`, true},
		{"POST", "notify", fuzzClientID, fuzzRequestTime, "", fuzzSignedNotification, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzRequestTime, "", `not json`, true},
	} {
		f.Add(s.method, s.uri, s.clientID, s.requestTime, s.header, []byte(s.body), s.signIt)
	}
	f.Fuzz(func(t *testing.T, method, uri, clientID, requestTime, header string, body []byte, signIt bool) {
		k := fuzzKeys()
		h := http.Header{}
		if signIt {
			// A valid signature over the fuzzed message, to reach the parser.
			if err := alipaysign.SignMessage(k.walletPriv, h, alipaysign.HeaderRequestTime, http.MethodPost, uri, clientID, requestTime, body); err != nil {
				t.Fatal(err)
			}
		} else {
			signed := http.Header{}
			if err := alipaysign.SignMessage(k.walletPriv, signed, alipaysign.HeaderRequestTime, http.MethodPost, fuzzNotifyURI, fuzzClientID, fuzzRequestTime, []byte(fuzzSignedNotification)); err != nil {
				t.Fatal(err)
			}
			h.Set(alipaysign.HeaderClientID, clientID)
			h.Set(alipaysign.HeaderRequestTime, requestTime)
			h.Set(alipaysign.HeaderSignature, strings.ReplaceAll(header, "$SIG", fuzzSignatureOf(signed.Get(alipaysign.HeaderSignature))))
		}
		c := fuzzClient(t, func(r *http.Request) *http.Response { return fuzzResponse(r, nil, nil) })
		n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: method, RequestURI: uri, Header: h, Body: body})
		if err != nil {
			return
		}
		if method != http.MethodPost || h.Get(alipaysign.HeaderClientID) != fuzzClientID {
			t.Errorf("notification by %s under Client-Id %q accepted", method, h.Get(alipaysign.HeaderClientID))
		}
		if !signIt {
			// The signature covers the URI, or its path when the URI has a query.
			want := alipaysign.Content(http.MethodPost, fuzzNotifyURI, fuzzClientID, fuzzRequestTime, []byte(fuzzSignedNotification))
			paths := []string{uri}
			if u, err := url.ParseRequestURI(uri); err == nil && u.RawQuery != "" {
				paths = append(paths, u.EscapedPath())
			}
			signedIt := false
			for _, p := range paths {
				signedIt = signedIt || bytes.Equal(alipaysign.Content(http.MethodPost, p, fuzzClientID, requestTime, body), want)
			}
			if !signedIt {
				t.Errorf("a signature over %q verified %s %s at %q", want, uri, body, requestTime)
			}
		}

		fuzzCheckOutcome(t, n.Outcome)
		if n.Type != NotificationType || n.Reply.Status != http.StatusOK || n.Reply.Body != AckBody {
			t.Errorf("type %q, reply %+v", n.Type, n.Reply)
		}
		var sent notifyRequest
		if json.Unmarshal(body, &sent) != nil || sent.PaymentResult == nil {
			t.Fatalf("notification read from %q", body)
		}
		if n.ProviderRef != sent.PaymentID || !idPattern.MatchString(n.ProviderRef) ||
			n.EventID != sent.PaymentID+":"+sent.PaymentResult.ResultStatus+":"+cleanCode(sent.PaymentResult.ResultCode) {
			t.Errorf("event %q, ref %q from %s", n.EventID, n.ProviderRef, body)
		}
		if n.PaymentID == "" || len(n.PaymentID) > maxRequestID || !printable(n.PaymentID) {
			t.Errorf("payment id %q", n.PaymentID)
		}
		if n.Amount != nil && (n.Amount.Amount < 0 || !checkout.ValidCurrency(n.Amount.Currency)) {
			t.Errorf("amount %+v", *n.Amount)
		}
		if n.Outcome.Status == checkout.OutcomeSucceeded && sent.PaymentResult.ResultStatus != StatusSuccess {
			t.Errorf("%q notification reported as paid", sent.PaymentResult.ResultStatus)
		}
		if n.Outcome.Status == checkout.OutcomeActionRequired {
			t.Error("a notification asks the browser to act")
		}
	})
}

// TestFuzzHarnesses keeps the fixed-message modes honest: their first seeds
// verify, so the properties are checked on trusted messages too.
func TestFuzzHarnesses(t *testing.T) {
	k := fuzzKeys()
	c := fuzzClient(t, func(r *http.Request) *http.Response {
		h := http.Header{}
		if err := alipaysign.SignMessage(k.walletPriv, h, alipaysign.HeaderResponseTime, http.MethodPost, r.URL.Path, fuzzClientID, fuzzResponseTime, []byte(fuzzSignedAnswer)); err != nil {
			t.Fatal(err)
		}
		return fuzzResponse(r, h, []byte(fuzzSignedAnswer))
	})
	if out, err := c.Pay(context.Background(), fuzzPayRequest()); err != nil || out.Status != checkout.OutcomeActionRequired {
		t.Errorf("signed answer: %s, %v", out.Status, err)
	}
	h := http.Header{}
	if err := alipaysign.SignMessage(k.walletPriv, h, alipaysign.HeaderRequestTime, http.MethodPost, fuzzNotifyURI, fuzzClientID, fuzzRequestTime, []byte(fuzzSignedNotification)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: http.MethodPost, RequestURI: fuzzNotifyURI, Header: h, Body: []byte(fuzzSignedNotification)})
	if err != nil || n.Outcome.Status != checkout.OutcomeSucceeded {
		t.Errorf("signed notification: %+v, %v", n, err)
	}
}
