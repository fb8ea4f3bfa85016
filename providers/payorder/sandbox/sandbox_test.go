package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/golang-jwt/jwt/v5"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/payorder"
)

const mount = "/sandbox/payorder"

var credentials = sync.OnceValues(NewCredentials)

// testEnv is a sandbox served over HTTP under the app's mount point, the
// keys to talk to it, and the adapter configured for it.
type testEnv struct {
	t        *testing.T
	sb       *Sandbox
	base     string
	creds    Credentials
	aes      []byte
	merchant *rsa.PrivateKey
	platform *rsa.PublicKey
	adapter  *payorder.Client
	now      time.Time
}

func newTestEnv(t *testing.T) *testEnv { t.Helper(); return newTestEnvConfig(t, nil) }

// newTestEnvConfig is newTestEnv with a say in the sandbox's Config.
func newTestEnvConfig(t *testing.T, configure func(*Config)) *testEnv {
	t.Helper()
	creds, err := credentials()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &testEnv{t: t, base: srv.URL + mount, creds: creds, now: time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)}
	cfg := Config{PublicURL: e.base, Credentials: creds, Now: func() time.Time { return e.now }}
	if configure != nil {
		configure(&cfg)
	}
	e.sb, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(mount+"/", http.StripPrefix(mount, e.sb))
	e.aes, _ = payorder.ParseAESKey(creds.AESKey)
	e.merchant, _ = payorder.ParsePrivateKey(creds.MerchantPrivateKey)
	e.platform, _ = payorder.ParsePublicKey(creds.PlatformPublicKey)
	e.adapter, err = payorder.New(payorder.Config{
		BaseURL: e.base, SessionsURL: e.base, MerchantID: creds.MerchantID, CheckoutID: creds.CheckoutID,
		AESKey: creds.AESKey, MerchantPrivateKey: creds.MerchantPrivateKey, PlatformPublicKey: creds.PlatformPublicKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// request is a raw gateway request, built correctly unless a test spoils it.
type request struct {
	service     string
	merchantID  string
	biz         []byte // plaintext bizContent
	bizContent  string // overrides the encryption of biz
	headerSign  string
	bodySign    string
	contentType string
}

func (e *testEnv) request(service string, biz any) *request {
	plain, err := json.Marshal(biz)
	if err != nil {
		e.t.Fatal(err)
	}
	sign, _ := payorder.Sign(e.merchant, plain)
	return &request{service: service, merchantID: e.creds.MerchantID, biz: plain, headerSign: sign, bodySign: sign, contentType: "application/json"}
}

// answer is a decoded gateway answer.
type answer struct {
	sealed bool
	Status int             `json:"status"`
	Code   string          `json:"errorCode"`
	Data   json.RawMessage `json:"data"`
}

func (e *testEnv) send(r *request) answer {
	e.t.Helper()
	biz := r.bizContent
	if biz == "" {
		biz, _ = payorder.Seal(e.aes, r.biz)
	}
	body, _ := json.Marshal(map[string]string{"service": r.service, "merchantId": r.merchantID, "bizContent": biz, "sign": r.bodySign})
	req, _ := http.NewRequest(http.MethodPost, e.base+"/api", bytes.NewReader(body))
	req.Header.Set("Content-Type", r.contentType)
	if r.headerSign != "" {
		req.Header.Set("sign", r.headerSign)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("HTTP %d", resp.StatusCode)
	}
	var env struct {
		BizContent string `json:"bizContent"`
		Sign       string `json:"sign"`
		answer
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		e.t.Fatal(err)
	}
	if env.BizContent == "" {
		return env.answer
	}
	inner, err := payorder.Open(e.aes, env.BizContent)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := payorder.Verify(e.platform, inner, env.Sign); err != nil {
		e.t.Fatal("the sandbox's answer does not verify")
	}
	a := answer{sealed: true}
	if err := json.Unmarshal(inner, &a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *testEnv) payerID() int64 {
	a := e.send(e.request(payorder.ServiceCreatePayer, map[string]any{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}))
	var d struct{ PayerID int64 }
	if err := json.Unmarshal(a.Data, &d); err != nil || a.Status != 0 {
		e.t.Fatalf("createPayer: %+v", a)
	}
	return d.PayerID
}

func TestEnvelopeRejections(t *testing.T) {
	e := newTestEnv(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	biz := map[string]any{"firstName": "Jane", "lastName": "Doe"}
	tests := []struct {
		name  string
		spoil func(r *request)
		code  string
	}{
		{"unknown merchant", func(r *request) { r.merchantID = "M0" }, payorder.CodeInvalidMerchant},
		{"unknown service", func(r *request) { r.service = "refundOrder" }, payorder.CodeInvalidService},
		{"header signed with another key", func(r *request) { r.headerSign, _ = payorder.Sign(other, r.biz) }, payorder.CodeInvalidSign},
		{"body signed with another key", func(r *request) { r.bodySign, _ = payorder.Sign(other, r.biz) }, payorder.CodeInvalidSign},
		{"body sign bad, header good", func(r *request) { r.bodySign = base64.StdEncoding.EncodeToString([]byte("forged")) }, payorder.CodeInvalidSign},
		{"no sign at all", func(r *request) { r.headerSign, r.bodySign = "", "" }, payorder.CodeInvalidSign},
		{"signed over other bytes", func(r *request) { r.headerSign, _ = payorder.Sign(e.merchant, append(r.biz, ' ')) }, payorder.CodeInvalidSign},
		{"bizContent not base64", func(r *request) { r.bizContent = "%%%" }, payorder.CodeDecryptFailed},
		{"bizContent not whole blocks", func(r *request) { r.bizContent = base64.StdEncoding.EncodeToString([]byte("short")) }, payorder.CodeDecryptFailed},
		{"bizContent under another key", func(r *request) {
			r.bizContent, _ = payorder.Seal([]byte("fedcba9876543210"), r.biz)
		}, payorder.CodeDecryptFailed},
		{"not JSON content", func(r *request) { r.contentType = "text/plain" }, payorder.CodeInvalidParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.request(payorder.ServiceCreatePayer, biz)
			tt.spoil(r)
			a := e.send(r)
			if a.sealed || a.Status != payorder.StatusFailure || a.Code != tt.code {
				t.Errorf("answer = %+v, want a plaintext status -1 %s", a, tt.code)
			}
		})
	}

	// Either place for the signature is enough; a valid request works.
	for name, spoil := range map[string]func(*request){
		"header only": func(r *request) { r.bodySign = "" },
		"body only":   func(r *request) { r.headerSign = "" },
		"both":        func(*request) {},
	} {
		r := e.request(payorder.ServiceCreatePayer, biz)
		spoil(r)
		if a := e.send(r); !a.sealed || a.Status != payorder.StatusSuccess {
			t.Errorf("%s: answer = %+v, want a sealed success", name, a)
		}
	}

	resp, err := http.Post(e.base+"/api", "application/json", strings.NewReader("{not json"))
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	_ = json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if a.Status != payorder.StatusFailure || a.Code != payorder.CodeInvalidParam {
		t.Errorf("malformed JSON: %+v", a)
	}
	if resp, err := http.Get(e.base + "/api"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api: %v %v", resp.StatusCode, err)
	}
}

func TestServiceRejections(t *testing.T) {
	e := newTestEnv(t)
	payer := e.payerID()
	order := func(change func(map[string]any)) map[string]any {
		o := map[string]any{
			"order_sn": "pay_" + strings.Repeat("b", 32), "currency": "USD", "amount": json.Number("12.34"), "payerID": payer,
			"purposeOfTransaction": "PAY_FOR_GOODS", "description": "order-1", "skip3ds": "False",
			"domain": "https://checkout.example.com", "product": "Shirt||Socks",
		}
		if change != nil {
			change(o)
		}
		return o
	}
	first := e.send(e.request(payorder.ServiceCreateOrder, order(nil)))
	var created struct {
		LinkID  string `json:"linkID"`
		OrderSN string `json:"order_sn"`
	}
	if err := json.Unmarshal(first.Data, &created); err != nil || !regexp.MustCompile(`^[0-9A-F-]{36}$`).MatchString(created.LinkID) {
		t.Fatalf("createOrder: %+v", first)
	}
	again := e.send(e.request(payorder.ServiceCreateOrder, order(func(o map[string]any) { o["payerID"] = e.payerID() })))
	if !bytes.Equal(again.Data, first.Data) {
		t.Errorf("the same order_sn and terms (new payer) gave %s, want %s", again.Data, first.Data)
	}

	tests := []struct {
		name    string
		service string
		biz     any
		code    string
	}{
		{"EUR", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o2"; o["currency"] = "EUR" }), payorder.CodeInvalidParam},
		{"three decimals", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o3"; o["amount"] = json.Number("12.345") }), payorder.CodeInvalidParam},
		{"exponent", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o4"; o["amount"] = json.Number("1.234e1") }), payorder.CodeInvalidParam},
		{"amount as a string", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o5"; o["amount"] = "12.34" }), payorder.CodeInvalidParam},
		{"zero", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o6"; o["amount"] = json.Number("0.00") }), payorder.CodeInvalidParam},
		{"skip3ds as a boolean", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o7"; o["skip3ds"] = false }), payorder.CodeInvalidParam},
		{"unknown payer", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o8"; o["payerID"] = 7 }), payorder.CodeInvalidParam},
		{"unknown field", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o9"; o["orderSn"] = "x" }), payorder.CodeInvalidParam},
		{"no product", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["order_sn"] = "o10"; o["product"] = "" }), payorder.CodeInvalidParam},
		{"same order_sn, other amount", payorder.ServiceCreateOrder, order(func(o map[string]any) { o["amount"] = json.Number("12.35") }), payorder.CodeDuplicateOrder},
		{"payer without last name", payorder.ServiceCreatePayer, map[string]any{"firstName": "Jane", "email": "jane@example.com"}, payorder.CodeInvalidParam},
		{"payer with a bad email", payorder.ServiceCreatePayer, map[string]any{"firstName": "Jane", "lastName": "Doe", "email": "jane"}, payorder.CodeInvalidParam},
		{"area code as a string", payorder.ServiceCreatePayer, map[string]any{"firstName": "Jane", "lastName": "Doe", "areaCode": "44"}, payorder.CodeInvalidParam},
		{"unknown order", payorder.ServiceQueryOrder, map[string]any{"order_sn": created.OrderSN, "linkID": "00000000-0000-0000-0000-000000000000"}, payorder.CodeOrderNotFound},
		{"pay before checkout", payorder.ServicePayOrder, map[string]any{"order_sn": created.OrderSN, "linkID": created.LinkID,
			"transactionReference": "t", "sessionId": "", "userAgent": "Mozilla/5.0"}, payorder.CodeInvalidOrderStatus},
		{"checkout with made-up sessions", payorder.ServiceCheckoutOrder, map[string]any{"order_sn": created.OrderSN, "linkID": created.LinkID,
			"cardHolderName": "Jane Doe", "sessionCard": e.base + "/sessions/nope", "sessionCvc": e.base + "/sessions/nope2", "relationship": "CUSTOMER"}, payorder.CodeInvalidParam},
		{"checkout with an unknown relationship", payorder.ServiceCheckoutOrder, map[string]any{"order_sn": created.OrderSN, "linkID": created.LinkID,
			"cardHolderName": "Jane Doe", "sessionCard": "a", "sessionCvc": "b", "relationship": "STRANGER"}, payorder.CodeInvalidParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.send(e.request(tt.service, tt.biz))
			if !a.sealed || a.Status != payorder.StatusFailure || a.Code != tt.code {
				t.Errorf("answer = %+v, want a sealed status -1 %s", a, tt.code)
			}
		})
	}
	if o, _ := e.sb.Order(created.OrderSN); o.Amount != (checkout.Money{Amount: 1234, Currency: "USD"}) || o.Outcome != payorder.OutcomeCreated {
		t.Errorf("ledger: %+v", o)
	}
}

func TestCheckoutSessions(t *testing.T) {
	e := newTestEnv(t)
	const mediaType = "application/vnd.worldpay.sessions-v1.hal+json"
	card := func(change func(map[string]any)) string {
		b := map[string]any{"identity": e.creds.CheckoutID, "cardNumber": "4000000000003220",
			"cardExpiryDate": map[string]int{"month": 5, "year": 2030}, "cvc": "123"}
		if change != nil {
			change(b)
		}
		out, _ := json.Marshal(b)
		return string(out)
	}
	tests := []struct {
		name, path, contentType, body string
		status                        int
	}{
		{"card", "/sessions/card", mediaType, card(nil), http.StatusCreated},
		{"cvc", "/sessions/payments/cvc", mediaType, `{"identity":"` + e.creds.CheckoutID + `","cvc":"1234"}`, http.StatusCreated},
		{"plain JSON", "/sessions/card", "application/json", card(nil), http.StatusUnsupportedMediaType},
		{"malformed", "/sessions/card", mediaType, `{"identity":`, http.StatusBadRequest},
		{"unknown field", "/sessions/card", mediaType, card(func(b map[string]any) { b["pan"] = "1" }), http.StatusBadRequest},
		{"bad identity", "/sessions/card", mediaType, card(func(b map[string]any) { b["identity"] = "someone-else" }), http.StatusUnauthorized},
		{"bad identity for a cvc", "/sessions/payments/cvc", mediaType, `{"identity":"x","cvc":"123"}`, http.StatusUnauthorized},
		{"not Luhn", "/sessions/card", mediaType, card(func(b map[string]any) { b["cardNumber"] = "4000000000003221" }), http.StatusBadRequest},
		{"expired", "/sessions/card", mediaType, card(func(b map[string]any) { b["cardExpiryDate"] = map[string]int{"month": 4, "year": 2030} }), http.StatusBadRequest},
		{"month 13", "/sessions/card", mediaType, card(func(b map[string]any) { b["cardExpiryDate"] = map[string]int{"month": 13, "year": 2031} }), http.StatusBadRequest},
		{"no expiry", "/sessions/card", mediaType, card(func(b map[string]any) { delete(b, "cardExpiryDate") }), http.StatusBadRequest},
		{"short CVC", "/sessions/payments/cvc", mediaType, `{"identity":"` + e.creds.CheckoutID + `","cvc":"12"}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(e.base+tt.path, tt.contentType, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("HTTP %d %s, want %d", resp.StatusCode, body.String(), tt.status)
			}
			if strings.Contains(body.String(), "4000000000003") {
				t.Error("the answer echoes the card number")
			}
			if tt.status != http.StatusCreated {
				var errBody struct{ ErrorName string }
				if json.Unmarshal(body.Bytes(), &errBody) != nil || errBody.ErrorName == "" {
					t.Errorf("error body %s has no errorName", body.String())
				}
				return
			}
			var s struct {
				Links struct {
					Session struct{ Href string } `json:"sessions:session"`
				} `json:"_links"`
			}
			if err := json.Unmarshal(body.Bytes(), &s); err != nil || !strings.HasPrefix(s.Links.Session.Href, e.base+"/sessions/") {
				t.Errorf("session answer %s", body.String())
			}
			if ct := resp.Header.Get("Content-Type"); ct != mediaType {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

// checkedOut pays with the adapter up to device data collection.
func (e *testEnv) checkedOut(number string, window string) (checkout.PayRequest, checkout.Outcome) {
	e.t.Helper()
	id := checkout.RandomIDs{}.NewID(checkout.PrefixPayment)
	req := checkout.PayRequest{
		PaymentID: id, IdempotencyKey: id, Description: "order-7",
		Amount:          checkout.Money{Amount: 4200, Currency: "USD"},
		Customer:        checkout.Customer{Email: "jane@example.com"},
		Method:          checkout.MethodCard,
		Card:            &checkout.CardInput{Number: number, CVC: "123", ExpMonth: 12, ExpYear: 2031, Holder: "Jane Doe"},
		Browser:         checkout.BrowserInfo{UserAgent: "Mozilla/5.0"},
		ChallengeWindow: checkout.WindowSizeByCode(window),
		ReturnURL:       "https://checkout.example.com/c/cs_1/return/" + id,
		OriginURL:       "https://checkout.example.com",
	}
	out, err := e.adapter.Pay(e.t.Context(), req)
	if err != nil || out.Action == nil {
		e.t.Fatalf("Pay = %+v, %v", out, err)
	}
	return req, out
}

func (e *testEnv) postForm(target string, values url.Values) (*http.Response, *goquery.Document) {
	e.t.Helper()
	resp, err := http.PostForm(target, values)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, doc
}

// checkPageHeaders checks a third-party page's own headers and that it
// loads nothing from anywhere and runs only scripts carrying its nonce.
func checkPageHeaders(t *testing.T, resp *http.Response, doc *goquery.Document) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	m := regexp.MustCompile(`^default-src 'none'; script-src 'nonce-([^']+)'; style-src 'nonce-([^']+)'; base-uri 'none'$`).FindStringSubmatch(csp)
	if m == nil || m[1] != m[2] {
		t.Fatalf("CSP = %q", csp)
	}
	for h, want := range map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	doc.Find("script:not([type='application/json']), style").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("nonce", "") != m[1] {
			t.Errorf("<%s> without the page's nonce", goquery.NodeName(s))
		}
	})
	if n := doc.Find("[src], link, iframe, img").Length(); n != 0 {
		t.Errorf("the page loads %d resources", n)
	}
}

func TestDeviceDataCollection(t *testing.T) {
	e := newTestEnv(t)
	_, out := e.checkedOut("4242424242424242", "02")
	a := out.Action
	if !strings.HasPrefix(a.URL, e.base+"/ddc/collect") || a.BIN != "424242" {
		t.Fatalf("action = %+v", a)
	}
	foreign, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "x", "exp": 4102444800}).SignedString([]byte("other key"))
	parts := strings.Split(a.JWT, ".")
	tests := []struct {
		name     string
		jwt, bin string
		later    time.Duration
		ok       bool
	}{
		{"valid", a.JWT, a.BIN, 0, true},
		{"garbage", "not.a.jwt", a.BIN, 0, false},
		{"another key", foreign, a.BIN, 0, false},
		{"payload swapped", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"ReferenceId":"x"}`)) + "." + parts[2], a.BIN, 0, false},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", a.BIN, 0, false},
		{"other BIN", a.JWT, "555555", 0, false},
		{"expired", a.JWT, a.BIN, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.now = e.now.Add(tt.later)
			defer func() { e.now = e.now.Add(-tt.later) }()
			resp, doc := e.postForm(a.URL, url.Values{"Bin": {tt.bin}, "JWT": {tt.jwt}})
			checkPageHeaders(t, resp, doc)
			var msg struct {
				MessageType string
				SessionID   *string `json:"SessionId"`
				Status      bool
			}
			if err := json.Unmarshal([]byte(doc.Find("#profile-message").Text()), &msg); err != nil {
				t.Fatal(err)
			}
			if msg.MessageType != "profile.completed" || msg.Status != tt.ok || (msg.SessionID != nil) != tt.ok {
				t.Errorf("message = %+v, want Status %v", msg, tt.ok)
			}
			if tt.ok && !regexp.MustCompile(`^0_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(*msg.SessionID) {
				t.Errorf("SessionId = %q", *msg.SessionID)
			}
			if !strings.Contains(doc.Find("script:not([type])").Text(), `window.parent.postMessage(`) {
				t.Error("the page does not post to its parent")
			}
		})
	}
}

func TestChallengePages(t *testing.T) {
	e := newTestEnv(t)
	req, out := e.checkedOut("4000000000003220", "04")
	p := checkout.Payment{ID: req.PaymentID, Browser: req.Browser, ProviderData: out.ProviderData}
	out, err := e.adapter.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
	if err != nil || out.Action == nil || out.Action.Kind != checkout.ActionChallenge {
		t.Fatalf("Continue = %+v, %v", out, err)
	}
	a := out.Action
	if a.URL != e.base+"/acs/challenge" || a.MD == "" || len(a.MD) > 1024 || a.Width != 600 || a.Height != 400 {
		t.Fatalf("challenge action = %+v", a)
	}

	// The JWT carries Cardinal's claims.
	var claims challengeClaims
	if _, _, err := jwt.NewParser().ParseUnverified(a.JWT, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.ReturnURL != req.ReturnURL || !claims.ObjectifyPayload || claims.Payload.Payload != a.MD || claims.Payload.TransactionID == "" ||
		claims.ID == "" || claims.IssuedAt == nil || claims.OrgUnitID == "" {
		t.Errorf("challenge claims = %+v", claims)
	}
	creq, _ := base64.RawURLEncoding.DecodeString(a.MD)
	if !strings.Contains(string(creq), `"challengeWindowSize":"04"`) || !strings.Contains(string(creq), `"messageType":"CReq"`) {
		t.Errorf("CReq = %s", creq)
	}

	// Requests the simulated Cardinal must refuse.
	for name, values := range map[string]url.Values{
		"tampered JWT": {"JWT": {a.JWT + "x"}, "MD": {a.MD}},
		"no JWT":       {"MD": {a.MD}},
		"MD too long":  {"JWT": {a.JWT}, "MD": {strings.Repeat("m", 1025)}},
	} {
		if resp, _ := e.postForm(a.URL, values); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", name, resp.StatusCode)
		}
	}

	resp, doc := e.postForm(a.URL, url.Values{"JWT": {a.JWT}, "MD": {a.MD}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	checkPageHeaders(t, resp, doc)
	input := doc.Find(`[data-testid="otp-input"]`)
	label := doc.Find(`label[for="` + input.AttrOr("id", "-") + `"]`)
	if input.Length() != 1 || label.Text() != "Verification code" || input.AttrOr("autocomplete", "") != "one-time-code" ||
		input.AttrOr("inputmode", "") != "numeric" {
		t.Errorf("code input: %d found, label %q, autocomplete %q, inputmode %q", input.Length(), label.Text(),
			input.AttrOr("autocomplete", ""), input.AttrOr("inputmode", ""))
	}
	if doc.Find(`[data-testid="otp-submit"]`).Length() != 1 || !strings.Contains(doc.Text(), "enter 1234") {
		t.Error("no submit button or no hint with the sandbox code")
	}
	if !doc.Find("main").HasClass("w04") {
		t.Error("the challenge page is not sized to the 600x400 window")
	}
	if !strings.Contains(doc.Text(), "•••• 3220") || strings.Contains(doc.Text(), "4000000000003220") {
		t.Error("the page should show the last four digits only")
	}
	form := input.Closest("form")
	if form.AttrOr("action", "") != e.base+"/acs/complete" || form.Find(`input[name="MD"]`).AttrOr("value", "") != a.MD {
		t.Errorf("the code form posts to %q without the MD", form.AttrOr("action", ""))
	}

	// A wrong code fails for good: the first answer counts.
	values := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) { values.Set(in.AttrOr("name", ""), in.AttrOr("value", "")) })
	values.Set(input.AttrOr("name", ""), "0000")
	resp, doc = e.postForm(form.AttrOr("action", ""), values)
	checkPageHeaders(t, resp, doc)
	back := doc.Find("form#return")
	if back.AttrOr("action", "") != req.ReturnURL || back.AttrOr("method", "") != "post" {
		t.Errorf("the return form posts to %q", back.AttrOr("action", ""))
	}
	got := map[string]string{}
	back.Find("input").Each(func(_ int, in *goquery.Selection) { got[in.AttrOr("name", "")] = in.AttrOr("value", "") })
	if got["MD"] != a.MD || got["TransactionId"] != claims.Payload.TransactionID || got["Response"] == "" || len(got) != 3 {
		t.Errorf("return fields = %v", got)
	}
	if !strings.Contains(doc.Find("noscript").Text(), "Continue") {
		t.Error("no Continue button for browsers without JavaScript")
	}
	values.Set(input.AttrOr("name", ""), "1234")
	e.postForm(form.AttrOr("action", ""), values)
	if o, _ := e.sb.Order(req.PaymentID); o.ChallengeResult != "N" || o.Outcome != payorder.OutcomeChallenged {
		t.Errorf("ledger after a wrong then a right code: %+v", o)
	}

	p.ProviderData["challengeReference"] = out.ProviderData["challengeReference"]
	for range 2 {
		out, err = e.adapter.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueChallenge, Values: url.Values{"MD": {a.MD}}})
		if err != nil || out.Status != checkout.OutcomeFailed || out.Decline.Code != checkout.DeclineAuthenticationFailed {
			t.Fatalf("verify = %+v, %v", out, err)
		}
	}
	if o, _ := e.sb.Order(req.PaymentID); o.Charges != 0 || o.Outcome != payorder.OutcomeAuthenticationFailed {
		t.Errorf("ledger: %+v", o)
	}
}

// TestPayOrderReplays: payOrder and the verification answer the same
// decision again, charging once; verifying before the shopper answered the
// challenge asks for the challenge again.
func TestPayOrderReplays(t *testing.T) {
	e := newTestEnv(t)
	req, out := e.checkedOut("4242424242424242", "02")
	p := checkout.Payment{ID: req.PaymentID, Browser: req.Browser, ProviderData: out.ProviderData}
	for range 3 {
		out, err := e.adapter.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
		if err != nil || out.Status != checkout.OutcomeSucceeded {
			t.Fatalf("Continue = %+v, %v", out, err)
		}
	}
	if o, _ := e.sb.Order(req.PaymentID); o.Charges != 1 || e.sb.Charges() != 1 {
		t.Errorf("charged %d times (%d in all), want once", o.Charges, e.sb.Charges())
	}

	req, out = e.checkedOut("4000000000003220", "02")
	p = checkout.Payment{ID: req.PaymentID, Browser: req.Browser, ProviderData: out.ProviderData}
	out, err := e.adapter.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueDeviceData})
	if err != nil || out.Status != checkout.OutcomeActionRequired {
		t.Fatalf("Continue = %+v, %v", out, err)
	}
	p.ProviderData["challengeReference"] = out.ProviderData["challengeReference"]
	again, err := e.adapter.Continue(t.Context(), p, checkout.Continuation{Kind: checkout.ContinueChallenge})
	if err != nil || again.Status != checkout.OutcomeActionRequired || again.Action.JWT != out.Action.JWT {
		t.Errorf("verify before the shopper answered = %+v, %v; want the same challenge", again, err)
	}
	inquiry, err := e.adapter.Inquire(t.Context(), p)
	if err != nil || inquiry.Status != checkout.OutcomePending {
		t.Errorf("Inquire during the challenge = %+v, %v", inquiry, err)
	}
}
