package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/providers/worldline"
)

const mount = "/sandbox/worldline"

// start is the sandbox clock at the beginning of every test.
var start = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)

// testCVV is distinctive enough that a quoted "907" found anywhere would be
// the CVV leaking.
const (
	testCVV     = "907"
	testAmexCVV = "9071"
)

// env is a sandbox served over HTTP under the app's mount point, with a
// webhook receiver and a signed client.
type env struct {
	t        *testing.T
	sb       *Sandbox
	base     string // where the sandbox is mounted
	creds    Credentials
	clock    atomic.Int64 // unix nanoseconds
	hooks    *receiver
	client   *http.Client // does not follow redirects
	mu       sync.Mutex
	captured [][]byte // every answer body and page, for the card-data scan
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with the Config changed by change (when not nil).
func newEnvWith(t *testing.T, change func(*Config)) *env {
	t.Helper()
	creds, err := NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, creds: creds, hooks: newReceiver(t)}
	e.clock.Store(start.UnixNano())
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.base = srv.URL + mount
	cfg := Config{
		PublicURL:   e.base,
		Credentials: e.creds,
		WebhookURL:  e.hooks.srv.URL + "/notify/worldline",
		Now:         e.now,
	}
	if change != nil {
		change(&cfg)
	}
	e.sb, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.sb.Close() })
	mux.Handle(mount+"/", http.StripPrefix(mount, e.sb))
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func (e *env) now() time.Time          { return time.Unix(0, e.clock.Load()).UTC() }
func (e *env) advance(d time.Duration) { e.clock.Add(int64(d)) }
func (e *env) keep(b []byte) {
	e.mu.Lock()
	e.captured = append(e.captured, bytes.Clone(b))
	e.mu.Unlock()
}
func (e *env) apiURL(path string) string { return e.base + "/v1/" + e.creds.MerchantID + path }

// call is one Server API request, signed correctly unless a test spoils it.
type call struct {
	method      string
	path        string // after /v1/{merchantId}
	query       string
	body        any // marshalled unless []byte; nil sends no body
	key         string
	merchant    string // the path's merchant id; ours when empty
	keyID       string
	secret      string
	date        string // the Date header; FormatDate(now) when empty, none when "-"
	contentType string // application/json for POST when empty
	relative    bool   // sign the path relative to the mount point
	after       func(r *http.Request)
}

// result is an answer, or err when the connection gave none.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (e *env) do(c call) result {
	e.t.Helper()
	merchant := c.merchant
	if merchant == "" {
		merchant = e.creds.MerchantID
	}
	path := "/v1/" + merchant + c.path
	var body io.Reader
	if c.body != nil {
		raw, ok := c.body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(c.body); err != nil {
				e.t.Fatal(err)
			}
		}
		body = bytes.NewReader(raw)
	}
	target := e.base + path
	if c.query != "" {
		target += "?" + c.query
	}
	req, err := http.NewRequest(c.method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	contentType := c.contentType
	if contentType == "" && c.method == http.MethodPost {
		contentType = "application/json"
	}
	if contentType != "-" && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	} else {
		contentType = ""
	}
	date := c.date
	if date == "" {
		date = worldline.FormatDate(e.now())
	}
	if date != "-" {
		req.Header.Set("Date", date)
	}
	req.Header.Set("X-GCS-ServerMetaInfo", "eyJwbGF0Zm9ybUlkZW50aWZpZXIiOiJ0ZXN0In0=")
	if c.key != "" {
		req.Header.Set(headerIdempotenceKey, c.key)
	}
	resource := req.URL
	if c.relative {
		resource = &url.URL{Path: path, RawQuery: c.query}
	}
	keyID, secret := e.creds.APIKeyID, e.creds.SecretAPIKey
	if c.keyID != "" {
		keyID = c.keyID
	}
	if c.secret != "" {
		secret = c.secret
	}
	req.Header.Set("Authorization", worldline.Authorization(keyID, secret, worldline.StringToSign(c.method, contentType, date, req.Header, resource)))
	if c.after != nil {
		c.after(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{err: err}
	}
	e.keep(b)
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r result) decode(t testing.TB, v any) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("no answer: %v", r.err)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d %s: %v", r.status, r.body, err)
	}
}

// jsonPath reads a value out of a decoded JSON document: "errors.0.code".
func jsonPath(doc any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(v) {
				return nil
			}
			doc = v[i]
		default:
			return nil
		}
	}
	return doc
}

func (r result) path(t testing.TB, path string) any {
	t.Helper()
	var doc any
	r.decode(t, &doc)
	return jsonPath(doc, path)
}

// createBody is a complete Create Payment request as the adapter sends it.
func createBody(number, reference string) map[string]any {
	cvv := testCVV
	product := productVisa
	switch checkout.DetectBrand(number) {
	case checkout.BrandAmex:
		cvv, product = testAmexCVV, productAmex
	case checkout.BrandMastercard:
		product = productMastercard
	}
	return map[string]any{
		"cardPaymentMethodSpecificInput": map[string]any{
			"card":               map[string]any{"cardNumber": number, "cvv": cvv, "expiryDate": "1231", "cardholderName": "Wile E. Coyote"},
			"paymentProductId":   product,
			"isRecurring":        false,
			"transactionChannel": "ECOMMERCE",
			"requiresApproval":   true,
			"threeDSecure": map[string]any{
				"authenticationFlow":  "browser",
				"challengeIndicator":  "no-preference",
				"challengeCanvasSize": "600x400",
				"skipAuthentication":  false,
				"redirectionData":     map[string]any{"returnUrl": "https://checkout.example.com/c/cs_1/return/" + reference + "?session=cs_1&step=3ds"},
			},
		},
		"order": map[string]any{
			"amountOfMoney": map[string]any{"amount": 1234, "currencyCode": "EUR"},
			"customer": map[string]any{
				"accountType":    "none",
				"billingAddress": map[string]any{"countryCode": "NL"},
				"contactDetails": map[string]any{"emailAddress": "jane@example.com"},
				"locale":         "en_US",
				"device": map[string]any{
					"acceptHeader":             "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
					"ipAddress":                "203.0.113.7",
					"locale":                   "en-US",
					"userAgent":                "Mozilla/5.0 (X11; Linux x86_64)",
					"timezoneOffsetUtcMinutes": "-60",
					"browserData": map[string]any{
						"colorDepth": 24, "javaEnabled": false, "javaScriptEnabled": true,
						"screenHeight": "900", "screenWidth": "1440", "innerHeight": "760", "innerWidth": "1280",
					},
				},
			},
			"references": map[string]any{"merchantReference": reference, "descriptor": "order-7"},
		},
	}
}

// deleted removes a property in set.
var deleted = &struct{}{}

// set changes a property of a body: set(b, "order.amountOfMoney.amount", 0).
func set(body map[string]any, path string, v any) map[string]any {
	parts := strings.Split(path, ".")
	m := body
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	if v == deleted {
		delete(m, parts[len(parts)-1])
	} else {
		m[parts[len(parts)-1]] = v
	}
	return body
}

var refSeq atomic.Int64

func newReference() string {
	return fmt.Sprintf("pay_%032d", refSeq.Add(1))
}

// create posts a payment for a card under a fresh reference and idempotence key.
func (e *env) create(number string, change ...func(map[string]any)) (string, result) {
	e.t.Helper()
	ref := newReference()
	body := createBody(number, ref)
	for _, c := range change {
		c(body)
	}
	return ref, e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref})
}

func (e *env) getPayment(id string) paymentResponse {
	e.t.Helper()
	r := e.do(call{method: http.MethodGet, path: "/payments/" + id})
	if r.status != http.StatusOK {
		e.t.Fatalf("GET payment: %d %s", r.status, r.body)
	}
	var p paymentResponse
	r.decode(e.t, &p)
	return p
}

// paymentOf reads the payment out of a create answer, 201 or 402.
func paymentOf(t testing.TB, r result) (createPaymentResponse, []apiError) {
	t.Helper()
	switch r.status {
	case http.StatusCreated:
		var c createPaymentResponse
		r.decode(t, &c)
		return c, nil
	case http.StatusPaymentRequired:
		var er errorResponse
		r.decode(t, &er)
		if er.PaymentResult == nil {
			t.Fatalf("402 without paymentResult: %s", r.body)
		}
		return *er.PaymentResult, er.Errors
	}
	t.Fatalf("create answered %d %s (%v)", r.status, r.body, r.err)
	return createPaymentResponse{}, nil
}

var (
	uuidPattern  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	cavvPattern  = regexp.MustCompile(`^[A-Za-z0-9+/]{27}=$`)
	errorIDRegex = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func TestCards(t *testing.T) {
	e := newEnv(t)
	type want struct {
		http       int
		status     string
		code       int
		decline    string // errors[].code
		eci        string
		method     string
		cavv       bool
		action     string // merchantAction.actionType
		redirect   string // path prefix of redirectURL
		threeDS    string // threeDSecureStatus
		holderInfo bool
		charges    int
	}
	approved := func(eci string, cavv bool) want {
		return want{http: 201, status: statusPendingApproval, code: 600, eci: eci, method: "frictionless", cavv: cavv, charges: 1}
	}
	challenge := want{http: 201, status: statusRedirected, code: 50, action: "REDIRECT", redirect: "/3dsecure/", threeDS: "ENROLLED"}
	authFailed := func(info bool) want {
		w := want{http: 402, status: statusRejected, code: 180, decline: "401025", method: "frictionless", threeDS: threeDSFailed, holderInfo: info}
		if info {
			w.action = "SHOW_TRANSACTION_RESULTS"
		}
		return w
	}
	declined := func(code string) want {
		return want{http: 402, status: statusRejected, code: 100, decline: code, eci: "05", method: "frictionless", cavv: true}
	}
	tests := []struct {
		name   string
		card   string
		change func(map[string]any)
		want   want
	}{
		{"visa", testcards.Visa, nil, approved("05", true)},
		{"mastercard", testcards.Mastercard, nil, approved("02", true)},
		{"amex", testcards.Amex, nil, approved("05", true)},
		{"challenge", testcards.Challenge, nil, challenge},
		{"challenge then decline", testcards.ChallengeThenDecline, nil, challenge},
		{"frictionless N", testcards.AuthFailed, nil, authFailed(true)},
		{"3DS unavailable", testcards.AuthUnavailable, nil, approved("07", false)},
		{"decline generic", testcards.DeclineGeneric, nil, declined("430285")},
		{"decline funds", testcards.DeclineFunds, nil, declined("430396")},
		{"decline expired", testcards.DeclineExpired, nil, declined("430306")},
		{"decline CVC", testcards.DeclineCVC, nil, declined("430360")},
		{"worldline visa Y", VisaAuthenticated, nil, approved("05", true)},
		{"worldline mastercard Y", MastercardAuthenticated, nil, approved("02", true)},
		{"worldline amex Y", AmexAuthenticated, nil, approved("05", true)},
		{"worldline visa A", VisaAttempted, nil, approved("06", true)},
		{"worldline mastercard A", MastercardAttempted, nil, approved("01", true)},
		{"worldline amex A", AmexAttempted, nil, approved("06", true)},
		{"worldline visa N", VisaNotAuthenticated, nil, authFailed(true)},
		{"worldline mastercard N", MastercardNotAuth, nil, authFailed(true)},
		{"worldline amex N", AmexNotAuthenticated, nil, authFailed(true)},
		{"worldline visa R", VisaRejected, nil, authFailed(false)},
		{"worldline mastercard R", MastercardRejected, nil, authFailed(false)},
		{"worldline amex R", AmexRejected, nil, authFailed(false)},
		{"3DS method hop", ThreeDSMethodCard, nil, want{http: 201, status: statusRedirected, code: 50, action: "REDIRECT",
			redirect: "/redirector/", threeDS: "ENROLLED", method: "frictionless"}},
		{"any other number", "4111111111111111", nil, approved("05", true)},
		{"cardholder REFUSED", testcards.Visa, func(b map[string]any) {
			set(b, "cardPaymentMethodSpecificInput.card.cardholderName", "refused")
		}, declined("430285")},
		{"challenge requested", testcards.Visa, func(b map[string]any) {
			set(b, "cardPaymentMethodSpecificInput.threeDSecure.challengeIndicator", "challenge-requested")
		}, challenge},
		{"challenge required", testcards.Mastercard, func(b map[string]any) {
			set(b, "cardPaymentMethodSpecificInput.threeDSecure.challengeIndicator", "challenge-required")
		}, challenge},
		{"no challenge requested stays frictionless", testcards.Visa, func(b map[string]any) {
			set(b, "cardPaymentMethodSpecificInput.threeDSecure.challengeIndicator", "no-challenge-requested")
		}, approved("05", true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var change []func(map[string]any)
			if tt.change != nil {
				change = append(change, tt.change)
			}
			ref, r := e.create(tt.card, change...)
			if r.status != tt.want.http {
				t.Fatalf("HTTP %d, want %d: %s", r.status, tt.want.http, r.body)
			}
			c, errs := paymentOf(t, r)
			p := c.Payment
			so := p.StatusOutput
			if p.Status != tt.want.status || so.StatusCode != tt.want.code || so.StatusCategory != statusCategories[p.Status] {
				t.Errorf("status = %s %d %s, want %s %d", p.Status, so.StatusCode, so.StatusCategory, tt.want.status, tt.want.code)
			}
			if so.ThreeDSecureStatus != tt.want.threeDS {
				t.Errorf("threeDSecureStatus = %q, want %q", so.ThreeDSecureStatus, tt.want.threeDS)
			}
			if so.StatusCodeChangeDateTime != e.now().Format("20060102150405") {
				t.Errorf("statusCodeChangeDateTime = %q", so.StatusCodeChangeDateTime)
			}
			if mid := e.creds.MerchantID; !regexp.MustCompile(`^\d{30}$`).MatchString(p.ID) ||
				!strings.HasPrefix(p.ID, strings.Repeat("0", 10-len(mid))+mid) || !strings.HasSuffix(p.ID, "0000100001") {
				t.Errorf("payment id = %q", p.ID)
			}
			out := p.PaymentOutput
			card := out.CardPaymentMethodSpecificOutput
			number := strings.ReplaceAll(tt.card, " ", "")
			if wantMask := strings.Repeat("*", len(number)-4) + number[len(number)-4:]; card.Card.CardNumber != wantMask || card.Card.ExpiryDate != "1231" {
				t.Errorf("card = %+v, want %s", card.Card, wantMask)
			}
			if out.References.MerchantReference != ref || out.References.PaymentReference != "0" || out.PaymentMethod != "card" ||
				out.AmountOfMoney != (money{1234, "EUR"}) {
				t.Errorf("paymentOutput = %+v", out)
			}
			if tt.want.decline != "" {
				if len(errs) != 1 || errs[0].Code != tt.want.decline || errs[0].HTTPStatusCode != 402 {
					t.Errorf("errors = %+v, want %s", errs, tt.want.decline)
				}
				if len(so.Errors) != 1 || so.Errors[0].Code != tt.want.decline || so.Errors[0].RequestID == "" {
					t.Errorf("statusOutput.errors = %+v, want %s", so.Errors, tt.want.decline)
				}
			} else if len(so.Errors) != 0 {
				t.Errorf("statusOutput.errors = %+v", so.Errors)
			}
			tds := card.ThreeDSecureResults
			switch {
			case tt.want.method == "" && tt.want.eci == "":
				// Redirected to a challenge: only the 3DS server knows the transaction yet.
				if tds == nil || !uuidPattern.MatchString(tds.ThreeDServerTransactionID) || tds.ECI != "" || tds.CAVV != "" {
					t.Errorf("threeDSecureResults = %+v", tds)
				}
			case tds == nil:
				t.Errorf("no threeDSecureResults")
			default:
				if tds.ECI != tt.want.eci || (tds.CAVV != "") != tt.want.cavv || tds.ThreeDSecureVersion != "2.2.0" {
					t.Errorf("threeDSecureResults = %+v, want eci %q cavv %v", tds, tt.want.eci, tt.want.cavv)
				}
				if tt.want.cavv && !cavvPattern.MatchString(tds.CAVV) {
					t.Errorf("cavv = %q", tds.CAVV)
				}
				if !uuidPattern.MatchString(tds.DirectoryServerTransactionID) || !uuidPattern.MatchString(tds.ThreeDServerTransactionID) ||
					tds.ThreeDSecureData == nil || !uuidPattern.MatchString(tds.ThreeDSecureData.AcsTransactionID) ||
					tds.ThreeDSecureData.Method != tt.want.method || tds.ThreeDSecureData.UtcTimestamp != e.now().Format("200601021504") {
					t.Errorf("threeDSecureResults = %+v %+v", tds, tds.ThreeDSecureData)
				}
			}
			if authorised := tt.want.charges == 1; authorised != (card.AuthorisationCode != "") || authorised != so.IsAuthorized || authorised != so.IsCancellable {
				t.Errorf("authorisationCode %q, isAuthorized %v, isCancellable %v", card.AuthorisationCode, so.IsAuthorized, so.IsCancellable)
			}
			if tt.want.charges == 1 && (card.FraudResults == nil || card.FraudResults.CVVResult != "M") {
				t.Errorf("fraudResults = %+v", card.FraudResults)
			}
			if so.IsRefundable {
				t.Error("isRefundable before capture")
			}
			a := c.MerchantAction
			switch {
			case tt.want.action == "" && a != nil:
				t.Errorf("merchantAction = %+v", a)
			case tt.want.action != "" && (a == nil || a.ActionType != tt.want.action):
				t.Errorf("merchantAction = %+v, want %s", a, tt.want.action)
			case tt.want.action == "REDIRECT":
				if a.RedirectData == nil || !uuidPattern.MatchString(a.RedirectData.ReturnMAC) ||
					!strings.HasPrefix(a.RedirectData.RedirectURL, e.base+tt.want.redirect) || a.ShowData == nil {
					t.Errorf("redirect = %+v", a.RedirectData)
				}
				if tt.want.redirect == "/3dsecure/" && !strings.HasSuffix(a.RedirectData.RedirectURL, "?returnMAC="+a.RedirectData.ReturnMAC) {
					t.Errorf("redirectURL = %q", a.RedirectData.RedirectURL)
				}
				if tt.want.redirect == "/redirector/" && !strings.HasSuffix(a.RedirectData.RedirectURL, "?locale=en_US") {
					t.Errorf("redirectURL = %q", a.RedirectData.RedirectURL)
				}
			case tt.want.action == "SHOW_TRANSACTION_RESULTS":
				if a.RenderingData == "" || len(a.ShowData) != 1 || a.ShowData[0] != (keyValue{"CARDHOLDERINFO", CardholderInfo}) {
					t.Errorf("merchantAction = %+v", a)
				}
			}
			if r.status == http.StatusCreated {
				if loc := r.header.Get("Location"); loc != e.apiURL("/payments/"+p.ID) {
					t.Errorf("Location = %q", loc)
				}
			}
			if got := e.sb.Charges(ref); got != tt.want.charges {
				t.Errorf("Charges = %d, want %d", got, tt.want.charges)
			}
			// GET shows the same payment.
			if got := e.getPayment(p.ID); got.Status != p.Status || got.PaymentOutput.CardPaymentMethodSpecificOutput.AuthorisationCode != card.AuthorisationCode {
				t.Errorf("GET = %+v", got)
			}
		})
	}
}

func TestServerErrorCard(t *testing.T) {
	e := newEnv(t)
	ref, r := e.create(testcards.ServerError)
	if r.status != http.StatusInternalServerError || r.path(t, "errors.0.code") != "9999" || r.path(t, "errors.0.message") != "UNKNOWN_SERVER_ERROR" {
		t.Fatalf("HTTP %d %s", r.status, r.body)
	}
	var found findPaymentsResponse
	e.do(call{method: http.MethodGet, path: "/payments", query: "merchantReference=" + ref + "&offset=0&limit=10"}).decode(t, &found)
	if found.TotalCount != 0 || len(found.Payments) != 0 || found.Payments == nil || found.Limit != 10 {
		t.Errorf("find = %+v, want none", found)
	}
	if e.sb.Charges(ref) != 0 {
		t.Error("charged")
	}
	if _, ok := e.sb.Payment(ref); ok {
		t.Error("a payment was created")
	}
}

func TestTimeoutCard(t *testing.T) {
	e := newEnv(t)
	ref := newReference()
	first := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.TimeoutAfterCharge, ref), key: ref})
	if first.err == nil {
		t.Fatalf("the timeout card answered %d %s", first.status, first.body)
	}
	var found findPaymentsResponse
	e.do(call{method: http.MethodGet, path: "/payments", query: "merchantReference=" + ref}).decode(t, &found)
	if found.TotalCount != 1 || found.Payments[0].Status != statusPendingApproval || !found.Payments[0].StatusOutput.IsAuthorized {
		t.Fatalf("find = %+v", found)
	}
	if got := e.getPayment(found.Payments[0].ID); got.Status != statusPendingApproval {
		t.Errorf("GET = %s", got.Status)
	}
	// The retry under the same key gets the answer the first never did.
	again := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.TimeoutAfterCharge, ref), key: ref})
	if again.status != http.StatusCreated || again.header.Get(headerIdempotenceTimestamp) != strconv.FormatInt(start.UnixMilli(), 10) {
		t.Fatalf("replay: %d %v %s", again.status, again.header, again.body)
	}
	c, _ := paymentOf(t, again)
	if c.Payment.ID != found.Payments[0].ID || e.sb.Charges(ref) != 1 {
		t.Errorf("replay = %+v, charges %d", c.Payment, e.sb.Charges(ref))
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	_, created := e.create(testcards.Visa)
	c, _ := paymentOf(t, created)
	id := c.Payment.ID
	tests := []struct {
		name string
		call call
	}{
		{"wrong secret", call{secret: "c2VjcmV0"}},
		{"unknown key id", call{keyID: "0123456789abcdef"}},
		{"wrong merchant in path", call{merchant: "1"}},
		{"stale Date", call{date: worldline.FormatDate(start.Add(-16 * time.Minute))}},
		{"future Date", call{date: worldline.FormatDate(start.Add(16 * time.Minute))}},
		{"no Date", call{date: "-"}},
		{"Date not RFC 1123", call{date: start.Format(time.RFC3339)}},
		{"no Authorization", call{after: func(r *http.Request) { r.Header.Del("Authorization") }}},
		{"not v1HMAC", call{after: func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }}},
		{"X-GCS header changed after signing", call{after: func(r *http.Request) { r.Header.Set("X-GCS-ServerMetaInfo", "e30=") }}},
		{"X-GCS header added after signing", call{after: func(r *http.Request) { r.Header.Set("X-GCS-ClientMetaInfo", "e30=") }}},
		{"Date changed after signing", call{after: func(r *http.Request) { r.Header.Set("Date", worldline.FormatDate(start.Add(time.Second))) }}},
		{"query changed after signing", call{after: func(r *http.Request) { r.URL.RawQuery = "x=1" }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.call
			c.method, c.path = http.MethodGet, "/payments/"+id
			r := e.do(c)
			var er errorResponse
			r.decode(t, &er)
			if r.status != http.StatusForbidden || !errorIDRegex.MatchString(er.ErrorID) || len(er.Errors) != 1 {
				t.Fatalf("HTTP %d %s", r.status, r.body)
			}
			got := er.Errors[0]
			if got.Code != "9002" || got.ID != "MISSING_OR_INVALID_AUTHORIZATION" || got.Category != "CONNECT_PLATFORM_ERROR" || got.HTTPStatusCode != 403 {
				t.Errorf("error = %+v", got)
			}
		})
	}
	// A POST signed without its Content-Type line.
	r := e.do(call{method: http.MethodPost, path: "/payments/" + id + "/cancel", after: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }})
	if r.status != http.StatusForbidden {
		t.Errorf("changed Content-Type: HTTP %d", r.status)
	}

	// Both canonical resources a client may sign are accepted; the clock
	// tolerates 15 minutes either way.
	for name, c := range map[string]call{
		"full path":         {},
		"relative path":     {relative: true},
		"14 minutes behind": {date: worldline.FormatDate(start.Add(-14 * time.Minute))},
		"14 minutes ahead":  {date: worldline.FormatDate(start.Add(14 * time.Minute))},
	} {
		c.method, c.path = http.MethodGet, "/payments/"+id
		if r := e.do(c); r.status != http.StatusOK {
			t.Errorf("%s: HTTP %d %s", name, r.status, r.body)
		}
		c.path, c.query = "/payments", "merchantReference=pay_x&limit=5"
		if r := e.do(c); r.status != http.StatusOK {
			t.Errorf("%s with a query: HTTP %d %s", name, r.status, r.body)
		}
	}
	if n := e.sb.Requests()["unauthorised"]; n != len(tests)+1 {
		t.Errorf("unauthorised requests = %d, want %d", n, len(tests)+1)
	}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t)
	_, created := e.create(testcards.Visa)
	c, _ := paymentOf(t, created)
	id := c.Payment.ID
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/payments/000000000000000000000000000000", 404, "1002"},
		{http.MethodGet, "/payments/nope", 404, "1002"},
		{http.MethodPost, "/payments/nope/approve", 404, "1002"},
		{http.MethodPost, "/payments/nope/cancel", 404, "1002"},
		{http.MethodPost, "/payments/nope/refund", 404, "1002"},
		{http.MethodDelete, "/payments/" + id, 405, "9405"},
		{http.MethodPut, "/payments", 405, "9405"},
		{http.MethodGet, "/payments/" + id + "/approve", 405, "9405"},
		{http.MethodPost, "/payments/" + id + "/tokenize", 404, "9404"},
		{http.MethodGet, "/hostedcheckouts", 404, "9404"},
	}
	for _, tt := range tests {
		r := e.do(call{method: tt.method, path: tt.path})
		if r.status != tt.status || r.path(t, "errors.0.code") != tt.code || r.path(t, "errors.0.httpStatusCode") != float64(tt.status) {
			t.Errorf("%s %s: HTTP %d %s, want %d %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code)
		}
		if tt.status == 405 && r.header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", tt.method, tt.path)
		}
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t)
	const card = "cardPaymentMethodSpecificInput"
	tests := []struct {
		name     string
		number   string
		change   func(b map[string]any)
		property string
	}{
		{"no card input", testcards.Visa, func(b map[string]any) { set(b, card, deleted) }, card},
		{"no product", testcards.Visa, func(b map[string]any) { set(b, card+".paymentProductId", deleted) }, card + ".paymentProductId"},
		{"unknown product", testcards.Visa, func(b map[string]any) { set(b, card+".paymentProductId", 9) }, card + ".paymentProductId"},
		{"product of another brand", testcards.Visa, func(b map[string]any) { set(b, card+".paymentProductId", 3) }, card + ".paymentProductId"},
		{"not Luhn", "4242424242424241", nil, card + ".card.cardNumber"},
		{"letters", "4242a24242424242", nil, card + ".card.cardNumber"},
		{"too short", "42424242424", nil, card + ".card.cardNumber"},
		{"number as a JSON number", testcards.Visa, func(b map[string]any) { set(b, card+".card.cardNumber", json.Number(testcards.Visa)) }, card + ".card.cardNumber"},
		{"expired", testcards.Visa, func(b map[string]any) { set(b, card+".card.expiryDate", "0430") }, card + ".card.expiryDate"},
		{"month 13", testcards.Visa, func(b map[string]any) { set(b, card+".card.expiryDate", "1331") }, card + ".card.expiryDate"},
		{"expiry with slash", testcards.Visa, func(b map[string]any) { set(b, card+".card.expiryDate", "12/31") }, card + ".card.expiryDate"},
		{"no CVV", testcards.Visa, func(b map[string]any) { set(b, card+".card.cvv", deleted) }, card + ".card.cvv"},
		{"four-digit CVV on Visa", testcards.Visa, func(b map[string]any) { set(b, card+".card.cvv", testAmexCVV) }, card + ".card.cvv"},
		{"three-digit CVV on Amex", testcards.Amex, func(b map[string]any) { set(b, card+".card.cvv", testCVV) }, card + ".card.cvv"},
		{"no cardholder", testcards.Visa, func(b map[string]any) { set(b, card+".card.cardholderName", " ") }, card + ".card.cardholderName"},
		{"long cardholder", testcards.Visa, func(b map[string]any) { set(b, card+".card.cardholderName", strings.Repeat("a", 52)) }, card + ".card.cardholderName"},
		{"no threeDSecure", testcards.Visa, func(b map[string]any) { set(b, card+".threeDSecure", deleted) }, card + ".threeDSecure"},
		{"in-app flow", testcards.Visa, func(b map[string]any) { set(b, card+".threeDSecure.authenticationFlow", "in-app") }, card + ".threeDSecure.authenticationFlow"},
		{"unknown indicator", testcards.Visa, func(b map[string]any) { set(b, card+".threeDSecure.challengeIndicator", "please") }, card + ".threeDSecure.challengeIndicator"},
		{"unknown canvas", testcards.Visa, func(b map[string]any) { set(b, card+".threeDSecure.challengeCanvasSize", "1x1") }, card + ".threeDSecure.challengeCanvasSize"},
		{"relative returnUrl", testcards.Visa, func(b map[string]any) {
			set(b, card+".threeDSecure.redirectionData.returnUrl", "/return")
		}, card + ".threeDSecure.redirectionData.returnUrl"},
		{"javascript returnUrl", testcards.Visa, func(b map[string]any) {
			set(b, card+".threeDSecure.redirectionData.returnUrl", "javascript:alert(1)")
		}, card + ".threeDSecure.redirectionData.returnUrl"},
		{"no order", testcards.Visa, func(b map[string]any) { set(b, "order", deleted) }, "order"},
		{"zero amount", testcards.Visa, func(b map[string]any) { set(b, "order.amountOfMoney.amount", 0) }, "order.amountOfMoney.amount"},
		{"negative amount", testcards.Visa, func(b map[string]any) { set(b, "order.amountOfMoney.amount", -5) }, "order.amountOfMoney.amount"},
		{"decimal amount", testcards.Visa, func(b map[string]any) { set(b, "order.amountOfMoney.amount", 12.5) }, "order.amountOfMoney.amount"},
		{"amount as a string", testcards.Visa, func(b map[string]any) { set(b, "order.amountOfMoney.amount", "1234") }, "order.amountOfMoney.amount"},
		{"unknown currency", testcards.Visa, func(b map[string]any) { set(b, "order.amountOfMoney.currencyCode", "EURO") }, "order.amountOfMoney.currencyCode"},
		{"lower-case currency", testcards.Visa, func(b map[string]any) { set(b, "order.amountOfMoney.currencyCode", "eur") }, "order.amountOfMoney.currencyCode"},
		{"no merchantReference", testcards.Visa, func(b map[string]any) { set(b, "order.references.merchantReference", "") }, "order.references.merchantReference"},
		{"long merchantReference", testcards.Visa, func(b map[string]any) {
			set(b, "order.references.merchantReference", strings.Repeat("r", 51))
		}, "order.references.merchantReference"},
		{"long descriptor", testcards.Visa, func(b map[string]any) { set(b, "order.references.descriptor", strings.Repeat("d", 257)) }, "order.references.descriptor"},
		{"no device", testcards.Visa, func(b map[string]any) { set(b, "order.customer.device", deleted) }, "order.customer.device"},
		{"no acceptHeader", testcards.Visa, func(b map[string]any) { set(b, "order.customer.device.acceptHeader", deleted) }, "order.customer.device.acceptHeader"},
		{"no userAgent", testcards.Visa, func(b map[string]any) { set(b, "order.customer.device.userAgent", "") }, "order.customer.device.userAgent"},
		{"no ipAddress", testcards.Visa, func(b map[string]any) { set(b, "order.customer.device.ipAddress", deleted) }, "order.customer.device.ipAddress"},
		{"bad ipAddress", testcards.Visa, func(b map[string]any) { set(b, "order.customer.device.ipAddress", "300.1.1.1") }, "order.customer.device.ipAddress"},
		{"no locale", testcards.Visa, func(b map[string]any) { set(b, "order.customer.device.locale", deleted) }, "order.customer.device.locale"},
		{"no timezone", testcards.Visa, func(b map[string]any) {
			set(b, "order.customer.device.timezoneOffsetUtcMinutes", deleted)
		}, "order.customer.device.timezoneOffsetUtcMinutes"},
		{"timezone as a number", testcards.Visa, func(b map[string]any) {
			set(b, "order.customer.device.timezoneOffsetUtcMinutes", -60)
		}, "order.customer.device.timezoneOffsetUtcMinutes"},
		{"no browserData", testcards.Visa, func(b map[string]any) { set(b, "order.customer.device.browserData", deleted) }, "order.customer.device.browserData"},
		{"no colorDepth", testcards.Visa, func(b map[string]any) {
			set(b, "order.customer.device.browserData.colorDepth", deleted)
		}, "order.customer.device.browserData.colorDepth"},
		{"no screenHeight", testcards.Visa, func(b map[string]any) {
			set(b, "order.customer.device.browserData.screenHeight", deleted)
		}, "order.customer.device.browserData.screenHeight"},
		{"screenWidth not a number", testcards.Visa, func(b map[string]any) {
			set(b, "order.customer.device.browserData.screenWidth", "wide")
		}, "order.customer.device.browserData.screenWidth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var change []func(map[string]any)
			if tt.change != nil {
				change = append(change, tt.change)
			}
			ref, r := e.create(tt.number, change...)
			var er errorResponse
			r.decode(t, &er)
			if r.status != http.StatusBadRequest || len(er.Errors) != 1 || er.PaymentResult != nil {
				t.Fatalf("HTTP %d %s", r.status, r.body)
			}
			got := er.Errors[0]
			if got.Code != "21000020" || got.PropertyName != tt.property || got.HTTPStatusCode != 400 || got.Message == "" {
				t.Errorf("error = %+v, want property %s", got, tt.property)
			}
			if _, ok := e.sb.Payment(ref); ok {
				t.Error("an invalid request created a payment")
			}
		})
	}

	// Malformed bodies.
	for name, c := range map[string]call{
		"not JSON":       {body: []byte("{")},
		"trailing data":  {body: []byte("{} {}")},
		"not JSON media": {body: []byte("{}"), contentType: "text/plain"},
	} {
		c.method, c.path = http.MethodPost, "/payments"
		if r := e.do(c); r.status != http.StatusBadRequest || r.path(t, "errors.0.code") != "21000020" {
			t.Errorf("%s: HTTP %d %s", name, r.status, r.body)
		}
	}

	// A browser without JavaScript sends no colour depth or screen size
	// (EMV 3DS 2.2), and neither is needed then.
	_, r := e.create(testcards.Visa, func(b map[string]any) {
		set(b, "order.customer.device.browserData", map[string]any{"javaEnabled": false, "javaScriptEnabled": false})
	})
	if r.status != http.StatusCreated {
		t.Errorf("no-JS browser: HTTP %d %s", r.status, r.body)
	}
	// Unknown properties are ignored.
	_, r = e.create(testcards.Visa, func(b map[string]any) { set(b, "fraudFields", map[string]any{"customerIpAddress": "203.0.113.7"}) })
	if r.status != http.StatusCreated {
		t.Errorf("unknown property: HTTP %d %s", r.status, r.body)
	}
}

func TestIdempotence(t *testing.T) {
	e := newEnv(t)
	ref := newReference()
	body := createBody(testcards.Visa, ref)
	first := e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref})
	if first.status != http.StatusCreated || first.header.Get(headerIdempotenceTimestamp) != "" {
		t.Fatalf("first: HTTP %d %v", first.status, first.header)
	}
	e.advance(time.Minute)
	for range 2 {
		again := e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref})
		if again.status != first.status || !bytes.Equal(again.body, first.body) || again.header.Get("Location") != first.header.Get("Location") {
			t.Errorf("replay: HTTP %d %s\nwant %s", again.status, again.body, first.body)
		}
		if ts := again.header.Get(headerIdempotenceTimestamp); ts != strconv.FormatInt(start.UnixMilli(), 10) {
			t.Errorf("%s = %q", headerIdempotenceTimestamp, ts)
		}
	}
	if n := e.sb.Charges(ref); n != 1 {
		t.Errorf("Charges = %d after replays", n)
	}
	if got := e.sb.Requests(); got["create"] != 1 || got["replayed"] != 2 {
		t.Errorf("requests = %v", got)
	}
	// A new key is a new payment with the same reference.
	other := e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref + "-2"})
	if other.status != http.StatusCreated || bytes.Equal(other.body, first.body) || e.sb.Charges(ref) != 2 {
		t.Errorf("new key: HTTP %d, charges %d", other.status, e.sb.Charges(ref))
	}

	// A decline replays as a decline.
	declineRef := newReference()
	d1 := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.DeclineFunds, declineRef), key: declineRef})
	d2 := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.DeclineFunds, declineRef), key: declineRef})
	if d1.status != 402 || d2.status != 402 || !bytes.Equal(d1.body, d2.body) {
		t.Errorf("decline replay: %d %d", d1.status, d2.status)
	}

	// Without a key, every request is new.
	noKey := newReference()
	for range 2 {
		e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.Visa, noKey)})
	}
	if e.sb.Charges(noKey) != 2 {
		t.Errorf("without a key: Charges = %d", e.sb.Charges(noKey))
	}
}

func TestIdempotenceInFlight(t *testing.T) {
	e := newEnv(t)
	ref := newReference()
	body := createBody(testcards.Visa, ref)
	entered, release := e.sb.HoldNext()
	defer release()
	done := make(chan result, 1)
	go func() { done <- e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref}) }()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first request never arrived")
	}
	dup := e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref})
	var er errorResponse
	dup.decode(t, &er)
	if dup.status != http.StatusConflict || len(er.Errors) != 1 || er.Errors[0].Code != "1409" || er.Errors[0].HTTPStatusCode != 409 {
		t.Fatalf("duplicate in flight: HTTP %d %s", dup.status, dup.body)
	}
	if dup.header.Get(headerIdempotenceTimestamp) != strconv.FormatInt(start.UnixMilli(), 10) {
		t.Errorf("409 timestamp = %q", dup.header.Get(headerIdempotenceTimestamp))
	}
	if _, ok := e.sb.Payment(ref); ok {
		t.Error("the held request already created its payment")
	}
	release()
	first := <-done
	if first.status != http.StatusCreated {
		t.Fatalf("first: HTTP %d %s", first.status, first.body)
	}
	replay := e.do(call{method: http.MethodPost, path: "/payments", body: body, key: ref})
	if replay.status != http.StatusCreated || !bytes.Equal(replay.body, first.body) {
		t.Errorf("replay after the first finished: HTTP %d", replay.status)
	}
	if e.sb.Charges(ref) != 1 || e.sb.Requests()["in-progress"] != 1 {
		t.Errorf("charges %d, requests %v", e.sb.Charges(ref), e.sb.Requests())
	}
}

// page fetches a browser page without following redirects.
func (e *env) page(method, target string, form url.Values) (*http.Response, *goquery.Document) {
	e.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = e.client.PostForm(target, form)
	} else {
		resp, err = e.client.Get(target)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	e.keep(b)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, doc
}

// challenge creates a payment that needs a challenge and opens its page.
func (e *env) challenge(number string, change ...func(map[string]any)) (string, createPaymentResponse, *goquery.Document) {
	e.t.Helper()
	ref, r := e.create(number, change...)
	c, _ := paymentOf(e.t, r)
	if c.MerchantAction == nil || c.MerchantAction.RedirectData == nil {
		e.t.Fatalf("no redirect: %s", r.body)
	}
	resp, doc := e.page(http.MethodGet, c.MerchantAction.RedirectData.RedirectURL, nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("challenge page: HTTP %d", resp.StatusCode)
	}
	checkPageHeaders(e.t, resp, doc)
	return ref, c, doc
}

// answer submits the challenge form the way a browser would.
func (e *env) answer(doc *goquery.Document, otp, button string) *http.Response {
	e.t.Helper()
	form := doc.Find("form")
	action, _ := form.Attr("action")
	values := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		values.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	input := doc.Find(`[data-testid="otp-input"]`)
	values.Set(input.AttrOr("name", ""), otp)
	b := doc.Find(`[data-testid="` + button + `"]`)
	if b.Length() != 1 {
		e.t.Fatalf("no %s button", button)
	}
	values.Set(b.AttrOr("name", ""), b.AttrOr("value", ""))
	resp, _ := e.page(http.MethodPost, action, values)
	return resp
}

// checkReturn checks a 303 back to the merchant's return URL.
func checkReturn(t *testing.T, resp *http.Response, c createPaymentResponse) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("HTTP %d, want 303", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if loc.Host != "checkout.example.com" || !strings.HasPrefix(loc.Path, "/c/cs_1/return/pay_") ||
		q.Get("session") != "cs_1" || q.Get("step") != "3ds" || !strings.HasPrefix(loc.RawQuery, "session=cs_1&step=3ds&") ||
		q.Get("RETURNMAC") != c.MerchantAction.RedirectData.ReturnMAC || q.Get("REF") != c.Payment.ID || q.Get("paymentId") != c.Payment.ID {
		t.Errorf("Location = %s", loc)
	}
}

// checkPageHeaders checks a third-party page's own headers and that it
// loads nothing and runs nothing.
func checkPageHeaders(t testing.TB, resp *http.Response, doc *goquery.Document) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	m := regexp.MustCompile(`^default-src 'none'; style-src 'nonce-([^']+)'; base-uri 'none'$`).FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("CSP = %q", csp)
	}
	for h, want := range map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if n := doc.Find("script, [src], link, iframe, img").Length(); n != 0 {
		t.Errorf("the page has %d scripts or resources", n)
	}
	doc.Find("style").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("nonce", "") != m[1] {
			t.Error("<style> without the page's nonce")
		}
	})
}

func TestChallengePage(t *testing.T) {
	e := newEnv(t)
	ref, c, doc := e.challenge(testcards.Challenge)
	if !e.sb.Challenged(ref) {
		t.Error("Challenged = false after the page was shown")
	}
	for testid, want := range map[string]string{"acs-merchant": "checkout.example.com", "acs-amount": "€12.34", "acs-card": "Visa •••• 3220"} {
		if got := strings.TrimSpace(doc.Find(`[data-testid="` + testid + `"]`).Text()); got != want {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	form := doc.Find("form")
	redirectURL := c.MerchantAction.RedirectData.RedirectURL
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != strings.Split(redirectURL, "?")[0] {
		t.Errorf("form = %s %s", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	for _, id := range []string{"otp-input", "otp-submit", "otp-cancel"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("no data-testid %s", id)
		}
	}
	if doc.Find(`main.c600x400`).Length() != 1 {
		t.Error("the page is not sized to challengeCanvasSize 600x400")
	}

	// Requests the simulated ACS refuses change nothing.
	path := strings.Split(redirectURL, "?")[0]
	for name, target := range map[string]string{
		"wrong returnMAC": path + "?returnMAC=" + e.sb.rnd.UUID(),
		"no returnMAC":    path,
	} {
		if resp, doc := e.page(http.MethodGet, target, nil); resp.StatusCode != http.StatusBadRequest || doc.Find(`[data-testid="acs-error"]`).Length() != 1 {
			t.Errorf("%s: HTTP %d", name, resp.StatusCode)
		}
	}
	if resp, _ := e.page(http.MethodGet, e.base+"/3dsecure/"+e.sb.rnd.UUID()+"?returnMAC=x", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown challenge: HTTP %d", resp.StatusCode)
	}
	if resp, _ := e.page(http.MethodPost, path, url.Values{"returnMAC": {"forged"}, "otp": {testcards.ChallengeCode}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST with a wrong returnMAC: HTTP %d", resp.StatusCode)
	}
	if got := e.getPayment(c.Payment.ID); got.Status != statusRedirected {
		t.Fatalf("after refused requests: %s", got.Status)
	}

	// The right code passes, then the browser goes back to the merchant.
	checkReturn(t, e.answer(doc, testcards.ChallengeCode, "otp-submit"), c)
	got := e.getPayment(c.Payment.ID)
	tds := got.PaymentOutput.CardPaymentMethodSpecificOutput.ThreeDSecureResults
	if got.Status != statusPendingApproval || got.StatusOutput.StatusCode != 600 || got.StatusOutput.ThreeDSecureStatus != "" ||
		tds == nil || tds.ECI != "05" || !cavvPattern.MatchString(tds.CAVV) || tds.ThreeDSecureData.Method != "challenged" ||
		tds.ThreeDServerTransactionID != c.Payment.PaymentOutput.CardPaymentMethodSpecificOutput.ThreeDSecureResults.ThreeDServerTransactionID {
		t.Errorf("after the challenge: %+v %+v", got.StatusOutput, tds)
	}
	if e.sb.Charges(ref) != 1 {
		t.Errorf("Charges = %d", e.sb.Charges(ref))
	}
	// A second answer changes nothing and goes back again.
	checkReturn(t, e.answer(doc, "0000", "otp-submit"), c)
	if again := e.getPayment(c.Payment.ID); again.Status != statusPendingApproval || e.sb.Charges(ref) != 1 ||
		again.PaymentOutput.CardPaymentMethodSpecificOutput.AuthorisationCode != got.PaymentOutput.CardPaymentMethodSpecificOutput.AuthorisationCode {
		t.Errorf("after a second answer: %s, charges %d", again.Status, e.sb.Charges(ref))
	}
	resp, finished := e.page(http.MethodGet, redirectURL, nil)
	if resp.StatusCode != http.StatusOK || finished.Find(`[data-testid="otp-input"]`).Length() != 0 ||
		!strings.Contains(finished.Find(`[data-testid="acs-return"]`).AttrOr("href", ""), "RETURNMAC=") {
		t.Errorf("reopened page: HTTP %d", resp.StatusCode)
	}
}

func TestChallengeOutcomes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		card    string
		change  func(map[string]any)
		otp     string
		button  string
		status  string
		code    int
		decline string
		eci     string
		threeDS string
		charges int
	}{
		{"wrong code", testcards.Challenge, nil, "9999", "otp-submit", statusRejected, 180, "401025", "", threeDSFailed, 0},
		{"empty code", testcards.Challenge, nil, "", "otp-submit", statusRejected, 180, "401025", "", threeDSFailed, 0},
		{"cancel", testcards.Challenge, nil, testcards.ChallengeCode, "otp-cancel", statusRejected, 180, "401025", "", threeDSFailed, 0},
		{"pass then issuer decline", testcards.ChallengeThenDecline, nil, testcards.ChallengeCode, "otp-submit", statusRejected, 100, "430285", "05", "", 0},
		{"mastercard asked to challenge", testcards.Mastercard, func(b map[string]any) {
			set(b, "cardPaymentMethodSpecificInput.threeDSecure.challengeIndicator", "challenge-requested")
		}, " 1234 ", "otp-submit", statusPendingApproval, 600, "", "02", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var change []func(map[string]any)
			if tt.change != nil {
				change = append(change, tt.change)
			}
			ref, c, doc := e.challenge(tt.card, change...)
			checkReturn(t, e.answer(doc, tt.otp, tt.button), c)
			got := e.getPayment(c.Payment.ID)
			so := got.StatusOutput
			tds := got.PaymentOutput.CardPaymentMethodSpecificOutput.ThreeDSecureResults
			if got.Status != tt.status || so.StatusCode != tt.code || so.ThreeDSecureStatus != tt.threeDS || tds == nil || tds.ECI != tt.eci ||
				tds.ThreeDSecureData == nil || tds.ThreeDSecureData.Method != "challenged" {
				t.Errorf("payment = %+v %+v", so, tds)
			}
			if (tt.decline == "") != (len(so.Errors) == 0) || (tt.decline != "" && so.Errors[0].Code != tt.decline) {
				t.Errorf("errors = %+v, want %s", so.Errors, tt.decline)
			}
			if e.sb.Charges(ref) != tt.charges || !e.sb.Challenged(ref) {
				t.Errorf("charges %d, challenged %v", e.sb.Charges(ref), e.sb.Challenged(ref))
			}
		})
	}
}

func TestRedirector(t *testing.T) {
	e := newEnv(t)
	ref, r := e.create(ThreeDSMethodCard)
	c, _ := paymentOf(t, r)
	target := c.MerchantAction.RedirectData.RedirectURL
	for range 2 {
		resp, _ := e.page(http.MethodGet, target, nil)
		checkReturn(t, resp, c)
	}
	got := e.getPayment(c.Payment.ID)
	tds := got.PaymentOutput.CardPaymentMethodSpecificOutput.ThreeDSecureResults
	before := c.Payment.PaymentOutput.CardPaymentMethodSpecificOutput.ThreeDSecureResults
	if got.Status != statusPendingApproval || tds == nil || tds.ECI != "05" || tds.ThreeDSecureData.Method != "frictionless" ||
		!cavvPattern.MatchString(tds.CAVV) || tds.DirectoryServerTransactionID != before.DirectoryServerTransactionID ||
		tds.ThreeDSecureData.AcsTransactionID != before.ThreeDSecureData.AcsTransactionID {
		t.Errorf("after the hop: %s %+v", got.Status, tds)
	}
	if e.sb.Charges(ref) != 1 || e.sb.Challenged(ref) {
		t.Errorf("charges %d, challenged %v", e.sb.Charges(ref), e.sb.Challenged(ref))
	}
	if resp, _ := e.page(http.MethodGet, e.base+"/redirector/"+e.sb.rnd.UUID()+"?locale=en_US", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown hop: HTTP %d", resp.StatusCode)
	}
}

// paymentAnswer decodes {"payment": …}.
func paymentAnswer(t testing.TB, r result, status int) paymentResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("HTTP %d, want %d: %s", r.status, status, r.body)
	}
	var pe paymentEnvelope
	r.decode(t, &pe)
	return pe.Payment
}

func expectError(t *testing.T, name string, r result, status int, code, property string) {
	t.Helper()
	var er errorResponse
	r.decode(t, &er)
	if r.status != status || len(er.Errors) != 1 || er.Errors[0].Code != code || er.Errors[0].PropertyName != property {
		t.Errorf("%s: HTTP %d %s, want %d %s %s", name, r.status, r.body, status, code, property)
	}
}

func TestApproveCancelRefund(t *testing.T) {
	e := newEnv(t)
	post := func(id, action string, body any, key string) result {
		return e.do(call{method: http.MethodPost, path: "/payments/" + id + "/" + action, body: body, key: key})
	}
	ref, r := e.create(testcards.Visa)
	c, _ := paymentOf(t, r)
	id := c.Payment.ID

	expectError(t, "approve too much", post(id, "approve", map[string]any{"amount": 1235}, ""), 400, "21000020", "amount")
	expectError(t, "refund before capture", post(id, "refund", map[string]any{"amountOfMoney": map[string]any{"amount": 1, "currencyCode": "EUR"}}, ""), 409, "300450", "")

	approved := paymentAnswer(t, post(id, "approve", map[string]any{"amount": 1234}, id+"-approve"), http.StatusOK)
	if approved.Status != statusCaptureRequested || approved.StatusOutput.StatusCode != 800 || approved.StatusOutput.IsRefundable ||
		approved.StatusOutput.StatusCategory != "PENDING_CONNECT_OR_3RD_PARTY" {
		t.Errorf("approve = %+v", approved.StatusOutput)
	}
	// The replay still says CAPTURE_REQUESTED; a read settles it.
	if replay := paymentAnswer(t, post(id, "approve", map[string]any{"amount": 1234}, id+"-approve"), http.StatusOK); replay.Status != statusCaptureRequested {
		t.Errorf("approve replay = %s", replay.Status)
	}
	got := e.getPayment(id)
	if got.Status != statusCaptured || got.StatusOutput.StatusCode != 900 || !got.StatusOutput.IsRefundable || got.StatusOutput.IsCancellable {
		t.Errorf("after approve, GET = %+v", got.StatusOutput)
	}
	expectError(t, "approve twice", post(id, "approve", nil, ""), 409, "300450", "")
	expectError(t, "cancel captured", post(id, "cancel", nil, ""), 409, "300450", "")

	refund := func(amount any, currency, key string) result {
		return post(id, "refund", map[string]any{
			"amountOfMoney":    map[string]any{"amount": amount, "currencyCode": currency},
			"refundReferences": map[string]any{"merchantReference": "re_" + key},
		}, key)
	}
	expectError(t, "refund in USD", refund(100, "USD", ""), 400, "21000020", "amountOfMoney.currencyCode")
	expectError(t, "refund zero", refund(0, "EUR", ""), 400, "21000020", "amountOfMoney.amount")
	expectError(t, "refund no amount", post(id, "refund", map[string]any{}, ""), 400, "21000020", "amountOfMoney")

	var rf refundResponse
	r1 := refund(500, "EUR", "r1")
	if r1.status != http.StatusCreated {
		t.Fatalf("refund: HTTP %d %s", r1.status, r1.body)
	}
	r1.decode(t, &rf)
	if rf.ID != id+"-1" || rf.Status != statusRefundRequested || rf.StatusOutput.StatusCode != 800 ||
		rf.StatusOutput.StatusCategory != "PENDING_CONNECT_OR_3RD_PARTY" || rf.RefundOutput.AmountOfMoney != (money{500, "EUR"}) ||
		rf.RefundOutput.References == nil || rf.RefundOutput.References.MerchantReference != "re_r1" {
		t.Errorf("refund = %+v", rf)
	}
	if again := refund(500, "EUR", "r1"); !bytes.Equal(again.body, r1.body) {
		t.Error("refund replay differs")
	}
	if st, _ := e.sb.Payment(ref); st.Status != statusCaptured || st.Refunded != 500 || st.Captured != 1234 {
		t.Errorf("after a partial refund: %+v", st)
	}
	expectError(t, "over-refund", refund(735, "EUR", "r2"), 400, "21000020", "amountOfMoney.amount")
	r3 := refund(734, "EUR", "r3")
	r3.decode(t, &rf)
	if r3.status != http.StatusCreated || rf.ID != id+"-2" {
		t.Errorf("second refund: HTTP %d %+v", r3.status, rf)
	}
	if got := e.getPayment(id); got.Status != statusRefunded || got.StatusOutput.StatusCode != 1800 ||
		got.StatusOutput.StatusCategory != "REFUNDED" || got.StatusOutput.IsRefundable {
		t.Errorf("after refunding everything: %+v", got.StatusOutput)
	}
	expectError(t, "refund a refunded payment", refund(1, "EUR", "r4"), 409, "300450", "")

	// Cancel.
	_, r = e.create(testcards.Visa)
	c, _ = paymentOf(t, r)
	cancelled := paymentAnswer(t, post(c.Payment.ID, "cancel", nil, c.Payment.ID+"-cancel"), http.StatusOK)
	if cancelled.Status != statusCancelled || cancelled.StatusOutput.StatusCode != 99999 || cancelled.StatusOutput.IsAuthorized ||
		cancelled.StatusOutput.StatusCategory != "UNSUCCESSFUL" {
		t.Errorf("cancel = %+v", cancelled.StatusOutput)
	}
	expectError(t, "approve cancelled", post(c.Payment.ID, "approve", map[string]any{"amount": 1234}, ""), 409, "300450", "")
	expectError(t, "cancel twice", post(c.Payment.ID, "cancel", nil, ""), 409, "300450", "")

	// Approve without a body takes the whole amount; a partial approval caps refunds.
	_, r = e.create(testcards.Mastercard)
	c, _ = paymentOf(t, r)
	if p := paymentAnswer(t, post(c.Payment.ID, "approve", nil, ""), http.StatusOK); p.Status != statusCaptureRequested {
		t.Errorf("approve without a body: %s", p.Status)
	}
	_, r = e.create(testcards.Visa)
	c, _ = paymentOf(t, r)
	paymentAnswer(t, post(c.Payment.ID, "approve", map[string]any{"amount": 1000}, ""), http.StatusOK)
	id = c.Payment.ID
	expectError(t, "refund over a partial capture", refund(1001, "EUR", ""), 400, "21000020", "amountOfMoney.amount")

	// Declined and redirected payments cannot be approved.
	_, r = e.create(testcards.DeclineGeneric)
	c, _ = paymentOf(t, r)
	expectError(t, "approve rejected", post(c.Payment.ID, "approve", nil, ""), 409, "300450", "")
	_, r = e.create(testcards.Challenge)
	c, _ = paymentOf(t, r)
	expectError(t, "cancel redirected", post(c.Payment.ID, "cancel", nil, ""), 409, "300450", "")

	// Without requiresApproval the payment is captured straight away.
	_, r = e.create(testcards.Visa, func(b map[string]any) { set(b, "cardPaymentMethodSpecificInput.requiresApproval", false) })
	c, _ = paymentOf(t, r)
	if c.Payment.Status != statusCaptureRequested || e.getPayment(c.Payment.ID).Status != statusCaptured {
		t.Errorf("automatic capture: %s", c.Payment.Status)
	}

	// The ledger accessors read like any caller: they settle a capture too.
	ref, r = e.create(testcards.Visa)
	c, _ = paymentOf(t, r)
	paymentAnswer(t, post(c.Payment.ID, "approve", nil, ""), http.StatusOK)
	if st, ok := e.sb.PaymentState(ref); !ok || st.Status != statusCaptured || st.StatusCode != 900 || st.Captured != 1234 ||
		st.Authorisations != 1 || st.ECI != "05" || st.Last4 != "4242" || st.Brand != checkout.BrandVisa || st.ID != c.Payment.ID {
		t.Errorf("PaymentState = %+v", st)
	}
	if _, ok := e.sb.Payment("pay_unknown"); ok {
		t.Error("Payment found an unknown reference")
	}
}

func TestFind(t *testing.T) {
	e := newEnv(t)
	ref := newReference()
	var ids []string
	for i := range 3 {
		r := e.do(call{method: http.MethodPost, path: "/payments", body: createBody(testcards.Visa, ref), key: fmt.Sprint(ref, i)})
		c, _ := paymentOf(t, r)
		ids = append(ids, c.Payment.ID)
	}
	e.create(testcards.Visa) // another reference
	var found findPaymentsResponse
	e.do(call{method: http.MethodGet, path: "/payments", query: "merchantReference=" + ref + "&offset=1&limit=1"}).decode(t, &found)
	if found.TotalCount != 3 || found.Offset != 1 || found.Limit != 1 || len(found.Payments) != 1 || found.Payments[0].ID != ids[1] {
		t.Errorf("find = %+v", found)
	}
	e.do(call{method: http.MethodGet, path: "/payments"}).decode(t, &found)
	if found.TotalCount != 4 || len(found.Payments) != 4 || found.Offset != 0 || found.Limit != 10 {
		t.Errorf("find all = %+v", found)
	}
	expectError(t, "limit 0", e.do(call{method: http.MethodGet, path: "/payments", query: "limit=0"}), 400, "21000020", "limit")
	expectError(t, "offset -1", e.do(call{method: http.MethodGet, path: "/payments", query: "offset=-1"}), 400, "21000020", "offset")
}

// receiver is a merchant's webhook endpoint.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	fail     int // answer 500 to this many POSTs first
	received []received
	echo     func(w http.ResponseWriter, value string)
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.echo = func(w http.ResponseWriter, value string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, value)
	}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if r.Method == http.MethodGet {
			rc.echo(w, r.Header.Get(headerVerification))
			return
		}
		body, _ := io.ReadAll(r.Body)
		rc.received = append(rc.received, received{r.Header.Clone(), body})
		if rc.fail > 0 {
			rc.fail--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setFail(n int) {
	rc.mu.Lock()
	rc.fail = n
	rc.mu.Unlock()
}

func (e *env) waitWebhooks() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.sb.WaitWebhooks(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func TestWebhooks(t *testing.T) {
	e := newEnv(t)
	e.hooks.setFail(1)
	ref, r := e.create(testcards.Visa)
	c, _ := paymentOf(t, r)
	e.waitWebhooks()
	ds := e.sb.Deliveries()
	if len(ds) != 1 || ds[0].Type != "payment.pending_approval" || !ds[0].Delivered || !ds[0].Done || ds[0].Status != 204 ||
		ds[0].PaymentID != c.Payment.ID || ds[0].MerchantReference != ref ||
		len(ds[0].Attempts) != 2 || ds[0].Attempts[0] != 500 || ds[0].Attempts[1] != 204 {
		t.Fatalf("deliveries = %+v", ds)
	}
	e.hooks.mu.Lock()
	got := append([]received(nil), e.hooks.received...)
	e.hooks.mu.Unlock()
	if len(got) != 2 || !bytes.Equal(got[0].body, got[1].body) {
		t.Fatalf("received %d posts", len(got))
	}
	for _, rcv := range got {
		if !worldline.VerifyWebhookSignature(e.creds.WebhookSecret, rcv.body, rcv.header.Get(headerSignature)) ||
			rcv.header.Get(headerKeyID) != e.creds.WebhookKeyID || rcv.header.Get("Content-Type") != "application/json" {
			t.Errorf("headers = %v", rcv.header)
		}
	}
	var ev webhookEvent
	if err := json.Unmarshal(got[0].body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.APIVersion != "v1" || !uuidPattern.MatchString(ev.ID) || ev.MerchantID != e.creds.MerchantID || ev.Type != "payment.pending_approval" ||
		ev.Created != "2030-05-01T12:00:00.000+0000" || ev.Payment == nil || ev.Payment.ID != c.Payment.ID || ev.Payment.Status != statusPendingApproval {
		t.Errorf("event = %+v", ev)
	}

	// Every status change, in order for one payment driven step by step.
	id := c.Payment.ID
	steps := []struct {
		do   func()
		want []string
	}{
		{func() {
			e.do(call{method: http.MethodPost, path: "/payments/" + id + "/approve", body: map[string]any{"amount": 1234}})
		},
			[]string{"payment.capture_requested"}},
		{func() { e.getPayment(id) }, []string{"payment.captured"}},
		{func() {
			e.do(call{method: http.MethodPost, path: "/payments/" + id + "/refund",
				body: map[string]any{"amountOfMoney": map[string]any{"amount": 1234, "currencyCode": "EUR"}}})
		}, []string{"refund.refund_requested", "payment.refunded"}},
		{func() { e.getPayment(id) }, nil},
	}
	seen := len(ds)
	for i, st := range steps {
		st.do()
		e.waitWebhooks()
		ds = e.sb.Deliveries()
		var types []string
		for _, d := range ds[seen:] {
			types = append(types, d.Type)
			if !d.Delivered {
				t.Errorf("%s not delivered: %v", d.Type, d.Attempts)
			}
		}
		seen = len(ds)
		if strings.Join(types, ",") != strings.Join(st.want, ",") {
			t.Errorf("step %d: events %v, want %v", i, types, st.want)
		}
	}
	var refundEvent webhookEvent
	_ = json.Unmarshal(ds[len(ds)-2].Body, &refundEvent)
	if refundEvent.Refund == nil || refundEvent.Refund.ID != id+"-1" || refundEvent.Payment != nil {
		t.Errorf("refund event = %s", ds[len(ds)-2].Body)
	}

	// Challenge, decline and redirect events.
	_, c2, doc := e.challenge(testcards.Challenge)
	e.answer(doc, "0000", "otp-submit")
	e.waitWebhooks()
	ds = e.sb.Deliveries()
	if a, b := ds[len(ds)-2], ds[len(ds)-1]; a.Type != "payment.redirected" || b.Type != "payment.rejected" || !bytes.Contains(b.Body, []byte(c2.Payment.ID)) {
		t.Errorf("challenge events = %s, %s", a.Type, b.Type)
	}
}

func TestWebhookRetriesGiveUp(t *testing.T) {
	e := newEnv(t)
	e.hooks.setFail(100)
	e.create(testcards.DeclineGeneric)
	e.waitWebhooks()
	ds := e.sb.Deliveries()
	if len(ds) != 1 || ds[0].Delivered || !ds[0].Done || len(ds[0].Attempts) != 1+len(webhookRetryDelays) {
		t.Fatalf("deliveries = %+v", ds)
	}
	// Close abandons retries at once.
	e.create(testcards.Visa)
	began := time.Now()
	if err := e.sb.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("Close took %s", d)
	}
	if ds := e.sb.Deliveries(); len(ds) != 2 || ds[1].Delivered || len(ds[1].Attempts) > 1 {
		t.Errorf("after Close: %+v", ds[1])
	}
}

func TestVerifyEndpoint(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.sb.VerifyEndpoint(ctx); err != nil {
		t.Fatalf("a correct echo: %v", err)
	}
	for name, echo := range map[string]func(w http.ResponseWriter, value string){
		"wrong value": func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "nope")
		},
		"JSON": func(w http.ResponseWriter, value string) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, value)
		},
		"404": func(w http.ResponseWriter, value string) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, value)
		},
	} {
		e.hooks.mu.Lock()
		e.hooks.echo = echo
		e.hooks.mu.Unlock()
		if err := e.sb.VerifyEndpoint(ctx); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	creds, _ := NewCredentials()
	sb, err := New(Config{PublicURL: "http://127.0.0.1/", Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.VerifyEndpoint(ctx); err == nil {
		t.Error("verified without a WebhookURL")
	}
}

func TestNew(t *testing.T) {
	good, _ := NewCredentials()
	other, _ := NewCredentials()
	if !regexp.MustCompile(`^\d{5}$`).MatchString(good.MerchantID) || good.APIKeyID == "" || good.SecretAPIKey == "" ||
		good.WebhookKeyID == "" || good.WebhookSecret == "" || other.SecretAPIKey == good.SecretAPIKey {
		t.Errorf("NewCredentials = %+v", good)
	}
	for name, cfg := range map[string]Config{
		"relative public URL": {PublicURL: "/sandbox", Credentials: good},
		"no credentials":      {PublicURL: "http://127.0.0.1"},
		"letters in merchant": {PublicURL: "http://127.0.0.1", Credentials: Credentials{MerchantID: "M1", APIKeyID: "k", SecretAPIKey: "s", WebhookKeyID: "w", WebhookSecret: "x"}},
		"bad webhook URL":     {PublicURL: "http://127.0.0.1", Credentials: good, WebhookURL: "notify"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestTestCardNumbers(t *testing.T) {
	for number := range worldlineCards {
		if !checkout.Luhn(number) {
			t.Errorf("%s fails Luhn", number)
		}
	}
}

// TestNoCardData runs every card through the sandbox and proves that no
// card number or CVV is in anything it answered, showed, posted or kept.
func TestNoCardData(t *testing.T) {
	e := newEnv(t)
	numbers := []string{ThreeDSMethodCard, "4111111111111111"}
	for _, row := range testcards.Table() {
		numbers = append(numbers, row.Number)
	}
	for number := range worldlineCards {
		numbers = append(numbers, number)
	}
	for _, number := range numbers {
		_, r := e.create(number)
		if r.status != http.StatusCreated {
			continue
		}
		c, _ := paymentOf(t, r)
		if a := c.MerchantAction; a != nil && a.RedirectData != nil {
			resp, doc := e.page(http.MethodGet, a.RedirectData.RedirectURL, nil)
			if resp.StatusCode == http.StatusOK && doc.Find("form").Length() == 1 {
				e.answer(doc, testcards.ChallengeCode, "otp-submit")
			}
		} else if c.Payment.Status == statusPendingApproval {
			e.do(call{method: http.MethodPost, path: "/payments/" + c.Payment.ID + "/approve", body: map[string]any{"amount": 1234}})
			e.do(call{method: http.MethodPost, path: "/payments/" + c.Payment.ID + "/refund",
				body: map[string]any{"amountOfMoney": map[string]any{"amount": 100, "currencyCode": "EUR"}}})
		}
		e.getPayment(c.Payment.ID)
	}
	// Validation errors about the card itself.
	e.create(testcards.Amex, func(b map[string]any) { set(b, "cardPaymentMethodSpecificInput.card.cvv", testCVV) })
	e.create(testcards.Visa, func(b map[string]any) { set(b, "cardPaymentMethodSpecificInput.paymentProductId", 2) })
	e.create(testcards.Visa, func(b map[string]any) { set(b, "cardPaymentMethodSpecificInput.card.expiryDate", "0101") })
	e.waitWebhooks()

	var haystack [][]byte
	e.mu.Lock()
	haystack = append(haystack, e.captured...)
	e.mu.Unlock()
	for _, d := range e.sb.Deliveries() {
		haystack = append(haystack, d.Body)
	}
	e.hooks.mu.Lock()
	for _, rcv := range e.hooks.received {
		haystack = append(haystack, rcv.body)
	}
	e.hooks.mu.Unlock()
	// What the sandbox keeps: payments and stored idempotent answers.
	e.sb.mu.Lock()
	for _, p := range e.sb.created {
		haystack = append(haystack, fmt.Appendf(nil, "%#v %#v %#v", *p, p.card, p.threeDS))
	}
	for _, rec := range e.sb.idempotence {
		haystack = append(haystack, rec.answer.body, fmt.Appendf(nil, "%#v", rec.answer.header))
	}
	e.sb.mu.Unlock()
	if len(haystack) < 50 {
		t.Fatalf("only %d things to scan", len(haystack))
	}
	for _, hay := range haystack {
		for _, number := range numbers {
			if bytes.Contains(hay, []byte(number)) {
				t.Errorf("card number %s found in %.200s", number, hay)
			}
		}
		for _, cvv := range []string{testCVV, testAmexCVV} {
			if bytes.Contains(hay, []byte(`"`+cvv+`"`)) || bytes.Contains(hay, []byte(`>`+cvv+`<`)) {
				t.Errorf("CVV found in %.200s", hay)
			}
		}
		if bytes.Contains(hay, []byte(`"cvv"`)) {
			t.Errorf("a cvv property in %.200s", hay)
		}
	}
}
