package antom

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

func TestNewConfig(t *testing.T) {
	merchant, antom, _ := testKeys(t)
	pemOf := func(kind, b64 string) string {
		der, _ := base64.StdEncoding.DecodeString(b64)
		return string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}))
	}
	valid := testConfig("https://open-sea-global.alipay.com", time.Second)
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string // "" means valid
	}{
		"valid": {func(*Config) {}, ""},
		"PEM keys": {func(c *Config) {
			c.MerchantPrivateKey, c.AntomPublicKey = pemOf("PRIVATE KEY", merchant.Private), pemOf("PUBLIC KEY", antom.Public)
		}, ""},
		"no BaseURL":            {func(c *Config) { c.BaseURL = "" }, "BaseURL"},
		"relative BaseURL":      {func(c *Config) { c.BaseURL = "open-sea-global.alipay.com" }, "BaseURL"},
		"BaseURL with query":    {func(c *Config) { c.BaseURL = "https://x.test/?a=1" }, "BaseURL"},
		"no ClientID":           {func(c *Config) { c.ClientID = " " }, "ClientID is required"},
		"odd ClientID":          {func(c *Config) { c.ClientID = "SANDBOX X" }, "ClientID must be"},
		"no private key":        {func(c *Config) { c.MerchantPrivateKey = "" }, "MerchantPrivateKey is required"},
		"bad private key":       {func(c *Config) { c.MerchantPrivateKey = "bm90IGEga2V5" }, "MerchantPrivateKey"},
		"public as private key": {func(c *Config) { c.MerchantPrivateKey = antom.Public }, "MerchantPrivateKey"},
		"no public key":         {func(c *Config) { c.AntomPublicKey = "" }, "AntomPublicKey is required"},
		"bad public key":        {func(c *Config) { c.AntomPublicKey = "%%%" }, "AntomPublicKey"},
		"bad currency":          {func(c *Config) { c.Currencies = []string{"EUR", "euro"} }, "Currencies[1]"},
	} {
		cfg := valid
		tc.edit(&cfg)
		c, err := New(cfg)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "antom: ")):
			t.Errorf("%s: error %v, want one about %s", name, err, tc.want)
		case tc.want != "" && strings.Contains(err.Error(), merchant.Private[40:80]):
			t.Errorf("%s: the error quotes the key", name)
		case err == nil && (c.Name() != "antom" || !c.Capabilities().ManualCapture || !c.Capabilities().Supports(checkout.MethodCard)):
			t.Errorf("%s: %s %+v", name, c.Name(), c.Capabilities())
		}
	}
}

// TestPayRequest checks the pay call on the wire: method, path (with the
// sandbox rewrite, without the gateway prefix), headers and every body
// field, including each env and browserInfo value.
func TestPayRequest(t *testing.T) {
	f, c := newFake(t)
	f.on(pathPay, ok(payAnswer("S", "SUCCESS")))
	if _, err := c.Pay(t.Context(), testPayRequest()); err != nil {
		t.Fatal(err)
	}
	calls := f.calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	r := calls[0]
	if r.method != http.MethodPost || r.path != "/ams/sandbox/api/v1/payments/pay" {
		t.Errorf("%s %s", r.method, r.path)
	}
	for name, want := range map[string]string{
		"Content-Type": "application/json; charset=UTF-8",
		"Client-Id":    testClientID,
		"Request-Time": strconv.FormatInt(testNow.UnixMilli(), 10),
		"Key-Version":  "1",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if alg, kv, _, err := alipaysign.ParseHeader(r.header.Get("Signature")); err != nil || alg != "RSA256" || kv != "1" {
		t.Errorf("Signature header %q: %v", r.header.Get("Signature"), err)
	}
	for path, want := range map[string]any{
		"productCode":                                                     "CASHIER_PAYMENT",
		"paymentRequestId":                                                testPaymentID,
		"paymentAmount.currency":                                          "EUR",
		"paymentAmount.value":                                             "1234",
		"order.referenceOrderId":                                          "ORDER_20221114141714891",
		"order.orderDescription":                                          "Cappuccino #grande (Mika's coffee shop)",
		"order.orderAmount.currency":                                      "EUR",
		"order.orderAmount.value":                                         "1234",
		"order.goods.0.referenceGoodsId":                                  "1",
		"order.goods.0.goodsName":                                         "Cappuccino",
		"order.goods.0.goodsUnitAmount.value":                             "500",
		"order.goods.0.goodsUnitAmount.currency":                          "EUR",
		"order.goods.0.goodsQuantity":                                     "2",
		"order.goods.1.goodsName":                                         "Croissant & jam",
		"order.goods.1.goodsQuantity":                                     "1",
		"order.buyer.referenceBuyerId":                                    "cus_42",
		"order.buyer.buyerEmail":                                          "jane.doe@example.com",
		"env.terminalType":                                                "WEB",
		"env.clientIp":                                                    "203.0.113.7",
		"env.deviceLanguage":                                              "en-GB",
		"env.colorDepth":                                                  float64(24),
		"env.screenHeight":                                                float64(900),
		"env.screenWidth":                                                 float64(1440),
		"env.timeZoneOffset":                                              float64(-60),
		"env.browserInfo.acceptHeader":                                    "text/html,*/*;q=0.8",
		"env.browserInfo.javaEnabled":                                     false,
		"env.browserInfo.javaScriptEnabled":                               true,
		"env.browserInfo.language":                                        "en-GB",
		"env.browserInfo.userAgent":                                       "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0",
		"paymentMethod.paymentMethodType":                                 "CARD",
		"paymentMethod.paymentMethodMetaData.cardNo":                      testPAN,
		"paymentMethod.paymentMethodMetaData.cvv":                         testCVC,
		"paymentMethod.paymentMethodMetaData.expiryMonth":                 "03",
		"paymentMethod.paymentMethodMetaData.expiryYear":                  "29",
		"paymentMethod.paymentMethodMetaData.cardholderName.firstName":    "Jane Q.",
		"paymentMethod.paymentMethodMetaData.cardholderName.lastName":     "Doe",
		"paymentMethod.paymentMethodMetaData.cardholderName.fullName":     "Jane Q. Doe",
		"paymentMethod.paymentMethodMetaData.is3DSAuthentication":         true,
		"paymentMethod.paymentMethodMetaData.enableAuthenticationUpgrade": true,
		"paymentMethod.paymentMethodMetaData.isCardOnFile":                false,
		"paymentFactor.isAuthorization":                                   true,
		"paymentFactor.captureMode":                                       "AUTOMATIC",
		"paymentNotifyUrl":                                                "https://checkout.example.com/notify/antom",
		"paymentRedirectUrl":                                              "https://checkout.example.com/c/cs_1/return/" + testPaymentID + "?a=1&b=2",
	} {
		if got := field(r.fields, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	if strings.Contains(string(r.body), `\u0026`) {
		t.Error("the body escapes & in URLs")
	}
}

func TestPayRequestVariants(t *testing.T) {
	for name, tc := range map[string]struct {
		clientID string
		edit     func(*checkout.PayRequest)
		path     string
		fields   map[string]any
		absent   []string
	}{
		"production client keeps /ams/api": {clientID: "PROD_CLIENT_1", path: "/ams/api/v1/payments/pay"},
		"manual capture": {edit: func(r *checkout.PayRequest) { r.CaptureMode = checkout.CaptureManual },
			fields: map[string]any{"paymentFactor.captureMode": "MANUAL"}},
		"capture mode unset is automatic": {edit: func(r *checkout.PayRequest) { r.CaptureMode = "" },
			fields: map[string]any{"paymentFactor.captureMode": "AUTOMATIC"}},
		"challenge requested": {edit: func(r *checkout.PayRequest) { r.ThreeDS = checkout.ThreeDSChallengeRequested },
			fields: map[string]any{"paymentMethod.paymentMethodMetaData.is3DSAuthentication": true}},
		"no challenge requested": {edit: func(r *checkout.PayRequest) { r.ThreeDS = checkout.ThreeDSNoChallengeRequested },
			fields: map[string]any{"paymentMethod.paymentMethodMetaData.is3DSAuthentication": false,
				"paymentMethod.paymentMethodMetaData.enableAuthenticationUpgrade": true}},
		"single-word holder": {edit: func(r *checkout.PayRequest) { r.Card.Holder = "Madonna" },
			fields: map[string]any{"paymentMethod.paymentMethodMetaData.cardholderName.firstName": "Madonna",
				"paymentMethod.paymentMethodMetaData.cardholderName.fullName": "Madonna"},
			absent: []string{"paymentMethod.paymentMethodMetaData.cardholderName.lastName"}},
		"no reference, no description": {edit: func(r *checkout.PayRequest) { r.MerchantReference, r.Description = "", "" },
			fields: map[string]any{"order.referenceOrderId": testPaymentID, "order.orderDescription": "Payment " + testPaymentID}},
		"a browser without script": {edit: func(r *checkout.PayRequest) {
			r.Browser = checkout.BrowserInfo{UserAgent: "curl/8", IP: "198.51.100.1"}
			r.Customer = checkout.Customer{}
			r.LineItems = nil
		},
			fields: map[string]any{"env.browserInfo.acceptHeader": "*/*", "env.timeZoneOffset": float64(0), "env.browserInfo.javaScriptEnabled": false,
				"env.deviceLanguage": "en-GB"},
			absent: []string{"env.colorDepth", "env.screenHeight", "env.screenWidth", "order.buyer", "order.goods"}},
		"no notify URL": {edit: func(r *checkout.PayRequest) { r.NotifyURL = "" }, absent: []string{"paymentNotifyUrl"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeAntom{t: t, replies: map[string][]reply{}}
			srv := newServer(t, f)
			cfg := testConfig(srv+gateway, 5*time.Second)
			if tc.clientID != "" {
				cfg.ClientID = tc.clientID
			}
			c := mustClient(t, cfg)
			f.on(pathPay, ok(payAnswer("S", "SUCCESS")))
			req := testPayRequest()
			if tc.edit != nil {
				tc.edit(&req)
			}
			if _, err := c.Pay(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			r := f.calls()[0]
			want := tc.path
			if want == "" {
				want = "/ams/sandbox/api/v1/payments/pay"
			}
			if r.path != want {
				t.Errorf("path %s, want %s", r.path, want)
			}
			for path, want := range tc.fields {
				if got := field(r.fields, path); got != want {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
			for _, path := range tc.absent {
				if got := field(r.fields, path); got != nil {
					t.Errorf("%s = %#v, want it left out", path, got)
				}
			}
		})
	}
}

func newServer(t *testing.T, f *fakeAntom) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestPayAnswers maps each kind of pay answer; an error means the outcome
// is unknown.
func TestPayAnswers(t *testing.T) {
	inProcess := func(a obj) { a["normalUrl"] = "https://open-sea-global.alipay.com/ams/3ds?id=1" }
	for name, tc := range map[string]struct {
		reply   reply
		mode    checkout.CaptureMode
		status  checkout.OutcomeStatus
		decline checkout.DeclineCode
		err     string
	}{
		"S automatic":                {reply: ok(payAnswer("S", "SUCCESS", withThreeDS("05", "FRICTIONLESS"))), status: checkout.OutcomeSucceeded},
		"S manual":                   {reply: ok(payAnswer("S", "SUCCESS")), mode: checkout.CaptureManual, status: checkout.OutcomeAuthorized},
		"U in process":               {reply: ok(payAnswer("U", "PAYMENT_IN_PROCESS", inProcess)), status: checkout.OutcomeActionRequired},
		"U in process, no normalUrl": {reply: ok(payAnswer("U", "PAYMENT_IN_PROCESS")), status: checkout.OutcomePending},
		"U unknown exception":        {reply: ok(payAnswer("U", "UNKNOWN_EXCEPTION", inProcess)), status: checkout.OutcomePending},
		"U traffic limit":            {reply: ok(obj{"result": res("U", "REQUEST_TRAFFIC_EXCEED_LIMIT")}), status: checkout.OutcomePending},
		"F do not honor":             {reply: ok(payAnswer("F", "DO_NOT_HONOR")), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		"F risk reject":              {reply: ok(payAnswer("F", "RISK_REJECT")), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		"F balance":                  {reply: ok(payAnswer("F", "USER_BALANCE_NOT_ENOUGH")), status: checkout.OutcomeFailed, decline: checkout.DeclineInsufficientFunds},
		"F 3DS":                      {reply: ok(payAnswer("F", "THREE_D_SECURE_AUTHENTICATION_FAILED")), status: checkout.OutcomeFailed, decline: checkout.DeclineAuthenticationFailed},
		"F param illegal":            {reply: ok(obj{"result": res("F", "PARAM_ILLEGAL")}), status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"F unknown code":             {reply: ok(payAnswer("F", "BRAND_NEW_CODE")), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		"F repeat inconsistent":      {reply: ok(obj{"result": res("F", "REPEAT_REQ_INCONSISTENT")}), err: "result F REPEAT_REQ_INCONSISTENT"},
		"F invalid signature":        {reply: ok(obj{"result": res("F", "INVALID_SIGNATURE")}), err: "result F INVALID_SIGNATURE"},
		"F invalid client":           {reply: ok(obj{"result": res("F", "INVALID_CLIENT")}), err: "result F INVALID_CLIENT"},
		"odd resultStatus":           {reply: ok(obj{"result": res("X", "SUCCESS")}), err: "result X SUCCESS"},
		"no result":                  {reply: ok(obj{}), err: "result (none) (none)"},
		"S without paymentId":        {reply: ok(payAnswer("S", "SUCCESS", func(a obj) { delete(a, "paymentId") })), err: "without a well-formed paymentId"},
		"another paymentRequestId":   {reply: ok(payAnswer("S", "SUCCESS", func(a obj) { a["paymentRequestId"] = "pay_other" })), err: "another paymentRequestId"},
		"another amount":             {reply: ok(payAnswer("S", "SUCCESS", func(a obj) { a["paymentAmount"] = obj{"currency": "EUR", "value": "1235"} })), err: "another amount or currency than 1234 EUR"},
		"amount not in minor units":  {reply: ok(payAnswer("S", "SUCCESS", func(a obj) { a["paymentAmount"] = obj{"currency": "EUR", "value": "12.34"} })), err: "amount cannot be read"},
		"HTTP 500":                   {reply: reply{status: 500, body: `{"result":{"resultStatus":"U"}}`, sign: "none"}, err: "HTTP 500"},
		"HTTP 500, signed":           {reply: reply{status: 500, body: `{"result":{"resultStatus":"S","resultCode":"SUCCESS"}}`}, err: "HTTP 500"},
		"unreadable":                 {reply: ok("{not json"), err: "unreadable answer"},
		"no answer in time":          {reply: reply{hang: true}, err: "no answer in time"},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeAntom{t: t, replies: map[string][]reply{}}
			cfg := testConfig(newServer(t, f)+gateway, 5*time.Second)
			if tc.reply.hang {
				cfg.HTTPClient.Timeout = 200 * time.Millisecond
			}
			c := mustClient(t, cfg)
			f.on(pathPay, tc.reply)
			req := testPayRequest()
			req.CaptureMode = tc.mode
			out, err := c.Pay(t.Context(), req)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "antom: pay: ") {
					t.Fatalf("err = %v (outcome %s), want one with %q", err, out.Status, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tc.status {
				t.Fatalf("status = %s, want %s", out.Status, tc.status)
			}
			if tc.decline != "" && (out.Decline == nil || out.Decline.Code != tc.decline) {
				t.Errorf("decline = %+v, want %s", out.Decline, tc.decline)
			}
			if out.Status == checkout.OutcomeActionRequired && (out.Action == nil || out.Action.Kind != checkout.ActionRedirect || out.Action.URL != "https://open-sea-global.alipay.com/ams/3ds?id=1") {
				t.Errorf("action = %+v", out.Action)
			}
		})
	}
}

// TestAnswerSignatureRequired: an answer is read only after its signature
// verifies; anything else is an error (the outcome is unknown), even an
// answer that says success.
func TestAnswerSignatureRequired(t *testing.T) {
	for _, sign := range []string{"none", "other-key", "other-path", "other-client", "tamper", "no-time"} {
		t.Run(sign, func(t *testing.T) {
			f := &fakeAntom{t: t, replies: map[string][]reply{}}
			c := mustClient(t, testConfig(newServer(t, f)+gateway, 5*time.Second))
			r := ok(payAnswer("S", "SUCCESS"))
			r.sign = sign
			f.on(pathPay, r)
			q := ok(inquiryAnswer("SUCCESS", "SUCCESS"))
			q.sign = sign
			f.on(pathInquiry, q)
			out, err := c.Pay(t.Context(), testPayRequest())
			if err == nil || !strings.Contains(err.Error(), "answer not trusted") {
				t.Fatalf("outcome %s, err %v; want an untrusted answer", out.Status, err)
			}
			if _, err := c.Inquire(t.Context(), testPayment(checkout.CaptureAutomatic, testNow)); err == nil {
				t.Error("an inquiry with the same answer signature trusted it")
			}
		})
	}
}

// TestInquiry covers Continue and Inquire: the body, the status mapping and
// ORDER_NOT_EXIST with its grace period.
func TestInquiry(t *testing.T) {
	for name, tc := range map[string]struct {
		reply   reply
		mode    checkout.CaptureMode
		age     time.Duration
		status  checkout.OutcomeStatus
		decline checkout.DeclineCode
		err     string
	}{
		"success automatic":   {reply: ok(inquiryAnswer("SUCCESS", "SUCCESS", withThreeDS("05", "CHALLENGE"))), status: checkout.OutcomeSucceeded},
		"success manual":      {reply: ok(inquiryAnswer("SUCCESS", "SUCCESS")), mode: checkout.CaptureManual, status: checkout.OutcomeAuthorized},
		"fail":                {reply: ok(inquiryAnswer("FAIL", "INVALID_CVV")), status: checkout.OutcomeFailed, decline: checkout.DeclineIncorrectCVC},
		"fail without a code": {reply: ok(inquiryAnswer("FAIL", "")), status: checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		"cancelled":           {reply: ok(inquiryAnswer("CANCELLED", "ORDER_IS_CLOSED")), status: checkout.OutcomeCanceled},
		"processing":          {reply: ok(inquiryAnswer("PROCESSING", "PAYMENT_IN_PROCESS")), status: checkout.OutcomePending},
		"pending":             {reply: ok(inquiryAnswer("PENDING", "")), status: checkout.OutcomePending},
		"not found, fresh":    {reply: ok(obj{"result": res("F", "ORDER_NOT_EXIST")}), age: time.Minute, status: checkout.OutcomePending},
		"not found, old":      {reply: ok(obj{"result": res("F", "ORDER_NOT_EXIST")}), age: 11 * time.Minute, status: checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"query failed":        {reply: ok(obj{"result": res("F", "PROCESS_FAIL")}), err: "result F PROCESS_FAIL"},
		"query unknown":       {reply: ok(obj{"result": res("U", "UNKNOWN_EXCEPTION")}), err: "result U UNKNOWN_EXCEPTION"},
		"no paymentStatus":    {reply: ok(inquiryAnswer("", "")), err: "without a paymentStatus"},
		"another payment":     {reply: ok(inquiryAnswer("SUCCESS", "SUCCESS", func(a obj) { a["paymentId"] = "999" })), err: "another paymentId"},
		"another amount":      {reply: ok(inquiryAnswer("SUCCESS", "SUCCESS", func(a obj) { a["paymentAmount"] = obj{"currency": "USD", "value": "1234"} })), err: "another amount or currency than 1234 EUR"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, step := range []string{"inquire", "continue"} {
				f := &fakeAntom{t: t, replies: map[string][]reply{}}
				c := mustClient(t, testConfig(newServer(t, f)+gateway, 5*time.Second))
				f.on(pathInquiry, tc.reply)
				mode := tc.mode
				if mode == "" {
					mode = checkout.CaptureAutomatic
				}
				p := testPayment(mode, testNow.Add(-tc.age))
				var out checkout.Outcome
				var err error
				if step == "inquire" {
					out, err = c.Inquire(t.Context(), p)
				} else {
					// The browser's values are ignored: only the inquiry counts.
					out, err = c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: map[string][]string{"result": {"SUCCESS"}}})
				}
				r := f.calls()[0]
				if r.path != "/ams/sandbox/api/v1/payments/inquiryPayment" || len(r.fields) != 1 || r.fields["paymentRequestId"] != testPaymentID {
					t.Errorf("%s: %s %v", step, r.path, r.fields)
				}
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("%s: err = %v, want %q", step, err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				if out.Status != tc.status || (tc.decline != "" && (out.Decline == nil || out.Decline.Code != tc.decline)) {
					t.Errorf("%s: %s %+v, want %s %s", step, out.Status, out.Decline, tc.status, tc.decline)
				}
			}
		})
	}
	t.Run("continue needs a redirect return", func(t *testing.T) {
		_, c := newFake(t)
		_, err := c.Continue(t.Context(), testPayment(checkout.CaptureAutomatic, testNow), checkout.Continuation{Kind: checkout.ContinueChallenge})
		if err == nil || !strings.Contains(err.Error(), "only redirect returns") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestCapture(t *testing.T) {
	captureOK := obj{"result": res("S", "SUCCESS"), "captureRequestId": testPaymentID + "-capture", "captureId": "2026031400000000000000000000000001",
		"paymentId": testRef, "captureAmount": obj{"currency": "EUR", "value": "1234"}, "captureTime": "2026-03-14T15:10:00Z"}
	for name, tc := range map[string]struct {
		replies []reply
		inquiry reply
		status  checkout.OutcomeStatus
		err     string
	}{
		"captured":            {replies: []reply{ok(captureOK)}, status: checkout.OutcomeSucceeded},
		"unknown":             {replies: []reply{ok(obj{"result": res("U", "UNKNOWN_EXCEPTION")})}, err: "result U UNKNOWN_EXCEPTION"},
		"inconsistent":        {replies: []reply{ok(obj{"result": res("F", "REPEAT_REQ_INCONSISTENT")})}, err: "REPEAT_REQ_INCONSISTENT"},
		"refused, canceled":   {replies: []reply{ok(obj{"result": res("F", "ORDER_IS_CLOSED")})}, inquiry: ok(inquiryAnswer("CANCELLED", "ORDER_IS_CLOSED")), status: checkout.OutcomeCanceled},
		"refused, captured":   {replies: []reply{ok(obj{"result": res("F", "ORDER_STATUS_INVALID")})}, inquiry: ok(inquiryAnswer("SUCCESS", "SUCCESS", func(a obj) { a["transactions"] = []obj{{"transactionType": "CAPTURE", "transactionStatus": "SUCCESS"}} })), status: checkout.OutcomeSucceeded},
		"refused, still held": {replies: []reply{ok(obj{"result": res("F", "CAPTURE_AMOUNT_EXCEED")})}, inquiry: ok(inquiryAnswer("SUCCESS", "SUCCESS")), status: checkout.OutcomeFailed},
		"refused, read fails": {replies: []reply{ok(obj{"result": res("F", "ORDER_STATUS_INVALID")})}, inquiry: reply{status: 502, sign: "none"}, err: "reading the payment failed"},
		"captured another amount": {replies: []reply{ok(func() obj {
			a := obj{}
			for k, v := range captureOK {
				a[k] = v
			}
			a["captureAmount"] = obj{"currency": "EUR", "value": "1"}
			return a
		}())}, err: "another amount or currency than 1234 EUR"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(pathCapture, tc.replies...)
			if tc.inquiry.status != 0 {
				f.on(pathInquiry, tc.inquiry)
			}
			out, err := c.Capture(t.Context(), testPayment(checkout.CaptureManual, testNow))
			r := f.calls()[0]
			if r.path != "/ams/sandbox/api/v1/payments/capture" || r.fields["captureRequestId"] != testPaymentID+"-capture" ||
				r.fields["paymentId"] != testRef || field(r.fields, "captureAmount.value") != "1234" || field(r.fields, "captureAmount.currency") != "EUR" {
				t.Errorf("capture request %s %v", r.path, r.fields)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || out.Status != tc.status {
				t.Fatalf("%s, %v; want %s", out.Status, err, tc.status)
			}
			if out.Status == checkout.OutcomeSucceeded && name == "captured" && out.ProviderData[keyCaptureID] != "2026031400000000000000000000000001" {
				t.Errorf("provider data %v", out.ProviderData)
			}
		})
	}
	t.Run("no paymentId", func(t *testing.T) {
		_, c := newFake(t)
		p := testPayment(checkout.CaptureManual, testNow)
		p.ProviderRef = ""
		if _, err := c.Capture(t.Context(), p); err == nil {
			t.Error("captured without a paymentId")
		}
	})
}

func TestCancel(t *testing.T) {
	for name, tc := range map[string]struct {
		reply   reply
		inquiry reply
		status  checkout.OutcomeStatus
		err     string
	}{
		"canceled":          {reply: ok(obj{"result": res("S", "SUCCESS"), "paymentId": testRef, "paymentRequestId": testPaymentID, "cancelTime": "2026-03-14T15:10:00Z"}), status: checkout.OutcomeCanceled},
		"unknown":           {reply: ok(obj{"result": res("U", "UNKNOWN_EXCEPTION")}), err: "result U UNKNOWN_EXCEPTION"},
		"refused, captured": {reply: ok(obj{"result": res("F", "ORDER_STATUS_INVALID")}), inquiry: ok(inquiryAnswer("SUCCESS", "SUCCESS", func(a obj) { a["transactions"] = []obj{{"transactionType": "CAPTURE", "transactionStatus": "SUCCESS"}} })), status: checkout.OutcomeSucceeded},
		"refused, failed":   {reply: ok(obj{"result": res("F", "ORDER_IS_CLOSED")}), inquiry: ok(inquiryAnswer("FAIL", "DO_NOT_HONOR")), status: checkout.OutcomeFailed},
		"another payment":   {reply: ok(obj{"result": res("S", "SUCCESS"), "paymentId": "1", "paymentRequestId": testPaymentID}), err: "another payment"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(pathCancel, tc.reply)
			if tc.inquiry.status != 0 {
				f.on(pathInquiry, tc.inquiry)
			}
			out, err := c.Cancel(t.Context(), testPayment(checkout.CaptureManual, testNow))
			r := f.calls()[0]
			if r.path != "/ams/sandbox/api/v1/payments/cancel" || len(r.fields) != 1 || r.fields["paymentRequestId"] != testPaymentID {
				t.Errorf("cancel request %s %v", r.path, r.fields)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || out.Status != tc.status {
				t.Fatalf("%s, %v; want %s", out.Status, err, tc.status)
			}
		})
	}
}

func TestRefund(t *testing.T) {
	rr := checkout.RefundRequest{RefundID: "re_aaaabbbbccccddddeeeeffffgggghhhh", IdempotencyKey: "re_aaaabbbbccccddddeeeeffffgggghhhh", Amount: checkout.Money{Amount: 234, Currency: "EUR"}}
	refunded := obj{"result": res("S", "SUCCESS"), "refundRequestId": rr.IdempotencyKey, "refundId": "2026031400000000000000000000000002",
		"paymentId": testRef, "refundAmount": obj{"currency": "EUR", "value": "234"}, "refundTime": "2026-03-14T15:10:00Z"}
	for name, tc := range map[string]struct {
		reply  reply
		status checkout.RefundStatus
		ref    string
		code   string
		err    string
	}{
		"refunded":      {reply: ok(refunded), status: checkout.RefundSucceeded, ref: "2026031400000000000000000000000002"},
		"refused":       {reply: ok(obj{"result": res("F", "REFUND_AMOUNT_EXCEED")}), status: checkout.RefundFailed, code: "REFUND_AMOUNT_EXCEED"},
		"in process":    {reply: ok(obj{"result": res("U", "REFUND_IN_PROCESS"), "refundId": "77"}), status: checkout.RefundPending, ref: "77"},
		"unknown":       {reply: ok(obj{"result": res("U", "UNKNOWN_EXCEPTION")}), err: "result U UNKNOWN_EXCEPTION"},
		"inconsistent":  {reply: ok(obj{"result": res("F", "REPEAT_REQ_INCONSISTENT")}), err: "REPEAT_REQ_INCONSISTENT"},
		"bad signature": {reply: reply{status: 200, body: `{"result":{"resultStatus":"S","resultCode":"SUCCESS"}}`, sign: "other-key"}, err: "not trusted"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on(pathRefund, tc.reply)
			out, err := c.Refund(t.Context(), testPayment(checkout.CaptureAutomatic, testNow), rr)
			r := f.calls()[0]
			if r.path != "/ams/sandbox/api/v1/payments/refund" || r.fields["refundRequestId"] != rr.IdempotencyKey || r.fields["paymentId"] != testRef ||
				field(r.fields, "refundAmount.value") != "234" || field(r.fields, "refundAmount.currency") != "EUR" {
				t.Errorf("refund request %s %v", r.path, r.fields)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || out.Status != tc.status || out.ProviderRef != tc.ref || out.ProviderCode != tc.code {
				t.Fatalf("%+v, %v; want %s %q %q", out, err, tc.status, tc.ref, tc.code)
			}
		})
	}
}

// TestInquireRefund: inquiryRefund by our refund id; the answer must be
// about our refund; REFUND_NOT_EXIST is ErrRefundNotFound, any other
// failure an error that is not.
func TestInquireRefund(t *testing.T) {
	const refundID, refundRef = "re_aaaabbbbccccddddeeeeffffgggghhhh", "2026031400000000000000000000000002"
	rf := checkout.Refund{ID: refundID, PaymentID: testPaymentID, Amount: checkout.Money{Amount: 234, Currency: "EUR"}, ProviderRef: refundRef}
	lost := rf
	lost.ProviderRef = ""
	answer := func(status string, edits ...func(obj)) reply {
		a := obj{"result": res("S", "SUCCESS"), "refundRequestId": refundID, "refundId": refundRef,
			"refundAmount": obj{"currency": "EUR", "value": "234"}, "refundStatus": status}
		if status == "SUCCESS" {
			a["refundTime"] = "2026-03-14T15:10:00Z"
		}
		for _, e := range edits {
			e(a)
		}
		return ok(a)
	}
	for name, tc := range map[string]struct {
		refund   checkout.Refund
		reply    reply
		want     checkout.RefundStatus
		code     string
		notFound bool
		err      string
	}{
		"success":              {refund: rf, reply: answer("SUCCESS"), want: checkout.RefundSucceeded},
		"success, id unknown":  {refund: lost, reply: answer("SUCCESS"), want: checkout.RefundSucceeded},
		"processing":           {refund: rf, reply: answer("PROCESSING"), want: checkout.RefundPending},
		"fail":                 {refund: rf, reply: answer("FAIL"), want: checkout.RefundFailed, code: "FAIL"},
		"unknown status":       {refund: rf, reply: answer("SOMETHING_NEW"), err: "refundStatus SOMETHING_NEW"},
		"no status":            {refund: rf, reply: answer(""), err: "refundStatus (none)"},
		"not found":            {refund: lost, reply: ok(obj{"result": res("F", "REFUND_NOT_EXIST")}), notFound: true},
		"order not found":      {refund: lost, reply: ok(obj{"result": res("F", "ORDER_NOT_EXIST")}), notFound: true},
		"unknown exception":    {refund: rf, reply: ok(obj{"result": res("U", "UNKNOWN_EXCEPTION")}), err: "result U UNKNOWN_EXCEPTION"},
		"refused signature":    {refund: rf, reply: ok(obj{"result": res("F", "INVALID_SIGNATURE")}), err: "result F INVALID_SIGNATURE"},
		"not found, unsigned":  {refund: rf, reply: reply{status: 200, body: `{"result":{"resultStatus":"F","resultCode":"REFUND_NOT_EXIST"}}`, sign: "none"}, err: "not trusted"},
		"not found, other key": {refund: rf, reply: reply{status: 200, body: `{"result":{"resultStatus":"F","resultCode":"REFUND_NOT_EXIST"}}`, sign: "other-key"}, err: "not trusted"},
		"502":                  {refund: rf, reply: reply{status: 502, body: "<html>502</html>", sign: "none"}, err: "HTTP 502"},
		"timeout":              {refund: rf, reply: reply{hang: true}, err: "no answer in time"},
		"unreadable":           {refund: rf, reply: ok(`{"result":{"resultStatus":"S"`), err: "unreadable"},
		"another refund":       {refund: rf, reply: answer("SUCCESS", func(a obj) { a["refundRequestId"] = "re_other" }), err: "another refundRequestId"},
		"another refundId":     {refund: rf, reply: answer("SUCCESS", func(a obj) { a["refundId"] = "2026031400000000000000000000000003" }), err: "another refundId"},
		"another amount":       {refund: rf, reply: answer("SUCCESS", func(a obj) { a["refundAmount"] = obj{"currency": "EUR", "value": "235"} }), err: "another amount"},
		"another currency":     {refund: rf, reply: answer("SUCCESS", func(a obj) { a["refundAmount"] = obj{"currency": "USD", "value": "234"} }), err: "another amount"},
		"amount as decimal":    {refund: rf, reply: answer("SUCCESS", func(a obj) { a["refundAmount"] = obj{"currency": "EUR", "value": "2.34"} }), err: "cannot be read"},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			c.http.Timeout = 300 * time.Millisecond
			f.on(pathInquiryRefund, tc.reply)
			out, err := c.InquireRefund(t.Context(), testPayment(checkout.CaptureAutomatic, testNow), tc.refund)
			r := f.calls()[0]
			if r.path != "/ams/sandbox/api/v1/payments/inquiryRefund" || len(r.fields) != 1 || r.fields["refundRequestId"] != refundID {
				t.Errorf("inquiry request %s %v", r.path, r.fields)
			}
			switch {
			case tc.notFound:
				if !errors.Is(err, checkout.ErrRefundNotFound) || !strings.HasPrefix(err.Error(), "antom: ") {
					t.Fatalf("= %+v, %v; want ErrRefundNotFound", out, err)
				}
			case tc.err != "":
				if err == nil || errors.Is(err, checkout.ErrRefundNotFound) || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "antom: ") {
					t.Fatalf("= %+v, %v; want an error with %q that is not ErrRefundNotFound", out, err, tc.err)
				}
			default:
				if err != nil || out.Status != tc.want || out.ProviderCode != tc.code || out.ProviderRef != refundRef {
					t.Fatalf("= %+v, %v; want %s %q", out, err, tc.want, tc.code)
				}
			}
		})
	}
	t.Run("no refund id", func(t *testing.T) {
		_, c := newFake(t)
		if _, err := c.InquireRefund(t.Context(), testPayment(checkout.CaptureAutomatic, testNow), checkout.Refund{}); err == nil || errors.Is(err, checkout.ErrRefundNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}
