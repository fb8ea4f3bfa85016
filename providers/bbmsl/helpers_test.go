package bbmsl

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
)

// Test values.
const (
	testMerchantID = "3"
	testPaymentID  = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	testCustomer   = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
	testPAN        = "4705340000018101" // passes Luhn, with the seed's masked BIN and last four
	testCVC        = "850"
	gateway        = "/gw" // a path in BaseURL, as for a mounted sandbox
)

// testNow is the injected clock.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

// Keys are generated once per test binary.
var (
	keysOnce                    sync.Once
	merchantKeys, bbmslKeys, xk KeyPair
)

func testKeys(t testing.TB) (merchant, platform, other KeyPair) {
	if t != nil {
		t.Helper()
	}
	keysOnce.Do(func() {
		var err error
		for _, k := range []*KeyPair{&merchantKeys, &bbmslKeys, &xk} {
			if *k, err = NewKeyPair(); err != nil {
				panic(err)
			}
		}
	})
	return merchantKeys, bbmslKeys, xk
}

// request is one request the fake PayAPI received, its envelope opened.
type request struct {
	method      string
	path        string // without the gateway prefix
	contentType string
	raw         []byte // the request string, as signed
	fields      map[string]any
}

// reply is a canned answer. hang makes the fake wait until the client
// gives up; abort drops the connection.
type reply struct {
	status int
	body   string
	hang   bool
	abort  bool
}

// fakePayAPI plays PayAPI for the adapter's unit tests: it opens and
// verifies every envelope as PayAPI would (answering 1001 otherwise) and
// answers each path with the replies a test queued (the last one repeats).
type fakePayAPI struct {
	t        *testing.T
	mu       sync.Mutex
	requests []request
	replies  map[string][]reply
}

func newFake(t *testing.T) (*fakePayAPI, *Client) {
	t.Helper()
	f := &fakePayAPI{t: t, replies: map[string][]reply{}}
	return f, mustClient(t, testConfig(newServer(t, f)+gateway, 5*time.Second))
}

func newServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
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
	merchant, platform, _ := testKeys(nil)
	return Config{
		BaseURL:            base,
		MerchantID:         testMerchantID,
		MerchantPrivateKey: merchant.Private,
		BBMSLPublicKey:     platform.Public,
		HTTPClient:         &http.Client{Timeout: timeout},
		Now:                func() time.Time { return testNow },
	}
}

// on queues replies for a path such as pathSale.
func (f *fakePayAPI) on(path string, rs ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies["/"+path] = rs
}

// last returns the last request to path.
func (f *fakePayAPI) last(path string) request {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if f.requests[i].path == "/"+path {
			return f.requests[i]
		}
	}
	f.t.Fatalf("no request to %s", path)
	return request{}
}

func (f *fakePayAPI) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.path == "/"+path {
			n++
		}
	}
	return n
}

func (f *fakePayAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	merchant, _, _ := testKeys(nil)
	pub, err := ParsePublicKey(merchant.Public)
	if err != nil {
		panic(err)
	}
	path := strings.TrimPrefix(r.URL.Path, gateway)
	req := request{method: r.Method, path: path, contentType: r.Header.Get("Content-Type")}
	raw, err := Open(pub, body)
	if err != nil {
		f.record(req)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"responseCode":"1001","message":"invalid signature"}`))
		return
	}
	req.raw = raw
	if err := json.Unmarshal(raw, &req.fields); err != nil {
		f.t.Errorf("the request string is not JSON: %v", err)
	}
	f.record(req)

	f.mu.Lock()
	rs := f.replies[path]
	var rp reply
	switch len(rs) {
	case 0:
		f.mu.Unlock()
		f.t.Errorf("no reply queued for %s", path)
		http.Error(w, "no reply", http.StatusNotImplemented)
		return
	case 1:
		rp = rs[0]
	default:
		rp, f.replies[path] = rs[0], rs[1:]
	}
	f.mu.Unlock()
	switch {
	case rp.hang:
		<-r.Context().Done()
		return
	case rp.abort:
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Content-Type", "application/json")
	status := rp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(rp.body))
}

func (f *fakePayAPI) record(r request) {
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.mu.Unlock()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ok is a 200 answer with body.
func ok(body string) reply { return reply{status: http.StatusOK, body: body} }

// testPayRequest is a saved-card payment of 12.34 HKD.
func testPayRequest() checkout.PayRequest {
	return checkout.PayRequest{
		PaymentID:         testPaymentID,
		IdempotencyKey:    testPaymentID,
		SessionID:         "cs_test",
		MerchantReference: "order-1001",
		Description:       "Linen shirt and socks",
		Amount:            checkout.Money{Amount: 1234, Currency: "HKD"},
		LineItems: []checkout.LineItem{
			{Name: "Linen shirt", Quantity: 1, UnitAmount: 1000},
			{Name: "Socks", Quantity: 2, UnitAmount: 117},
		},
		Customer:  checkout.Customer{Email: "jane.doe@example.com", Reference: "cust-42"},
		Locale:    "en-US",
		Method:    checkout.MethodSavedCard,
		SavedCard: &checkout.SavedCardCharge{Customer: testCustomer, CardID: "436"},
		NotifyURL: "https://checkout.example.com/notify/bbmsl",
	}
}

// testPayment is the payment of testPayRequest, created at created.
func testPayment(created time.Time) checkout.Payment {
	return checkout.Payment{
		ID: testPaymentID, Provider: Name, Method: checkout.MethodSavedCard, Status: checkout.PaymentPending,
		Amount: checkout.Money{Amount: 1234, Currency: "HKD"}, ProviderData: map[string]string{}, CreatedAt: created,
	}
}

// saleAnswer is a sale answer for testPayRequest with the given codes.
func saleAnswer(code, orderStatus, txStatus string) string {
	return `{"responseCode":"` + code + `","message":"x","order":{"id":5798,"merchantId":3,"merchantReference":"` + testPaymentID +
		`","currency":"HKD","amount":12.34,"netAmount":12.34,"cardType":"VISA","status":"` + orderStatus +
		`","recurring":false},"transaction":{"id":3970,"merchantId":3,"type":"SALE","amount":12.34,"currency":"HKD","status":"` + txStatus +
		`","maskedPan":"470534XXXXXX8101","stan":"3970"}}`
}
