package alipayplus

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

func TestNewValidatesConfig(t *testing.T) {
	k := keys()
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"no base URL":          {func(c *Config) { c.BaseURL = "" }, "BaseURL"},
		"relative base URL":    {func(c *Config) { c.BaseURL = "/v1" }, "BaseURL"},
		"base URL with query":  {func(c *Config) { c.BaseURL = "https://w.test/?a=b" }, "BaseURL"},
		"prefix without slash": {func(c *Config) { c.PathPrefix = "api" }, "PathPrefix"},
		"prefix with query":    {func(c *Config) { c.PathPrefix = "/api?x=1" }, "PathPrefix"},
		"no client id":         {func(c *Config) { c.ClientID = "" }, "ClientID"},
		"client id with space": {func(c *Config) { c.ClientID = "a b" }, "ClientID"},
		"no private key":       {func(c *Config) { c.MerchantPrivateKey = "" }, "MerchantPrivateKey"},
		"public as private":    {func(c *Config) { c.MerchantPrivateKey = k.merchant.Public }, "MerchantPrivateKey"},
		"no wallet key":        {func(c *Config) { c.WalletPublicKey = "" }, "WalletPublicKey"},
		"private as public":    {func(c *Config) { c.WalletPublicKey = k.wallet.Private }, "WalletPublicKey"},
		"bad product code":     {func(c *Config) { c.ProductCode = "51051000101000000011-x" }, "ProductCode"},
		"no merchant name":     {func(c *Config) { c.MerchantName = " " }, "MerchantName"},
		"bad MCC":              {func(c *Config) { c.MerchantMCC = "58" }, "MerchantMCC"},
		"lowercase region":     {func(c *Config) { c.MerchantRegion = "sg" }, "MerchantRegion"},
		"negative expiry":      {func(c *Config) { c.PaymentExpiry = -time.Minute }, "PaymentExpiry"},
		"unknown currency":     {func(c *Config) { c.Currencies = []string{"USD", "XYZ"} }, "Currencies"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig("https://openapi.wallet.test", time.Second)
			tc.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.HasPrefix(err.Error(), "alipayplus: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tc.want)
			}
			for _, secret := range []string{k.merchant.Private, k.wallet.Private} {
				if strings.Contains(err.Error(), secret[:40]) {
					t.Error("the error quotes a key")
				}
			}
		})
	}

	// PEM keys work as well as bare base64, and the defaults apply.
	cfg := testConfig("https://openapi.wallet.test/", time.Second)
	cfg.MerchantPrivateKey = "-----BEGIN PRIVATE KEY-----\n" + wrap(k.merchant.Private) + "-----END PRIVATE KEY-----\n"
	cfg.WalletPublicKey = "-----BEGIN PUBLIC KEY-----\n" + wrap(k.wallet.Public) + "-----END PUBLIC KEY-----\n"
	cfg.PathPrefix, cfg.HTTPClient, cfg.Now = "", nil, nil
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.productCode != DefaultProductCode || c.merchantMCC != DefaultMerchantMCC || c.expiry != DefaultPaymentExpiry ||
		c.notFoundAfter != DefaultNotFoundAfter || c.merchantID != testClientID || c.http == nil || c.now == nil || c.base.Path != "" {
		t.Errorf("defaults not applied: %+v", c)
	}
	caps := c.Capabilities()
	if c.Name() != "alipayplus" || !caps.Supports(checkout.MethodWallet) || caps.Supports(checkout.MethodCard) || caps.ManualCapture || !caps.SupportsCurrency("CLP") {
		t.Errorf("capabilities = %+v", caps)
	}
	cfg.Currencies = []string{"SGD"}
	if c, _ := New(cfg); c.Capabilities().SupportsCurrency("USD") {
		t.Error("USD supported with Currencies [SGD]")
	}
}

func wrap(b64 string) string {
	var b strings.Builder
	for len(b64) > 64 {
		b.WriteString(b64[:64] + "\n")
		b64 = b64[64:]
	}
	return b.String() + b64 + "\n"
}

// TestPayRequest checks the method, path, headers and body of pay.
func TestPayRequest(t *testing.T) {
	f, c := newFake(t)
	f.on(PathPay, ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"`+testWalletRef+`",
		"redirectActionForm":{"method":"POST","redirectionUrl":"https://wallet.test/cashier?orderId=abc"}}`))
	if _, err := c.Pay(t.Context(), testPayRequest()); err != nil {
		t.Fatal(err)
	}
	calls := f.calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	r := calls[0]
	if r.method != http.MethodPost || r.path != testMount+testPrefix+"/v1/payments/pay" {
		t.Errorf("request line %s %s", r.method, r.path)
	}
	for name, want := range map[string]string{
		"Content-Type":                 "application/json; charset=UTF-8",
		alipaysign.HeaderClientID:      testClientID,
		alipaysign.HeaderRequestTime:   "2026-03-14T23:09:26.000+08:00",
		alipaysign.HeaderKeyVersion:    "1",
		"Accept":                       "application/json",
		alipaysign.HeaderResponseTime:  "",
		"X-Unexpected-Card-Or-Key-Hdr": "",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if !strings.HasPrefix(r.header.Get(alipaysign.HeaderSignature), "algorithm=RSA256,keyVersion=1,signature=") {
		t.Errorf("Signature = %q", r.header.Get(alipaysign.HeaderSignature))
	}
	for path, want := range map[string]any{
		"productCode":                               DefaultProductCode,
		"paymentRequestId":                          testPaymentID,
		"paymentAmount.currency":                    "USD",
		"paymentAmount.value":                       "1234",
		"paymentExpiryTime":                         "2026-03-14T23:24:26+08:00",
		"paymentNotifyUrl":                          "https://checkout.example.com/notify/alipayplus",
		"paymentRedirectUrl":                        "https://checkout.example.com/c/cs_x/return/" + testPaymentID,
		"order.referenceOrderId":                    "order-1001",
		"order.orderDescription":                    "Linen shirt and socks",
		"order.orderAmount.currency":                "USD",
		"order.orderAmount.value":                   "1234",
		"order.orderCreateTime":                     "2026-03-14T23:09:26+08:00",
		"order.merchant.referenceMerchantId":        testClientID,
		"order.merchant.merchantMCC":                "5812",
		"order.merchant.merchantName":               "Demo Shop",
		"order.merchant.merchantDisplayName":        "Demo Shop",
		"order.merchant.merchantAddress.region":     "SG",
		"order.merchant.merchantAddress.city":       "Singapore",
		"order.buyer.referenceBuyerId":              "cust-42",
		"order.env.terminalType":                    "WEB",
		"order.env.osType":                          "IOS",
		"order.env.clientIp":                        "203.0.113.7",
		"order.env.deviceLanguage":                  "en-SG",
		"order.env.userAgent":                       testPayRequest().Browser.UserAgent,
		"paymentAuthCode":                           nil,
		"order.merchant.merchantAddress.unexpected": nil,
	} {
		if got := field(r.fields, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	goods, _ := field(r.fields, "order.goods").([]any)
	wantGoods := []any{
		map[string]any{"referenceGoodsId": "1", "goodsName": "Linen shirt", "goodsQuantity": "1", "goodsUnitAmount": map[string]any{"currency": "USD", "value": "1000"}},
		map[string]any{"referenceGoodsId": "2", "goodsName": "Socks", "goodsQuantity": "2", "goodsUnitAmount": map[string]any{"currency": "USD", "value": "117"}},
	}
	if !reflect.DeepEqual(goods, wantGoods) {
		t.Errorf("goods = %#v", goods)
	}
}

// TestPayRequestFallbacks covers a request with little in it.
func TestPayRequestFallbacks(t *testing.T) {
	f, c := newFake(t)
	f.on(PathPay, ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"x1"}`))
	req := testPayRequest()
	req.IdempotencyKey = ""
	req.MerchantReference, req.Description = "", ""
	req.LineItems, req.Customer = nil, checkout.Customer{}
	req.Browser = checkout.BrowserInfo{UserAgent: "Mozilla/5.0 (Linux; Android 14)"}
	req.ReturnURL, req.NotifyURL = "", ""
	if _, err := c.Pay(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	r := f.calls()[0]
	for path, want := range map[string]any{
		"paymentRequestId":         testPaymentID,
		"order.referenceOrderId":   testPaymentID,
		"order.orderDescription":   "Payment to Demo Shop",
		"order.env.osType":         "ANDROID",
		"order.env.deviceLanguage": "en-US",
		"order.goods":              nil,
		"order.buyer":              nil,
		"paymentNotifyUrl":         nil,
		"paymentRedirectUrl":       nil,
	} {
		if got := field(r.fields, path); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
}

// TestPayNotSupported refuses what the wallet cannot take without calling it.
func TestPayNotSupported(t *testing.T) {
	f, c := newFake(t)
	c.currencies = []string{"SGD"}
	for name, edit := range map[string]func(*checkout.PayRequest){
		"card":     func(r *checkout.PayRequest) { r.Method = checkout.MethodCard },
		"currency": func(r *checkout.PayRequest) { r.Amount.Currency = "USD" },
	} {
		req := testPayRequest()
		req.Amount.Currency = "SGD"
		edit(&req)
		out, err := c.Pay(t.Context(), req)
		if err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineNotSupported || out.Decline.Message == "" {
			t.Errorf("%s: %+v, %v", name, out, err)
		}
	}
	req := testPayRequest()
	req.Amount.Currency = "SGD"
	req.IdempotencyKey = strings.Repeat("x", 65)
	if _, err := c.Pay(t.Context(), req); err == nil || !strings.Contains(err.Error(), "paymentRequestId") {
		t.Errorf("a 65-character id: %v", err)
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("%d calls to the wallet", n)
	}
}

// TestPayAnswers maps pay answers through the real HTTP path.
func TestPayAnswers(t *testing.T) {
	const cashier = "https://wallet.test/cashier?orderId=o1&lang=en"
	form := func(method, params string) string {
		s := `,"redirectActionForm":{"method":"` + method + `","redirectionUrl":"` + cashier + `"`
		if params != "" {
			s += `,"parameters":` + params
		}
		return s + "}"
	}
	answer := func(status, code, extra string) string {
		return `{"result":{"resultCode":"` + code + `","resultStatus":"` + status + `","resultMessage":"whatever"},"paymentId":"` + testWalletRef + `"` + extra + `}`
	}
	for name, tc := range map[string]struct {
		reply   reply
		status  checkout.OutcomeStatus
		action  *checkout.Action
		decline checkout.DeclineCode
		code    string
		err     string
	}{
		"S, POST form, fields from the query": {reply: ok(answer("S", "SUCCESS", form("POST", ""))), status: checkout.OutcomeActionRequired,
			action: &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: cashier,
				Fields: []checkout.FormField{{Name: "orderId", Value: "o1"}, {Name: "lang", Value: "en"}}}},
		"S, POST form with object parameters": {reply: ok(answer("S", "SUCCESS", form("post", `{"token":"t 1","n":12,"b":true,"z":null}`))),
			status: checkout.OutcomeActionRequired,
			action: &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: cashier,
				Fields: []checkout.FormField{{Name: "token", Value: "t 1"}, {Name: "n", Value: "12"}, {Name: "b", Value: "true"}, {Name: "z", Value: ""}}}},
		"S, POST form with string parameters": {reply: ok(answer("S", "SUCCESS", form("POST", `"{\"token\":\"abc\"}"`))),
			status: checkout.OutcomeActionRequired,
			action: &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: cashier, Fields: []checkout.FormField{{Name: "token", Value: "abc"}}}},
		"S, GET": {reply: ok(answer("S", "SUCCESS", form("GET", ""))), status: checkout.OutcomeActionRequired,
			action: &checkout.Action{Kind: checkout.ActionRedirect, URL: cashier}},
		"S, GET with parameters": {reply: ok(answer("S", "SUCCESS", form("GET", `{"a b":"c&d"}`))), status: checkout.OutcomeActionRequired,
			action: &checkout.Action{Kind: checkout.ActionRedirect, URL: cashier + "&a+b=c%26d"}},
		"S, no method": {reply: ok(answer("S", "SUCCESS", `,"redirectActionForm":{"redirectionUrl":"`+cashier+`"}`)), status: checkout.OutcomeActionRequired,
			action: &checkout.Action{Kind: checkout.ActionRedirect, URL: cashier}},
		"S, Antom's redirectUrl": {reply: ok(answer("S", "SUCCESS", `,"redirectActionForm":{"method":"POST","redirectUrl":"https://wallet.test/pay"}`)),
			status: checkout.OutcomeActionRequired, action: &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: "https://wallet.test/pay"}},
		"S REPEAT_REQUEST with the form": {reply: ok(answer("S", "REPEAT_REQUEST", form("POST", `{}`))), status: checkout.OutcomeActionRequired, code: "REPEAT_REQUEST",
			action: &checkout.Action{Kind: checkout.ActionRedirectForm, Method: "POST", URL: cashier,
				Fields: []checkout.FormField{{Name: "orderId", Value: "o1"}, {Name: "lang", Value: "en"}}}},
		"S REPEAT_REQUEST without a form": {reply: ok(answer("S", "REPEAT_REQUEST", "")), status: checkout.OutcomePending, code: "REPEAT_REQUEST"},
		"S without a form":                {reply: ok(answer("S", "SUCCESS", "")), status: checkout.OutcomePending},
		"F limit":                         {reply: ok(answer("F", "PAYMENT_AMOUNT_EXCEED_LIMIT", "")), status: checkout.OutcomeFailed, decline: checkout.DeclineLimitExceeded, code: "PAYMENT_AMOUNT_EXCEED_LIMIT"},
		"F signature":                     {reply: ok(answer("F", "INVALID_SIGNATURE", "")), status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError, code: "INVALID_SIGNATURE"},
		"F unknown code":                  {reply: ok(answer("F", "SOMETHING_NEW", "")), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, code: "SOMETHING_NEW"},
		"F inconsistent repeat":           {reply: ok(answer("F", "REPEAT_REQ_INCONSISTENT", "")), status: checkout.OutcomePending, code: "REPEAT_REQ_INCONSISTENT"},
		"U":                               {reply: ok(answer("U", "UNKNOWN_EXCEPTION", "")), status: checkout.OutcomePending, code: "UNKNOWN_EXCEPTION"},
		"bad result status":               {reply: ok(answer("X", "SUCCESS", "")), err: "result status"},
		"no result":                       {reply: ok(`{"paymentId":"1"}`), err: "without a result"},
		"not JSON":                        {reply: ok(`<html>`), err: "unreadable"},
		"HTTP 500":                        {reply: reply{status: 500, body: answer("S", "SUCCESS", "")}, err: "HTTP 500"},
		"bad method":                      {reply: ok(answer("S", "SUCCESS", form("PUT", ""))), err: "method"},
		"javascript URL":                  {reply: ok(answer("S", "SUCCESS", `,"redirectActionForm":{"method":"GET","redirectionUrl":"javascript:alert(1)"}`)), err: "cashier URL"},
		"nested parameters":               {reply: ok(answer("S", "SUCCESS", form("POST", `{"a":{"b":1}}`))), err: "parameters"},
		"array parameters":                {reply: ok(answer("S", "SUCCESS", form("POST", `["a"]`))), err: "parameters"},
		"malformed paymentId":             {reply: ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"a b"}`), err: "paymentId"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(PathPay, tc.reply)
			out, err := c.Pay(t.Context(), testPayRequest())
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "alipayplus: pay: ") || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one about %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "whatever") {
					t.Error("the error quotes the wallet's message")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tc.status || !reflect.DeepEqual(out.Action, tc.action) {
				t.Fatalf("outcome %s %+v, want %s %+v", out.Status, out.Action, tc.status, tc.action)
			}
			if tc.decline != "" {
				if out.Decline == nil || out.Decline.Code != tc.decline || out.Decline.ProviderCode != tc.code || out.Decline.Message == "" {
					t.Errorf("decline = %+v, want %s (%s)", out.Decline, tc.decline, tc.code)
				}
			} else if out.Decline != nil {
				t.Errorf("decline %+v on %s", out.Decline, out.Status)
			}
			if out.ProviderRef != testWalletRef || out.ProviderData[keyPaymentID] != testWalletRef || out.ProviderData[keyResultCode] != firstNonEmpty(tc.code, "SUCCESS") {
				t.Errorf("ref %q, data %v", out.ProviderRef, out.ProviderData)
			}
		})
	}
}

// TestAnswerSignature: an answer that does not verify is an error (the
// outcome is unknown), whatever it says.
func TestAnswerSignature(t *testing.T) {
	const body = `{"result":{"resultCode":"PAYMENT_AMOUNT_EXCEED_LIMIT","resultStatus":"F","resultMessage":"secret-looking text"},"paymentId":"1"}`
	for name, tc := range map[string]struct {
		reply reply
		want  string
	}{
		"unsigned":        {reply{body: body, unsigned: true}, "missing"},
		"stranger's key":  {reply{body: body, key: keys().strangerPriv}, "bad signature"},
		"merchant's key":  {reply{body: body, key: keys().merchantPriv}, "bad signature"},
		"other path":      {reply{body: body, path: "/v1/payments/pay"}, "bad signature"},
		"other Client-Id": {reply{body: body, clientID: "2022099999999999"}, "another Client-Id"},
		"tampered body":   {reply{body: body, tamper: true}, "bad signature"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(PathPay, tc.reply)
			out, err := c.Pay(t.Context(), testPayRequest())
			if err == nil {
				t.Fatalf("concluded %s from an answer that does not verify", out.Status)
			}
			if !strings.HasPrefix(err.Error(), "alipayplus: pay: the answer's signature does not verify") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret-looking") || strings.Contains(err.Error(), "PAYMENT_AMOUNT") {
				t.Errorf("the error carries the unverified body: %v", err)
			}
		})
	}
}

// TestTimeout: no answer is an error.
func TestTimeout(t *testing.T) {
	f, _ := newFake(t)
	f.on(PathPay, reply{hang: true})
	c := mustClient(t, testConfig(f.url+testMount, 50*time.Millisecond))
	if _, err := c.Pay(t.Context(), testPayRequest()); err == nil || !strings.Contains(err.Error(), "no answer in time") {
		t.Fatalf("err = %v", err)
	}
}

// TestInquiry maps inquiryPayment answers and checks the request.
func TestInquiry(t *testing.T) {
	money := `,"paymentAmount":{"currency":"USD","value":"1234"}`
	ids := `,"paymentId":"` + testWalletRef + `","paymentRequestId":"` + testPaymentID + `"`
	answer := func(extra string) string {
		return `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}` + ids + money + extra + `}`
	}
	for name, tc := range map[string]struct {
		body     string
		age      time.Duration
		status   checkout.OutcomeStatus
		decline  checkout.DeclineCode
		code     string
		message  string
		err      string
		pstatus  string
		noRefSet bool
	}{
		"success": {body: answer(`,"paymentStatus":"SUCCESS","paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}`), status: checkout.OutcomeSucceeded, pstatus: "SUCCESS"},
		"fail, paymentResult": {body: answer(`,"paymentStatus":"FAIL","paymentResult":{"resultCode":"USER_BALANCE_NOT_ENOUGH","resultStatus":"F"}`),
			status: checkout.OutcomeFailed, decline: checkout.DeclineInsufficientFunds, code: "USER_BALANCE_NOT_ENOUGH", pstatus: "FAIL"},
		"fail, reason string": {body: answer(`,"paymentStatus":"FAIL","paymentFailReason":"USER_STATUS_ABNORMAL"`),
			status: checkout.OutcomeFailed, decline: checkout.DeclineNotSupported, code: "USER_STATUS_ABNORMAL", message: msgUserAbnormal},
		"fail, reason object": {body: answer(`,"paymentStatus":"FAIL","paymentFailReason":{"resultCode":"PROCESS_FAIL","resultStatus":"F"}`),
			status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, code: "PROCESS_FAIL", message: msgDeclined},
		"fail, no reason": {body: answer(`,"paymentStatus":"FAIL"`), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, message: msgFailed},
		"cancelled": {body: answer(`,"paymentStatus":"CANCELLED","paymentResult":{"resultCode":"ORDER_IS_CLOSED","resultStatus":"F"},"paymentFailReason":"ORDER_IS_CLOSED"`),
			status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, code: "ORDER_IS_CLOSED", message: msgCancelled, pstatus: "CANCELLED"},
		"cancelled, no code": {body: answer(`,"paymentStatus":"CANCELLED"`), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric, code: "CANCELLED", message: msgCancelled},
		"processing":         {body: answer(`,"paymentStatus":"PROCESSING","paymentResult":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U"}`), status: checkout.OutcomePending, pstatus: "PROCESSING"},
		"unknown status":     {body: answer(`,"paymentStatus":"PENDING"`), status: checkout.OutcomePending},
		"paymentResult S":    {body: answer(`,"paymentResult":{"resultCode":"SUCCESS","resultStatus":"S"}`), status: checkout.OutcomeSucceeded},
		"paymentResult F":    {body: answer(`,"paymentResult":{"resultCode":"RISK_REJECT","resultStatus":"F"}`), status: checkout.OutcomeFailed, decline: checkout.DeclineFraudSuspected, code: "RISK_REJECT", message: msgNotApproved},
		"paymentResult U":    {body: answer(`,"paymentResult":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U"}`), status: checkout.OutcomePending},
		"no status at all":   {body: answer(``), err: "without paymentStatus"},
		"query U":            {body: `{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U"}}`, status: checkout.OutcomePending},
		"query F":            {body: `{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F"}}`, err: "F INVALID_SIGNATURE"},
		"not found, young":   {body: `{"result":{"resultCode":"ORDER_NOT_EXIST","resultStatus":"F"}}`, age: time.Minute, status: checkout.OutcomePending},
		"not found, old": {body: `{"result":{"resultCode":"ORDER_NOT_EXIST","resultStatus":"F"}}`, age: 11 * time.Minute,
			status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError, code: "ORDER_NOT_EXIST", message: msgNotCreated},
		"other amount": {body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S"}` + ids + `,"paymentAmount":{"currency":"USD","value":"1235"},"paymentStatus":"SUCCESS"}`,
			err: "1235 USD, not 1234 USD"},
		"other currency": {body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S"}` + ids + `,"paymentAmount":{"currency":"SGD","value":"1234"},"paymentStatus":"SUCCESS"}`,
			err: "not 1234 USD"},
		"decimal amount": {body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S"}` + ids + `,"paymentAmount":{"currency":"USD","value":"12.34"},"paymentStatus":"SUCCESS"}`,
			err: "minor-unit"},
		"other request id": {body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentRequestId":"pay_other","paymentStatus":"SUCCESS"}`, err: "another paymentRequestId"},
		"other payment id": {body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"999","paymentStatus":"SUCCESS"}`, err: "another paymentId"},
		"other payment id, no ref yet": {body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"999","paymentStatus":"SUCCESS"}`,
			noRefSet: true, status: checkout.OutcomeSucceeded},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(PathInquiry, ok(tc.body))
			p := testPayment()
			if tc.age != 0 {
				p.CreatedAt = testNow.Add(-tc.age)
			}
			if tc.noRefSet {
				p.ProviderRef, p.ProviderData = "", map[string]string{}
			}
			out, err := c.Inquire(t.Context(), p)
			r := f.calls()[0]
			if r.path != testMount+testPrefix+"/v1/payments/inquiryPayment" || string(r.body) != `{"paymentRequestId":"`+testPaymentID+`"}` {
				t.Errorf("request %s %s", r.path, r.body)
			}
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "alipayplus: inquiry: ") || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one about %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tc.status || out.Action != nil {
				t.Fatalf("status = %s (action %+v), want %s", out.Status, out.Action, tc.status)
			}
			if tc.decline == "" {
				if out.Decline != nil {
					t.Errorf("decline %+v", out.Decline)
				}
			} else if out.Decline == nil || out.Decline.Code != tc.decline || out.Decline.ProviderCode != tc.code || (tc.message != "" && out.Decline.Message != tc.message) {
				t.Errorf("decline = %+v, want %s %q %q", out.Decline, tc.decline, tc.code, tc.message)
			}
			if tc.pstatus != "" && out.ProviderData[keyPaymentStatus] != tc.pstatus {
				t.Errorf("payment_status = %q, want %q", out.ProviderData[keyPaymentStatus], tc.pstatus)
			}
		})
	}
}

// TestContinue inquires after a redirect return, whatever the browser brought.
func TestContinue(t *testing.T) {
	f, c := newFake(t)
	f.on(PathInquiry, ok(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"SUCCESS","paymentId":"`+testWalletRef+`"}`))
	if _, err := c.Continue(t.Context(), testPayment(), checkout.Continuation{Kind: checkout.ContinueChallenge}); err == nil {
		t.Error("a challenge return continued a wallet payment")
	}
	out, err := c.Continue(t.Context(), testPayment(), checkout.Continuation{Kind: checkout.ContinueRedirect,
		Values: map[string][]string{"paymentStatus": {"FAIL"}, "resultCode": {"9000"}}})
	if err != nil || out.Status != checkout.OutcomeSucceeded || out.ProviderRef != testWalletRef {
		t.Fatalf("continue = %+v, %v", out, err)
	}
	if n := len(f.calls()); n != 1 {
		t.Errorf("%d calls, want 1 inquiry", n)
	}
}

// TestInquiryAnswerSignature: an inquiry answer that does not verify is an error.
func TestInquiryAnswerSignature(t *testing.T) {
	f, c := newFake(t)
	f.on(PathInquiry, reply{body: `{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"SUCCESS"}`, key: keys().strangerPriv})
	if out, err := c.Inquire(t.Context(), testPayment()); err == nil {
		t.Fatalf("concluded %s from an unverified inquiry", out.Status)
	}
}

// TestWireShapes pins a few JSON names of the wire types.
func TestWireShapes(t *testing.T) {
	b, _ := json.Marshal(inquiryRequest{PaymentRequestID: "p"})
	if string(b) != `{"paymentRequestId":"p"}` {
		t.Errorf("inquiry request = %s", b)
	}
	var ack struct {
		Result Result `json:"result"`
	}
	if err := json.Unmarshal([]byte(AckBody), &ack); err != nil || ack.Result != (Result{"SUCCESS", "S", "success"}) {
		t.Errorf("ack = %+v, %v", ack, err)
	}
}
