package worldline

// Fuzz targets for what Worldline sends us and the signatures we check
// (SECURITY.md R40): Create Payment and Get Payment answers, error answers
// carrying a declined payment, the v1HMAC Authorization header, the string
// to sign, and webhooks. The webhook secret is a constant here, so seeds
// can carry real signatures that the fuzzer then moves to other bodies.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/checkout"
)

const (
	fuzzMerchantID    = "1234"
	fuzzAPIKeyID      = "5e45c937b9db33ae"
	fuzzSecretAPIKey  = "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg="
	fuzzWebhookKeyID  = "dummy-key-id" // the connect-sdk-go webhook vector's key
	fuzzWebhookSecret = "hello+world"
	fuzzPaymentID     = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	fuzzPAN           = "4012000033330026"
	fuzzCVC           = "947"
)

// fuzzTransport answers every request without a network.
type fuzzTransport func(*http.Request) *http.Response

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return f(r), nil
}

func fuzzClient(t *testing.T, rt fuzzTransport) *Client {
	t.Helper()
	c, err := New(Config{
		BaseURL: "https://eu.sandbox.api-ingenico.com", MerchantID: fuzzMerchantID, APIKeyID: fuzzAPIKeyID,
		SecretAPIKey: fuzzSecretAPIKey, WebhookKeyID: fuzzWebhookKeyID, WebhookSecret: fuzzWebhookSecret,
		HTTPClient: &http.Client{Transport: rt, Timeout: 5 * time.Second},
		Now:        func() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var fuzzLongDigits = regexp.MustCompile(`[0-9]{12,}`)

// fuzzSucceeded are the Worldline statuses in which money was taken.
var fuzzSucceeded = map[string]bool{StatusCaptureRequested: true, StatusCaptured: true, StatusPaid: true, StatusAccountCredited: true}

// fuzzCheckOutcome asserts what holds for any outcome the adapter reports
// about a payment whose Worldline status is status.
func fuzzCheckOutcome(t *testing.T, out checkout.Outcome, status string, mode checkout.CaptureMode) {
	t.Helper()
	js, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), fuzzPAN) {
		t.Errorf("outcome carries the card number: %s", js)
	}
	switch out.Status {
	case checkout.OutcomeSucceeded:
		if !fuzzSucceeded[status] {
			t.Errorf("succeeded from status %q", status)
		}
	case checkout.OutcomeAuthorized:
		if (status != StatusPendingApproval && status != StatusPendingCapture) || mode == checkout.CaptureAutomatic {
			t.Errorf("authorized from status %q in %s capture", status, mode)
		}
	case checkout.OutcomeActionRequired:
		a := out.Action
		if a == nil || status != StatusRedirected {
			t.Fatalf("action %+v from status %q", a, status)
		}
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(a.URL) > 2048 || a.Kind != checkout.ActionRedirect {
			t.Errorf("action %+v", a)
		}
	case checkout.OutcomeFailed:
		if out.Decline == nil {
			t.Fatal("failed without a decline")
		}
	}
	if out.Status != checkout.OutcomeActionRequired && out.Action != nil {
		t.Errorf("status %s with an action", out.Status)
	}
	if d := out.Decline; d != nil {
		if d.Message != checkout.DeclineMessage(d.Code) {
			t.Errorf("decline message %q is not ours", d.Message)
		}
		if d.ProviderCode != "" && d.ProviderCode != "invalid" && !codePattern.MatchString(d.ProviderCode) {
			t.Errorf("decline provider code %q", d.ProviderCode)
		}
	}
	m := out.ShopperMessage
	if fuzzLongDigits.MatchString(m) || utf8.RuneCountInString(m) > maxShopperMessage || !printable(m) {
		t.Errorf("shopper message %q", m)
	}
	if mac := out.ProviderData[keyReturnMAC]; mac != "" && (len(mac) > 256 || !printable(mac)) {
		t.Errorf("RETURNMAC %q kept", mac)
	}
	if out.ProviderRef != "" && !pathSegment.MatchString(out.ProviderRef) {
		t.Errorf("provider ref %q", out.ProviderRef)
	}
}

func FuzzPaymentAnswer(f *testing.F) {
	created, err := os.ReadFile("testdata/create_0026_frictionless.json")
	if err != nil {
		f.Fatal(err)
	}
	declined, err := os.ReadFile("testdata/error_402_5550_authentication_failed.json")
	if err != nil {
		f.Fatal(err)
	}
	paid := `{"id":"000007041700000008370000100001","status":"CAPTURED","paymentOutput":{"amountOfMoney":{"amount":1234,"currencyCode":"EUR"},` +
		`"references":{"merchantReference":"` + fuzzPaymentID + `"}},"statusOutput":{"statusCode":9}}`
	for _, s := range []struct {
		status int
		body   string
	}{
		{201, string(created)},
		{201, strings.Replace(string(created), "PENDING_APPROVAL", "CAPTURED", 1)},
		{201, `{"payment":{"id":"p1","status":"REDIRECTED"},"merchantAction":{"actionType":"REDIRECT","redirectData":{"RETURNMAC":"f5b66cf9","redirectURL":"https://acs.example/3ds?x=1"}}}`},
		{201, `{"payment":{"id":"p1","status":"REDIRECTED"},"merchantAction":{"actionType":"REDIRECT","redirectData":{"RETURNMAC":"a\nb","redirectURL":"javascript:alert(1)"}}}`},
		{201, `{"payment":{"id":"p1","status":"REJECTED","statusOutput":{"errors":[{"code":"430396"},{"code":"` + fuzzPAN + `"}]}},` +
			`"merchantAction":{"actionType":"SHOW_TRANSACTION_RESULTS","showData":[{"key":"CARDHOLDERINFO","value":"Call 0800 ` + fuzzPAN + `\u0007 now"}]}}`},
		{201, `{"payment":{"id":"p1","status":"NEW_STATUS"}}`},
		{201, `{"payment":{"id":"../x","status":"PAID"}}`},
		{201, `{"payment":{"id":"p1","status":"PAID","paymentOutput":{"references":{"merchantReference":"other"}}}}`},
		{402, string(declined)},
		{402, `{"errorId":"abc","errors":[{"code":"430285"}],"paymentResult":{"payment":{"id":"p1","status":"CAPTURED"}}}`},
		{400, `{"errorId":"5d23642a18a1c3fe481964da5a96df5f","errors":[{"code":"21000020","propertyName":"cardNumber","message":"` + fuzzPAN + `"}]}`},
		{409, `{"errors":[{"code":"1409","id":"DUPLICATE_REQUEST_IN_PROGRESS"}]}`},
		{500, `{"errorId":"x"}`},
		{200, paid},
		{200, strings.Replace(paid, "CAPTURED", "PENDING_APPROVAL", 1)},
		{200, `[]`},
		{200, ``},
	} {
		f.Add(uint16(s.status), []byte(s.body), false, false)
		f.Add(uint16(s.status), []byte(s.body), true, true)
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, manual, inquiry bool) {
		code := int(status)
		if code < 100 || code > 599 {
			code = 200
		}
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}
		})
		mode := checkout.CaptureAutomatic
		if manual {
			mode = checkout.CaptureManual
		}
		var out checkout.Outcome
		var err error
		if inquiry {
			p := checkout.Payment{ID: fuzzPaymentID, Amount: checkout.Money{Amount: 1234, Currency: "EUR"}, CaptureMode: mode,
				ProviderRef: "000007041700000008370000100001", CreatedAt: time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)}
			out, err = c.Inquire(context.Background(), p)
		} else {
			out, err = c.Pay(context.Background(), checkout.PayRequest{
				PaymentID: fuzzPaymentID, IdempotencyKey: fuzzPaymentID, Amount: checkout.Money{Amount: 1234, Currency: "EUR"},
				Method: checkout.MethodCard, CaptureMode: mode, Locale: "en-US", ReturnURL: "https://checkout.example/return/pay_1",
				Card: &checkout.CardInput{Number: fuzzPAN, CVC: fuzzCVC, ExpMonth: 12, ExpYear: 2031, Holder: "Wile E. Coyote"},
			})
		}
		if err != nil {
			if strings.Contains(err.Error(), fuzzPAN) {
				t.Errorf("error carries the card number: %v", err)
			}
			if strings.Contains(err.Error(), fuzzSecretAPIKey) || strings.Contains(err.Error(), fuzzWebhookSecret) {
				t.Errorf("error carries a secret: %v", err)
			}
			return
		}

		// The Worldline status the outcome was drawn from.
		var p payment
		switch {
		case inquiry:
			_ = json.Unmarshal(body, &p)
		case code >= 200 && code < 300:
			var r createPaymentResponse
			_ = json.Unmarshal(body, &r)
			p = r.Payment
		default:
			var r errorResponse
			_ = json.Unmarshal(body, &r)
			if r.PaymentResult != nil {
				p = r.PaymentResult.Payment
				if p.Status == "" {
					p.Status = StatusRejected
				}
			} else if code == http.StatusBadRequest {
				p.Status = StatusRejected
			}
		}
		fuzzCheckOutcome(t, out, p.Status, mode)
		if code >= 300 && out.Status != checkout.OutcomeFailed && out.Status != checkout.OutcomeCanceled {
			t.Errorf("HTTP %d answered as %s", code, out.Status)
		}
	})
}

func FuzzVerifyAuthorization(f *testing.F) {
	sts := "POST\napplication/json\nFri, 06 Jun 2014 13:39:43 GMT\nx-gcs-clientmetainfo:processed header value\n" +
		"x-gcs-customerheader:processed header value\nx-gcs-servermetainfo:processed header value\n/v1/9991/tokens/123456789\n"
	real := Authorization(fuzzAPIKeyID, fuzzSecretAPIKey, sts)
	for _, s := range []struct{ header, sts string }{
		{real, sts},
		{real, sts + "x"},
		{real + "=", sts},
		{strings.Replace(real, "GCS v1HMAC:", "GCS v1HMAC: ", 1), sts},
		{strings.Replace(real, fuzzAPIKeyID, "other-key", 1), sts},
		{"GCS v1HMAC:" + fuzzAPIKeyID + ":", sts},
		{"GCS v1HMAC::" + real[len("GCS v1HMAC:"+fuzzAPIKeyID+":"):], sts},
		{"GCS v1HMAC:" + fuzzAPIKeyID, sts},
		{"Bearer " + fuzzSecretAPIKey, sts},
		{"", ""},
	} {
		f.Add(s.header, s.sts)
	}
	secretFor := func(id string) (string, bool) { return fuzzSecretAPIKey, id == fuzzAPIKeyID }
	f.Fuzz(func(t *testing.T, header, stringToSign string) {
		keyID, ok := VerifyAuthorization(header, secretFor, stringToSign)
		if rest, found := strings.CutPrefix(header, "GCS v1HMAC:"); found {
			if named, _, _ := strings.Cut(rest, ":"); keyID != "" && keyID != named {
				t.Errorf("key id %q reported for header %q", keyID, header)
			}
		} else if keyID != "" || ok {
			t.Errorf("header %q without the v1HMAC prefix gave %q %v", header, keyID, ok)
		}
		if !ok {
			return
		}
		if keyID != fuzzAPIKeyID || header != Authorization(fuzzAPIKeyID, fuzzSecretAPIKey, stringToSign) {
			t.Errorf("header %q verified for %q", header, stringToSign)
		}
	})
}

func FuzzStringToSign(f *testing.F) {
	f.Add("POST", "application/json", "Fri, 06 Jun 2014 13:39:43 GMT", "X-GCS-ClientMetaInfo", "processed header value", "https://x.test/v1/9991/tokens/123456789")
	f.Add("GET", "", "Fri, 06 Jun 2014 13:39:43 GMT", "X-GCS-CustomerHeader", "folded\r\n  value\n\tagain", "https://x.test/v1/9991/payments?merchantReference=a%20b&limit=10")
	f.Add("GET", "", "", "Accept", "*/*", "https://x.test/v1/9991/payments/p%2F1?q=%zz")
	f.Add("DELETE", "", "", "x-gcs-idempotence-key", "", "/relative/path")
	f.Fuzz(func(t *testing.T, method, contentType, date, name, value, rawURL string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		h := http.Header{}
		h.Set(name, value)
		s := StringToSign(method, contentType, date, h, u)
		if !strings.HasPrefix(s, method+"\n"+contentType+"\n"+date+"\n") || !strings.HasSuffix(s, "\n") {
			t.Fatalf("string to sign %q", s)
		}
		if again := StringToSign(method, contentType, date, h.Clone(), u); again != s {
			t.Errorf("string to sign is not stable: %q then %q", s, again)
		}
		if strings.HasPrefix(strings.ToLower(name), "x-gcs") {
			line := strings.ToLower(name) + ":" + strings.TrimSpace(foldedWhitespace.ReplaceAllString(value, " ")) + "\n"
			if !strings.Contains(s, line) {
				t.Errorf("string to sign %q lacks header line %q", s, line)
			}
		} else if want := method + "\n" + contentType + "\n" + date + "\n" + u.EscapedPath(); !strings.HasPrefix(s, want) {
			t.Errorf("string to sign %q signs header %q", s, name)
		}
	})
}

func FuzzWebhook(f *testing.F) {
	sdk, err := os.ReadFile("testdata/webhook_sdk_payment_paid.json")
	if err != nil {
		f.Fatal(err)
	}
	sdkSignature := WebhookSignature(fuzzWebhookSecret, sdk)
	refund := `{"apiVersion":"v1","id":"ev-2","type":"refund.refunded","refund":{"id":"r1","status":"REFUNDED"}}`
	for _, s := range []struct {
		method, keyID, signature, body string
		signIt                         bool
	}{
		{"POST", fuzzWebhookKeyID, sdkSignature, string(sdk), false},
		{"POST", fuzzWebhookKeyID, sdkSignature, strings.Replace(string(sdk), `"PAID"`, `"CAPTURED"`, 1), false},
		{"POST", fuzzWebhookKeyID, sdkSignature, strings.Replace(string(sdk), "1000", "1", 1), false},
		{"POST", "other-key", sdkSignature, string(sdk), false},
		{"POST", fuzzWebhookKeyID, sdkSignature + "=", string(sdk), false},
		{"POST", fuzzWebhookKeyID, "", string(sdk), false},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(string(sdk), `"PAID"`, `"REJECTED"`, 1), true},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(string(sdk), `"PAID"`, `"PENDING_APPROVAL"`, 1), true},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(string(sdk), `"payment.paid"`, `"payment.refunded"`, 1), true},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(string(sdk), `"v1"`, `"v2"`, 1), true},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(string(sdk), "00000200000143570012", "../../x", 1), true},
		{"POST", fuzzWebhookKeyID, "", refund, true},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(refund, "REFUNDED", "PENDING_APPROVAL", 1), true},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(refund, `"status"`, `"refundOutput":{"amountOfMoney":{"amount":500,"currencyCode":"EUR"},"references":{"merchantReference":"re_1"}},"status"`, 1), true},
		{"POST", fuzzWebhookKeyID, "", strings.Replace(refund, `"r1"`, `"4242424242424242"`, 1), true},
		{"POST", fuzzWebhookKeyID, "", `{"apiVersion":"v1","id":"a b","type":"payment.paid"}`, true},
		{"POST", fuzzWebhookKeyID, "", `not json`, true},
		{"GET", "", "0123456789abcdef", "", false},
		{"GET", "", "a\nb", "", false},
		{"PUT", fuzzWebhookKeyID, sdkSignature, string(sdk), false},
	} {
		f.Add(s.method, s.keyID, s.signature, []byte(s.body), s.signIt)
	}
	f.Fuzz(func(t *testing.T, method, keyID, signature string, body []byte, signIt bool) {
		if signIt {
			signature = WebhookSignature(fuzzWebhookSecret, body)
		}
		h := http.Header{}
		if method == http.MethodGet {
			h.Set(HeaderEndpointVerification, signature)
		} else {
			h.Set(HeaderKeyID, keyID)
			h.Set(HeaderSignature, signature)
		}
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			return &http.Response{StatusCode: 500, Body: http.NoBody, Request: r}
		})
		n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: method, Header: h, Body: body})
		if err != nil {
			return
		}
		if method == http.MethodGet {
			if n.EventID != "" || n.Reply.Body != signature || len(signature) > maxVerificationValue || !printable(signature) {
				t.Errorf("endpoint verification of %q answered %+v", signature, n)
			}
			return
		}
		if method != http.MethodPost {
			t.Fatalf("webhook with method %q accepted", method)
		}
		// Accepted: the key id is ours and the signature is the body's.
		if keyID != fuzzWebhookKeyID || signature != WebhookSignature(fuzzWebhookSecret, body) {
			t.Fatalf("webhook signed %q under key %q accepted for body %q", signature, keyID, body)
		}
		if !eventIDPattern.MatchString(n.EventID) || !eventTypePattern.MatchString(n.Type) || n.Reply.Status != http.StatusOK {
			t.Errorf("notification %+v", n)
		}
		if n.ProviderRef != "" && n.Refund != nil {
			t.Errorf("both a payment and a refund: %+v", n)
		}
		if strings.HasPrefix(n.Type, "refund.") {
			var ev webhookEvent
			if json.Unmarshal(body, &ev) != nil || ev.Refund == nil || n.Refund == nil || n.Outcome.Status != "" {
				t.Fatalf("refund notification %+v from %q", n, body)
			}
			fuzzCheckRefund(t, n.Refund.Outcome, ev.Refund.Status)
			if n.Refund.ProviderRef != ev.Refund.ID || (n.Refund.RefundID != "" && !pathSegment.MatchString(n.Refund.RefundID)) {
				t.Errorf("refund notice %+v", n.Refund)
			}
			if a := n.Refund.Amount; a != nil && (a.Amount < 0 || !checkout.ValidCurrency(a.Currency)) {
				t.Errorf("refund amount %+v", *a)
			}
			return
		}
		if n.Refund != nil {
			t.Errorf("%s read as a refund", n.Type)
		}
		if !strings.HasPrefix(n.Type, "payment.") {
			if n.ProviderRef != "" || n.Outcome.Status != "" {
				t.Errorf("%s acted on: %+v", n.Type, n)
			}
			return
		}
		var ev webhookEvent
		if json.Unmarshal(body, &ev) != nil || ev.Payment == nil {
			t.Fatalf("payment notification from %q", body)
		}
		if n.ProviderRef != ev.Payment.ID || !pathSegment.MatchString(n.ProviderRef) {
			t.Errorf("provider ref %q", n.ProviderRef)
		}
		fuzzCheckOutcome(t, n.Outcome, ev.Payment.Status, "")
	})
}

// fuzzRefundSucceeded are the Worldline refund statuses that are a success.
var fuzzRefundSucceeded = map[string]bool{StatusRefundRequested: true, StatusRefunded: true, StatusCaptured: true}

// fuzzCheckRefund asserts what holds for any refund outcome the adapter
// reports about a refund whose Worldline status is status.
func fuzzCheckRefund(t *testing.T, out checkout.RefundOutcome, status string) {
	t.Helper()
	switch out.Status {
	case checkout.RefundSucceeded:
		if !fuzzRefundSucceeded[status] {
			t.Errorf("refund succeeded from status %q", status)
		}
	case checkout.RefundFailed:
		if out.ProviderCode != status || (status != StatusRejected && status != StatusCancelled) {
			t.Errorf("refund failed from status %q with code %q", status, out.ProviderCode)
		}
	case checkout.RefundPending:
	default:
		t.Errorf("refund status %q", out.Status)
	}
	if out.ProviderRef != "" && (!pathSegment.MatchString(out.ProviderRef) || checkout.LooksLikeCardNumber(out.ProviderRef)) {
		t.Errorf("refund provider ref %q", out.ProviderRef)
	}
}

// FuzzRefundInquiry feeds Get refund (find false) and Find refunds (find
// true) answers to InquireRefund: it never panics, never reports another
// refund, a success only from a success status, and ErrRefundNotFound only
// for a 404 or an empty list.
func FuzzRefundInquiry(f *testing.F) {
	const refundID = "re_aaaabbbbccccddddeeeeffffgggghhhh"
	one := `{"id":"000001234000000012340000100001-1","refundOutput":{"amountOfMoney":{"amount":500,"currencyCode":"EUR"},` +
		`"references":{"merchantReference":"` + refundID + `"},"paymentMethod":"card"},"status":"REFUND_REQUESTED",` +
		`"statusOutput":{"isCancellable":true,"statusCategory":"PENDING_CONNECT_OR_3RD_PARTY","statusCode":800}}`
	for _, s := range []struct {
		status uint16
		body   string
		find   bool
	}{
		{200, one, false},
		{200, strings.Replace(one, "REFUND_REQUESTED", "PENDING_APPROVAL", 1), false},
		{200, strings.Replace(one, "REFUND_REQUESTED", "REJECTED", 1), false},
		{200, strings.Replace(one, "500", "5000", 1), false},
		{200, strings.Replace(one, refundID, "re_other", 1), false},
		{200, `{"refunds":[` + one + `],"offset":0,"limit":10,"totalCount":1}`, true},
		{200, `{"refunds":[],"offset":0,"limit":10,"totalCount":0}`, true},
		{200, `{"refunds":[` + one + `,` + one + `],"totalCount":2}`, true},
		{404, `{"errorId":"5d23642a18a1c3fe481964da5a96df5f","errors":[{"code":"1004","id":"UNKNOWN_REFUND_ID","httpStatusCode":404}]}`, false},
		{404, `<html>`, false},
		{500, `{"errorId":"x","errors":[{"code":"9999","httpStatusCode":500}]}`, true},
		{200, `{"id":"4242424242424242","status":"REFUNDED"}`, false},
		{200, `{`, true},
	} {
		f.Add(s.status, []byte(s.body), s.find)
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, find bool) {
		if status < 100 || status > 999 {
			return
		}
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			return &http.Response{StatusCode: int(status), Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader(body)), Request: r}
		})
		r := checkout.Refund{ID: refundID, Amount: checkout.Money{Amount: 500, Currency: "EUR"}}
		if !find {
			r.ProviderRef = "000001234000000012340000100001-1"
		}
		out, err := c.InquireRefund(context.Background(), checkout.Payment{ID: fuzzPaymentID}, r)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "worldline: ") || strings.Contains(err.Error(), fuzzPAN) {
				t.Errorf("error %q", err)
			}
			if errors.Is(err, checkout.ErrRefundNotFound) && status != http.StatusNotFound && (!find || status/100 != 2) {
				t.Errorf("not found from HTTP %d %q", status, body)
			}
			return
		}
		if status/100 != 2 {
			t.Fatalf("an answer from HTTP %d: %+v", status, out)
		}
		var rr refundResponse
		if find {
			var found findRefundsResponse
			if json.Unmarshal(body, &found) != nil || len(found.Refunds) != 1 {
				t.Fatalf("an answer from %q", body)
			}
			rr = found.Refunds[0]
		} else if json.Unmarshal(body, &rr) != nil {
			t.Fatalf("an answer from %q", body)
		}
		if r.ProviderRef != "" && out.ProviderRef != r.ProviderRef {
			t.Errorf("answer about refund %q", out.ProviderRef)
		}
		if m := rr.RefundOutput.AmountOfMoney; m != nil && (m.Amount != 500 || m.CurrencyCode != "EUR") {
			t.Errorf("accepted a refund of %+v", *m)
		}
		if ref := rr.RefundOutput.References; ref != nil && ref.MerchantReference != "" && ref.MerchantReference != refundID {
			t.Errorf("accepted a refund with reference %q", ref.MerchantReference)
		}
		fuzzCheckRefund(t, out, rr.Status)
	})
}

// TestFuzzHarnesses keeps the seeds honest: the SDK webhook vector and a
// real Authorization header verify, so the properties are checked on
// accepted inputs too.
func TestFuzzHarnesses(t *testing.T) {
	sdk, err := os.ReadFile("testdata/webhook_sdk_payment_paid.json")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderKeyID, fuzzWebhookKeyID)
	h.Set(HeaderSignature, WebhookSignature(fuzzWebhookSecret, sdk))
	c := fuzzClient(t, func(r *http.Request) *http.Response {
		return &http.Response{StatusCode: 500, Body: http.NoBody, Request: r}
	})
	if n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: http.MethodPost, Header: h, Body: sdk}); err != nil || n.Outcome.Status != checkout.OutcomeSucceeded {
		t.Errorf("SDK webhook: %+v, %v", n, err)
	}
	if _, ok := VerifyAuthorization(Authorization(fuzzAPIKeyID, fuzzSecretAPIKey, "x\n"), func(string) (string, bool) { return fuzzSecretAPIKey, true }, "x\n"); !ok {
		t.Error("a real Authorization header does not verify")
	}
}
