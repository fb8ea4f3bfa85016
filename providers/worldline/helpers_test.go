package worldline

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Test credentials and values.
const (
	testMerchantID    = "1234"
	testAPIKeyID      = "5e45c937b9db33ae"
	testSecretAPIKey  = "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg="
	testWebhookKeyID  = "webhook-key-1"
	testWebhookSecret = "webhook-secret-1"
	testPaymentID     = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	testRef           = "000001234000000012340000100001"
	testPAN           = "4012000033330026"
	testCVC           = "947"
)

// testNow is the injected clock: every Date header carries it.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// request is one request the fake Worldline received.
type request struct {
	method string
	path   string // without the mount point
	query  string
	header http.Header
	body   []byte
	fields map[string]any // body, decoded; nil when there is none
}

// reply is a canned answer. hang makes the fake wait until the client gives up.
type reply struct {
	status int
	body   string
	hang   bool
}

// fakeWorldline plays the Server API for the adapter's unit tests: it
// checks every request's signature the way Worldline would and answers each
// "METHOD /path" with the replies a test queued (the last one repeats).
type fakeWorldline struct {
	t        *testing.T
	url      string
	mu       sync.Mutex
	requests []request
	replies  map[string][]reply
}

func newFake(t *testing.T) (*fakeWorldline, *Client) {
	t.Helper()
	f := &fakeWorldline{t: t, replies: map[string][]reply{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f, mustClient(t, srv.URL, 5*time.Second)
}

func mustClient(t testing.TB, base string, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(testConfig(base, timeout))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testConfig(base string, timeout time.Duration) Config {
	return Config{
		BaseURL:       base,
		MerchantID:    testMerchantID,
		APIKeyID:      testAPIKeyID,
		SecretAPIKey:  testSecretAPIKey,
		WebhookKeyID:  testWebhookKeyID,
		WebhookSecret: testWebhookSecret,
		HTTPClient:    &http.Client{Timeout: timeout},
		Now:           func() time.Time { return testNow },
	}
}

// on queues replies for "METHOD /path" (the path after /v1/{merchantId}).
func (f *fakeWorldline) on(method, path string, rs ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[method+" /v1/"+testMerchantID+path] = rs
}

func (f *fakeWorldline) calls() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

func (f *fakeWorldline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	body, _ := io.ReadAll(r.Body)
	req := request{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req.fields); err != nil {
			t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	key := r.Method + " " + r.URL.Path
	queue := f.replies[key]
	var rep reply
	if len(queue) > 0 {
		rep = queue[0]
		if len(queue) > 1 {
			f.replies[key] = queue[1:]
		}
	}
	f.mu.Unlock()

	data := StringToSign(r.Method, r.Header.Get("Content-Type"), r.Header.Get("Date"), r.Header, r.URL)
	secrets := func(id string) (string, bool) { return testSecretAPIKey, id == testAPIKeyID }
	if _, ok := VerifyAuthorization(r.Header.Get("Authorization"), secrets, data); !ok {
		t.Errorf("%s %s: Authorization does not verify over %q", r.Method, r.URL.Path, data)
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"errorId":"0","errors":[{"code":"9002","id":"MISSING_OR_INVALID_AUTHORIZATION","httpStatusCode":403}]}`)
		return
	}
	if rep.status == 0 && !rep.hang {
		t.Errorf("unexpected request %s", key)
		w.WriteHeader(http.StatusTeapot)
		return
	}
	if rep.hang {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

// jsonReply is a reply whose body is v encoded.
func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return reply{status: status, body: string(b)}
}

// obj is a JSON object under construction.
type obj = map[string]any

// paymentObj is a PaymentResponse for our test payment in the shape of the
// wire contract: a Visa card authenticated frictionlessly (ECI 05).
func paymentObj(status string, edits ...func(obj)) obj {
	category := map[string]string{
		StatusCreated: "CREATED", StatusRedirected: "PENDING_PAYMENT", StatusPendingApproval: "PENDING_MERCHANT",
		StatusCaptureRequested: "PENDING_CONNECT_OR_3RD_PARTY", StatusCaptured: "COMPLETED", StatusPaid: "COMPLETED",
		StatusRejected: "UNSUCCESSFUL", StatusCancelled: "UNSUCCESSFUL", StatusRefunded: "REFUNDED",
	}[status]
	p := obj{
		"id": testRef,
		"paymentOutput": obj{
			"amountOfMoney": obj{"amount": 1234, "currencyCode": "EUR"},
			"references":    obj{"merchantReference": testPaymentID, "paymentReference": "0"},
			"paymentMethod": "card",
			"cardPaymentMethodSpecificOutput": obj{
				"paymentProductId": 1,
				"fraudResults":     obj{"fraudServiceResult": "no-advice", "avsResult": "0", "cvvResult": "M"},
				"threeDSecureResults": obj{
					"cavv": "AAABBEg0VhI0VniQEjRWAAAAAAA=", "eci": "05",
					"directoryServerTransactionId": "f25084f0-5b16-4c0a-ae5d-b24808a95e4b",
					"threeDServerTransactionId":    "1aaeac7f-3736-425f-b23b-f93051d1cc64",
					"threeDSecureVersion":          "2.2.0",
					"threeDSecureData":             obj{"acsTransactionId": "A9885E27-797D-4726-BDE6-18C502D62C04", "method": "frictionless", "utcTimestamp": "202603141509"},
				},
				"card": obj{"cardNumber": "************0026", "expiryDate": "1231"},
			},
		},
		"status": status,
		"statusOutput": obj{
			"isCancellable": status == StatusPendingApproval, "statusCategory": category, "statusCode": 0,
			"statusCodeChangeDateTime": "20260314150926", "isAuthorized": status == StatusPendingApproval, "isRefundable": false,
		},
	}
	for _, edit := range edits {
		edit(p)
	}
	return p
}

// withErrors sets statusOutput.errors to the codes.
func withErrors(codes ...string) func(obj) {
	return func(p obj) {
		var errs []obj
		for _, c := range codes {
			errs = append(errs, obj{"code": c, "message": "DECLINED", "httpStatusCode": 402})
		}
		p["statusOutput"].(obj)["errors"] = errs
	}
}

func with3DSStatus(status string, code int) func(obj) {
	return func(p obj) {
		p["statusOutput"].(obj)["threeDSecureStatus"] = status
		p["statusOutput"].(obj)["statusCode"] = code
	}
}

// created is the 201 answer to Create Payment.
func created(p obj, action obj) reply {
	body := obj{"creationOutput": obj{"additionalReference": "x", "externalReference": "y"}, "payment": p}
	if action != nil {
		body["merchantAction"] = action
	}
	return jsonReply(http.StatusCreated, body)
}

// redirect is a REDIRECT merchantAction.
func redirect(mac, u string) obj {
	return obj{"actionType": "REDIRECT", "redirectData": obj{"RETURNMAC": mac, "redirectURL": u}, "showData": []obj{}}
}

// envelope is the answer to approve and cancel.
func envelope(p obj) reply { return jsonReply(http.StatusOK, obj{"payment": p}) }

// apiErr is an error answer.
func apiErr(status int, code, id string, extra ...func(obj)) reply {
	item := obj{"code": code, "message": "SOMETHING", "httpStatusCode": status}
	if id != "" {
		item["id"] = id
	}
	body := obj{"errorId": "5d23642a18a1c3fe481964da5a96df5f", "errors": []obj{item}}
	for _, e := range extra {
		e(body)
	}
	return jsonReply(status, body)
}

func testPayRequest() checkout.PayRequest {
	browser := checkout.BrowserInfo{
		UserAgent:         "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		AcceptHeader:      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		IP:                "203.0.113.7",
		Language:          "en-US",
		ColorDepth:        24,
		ScreenWidth:       1440,
		ScreenHeight:      900,
		InnerWidth:        1280,
		InnerHeight:       760,
		TimezoneOffset:    -60,
		JavaScriptEnabled: true,
	}
	return checkout.PayRequest{
		PaymentID:         testPaymentID,
		IdempotencyKey:    testPaymentID,
		SessionID:         "cs_aaaabbbbccccddddeeeeffffgggghhhh",
		MerchantReference: "order-1001",
		Description:       "order-1001",
		Amount:            checkout.Money{Amount: 1234, Currency: "EUR"},
		Customer:          checkout.Customer{Email: "jane.doe@example.com", Reference: "cust-42"},
		Locale:            "en-US",
		Method:            checkout.MethodCard,
		Card:              &checkout.CardInput{Number: testPAN, CVC: testCVC, ExpMonth: 12, ExpYear: 2031, Holder: "Wile E. Coyote"},
		Browser:           browser,
		ThreeDS:           checkout.ThreeDSAutomatic,
		CaptureMode:       checkout.CaptureAutomatic,
		ChallengeWindow:   checkout.WindowSizeByCode("04"),
		ReturnURL:         "https://checkout.example.com/c/cs_x/return/" + testPaymentID,
		NotifyURL:         "https://checkout.example.com/notify/worldline",
		OriginURL:         "https://checkout.example.com",
	}
}

// testPayment is our payment record after Pay answered with out.
func testPayment(mode checkout.CaptureMode, out checkout.Outcome) checkout.Payment {
	p := checkout.Payment{
		ID:           testPaymentID,
		Provider:     Name,
		Method:       checkout.MethodCard,
		Status:       checkout.PaymentProcessing,
		Amount:       checkout.Money{Amount: 1234, Currency: "EUR"},
		CaptureMode:  mode,
		ProviderRef:  out.ProviderRef,
		ProviderData: map[string]string{},
	}
	maps.Copy(p.ProviderData, out.ProviderData)
	return p
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustFail asserts a failed outcome with the decline code.
func mustFail(t testing.TB, out checkout.Outcome, err error, code checkout.DeclineCode) {
	t.Helper()
	if err != nil {
		t.Fatalf("err = %v, want a %s decline", err, code)
	}
	if out.Status != checkout.OutcomeFailed || out.Decline == nil || out.Decline.Code != code {
		t.Fatalf("outcome = %s %+v, want failed %s", out.Status, out.Decline, code)
	}
	if out.Decline.Message != checkout.DeclineMessage(code) {
		t.Errorf("decline message = %q, want ours", out.Decline.Message)
	}
}

// mustErr asserts an error (an unknown outcome) whose text has every part.
func mustErr(t testing.TB, out checkout.Outcome, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; outcome %s %+v", out.Status, out.Decline)
	}
	if !strings.HasPrefix(err.Error(), "worldline: ") {
		t.Errorf("error %q is not prefixed with the provider name", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}
