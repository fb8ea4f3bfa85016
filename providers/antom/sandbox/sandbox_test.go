package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

func TestNewConfig(t *testing.T) {
	cr := creds(t)
	for name, tc := range map[string]struct {
		cfg  sandbox.Config
		want string
	}{
		"no public URL":       {sandbox.Config{Credentials: cr}, "PublicURL"},
		"relative public URL": {sandbox.Config{PublicURL: "/sandbox/antom", Credentials: cr}, "PublicURL"},
		"no client id":        {sandbox.Config{PublicURL: "http://x.test", Credentials: sandbox.Credentials{MerchantPublicKey: cr.MerchantPublicKey, AntomPrivateKey: cr.AntomPrivateKey}}, "ClientID"},
		"no merchant key":     {sandbox.Config{PublicURL: "http://x.test", Credentials: sandbox.Credentials{ClientID: "SANDBOX_X", AntomPrivateKey: cr.AntomPrivateKey}}, "MerchantPublicKey"},
		"no Antom key":        {sandbox.Config{PublicURL: "http://x.test", Credentials: sandbox.Credentials{ClientID: "SANDBOX_X", MerchantPublicKey: cr.MerchantPublicKey}}, "AntomPrivateKey"},
		"relative notify URL": {sandbox.Config{PublicURL: "http://x.test", Credentials: cr, NotifyURL: "/notify"}, "NotifyURL"},
	} {
		if _, err := sandbox.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", name, err, tc.want)
		}
	}
	if !strings.HasPrefix(cr.ClientID, "SANDBOX_") || len(cr.ClientID) != len("SANDBOX_")+12 {
		t.Errorf("client id %q", cr.ClientID)
	}
	other, err := sandbox.NewCredentials()
	if err != nil || other.ClientID == cr.ClientID || other.MerchantPrivateKey == cr.MerchantPrivateKey || other.AntomPublicKey == cr.AntomPublicKey {
		t.Errorf("two credentials share values: %v", err)
	}
}

// TestAuthentication: the sandbox refuses what Antom refuses, with Antom's
// result body, HTTP 200 and a signed answer, and creates nothing.
func TestAuthentication(t *testing.T) {
	e := newTestEnv(t, nil)
	other, err := alipaysign.ParsePrivateKey(otherPair.Private)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		opt  func(*call)
		code string
	}{
		"valid":                     {func(*call) {}, "SUCCESS"},
		"signed with the full path": {func(c *call) { c.signedPath = mount + c.path }, "SUCCESS"},
		"no Client-Id":              {func(c *call) { c.header = func(h http.Header) { h.Del("Client-Id") } }, "INVALID_CLIENT"},
		"unknown Client-Id":         {func(c *call) { c.clientID = "SANDBOX_SOMEONEELSE" }, "INVALID_CLIENT"},
		"another key":               {func(c *call) { c.key = other }, "INVALID_SIGNATURE"},
		"no Signature":              {func(c *call) { c.header = func(h http.Header) { h.Del("Signature") } }, "INVALID_SIGNATURE"},
		"odd Signature":             {func(c *call) { c.header = func(h http.Header) { h.Set("Signature", "algorithm=RSA1,signature=abc") } }, "INVALID_SIGNATURE"},
		"key version 2": {func(c *call) {
			c.header = func(h http.Header) {
				h.Set("Signature", strings.Replace(h.Get("Signature"), "keyVersion=1", "keyVersion=2", 1))
			}
		}, "KEY_NOT_FOUND"},
		"no Request-Time":          {func(c *call) { c.header = func(h http.Header) { h.Del("Request-Time") } }, "INVALID_SIGNATURE"},
		"another Request-Time":     {func(c *call) { c.header = func(h http.Header) { h.Set("Request-Time", "1") } }, "INVALID_SIGNATURE"},
		"signed over another path": {func(c *call) { c.signedPath = "/ams/sandbox/api/v1/payments/inquiryPayment" }, "INVALID_SIGNATURE"},
		"production root":          {func(c *call) { c.path = "/ams/api/v1/payments/pay" }, "INVALID_CLIENT"},
		"unknown endpoint":         {func(c *call) { c.path = "/ams/sandbox/api/v1/payments/payLater" }, "NO_INTERFACE_DEF"},
		"GET":                      {func(c *call) { c.method = http.MethodGet }, "METHOD_NOT_SUPPORTED"},
		"text/plain":               {func(c *call) { c.contentType = "text/plain" }, "MEDIA_TYPE_NOT_ACCEPTABLE"},
	} {
		t.Run(name, func(t *testing.T) {
			id := newID()
			a := e.post(t, "pay", payBody(id, testcards.Visa), tc.opt)
			if a.status != http.StatusOK || a.code() != tc.code {
				t.Fatalf("HTTP %d %s %s, want 200 %s", a.status, a.resultStatus(), a.code(), tc.code)
			}
			if tc.code != "SUCCESS" {
				if a.resultStatus() != "F" || field(a.fields, "result.resultMessage") == "" {
					t.Errorf("result = %v", a.fields["result"])
				}
				if _, ok := e.sb.PaymentState(id); ok || e.sb.Charges(id) != 0 {
					t.Error("a refused request created a payment")
				}
			}
		})
	}
	if n := e.sb.Requests()["unauthorised"]; n != 10 {
		t.Errorf("unauthorised requests counted %d, want 10", n)
	}
}

// TestTamperedBody: a body changed after signing does not verify.
func TestTamperedBody(t *testing.T) {
	e := newTestEnv(t, nil)
	body, _ := json.Marshal(payBody(newID(), testcards.Visa))
	a := e.post(t, "pay", body, func(c *call) {
		c.body = []byte(strings.Replace(string(body), `"1234"`, `"1"`, 1))
		c.signedPath = c.path
		signed := body
		c.header = func(h http.Header) {
			_ = alipaysign.SignMessage(c.key, h, alipaysign.HeaderRequestTime, http.MethodPost, c.path, c.clientID, h.Get("Request-Time"), signed)
		}
	})
	if a.code() != "INVALID_SIGNATURE" {
		t.Errorf("tampered body: %s", a.code())
	}
}

func TestProductionClient(t *testing.T) {
	cr := creds(t)
	cr.ClientID = "PROD_CLIENT_1"
	e := newTestEnv(t, func(c *sandbox.Config) { c.Credentials = cr })
	e.creds = cr
	prod := func(c *call) { c.path = "/ams/api/v1/payments/pay" }
	if a := e.post(t, "pay", payBody(newID(), testcards.Visa), prod); a.code() != "SUCCESS" {
		t.Errorf("/ams/api for a production client: %s", a.code())
	}
	if a := e.post(t, "pay", payBody(newID(), testcards.Visa)); a.code() != "INVALID_CLIENT" {
		t.Errorf("/ams/sandbox/api for a production client: %s", a.code())
	}
}

// TestParamIllegal: malformed requests are PARAM_ILLEGAL naming the field,
// never echoing a value, and create nothing.
func TestParamIllegal(t *testing.T) {
	e := newTestEnv(t, nil)
	set := func(path string, v any) func(map[string]any) {
		return func(b map[string]any) {
			parts := strings.Split(path, ".")
			cur := b
			for _, p := range parts[:len(parts)-1] {
				cur = cur[p].(map[string]any)
			}
			if v == nil {
				delete(cur, parts[len(parts)-1])
			} else {
				cur[parts[len(parts)-1]] = v
			}
		}
	}
	for name, tc := range map[string]struct {
		edit  func(map[string]any)
		field string
	}{
		"productCode":               {set("productCode", "AGREEMENT_PAYMENT"), "productCode"},
		"no paymentRequestId":       {set("paymentRequestId", nil), "paymentRequestId"},
		"long paymentRequestId":     {set("paymentRequestId", strings.Repeat("p", 65)), "paymentRequestId"},
		"major units":               {set("paymentAmount.value", "12.34"), "paymentAmount"},
		"number amount":             {set("paymentAmount.value", 1234), "paymentAmount.value"},
		"zero amount":               {set("paymentAmount.value", "0"), "paymentAmount"},
		"lower-case currency":       {set("paymentAmount.currency", "usd"), "paymentAmount"},
		"no order":                  {set("order", nil), "order"},
		"no order description":      {set("order.orderDescription", ""), "order.orderDescription"},
		"order in another currency": {set("order.orderAmount.currency", "EUR"), "order.orderAmount"},
		"no env":                    {set("env", nil), "env"},
		"terminal":                  {set("env.terminalType", "TV"), "env.terminalType"},
		"client IP":                 {set("env.clientIp", "localhost"), "env.clientIp"},
		"colour depth as text":      {set("env.colorDepth", "24"), "env.colorDepth"},
		"no browserInfo":            {set("env.browserInfo", nil), "env.browserInfo"},
		"no user agent":             {set("env.browserInfo.userAgent", ""), "env.browserInfo.userAgent"},
		"no accept header":          {set("env.browserInfo.acceptHeader", nil), "env.browserInfo.acceptHeader"},
		"wallet":                    {set("paymentMethod.paymentMethodType", "ALIPAY_CN"), "paymentMethod.paymentMethodType"},
		"no card number":            {set("paymentMethod.paymentMethodMetaData.cardNo", nil), "paymentMethod.paymentMethodMetaData.cardNo"},
		"no CVV":                    {set("paymentMethod.paymentMethodMetaData.cvv", ""), "paymentMethod.paymentMethodMetaData.cvv"},
		"one-digit month":           {set("paymentMethod.paymentMethodMetaData.expiryMonth", "1"), "paymentMethod.paymentMethodMetaData.expiryMonth"},
		"four-digit year":           {set("paymentMethod.paymentMethodMetaData.expiryYear", "2031"), "paymentMethod.paymentMethodMetaData.expiryYear"},
		"no cardholder":             {set("paymentMethod.paymentMethodMetaData.cardholderName", nil), "paymentMethod.paymentMethodMetaData.cardholderName"},
		"3DS flag as text":          {set("paymentMethod.paymentMethodMetaData.is3DSAuthentication", "yes"), "paymentMethod.paymentMethodMetaData.is3DSAuthentication"},
		"not an authorization":      {set("paymentFactor.isAuthorization", false), "paymentFactor.isAuthorization"},
		"capture mode":              {set("paymentFactor.captureMode", "LATER"), "paymentFactor.captureMode"},
		"relative redirect":         {set("paymentRedirectUrl", "/return"), "paymentRedirectUrl"},
		"odd notify URL":            {set("paymentNotifyUrl", "ftp://x.test/n"), "paymentNotifyUrl"},
	} {
		t.Run(name, func(t *testing.T) {
			b := payBody(newID(), testcards.Visa, tc.edit)
			a := e.post(t, "pay", b)
			if a.code() != "PARAM_ILLEGAL" || a.resultStatus() != "F" {
				t.Fatalf("%s %s, want F PARAM_ILLEGAL", a.resultStatus(), a.code())
			}
			msg, _ := field(a.fields, "result.resultMessage").(string)
			if !strings.Contains(msg, tc.field) {
				t.Errorf("message %q does not name %s", msg, tc.field)
			}
			if strings.Contains(string(a.raw), testcards.Visa) || strings.Contains(string(a.raw), `"123"`) {
				t.Errorf("the answer echoes card data: %s", a.raw)
			}
			if id, ok := b["paymentRequestId"].(string); ok {
				if _, found := e.sb.PaymentState(id); found {
					t.Error("an illegal request created a payment")
				}
			}
		})
	}
	if a := e.post(t, "pay", []byte("{")); a.code() != "PARAM_ILLEGAL" {
		t.Errorf("unreadable body: %s", a.code())
	}
}

// TestOutcomes: each card and flag combination answers as the contract says.
func TestOutcomes(t *testing.T) {
	e := newTestEnv(t, nil)
	noThreeDS := func(upgrade bool) func(map[string]any) {
		return func(b map[string]any) {
			meta(b)["is3DSAuthentication"], meta(b)["enableAuthenticationUpgrade"] = false, upgrade
		}
	}
	expired := func(b map[string]any) { meta(b)["expiryYear"] = fmt.Sprintf("%02d", (time.Now().Year()-1)%100) }
	for name, tc := range map[string]struct {
		card    string
		edits   []func(map[string]any)
		status  string // resultStatus
		code    string
		eci     string
		mode    string
		cavv    bool
		charged bool
	}{
		"visa frictionless":       {card: testcards.Visa, status: "S", code: "SUCCESS", eci: "05", mode: "FRICTIONLESS", cavv: true, charged: true},
		"mastercard frictionless": {card: testcards.Mastercard, status: "S", code: "SUCCESS", eci: "02", mode: "FRICTIONLESS", cavv: true, charged: true},
		"amex frictionless":       {card: testcards.Amex, edits: []func(map[string]any){func(b map[string]any) { meta(b)["cvv"] = "1234" }}, status: "S", code: "SUCCESS", eci: "05", mode: "FRICTIONLESS", cavv: true, charged: true},
		"any Luhn-valid number":   {card: "4111111111111111", status: "S", code: "SUCCESS", eci: "05", mode: "FRICTIONLESS", cavv: true, charged: true},
		"Cardinal attempted":      {card: sandbox.CardinalVisaAttempted, status: "S", code: "SUCCESS", eci: "06", mode: "FRICTIONLESS", cavv: true, charged: true},
		"3DS unavailable":         {card: testcards.AuthUnavailable, status: "S", code: "SUCCESS", eci: "07", charged: true},
		"3DS failed":              {card: testcards.AuthFailed, status: "F", code: "THREE_D_SECURE_AUTHENTICATION_FAILED", eci: "07", mode: "FRICTIONLESS"},
		"generic decline":         {card: testcards.DeclineGeneric, status: "F", code: "DO_NOT_HONOR", eci: "05", mode: "FRICTIONLESS", cavv: true},
		"insufficient funds":      {card: testcards.DeclineFunds, status: "F", code: "USER_BALANCE_NOT_ENOUGH", eci: "05", mode: "FRICTIONLESS", cavv: true},
		"expired card":            {card: testcards.DeclineExpired, status: "F", code: "INVALID_EXPIRATION_DATE", eci: "05", mode: "FRICTIONLESS", cavv: true},
		"incorrect CVC":           {card: testcards.DeclineCVC, status: "F", code: "INVALID_CVV", eci: "05", mode: "FRICTIONLESS", cavv: true},
		"refused holder": {card: testcards.Visa, edits: []func(map[string]any){func(b map[string]any) {
			meta(b)["cardholderName"] = map[string]any{"fullName": "REFUSED"}
		}}, status: "F", code: "DO_NOT_HONOR", eci: "05", mode: "FRICTIONLESS", cavv: true},
		"challenge":                          {card: testcards.Challenge, status: "U", code: "PAYMENT_IN_PROCESS"},
		"no 3DS, frictionless card":          {card: testcards.Visa, edits: []func(map[string]any){noThreeDS(true)}, status: "S", code: "SUCCESS", charged: true},
		"no 3DS, challenge card, upgrade":    {card: testcards.Challenge, edits: []func(map[string]any){noThreeDS(true)}, status: "U", code: "PAYMENT_IN_PROCESS"},
		"no 3DS, challenge card, no upgrade": {card: testcards.Challenge, edits: []func(map[string]any){noThreeDS(false)}, status: "F", code: "DO_NOT_HONOR"},
		"not Luhn":                           {card: "4242424242424241", status: "F", code: "INVALID_CARD_NUMBER"},
		"short CVV":                          {card: testcards.Visa, edits: []func(map[string]any){func(b map[string]any) { meta(b)["cvv"] = "12" }}, status: "F", code: "INVALID_CVV"},
		"amex with 3-digit CVV":              {card: testcards.Amex, status: "F", code: "INVALID_CVV"},
		"expired":                            {card: testcards.Visa, edits: []func(map[string]any){expired}, status: "F", code: "INVALID_EXPIRATION_DATE"},
	} {
		t.Run(name, func(t *testing.T) {
			id := newID()
			a := e.post(t, "pay", payBody(id, tc.card, tc.edits...))
			if a.resultStatus() != tc.status || a.code() != tc.code {
				t.Fatalf("%s %s, want %s %s", a.resultStatus(), a.code(), tc.status, tc.code)
			}
			tds, _ := field(a.fields, "paymentResultInfo.threeDSResult").(map[string]any)
			if got, _ := tds["eci"].(string); got != tc.eci {
				t.Errorf("eci %q, want %q", got, tc.eci)
			}
			if got, _ := tds["threeDSInteractionMode"].(string); got != tc.mode {
				t.Errorf("threeDSInteractionMode %q, want %q", got, tc.mode)
			}
			if cavv, _ := tds["cavv"].(string); (cavv != "") != tc.cavv || (cavv != "" && len(cavv) != 28) {
				t.Errorf("cavv %q, want present=%v", cavv, tc.cavv)
			}
			if tc.status == "U" {
				normal, _ := a.fields["normalUrl"].(string)
				if !strings.HasPrefix(normal, e.base+"/3ds/") {
					t.Errorf("normalUrl %q", normal)
				}
			}
			if got := e.sb.Charges(id); got != map[bool]int{true: 1}[tc.charged] {
				t.Errorf("charges %d", got)
			}
			st, ok := e.sb.PaymentState(id)
			if !ok || st.PaymentID != a.fields["paymentId"] || len(st.PaymentID) != 35 {
				t.Errorf("ledger %+v for paymentId %v", st, a.fields["paymentId"])
			}
			if strings.Contains(string(a.raw), tc.card) {
				t.Error("the answer carries the card number")
			}
		})
	}
}

// TestIdempotency: the same paymentRequestId with the same content answers
// the payment as it stands; other content is REPEAT_REQ_INCONSISTENT; a
// repeat while the first runs is U UNKNOWN_EXCEPTION.
func TestIdempotency(t *testing.T) {
	e := newTestEnv(t, nil)
	id := newID()
	body := payBody(id, testcards.Visa)
	first := e.post(t, "pay", body)
	again := e.post(t, "pay", body)
	if first.code() != "SUCCESS" || string(again.raw) != string(first.raw) {
		t.Errorf("replay:\n%s\n%s", first.raw, again.raw)
	}
	// The same content written differently is the same request.
	spaced, _ := json.MarshalIndent(body, "", "   ")
	if a := e.post(t, "pay", spaced); string(a.raw) != string(first.raw) {
		t.Errorf("re-spaced replay: %s", a.raw)
	}
	other := payBody(id, testcards.Visa, func(b map[string]any) { b["paymentAmount"] = map[string]any{"currency": "USD", "value": "1235"} })
	if a := e.post(t, "pay", other); a.code() != "REPEAT_REQ_INCONSISTENT" || a.resultStatus() != "F" {
		t.Errorf("other content: %s %s", a.resultStatus(), a.code())
	}
	if e.sb.Charges(id) != 1 {
		t.Errorf("charged %d times", e.sb.Charges(id))
	}
	req := e.sb.Requests()
	if req["replayed"] != 2 || req["inconsistent"] != 1 || req["pay"] != 4 {
		t.Errorf("requests %v", req)
	}

	// A challenge: the replay is the same U until the page is answered,
	// then the final answer.
	cid := newID()
	cbody := payBody(cid, testcards.Challenge)
	u := e.post(t, "pay", cbody)
	if a := e.post(t, "pay", cbody); string(a.raw) != string(u.raw) || a.code() != "PAYMENT_IN_PROCESS" {
		t.Errorf("challenge replay: %s", a.raw)
	}
	answerChallenge(t, u.fields["normalUrl"].(string), testcards.ChallengeCode, "submit")
	if a := e.post(t, "pay", cbody); a.code() != "SUCCESS" {
		t.Errorf("replay after the challenge: %s", a.code())
	}

	// In flight.
	hid := newID()
	entered, release := e.sb.HoldNext()
	done := make(chan answer, 1)
	go func() { done <- e.post(t, "pay", payBody(hid, testcards.Visa)) }()
	<-entered
	if a := e.post(t, "pay", payBody(hid, testcards.Visa)); a.code() != "UNKNOWN_EXCEPTION" || a.resultStatus() != "U" {
		t.Errorf("duplicate in flight: %s %s", a.resultStatus(), a.code())
	}
	release()
	if a := <-done; a.code() != "SUCCESS" {
		t.Errorf("the held request: %s", a.code())
	}
	if e.sb.Charges(hid) != 1 || e.sb.Requests()["in-progress"] != 1 {
		t.Errorf("charges %d, requests %v", e.sb.Charges(hid), e.sb.Requests())
	}
}

// TestFaults: the 500 card creates nothing; the timeout card is charged
// and then the connection drops.
func TestFaults(t *testing.T) {
	e := newTestEnv(t, nil)
	id := newID()
	a := e.post(t, "pay", payBody(id, testcards.ServerError))
	if a.status != http.StatusInternalServerError || a.header.Get("Signature") != "" {
		t.Errorf("500 card: HTTP %d, signed %q", a.status, a.header.Get("Signature"))
	}
	if q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id}); q.code() != "ORDER_NOT_EXIST" || q.resultStatus() != "F" {
		t.Errorf("inquiry after the 500: %s %s", q.resultStatus(), q.code())
	}
	if e.sb.Charges(id) != 0 {
		t.Error("the 500 card was charged")
	}

	id = newID()
	if a := e.post(t, "pay", payBody(id, testcards.TimeoutAfterCharge)); a.status != -1 {
		t.Errorf("timeout card answered HTTP %d", a.status)
	}
	q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id})
	if q.code() != "SUCCESS" || q.fields["paymentStatus"] != "SUCCESS" || e.sb.Charges(id) != 1 {
		t.Errorf("inquiry after the timeout: %s %v, charges %d", q.code(), q.fields["paymentStatus"], e.sb.Charges(id))
	}
	if r := e.post(t, "pay", payBody(id, testcards.TimeoutAfterCharge)); r.code() != "SUCCESS" || e.sb.Charges(id) != 1 {
		t.Errorf("replay after the timeout: %s, charges %d", r.code(), e.sb.Charges(id))
	}
}

// answerChallenge submits the 3DS page's form the way a browser would and
// returns where it was sent.
func answerChallenge(t *testing.T, normalURL, otp, action string) *url.URL {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(normalURL)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %v", normalURL, resp.StatusCode, err)
	}
	form := doc.Find("form")
	target, _ := url.Parse(normalURL)
	target, _ = target.Parse(form.AttrOr("action", ""))
	values := url.Values{doc.Find(`[data-testid="otp-input"]`).AttrOr("name", ""): {otp}, "action": {action}}
	resp, err = hc.PostForm(target.String(), values)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: HTTP %d", target, resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc
}

// TestChallengePage: the hosted 3DS page, its form and hooks, its answers.
func TestChallengePage(t *testing.T) {
	e := newTestEnv(t, nil)
	for name, tc := range map[string]struct {
		otp, action string
		status      string
		code        string
		eci         string
	}{
		"right code": {testcards.ChallengeCode, "submit", "SUCCESS", "SUCCESS", "05"},
		"wrong code": {"0000", "submit", "FAIL", "THREE_D_SECURE_AUTHENTICATION_FAILED", "07"},
		"cancel":     {testcards.ChallengeCode, "cancel", "FAIL", "THREE_D_SECURE_AUTHENTICATION_FAILED", "07"},
	} {
		t.Run(name, func(t *testing.T) {
			id := newID()
			u := e.post(t, "pay", payBody(id, testcards.Challenge))
			normal := u.fields["normalUrl"].(string)
			if e.sb.Challenged(id) {
				t.Error("challenged before the page was opened")
			}
			resp, err := http.Get(normal)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			html, _ := doc.Html()
			switch {
			case resp.StatusCode != http.StatusOK:
				t.Fatalf("HTTP %d", resp.StatusCode)
			case doc.Find(`form[method="post"]`).AttrOr("action", "") != normal:
				t.Errorf("form action %q", doc.Find("form").AttrOr("action", ""))
			case doc.Find(`input[data-testid="otp-input"][name="otp"]`).Length() != 1,
				doc.Find(`button[data-testid="otp-submit"]`).Length() != 1,
				doc.Find(`button[data-testid="otp-cancel"]`).Length() != 1:
				t.Error("the page lacks its test hooks")
			case strings.TrimSpace(doc.Find(`[data-testid="acs-amount"]`).Text()) != "$12.34":
				t.Errorf("amount %q", doc.Find(`[data-testid="acs-amount"]`).Text())
			case strings.TrimSpace(doc.Find(`[data-testid="acs-card"]`).Text()) != "Visa •••• 3220":
				t.Errorf("card %q", doc.Find(`[data-testid="acs-card"]`).Text())
			case strings.TrimSpace(doc.Find(`[data-testid="acs-merchant"]`).Text()) != "checkout.example.com":
				t.Errorf("merchant %q", doc.Find(`[data-testid="acs-merchant"]`).Text())
			case strings.Contains(html, testcards.Challenge):
				t.Error("the page shows the card number")
			case !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") || doc.Find("script").Length() != 0:
				t.Errorf("CSP %q, %d scripts", resp.Header.Get("Content-Security-Policy"), doc.Find("script").Length())
			}
			if !e.sb.Challenged(id) {
				t.Error("not marked challenged after the page was shown")
			}

			loc := answerChallenge(t, normal, tc.otp, tc.action)
			if loc.String() != "https://checkout.example.com/return/"+id {
				t.Errorf("sent to %s", loc)
			}
			st, _ := e.sb.PaymentState(id)
			if st.Status != tc.status || st.ResultCode != tc.code || st.ECI != tc.eci {
				t.Errorf("ledger %+v, want %s %s eci %s", st, tc.status, tc.code, tc.eci)
			}
			q := e.post(t, "inquiryPayment", map[string]string{"paymentId": st.PaymentID})
			if q.fields["paymentStatus"] != tc.status || field(q.fields, "paymentResultInfo.threeDSResult.threeDSInteractionMode") != "CHALLENGE" {
				t.Errorf("inquiry %s", q.raw)
			}

			// Opened again: the page is finished and leads back; a second
			// answer changes nothing.
			resp, err = http.Get(normal)
			if err != nil {
				t.Fatal(err)
			}
			doc, _ = goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			if doc.Find(`[data-testid="otp-input"]`).Length() != 0 || doc.Find(`a[data-testid="acs-return"]`).AttrOr("href", "") != "https://checkout.example.com/return/"+id {
				t.Error("a finished page still asks for a code")
			}
			hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err = hc.PostForm(normal, url.Values{"otp": {"0000"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if again, _ := e.sb.PaymentState(id); resp.StatusCode != http.StatusSeeOther || again.Status != tc.status {
				t.Errorf("second answer: HTTP %d, %s", resp.StatusCode, again.Status)
			}
		})
	}
	resp, err := http.Get(e.base + "/3ds/0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || doc.Find(`[data-testid="acs-error"]`).Length() != 1 {
		t.Errorf("unknown page: HTTP %d", resp.StatusCode)
	}
}

// TestNotifications: signed notifyPayment after a final result, retried
// until the exact acknowledgement.
func TestNotifications(t *testing.T) {
	e := newTestEnv(t, nil)
	e.sink.replies = []sinkReply{{500, "oops"}, {200, `{"result":{"resultStatus":"S"}}`}, {200, "\n" + sandbox.Ack + "\n"}}
	id := newID()
	notifyURL := e.srv.URL + "/notify/antom?merchant=mer_1"
	if a := e.post(t, "pay", payBody(id, testcards.Visa, func(b map[string]any) { b["paymentNotifyUrl"] = notifyURL })); a.code() != "SUCCESS" {
		t.Fatal(a.code())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	ds := e.sb.Deliveries()
	if len(ds) != 1 {
		t.Fatalf("%d deliveries", len(ds))
	}
	d := ds[0]
	if d.NotifyType != "PAYMENT_RESULT" || d.PaymentRequestID != id || d.URL != notifyURL || !d.Acknowledged || !d.Done ||
		fmt.Sprint(d.Attempts) != "[500 200 200]" {
		t.Errorf("delivery %+v", d)
	}
	got := e.sink.got()
	if len(got) != 3 {
		t.Fatalf("%d posts", len(got))
	}
	pub, _ := alipaysign.ParsePublicKey(e.creds.AntomPublicKey)
	for _, r := range got {
		if r.uri != "/notify/antom?merchant=mer_1" || string(r.body) != string(d.Body) {
			t.Errorf("posted to %s: %s", r.uri, r.body)
		}
		if _, err := alipaysign.VerifyMessage(pub, r.header, alipaysign.HeaderRequestTime, http.MethodPost, r.uri, e.creds.ClientID, r.body); err != nil {
			t.Errorf("notification signature: %v", err)
		}
	}
	var n map[string]any
	if err := json.Unmarshal(d.Body, &n); err != nil {
		t.Fatal(err)
	}
	if n["notifyType"] != "PAYMENT_RESULT" || field(n, "result.resultStatus") != "S" || n["paymentRequestId"] != id ||
		field(n, "paymentAmount.value") != "1234" || field(n, "paymentResultInfo.threeDSResult.eci") != "05" {
		t.Errorf("notification %s", d.Body)
	}
	if strings.Contains(string(d.Body), testcards.Visa) {
		t.Error("the notification carries the card number")
	}

	// A challenge sends nothing until the page is answered; a payment
	// without a notify URL sends nothing at all.
	cid := newID()
	u := e.post(t, "pay", payBody(cid, testcards.Challenge, func(b map[string]any) { b["paymentNotifyUrl"] = notifyURL }))
	e.post(t, "pay", payBody(newID(), testcards.Visa))
	if n := len(e.sb.Deliveries()); n != 1 {
		t.Errorf("%d deliveries before the challenge was answered", n)
	}
	answerChallenge(t, u.fields["normalUrl"].(string), "0000", "submit")
	if err := e.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	ds = e.sb.Deliveries()
	if len(ds) != 2 || ds[1].PaymentRequestID != cid || !strings.Contains(string(ds[1].Body), `"THREE_D_SECURE_AUTHENTICATION_FAILED"`) {
		t.Errorf("deliveries after the challenge: %+v", ds)
	}
}

func TestNotificationsGiveUpAndClose(t *testing.T) {
	e := newTestEnv(t, func(c *sandbox.Config) { c.RetryDelays = []time.Duration{time.Millisecond, time.Millisecond} })
	e.sink.replies = []sinkReply{{503, ""}}
	notify := func(b map[string]any) { b["paymentNotifyUrl"] = e.srv.URL + "/notify/antom" }
	e.post(t, "pay", payBody(newID(), testcards.DeclineGeneric, notify))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	d := e.sb.Deliveries()[0]
	if d.Acknowledged || !d.Done || fmt.Sprint(d.Attempts) != "[503 503 503]" || !strings.Contains(string(d.Body), `"DO_NOT_HONOR"`) {
		t.Errorf("delivery %+v", d)
	}

	slow := newTestEnv(t, func(c *sandbox.Config) { c.RetryDelays = []time.Duration{time.Hour} })
	slow.sink.replies = []sinkReply{{500, ""}}
	slow.post(t, "pay", payBody(newID(), testcards.Visa, func(b map[string]any) { b["paymentNotifyUrl"] = slow.srv.URL + "/notify/antom" }))
	for i := 0; i < 100 && len(slow.sink.got()) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	_ = slow.sb.Close()
	if time.Since(start) > 2*time.Second || !slow.sb.Deliveries()[0].Done {
		t.Errorf("Close took %s", time.Since(start))
	}
}

// TestConfigNotifyURL: Config.NotifyURL takes every notification, signed
// over its own path.
func TestConfigNotifyURL(t *testing.T) {
	e := newTestEnv(t, nil)
	// A second sandbox whose notifications all go to the first one's sink.
	e2 := newTestEnv(t, func(c *sandbox.Config) { c.NotifyURL = e.srv.URL + "/notify/override" })
	e2.post(t, "pay", payBody(newID(), testcards.Visa, func(b map[string]any) { b["paymentNotifyUrl"] = "https://checkout.example.com/notify/antom" }))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := e2.sb.WaitNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	got := e.sink.got()
	if len(got) != 1 || got[0].uri != "/notify/override" {
		t.Fatalf("received %+v", got)
	}
	pub, _ := alipaysign.ParsePublicKey(e2.creds.AntomPublicKey)
	if _, err := alipaysign.VerifyMessage(pub, got[0].header, alipaysign.HeaderRequestTime, http.MethodPost, "/notify/override", e2.creds.ClientID, got[0].body); err != nil {
		t.Error(err)
	}
}

// TestOperations: capture, cancel and refund follow the state rules.
func TestOperations(t *testing.T) {
	e := newTestEnv(t, nil)
	manual := func(b map[string]any) {
		b["paymentFactor"] = map[string]any{"isAuthorization": true, "captureMode": "MANUAL"}
	}
	pay := func(card string, edits ...func(map[string]any)) (string, string) {
		t.Helper()
		id := newID()
		a := e.post(t, "pay", payBody(id, card, edits...))
		ref, _ := a.fields["paymentId"].(string)
		return id, ref
	}
	usd := func(v string) map[string]any { return map[string]any{"currency": "USD", "value": v} }
	capture := func(reqID, ref string, value string) answer {
		return e.post(t, "capture", map[string]any{"captureRequestId": reqID, "paymentId": ref, "captureAmount": usd(value)})
	}
	refund := func(reqID, ref string, value string) answer {
		return e.post(t, "refund", map[string]any{"refundRequestId": reqID, "paymentId": ref, "refundAmount": usd(value)})
	}
	expect := func(what string, a answer, code string) {
		t.Helper()
		if a.code() != code {
			t.Errorf("%s: %s %s, want %s", what, a.resultStatus(), a.code(), code)
		}
	}

	id, ref := pay(testcards.Visa, manual)
	expect("refund before capture", refund("r-0-"+id, ref, "1"), "ORDER_STATUS_INVALID")
	expect("capture over the amount", capture(id+"-capture", ref, "1235"), "CAPTURE_AMOUNT_EXCEED")
	expect("capture in another currency", e.post(t, "capture", map[string]any{"captureRequestId": id + "-capture", "paymentId": ref, "captureAmount": map[string]any{"currency": "EUR", "value": "1234"}}), "PARAM_ILLEGAL")
	expect("capture of an unknown payment", capture(id+"-x", "2026", "1"), "ORDER_NOT_EXIST")
	first := capture(id+"-capture", ref, "1234")
	expect("capture", first, "SUCCESS")
	if again := capture(id+"-capture", ref, "1234"); string(again.raw) != string(first.raw) {
		t.Errorf("capture replay: %s", again.raw)
	}
	expect("capture replay with another amount", capture(id+"-capture", ref, "1000"), "REPEAT_REQ_INCONSISTENT")
	expect("second capture", capture(id+"-capture-2", ref, "1"), "ORDER_STATUS_INVALID")
	expect("cancel after capture", e.post(t, "cancel", map[string]string{"paymentRequestId": id}), "ORDER_STATUS_INVALID")
	expect("refund", refund("r-1-"+id, ref, "1000"), "SUCCESS")
	expect("refund replay", refund("r-1-"+id, ref, "1000"), "SUCCESS")
	expect("refund replay with another amount", refund("r-1-"+id, ref, "1"), "REPEAT_REQ_INCONSISTENT")
	expect("refund over the rest", refund("r-2-"+id, ref, "235"), "REFUND_AMOUNT_EXCEED")
	expect("refund of the rest", refund("r-3-"+id, ref, "234"), "SUCCESS")
	st, _ := e.sb.PaymentState(id)
	if st.Status != "SUCCESS" || st.Captured != 1234 || st.Refunded != 1234 || st.Authorisations != 1 || st.CaptureMode != "MANUAL" {
		t.Errorf("ledger %+v", st)
	}
	q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id})
	var kinds []string
	for _, tx := range q.fields["transactions"].([]any) {
		m := tx.(map[string]any)
		kinds = append(kinds, m["transactionType"].(string)+":"+field(m, "transactionAmount.value").(string))
	}
	if fmt.Sprint(kinds) != "[CAPTURE:1234 REFUND:1000 REFUND:234]" {
		t.Errorf("transactions %v", kinds)
	}

	// Automatic capture captures at authorisation.
	aid, aref := pay(testcards.Visa)
	expect("capture of an automatic payment", capture(aid+"-capture", aref, "1234"), "ORDER_STATUS_INVALID")
	expect("refund of an automatic payment", refund("r-"+aid, aref, "1234"), "SUCCESS")

	// Cancel.
	cid, cref := pay(testcards.Visa, manual)
	expect("cancel", e.post(t, "cancel", map[string]string{"paymentRequestId": cid}), "SUCCESS")
	expect("cancel again", e.post(t, "cancel", map[string]string{"paymentId": cref}), "SUCCESS")
	expect("capture after cancel", capture(cid+"-capture", cref, "1234"), "ORDER_IS_CLOSED")
	if q := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": cid}); q.fields["paymentStatus"] != "CANCELLED" {
		t.Errorf("canceled payment inquiry: %s", q.raw)
	}
	fid, _ := pay(testcards.DeclineGeneric)
	expect("cancel of a declined payment", e.post(t, "cancel", map[string]string{"paymentRequestId": fid}), "ORDER_IS_CLOSED")
	expect("cancel of an unknown payment", e.post(t, "cancel", map[string]string{"paymentRequestId": "nope"}), "ORDER_NOT_EXIST")
	expect("cancel naming two payments", e.post(t, "cancel", map[string]string{"paymentRequestId": fid, "paymentId": cref}), "ORDER_NOT_EXIST")
	expect("cancel naming none", e.post(t, "cancel", map[string]string{}), "PARAM_ILLEGAL")

	// A payment waiting on its 3DS page: capture refused, cancel closes it.
	pid, pref := pay(testcards.Challenge, manual)
	expect("capture while in process", capture(pid+"-capture", pref, "1234"), "ORDER_STATUS_INVALID")
	u := e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": pid})
	if u.fields["paymentStatus"] != "PROCESSING" || u.fields["paymentResultCode"] != "PAYMENT_IN_PROCESS" {
		t.Errorf("in process: %s", u.raw)
	}
	expect("cancel while in process", e.post(t, "cancel", map[string]string{"paymentRequestId": pid}), "SUCCESS")
	if st, _ := e.sb.PaymentState(pid); st.Status != "CANCELLED" || st.Authorisations != 0 {
		t.Errorf("canceled in process: %+v", st)
	}
}

// TestNoCardDataInAnswers: nothing the sandbox says or keeps carries the
// card number or CVV.
func TestNoCardDataInAnswers(t *testing.T) {
	e := newTestEnv(t, func(c *sandbox.Config) { c.RetryDelays = []time.Duration{} })
	const cvv = "987"
	var seen []string
	for _, card := range []string{testcards.Visa, testcards.Challenge, testcards.DeclineFunds, testcards.AuthFailed, "4242424242424241"} {
		id := newID()
		body := payBody(id, card, func(b map[string]any) { meta(b)["cvv"] = cvv; b["paymentNotifyUrl"] = e.srv.URL + "/notify/antom" })
		seen = append(seen, string(e.post(t, "pay", body).raw))
		seen = append(seen, string(e.post(t, "inquiryPayment", map[string]string{"paymentRequestId": id}).raw))
		st, _ := e.sb.PaymentState(id)
		seen = append(seen, fmt.Sprintf("%+v", st))
		for _, check := range []string{card, `"` + cvv + `"`} {
			for _, s := range seen {
				if strings.Contains(s, check) {
					t.Errorf("%s found in %s", check, s)
				}
			}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_ = e.sb.WaitNotifications(ctx)
	for _, d := range e.sb.Deliveries() {
		if strings.Contains(string(d.Body), `"`+cvv+`"`) || strings.Contains(string(d.Body), "4242424242424242") {
			t.Errorf("notification carries card data: %s", d.Body)
		}
	}
}
