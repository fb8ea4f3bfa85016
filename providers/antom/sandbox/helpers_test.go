package sandbox_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
	"github.com/opencheckout/hostedcheckout/providers/antom/sandbox"
)

const mount = "/sandbox/antom"

// credentials are generated once per test binary (RSA keys are slow to make).
var (
	credsOnce  sync.Once
	testCreds  sandbox.Credentials
	otherPair  alipaysign.KeyPair
	credsError error
)

func creds(t testing.TB) sandbox.Credentials {
	t.Helper()
	credsOnce.Do(func() {
		if testCreds, credsError = sandbox.NewCredentials(); credsError == nil {
			otherPair, credsError = alipaysign.NewKeyPair()
		}
	})
	if credsError != nil {
		t.Fatal(credsError)
	}
	return testCreds
}

// tenv is a sandbox served under its mount point with a notification sink
// next to it.
type tenv struct {
	sb       *sandbox.Sandbox
	creds    sandbox.Credentials
	srv      *httptest.Server
	base     string
	merchant *rsa.PrivateKey
	antomPub *rsa.PublicKey
	sink     *sink
}

func newTestEnv(t *testing.T, edit func(*sandbox.Config)) *tenv {
	t.Helper()
	cr := creds(t)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := sandbox.Config{PublicURL: srv.URL + mount, Credentials: cr, RetryDelays: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}}
	if edit != nil {
		edit(&cfg)
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	mux.Handle("/notify/", s)
	return serveEnv(t, srv, mux, sb, cr, s)
}

// serveEnv serves sb (closed when t ends) under mount on mux, srv's
// handler, and reads its keys.
func serveEnv(t *testing.T, srv *httptest.Server, mux *http.ServeMux, sb *sandbox.Sandbox, cr sandbox.Credentials, s *sink) *tenv {
	t.Helper()
	t.Cleanup(func() { _ = sb.Close() })
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	merchant, err := alipaysign.ParsePrivateKey(cr.MerchantPrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := alipaysign.ParsePublicKey(cr.AntomPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &tenv{sb: sb, creds: cr, srv: srv, base: srv.URL + mount, merchant: merchant, antomPub: pub, sink: s}
}

// sink records notifications and answers them with the scripted replies
// (the last one repeats; the acknowledgement when none are scripted).
type sink struct {
	mu       sync.Mutex
	replies  []sinkReply
	received []received
}

type sinkReply struct {
	status int
	body   string
}

type received struct {
	uri    string
	header http.Header
	body   []byte
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.received = append(s.received, received{uri: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
	rep := sinkReply{status: http.StatusOK, body: sandbox.Ack}
	if len(s.replies) > 0 {
		rep = s.replies[0]
		if len(s.replies) > 1 {
			s.replies = s.replies[1:]
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (s *sink) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

// answer is an API answer as the test client read it.
type answer struct {
	status int
	header http.Header
	raw    []byte
	fields map[string]any
}

func (a answer) code() string {
	s, _ := field(a.fields, "result.resultCode").(string)
	return s
}
func (a answer) resultStatus() string {
	s, _ := field(a.fields, "result.resultStatus").(string)
	return s
}

// call is one request of the test client; the options bend it.
type call struct {
	method      string
	path        string // signed and sent (relative to the mount point)
	signedPath  string // when it differs from path
	body        []byte
	clientID    string
	key         *rsa.PrivateKey
	contentType string
	header      func(http.Header) // edits after signing
}

// post sends a signed request to an endpoint (pay, inquiryPayment, …)
// and verifies the answer's signature unless it is the 500 test card's.
func (e *tenv) post(t *testing.T, endpoint string, body any, opts ...func(*call)) answer {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	c := call{method: http.MethodPost, path: "/ams/sandbox/api/v1/payments/" + endpoint, body: b, clientID: e.creds.ClientID, key: e.merchant, contentType: "application/json; charset=UTF-8"}
	for _, o := range opts {
		o(&c)
	}
	if c.signedPath == "" {
		c.signedPath = c.path
	}
	req, err := http.NewRequest(c.method, e.base+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", c.contentType)
	if err := alipaysign.SignMessage(c.key, req.Header, alipaysign.HeaderRequestTime, c.method, c.signedPath, c.clientID, strconv.FormatInt(time.Now().UnixMilli(), 10), c.body); err != nil {
		t.Fatal(err)
	}
	if c.header != nil {
		c.header(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{status: -1}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.fields)
	// Every answer but the 500 card's is signed: over the path the request
	// signed, or (a refusal of a request whose signature did not match
	// its path) over the path it was sent to. An answer to a request
	// without Client-Id has none to echo, and is signed for "".
	if resp.StatusCode != http.StatusInternalServerError {
		clientID := req.Header.Get("Client-Id")
		verify := func(path string) error {
			return alipaysign.Verify(e.antomPub, resp.Header.Get("Signature"), http.MethodPost, path, clientID, resp.Header.Get("Response-Time"), raw)
		}
		if resp.Header.Get("Client-Id") != clientID {
			t.Errorf("%s: answer Client-Id %q, want %q", endpoint, resp.Header.Get("Client-Id"), clientID)
		}
		if err := verify(c.signedPath); err != nil && verify(c.path) != nil {
			t.Errorf("%s: the answer's signature does not verify over %s: %v", endpoint, c.signedPath, err)
		}
	}
	return a
}

// payBody is a valid pay request for card, edited by edits.
func payBody(id, card string, edits ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"productCode":      "CASHIER_PAYMENT",
		"paymentRequestId": id,
		"paymentAmount":    map[string]any{"currency": "USD", "value": "1234"},
		"order": map[string]any{
			"referenceOrderId": "order-1", "orderDescription": "Linen shirt",
			"orderAmount": map[string]any{"currency": "USD", "value": "1234"},
			"goods":       []any{map[string]any{"referenceGoodsId": "1", "goodsName": "Linen shirt", "goodsUnitAmount": map[string]any{"currency": "USD", "value": "1234"}, "goodsQuantity": "1"}},
		},
		"env": map[string]any{
			"terminalType": "WEB", "clientIp": "203.0.113.7", "deviceLanguage": "en-US", "colorDepth": 24, "screenHeight": 900, "screenWidth": 1440, "timeZoneOffset": -60,
			"browserInfo": map[string]any{"acceptHeader": "text/html", "javaEnabled": false, "javaScriptEnabled": true, "language": "en-US", "userAgent": "Mozilla/5.0"},
		},
		"paymentMethod": map[string]any{
			"paymentMethodType": "CARD",
			"paymentMethodMetaData": map[string]any{
				"cardNo": card, "cvv": "123", "expiryMonth": "12", "expiryYear": strconv.Itoa((time.Now().Year() + 2) % 100),
				"cardholderName":      map[string]any{"firstName": "Jane", "lastName": "Doe", "fullName": "Jane Doe"},
				"is3DSAuthentication": true, "enableAuthenticationUpgrade": true, "isCardOnFile": false,
			},
		},
		"paymentFactor":      map[string]any{"isAuthorization": true, "captureMode": "AUTOMATIC"},
		"paymentRedirectUrl": "https://checkout.example.com/return/" + id,
	}
	for _, e := range edits {
		e(b)
	}
	return b
}

func meta(b map[string]any) map[string]any {
	return b["paymentMethod"].(map[string]any)["paymentMethodMetaData"].(map[string]any)
}

// field reads a dotted path of a decoded JSON object.
func field(m map[string]any, path string) any {
	var cur any = m
	for _, part := range bytes.Split([]byte(path), []byte(".")) {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[string(part)]
	}
	return cur
}

var idSeq struct {
	sync.Mutex
	n int
}

// newID is a fresh paymentRequestId.
func newID() string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return "pay_test_" + strconv.FormatInt(time.Now().UnixNano(), 36) + "_" + strconv.Itoa(idSeq.n)
}
