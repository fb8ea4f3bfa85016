package alipayplus

import (
	"crypto/rsa"
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
	testClientID  = "2022091123456789"
	testPaymentID = "pay_aaaabbbbccccddddeeeeffffgggghhhh"
	testWalletRef = "20260314000000000000000012345"
	testPrefix    = "/api"
	testMount     = "/wallet"
)

// testNow is the injected clock, in a +08:00 zone so that offsets show.
var testNow = time.Date(2026, 3, 14, 23, 9, 26, 0, time.FixedZone("", 8*3600))

// keys are the merchant's and the wallet's key pairs, plus a stranger's,
// generated once for the package.
type testKeys struct {
	merchant, wallet, stranger alipaysign.KeyPair
	merchantPriv, walletPriv   *rsa.PrivateKey
	strangerPriv               *rsa.PrivateKey
	merchantPub                *rsa.PublicKey
}

var keys = sync.OnceValue(func() testKeys {
	var k testKeys
	var err error
	for _, p := range []*alipaysign.KeyPair{&k.merchant, &k.wallet, &k.stranger} {
		if *p, err = alipaysign.NewKeyPair(); err != nil {
			panic(err)
		}
	}
	k.merchantPriv, _ = alipaysign.ParsePrivateKey(k.merchant.Private)
	k.walletPriv, _ = alipaysign.ParsePrivateKey(k.wallet.Private)
	k.strangerPriv, _ = alipaysign.ParsePrivateKey(k.stranger.Private)
	k.merchantPub, _ = alipaysign.ParsePublicKey(k.merchant.Public)
	return k
})

// request is one request the fake wallet received.
type request struct {
	method string
	path   string // as received, with the mount point
	header http.Header
	body   []byte
	fields map[string]any
}

// reply is a canned answer. By default it is HTTP 200, signed correctly
// over the signed path; the other fields spoil it.
type reply struct {
	status   int    // 200 when zero
	body     string // JSON
	unsigned bool
	key      *rsa.PrivateKey // signs instead of the wallet's key
	path     string          // signs over this path instead
	clientID string          // signs under this Client-Id instead
	tamper   bool            // changes the body after signing
	hang     bool            // waits until the client gives up
}

// fakeWallet plays the wallet's OpenAPI for the adapter's unit tests: it
// checks each request's signature the way a wallet would (failing the test
// otherwise) and answers each API with the replies a test queued (the last
// one repeats).
type fakeWallet struct {
	t        *testing.T
	url      string
	mu       sync.Mutex
	requests []request
	replies  map[string][]reply
}

func newFake(t *testing.T) (*fakeWallet, *Client) {
	t.Helper()
	f := &fakeWallet{t: t, replies: map[string][]reply{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f, mustClient(t, testConfig(srv.URL+testMount, 5*time.Second))
}

func testConfig(base string, timeout time.Duration) Config {
	k := keys()
	return Config{
		BaseURL:            base,
		PathPrefix:         testPrefix,
		ClientID:           testClientID,
		MerchantPrivateKey: k.merchant.Private,
		WalletPublicKey:    k.wallet.Public,
		MerchantName:       "Demo Shop",
		MerchantRegion:     "SG",
		MerchantCity:       "Singapore",
		HTTPClient:         &http.Client{Timeout: timeout},
		Now:                func() time.Time { return testNow },
	}
}

func mustClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// on queues replies for an API path (PathPay, PathInquiry).
func (f *fakeWallet) on(api string, rs ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[testMount+testPrefix+api] = rs
}

func (f *fakeWallet) calls() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

func (f *fakeWallet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	body, _ := io.ReadAll(r.Body)
	req := request{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body}
	if err := json.Unmarshal(body, &req.fields); err != nil {
		t.Errorf("%s %s: body is not a JSON object: %v", r.Method, r.URL.Path, err)
	}
	signed := strings.TrimPrefix(r.URL.Path, testMount)
	if _, err := alipaysign.VerifyMessage(keys().merchantPub, r.Header, alipaysign.HeaderRequestTime, r.Method, signed, testClientID, body); err != nil {
		t.Errorf("%s %s: the request's signature does not verify over %s: %v", r.Method, r.URL.Path, signed, err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	queue := f.replies[r.URL.Path]
	var rep reply
	switch len(queue) {
	case 0:
		f.mu.Unlock()
		t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		http.Error(w, "unexpected", http.StatusNotFound)
		return
	case 1:
		rep = queue[0]
	default:
		rep, f.replies[r.URL.Path] = queue[0], queue[1:]
	}
	f.mu.Unlock()
	if rep.hang {
		<-r.Context().Done()
		return
	}
	writeSigned(w, rep, signed)
}

// writeSigned writes a reply signed as the reply asks.
func writeSigned(w http.ResponseWriter, rep reply, signedPath string) {
	body := []byte(rep.body)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if !rep.unsigned {
		key, path, client := keys().walletPriv, signedPath, testClientID
		if rep.key != nil {
			key = rep.key
		}
		if rep.path != "" {
			path = rep.path
		}
		if rep.clientID != "" {
			client = rep.clientID
		}
		if err := alipaysign.SignMessage(key, h, alipaysign.HeaderResponseTime, http.MethodPost, path, client, "2026-03-14T23:09:27.000+08:00", body); err != nil {
			panic(err)
		}
	}
	if rep.tamper {
		body = []byte(strings.Replace(string(body), `"S"`, `"F"`, 1) + " ")
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ok is a signed answer with body.
func ok(body string) reply { return reply{body: body} }

// testPayRequest is a wallet payment of 12.34 USD.
func testPayRequest() checkout.PayRequest {
	return checkout.PayRequest{
		PaymentID:         testPaymentID,
		IdempotencyKey:    testPaymentID,
		SessionID:         "cs_aaaabbbbccccddddeeeeffffgggghhhh",
		MerchantReference: "order-1001",
		Description:       "Linen shirt and socks",
		Amount:            checkout.Money{Amount: 1234, Currency: "USD"},
		LineItems: []checkout.LineItem{
			{Name: "Linen shirt", Quantity: 1, UnitAmount: 1000},
			{Name: "Socks", Quantity: 2, UnitAmount: 117},
		},
		Customer: checkout.Customer{Email: "jane.doe@example.com", Reference: "cust-42"},
		Locale:   "en-US",
		Method:   checkout.MethodWallet,
		Browser: checkout.BrowserInfo{
			UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
			IP:        "203.0.113.7",
			Language:  "en-SG",
		},
		CaptureMode: checkout.CaptureAutomatic,
		ReturnURL:   "https://checkout.example.com/c/cs_x/return/" + testPaymentID,
		NotifyURL:   "https://checkout.example.com/notify/alipayplus",
		OriginURL:   "https://checkout.example.com",
	}
}

// testPayment is the payment record of testPayRequest after pay.
func testPayment() checkout.Payment {
	return checkout.Payment{
		ID: testPaymentID, Provider: Name, Method: checkout.MethodWallet, Status: checkout.PaymentRequiresAction,
		Amount: checkout.Money{Amount: 1234, Currency: "USD"}, ProviderRef: testWalletRef,
		ProviderData: map[string]string{keyPaymentID: testWalletRef}, CreatedAt: testNow.Add(-time.Minute),
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// field walks decoded JSON by dotted path.
func field(v any, path string) any {
	for part := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}
