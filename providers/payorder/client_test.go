package payorder

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func TestNewValidatesConfig(t *testing.T) {
	k := keysOnce()
	valid := Config{
		BaseURL: "https://gateway.example.com", SessionsURL: "https://try.access.worldpay.com",
		MerchantID: "M1", CheckoutID: "C1", AESKey: k.aesB64, MerchantPrivateKey: k.merchantPEM, PlatformPublicKey: k.platformPubPEM,
	}
	c, err := New(valid)
	if err != nil {
		t.Fatal(err)
	}
	if c.apiURL != "https://gateway.example.com/api" || c.verifyService != "verifyOrder" || c.http == nil {
		t.Errorf("defaults: api %q, verify %q", c.apiURL, c.verifyService)
	}
	caps := c.Capabilities()
	if !reflect.DeepEqual(caps, checkout.Capabilities{Methods: []checkout.PaymentMethod{checkout.MethodCard}, Currencies: []string{"USD"}}) {
		t.Errorf("Capabilities = %+v", caps)
	}
	if c.Name() != "payorder" {
		t.Errorf("Name = %q", c.Name())
	}

	for name, change := range map[string]func(*Config){
		"relative BaseURL":   func(c *Config) { c.BaseURL = "/api" },
		"no SessionsURL":     func(c *Config) { c.SessionsURL = "" },
		"no MerchantID":      func(c *Config) { c.MerchantID = "" },
		"no CheckoutID":      func(c *Config) { c.CheckoutID = "" },
		"short AES key":      func(c *Config) { c.AESKey = base64.StdEncoding.EncodeToString([]byte("short")) },
		"public as private":  func(c *Config) { c.MerchantPrivateKey = k.platformPubPEM },
		"private as public":  func(c *Config) { c.PlatformPublicKey = k.merchantPEM },
		"ftp BaseURL":        func(c *Config) { c.BaseURL = "ftp://gateway.example.com" },
		"no host in BaseURL": func(c *Config) { c.BaseURL = "https://" },
	} {
		cfg := valid
		change(&cfg)
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "payorder: ") {
			t.Errorf("%s: New = %v, want a payorder error", name, err)
		}
	}
}

// TestPayRequests checks every request Pay sends: method, path, headers
// (in the fake gateway) and the decrypted body fields.
func TestPayRequests(t *testing.T) {
	g, c := newFakeGateway(t)
	out, err := c.Pay(t.Context(), testPayRequest())
	if err != nil {
		t.Fatal(err)
	}

	var order []string
	for _, call := range g.recorded() {
		order = append(order, call.path+" "+call.service)
	}
	wantOrder := []string{"/api createPayer", "/api createOrder", "/sessions/card ", "/sessions/payments/cvc ", "/api checkoutOrder"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("calls = %q, want %q", order, wantOrder)
	}

	wants := map[string]map[string]any{
		ServiceCreatePayer: {
			"firstName": "Jane", "lastName": "van Doe", "email": "jane@example.com",
			"phone": "", "address": "", "city": "", "province": "", "postcode": "", "country": "",
		},
		ServiceCreateOrder: {
			"order_sn": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "currency": "USD", "amount": 12.34, "payerID": 100234.0,
			"purposeOfTransaction": "PAY_FOR_GOODS", "description": "order-42", "skip3ds": "False",
			"domain": "https://pay.example.com", "product": "Shirt||Socks",
		},
		"/sessions/card": {
			"identity": "checkout-identity", "cardNumber": "4242424242424242",
			"cardExpiryDate": map[string]any{"month": 7.0, "year": 2031.0}, "cvc": "987",
		},
		"/sessions/payments/cvc": {"identity": "checkout-identity", "cvc": "987"},
		ServiceCheckoutOrder: {
			"order_sn": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "linkID": "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1",
			"cardHolderName": "Jane van Doe", "relationship": "CUSTOMER",
			"sessionCard": "https://try.access.worldpay.com/sessions/card-opaque",
			"sessionCvc":  "https://try.access.worldpay.com/sessions/cvc-opaque",
		},
	}
	for key, want := range wants {
		if got := g.last(t, key).fields; !reflect.DeepEqual(got, want) {
			t.Errorf("%s body =\n%v\nwant\n%v", key, got, want)
		}
	}
	if sign := g.last(t, ServiceCreateOrder).header.Get("sign"); sign == "" {
		t.Error("no sign header")
	}

	want := checkout.Outcome{
		Status:      checkout.OutcomeActionRequired,
		ProviderRef: "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1",
		ProviderData: map[string]string{
			"order_sn": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "linkID": "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1",
			"transactionReference": "8e9dfeb7-7aa2-4da2-88d8-5e30ad4ef056", "payerID": "100234",
			"returnUrl": "https://pay.example.com/c/cs_1/return/pay_1", "windowSize": "250x400",
			"windowWidth": "250", "windowHeight": "400", "challengePreference": "challengeRequested",
		},
		Action: &checkout.Action{Kind: checkout.ActionDeviceDataCollection, URL: "https://ddc.example.com/collect", JWT: "ddc.jwt.value", BIN: "424242"},
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("Pay =\n%#v\nwant\n%#v", out, want)
	}
}

// TestAmountIsExactDecimal reads the amount token from the decrypted
// createOrder body: a JSON number with the currency's decimals, where float
// formatting would drop trailing zeros or switch to an exponent.
func TestAmountIsExactDecimal(t *testing.T) {
	amountToken := regexp.MustCompile(`"amount":([^,}]*)`)
	for minor, want := range map[int64]string{1234: "12.34", 10: "0.10", 5: "0.05", 100: "1.00", 1999999999: "19999999.99", 99_999_999_999: "999999999.99"} {
		g, c := newFakeGateway(t)
		req := testPayRequest()
		req.Amount.Amount = minor
		if _, err := c.Pay(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		m := amountToken.FindSubmatch(g.last(t, ServiceCreateOrder).plain)
		if m == nil || string(m[1]) != want {
			t.Errorf("%d cents: amount token %q, want %s", minor, m, want)
		}
	}
}

// TestUntrustedAnswers: whatever the gateway answers to createPayer, only a
// verified status -1 INVALID_PARAM is a definitive failure; everything else
// that is not a verified success is an error (an unknown outcome).
func TestUntrustedAnswers(t *testing.T) {
	k := keysOnce()
	okPlain := []byte(`{"status":0,"errorCode":"","errorMessage":"","data":{"payerID":1}}`)
	biz, _ := Seal(k.aes, okPlain)
	otherSign, _ := Sign(k.platform, []byte(`{"status":0,"data":{"payerID":2}}`))
	merchantSign, _ := Sign(k.merchant, okPlain)
	notJSON, _ := Seal(k.aes, []byte("<html>"))
	notJSONSign, _ := Sign(k.platform, []byte("<html>"))

	tests := []struct {
		name    string
		answer  func(*fakeGateway) func(http.ResponseWriter, map[string]any)
		failed  bool   // a definitive OutcomeFailed rather than an error
		errText string // part of the error
	}{
		{name: "plaintext success", errText: "unsealed", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]any{"status": 0, "data": map[string]any{"payerID": 1}})
		}},
		{name: "sealed success without sign", errText: "unsigned", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]string{"bizContent": biz})
		}},
		{name: "sealed success signed over other bytes", errText: "does not verify", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]string{"bizContent": biz, "sign": otherSign})
		}},
		{name: "sealed success signed with the merchant key", errText: "does not verify", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]string{"bizContent": biz, "sign": merchantSign})
		}},
		{name: "bizContent that does not decrypt", errText: "does not decrypt", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]string{"bizContent": base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")), "sign": otherSign})
		}},
		{name: "sealed text that is not JSON", errText: "malformed", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]string{"bizContent": notJSON, "sign": notJSONSign})
		}},
		{name: "data of the wrong shape", errText: "malformed answer data", answer: func(g *fakeGateway) func(http.ResponseWriter, map[string]any) {
			return g.ok(map[string]any{"payerID": "one"})
		}},
		{name: "unknown status", errText: "unknown answer status 1", answer: func(g *fakeGateway) func(http.ResponseWriter, map[string]any) {
			return g.sealed(map[string]any{"status": 1})
		}},
		{name: "no status", errText: "malformed", answer: func(g *fakeGateway) func(http.ResponseWriter, map[string]any) {
			return g.sealed(map[string]any{"data": map[string]any{"payerID": 1}})
		}},
		{name: "HTTP 500", errText: "HTTP 500", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusInternalServerError, map[string]any{"status": 0})
		}},
		{name: "HTML", errText: "malformed answer", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return func(w http.ResponseWriter, _ map[string]any) { _, _ = w.Write([]byte("<html>busy</html>")) }
		}},
		{name: "plaintext INVALID_SIGN", errText: "INVALID_SIGN", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]any{"status": -1, "errorCode": "INVALID_SIGN", "errorMessage": "sign does not verify"})
		}},
		{name: "plaintext INVALID_PARAM", errText: "INVALID_PARAM", answer: func(*fakeGateway) func(http.ResponseWriter, map[string]any) {
			return raw(http.StatusOK, map[string]any{"status": -1, "errorCode": "INVALID_PARAM", "errorMessage": "malformed JSON"})
		}},
		{name: "verified DUPLICATE_ORDER", errText: "DUPLICATE_ORDER", answer: func(g *fakeGateway) func(http.ResponseWriter, map[string]any) {
			return g.sealed(map[string]any{"status": -1, "errorCode": "DUPLICATE_ORDER", "errorMessage": "order_sn already used"})
		}},
		{name: "verified INVALID_PARAM", failed: true, answer: func(g *fakeGateway) func(http.ResponseWriter, map[string]any) {
			return g.sealedBytes(fixture(t, "createorder_invalid_param.json"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c := newFakeGateway(t)
			g.set(ServiceCreatePayer, tt.answer(g))
			out, err := c.Pay(t.Context(), testPayRequest())
			if tt.failed {
				if err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineProcessingError || out.Decline.ProviderCode != "INVALID_PARAM" {
					t.Fatalf("Pay = %+v, %v; want failed with processing_error", out, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Pay = %+v, want an error", out)
			}
			if !strings.HasPrefix(err.Error(), "payorder: createPayer") || !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("error %q, want it to name createPayer and contain %q", err, tt.errText)
			}
			if len(g.recorded()) != 1 {
				t.Errorf("Pay went on after an untrusted answer: %d calls", len(g.recorded()))
			}
		})
	}
}

func TestCardSessionAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer func(http.ResponseWriter, map[string]any)
		failed bool
	}{
		{"400 invalid card", raw(http.StatusBadRequest, map[string]string{"errorName": "bodyDoesNotMatchSchema"}), true},
		{"401 bad identity", raw(http.StatusUnauthorized, map[string]string{"errorName": "unauthorized"}), false},
		{"500", raw(http.StatusInternalServerError, map[string]string{}), false},
		{"201 without href", raw(http.StatusCreated, map[string]string{}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c := newFakeGateway(t)
			g.set("/sessions/card", tt.answer)
			out, err := c.Pay(t.Context(), testPayRequest())
			if tt.failed != (err == nil && out.Status == checkout.OutcomeFailed) {
				t.Errorf("Pay = %+v, %v; want failed=%v", out, err, tt.failed)
			}
			if err == nil && out.Decline.Code != checkout.DeclineProcessingError {
				t.Errorf("decline = %s", out.Decline.Code)
			}
		})
	}
}

func TestPayRefusesWhatItCannotServe(t *testing.T) {
	g, c := newFakeGateway(t)
	for name, change := range map[string]func(*checkout.PayRequest){
		"wallet":      func(r *checkout.PayRequest) { r.Method = checkout.MethodWallet },
		"no card":     func(r *checkout.PayRequest) { r.Card = nil },
		"EUR":         func(r *checkout.PayRequest) { r.Amount.Currency = "EUR" },
		"saved cards": func(r *checkout.PayRequest) { r.Method = checkout.MethodSavedCard },
	} {
		req := testPayRequest()
		change(&req)
		out, err := c.Pay(t.Context(), req)
		if err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineNotSupported {
			t.Errorf("%s: Pay = %+v, %v; want not_supported", name, out, err)
		}
	}
	if n := len(g.recorded()); n != 0 {
		t.Errorf("%d calls for payments the adapter cannot serve", n)
	}
}

func TestPayWithoutDeviceDataIsUnknown(t *testing.T) {
	for name, data := range map[string]map[string]any{
		"no deviceDataCollection": {"outcome": "initialized", "transactionReference": "t"},
		"other outcome":           {"outcome": "authorized", "transactionReference": "t", "deviceDataCollection": map[string]string{"url": "https://d", "jwt": "j"}},
		"no transaction":          {"outcome": "initialized", "deviceDataCollection": map[string]string{"url": "https://d", "jwt": "j"}},
	} {
		g, c := newFakeGateway(t)
		g.set(ServiceCheckoutOrder, g.ok(data))
		if out, err := c.Pay(t.Context(), testPayRequest()); err == nil {
			t.Errorf("%s: Pay = %+v, want an error", name, out)
		}
	}
}

func TestContinueAfterDeviceData(t *testing.T) {
	g, c := newFakeGateway(t)
	g.set(ServicePayOrder, g.sealedBytes(fixture(t, "payorder_authorized.json")))
	p := checkedOut()
	out, err := c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueDeviceData, Values: url.Values{"SessionId": {"0_797c4992-0793-4034-846e-e63cb50a84fa"}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != checkout.OutcomeSucceeded || out.ThreeDS.Flow != checkout.FlowFrictionless {
		t.Errorf("Continue = %+v", out)
	}
	want := map[string]any{
		"order_sn": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "linkID": "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1",
		"transactionReference": "8e9dfeb7-7aa2-4da2-88d8-5e30ad4ef056", "sessionId": "0_797c4992-0793-4034-846e-e63cb50a84fa",
		"userAgent":           p.Browser.UserAgent,
		"returnUrl":           "https://pay.example.com/c/cs_1/return/pay_1",
		"challengeWindowSize": "250x400", "challengePreference": "noPreference",
		"acceptHeader": "text/html", "browserLanguage": "en-GB", "ipAddress": "192.0.2.10",
		"browserScreenWidth": 1920.0, "browserScreenHeight": 1080.0, "browserColorDepth": 24.0, "browserTimeZone": 0.0,
		"browserJavaEnabled": false, "browserJavascriptEnabled": true,
	}
	if got := g.last(t, ServicePayOrder).fields; !reflect.DeepEqual(got, want) {
		t.Errorf("payOrder body =\n%v\nwant\n%v", got, want)
	}

	// A timed-out collection or a tampered value becomes "no device data".
	for _, sid := range []string{"", "<script>", strings.Repeat("a", 101)} {
		if _, err := c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueDeviceData, Values: url.Values{"SessionId": {sid}}}); err != nil {
			t.Fatal(err)
		}
		if got := g.last(t, ServicePayOrder).fields["sessionId"]; got != "" {
			t.Errorf("SessionId %q sent as %q", sid, got)
		}
	}
}

func TestContinueAfterChallenge(t *testing.T) {
	g, c := newFakeGateway(t)
	g.set(ServicePayOrder, g.sealedBytes(fixture(t, "payorder_challenged.json")))
	p := checkedOut()
	out, err := c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueDeviceData, Values: url.Values{}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != checkout.OutcomeActionRequired || out.Action.Kind != checkout.ActionChallenge || out.ProviderData[keyChallengeReference] == "" {
		t.Fatalf("Continue = %+v", out)
	}

	// Without the stored reference there is nothing to verify.
	if _, err := c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueChallenge}); err == nil {
		t.Error("continued a challenge the payment never had")
	}

	// The verification service name comes from the config.
	c.verifyService = "verifyPayOrder"
	g.set("verifyPayOrder", g.sealedBytes(fixture(t, "payorder_authorized.json")))
	p.ProviderData[keyChallengeReference] = out.ProviderData[keyChallengeReference]
	out, err = c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueChallenge, Values: url.Values{"MD": {"x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != checkout.OutcomeSucceeded || out.ThreeDS.Flow != checkout.FlowChallenge {
		t.Errorf("Continue = %+v", out)
	}
	want := map[string]any{
		"order_sn": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "linkID": "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1",
		"transactionReference": "8e9dfeb7-7aa2-4da2-88d8-5e30ad4ef056", "challengeReference": "AB12CD34EF56GH78IJ90",
	}
	if got := g.last(t, "verifyPayOrder").fields; !reflect.DeepEqual(got, want) {
		t.Errorf("verify body = %v, want %v", got, want)
	}

	if _, err := c.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueRedirect}); err == nil {
		t.Error("continued after a redirect payorder never asks for")
	}
	if _, err := c.Continue(t.Context(), checkout.Payment{}, checkout.Continuation{Kind: checkout.ContinueDeviceData}); err == nil {
		t.Error("continued a payment without an order")
	}
}

func TestInquire(t *testing.T) {
	g, c := newFakeGateway(t)
	g.set(ServiceQueryOrder, g.sealedBytes(fixture(t, "queryorder_failed.json")))
	out, err := c.Inquire(t.Context(), checkedOut())
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineProcessingError {
		t.Errorf("Inquire = %+v", out)
	}
	want := map[string]any{"order_sn": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "linkID": "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1"}
	if got := g.last(t, ServiceQueryOrder).fields; !reflect.DeepEqual(got, want) {
		t.Errorf("queryOrder body = %v, want %v", got, want)
	}

	// Pay never returned an order: payOrder was never sent, so nothing can
	// have been charged, and there is nothing to ask.
	calls := len(g.recorded())
	out, err = c.Inquire(t.Context(), checkout.Payment{ID: "pay_x"})
	if err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineProcessingError {
		t.Errorf("Inquire without an order = %+v, %v", out, err)
	}
	if len(g.recorded()) != calls {
		t.Error("Inquire called the gateway for a payment without an order")
	}
}

// An order the gateway still reports as initialized (payOrder answered
// 5xx, or the shopper left) is pending at first, then failed with nothing
// charged once the payment is older than StaleAfter.
func TestInquireStaleInitializedOrder(t *testing.T) {
	g, c := newFakeGateway(t)
	g.set(ServiceQueryOrder, g.ok(map[string]any{"order_sn": "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "outcome": OutcomeInitialized}))
	p := checkedOut()
	p.CreatedAt = time.Now().Add(-time.Minute)
	if out, err := c.Inquire(t.Context(), p); err != nil || out.Status != checkout.OutcomePending {
		t.Fatalf("a minute old: %+v %v, want pending", out, err)
	}
	p.CreatedAt = time.Now().Add(-11 * time.Minute)
	if out, err := c.Inquire(t.Context(), p); err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineProcessingError {
		t.Fatalf("eleven minutes old: %+v %v, want failed", out, err)
	}
}
