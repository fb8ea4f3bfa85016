package antom

// Fuzz targets for what Antom sends us (SECURITY.md R40): pay, inquiry and
// inquiryRefund answers, the signature on those answers, and
// notifications (notifyRefund included). Keys are
// made per process, so the fuzzer can only present a valid signature where
// the harness puts one: over its own input (to reach the parsers), or over
// a fixed message whose other parts it then changes.

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
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
	fuzzClientID     = "SANDBOX_5YBZ1K2ZFUZZ"
	fuzzPaymentID    = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	fuzzPAN          = "4117347806156383"
	fuzzCVC          = "850"
	fuzzResponseTime = "2026-03-14T15:09:27.000Z"
	fuzzNotifyURI    = "/notify/antom?merchant=mer_1"
)

var fuzzAmount = checkout.Money{Amount: 1234, Currency: "EUR"}

type fuzzAntomKeys struct {
	merchant, antom alipaysign.KeyPair
	antomPriv       *rsa.PrivateKey
}

// fuzzKeyPair makes an RSA-1024 pair (see GenerateKeyPair).
func fuzzKeyPair() alipaysign.KeyPair {
	k, err := alipaysign.GenerateKeyPair(1024)
	if err != nil {
		panic(err)
	}
	return k
}

var fuzzKeys = sync.OnceValue(func() fuzzAntomKeys {
	var k fuzzAntomKeys
	var err error
	k.merchant, k.antom = fuzzKeyPair(), fuzzKeyPair()
	if k.antomPriv, err = alipaysign.ParsePrivateKey(k.antom.Private); err != nil {
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

func fuzzResponse(r *http.Request, status int, h http.Header, body []byte) *http.Response {
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}
}

func fuzzClient(t *testing.T, rt fuzzTransport) *Client {
	t.Helper()
	k := fuzzKeys()
	c, err := New(Config{
		BaseURL: "https://open-sea-global.alipay.com", ClientID: fuzzClientID,
		MerchantPrivateKey: k.merchant.Private, AntomPublicKey: k.antom.Public,
		HTTPClient: &http.Client{Transport: rt, Timeout: 5 * time.Second},
		Now:        func() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fuzzPayRequest(manual bool) checkout.PayRequest {
	mode := checkout.CaptureAutomatic
	if manual {
		mode = checkout.CaptureManual
	}
	return checkout.PayRequest{
		PaymentID: fuzzPaymentID, IdempotencyKey: fuzzPaymentID, Amount: fuzzAmount, Method: checkout.MethodCard,
		Card:        &checkout.CardInput{Number: fuzzPAN, CVC: fuzzCVC, ExpMonth: 12, ExpYear: 2030, Holder: "Ada Lovelace"},
		CaptureMode: mode, ReturnURL: "https://checkout.example/return/pay_1", NotifyURL: "https://checkout.example/notify/antom",
	}
}

// fuzzCheckOutcome asserts what holds for any outcome the adapter reports.
func fuzzCheckOutcome(t *testing.T, out checkout.Outcome) {
	t.Helper()
	js, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), fuzzPAN) {
		t.Errorf("outcome carries the card number: %s", js)
	}
	if out.ProviderRef != "" && cleanRef(out.ProviderRef) != out.ProviderRef {
		t.Errorf("provider ref %q is not a clean reference", out.ProviderRef)
	}
	if d := out.Decline; d != nil && d.ProviderCode != "" && !codePattern.MatchString(d.ProviderCode) {
		t.Errorf("decline provider code %q is not a code", d.ProviderCode)
	}
	if d := out.Decline; d != nil && d.Message != checkout.DeclineMessage(d.Code) {
		t.Errorf("decline message %q is not ours", d.Message)
	}
	if (out.Status == checkout.OutcomeFailed) != (out.Decline != nil) {
		t.Errorf("status %s with decline %+v", out.Status, out.Decline)
	}
	if out.Status == checkout.OutcomeActionRequired {
		if out.Action == nil {
			t.Fatal("action required without an action")
		}
		u, err := url.Parse(out.Action.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			t.Errorf("action URL %q", out.Action.URL)
		}
	} else if out.Action != nil {
		t.Errorf("status %s with an action", out.Status)
	}
	if c := out.Card; c != nil {
		if c.BIN != "" && (len(c.BIN) != 6 || strings.Trim(c.BIN, "0123456789") != "") {
			t.Errorf("card BIN %q", c.BIN)
		}
		if c.Last4 != "" && (len(c.Last4) != 4 || strings.Trim(c.Last4, "0123456789") != "") {
			t.Errorf("card last four %q", c.Last4)
		}
	}
}

func FuzzPayAnswer(f *testing.F) {
	for _, s := range []string{
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success."},"paymentRequestId":"` + fuzzPaymentID +
			`","paymentId":"20211112194010800100188570271832381","paymentAmount":{"currency":"EUR","value":"1234"},` +
			`"paymentResultInfo":{"cardBrand":"VISA","cardBin":"411734","lastFour":"6383","expiryMonth":"12","expiryYear":"30",` +
			`"threeDSResult":{"eci":"05","threeDSVersion":"2.2.0","cavv":"AAAB","dsTransactionId":"f25084f0-5b16-4c0a","threeDSInteractionMode":"CHALLENGE"}}}`,
		`{"result":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U","resultMessage":"payment in process"},"paymentRequestId":"` + fuzzPaymentID +
			`","paymentId":"20260314123456789012345678901234567","paymentAmount":{"currency":"EUR","value":"1234"},"normalUrl":"https://sandbox.example.com/3ds/0f1e"}`,
		`{"result":{"resultCode":"DO_NOT_HONOR","resultStatus":"F","resultMessage":"Do not honor 4117347806156383"},"paymentRequestId":"` + fuzzPaymentID + `"}`,
		`{"result":{"resultCode":"THREE_D_SECURE_AUTHENTICATION_FAILED","resultStatus":"F"},"paymentResultInfo":{"threeDSResult":{"eci":7}}}`,
		`{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F"}}`,
		`{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"4117347806156383","paymentAmount":{"currency":"EUR","value":"1234"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"2021","paymentAmount":{"currency":"EUR","value":"12.34"}}`,
		`{"result":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U"},"normalUrl":"javascript:alert(1)"}`,
		`{"result":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U"},"normalUrl":"https://x.example/?pan=4117347806156383"}`,
		`{"result":{"resultStatus":"X"}}`,
		`{"paymentStatus":"SUCCESS","result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"2021","transactions":[{"transactionType":"CAPTURE","transactionStatus":"SUCCESS"}]}`,
		`{"paymentStatus":"FAIL","paymentResultCode":"INVALID_CVV","result":{"resultCode":"SUCCESS","resultStatus":"S"}}`,
		`{"result":{"resultCode":"ORDER_NOT_EXIST","resultStatus":"F"}}`,
		`[]`, `null`, ``, `{"result":`,
	} {
		f.Add([]byte(s), false, false)
		f.Add([]byte(s), true, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, manual, inquiry bool) {
		k := fuzzKeys()
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			h := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
			if err := alipaysign.SignMessage(k.antomPriv, h, alipaysign.HeaderResponseTime, http.MethodPost, r.URL.Path, fuzzClientID, fuzzResponseTime, body); err != nil {
				t.Fatal(err)
			}
			return fuzzResponse(r, http.StatusOK, h, body)
		})
		var out checkout.Outcome
		var err error
		if inquiry {
			mode := checkout.CaptureAutomatic
			if manual {
				mode = checkout.CaptureManual
			}
			p := checkout.Payment{ID: fuzzPaymentID, Amount: fuzzAmount, CaptureMode: mode, CreatedAt: time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)}
			out, err = c.Inquire(context.Background(), p)
		} else {
			out, err = c.Pay(context.Background(), fuzzPayRequest(manual))
		}
		if err != nil {
			if strings.Contains(err.Error(), fuzzPAN) {
				t.Errorf("error carries the card number: %v", err)
			}
			return
		}
		fuzzCheckOutcome(t, out)

		var answer struct {
			Result        result `json:"result"`
			PaymentStatus string `json:"paymentStatus"`
		}
		if json.Unmarshal(body, &answer) != nil {
			t.Fatalf("an outcome (%s) from an unreadable answer %q", out.Status, body)
		}
		said := answer.Result.ResultStatus
		if inquiry {
			said = map[string]string{StatusSuccess: ResultSuccess, StatusFail: ResultFailure}[answer.PaymentStatus]
		}
		switch out.Status {
		case checkout.OutcomeSucceeded:
			if said != ResultSuccess || manual && !inquiry {
				t.Errorf("succeeded from %q (manual capture %v): %s", said, manual, body)
			}
		case checkout.OutcomeAuthorized:
			if said != ResultSuccess || !manual {
				t.Errorf("authorized from %q (manual capture %v): %s", said, manual, body)
			}
		case checkout.OutcomeFailed:
			if said != ResultFailure && !(inquiry && out.Decline.ProviderCode == CodeOrderNotExist) {
				t.Errorf("failed from %q: %s", said, body)
			}
		}
	})
}

// fuzzSignedAnswer is the pay answer the harness signs for FuzzAnswerSignature.
const fuzzSignedAnswer = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success."},"paymentRequestId":"` +
	fuzzPaymentID + `","paymentId":"20211112194010800100188570271832381","paymentAmount":{"currency":"EUR","value":"1234"}}`

// fuzzSignatureOf is the URL-encoded signature of a Signature header.
func fuzzSignatureOf(header string) string {
	_, sig, _ := strings.Cut(header, ",signature=")
	return sig
}

func FuzzAnswerSignature(f *testing.F) {
	for _, s := range []struct{ body, header, clientID, responseTime string }{
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer, "algorithm=RSA256, keyVersion=1, signature=$SIG", fuzzClientID, fuzzResponseTime},
		{strings.Replace(fuzzSignedAnswer, `"S"`, `"F"`, 1), "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, fuzzResponseTime},
		{strings.Replace(fuzzSignedAnswer, "1234", "12340", 1), "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer + " ", "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=$SIG", "SANDBOX_OTHER", fuzzResponseTime},
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzClientID, "2026-03-14T15:09:28.000Z"},
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer, "", fuzzClientID, fuzzResponseTime},
		{fuzzSignedAnswer, "algorithm=RSA256,keyVersion=1,signature=$SIG", "", fuzzResponseTime},
	} {
		f.Add([]byte(s.body), s.header, s.clientID, s.responseTime)
	}
	f.Fuzz(func(t *testing.T, body []byte, header, clientID, responseTime string) {
		k := fuzzKeys()
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			signed := http.Header{}
			if err := alipaysign.SignMessage(k.antomPriv, signed, alipaysign.HeaderResponseTime, http.MethodPost, r.URL.Path, fuzzClientID, fuzzResponseTime, []byte(fuzzSignedAnswer)); err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set(alipaysign.HeaderClientID, clientID)
			h.Set(alipaysign.HeaderResponseTime, responseTime)
			h.Set(alipaysign.HeaderSignature, strings.ReplaceAll(header, "$SIG", fuzzSignatureOf(signed.Get(alipaysign.HeaderSignature))))
			return fuzzResponse(r, http.StatusOK, h, body)
		})
		out, err := c.Pay(context.Background(), fuzzPayRequest(false))
		if err != nil {
			return
		}
		// An outcome was read, so the answer verified: it must be the
		// signed one, with the signed time, under our Client-Id.
		if string(body) != fuzzSignedAnswer || clientID != fuzzClientID || responseTime != fuzzResponseTime {
			t.Errorf("answer %q at %q for %q was trusted (outcome %s)", body, responseTime, clientID, out.Status)
		}
	})
}

// fuzzSignedNotification is the notification the harness signs for
// FuzzNotification's fixed-message mode.
const fuzzSignedNotification = `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
	`"paymentRequestId":"` + fuzzPaymentID + `","paymentId":"20211112194010800100188570271832381","paymentAmount":{"value":"1234","currency":"EUR"}}`

const fuzzNotificationTime = "2026-03-14T15:10:00+01:00"

const fuzzRefundNotification = `{"notifyType":"REFUND_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},` +
	`"refundStatus":"SUCCESS","refundRequestId":"re_aaaabbbbccccddddeeeeffffgggghhhh","refundId":"2026031400000000000000000000000002",` +
	`"refundAmount":{"currency":"EUR","value":"234"},"refundTime":"2026-03-14T15:10:00+01:00"}`

// fuzzCheckRefund asserts what holds for any refund outcome the adapter
// reports about a refund whose Antom status is status.
func fuzzCheckRefund(t *testing.T, out checkout.RefundOutcome, status string) {
	t.Helper()
	switch out.Status {
	case checkout.RefundSucceeded:
		if status != RefundStatusSuccess {
			t.Errorf("refund succeeded from status %q", status)
		}
	case checkout.RefundFailed:
		if status != RefundStatusFail || (out.ProviderCode != RefundStatusFail && !codePattern.MatchString(out.ProviderCode)) {
			t.Errorf("refund failed from status %q with code %q", status, out.ProviderCode)
		}
	case checkout.RefundPending:
	default:
		t.Errorf("refund status %q", out.Status)
	}
	if out.ProviderRef != "" && cleanRef(out.ProviderRef) != out.ProviderRef {
		t.Errorf("refund provider ref %q", out.ProviderRef)
	}
}

// FuzzRefundInquiry feeds signed inquiryRefund answers to InquireRefund:
// it never panics, never reports another refund, a success only from
// refundStatus SUCCESS, and ErrRefundNotFound only for F REFUND_NOT_EXIST
// or ORDER_NOT_EXIST.
func FuzzRefundInquiry(f *testing.F) {
	const refundID = "re_aaaabbbbccccddddeeeeffffgggghhhh"
	one := `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success."},"refundRequestId":"` + refundID +
		`","refundId":"2026031400000000000000000000000002","refundAmount":{"currency":"EUR","value":"234"},"refundStatus":"SUCCESS"}`
	for _, s := range []string{
		one,
		strings.Replace(one, `"refundStatus":"SUCCESS"`, `"refundStatus":"PROCESSING"`, 1),
		strings.Replace(one, `"refundStatus":"SUCCESS"`, `"refundStatus":"FAIL"`, 1),
		strings.Replace(one, `"234"`, `"2340"`, 1),
		strings.Replace(one, refundID, "re_other", 1),
		strings.Replace(one, "2026031400000000000000000000000002", "4117347806156383", 1),
		`{"result":{"resultCode":"REFUND_NOT_EXIST","resultStatus":"F"}}`,
		`{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"}}`,
		`[]`, `null`, ``, `{"result":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		k := fuzzKeys()
		c := fuzzClient(t, func(r *http.Request) *http.Response {
			h := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
			if err := alipaysign.SignMessage(k.antomPriv, h, alipaysign.HeaderResponseTime, http.MethodPost, r.URL.Path, fuzzClientID, fuzzResponseTime, body); err != nil {
				t.Fatal(err)
			}
			return fuzzResponse(r, http.StatusOK, h, body)
		})
		rf := checkout.Refund{ID: refundID, Amount: checkout.Money{Amount: 234, Currency: "EUR"}}
		out, err := c.InquireRefund(context.Background(), checkout.Payment{ID: fuzzPaymentID}, rf)
		var answer inquiryRefundResponse
		readable := json.Unmarshal(body, &answer) == nil
		if err != nil {
			if !strings.HasPrefix(err.Error(), "antom: ") || strings.Contains(err.Error(), fuzzPAN) {
				t.Errorf("error %q", err)
			}
			if errors.Is(err, checkout.ErrRefundNotFound) && (!readable || answer.Result.ResultStatus != ResultFailure ||
				(answer.Result.ResultCode != CodeRefundNotExist && answer.Result.ResultCode != CodeOrderNotExist)) {
				t.Errorf("not found from %q", body)
			}
			return
		}
		if !readable || answer.Result.ResultStatus != ResultSuccess {
			t.Fatalf("an answer from %q", body)
		}
		if answer.RefundRequestID != "" && answer.RefundRequestID != refundID {
			t.Errorf("accepted an answer about %q", answer.RefundRequestID)
		}
		if a := answer.RefundAmount; a != nil && (a.Currency != "" || a.Value != "") && (a.Currency != "EUR" || a.Value != "234") {
			t.Errorf("accepted a refund of %+v", *a)
		}
		fuzzCheckRefund(t, out, answer.RefundStatus)
	})
}

func FuzzNotification(f *testing.F) {
	capture := `{"notifyType":"CAPTURE_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success."},` +
		`"captureRequestId":"` + fuzzPaymentID + `-capture","paymentId":"20260314123456789012345678901234567",` +
		`"captureId":"20260314987654321098765432109876543","captureAmount":{"currency":"EUR","value":"1234"},"captureTime":"2026-03-14T15:10:00Z"}`
	for _, s := range []struct {
		method, uri, clientID, requestTime, header, body string
		signIt                                           bool
	}{
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", strings.Replace(fuzzSignedNotification, "1234", "1", 1), false},
		{"POST", "/notify/antom?merchant=mer_2", fuzzClientID, fuzzNotificationTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", fuzzNotifyURI, "SANDBOX_OTHER", fuzzNotificationTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "algorithm=RSA256,keyVersion=1,signature=AAAA", fuzzSignedNotification, false},
		{"GET", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "algorithm=RSA256,keyVersion=1,signature=$SIG", fuzzSignedNotification, false},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", fuzzSignedNotification, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", capture, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", strings.Replace(capture, `"S"`, `"F"`, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", strings.Replace(fuzzSignedNotification, "PAYMENT_RESULT", "PAYMENT_PENDING", 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", strings.Replace(fuzzSignedNotification, `"resultCode":"SUCCESS","resultStatus":"S"`, `"resultCode":"DO_NOT_HONOR","resultStatus":"F"`, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", strings.Replace(fuzzSignedNotification, "20211112194010800100188570271832381", fuzzPAN, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", `{"notifyType":"REFUND_RESULT","result":{"resultStatus":"S","resultCode":"SUCCESS"}}`, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", fuzzRefundNotification, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", strings.Replace(strings.Replace(fuzzRefundNotification, `"SUCCESS","resultStatus":"S"`, `"PROCESS_FAIL","resultStatus":"F"`, 1), `"refundStatus":"SUCCESS"`, `"refundStatus":"FAIL"`, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", strings.Replace(fuzzRefundNotification, `"refundStatus":"SUCCESS",`, ``, 1), true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", `{"notifyType":"payment result"}`, true},
		{"POST", "notify", fuzzClientID, fuzzNotificationTime, "", fuzzSignedNotification, true},
		{"POST", fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, "", `not json`, true},
	} {
		f.Add(s.method, s.uri, s.clientID, s.requestTime, s.header, []byte(s.body), s.signIt)
	}
	f.Fuzz(func(t *testing.T, method, uri, clientID, requestTime, header string, body []byte, signIt bool) {
		k := fuzzKeys()
		h := http.Header{}
		if signIt {
			// A valid signature over the fuzzed message, to reach the parser.
			if err := alipaysign.SignMessage(k.antomPriv, h, alipaysign.HeaderRequestTime, http.MethodPost, uri, clientID, requestTime, body); err != nil {
				t.Fatal(err)
			}
		} else {
			signed := http.Header{}
			if err := alipaysign.SignMessage(k.antomPriv, signed, alipaysign.HeaderRequestTime, http.MethodPost, fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, []byte(fuzzSignedNotification)); err != nil {
				t.Fatal(err)
			}
			h.Set(alipaysign.HeaderClientID, clientID)
			h.Set(alipaysign.HeaderRequestTime, requestTime)
			h.Set(alipaysign.HeaderSignature, strings.ReplaceAll(header, "$SIG", fuzzSignatureOf(signed.Get(alipaysign.HeaderSignature))))
		}
		c := fuzzClient(t, func(r *http.Request) *http.Response { return fuzzResponse(r, http.StatusInternalServerError, nil, nil) })
		n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: method, RequestURI: uri, Header: h, Body: body})
		if err != nil {
			return
		}
		if method != http.MethodPost || h.Get(alipaysign.HeaderClientID) != fuzzClientID {
			t.Errorf("notification by %s under Client-Id %q accepted", method, h.Get(alipaysign.HeaderClientID))
		}
		if !signIt {
			want := alipaysign.Content(http.MethodPost, fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, []byte(fuzzSignedNotification))
			if got := alipaysign.Content(http.MethodPost, uri, h.Get(alipaysign.HeaderClientID), requestTime, body); !bytes.Equal(got, want) {
				t.Errorf("a signature over %q verified %q", want, got)
			}
		}

		if n.Reply.Status != http.StatusOK || n.Reply.Body != notificationAck {
			t.Errorf("reply %+v", n.Reply)
		}
		if !codePattern.MatchString(n.Type) {
			t.Errorf("type %q", n.Type)
		}
		if n.EventID == "" {
			return // acknowledged, not acted on
		}
		if n.Type == NotifyRefundResult {
			var rn notification
			if json.Unmarshal(body, &rn) != nil || n.Refund == nil || n.Outcome.Status != "" || n.ProviderRef != "" {
				t.Fatalf("refund notification %+v from %q", n, body)
			}
			status := rn.RefundStatus
			if status == "" {
				status = refundStatusOfResult(rn.Result)
			}
			fuzzCheckRefund(t, n.Refund.Outcome, status)
			if n.Refund.ProviderRef == "" || n.Refund.ProviderRef != cleanRef(rn.RefundID) || !strings.HasPrefix(n.EventID, n.Type+":"+n.Refund.ProviderRef+":") {
				t.Errorf("refund notice %+v, event %q", n.Refund, n.EventID)
			}
			if n.Refund.RefundID != "" && cleanRef(n.Refund.RefundID) != n.Refund.RefundID {
				t.Errorf("refund id %q", n.Refund.RefundID)
			}
			if a := n.Refund.Amount; a == nil || a.Amount < 0 || !checkout.ValidCurrency(a.Currency) {
				t.Errorf("refund amount %v", a)
			}
			return
		}
		if n.Refund != nil {
			t.Errorf("%s read as a refund", n.Type)
		}
		fuzzCheckOutcome(t, n.Outcome)
		if !strings.HasPrefix(n.EventID, n.Type+":") || n.ProviderRef == "" || n.Amount == nil {
			t.Errorf("event %q, ref %q, amount %v", n.EventID, n.ProviderRef, n.Amount)
		}
		if n.PaymentID != "" && cleanRef(n.PaymentID) != n.PaymentID {
			t.Errorf("payment id %q", n.PaymentID)
		}
		if n.Amount != nil && (n.Amount.Amount < 0 || !checkout.ValidCurrency(n.Amount.Currency)) {
			t.Errorf("amount %+v", *n.Amount)
		}
		// A payment notification never passes for a capture: only a
		// CAPTURE_RESULT S is a success, and PAYMENT_PENDING settles nothing.
		switch n.Type {
		case NotifyPaymentResult:
			if n.Outcome.Status == checkout.OutcomeSucceeded {
				t.Errorf("PAYMENT_RESULT reported as a capture: %s", body)
			}
		case NotifyPaymentPending:
			if n.Outcome.Status != checkout.OutcomePending && n.Outcome.Status != checkout.OutcomeFailed && n.Outcome.Status != checkout.OutcomeActionRequired {
				t.Errorf("PAYMENT_PENDING reported as %s", n.Outcome.Status)
			}
		case NotifyCaptureResult:
			if n.Outcome.Status != checkout.OutcomeSucceeded && n.Outcome.Status != checkout.OutcomeAuthorized {
				t.Errorf("CAPTURE_RESULT reported as %s", n.Outcome.Status)
			}
		default:
			t.Errorf("%s acted on (event %q)", n.Type, n.EventID)
		}
	})
}

// TestFuzzHarnesses keeps the fixed-message modes honest: their first seeds
// verify, so the properties are checked on trusted messages too.
func TestFuzzHarnesses(t *testing.T) {
	k := fuzzKeys()
	c := fuzzClient(t, func(r *http.Request) *http.Response {
		h := http.Header{}
		if err := alipaysign.SignMessage(k.antomPriv, h, alipaysign.HeaderResponseTime, http.MethodPost, r.URL.Path, fuzzClientID, fuzzResponseTime, []byte(fuzzSignedAnswer)); err != nil {
			t.Fatal(err)
		}
		return fuzzResponse(r, http.StatusOK, h, []byte(fuzzSignedAnswer))
	})
	if out, err := c.Pay(context.Background(), fuzzPayRequest(false)); err != nil || out.Status != checkout.OutcomeSucceeded {
		t.Errorf("signed answer: %s, %v", out.Status, err)
	}
	h := http.Header{}
	if err := alipaysign.SignMessage(k.antomPriv, h, alipaysign.HeaderRequestTime, http.MethodPost, fuzzNotifyURI, fuzzClientID, fuzzNotificationTime, []byte(fuzzSignedNotification)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: http.MethodPost, RequestURI: fuzzNotifyURI, Header: h, Body: []byte(fuzzSignedNotification)})
	if err != nil || n.EventID == "" {
		t.Errorf("signed notification: %+v, %v", n, err)
	}
}
