package sandbox

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/providers/alipaysign"
)

const mount = "/sandbox/alipayplus"

// start is the sandbox clock at the beginning of every test.
var start = time.Date(2030, 5, 1, 12, 0, 0, 0, time.FixedZone("", 8*3600))

// creds are generated once: RSA keys take a while.
var creds = sync.OnceValue(func() Credentials {
	c, err := NewCredentials()
	if err != nil {
		panic(err)
	}
	return c
})

// env is a sandbox served over HTTP under the app's mount point, with the
// merchant's notify endpoint and a signing client.
type env struct {
	t        *testing.T
	sb       *Sandbox
	base     string
	clock    atomic.Int64
	notify   *receiver
	merchant *rsa.PrivateKey
	wallet   *rsa.PublicKey
	browser  *http.Client // does not follow redirects
}

func newEnv(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	e := &env{t: t, notify: newReceiver(t)}
	e.clock.Store(start.UnixNano())
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.base = srv.URL + mount
	cfg := Config{PublicURL: e.base, Credentials: creds(), Now: e.now}
	if edit != nil {
		edit(&cfg)
	}
	var err error
	if e.sb, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.sb.Close() })
	mux.Handle(mount+"/", http.StripPrefix(mount, e.sb))
	e.merchant, _ = alipaysign.ParsePrivateKey(creds().MerchantPrivateKey)
	e.wallet, _ = alipaysign.ParsePublicKey(creds().WalletPublicKey)
	e.browser = &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

func (e *env) now() time.Time          { return time.Unix(0, e.clock.Load()).In(start.Location()) }
func (e *env) advance(d time.Duration) { e.clock.Add(int64(d)) }

// receiver is the merchant's notify endpoint. It records every request and
// answers with the queued statuses and bodies (the last one repeats).
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	answers []answer
}

type received struct {
	uri    string
	header http.Header
	body   []byte
	at     time.Time
}

type answer struct {
	status int
	body   string
}

var ack = answer{http.StatusOK, ackBody}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{answers: []answer{ack}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{uri: req.RequestURI, header: req.Header.Clone(), body: body, at: time.Now()})
	a := r.answers[0]
	if len(r.answers) > 1 {
		r.answers = r.answers[1:]
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (r *receiver) answer(as ...answer) {
	r.mu.Lock()
	r.answers = as
	r.mu.Unlock()
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// call is one API request, signed correctly unless a test spoils it.
type call struct {
	path     string // e.g. /v1/payments/pay
	body     string
	clientID string // creds().ClientID when empty
	key      *rsa.PrivateKey
	signed   string // the path to sign; path when empty
	noSign   bool
}

// result is a verified answer.
type apiAnswer struct {
	status int
	fields map[string]any
	raw    []byte
}

func (e *env) do(c call) apiAnswer {
	e.t.Helper()
	clientID := c.clientID
	if clientID == "" {
		clientID = creds().ClientID
	}
	req, err := http.NewRequest(http.MethodPost, e.base+c.path, strings.NewReader(c.body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if !c.noSign {
		key, signed := e.merchant, c.path
		if c.key != nil {
			key = c.key
		}
		if c.signed != "" {
			signed = c.signed
		}
		if err := alipaysign.SignMessage(key, req.Header, alipaysign.HeaderRequestTime, http.MethodPost, signed, clientID, e.now().Format(timeFormat), []byte(c.body)); err != nil {
			e.t.Fatal(err)
		}
	} else {
		req.Header.Set(alipaysign.HeaderClientID, clientID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := apiAnswer{status: resp.StatusCode, raw: raw}
	if resp.StatusCode != http.StatusOK {
		return a
	}
	// Every answer is signed by the wallet over the path the request's
	// signature used, under the request's Client-Id.
	signed := c.path
	if c.signed != "" && c.signed != c.path {
		signed = c.signed
	}
	if _, err := alipaysign.VerifyMessage(e.wallet, resp.Header, alipaysign.HeaderResponseTime, http.MethodPost, signed, clientID, raw); err != nil {
		if _, err2 := alipaysign.VerifyMessage(e.wallet, resp.Header, alipaysign.HeaderResponseTime, http.MethodPost, c.path, clientID, raw); err2 != nil {
			e.t.Errorf("%s: the answer does not verify: %v", c.path, err)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, resp.Header.Get(alipaysign.HeaderResponseTime)); err != nil {
		e.t.Errorf("Response-Time %q is not ISO-8601", resp.Header.Get(alipaysign.HeaderResponseTime))
	}
	if err := json.Unmarshal(raw, &a.fields); err != nil {
		e.t.Fatalf("%s: answer is not JSON: %s", c.path, raw)
	}
	return a
}

func (a apiAnswer) get(path string) any {
	var v any = a.fields
	for part := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func (a apiAnswer) result() string {
	return str(a.get("result.resultStatus")) + " " + str(a.get("result.resultCode"))
}

func str(v any) string { s, _ := v.(string); return s }

// payBody is a pay request for id with value, notifying the receiver and
// returning to the merchant.
func (e *env) payBody(id, currency, value string) string {
	return `{"productCode":"51051000101000000011","paymentRequestId":"` + id + `",
		"paymentAmount":{"currency":"` + currency + `","value":"` + value + `"},
		"order":{"referenceOrderId":"o-1","orderDescription":"Linen shirt","orderAmount":{"currency":"` + currency + `","value":"` + value + `"},
			"merchant":{"referenceMerchantId":"m1","merchantMCC":"5812","merchantName":"Demo Shop Ltd","merchantDisplayName":"Demo Shop"},
			"goods":[{"referenceGoodsId":"1","goodsName":"Linen shirt"}],"env":{"terminalType":"WEB"}},
		"paymentExpiryTime":"` + e.now().Add(15*time.Minute).Format(time.RFC3339) + `",
		"paymentNotifyUrl":"` + e.notify.srv.URL + `/notify/alipayplus?shop=1",
		"paymentRedirectUrl":"https://checkout.example.com/return/` + id + `"}`
}

func (e *env) pay(id, value string) apiAnswer {
	e.t.Helper()
	return e.do(call{path: "/v1/payments/pay", body: e.payBody(id, "USD", value)})
}

func (e *env) inquire(id string) apiAnswer {
	e.t.Helper()
	return e.do(call{path: "/v1/payments/inquiryPayment", body: `{"paymentRequestId":"` + id + `"}`})
}

// open opens the cashier as the merchant's POST form would.
func (e *env) open(a apiAnswer) (*http.Response, *goquery.Document) {
	e.t.Helper()
	u, err := url.Parse(str(a.get("redirectActionForm.redirectionUrl")))
	if err != nil {
		e.t.Fatal(err)
	}
	var resp *http.Response
	if str(a.get("redirectActionForm.method")) == http.MethodPost {
		resp, err = e.browser.PostForm(u.String(), u.Query())
	} else {
		resp, err = e.browser.Get(u.String())
	}
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

// press submits the cashier's form with a button.
func (e *env) press(doc *goquery.Document, testID string) *http.Response {
	e.t.Helper()
	button := doc.Find(`[data-testid="` + testID + `"]`)
	form := button.Closest("form")
	if button.Length() != 1 || form.Length() != 1 {
		e.t.Fatalf("no %s button in a form", testID)
	}
	values := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) { values.Set(s.AttrOr("name", ""), s.AttrOr("value", "")) })
	values.Set(button.AttrOr("name", ""), button.AttrOr("value", ""))
	resp, err := e.browser.PostForm(form.AttrOr("action", ""), values)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *env) wait() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 10*time.Second)
	defer cancel()
	if err := e.sb.WaitNotifications(ctx); err != nil {
		e.t.Fatal(err)
	}
}
