package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

func TestNewValidatesConfig(t *testing.T) {
	good := Config{PublicURL: "http://127.0.0.1:8080/sandbox/alipayplus", Credentials: creds()}
	for name, edit := range map[string]func(*Config){
		"no public URL":      func(c *Config) { c.PublicURL = "" },
		"relative URL":       func(c *Config) { c.PublicURL = "/sandbox" },
		"prefix no slash":    func(c *Config) { c.PathPrefix = "api" },
		"prefix is cashier":  func(c *Config) { c.PathPrefix = "/cashier" },
		"no client id":       func(c *Config) { c.Credentials.ClientID = "" },
		"no merchant key":    func(c *Config) { c.Credentials.MerchantPublicKey = "" },
		"wallet key swapped": func(c *Config) { c.Credentials.WalletPrivateKey = c.Credentials.WalletPublicKey },
		"PUT cashier":        func(c *Config) { c.CashierMethod = "PUT" },
	} {
		cfg := good
		edit(&cfg)
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "alipayplus sandbox: ") {
			t.Errorf("%s: New = %v", name, err)
		}
	}
	sb, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.Credentials() != creds() || sb.productCode != DefaultProductCode || sb.cashierMethod != http.MethodPost {
		t.Error("defaults not applied")
	}
	c := creds()
	if !strings.HasPrefix(c.ClientID, "2022091") || c.MerchantPrivateKey == c.WalletPrivateKey {
		t.Errorf("credentials %q", c.ClientID)
	}
}

// TestAuthentication: the wallet refuses what it cannot verify, with the
// family's signed result, and creates nothing.
func TestAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	stranger, _ := alipaysign.NewKeyPair()
	strangerKey, _ := alipaysign.ParsePrivateKey(stranger.Private)
	body := e.payBody("pay_auth", "USD", "500")
	for name, tc := range map[string]struct {
		c    call
		want string
	}{
		"unknown client":  {call{path: "/v1/payments/pay", body: body, clientID: "2022090000000000"}, "F INVALID_CLIENT"},
		"wrong key":       {call{path: "/v1/payments/pay", body: body, key: strangerKey}, "F INVALID_SIGNATURE"},
		"no signature":    {call{path: "/v1/payments/pay", body: body, noSign: true}, "F INVALID_SIGNATURE"},
		"other path":      {call{path: "/v1/payments/pay", body: body, signed: "/v1/payments/inquiryPayment"}, "F INVALID_SIGNATURE"},
		"unknown API":     {call{path: "/v1/payments/refund", body: `{}`}, "F NO_INTERFACE_DEF"},
		"not JSON":        {call{path: "/v1/payments/pay", body: `{`}, "F MSG_PARSE_ERROR"},
		"other product":   {call{path: "/v1/payments/pay", body: strings.Replace(body, "51051000101000000011", "51051000101000000012", 1)}, "F FUNCTION_NOT_MATCH"},
		"no request id":   {call{path: "/v1/payments/pay", body: strings.Replace(body, `"pay_auth"`, `""`, 1)}, "F PARAM_ILLEGAL"},
		"decimal value":   {call{path: "/v1/payments/pay", body: strings.ReplaceAll(body, `"500"`, `"5.00"`)}, "F PARAM_ILLEGAL"},
		"zero value":      {call{path: "/v1/payments/pay", body: strings.ReplaceAll(body, `"500"`, `"0"`)}, "F PARAM_ILLEGAL"},
		"bad currency":    {call{path: "/v1/payments/pay", body: strings.ReplaceAll(body, `"USD"`, `"usd"`)}, "F PARAM_ILLEGAL"},
		"bad notify URL":  {call{path: "/v1/payments/pay", body: strings.Replace(body, e.notify.srv.URL, "ftp://x", 1)}, "F PARAM_ILLEGAL"},
		"bad expiry":      {call{path: "/v1/payments/pay", body: strings.Replace(body, `"paymentExpiryTime":"`, `"paymentExpiryTime":"x`, 1)}, "F PARAM_ILLEGAL"},
		"inquiry, no ids": {call{path: "/v1/payments/inquiryPayment", body: `{}`}, "F PARAM_ILLEGAL"},
		"inquiry, wrong key": {call{path: "/v1/payments/inquiryPayment", body: `{"paymentRequestId":"pay_auth"}`, key: strangerKey},
			"F INVALID_SIGNATURE"},
	} {
		t.Run(name, func(t *testing.T) {
			a := e.do(tc.c)
			if a.status != http.StatusOK || a.result() != tc.want {
				t.Fatalf("HTTP %d %s, want %s: %s", a.status, a.result(), tc.want, a.raw)
			}
			if msg := str(a.get("result.resultMessage")); msg == "" {
				t.Error("no resultMessage")
			}
			if a.get("paymentId") != nil || a.get("redirectActionForm") != nil {
				t.Errorf("a refusal with an order: %s", a.raw)
			}
		})
	}
	if _, ok := e.sb.PaymentState("pay_auth"); ok {
		t.Error("an order was created")
	}
	if got := e.sb.Requests(); got["unauthorised"] != 5 || got["pay"] != 0 {
		t.Errorf("requests %v", got)
	}
	// GET is not an API method.
	resp, err := http.Get(e.base + "/v1/payments/pay")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d", resp.StatusCode)
	}
}

// TestMountedSignature: a request signed over the full path (the mount
// point included) is accepted too, and the answer is signed over it.
func TestMountedSignature(t *testing.T) {
	e := newEnv(t, nil)
	a := e.do(call{path: "/v1/payments/pay", body: e.payBody("pay_full", "USD", "500"), signed: mount + "/v1/payments/pay"})
	if a.result() != "S SUCCESS" {
		t.Fatalf("%s", a.raw)
	}
}

// TestPathPrefix: with a prefix, the API lives under it and the cashier does not.
func TestPathPrefix(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PathPrefix = "/api/open" })
	if a := e.do(call{path: "/api/open/v1/payments/pay", body: e.payBody("pay_prefix", "USD", "500")}); a.result() != "S SUCCESS" {
		t.Fatalf("prefixed pay: %s", a.raw)
	}
	a := e.do(call{path: "/api/open/v1/payments/inquiryPayment", body: `{"paymentRequestId":"pay_prefix"}`})
	if a.result() != "S SUCCESS" || a.get("paymentStatus") != StatusProcessing {
		t.Fatalf("prefixed inquiry: %s", a.raw)
	}
	resp, err := http.Post(e.base+"/v1/payments/pay", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unprefixed pay = HTTP %d", resp.StatusCode)
	}
}

// TestPayAnswer checks the accepted order's answer and the inquiry before
// the shopper acts.
func TestPayAnswer(t *testing.T) {
	e := newEnv(t, nil)
	a := e.pay("pay_answer", "1234")
	if a.result() != "S SUCCESS" || a.get("paymentTime") != nil {
		t.Fatalf("%s", a.raw)
	}
	id := str(a.get("paymentId"))
	if len(id) != 28 || !strings.HasPrefix(id, "20300501") {
		t.Errorf("paymentId %q", id)
	}
	if a.get("redirectActionForm.method") != "POST" || !strings.HasPrefix(str(a.get("redirectActionForm.redirectionUrl")), e.base+"/cashier?orderId=") {
		t.Errorf("form %v", a.get("redirectActionForm"))
	}
	q := e.inquire("pay_answer")
	want := map[string]any{
		"result.resultStatus": "S", "paymentId": id, "paymentRequestId": "pay_answer", "paymentStatus": "PROCESSING",
		"paymentResult.resultStatus": "U", "paymentResult.resultCode": "PAYMENT_IN_PROCESS",
		"paymentAmount.currency": "USD", "paymentAmount.value": "1234", "paymentTime": nil, "paymentFailReason": nil,
	}
	for path, v := range want {
		if got := q.get(path); got != v {
			t.Errorf("inquiry %s = %v, want %v", path, got, v)
		}
	}
	byID := e.do(call{path: "/v1/payments/inquiryPayment", body: `{"paymentId":"` + id + `"}`})
	if byID.get("paymentRequestId") != "pay_answer" {
		t.Errorf("inquiry by paymentId: %s", byID.raw)
	}
	if q := e.inquire("pay_unknown"); q.result() != "F ORDER_NOT_EXIST" {
		t.Errorf("unknown: %s", q.raw)
	}
	st, ok := e.sb.PaymentState("pay_answer")
	if !ok || !st.Created || st.PaymentID != id || st.Status != StatusProcessing || st.Charges != 0 || st.Amount.Amount != 1234 ||
		!st.ExpiresAt.Equal(start.Add(15*time.Minute)) {
		t.Errorf("state %+v", st)
	}
}

// TestIdempotency: the same paymentRequestId never makes a second order.
func TestIdempotency(t *testing.T) {
	e := newEnv(t, nil)
	first := e.pay("pay_idem", "1234")
	again := e.pay("pay_idem", "1234")
	if again.result() != "S REPEAT_REQUEST" || again.get("paymentId") != first.get("paymentId") ||
		again.get("redirectActionForm.redirectionUrl") != first.get("redirectActionForm.redirectionUrl") {
		t.Fatalf("repeat while waiting: %s", again.raw)
	}
	// Times and order details may change between retries.
	later := strings.Replace(e.payBody("pay_idem", "USD", "1234"), "Linen shirt", "Linen shirt (retry)", 1)
	if a := e.do(call{path: "/v1/payments/pay", body: later}); a.result() != "S REPEAT_REQUEST" {
		t.Errorf("repeat with other details: %s", a.raw)
	}
	if a := e.pay("pay_idem", "1235"); a.result() != "F REPEAT_REQ_INCONSISTENT" {
		t.Errorf("repeat with another amount: %s", a.raw)
	}
	_, doc := e.open(first)
	e.press(doc, TestIDApprove)
	final := e.pay("pay_idem", "1234")
	if final.result() != "S REPEAT_REQUEST" || final.get("paymentId") != first.get("paymentId") || final.get("redirectActionForm") != nil || final.get("paymentTime") == nil {
		t.Errorf("repeat after payment: %s", final.raw)
	}
	if n := e.sb.Charges("pay_idem"); n != 1 {
		t.Errorf("charged %d times", n)
	}
	if got := e.sb.Requests(); got["pay"] != 1 || got["repeat"] != 3 {
		t.Errorf("requests %v", got)
	}
}

// TestAmountOverLimit: 999999 is refused at pay time, the same way again,
// and nothing exists to inquire about.
func TestAmountOverLimit(t *testing.T) {
	e := newEnv(t, nil)
	for range 2 {
		if a := e.pay("pay_limit", AmountOverLimit); a.result() != "F PAYMENT_AMOUNT_EXCEED_LIMIT" || a.get("paymentId") != nil {
			t.Fatalf("%s", a.raw)
		}
	}
	if a := e.pay("pay_limit", "1000"); a.result() != "F REPEAT_REQ_INCONSISTENT" {
		t.Errorf("another amount under the refused id: %s", a.raw)
	}
	if q := e.inquire("pay_limit"); q.result() != "F ORDER_NOT_EXIST" {
		t.Errorf("inquiry: %s", q.raw)
	}
	st, ok := e.sb.PaymentState("pay_limit")
	if !ok || st.Created || st.Status != StatusFail || st.ResultCode != "PAYMENT_AMOUNT_EXCEED_LIMIT" || st.Charges != 0 {
		t.Errorf("state %+v, %v", st, ok)
	}
	if len(e.notify.requests()) != 0 {
		t.Error("a refused order was notified")
	}
}

// TestActionTimeout: with Config.ActionTimeout, an order closes at the
// earlier of its paymentExpiryTime and creation plus the timeout.
func TestActionTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ActionTimeout = 20 * time.Second })
	e.pay("pay_soon", "700")
	e.advance(19 * time.Second)
	if q := e.inquire("pay_soon"); q.get("paymentStatus") != StatusProcessing {
		t.Fatalf("before the timeout: %s", q.raw)
	}
	e.advance(2 * time.Second)
	if q := e.inquire("pay_soon"); q.get("paymentStatus") != StatusFail || q.get("paymentFailReason") != "ORDER_IS_CLOSED" {
		t.Fatalf("after the timeout: %s", q.raw)
	}
	if st, _ := e.sb.PaymentState("pay_soon"); st.Charges != 0 {
		t.Errorf("a closed order was charged: %+v", st)
	}
	e.wait()
}

// TestExpiry: an order unpaid after its expiry closes, is notified, and
// its cashier says so.
func TestExpiry(t *testing.T) {
	e := newEnv(t, nil)
	a := e.pay("pay_expire", "700")
	e.advance(16 * time.Minute)
	q := e.inquire("pay_expire")
	if q.get("paymentStatus") != StatusFail || q.get("paymentFailReason") != "ORDER_IS_CLOSED" || q.get("paymentResult.resultCode") != "ORDER_IS_CLOSED" {
		t.Fatalf("%s", q.raw)
	}
	_, doc := e.open(a)
	if doc.Find(`[data-testid="wallet-approve"]`).Length() != 0 || !strings.Contains(doc.Find("h1").Text(), "expired") {
		t.Errorf("the expired cashier offers to pay: %s", doc.Text())
	}
	e.wait()
	d := e.sb.Deliveries()
	if len(d) != 1 || d[0].ResultCode != "ORDER_IS_CLOSED" || !d[0].Acked {
		t.Errorf("deliveries %+v", d)
	}
	var body map[string]any
	_ = json.Unmarshal(d[0].Body, &body)
	if body["paymentTime"] != nil {
		t.Error("a closed order has a paymentTime")
	}
}
