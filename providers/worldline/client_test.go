package worldline

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

func TestNewValidatesConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"no base URL":         {func(c *Config) { c.BaseURL = "" }, "BaseURL"},
		"relative base URL":   {func(c *Config) { c.BaseURL = "/v1" }, "BaseURL"},
		"base URL with query": {func(c *Config) { c.BaseURL = "https://x.test/?a=b" }, "BaseURL"},
		"no merchant id":      {func(c *Config) { c.MerchantID = "" }, "MerchantID"},
		"merchant id path":    {func(c *Config) { c.MerchantID = "12/34" }, "MerchantID"},
		"no API key id":       {func(c *Config) { c.APIKeyID = " " }, "APIKeyID"},
		"no secret API key":   {func(c *Config) { c.SecretAPIKey = "" }, "SecretAPIKey"},
		"webhook id alone":    {func(c *Config) { c.WebhookSecret = "" }, "WebhookSecret"},
		"webhook secret only": {func(c *Config) { c.WebhookKeyID = "" }, "WebhookKeyID"},
		"lowercase country":   {func(c *Config) { c.DefaultCountry = "nl" }, "DefaultCountry"},
		"unknown currency":    {func(c *Config) { c.Currencies = []string{"EUR", "XYZ"} }, "Currencies"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig("https://eu.sandbox.api-ingenico.com", time.Second)
			tc.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.HasPrefix(err.Error(), "worldline: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), testSecretAPIKey) {
				t.Error("the error quotes the secret")
			}
		})
	}
	c, err := New(Config{BaseURL: "https://eu.sandbox.api-ingenico.com/", MerchantID: "1", APIKeyID: "k", SecretAPIKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.defaultCountry != "NL" || c.http == nil || c.now == nil {
		t.Errorf("defaults not applied: country %q", c.defaultCountry)
	}
	caps := c.Capabilities()
	if c.Name() != "worldline" || !caps.Supports(checkout.MethodCard) || !caps.ManualCapture || !caps.SupportsCurrency("JPY") {
		t.Errorf("capabilities = %+v", caps)
	}
	c, _ = New(testConfig("https://x.test", time.Second))
	c.currencies = []string{"EUR"}
	if c.Capabilities().SupportsCurrency("USD") {
		t.Error("USD supported with Currencies [EUR]")
	}
}

// checkSigned asserts the headers every request carries.
func checkSigned(t *testing.T, r request, contentType, idempotenceKey string) {
	t.Helper()
	if got := r.header.Get("Date"); got != "Sat, 14 Mar 2026 15:09:26 GMT" {
		t.Errorf("%s %s: Date = %q", r.method, r.path, got)
	}
	if got := r.header.Get("Content-Type"); got != contentType {
		t.Errorf("%s %s: Content-Type = %q, want %q", r.method, r.path, got, contentType)
	}
	if got := r.header.Get(HeaderIdempotenceKey); got != idempotenceKey {
		t.Errorf("%s %s: %s = %q, want %q", r.method, r.path, HeaderIdempotenceKey, got, idempotenceKey)
	}
	if !strings.HasPrefix(r.header.Get("Authorization"), "GCS v1HMAC:"+testAPIKeyID+":") {
		t.Errorf("%s %s: Authorization = %q", r.method, r.path, r.header.Get("Authorization"))
	}
	u := &url.URL{Path: r.path, RawQuery: r.query}
	secrets := func(id string) (string, bool) { return testSecretAPIKey, id == testAPIKeyID }
	if _, ok := VerifyAuthorization(r.header.Get("Authorization"), secrets, StringToSign(r.method, contentType, r.header.Get("Date"), r.header, u)); !ok {
		t.Errorf("%s %s: Authorization does not verify", r.method, r.path)
	}
	raw, err := base64.StdEncoding.DecodeString(r.header.Get(HeaderServerMetaInfo))
	var meta map[string]string
	if err != nil || json.Unmarshal(raw, &meta) != nil || meta["sdkIdentifier"] != "opencheckout-hostedcheckout" || meta["integrator"] != "opencheckout" || meta["platformIdentifier"] == "" {
		t.Errorf("%s = %q (%s)", HeaderServerMetaInfo, r.header.Get(HeaderServerMetaInfo), raw)
	}
}

func TestPayCreatesAndApproves(t *testing.T) {
	f, c := newFake(t)
	f.on("POST", "/payments", created(paymentObj(StatusPendingApproval), nil))
	f.on("POST", "/payments/"+testRef+"/approve", envelope(paymentObj(StatusCaptureRequested, func(p obj) {
		delete(p["paymentOutput"].(obj)["cardPaymentMethodSpecificOutput"].(obj), "threeDSecureResults")
	})))
	req := testPayRequest()

	out, err := c.Pay(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != checkout.OutcomeSucceeded || out.ProviderRef != testRef {
		t.Fatalf("outcome = %s ref %q, want succeeded %s", out.Status, out.ProviderRef, testRef)
	}
	if out.ProviderData[keyPaymentID] != testRef || out.ProviderData[keyStatus] != StatusCaptureRequested {
		t.Errorf("provider data = %v", out.ProviderData)
	}
	want3DS := checkout.ThreeDSResult{Version: "2.2.0", ECI: "05", TransactionID: "f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
		AuthenticationValuePresent: true, Flow: checkout.FlowFrictionless, Status: "Y"}
	if out.ThreeDS == nil || *out.ThreeDS != want3DS {
		t.Errorf("3DS = %+v, want the create answer's %+v", out.ThreeDS, want3DS)
	}

	calls := f.calls()
	if len(calls) != 2 {
		t.Fatalf("%d requests, want create and approve", len(calls))
	}
	create, approve := calls[0], calls[1]
	if create.method != "POST" || create.path != "/v1/1234/payments" || create.query != "" {
		t.Errorf("create = %s %s?%s", create.method, create.path, create.query)
	}
	checkSigned(t, create, "application/json", testPaymentID)
	wantBody := obj{
		"cardPaymentMethodSpecificInput": obj{
			"card":               obj{"cardNumber": testPAN, "cvv": testCVC, "expiryDate": "1231", "cardholderName": "Wile E. Coyote"},
			"paymentProductId":   1.0,
			"isRecurring":        false,
			"transactionChannel": "ECOMMERCE",
			"requiresApproval":   true,
			"threeDSecure": obj{
				"authenticationFlow":  "browser",
				"challengeIndicator":  "no-preference",
				"challengeCanvasSize": "600x400",
				"skipAuthentication":  false,
				"redirectionData":     obj{"returnUrl": req.ReturnURL},
			},
		},
		"order": obj{
			"amountOfMoney": obj{"amount": 1234.0, "currencyCode": "EUR"},
			"customer": obj{
				"accountType":        "none",
				"billingAddress":     obj{"countryCode": "US"},
				"contactDetails":     obj{"emailAddress": "jane.doe@example.com"},
				"merchantCustomerId": "cust-42",
				"locale":             "en_US",
				"device": obj{
					"acceptHeader":             req.Browser.AcceptHeader,
					"ipAddress":                "203.0.113.7",
					"locale":                   "en-US",
					"userAgent":                req.Browser.UserAgent,
					"timezoneOffsetUtcMinutes": "-60",
					"browserData": obj{
						"colorDepth":        24.0,
						"javaEnabled":       false,
						"javaScriptEnabled": true,
						"screenHeight":      "900",
						"screenWidth":       "1440",
						"innerHeight":       "760",
						"innerWidth":        "1280",
					},
				},
			},
			"references": obj{"merchantReference": testPaymentID, "descriptor": "order-1001"},
		},
	}
	if !reflect.DeepEqual(create.fields, wantBody) {
		got, _ := json.MarshalIndent(create.fields, "", "  ")
		want, _ := json.MarshalIndent(wantBody, "", "  ")
		t.Errorf("create body:\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(string(create.body), `"amount":1234,`) {
		t.Errorf("the amount is not a JSON integer: %s", create.body)
	}

	if approve.method != "POST" || approve.path != "/v1/1234/payments/"+testRef+"/approve" {
		t.Errorf("approve = %s %s", approve.method, approve.path)
	}
	checkSigned(t, approve, "application/json", testPaymentID+"-approve")
	if !reflect.DeepEqual(approve.fields, obj{"amount": 1234.0}) {
		t.Errorf("approve body = %s", approve.body)
	}
}

// TestCreateBodyHasTheSeedShape checks that every property of the seed's
// example request (bar merchantOrderId, which we do not use) is in ours.
func TestCreateBodyHasTheSeedShape(t *testing.T) {
	var seed, ours obj
	if err := json.Unmarshal(readTestdata(t, "seed_create_request.json"), &seed); err != nil {
		t.Fatal(err)
	}
	c := mustClient(t, "https://x.test", time.Second)
	b, _ := json.Marshal(c.createBody(testPayRequest(), 1))
	_ = json.Unmarshal(b, &ours)
	have := map[string]bool{}
	for _, p := range paths("", ours) {
		have[p] = true
	}
	for _, p := range paths("", seed) {
		if p != "order.references.merchantOrderId" && !have[p] {
			t.Errorf("the seed's %s is missing from our request", p)
		}
	}
}

func paths(prefix string, v any) []string {
	m, ok := v.(obj)
	if !ok {
		return []string{prefix}
	}
	var out []string
	for k, child := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, paths(p, child)...)
	}
	return out
}

func TestCreateBodyVariants(t *testing.T) {
	c := mustClient(t, "https://x.test", time.Second)
	body := func(edit func(*checkout.PayRequest)) obj {
		req := testPayRequest()
		edit(&req)
		b, _ := json.Marshal(c.createBody(req, 1))
		var m obj
		_ = json.Unmarshal(b, &m)
		return m
	}
	get := func(m obj, path string) any {
		var v any = m
		for _, k := range strings.Split(path, ".") {
			o, ok := v.(obj)
			if !ok {
				return nil
			}
			if v, ok = o[k]; !ok {
				return nil
			}
		}
		return v
	}
	const tds = "cardPaymentMethodSpecificInput.threeDSecure."
	const cust = "order.customer."
	for name, tc := range map[string]struct {
		edit func(*checkout.PayRequest)
		want map[string]any // nil value: absent
	}{
		"challenge requested":    {func(r *checkout.PayRequest) { r.ThreeDS = checkout.ThreeDSChallengeRequested }, map[string]any{tds + "challengeIndicator": "challenge-requested"}},
		"no challenge requested": {func(r *checkout.PayRequest) { r.ThreeDS = checkout.ThreeDSNoChallengeRequested }, map[string]any{tds + "challengeIndicator": "no-challenge-requested"}},
		"no 3DS preference":      {func(r *checkout.PayRequest) { r.ThreeDS = "" }, map[string]any{tds + "challengeIndicator": "no-preference"}},
		"no window size":         {func(r *checkout.PayRequest) { r.ChallengeWindow = checkout.WindowSize{} }, map[string]any{tds + "challengeCanvasSize": "390x400"}},
		"full screen":            {func(r *checkout.PayRequest) { r.ChallengeWindow = checkout.WindowSize{Code: "05"} }, map[string]any{tds + "challengeCanvasSize": "full-screen"}},
		"odd window size":        {func(r *checkout.PayRequest) { r.ChallengeWindow = checkout.WindowSize{Width: 1, Height: 2} }, map[string]any{tds + "challengeCanvasSize": "390x400"}},
		"locale without region": {func(r *checkout.PayRequest) { r.Locale = "nl" }, map[string]any{
			cust + "billingAddress.countryCode": "NL", cust + "locale": "nl_NL"}},
		"locale with script": {func(r *checkout.PayRequest) { r.Locale = "zh-Hant-TW"; r.Browser.Language = "zh-Hant-TW" }, map[string]any{
			cust + "billingAddress.countryCode": "TW", cust + "locale": "zh_TW", cust + "device.locale": "zh-TW"}},
		"no browser language": {func(r *checkout.PayRequest) { r.Locale = "fr-CA"; r.Browser.Language = "" }, map[string]any{
			cust + "device.locale": "fr-CA", cust + "locale": "fr_CA"}},
		"unknown browser values": {func(r *checkout.PayRequest) {
			b := &r.Browser
			b.ColorDepth, b.ScreenWidth, b.ScreenHeight, b.InnerWidth, b.InnerHeight, b.TimezoneOffset, b.JavaScriptEnabled = 0, 0, 0, 0, 0, 0, false
		}, map[string]any{
			cust + "device.browserData.colorDepth": nil, cust + "device.browserData.screenWidth": nil,
			cust + "device.browserData.screenHeight": nil, cust + "device.browserData.innerWidth": nil,
			cust + "device.browserData.innerHeight": nil, cust + "device.timezoneOffsetUtcMinutes": "0",
			cust + "device.browserData.javaScriptEnabled": false, cust + "device.browserData.javaEnabled": false}},
		"odd colour depth": {func(r *checkout.PayRequest) { r.Browser.ColorDepth = 23; r.Browser.TimezoneOffset = 300 }, map[string]any{
			cust + "device.browserData.colorDepth": nil, cust + "device.timezoneOffsetUtcMinutes": "300"}},
		"no email or reference": {func(r *checkout.PayRequest) { r.Customer = checkout.Customer{} }, map[string]any{
			cust + "contactDetails": nil, cust + "merchantCustomerId": nil}},
		"long customer reference": {func(r *checkout.PayRequest) { r.Customer.Reference = "customer-0000000001" }, map[string]any{
			cust + "merchantCustomerId": nil}},
		"long merchant reference": {func(r *checkout.PayRequest) { r.MerchantReference = strings.Repeat("é", 300) }, map[string]any{
			"order.references.descriptor": strings.Repeat("é", 256)}},
		"no merchant reference": {func(r *checkout.PayRequest) { r.MerchantReference = "" }, map[string]any{
			"order.references.descriptor": nil}},
		"long cardholder name": {func(r *checkout.PayRequest) { r.Card.Holder = strings.Repeat("A", 60) }, map[string]any{
			"cardPaymentMethodSpecificInput.card.cardholderName": strings.Repeat("A", 51)}},
		"January expiry": {func(r *checkout.PayRequest) { r.Card.ExpMonth, r.Card.ExpYear = 1, 2030 }, map[string]any{
			"cardPaymentMethodSpecificInput.card.expiryDate": "0130"}},
	} {
		t.Run(name, func(t *testing.T) {
			m := body(tc.edit)
			for path, want := range tc.want {
				if got := get(m, path); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}

func TestPayUnsupported(t *testing.T) {
	f, c := newFake(t)
	c.currencies = []string{"EUR"}
	for name, edit := range map[string]func(*checkout.PayRequest){
		"wallet":       func(r *checkout.PayRequest) { r.Method = checkout.MethodWallet; r.Card = nil },
		"no card":      func(r *checkout.PayRequest) { r.Card = nil },
		"currency":     func(r *checkout.PayRequest) { r.Amount.Currency = "USD" },
		"Discover":     func(r *checkout.PayRequest) { r.Card.Number = "6011111111111117" },
		"unknown card": func(r *checkout.PayRequest) { r.Card.Number = "9999999999999995" },
	} {
		req := testPayRequest()
		edit(&req)
		out, err := c.Pay(t.Context(), req)
		t.Run(name, func(t *testing.T) { mustFail(t, out, err, checkout.DeclineNotSupported) })
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("%d requests for payments the adapter cannot make", n)
	}
	for brand, want := range map[string]float64{"378282246310005": 2, "5555555555554444": 3, "3530111333300000": 125, "36227206271667": 132} {
		req := testPayRequest()
		req.Card.Number = brand
		b, _ := json.Marshal(c.createBody(req, paymentProducts[req.Card.Brand()]))
		var m obj
		_ = json.Unmarshal(b, &m)
		if got := m["cardPaymentMethodSpecificInput"].(obj)["paymentProductId"]; got != want {
			t.Errorf("%s: paymentProductId = %v, want %v", req.Card.Brand(), got, want)
		}
	}
}

func TestPayManualCaptureDoesNotApprove(t *testing.T) {
	f, c := newFake(t)
	f.on("POST", "/payments", created(paymentObj(StatusPendingApproval), nil))
	req := testPayRequest()
	req.CaptureMode = checkout.CaptureManual
	out, err := c.Pay(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != checkout.OutcomeAuthorized || out.ProviderRef != testRef || out.ThreeDS == nil || out.ThreeDS.ECI != "05" {
		t.Fatalf("outcome = %s %+v, want authorized with 3DS", out.Status, out.ThreeDS)
	}
	if n := len(f.calls()); n != 1 {
		t.Fatalf("%d requests, want the create only", n)
	}
}

func TestPayRedirectThenContinue(t *testing.T) {
	for _, mode := range []checkout.CaptureMode{checkout.CaptureAutomatic, checkout.CaptureManual} {
		t.Run(string(mode), func(t *testing.T) {
			f, c := newFake(t)
			const mac = "d317d15e-0fb5-48ef-b177-cbebb282ff0d"
			redirectURL := "https://sandbox.example.com/3dsecure/0be7decc?returnMAC=" + mac
			f.on("POST", "/payments", created(paymentObj(StatusRedirected, func(p obj) {
				delete(p["paymentOutput"].(obj)["cardPaymentMethodSpecificOutput"].(obj), "threeDSecureResults")
				p["statusOutput"].(obj)["threeDSecureStatus"] = ThreeDSecureEnrolled
			}), redirect(mac, redirectURL)))
			challenged := func(p obj) {
				p["paymentOutput"].(obj)["cardPaymentMethodSpecificOutput"].(obj)["threeDSecureResults"].(obj)["threeDSecureData"].(obj)["method"] = "challenged"
			}
			f.on("GET", "/payments/"+testRef, jsonReply(200, paymentObj(StatusPendingApproval, challenged)))
			f.on("POST", "/payments/"+testRef+"/approve", envelope(paymentObj(StatusCaptureRequested, challenged)))
			req := testPayRequest()
			req.CaptureMode = mode

			out, err := c.Pay(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != checkout.OutcomeActionRequired || out.Action == nil || out.Action.Kind != checkout.ActionRedirect || out.Action.URL != redirectURL {
				t.Fatalf("outcome = %s %+v, want a redirect to %s", out.Status, out.Action, redirectURL)
			}
			if out.Action.Expects() != checkout.ContinueRedirect || out.ProviderData[keyReturnMAC] != mac || out.ProviderData[keyStatus] != StatusRedirected {
				t.Fatalf("provider data = %v", out.ProviderData)
			}
			p := testPayment(mode, out)

			// A return with another RETURNMAC is refused before anything is read.
			wrong := checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {"x" + mac[1:]}, "REF": {testRef}}}
			if _, err := c.Continue(t.Context(), p, wrong); err == nil {
				t.Fatal("a return with the wrong RETURNMAC was accepted")
			}
			if n := len(f.calls()); n != 1 {
				t.Fatalf("%d requests after a forged return", n)
			}

			back := checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {mac}, "REF": {"other"}, "paymentId": {"other"}}}
			out, err = c.Continue(t.Context(), p, back)
			if err != nil {
				t.Fatal(err)
			}
			calls := f.calls()
			get := calls[1]
			if get.method != "GET" || get.path != "/v1/1234/payments/"+testRef || len(get.body) != 0 {
				t.Errorf("continue read = %s %s %q", get.method, get.path, get.body)
			}
			checkSigned(t, get, "", "")
			want, wantCalls := checkout.OutcomeAuthorized, 2
			if mode == checkout.CaptureAutomatic {
				want, wantCalls = checkout.OutcomeSucceeded, 3
			}
			if out.Status != want || len(calls) != wantCalls {
				t.Fatalf("after the return: %s with %d requests, want %s with %d", out.Status, len(calls), want, wantCalls)
			}
			if out.ThreeDS == nil || out.ThreeDS.Flow != checkout.FlowChallenge || !out.ThreeDS.LiabilityShift() {
				t.Errorf("3DS = %+v, want a challenge with liability shift", out.ThreeDS)
			}
		})
	}
}

func TestCheckReturn(t *testing.T) {
	c := mustClient(t, "https://x.test", time.Second)
	const mac = "a59255a0-2d1e-4b65-ad8e-7666d9eaa51a"
	stored := checkout.Payment{ID: testPaymentID, ProviderRef: testRef, ProviderData: map[string]string{keyReturnMAC: mac}}
	for name, tc := range map[string]struct {
		p    checkout.Payment
		c    checkout.Continuation
		want bool
	}{
		"right MAC":            {stored, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {mac}}}, true},
		"wrong MAC":            {stored, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {strings.ToUpper(mac)}}}, false},
		"MAC prefix":           {stored, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {mac[:10]}}}, false},
		"missing MAC":          {stored, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"REF": {testRef}}}, false},
		"empty MAC":            {stored, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {""}}}, false},
		"two MACs":             {stored, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {mac, "x"}}}, false},
		"lowercase name":       {stored, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"returnmac": {mac}}}, false},
		"nothing stored":       {checkout.Payment{ID: testPaymentID}, checkout.Continuation{Kind: checkout.ContinueRedirect, Values: url.Values{"RETURNMAC": {""}}}, false},
		"not a redirect":       {stored, checkout.Continuation{Kind: checkout.ContinueChallenge, Values: url.Values{"RETURNMAC": {mac}}}, false},
		"stored, no MAC given": {stored, checkout.Continuation{Kind: checkout.ContinueRedirect}, false},
	} {
		t.Run(name, func(t *testing.T) {
			err := c.CheckReturn(tc.p, tc.c)
			if (err == nil) != tc.want {
				t.Fatalf("CheckReturn = %v, want ok %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), mac) {
				t.Errorf("the error quotes the RETURNMAC: %v", err)
			}
		})
	}
}

func TestPayErrorAnswers(t *testing.T) {
	declinedBody := func(status int, code string, p obj, action obj) reply {
		result := obj{"creationOutput": obj{}, "payment": p}
		if action != nil {
			result["merchantAction"] = action
		}
		return apiErr(status, code, "", func(b obj) { b["paymentResult"] = result })
	}
	for name, tc := range map[string]struct {
		reply    reply
		decline  checkout.DeclineCode // failed with this code, or
		errParts []string             // an error mentioning these
	}{
		"402 issuer decline":      {reply: declinedBody(402, "430396", paymentObj(StatusRejected, withErrors("430396")), nil), decline: checkout.DeclineInsufficientFunds},
		"402 codes only on top":   {reply: declinedBody(402, "430306", paymentObj(StatusRejected), nil), decline: checkout.DeclineExpiredCard},
		"402 without status":      {reply: declinedBody(402, "430360", obj{"id": testRef}, nil), decline: checkout.DeclineIncorrectCVC},
		"402 3DS failed":          {reply: declinedBody(402, "401025", paymentObj(StatusRejected, withErrors("401025"), with3DSStatus(ThreeDSecureNotCompleted, 180)), nil), decline: checkout.DeclineAuthenticationFailed},
		"402 the seed's body":     {reply: reply{status: 402, body: string(readTestdata(t, "error_402_5550_authentication_failed.json"))}, decline: checkout.DeclineAuthenticationFailed},
		"409 with paymentResult":  {reply: declinedBody(409, "430285", paymentObj(StatusRejected, withErrors("430285")), nil), decline: checkout.DeclineGeneric},
		"402 yet authorized":      {reply: declinedBody(402, "430285", paymentObj(StatusPendingApproval), nil), errParts: []string{"HTTP 402", "430285", StatusPendingApproval}},
		"402 without result":      {reply: apiErr(402, "430285", ""), errParts: []string{"HTTP 402", "430285"}},
		"400 validation":          {reply: apiErr(400, "21000020", "", func(b obj) { b["errors"].([]obj)[0]["propertyName"] = "order.amountOfMoney.amount" }), decline: checkout.DeclineProcessingError},
		"403 bad signature":       {reply: apiErr(403, "9002", "MISSING_OR_INVALID_AUTHORIZATION"), errParts: []string{"create payment", "HTTP 403", "9002", "MISSING_OR_INVALID_AUTHORIZATION", "errorId 5d23642a18a1c3fe481964da5a96df5f"}},
		"401":                     {reply: apiErr(401, "9002", ""), errParts: []string{"HTTP 401"}},
		"404":                     {reply: apiErr(404, "1002", "UNKNOWN_PAYMENT_ID"), errParts: []string{"HTTP 404", "1002"}},
		"409 in progress":         {reply: apiErr(409, "1409", "DUPLICATE_REQUEST_IN_PROGRESS"), errParts: []string{"HTTP 409", "1409"}},
		"500":                     {reply: apiErr(500, "9999", ""), errParts: []string{"HTTP 500", "9999"}},
		"502 HTML":                {reply: reply{status: 502, body: "<html>Bad gateway</html>"}, errParts: []string{"HTTP 502"}},
		"timeout":                 {reply: reply{hang: true}, errParts: []string{"create payment", "no answer in time"}},
		"201 garbage":             {reply: reply{status: 201, body: `{"payment": {"id": 12`}, errParts: []string{"HTTP 201", "unreadable"}},
		"201 not JSON":            {reply: reply{status: 201, body: "OK"}, errParts: []string{"unreadable"}},
		"201 without payment":     {reply: reply{status: 201, body: `{"creationOutput":{}}`}, errParts: []string{"without a payment"}},
		"201 another reference":   {reply: created(paymentObj(StatusPendingApproval, func(p obj) { p["paymentOutput"].(obj)["references"].(obj)["merchantReference"] = "pay_other" }), nil), errParts: []string{"another merchantReference"}},
		"201 malformed id":        {reply: created(paymentObj(StatusPendingApproval, func(p obj) { p["id"] = "../x" }), nil), errParts: []string{"malformed payment id"}},
		"201 unknown status":      {reply: created(paymentObj("SOMETHING_NEW"), nil)},
		"201 redirect to script":  {reply: created(paymentObj(StatusRedirected), redirect("m", "javascript:alert(1)"))},
		"201 redirect, no action": {reply: created(paymentObj(StatusRedirected), nil)},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			c.http.Timeout = 300 * time.Millisecond
			f.on("POST", "/payments", tc.reply)
			out, err := c.Pay(t.Context(), testPayRequest())
			switch {
			case tc.decline != "":
				mustFail(t, out, err, tc.decline)
			case tc.errParts != nil:
				mustErr(t, out, err, tc.errParts...)
			default:
				if err != nil || out.Status != checkout.OutcomePending || out.Action != nil {
					t.Fatalf("outcome = %s %+v, err %v; want pending", out.Status, out.Action, err)
				}
			}
			if n := len(f.calls()); n != 1 {
				t.Errorf("%d requests, want the create only", n)
			}
		})
	}
}

func TestPayDeclineKeepsProviderRefAndCardholderInfo(t *testing.T) {
	f, c := newFake(t)
	f.on("POST", "/payments", apiErr(402, "401025", "", func(b obj) {
		b["paymentResult"] = obj{
			"merchantAction": obj{"actionType": "SHOW_TRANSACTION_RESULTS", "renderingData": "e30=",
				"showData": []obj{{"key": "CARDHOLDERINFO", "value": "Additional authentication is needed for this transaction, please contact your card issuer."}}},
			"payment": paymentObj(StatusRejected, withErrors("401025"), with3DSStatus(ThreeDSecureNotCompleted, 180)),
		}
	}))
	out, err := c.Pay(t.Context(), testPayRequest())
	mustFail(t, out, err, checkout.DeclineAuthenticationFailed)
	if out.ProviderRef != testRef || out.Decline.ProviderCode != "401025" || out.ThreeDS == nil || out.ThreeDS.Status != "N" {
		t.Errorf("outcome = ref %q decline %+v 3DS %+v", out.ProviderRef, out.Decline, out.ThreeDS)
	}
	if out.ShopperMessage != "Additional authentication is needed for this transaction, please contact your card issuer." {
		t.Errorf("shopper message = %q", out.ShopperMessage)
	}
}

func TestApproveAnswers(t *testing.T) {
	approvePath := "/payments/" + testRef + "/approve"
	for name, tc := range map[string]struct {
		approve  reply
		get      *reply
		want     checkout.OutcomeStatus
		errParts []string
	}{
		"captured":               {approve: envelope(paymentObj(StatusCaptured)), want: checkout.OutcomeSucceeded},
		"paid":                   {approve: envelope(paymentObj(StatusPaid)), want: checkout.OutcomeSucceeded},
		"rejected capture":       {approve: envelope(paymentObj(StatusRejectedCapture)), want: checkout.OutcomeFailed},
		"still pending approval": {approve: envelope(paymentObj(StatusPendingApproval)), want: checkout.OutcomePending},
		"wrong state, captured":  {approve: apiErr(409, "300450", ""), get: new(jsonReply(200, paymentObj(StatusCaptured))), want: checkout.OutcomeSucceeded},
		"wrong state, cancelled": {approve: apiErr(409, "300450", ""), get: new(jsonReply(200, paymentObj(StatusCancelled))), want: checkout.OutcomeCanceled},
		"wrong state, waiting":   {approve: apiErr(409, "300450", ""), get: new(jsonReply(200, paymentObj(StatusPendingApproval))), want: checkout.OutcomePending},
		"wrong state, read fails": {approve: apiErr(409, "300450", ""), get: new(apiErr(500, "9999", "")),
			errParts: []string{"get payment", "HTTP 500"}},
		"in progress":           {approve: apiErr(409, "1409", ""), errParts: []string{"approve payment", "HTTP 409", "1409"}},
		"server error":          {approve: apiErr(500, "9999", ""), errParts: []string{"approve payment", "HTTP 500"}},
		"unreadable":            {approve: reply{status: 200, body: "{"}, errParts: []string{"approve payment", "unreadable"}},
		"about another payment": {approve: envelope(paymentObj(StatusCaptured, func(p obj) { p["id"] = "999" })), errParts: []string{"not " + testRef}},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			f.on("POST", "/payments", created(paymentObj(StatusPendingApproval), nil))
			f.on("POST", approvePath, tc.approve)
			if tc.get != nil {
				f.on("GET", "/payments/"+testRef, *tc.get)
			}
			out, err := c.Pay(t.Context(), testPayRequest())
			if tc.errParts != nil {
				mustErr(t, out, err, tc.errParts...)
				return
			}
			if err != nil || out.Status != tc.want {
				t.Fatalf("outcome = %s, err %v; want %s", out.Status, err, tc.want)
			}
			if tc.want == checkout.OutcomeFailed && (out.Decline == nil || out.Decline.Code != checkout.DeclineGeneric) {
				t.Errorf("decline = %+v", out.Decline)
			}
		})
	}

	t.Run("amount differs", func(t *testing.T) {
		f, c := newFake(t)
		f.on("POST", "/payments", created(paymentObj(StatusPendingApproval, func(p obj) {
			p["paymentOutput"].(obj)["amountOfMoney"] = obj{"amount": 99999, "currencyCode": "EUR"}
		}), nil))
		out, err := c.Pay(t.Context(), testPayRequest())
		mustErr(t, out, err, "not approving")
		if n := len(f.calls()); n != 1 {
			t.Errorf("%d requests: approved a payment for another amount", n)
		}
	})
}

func TestInquire(t *testing.T) {
	findPath := "/payments"
	for name, tc := range map[string]struct {
		mode     checkout.CaptureMode
		ref      string
		replies  map[string]reply // "METHOD path" -> reply
		want     checkout.OutcomeStatus
		decline  checkout.DeclineCode
		errParts []string
		calls    []string
	}{
		"by id, manual": {mode: checkout.CaptureManual, ref: testRef,
			replies: map[string]reply{"GET /payments/" + testRef: jsonReply(200, paymentObj(StatusPendingApproval))},
			want:    checkout.OutcomeAuthorized, calls: []string{"GET /v1/1234/payments/" + testRef}},
		"by id, automatic approves": {mode: checkout.CaptureAutomatic, ref: testRef,
			replies: map[string]reply{"GET /payments/" + testRef: jsonReply(200, paymentObj(StatusPendingApproval)), "POST /payments/" + testRef + "/approve": envelope(paymentObj(StatusCaptureRequested))},
			want:    checkout.OutcomeSucceeded, calls: []string{"GET /v1/1234/payments/" + testRef, "POST /v1/1234/payments/" + testRef + "/approve"}},
		"by id, unset mode approves": {ref: testRef,
			replies: map[string]reply{"GET /payments/" + testRef: jsonReply(200, paymentObj(StatusPendingApproval)), "POST /payments/" + testRef + "/approve": envelope(paymentObj(StatusCaptureRequested))},
			want:    checkout.OutcomeSucceeded},
		"by id, rejected": {ref: testRef,
			replies: map[string]reply{"GET /payments/" + testRef: jsonReply(200, paymentObj(StatusRejected, withErrors("430285")))},
			want:    checkout.OutcomeFailed, decline: checkout.DeclineGeneric},
		"by id, still redirected": {ref: testRef,
			replies: map[string]reply{"GET /payments/" + testRef: jsonReply(200, paymentObj(StatusRedirected))},
			want:    checkout.OutcomePending},
		"by id, unknown payment": {ref: testRef,
			replies:  map[string]reply{"GET /payments/" + testRef: apiErr(404, "1002", "UNKNOWN_PAYMENT_ID")},
			errParts: []string{"get payment", "HTTP 404", "1002"}},
		"by id, server error": {ref: testRef,
			replies:  map[string]reply{"GET /payments/" + testRef: apiErr(503, "9999", "")},
			errParts: []string{"HTTP 503"}},
		"by id, malformed ref": {ref: "12/../34", errParts: []string{"malformed"}},
		"found one": {mode: checkout.CaptureAutomatic,
			replies: map[string]reply{"GET " + findPath: jsonReply(200, obj{"payments": []obj{paymentObj(StatusPendingApproval)}, "offset": 0, "limit": 10, "totalCount": 1}),
				"POST /payments/" + testRef + "/approve": envelope(paymentObj(StatusCaptureRequested))},
			want:  checkout.OutcomeSucceeded,
			calls: []string{"GET /v1/1234/payments?merchantReference=" + testPaymentID + "&offset=0&limit=10", "POST /v1/1234/payments/" + testRef + "/approve"}},
		"found one, manual": {mode: checkout.CaptureManual,
			replies: map[string]reply{"GET " + findPath: jsonReply(200, obj{"payments": []obj{paymentObj(StatusPendingApproval)}, "offset": 0, "limit": 10, "totalCount": 1})},
			want:    checkout.OutcomeAuthorized},
		"found none": {
			replies: map[string]reply{"GET " + findPath: jsonReply(200, obj{"payments": []obj{}, "offset": 0, "limit": 10, "totalCount": 0})},
			want:    checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"found none, no list": {
			replies: map[string]reply{"GET " + findPath: jsonReply(200, obj{"offset": 0, "limit": 10, "totalCount": 0})},
			want:    checkout.OutcomeFailed, decline: checkout.DeclineProcessingError},
		"found two": {
			replies:  map[string]reply{"GET " + findPath: jsonReply(200, obj{"payments": []obj{paymentObj(StatusRejected), paymentObj(StatusPendingApproval)}, "totalCount": 2})},
			errParts: []string{"2 payments"}},
		"found more than listed": {
			replies:  map[string]reply{"GET " + findPath: jsonReply(200, obj{"payments": []obj{paymentObj(StatusRejected)}, "totalCount": 11})},
			errParts: []string{"11 payments"}},
		"found another reference": {
			replies: map[string]reply{"GET " + findPath: jsonReply(200, obj{"payments": []obj{paymentObj(StatusCaptured, func(p obj) {
				p["paymentOutput"].(obj)["references"].(obj)["merchantReference"] = "pay_other"
			})}, "totalCount": 1})},
			errParts: []string{"another merchantReference"}},
		"find fails": {
			replies:  map[string]reply{"GET " + findPath: apiErr(500, "9999", "")},
			errParts: []string{"find payments", "HTTP 500"}},
		"find unreadable": {
			replies:  map[string]reply{"GET " + findPath: reply{status: 200, body: "[]"}},
			errParts: []string{"find payments", "unreadable"}},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			for k, r := range tc.replies {
				method, path, _ := strings.Cut(k, " ")
				f.on(method, path, r)
			}
			p := testPayment(tc.mode, checkout.Outcome{ProviderRef: tc.ref})
			out, err := c.Inquire(t.Context(), p)
			switch {
			case tc.errParts != nil:
				mustErr(t, out, err, tc.errParts...)
			case tc.decline != "":
				mustFail(t, out, err, tc.decline)
			case err != nil || out.Status != tc.want:
				t.Fatalf("outcome = %s, err %v; want %s", out.Status, err, tc.want)
			}
			if tc.calls != nil {
				var got []string
				for _, r := range f.calls() {
					s := r.method + " " + r.path
					if r.query != "" {
						s += "?" + r.query
					}
					got = append(got, s)
					if r.method == "GET" {
						checkSigned(t, r, "", "")
					}
				}
				if !slices.Equal(got, tc.calls) {
					t.Errorf("requests = %q, want %q", got, tc.calls)
				}
			}
		})
	}
}

func TestCaptureCancelRefund(t *testing.T) {
	authorized := testPayment(checkout.CaptureManual, checkout.Outcome{ProviderRef: testRef})
	authorized.Status = checkout.PaymentAuthorized

	t.Run("capture", func(t *testing.T) {
		f, c := newFake(t)
		f.on("POST", "/payments/"+testRef+"/approve", envelope(paymentObj(StatusCaptureRequested)))
		out, err := c.Capture(t.Context(), authorized)
		if err != nil || out.Status != checkout.OutcomeSucceeded {
			t.Fatalf("capture = %s, %v", out.Status, err)
		}
		r := f.calls()[0]
		checkSigned(t, r, "application/json", testPaymentID+"-approve")
		if r.path != "/v1/1234/payments/"+testRef+"/approve" || !reflect.DeepEqual(r.fields, obj{"amount": 1234.0}) {
			t.Errorf("capture request = %s %s", r.path, r.body)
		}
	})
	for name, tc := range map[string]struct {
		approve, get reply
		want         checkout.OutcomeStatus
		err          bool
	}{
		"already captured": {approve: apiErr(409, "300450", ""), get: jsonReply(200, paymentObj(StatusCaptured)), want: checkout.OutcomeSucceeded},
		"cancelled":        {approve: apiErr(409, "300450", ""), get: jsonReply(200, paymentObj(StatusCancelled)), want: checkout.OutcomeCanceled},
		"in progress":      {approve: apiErr(409, "1409", ""), err: true},
		"refused":          {approve: apiErr(400, "21000020", ""), err: true},
	} {
		t.Run("capture "+name, func(t *testing.T) {
			f, c := newFake(t)
			f.on("POST", "/payments/"+testRef+"/approve", tc.approve)
			f.on("GET", "/payments/"+testRef, tc.get)
			out, err := c.Capture(t.Context(), authorized)
			if tc.err {
				mustErr(t, out, err, "approve payment")
			} else if err != nil || out.Status != tc.want {
				t.Fatalf("capture = %s, %v; want %s", out.Status, err, tc.want)
			}
		})
	}
	t.Run("capture without a Worldline id", func(t *testing.T) {
		_, c := newFake(t)
		out, err := c.Capture(t.Context(), testPayment(checkout.CaptureManual, checkout.Outcome{}))
		mustErr(t, out, err, "no Worldline payment id")
	})

	t.Run("cancel", func(t *testing.T) {
		f, c := newFake(t)
		f.on("POST", "/payments/"+testRef+"/cancel", envelope(paymentObj(StatusCancelled)))
		out, err := c.Cancel(t.Context(), authorized)
		if err != nil || out.Status != checkout.OutcomeCanceled || out.ProviderData[keyStatus] != StatusCancelled {
			t.Fatalf("cancel = %s %v, %v", out.Status, out.ProviderData, err)
		}
		r := f.calls()[0]
		checkSigned(t, r, "application/json", testPaymentID+"-cancel")
		if r.method != "POST" || r.path != "/v1/1234/payments/"+testRef+"/cancel" || len(r.body) != 0 {
			t.Errorf("cancel request = %s %s %q", r.method, r.path, r.body)
		}
	})
	for name, tc := range map[string]struct {
		cancel, get reply
		want        checkout.OutcomeStatus
		errParts    []string
	}{
		"already captured": {cancel: apiErr(409, "300450", ""), get: jsonReply(200, paymentObj(StatusCaptured)), want: checkout.OutcomeSucceeded},
		"still authorized": {cancel: apiErr(409, "300450", ""), get: jsonReply(200, paymentObj(StatusPendingApproval)), want: checkout.OutcomeAuthorized},
		"in progress":      {cancel: apiErr(409, "1409", ""), errParts: []string{"cancel payment", "1409"}},
		"server error":     {cancel: apiErr(500, "9999", ""), errParts: []string{"cancel payment", "HTTP 500"}},
		"unreadable":       {cancel: reply{status: 200, body: "nope"}, errParts: []string{"unreadable"}},
	} {
		t.Run("cancel "+name, func(t *testing.T) {
			f, c := newFake(t)
			f.on("POST", "/payments/"+testRef+"/cancel", tc.cancel)
			f.on("GET", "/payments/"+testRef, tc.get)
			out, err := c.Cancel(t.Context(), authorized)
			if tc.errParts != nil {
				mustErr(t, out, err, tc.errParts...)
			} else if err != nil || out.Status != tc.want {
				t.Fatalf("cancel = %s, %v; want %s", out.Status, err, tc.want)
			}
		})
	}

	paid := authorized
	paid.Status = checkout.PaymentCaptured
	refund := checkout.RefundRequest{RefundID: "re_aaaabbbbccccddddeeeeffffgggghhhh", IdempotencyKey: "re_aaaabbbbccccddddeeeeffffgggghhhh", Amount: checkout.Money{Amount: 500, Currency: "EUR"}}
	refundAnswer := func(status string) reply {
		return jsonReply(201, obj{"id": testRef + "-1", "refundOutput": obj{"amountOfMoney": obj{"amount": 500, "currencyCode": "EUR"}},
			"status": status, "statusOutput": obj{"statusCategory": "PENDING_CONNECT_OR_3RD_PARTY", "statusCode": 800}})
	}
	for name, tc := range map[string]struct {
		answer   reply
		want     checkout.RefundStatus
		code     string
		errParts []string
	}{
		"requested":        {answer: refundAnswer(StatusRefundRequested), want: checkout.RefundSucceeded},
		"refunded":         {answer: refundAnswer(StatusRefunded), want: checkout.RefundSucceeded},
		"pending approval": {answer: refundAnswer(StatusPendingApproval), want: checkout.RefundPending},
		"rejected":         {answer: refundAnswer(StatusRejected), want: checkout.RefundFailed, code: StatusRejected},
		"unknown status":   {answer: refundAnswer("SOMETHING_NEW"), want: checkout.RefundPending},
		"over the amount":  {answer: apiErr(400, "300420", ""), want: checkout.RefundFailed, code: "300420"},
		"not refundable":   {answer: apiErr(409, "300450", ""), want: checkout.RefundFailed, code: "300450"},
		"bad key":          {answer: apiErr(403, "9002", ""), want: checkout.RefundFailed, code: "9002"},
		"in progress":      {answer: apiErr(409, "1409", ""), errParts: []string{"refund payment", "1409"}},
		"server error":     {answer: apiErr(500, "9999", ""), errParts: []string{"refund payment", "HTTP 500"}},
		"timeout":          {answer: reply{hang: true}, errParts: []string{"no answer in time"}},
		"unreadable":       {answer: reply{status: 201, body: "{"}, errParts: []string{"unreadable"}},
		"no status":        {answer: jsonReply(201, obj{"id": "1"}), errParts: []string{"without a status"}},
	} {
		t.Run("refund "+name, func(t *testing.T) {
			f, c := newFake(t)
			c.http.Timeout = 300 * time.Millisecond
			f.on("POST", "/payments/"+testRef+"/refund", tc.answer)
			out, err := c.Refund(t.Context(), paid, refund)
			if tc.errParts != nil {
				if err == nil {
					t.Fatalf("refund = %+v, want an error", out)
				}
				mustErr(t, checkout.Outcome{}, err, tc.errParts...)
				return
			}
			if err != nil || out.Status != tc.want || out.ProviderCode != tc.code {
				t.Fatalf("refund = %+v, %v; want %s %q", out, err, tc.want, tc.code)
			}
			if tc.want == checkout.RefundSucceeded && out.ProviderRef != testRef+"-1" {
				t.Errorf("refund ref = %q", out.ProviderRef)
			}
			r := f.calls()[0]
			checkSigned(t, r, "application/json", refund.IdempotencyKey)
			want := obj{"amountOfMoney": obj{"amount": 500.0, "currencyCode": "EUR"}, "refundReferences": obj{"merchantReference": refund.RefundID}}
			if r.path != "/v1/1234/payments/"+testRef+"/refund" || !reflect.DeepEqual(r.fields, want) {
				t.Errorf("refund request = %s %s", r.path, r.body)
			}
		})
	}
}

// TestSignedPathIsRelativeToBaseURL serves the API under a mount point that
// is stripped before the handler checks the signature, as the app mounts
// its sandboxes.
func TestSignedPathIsRelativeToBaseURL(t *testing.T) {
	f := &fakeWorldline{t: t, replies: map[string][]reply{}}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/worldline/", http.StripPrefix("/sandbox/worldline", f))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	c := mustClient(t, srv.URL+"/sandbox/worldline/", 5*time.Second)
	f.on("GET", "/payments", jsonReply(200, obj{"payments": []obj{}, "totalCount": 0}))
	out, err := c.Inquire(t.Context(), testPayment(checkout.CaptureAutomatic, checkout.Outcome{}))
	mustFail(t, out, err, checkout.DeclineProcessingError)
	if calls := f.calls(); len(calls) != 1 || calls[0].path != "/v1/1234/payments" {
		t.Fatalf("requests = %+v", calls)
	}
}

// Right after a create whose answer was lost, Find showing nothing is not
// yet proof that nothing was created: the inquiry stays pending until the
// payment is older than NotFoundAfter.
func TestInquiryNotFoundIsPendingWithinGrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"payments":[],"offset":0,"limit":10,"totalCount":0}`))
	}))
	defer srv.Close()
	c, err := New(testConfig(srv.URL, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	p := checkout.Payment{ID: "pay_" + strings.Repeat("a", 32), Amount: checkout.Money{Amount: 100, Currency: "EUR"}, CreatedAt: testNow.Add(-time.Minute)}
	out, err := c.Inquire(t.Context(), p)
	if err != nil || out.Status != checkout.OutcomePending {
		t.Fatalf("a minute after: %s %v, want pending", out.Status, err)
	}
	p.CreatedAt = testNow.Add(-11 * time.Minute)
	out, err = c.Inquire(t.Context(), p)
	if err != nil || out.Status != checkout.OutcomeFailed || out.Decline == nil || out.Decline.Code != checkout.DeclineProcessingError {
		t.Fatalf("eleven minutes after: %+v %v, want failed", out, err)
	}
}

// TestInquireRefund: a refund with a Worldline id is read with Get refund,
// one without is found by our refund id; the answer must be about our
// refund; a 404 or an empty Find is ErrRefundNotFound, any other failure
// an error that is not.
func TestInquireRefund(t *testing.T) {
	const refundID = "re_aaaabbbbccccddddeeeeffffgggghhhh"
	paid := testPayment(checkout.CaptureAutomatic, checkout.Outcome{ProviderRef: testRef})
	known := checkout.Refund{ID: refundID, PaymentID: testPaymentID, Amount: checkout.Money{Amount: 500, Currency: "EUR"}, ProviderRef: testRef + "-1"}
	lost := known
	lost.ProviderRef = ""
	refund := func(status string, edits ...func(obj)) obj {
		r := obj{"id": testRef + "-1", "status": status,
			"refundOutput": obj{"amountOfMoney": obj{"amount": 500, "currencyCode": "EUR"}, "references": obj{"merchantReference": refundID}, "paymentMethod": "card"},
			"statusOutput": obj{"statusCategory": "PENDING_CONNECT_OR_3RD_PARTY", "statusCode": 800}}
		for _, e := range edits {
			e(r)
		}
		return r
	}
	found := func(refunds ...obj) reply {
		return jsonReply(200, obj{"refunds": refunds, "offset": 0, "limit": 10, "totalCount": len(refunds)})
	}
	otherAmount := func(r obj) { r["refundOutput"].(obj)["amountOfMoney"] = obj{"amount": 501, "currencyCode": "EUR"} }
	otherCurrency := func(r obj) { r["refundOutput"].(obj)["amountOfMoney"] = obj{"amount": 500, "currencyCode": "USD"} }
	otherReference := func(r obj) { r["refundOutput"].(obj)["references"] = obj{"merchantReference": "re_other"} }
	noReference := func(r obj) { delete(r["refundOutput"].(obj), "references") }

	for name, tc := range map[string]struct {
		refund   checkout.Refund
		get      reply // GET /refunds/{id}
		find     reply // GET /refunds?merchantReference=
		want     checkout.RefundStatus
		code     string
		notFound bool
		errParts []string
	}{
		"get requested":         {refund: known, get: jsonReply(200, refund(StatusRefundRequested)), want: checkout.RefundSucceeded},
		"get refunded":          {refund: known, get: jsonReply(200, refund(StatusRefunded)), want: checkout.RefundSucceeded},
		"get pending approval":  {refund: known, get: jsonReply(200, refund(StatusPendingApproval)), want: checkout.RefundPending},
		"get rejected":          {refund: known, get: jsonReply(200, refund(StatusRejected)), want: checkout.RefundFailed, code: StatusRejected},
		"get cancelled":         {refund: known, get: jsonReply(200, refund(StatusCancelled)), want: checkout.RefundFailed, code: StatusCancelled},
		"get unknown status":    {refund: known, get: jsonReply(200, refund("SOMETHING_NEW")), errParts: []string{"inquire refund", "SOMETHING_NEW"}},
		"get 404":               {refund: known, get: apiErr(404, "1004", "UNKNOWN_REFUND_ID"), notFound: true},
		"get 404 not worldline": {refund: known, get: reply{status: 404, body: "<html>not found</html>"}, errParts: []string{"get refund", "HTTP 404"}},
		"get 500":               {refund: known, get: apiErr(500, "9999", ""), errParts: []string{"get refund", "HTTP 500"}},
		"get 502 gateway":       {refund: known, get: reply{status: 502, body: "<html>502 Bad Gateway</html>"}, errParts: []string{"get refund", "HTTP 502"}},
		"get timeout":           {refund: known, get: reply{hang: true}, errParts: []string{"get refund", "no answer in time"}},
		"get unreadable":        {refund: known, get: reply{status: 200, body: `{"id":"` + testRef + `-1","sta`}, errParts: []string{"get refund", "unreadable"}},
		"get other refund":      {refund: known, get: jsonReply(200, refund(StatusRefunded, func(r obj) { r["id"] = testRef + "-2" })), errParts: []string{"not " + testRef + "-1"}},
		"get other reference":   {refund: known, get: jsonReply(200, refund(StatusRefunded, otherReference)), errParts: []string{"another merchantReference"}},
		"get other amount":      {refund: known, get: jsonReply(200, refund(StatusRefunded, otherAmount)), errParts: []string{"another amount or currency"}},
		"get other currency":    {refund: known, get: jsonReply(200, refund(StatusRefunded, otherCurrency)), errParts: []string{"another amount or currency"}},
		"get without status":    {refund: known, get: jsonReply(200, obj{"id": testRef + "-1"}), errParts: []string{"without a refund id and status"}},
		"find requested":        {refund: lost, find: found(refund(StatusRefundRequested)), want: checkout.RefundSucceeded},
		"find pending":          {refund: lost, find: found(refund(StatusPendingApproval)), want: checkout.RefundPending},
		"find without refs":     {refund: lost, find: found(refund(StatusRefundRequested, noReference)), want: checkout.RefundSucceeded},
		"find nothing":          {refund: lost, find: found(), notFound: true},
		"find two":              {refund: lost, find: found(refund(StatusRefunded), refund(StatusRefunded)), errParts: []string{"2 refunds under one reference"}},
		"find more elsewhere":   {refund: lost, find: jsonReply(200, obj{"refunds": []obj{}, "totalCount": 1}), errParts: []string{"1 refunds under one reference"}},
		"find without a count":  {refund: lost, find: jsonReply(200, obj{"refunds": []obj{refund(StatusRefunded)}}), want: checkout.RefundSucceeded},
		"find one of two":       {refund: lost, find: jsonReply(200, obj{"refunds": []obj{refund(StatusRefunded)}, "totalCount": 2}), errParts: []string{"2 refunds under one reference"}},
		"find other reference":  {refund: lost, find: found(refund(StatusRefunded, otherReference)), errParts: []string{"another merchantReference"}},
		"find other amount":     {refund: lost, find: found(refund(StatusRefunded, otherAmount)), errParts: []string{"another amount"}},
		"find 500":              {refund: lost, find: apiErr(500, "9999", ""), errParts: []string{"find refunds", "HTTP 500"}},
		"find 404":              {refund: lost, find: apiErr(404, "9404", ""), errParts: []string{"find refunds", "HTTP 404"}},
		"find unreadable":       {refund: lost, find: reply{status: 200, body: "{"}, errParts: []string{"find refunds", "unreadable"}},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t)
			c.http.Timeout = 300 * time.Millisecond
			if tc.get.status != 0 || tc.get.hang {
				f.on("GET", "/refunds/"+testRef+"-1", tc.get)
			}
			if tc.find.status != 0 {
				f.on("GET", "/refunds", tc.find)
			}
			out, err := c.InquireRefund(t.Context(), paid, tc.refund)
			calls := f.calls()
			if len(calls) != 1 {
				t.Fatalf("%d requests", len(calls))
			}
			r := calls[0]
			checkSigned(t, r, "", "")
			if tc.refund.ProviderRef != "" && r.path != "/v1/1234/refunds/"+testRef+"-1" {
				t.Errorf("get refund path %s", r.path)
			}
			if tc.refund.ProviderRef == "" && (r.path != "/v1/1234/refunds" || r.query != "merchantReference="+refundID+"&offset=0&limit=10") {
				t.Errorf("find refunds %s?%s", r.path, r.query)
			}
			switch {
			case tc.notFound:
				if !errors.Is(err, checkout.ErrRefundNotFound) || !strings.HasPrefix(err.Error(), "worldline: ") {
					t.Fatalf("= %+v, %v; want ErrRefundNotFound", out, err)
				}
			case tc.errParts != nil:
				if err == nil || errors.Is(err, checkout.ErrRefundNotFound) {
					t.Fatalf("= %+v, %v; want an error that is not ErrRefundNotFound", out, err)
				}
				mustErr(t, checkout.Outcome{}, err, tc.errParts...)
			default:
				if err != nil || out.Status != tc.want || out.ProviderCode != tc.code || out.ProviderRef != testRef+"-1" {
					t.Fatalf("= %+v, %v; want %s %q", out, err, tc.want, tc.code)
				}
			}
		})
	}

	t.Run("malformed refund id", func(t *testing.T) {
		_, c := newFake(t)
		bad := known
		bad.ProviderRef = "../payments/1"
		if _, err := c.InquireRefund(t.Context(), paid, bad); err == nil || errors.Is(err, checkout.ErrRefundNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}
