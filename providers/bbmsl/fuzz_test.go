package bbmsl

// Fuzz targets for PayAPI (SECURITY.md R40): the signed request envelope,
// the two-decimal amounts, sale and query answers, and notifications with
// their canonical forms. Keys are made per process, so a seed names a
// signature by placeholder ($SIG, $SIGQ) and the harness puts the real one
// in; the fuzzer then mutates around it.

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

const (
	fuzzMerchantID = "3"
	fuzzPaymentID  = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	fuzzCustomer   = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
)

// fuzzRequest is the one request string the harness signs for FuzzOpen.
const fuzzRequest = `{"merchantId":"3","userId":"` + fuzzCustomer + `","tokenId":5798,"merchantReference":"` + fuzzPaymentID +
	`","currency":"HKD","amount":12.34,"isRecurring":false,"lineItems":[{"quantity":1,"priceData":{"unitAmount":12.34,"name":"Tea"}}]}`

// fuzzFields are the notification fields the harness signs for
// FuzzNotificationSignature, in FormRaw ($SIG) and FormQuery ($SIGQ).
var fuzzFields = map[string]string{
	"orderId": "20873", "merchantReference": fuzzPaymentID, "amount": "699.00", "currency": "HKD", "cardType": "VISA",
	"status": "SUCCESS", "maskedPan": "470534XXXXXX8101", "responseCode": "0000",
}

type fuzzPayAPIKeys struct {
	merchant, bbmsl KeyPair
	bbmslPriv       *rsa.PrivateKey
	bbmslPub        *rsa.PublicKey
	sig, sigQ       string // of fuzzFields
	requestSig      string // of fuzzRequest
}

// fuzzKeyPair makes an RSA-1024 pair (see GenerateKeyPair).
func fuzzKeyPair() KeyPair {
	k, err := GenerateKeyPair(1024)
	if err != nil {
		panic(err)
	}
	return k
}

var fuzzKeys = sync.OnceValue(func() fuzzPayAPIKeys {
	var k fuzzPayAPIKeys
	var err error
	k.merchant, k.bbmsl = fuzzKeyPair(), fuzzKeyPair()
	if k.bbmslPriv, err = ParsePrivateKey(k.bbmsl.Private); err != nil {
		panic(err)
	}
	k.bbmslPub = &k.bbmslPriv.PublicKey
	for _, s := range []struct {
		dst *string
		msg string
	}{
		{&k.sig, NotificationContent(fuzzFields, FormRaw)},
		{&k.sigQ, NotificationContent(fuzzFields, FormQuery)},
		{&k.requestSig, fuzzRequest},
	} {
		if *s.dst, err = Sign(k.bbmslPriv, []byte(s.msg)); err != nil {
			panic(err)
		}
	}
	return k
})

// fuzzExpand puts the real signatures in place of the placeholders.
func fuzzExpand(template []byte) []byte {
	k := fuzzKeys()
	template = bytes.ReplaceAll(template, []byte("$SIGQ"), []byte(k.sigQ))
	template = bytes.ReplaceAll(template, []byte("$SIGR"), []byte(k.requestSig))
	return bytes.ReplaceAll(template, []byte("$SIG"), []byte(k.sig))
}

// fuzzTransport answers every request without a network.
type fuzzTransport func(*http.Request) *http.Response

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return f(r), nil
}

func fuzzClient(t *testing.T, status int, answer []byte) *Client {
	t.Helper()
	k := fuzzKeys()
	rt := fuzzTransport(func(r *http.Request) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(answer)), Request: r}
	})
	c, err := New(Config{
		BaseURL: SITBaseURL, MerchantID: fuzzMerchantID, MerchantPrivateKey: k.merchant.Private, BBMSLPublicKey: k.bbmsl.Public,
		HTTPClient: &http.Client{Transport: rt, Timeout: 5 * time.Second},
		Now:        func() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func FuzzOpen(f *testing.F) {
	for _, s := range []string{
		`{"request":` + fuzzJSONString(fuzzRequest) + `,"signature":"$SIGR"}`,
		`{"signature":"$SIGR","request":` + fuzzJSONString(fuzzRequest) + `}`,
		`{"request":` + fuzzJSONString(strings.Replace(fuzzRequest, "12.34", "1234", 1)) + `,"signature":"$SIGR"}`,
		`{"request":` + fuzzJSONString(fuzzRequest+" ") + `,"signature":"$SIGR"}`,
		`{"request":` + fuzzJSONString(fuzzRequest) + `,"signature":" $SIGR\n"}`,
		`{"request":` + fuzzJSONString(fuzzRequest) + `,"signature":"$SIG"}`,
		`{"request":` + fuzzJSONString(fuzzRequest) + `,"signature":""}`,
		`{"request":` + fuzzRequest + `,"signature":"$SIGR"}`,
		`{"request":"","signature":"$SIGR"}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		body = fuzzExpand(body)
		request, err := Open(fuzzKeys().bbmslPub, body)
		if err != nil {
			return
		}
		if string(request) != fuzzRequest {
			t.Errorf("envelope %q opened to %q, which was never signed", body, request)
		}
	})
}

// fuzzJSONString is s as a JSON string literal.
func fuzzJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var fuzzAmountPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$`)

func FuzzParseAmount(f *testing.F) {
	for _, s := range []struct{ s, currency string }{
		{"50", "USD"}, {"699.00", "HKD"}, {"0.5", "HKD"}, {"0.01", "USD"}, {"9999999.99", "HKD"}, {"10000000.00", "HKD"},
		{"9999999999999999.99", "USD"}, {"1.234", "HKD"}, {"1e3", "HKD"}, {"-1.00", "HKD"}, {"+1.00", "HKD"}, {"01.00", "HKD"},
		{"1.", "HKD"}, {".5", "HKD"}, {"1.00", "EUR"}, {"1.00", "hkd"}, {"", "HKD"}, {" 1.00", "HKD"},
	} {
		f.Add(s.s, s.currency)
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := ParseAmount(s, currency)
		if err != nil {
			return
		}
		if !supported(currency) || m.Currency != currency || m.Amount < 0 || !fuzzAmountPattern.MatchString(s) {
			t.Fatalf("ParseAmount(%q, %q) = %+v", s, currency, m)
		}
		wire, err := FormatAmount(m)
		if m.Amount > MaxWireAmount {
			if err == nil {
				t.Errorf("FormatAmount(%d) = %q beyond PayAPI's Number(9,2)", m.Amount, wire)
			}
			return
		}
		if err != nil {
			t.Fatalf("FormatAmount(%+v) from %q: %v", m, s, err)
		}
		back, err := ParseAmount(string(wire), currency)
		if err != nil || back != m {
			t.Errorf("%q -> %d -> %q -> %+v, %v", s, m.Amount, wire, back, err)
		}
		if _, frac, _ := strings.Cut(s, "."); len(frac) == 2 && string(wire) != s {
			t.Errorf("%q formats back as %q", s, wire)
		}
	})
}

// fuzzCheckOutcome asserts what holds for any outcome the adapter reports.
func fuzzCheckOutcome(t *testing.T, out checkout.Outcome) {
	t.Helper()
	js, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if cardLike(string(js)) {
		t.Errorf("outcome holds something shaped like a card number: %s", js)
	}
	if out.ProviderRef != "" && cleanID(out.ProviderRef) != out.ProviderRef {
		t.Errorf("provider ref %q", out.ProviderRef)
	}
	if (out.Status == checkout.OutcomeFailed) != (out.Decline != nil) {
		t.Errorf("status %s with decline %+v", out.Status, out.Decline)
	}
	if d := out.Decline; d != nil {
		if d.Message != checkout.DeclineMessage(d.Code) || (d.ProviderCode != "" && cleanCode(d.ProviderCode) != d.ProviderCode) {
			t.Errorf("decline %+v", d)
		}
	}
	if out.Action != nil {
		t.Errorf("a token sale asks the browser to act: %+v", out.Action)
	}
	if c := out.Card; c != nil && (c.BIN != "" && !digits(c.BIN) || len(c.BIN) != 0 && len(c.BIN) != 6 || c.Last4 != "" && (len(c.Last4) != 4 || !digits(c.Last4))) {
		t.Errorf("card %+v", c)
	}
}

// fuzzPaid are the statuses in which the money was taken.
var fuzzPaid = map[string]bool{StatusSuccess: true, StatusSettled: true, StatusPartiallyRefunded: true}

func FuzzAnswer(f *testing.F) {
	sale := `{"responseCode":"0000","message":"Success","order":{"id":5798,"merchantId":3,"merchantReference":"` + fuzzPaymentID +
		`","currency":"HKD","amount":12.34,"cardType":"VISA","status":"SUCCESS"},"transaction":{"id":3970,"type":"SALE","amount":12.34,` +
		`"currency":"HKD","status":"SUCCESS","maskedPan":"470534XXXXXX8101","stan":"3970"}}`
	for _, s := range []struct {
		status int
		body   string
	}{
		{200, sale},
		{200, strings.Replace(sale, `"status":"SUCCESS","maskedPan"`, `"status":"DECLINED","responseCode":"5051","maskedPan"`, 1)},
		{200, strings.Replace(strings.Replace(sale, `"0000"`, `"5051"`, 1), `"status":"SUCCESS","maskedPan"`, `"status":"DECLINED","maskedPan"`, 1)},
		{200, strings.Replace(sale, `"0000"`, `"5051"`, 1)},
		{200, strings.Replace(sale, "12.34", "12.35", 1)},
		{200, strings.Replace(sale, "5798", "4705340000018101", 1)},
		{200, strings.Replace(sale, "470534XXXXXX8101", "4705340000018101", 1)},
		{200, strings.Replace(sale, `"status":"SUCCESS","maskedPan"`, `"status":"VOIDED","maskedPan"`, 1)},
		{200, strings.Replace(strings.Replace(sale, `,"transaction":{`, `,"x":{`, 1), `"status":"SUCCESS"}`, `"status":"SETTLED"}`, 1)},
		{200, `{"responseCode":"2001","message":"order not found"}`},
		{200, `{"responseCode":"2002","message":"duplicate"}`},
		{400, `{"responseCode":"1003","message":"invalid parameter: amount 4705340000018101"}`},
		{400, `{"responseCode":"0000"}`},
		{200, `{"responseCode":"5005"}`},
		{200, `{"responseCode":""}`},
		{500, `{"responseCode":"0000"}`},
		{200, `{"responseCode":true}`},
		{200, `[]`},
	} {
		f.Add(uint16(s.status), []byte(s.body), false)
		f.Add(uint16(s.status), []byte(s.body), true)
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, inquiry bool) {
		code := int(status)
		if code < 100 || code > 599 {
			code = 200
		}
		c := fuzzClient(t, code, body)
		amount := checkout.Money{Amount: 1234, Currency: "HKD"}
		var out checkout.Outcome
		var err error
		if inquiry {
			out, err = c.Inquire(context.Background(), checkout.Payment{ID: fuzzPaymentID, Amount: amount, CreatedAt: time.Date(2026, 3, 14, 14, 0, 0, 0, time.UTC)})
		} else {
			out, err = c.Pay(context.Background(), checkout.PayRequest{
				PaymentID: fuzzPaymentID, IdempotencyKey: fuzzPaymentID, Amount: amount, Method: checkout.MethodSavedCard,
				SavedCard: &checkout.SavedCardCharge{Customer: fuzzCustomer, CardID: "5798"},
			})
		}
		if err != nil {
			return
		}
		fuzzCheckOutcome(t, out)
		var r orderResponse
		if json.Unmarshal(body, &r) != nil {
			t.Fatalf("outcome %s from an unreadable answer %q", out.Status, body)
		}
		if out.Status == checkout.OutcomeSucceeded {
			st := ""
			if r.Transaction != nil {
				st = r.Transaction.Status
			}
			if st == "" && r.Order != nil {
				st = r.Order.Status
			}
			if r.code() != CodeSuccess || code != http.StatusOK || !fuzzPaid[st] {
				t.Errorf("succeeded from HTTP %d, code %q, status %q", code, r.code(), st)
			}
		}
		if out.Status == checkout.OutcomeActionRequired || out.Status == checkout.OutcomeAuthorized {
			t.Errorf("a token sale reported as %s", out.Status)
		}
	})
}

func FuzzNotificationSignature(f *testing.F) {
	seed, err := marshal(fuzzFields)
	if err != nil {
		f.Fatal(err)
	}
	body := func(sig string) string { return strings.TrimSuffix(string(seed), "}") + `,"signature":"` + sig + `"}` }
	for _, s := range []string{
		body("$SIG"),
		body("$SIGQ"),
		strings.Replace(body("$SIG"), `"699.00"`, `699.00`, 1),
		strings.Replace(body("$SIG"), `"SUCCESS"`, `"DECLINED"`, 1),
		strings.Replace(body("$SIG"), `"699.00"`, `"6990.00"`, 1),
		strings.Replace(body("$SIG"), `"maskedPan":"470534XXXXXX8101",`, ``, 1),
		strings.Replace(body("$SIG"), `,"merchantReference"`, `,"x":null,"merchantReference"`, 1),
		strings.Replace(body("$SIG"), `"VISA"`, `"VISA","extra":{"a":1}`, 1),
		body("$SIG") + " {}",
		body(""),
		`{"signature":"$SIG"}`,
		`[]`,
	} {
		f.Add([]byte(s), "POST")
	}
	f.Add([]byte(body("$SIG")), "GET")
	f.Fuzz(func(t *testing.T, template []byte, method string) {
		b := fuzzExpand(template)
		c := fuzzClient(t, http.StatusInternalServerError, nil)
		n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: method, Body: b})
		if err != nil {
			return
		}
		// Trusted: it must say exactly what the signed notification says.
		want, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: http.MethodPost, Body: fuzzExpand([]byte(body("$SIG")))})
		if err != nil {
			t.Fatal(err)
		}
		if method != http.MethodPost || !reflect.DeepEqual(n, want) {
			t.Errorf("%s %q was trusted as\n%+v\nbut the signed notification is\n%+v", method, b, n, want)
		}
	})
}

func FuzzNotification(f *testing.F) {
	f.Add("20873", "SUCCESS", "699.00", "HKD", "470534XXXXXX8101", "VISA", fuzzPaymentID, "0000", false)
	f.Add("20874", "DECLINED", "12.34", "USD", "400000XXXXXX9995", "MASTER", fuzzPaymentID, "5051", true)
	f.Add("20875", "VOIDED", "", "", "", "", "", "", false)
	f.Add("20876", "REFUNDED", "50", "HKD", "", "unionpay", "pay_1", "", false)
	f.Add("4705340000018101", "SUCCESS", "1.00", "HKD", "4705340000018101", "VISA", "4705340000018101", "0000", false)
	f.Add("0", "success", "1.001", "EUR", "470534******8101", "", "a b", "12345678901", false)
	f.Fuzz(func(t *testing.T, orderID, status, amount, currency, maskedPan, cardType, reference, responseCode string, query bool) {
		k := fuzzKeys()
		fields := map[string]string{"orderId": orderID, "status": status, "amount": amount, "currency": currency,
			"maskedPan": maskedPan, "cardType": cardType, "merchantReference": reference, "responseCode": responseCode}
		form := FormRaw
		if query {
			form = FormQuery
		}
		sig, err := Sign(k.bbmslPriv, []byte(NotificationContent(fields, form)))
		if err != nil {
			t.Fatal(err)
		}
		fields["signature"] = sig
		b, err := marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		n, err := fuzzClient(t, http.StatusInternalServerError, nil).Notification(context.Background(), checkout.NotificationRequest{Method: http.MethodPost, Body: b})
		if err != nil {
			return
		}
		fuzzCheckOutcome(t, n.Outcome)
		if n.EventID != orderID+":"+status || n.ProviderRef != orderID || cleanID(orderID) != orderID || cleanStatus(status) != status || n.Type != status {
			t.Errorf("event %q, ref %q, type %q from order %q status %q", n.EventID, n.ProviderRef, n.Type, orderID, status)
		}
		if n.PaymentID != "" && (n.PaymentID != reference || cleanRef(reference) != reference) {
			t.Errorf("payment id %q from %q", n.PaymentID, reference)
		}
		if n.Amount != nil {
			if m, err := ParseAmount(amount, currency); err != nil || *n.Amount != m {
				t.Errorf("amount %+v from %q %q", *n.Amount, amount, currency)
			}
		} else if amount != "" && currency != "" {
			t.Errorf("amount %q %q dropped", amount, currency)
		}
		if n.Outcome.Status == checkout.OutcomeSucceeded && !fuzzPaid[status] {
			t.Errorf("status %q reported as paid", status)
		}
		if n.Reply.Status != http.StatusOK || n.Reply.Body != NotificationAck {
			t.Errorf("reply %+v", n.Reply)
		}
	})
}

// TestFuzzHarnesses keeps the placeholders honest: the seeds signed in
// both forms are trusted, and so is the signed envelope.
func TestFuzzHarnesses(t *testing.T) {
	c := fuzzClient(t, http.StatusInternalServerError, nil)
	for _, sig := range []string{"$SIG", "$SIGQ"} {
		fields := map[string]string{"signature": sig}
		for k, v := range fuzzFields {
			fields[k] = v
		}
		b, err := marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := c.Notification(context.Background(), checkout.NotificationRequest{Method: http.MethodPost, Body: fuzzExpand(b)}); err != nil || n.Outcome.Status != checkout.OutcomeSucceeded {
			t.Errorf("%s: %+v, %v", sig, n, err)
		}
	}
	if _, err := Open(fuzzKeys().bbmslPub, fuzzExpand([]byte(`{"request":`+fuzzJSONString(fuzzRequest)+`,"signature":"$SIGR"}`))); err != nil {
		t.Errorf("signed envelope: %v", err)
	}
}
