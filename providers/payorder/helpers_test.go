package payorder

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// testKeys are a merchant's keys, generated once: RSA generation is slow.
type testKeys struct {
	aes                           []byte
	aesB64                        string
	merchant, platform            *rsa.PrivateKey
	merchantPEM, platformPubPEM   string
	platformPubB64, merchantB64PK string
}

var keysOnce = sync.OnceValue(func() testKeys {
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	k := testKeys{aes: []byte("0123456789abcdef"), merchant: gen(), platform: gen()}
	k.aesB64 = base64.StdEncoding.EncodeToString(k.aes)
	der, _ := x509.MarshalPKCS8PrivateKey(k.merchant)
	k.merchantPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	k.merchantB64PK = base64.StdEncoding.EncodeToString(der)
	pub, _ := x509.MarshalPKIXPublicKey(&k.platform.PublicKey)
	k.platformPubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	k.platformPubB64 = base64.StdEncoding.EncodeToString(pub)
	return k
})

// call is one request the fake gateway received.
type call struct {
	service string
	path    string
	header  http.Header
	plain   []byte         // decrypted bizContent, or the raw session body
	fields  map[string]any // plain, decoded
}

// fakeGateway plays the gateway and Access Checkout for the adapter's unit
// tests. It checks the envelope the way the real gateway would and answers
// each service with what the test sets in answers.
type fakeGateway struct {
	t       *testing.T
	keys    testKeys
	url     string
	mu      sync.Mutex
	calls   []call
	answers map[string]func(w http.ResponseWriter, fields map[string]any)
}

func newFakeGateway(t *testing.T) (*fakeGateway, *Client) {
	t.Helper()
	g := &fakeGateway{t: t, keys: keysOnce(), answers: map[string]func(http.ResponseWriter, map[string]any){}}
	g.answers[ServiceCreatePayer] = g.ok(map[string]any{"payerID": 100234})
	g.answers[ServiceCreateOrder] = g.ok(map[string]any{"linkID": "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1", "order_sn": "x"})
	g.answers["/sessions/card"] = session("https://try.access.worldpay.com/sessions/card-opaque")
	g.answers["/sessions/payments/cvc"] = session("https://try.access.worldpay.com/sessions/cvc-opaque")
	g.answers[ServiceCheckoutOrder] = g.ok(map[string]any{
		"outcome":              "initialized",
		"transactionReference": "8e9dfeb7-7aa2-4da2-88d8-5e30ad4ef056",
		"deviceDataCollection": map[string]string{"jwt": "ddc.jwt.value", "url": "https://ddc.example.com/collect", "bin": "424242"},
	})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	g.url = srv.URL
	c, err := New(Config{
		BaseURL:            srv.URL,
		SessionsURL:        srv.URL,
		MerchantID:         "M1001",
		CheckoutID:         "checkout-identity",
		AESKey:             g.keys.aesB64,
		MerchantPrivateKey: g.keys.merchantPEM,
		PlatformPublicKey:  g.keys.platformPubPEM,
		HTTPClient:         &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := g.t
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost {
		t.Errorf("%s %s, want POST", r.Method, r.URL.Path)
	}
	c := call{path: r.URL.Path, header: r.Header.Clone()}
	key := r.URL.Path
	if r.URL.Path == "/api" {
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("envelope: %v", err)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		if env.MerchantID != "M1001" {
			t.Errorf("merchantId = %q", env.MerchantID)
		}
		plain, err := Open(g.keys.aes, env.BizContent)
		if err != nil {
			t.Fatalf("bizContent: %v", err)
		}
		if r.Header.Get("sign") != env.Sign {
			t.Error("the sign header and the body sign differ")
		}
		if err := Verify(&g.keys.merchant.PublicKey, plain, env.Sign); err != nil {
			t.Errorf("sign: %v", err)
		}
		c.service, c.plain, key = env.Service, plain, env.Service
	} else {
		for _, h := range []string{"Content-Type", "Accept"} {
			if got := r.Header.Get(h); got != sessionsMediaType {
				t.Errorf("%s %s = %q", r.URL.Path, h, got)
			}
		}
		c.plain = body
	}
	if err := json.Unmarshal(c.plain, &c.fields); err != nil {
		t.Fatalf("%s: body is not JSON: %v", key, err)
	}
	g.mu.Lock()
	g.calls = append(g.calls, c)
	answer := g.answers[key]
	g.mu.Unlock()
	if answer == nil {
		t.Errorf("unexpected call %s", key)
		http.Error(w, "no answer", http.StatusNotImplemented)
		return
	}
	answer(w, c.fields)
}

// ok answers a sealed, signed success with data.
func (g *fakeGateway) ok(data any) func(http.ResponseWriter, map[string]any) {
	return g.sealed(map[string]any{"status": 0, "errorCode": "", "errorMessage": "", "data": data})
}

// sealed answers inner (any JSON value) sealed and signed with the platform key.
func (g *fakeGateway) sealed(inner any) func(http.ResponseWriter, map[string]any) {
	return func(w http.ResponseWriter, _ map[string]any) {
		plain, err := json.Marshal(inner)
		if err != nil {
			g.t.Fatal(err)
		}
		g.sealedBytes(plain)(w, nil)
	}
}

// sealedBytes answers exactly these plaintext bytes, sealed and signed with the platform key.
func (g *fakeGateway) sealedBytes(plain []byte) func(http.ResponseWriter, map[string]any) {
	biz, _ := Seal(g.keys.aes, plain)
	sign, _ := Sign(g.keys.platform, plain)
	return raw(http.StatusOK, map[string]string{"bizContent": biz, "sign": sign})
}

// raw answers a fixed JSON body with a status.
func raw(status int, body any) func(http.ResponseWriter, map[string]any) {
	return func(w http.ResponseWriter, _ map[string]any) {
		b, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
}

func session(href string) func(http.ResponseWriter, map[string]any) {
	return raw(http.StatusCreated, map[string]any{"_links": map[string]any{"sessions:session": map[string]string{"href": href}}})
}

func (g *fakeGateway) set(key string, answer func(http.ResponseWriter, map[string]any)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answers[key] = answer
}

func (g *fakeGateway) recorded() []call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]call(nil), g.calls...)
}

// last returns the last call to a service or path.
func (g *fakeGateway) last(t *testing.T, key string) call {
	t.Helper()
	calls := g.recorded()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].service == key || calls[i].path == key {
			return calls[i]
		}
	}
	t.Fatalf("no call to %s", key)
	return call{}
}

// testPayRequest is a 12.34 USD card payment.
func testPayRequest() checkout.PayRequest {
	return checkout.PayRequest{
		PaymentID:       "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		IdempotencyKey:  "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		Description:     "order-42",
		Amount:          checkout.Money{Amount: 1234, Currency: "USD"},
		LineItems:       []checkout.LineItem{{Name: "Shirt", Quantity: 1, UnitAmount: 1000}, {Name: "Socks", Quantity: 2, UnitAmount: 117}},
		Customer:        checkout.Customer{Email: "jane@example.com"},
		Method:          checkout.MethodCard,
		Card:            &checkout.CardInput{Number: "4242424242424242", CVC: "987", ExpMonth: 7, ExpYear: 2031, Holder: "Jane van Doe"},
		ThreeDS:         checkout.ThreeDSChallengeRequested,
		ChallengeWindow: checkout.WindowSizeByCode("01"),
		ReturnURL:       "https://pay.example.com/c/cs_1/return/pay_1",
		OriginURL:       "https://pay.example.com",
	}
}

// checkedOut is a payment after Pay, as the Service stores it.
func checkedOut() checkout.Payment {
	return checkout.Payment{
		ID: "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		ProviderData: map[string]string{
			keyOrderSN:              "pay_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			keyLinkID:               "FCA35CEB-E03C-4E36-8EA7-009FF613B1B1",
			keyTransactionReference: "8e9dfeb7-7aa2-4da2-88d8-5e30ad4ef056",
			keyReturnURL:            "https://pay.example.com/c/cs_1/return/pay_1",
			keyWindowSize:           "250x400",
			keyWindowWidth:          "250",
			keyWindowHeight:         "400",
			keyChallengePreference:  "noPreference",
		},
		Browser: checkout.BrowserInfo{
			UserAgent:    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36",
			AcceptHeader: "text/html", IP: "192.0.2.10", Language: "en-GB", ColorDepth: 24,
			ScreenWidth: 1920, ScreenHeight: 1080, TimezoneOffset: 0, JavaScriptEnabled: true,
		},
	}
}

// fixture reads testdata/name.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}
