package sandbox

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
)

// mount is where the tests mount the sandbox.
const mount = "/sandbox/bbmsl"

// Callback URLs of the test add-token requests.
const (
	successURL = "https://shop.example/cards/added"
	failURL    = "https://shop.example/cards/failed"
	cancelURL  = "https://shop.example/cards/canceled"
)

// Credentials are generated once per test binary (RSA keys are slow).
var (
	credsOnce sync.Once
	sharedCr  Credentials
	otherKeys bbmsl.KeyPair
)

func testCredentials(t testing.TB) (Credentials, bbmsl.KeyPair) {
	t.Helper()
	credsOnce.Do(func() {
		var err error
		if sharedCr, err = NewCredentials(); err != nil {
			panic(err)
		}
		if otherKeys, err = bbmsl.NewKeyPair(); err != nil {
			panic(err)
		}
	})
	return sharedCr, otherKeys
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a sandbox served under its mount point.
type env struct {
	sb    *Sandbox
	creds Credentials
	base  string // the mount point's URL
	mux   *http.ServeMux
	key   *rsa.PrivateKey
	clock *clock
}

func newEnv(t testing.TB, edit ...func(*Config)) *env {
	t.Helper()
	creds, _ := testCredentials(t)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	clk := &clock{t: time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)}
	cfg := Config{PublicURL: srv.URL + mount, Credentials: creds, Now: clk.Now}
	for _, e := range edit {
		e(&cfg)
	}
	sb, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	mux.Handle(mount+"/", http.StripPrefix(mount, sb))
	key, err := bbmsl.ParsePrivateKey(cfg.Credentials.MerchantPrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sb: sb, creds: cfg.Credentials, base: srv.URL + mount, mux: mux, key: key, clock: clk}
}

// sealed is an envelope body signed with the merchant key over request.
func (e *env) sealed(t testing.TB, request []byte) []byte {
	t.Helper()
	body, err := bbmsl.Seal(e.key, request)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// call signs fields (merchantId added unless present) and posts them to path.
func (e *env) call(t testing.TB, path string, fields map[string]any) (int, map[string]any) {
	t.Helper()
	if _, ok := fields["merchantId"]; !ok {
		fields["merchantId"] = e.creds.MerchantID
	}
	request, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return e.post(t, path, e.sealed(t, request), "application/json")
}

// post sends a raw body and decodes the JSON answer.
func (e *env) post(t testing.TB, path string, body []byte, contentType string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(e.base+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode == http.StatusOK {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			t.Fatalf("POST %s: HTTP 200 with %q", path, raw)
		}
	}
	return resp.StatusCode, out
}

// code is an answer's responseCode.
func code(a map[string]any) string {
	s, _ := a["responseCode"].(string)
	return s
}

// addToken opens a hosted page for userID and returns its URL.
func (e *env) addToken(t testing.TB, userID string, extra map[string]any) string {
	t.Helper()
	fields := map[string]any{
		"userId": userID, "reason": "Save a card",
		"callbackUrl": map[string]any{"success": successURL, "fail": failURL, "cancel": cancelURL, "notify": "https://shop.example/notify"},
	}
	for k, v := range extra {
		fields[k] = v
	}
	status, a := e.call(t, "/tokenization/add-token", fields)
	if status != http.StatusOK || code(a) != bbmsl.CodeSuccess {
		t.Fatalf("add-token: HTTP %d %v", status, a)
	}
	page, _ := a["data"].(string)
	if !strings.HasPrefix(page, e.base+"/token?sid=") {
		t.Fatalf("add-token data %q", page)
	}
	return page
}

// saveCard saves card for userID through the hosted page and returns its
// token id.
func (e *env) saveCard(t testing.TB, userID, card string) string {
	t.Helper()
	before := len(e.sb.Tokens(userID))
	followed, err := CompleteAddCard(t.Context(), nil, e.addToken(t, userID, nil), card, ChallengeCode)
	if err != nil || followed != successURL {
		t.Fatalf("saving %s: %q, %v", card[len(card)-4:], followed, err)
	}
	tokens := e.sb.Tokens(userID)
	if len(tokens) != before+1 {
		t.Fatalf("%d tokens after saving, want %d", len(tokens), before+1)
	}
	return tokens[len(tokens)-1].TokenID
}

// sale charges 12.34 HKD (or amount) to a token under ref.
func (e *env) saleFields(userID, tokenID, ref string) map[string]any {
	return map[string]any{
		"userId": userID, "tokenId": json.Number(tokenID), "merchantReference": ref,
		"currency": "HKD", "amount": json.Number("12.34"),
		"lineItems": []any{
			map[string]any{"quantity": 1, "priceData": map[string]any{"name": "Linen shirt", "unitAmount": json.Number("10.00")}},
			map[string]any{"quantity": 2, "priceData": map[string]any{"name": "Socks", "unitAmount": json.Number("1.17")}},
		},
	}
}

// page fetches a URL without following redirects.
func page(t testing.TB, method, target string, form url.Values) (*http.Response, *goquery.Document) {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, doc
}

// hook finds a data-testid.
func hook(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}
