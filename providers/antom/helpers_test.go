package antom

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

// Test values.
const (
	testClientID  = "SANDBOX_5YBZ1K2ZTEST"
	testPaymentID = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	testRef       = "20211112194010800100188570271832381"
	testPAN       = "4117347806156383" // the seed's card number
	testCVC       = "850"
	gateway       = "/gw" // a path in BaseURL, as for a mounted sandbox; it is not signed
)

// testNow is the injected clock: every Request-Time carries it.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// Keys are generated once per test binary.
var (
	keysOnce             sync.Once
	merchantKeys, antoms alipaysign.KeyPair
	otherKeys            alipaysign.KeyPair
)

func testKeys(t testing.TB) (merchant, antom, other alipaysign.KeyPair) {
	if t != nil {
		t.Helper()
	}
	keysOnce.Do(func() {
		var err error
		for _, k := range []*alipaysign.KeyPair{&merchantKeys, &antoms, &otherKeys} {
			if *k, err = alipaysign.NewKeyPair(); err != nil {
				panic(err)
			}
		}
	})
	return merchantKeys, antoms, otherKeys
}

// request is one request the fake Antom received.
type request struct {
	method string
	path   string // without the gateway prefix: the signed path
	header http.Header
	body   []byte
	fields map[string]any
}

// reply is a canned answer. sign says how the fake signs it: "" properly,
// "none" not at all, "other-key" with a key that is not Antom's,
// "other-path" over another path, "other-client" for another Client-Id,
// "tamper" over a different body, "no-time" without Response-Time. hang
// makes the fake wait until the client gives up.
type reply struct {
	status int
	body   string
	sign   string
	hang   bool
}

// fakeAntom plays Antom for the adapter's unit tests: it checks every
// request's signature the way Antom would and answers each path with the
// replies a test queued (the last one repeats).
type fakeAntom struct {
	t        *testing.T
	mu       sync.Mutex
	requests []request
	replies  map[string][]reply
}

func newFake(t *testing.T) (*fakeAntom, *Client) {
	t.Helper()
	f := &fakeAntom{t: t, replies: map[string][]reply{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, mustClient(t, testConfig(srv.URL+gateway, 5*time.Second))
}

func mustClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testConfig(base string, timeout time.Duration) Config {
	merchant, antom, _ := testKeys(nil)
	return Config{
		BaseURL:            base,
		ClientID:           testClientID,
		MerchantPrivateKey: merchant.Private,
		AntomPublicKey:     antom.Public,
		HTTPClient:         &http.Client{Timeout: timeout},
		Now:                func() time.Time { return testNow },
	}
}

// on queues replies for an API path before the sandbox rewrite, e.g. pathPay.
func (f *fakeAntom) on(path string, rs ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[strings.Replace(path, productionRoot, sandboxRoot, 1)] = rs
	f.replies[path] = rs
}

func (f *fakeAntom) calls() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

func (f *fakeAntom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	merchant, antom, other := testKeys(t)
	body, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, gateway)
	req := request{method: r.Method, path: path, header: r.Header.Clone(), body: body}
	if err := json.Unmarshal(body, &req.fields); err != nil {
		t.Errorf("%s %s: body is not a JSON object: %v", r.Method, path, err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	queue := f.replies[path]
	var rep reply
	if len(queue) > 0 {
		rep = queue[0]
		if len(queue) > 1 {
			f.replies[path] = queue[1:]
		}
	}
	f.mu.Unlock()

	pub, _ := alipaysign.ParsePublicKey(merchant.Public)
	if _, err := alipaysign.VerifyMessage(pub, r.Header, alipaysign.HeaderRequestTime, r.Method, path, testClientID, body); err != nil {
		if _, err2 := alipaysign.VerifyMessage(pub, r.Header, alipaysign.HeaderRequestTime, r.Method, path, "PROD_CLIENT_1", body); err2 != nil {
			t.Errorf("%s %s: the request signature does not verify: %v", r.Method, path, err)
		}
	}
	if rep.status == 0 && !rep.hang {
		t.Errorf("unexpected request %s", path)
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
	key, signedPath, clientID, signedBody := antom.Private, path, r.Header.Get(alipaysign.HeaderClientID), []byte(rep.body)
	switch rep.sign {
	case "other-key":
		key = other.Private
	case "other-path":
		signedPath = path + "x"
	case "other-client":
		clientID = "SANDBOX_SOMEONE_ELSE"
	case "tamper":
		signedBody = []byte(strings.Replace(rep.body, "S", "F", 1) + " ")
	}
	if rep.sign != "none" {
		priv, _ := alipaysign.ParsePrivateKey(key)
		if err := alipaysign.SignMessage(priv, w.Header(), alipaysign.HeaderResponseTime, http.MethodPost, signedPath, clientID, "2026-03-14T23:09:27.001+08:00", signedBody); err != nil {
			t.Fatal(err)
		}
		if rep.sign == "no-time" {
			w.Header().Del(alipaysign.HeaderResponseTime)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

// ok is a properly signed HTTP 200 answer with body v.
func ok(v any) reply {
	switch b := v.(type) {
	case string:
		return reply{status: http.StatusOK, body: b}
	case []byte:
		return reply{status: http.StatusOK, body: string(b)}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return reply{status: http.StatusOK, body: string(b)}
}

// obj is a JSON object under construction.
type obj = map[string]any

func res(status, code string) obj {
	return obj{"resultCode": code, "resultStatus": status, "resultMessage": "message for " + code}
}

// payAnswer is a pay answer about our test payment.
func payAnswer(status, code string, edits ...func(obj)) obj {
	a := obj{
		"result":            res(status, code),
		"paymentRequestId":  testPaymentID,
		"paymentId":         testRef,
		"paymentAmount":     obj{"currency": "EUR", "value": "1234"},
		"paymentCreateTime": "2026-03-14T23:09:26+08:00",
	}
	for _, e := range edits {
		e(a)
	}
	return a
}

// inquiryAnswer is a successful query about our test payment in paymentStatus.
func inquiryAnswer(paymentStatus, code string, edits ...func(obj)) obj {
	a := obj{
		"result":            res("S", "SUCCESS"),
		"paymentStatus":     paymentStatus,
		"paymentResultCode": code,
		"paymentRequestId":  testPaymentID,
		"paymentId":         testRef,
		"paymentAmount":     obj{"currency": "EUR", "value": "1234"},
	}
	for _, e := range edits {
		e(a)
	}
	return a
}

func withThreeDS(eci, mode string) func(obj) {
	return func(a obj) {
		a["paymentResultInfo"] = obj{
			"cardBrand": "VISA", "cardBin": "411734", "lastFour": "6383", "expiryMonth": "12", "expiryYear": "29",
			"cardNo":        "411734******6383",
			"threeDSResult": obj{"threeDSVersion": "2.2.0", "eci": eci, "cavv": "AAABBEg0VhI0VniQEjRWAAAAAAA=", "dsTransactionId": "f25084f0-5b16-4c0a-ae5d-b24808a95e4b", "threeDSInteractionMode": mode},
		}
	}
}

// testPayRequest is a card payment of 12.34 EUR with every field set.
func testPayRequest() checkout.PayRequest {
	return checkout.PayRequest{
		PaymentID:         testPaymentID,
		IdempotencyKey:    testPaymentID,
		SessionID:         "cs_aaaabbbbccccddddeeeeffffgggghhhh",
		MerchantReference: "ORDER_20221114141714891",
		Description:       "Cappuccino #grande (Mika's coffee shop)",
		Amount:            checkout.Money{Amount: 1234, Currency: "EUR"},
		LineItems: []checkout.LineItem{
			{Name: "Cappuccino", Quantity: 2, UnitAmount: 500},
			{Name: "Croissant & jam", Quantity: 1, UnitAmount: 234},
		},
		Customer: checkout.Customer{Email: "jane.doe@example.com", Reference: "cus_42"},
		Locale:   "en-GB",
		Method:   checkout.MethodCard,
		Card:     &checkout.CardInput{Number: testPAN, CVC: testCVC, ExpMonth: 3, ExpYear: 2029, Holder: "Jane  Q. Doe"},
		Browser: checkout.BrowserInfo{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0", AcceptHeader: "text/html,*/*;q=0.8", IP: "203.0.113.7",
			Language: "en-GB", ColorDepth: 24, ScreenWidth: 1440, ScreenHeight: 900, InnerWidth: 1280, InnerHeight: 760,
			TimezoneOffset: -60, JavaEnabled: false, JavaScriptEnabled: true,
		},
		ThreeDS:     checkout.ThreeDSAutomatic,
		CaptureMode: checkout.CaptureAutomatic,
		ReturnURL:   "https://checkout.example.com/c/cs_1/return/" + testPaymentID + "?a=1&b=2",
		NotifyURL:   "https://checkout.example.com/notify/antom",
	}
}

// testPayment is our test payment as the Service keeps it after pay.
func testPayment(mode checkout.CaptureMode, createdAt time.Time) checkout.Payment {
	return checkout.Payment{
		ID: testPaymentID, Provider: Name, Method: checkout.MethodCard, Status: checkout.PaymentPending,
		Amount: checkout.Money{Amount: 1234, Currency: "EUR"}, CaptureMode: mode, ProviderRef: testRef,
		ProviderData: map[string]string{keyPaymentID: testRef}, CreatedAt: createdAt,
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// field reads a dotted path ("env.browserInfo.userAgent", "order.goods.0.goodsName") of a decoded body.
func field(m map[string]any, path string) any {
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[part]
		case []any:
			i := 0
			for _, c := range part {
				i = i*10 + int(c-'0')
			}
			if i >= len(v) {
				return nil
			}
			cur = v[i]
		default:
			return nil
		}
	}
	return cur
}
