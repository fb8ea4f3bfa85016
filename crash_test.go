package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/e2e/fleet"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
	"github.com/opencheckout/hostedcheckout/web"
)

// childEnv marks the test binary started as the server under test;
// crashAtEnv names the step of a payment or refund where the child kills
// itself (checkout.Service.CrashPoint), and childLeaseEnv shortens its
// Idempotency-Key lease so that a retry need not wait a minute.
const (
	childEnv      = fleet.ChildEnv
	crashAtEnv    = "CHECKOUT_TEST_CRASH_AT"
	childLeaseEnv = fleet.LeaseEnv
)

func TestMain(m *testing.M) {
	fleet.ServeChild(func(c *web.Config) {
		if at := os.Getenv(crashAtEnv); at != "" {
			c.CrashPoint = func(step string) {
				if step == at {
					fmt.Fprintf(os.Stderr, "crash test: SIGKILL at %s\n", step)
					_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
					select {} // the signal is on its way; nothing after this step runs
				}
			}
		}
	})
	os.Exit(m.Run())
}

// crashRig is the server under test running as a child process in live
// mode against a Worldline sandbox that lives in the test process, so the
// provider's ledger survives the server's death.
type crashRig struct {
	t        *testing.T
	env      []string
	addr     string
	key      string
	sandbox  *wlsandbox.Sandbox
	receiver *webhookReceiver
	child    *exec.Cmd
	db       string
	logs     []string
}

// webhookReceiver is the merchant: it verifies every webhook with the
// official Standard Webhooks library and can hold deliveries.
type webhookReceiver struct {
	mu      sync.Mutex
	wh      *standardwebhooks.Webhook
	hold    chan struct{} // while open, requests wait
	entered chan struct{}
	got     map[string][]string // payment or session id -> event types
	bad     int
}

func (r *webhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		select {
		case r.entered <- struct{}{}:
		default:
		}
		select {
		case <-hold:
		case <-req.Context().Done():
			return
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wh.Verify(body, req.Header) != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var e struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(body, &e)
	id, _ := e.Data["id"].(string)
	r.got[id] = append(r.got[id], e.Type)
	w.WriteHeader(http.StatusOK)
}

func (r *webhookReceiver) has(id, typ string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.got[id] {
		if t == typ {
			return true
		}
	}
	return false
}

func newCrashRig(t *testing.T) *crashRig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "checkout.db")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	creds, err := wlsandbox.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewUnstartedServer(nil)
	sb, err := wlsandbox.New(wlsandbox.Config{PublicURL: "http://" + sbSrv.Listener.Addr().String(), Credentials: creds,
		WebhookURL: "http://" + addr + "/notify/worldline"})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv.Config.Handler = sb
	sbSrv.Start()
	t.Cleanup(func() { sbSrv.Close(); sb.Close() })

	secret := checkout.NewWebhookSecret()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	rcv := &webhookReceiver{wh: wh, got: map[string][]string{}, entered: make(chan struct{}, 1)}
	rcvSrv := httptest.NewServer(rcv)
	t.Cleanup(rcvSrv.Close)

	// The merchant and its endpoint, as an operator would set them up.
	store, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	key := checkout.NewSecretKey(true)
	now := time.Now().UTC()
	if err := store.SaveMerchant(ctx, &checkout.Merchant{ID: "mer_crash", Name: "Crash test shop", APIKeyHash: checkout.HashAPIKey(key),
		DefaultProvider: "worldline", Live: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveWebhookEndpoint(ctx, &checkout.WebhookEndpoint{ID: "we_" + strings.Repeat("c", 32), MerchantID: "mer_crash",
		URL: rcvSrv.URL + "/hooks", Secret: secret, Enabled: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	env := append(os.Environ(), childEnv+"=1",
		"CHECKOUT_MODE=live", "CHECKOUT_ADDR="+addr, "CHECKOUT_BASE_URL=https://checkout.test", "CHECKOUT_DB="+db,
		"CHECKOUT_DEFAULT_PROVIDER=worldline", "CHECKOUT_PROVIDER_TIMEOUT=5s", "CHECKOUT_RECONCILE_INTERVAL=200ms",
		"CHECKOUT_WEBHOOK_TIMEOUT=2s", "CHECKOUT_WEBHOOK_PRIVATE_NETWORKS=true", "CHECKOUT_LOG_FORMAT=json",
		"CHECKOUT_WORLDLINE_BASE_URL="+sbSrv.URL, "CHECKOUT_WORLDLINE_MERCHANT_ID="+creds.MerchantID,
		"CHECKOUT_WORLDLINE_API_KEY_ID="+creds.APIKeyID, "CHECKOUT_WORLDLINE_SECRET_API_KEY="+creds.SecretAPIKey,
		"CHECKOUT_WORLDLINE_WEBHOOK_KEY_ID="+creds.WebhookKeyID, "CHECKOUT_WORLDLINE_WEBHOOK_SECRET="+creds.WebhookSecret)
	return &crashRig{t: t, env: env, addr: addr, key: key, sandbox: sb, receiver: rcv, db: db}
}

// start runs the server on the rig's database; extra environment (a crash
// point) applies to this run only.
func (r *crashRig) start(extra ...string) {
	r.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(slices.Clone(r.env), extra...)
	log, err := os.Create(filepath.Join(r.t.TempDir(), "server.log"))
	if err != nil {
		r.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	r.logs = append(r.logs, log.Name())
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.child = cmd
	r.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + r.addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			r.t.Fatalf("the server did not start: %v\n%s", err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *crashRig) kill() {
	r.t.Helper()
	if err := r.child.Process.Signal(syscall.SIGKILL); err != nil {
		r.t.Fatal(err)
	}
	_ = r.child.Wait()
}

func (r *crashRig) api(method, path string, body any) (int, map[string]any) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, "http://"+r.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+r.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (r *crashRig) newSession() string {
	r.t.Helper()
	status, s := r.api(http.MethodPost, "/v1/checkout/sessions", map[string]any{"amount": 1500, "currency": "EUR", "success_url": "https://shop.test/ok"})
	if status != 201 {
		r.t.Fatalf("create session: %d %v", status, s)
	}
	return s["id"].(string)
}

var formTokenInput = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// pay posts the hosted form; it returns when the server answers (or dies).
func (r *crashRig) pay(sessionID string) {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// The form token, from the page as a browser gets it.
	page, err := client.Get("http://" + r.addr + "/c/" + sessionID)
	if err != nil {
		r.t.Errorf("checkout page: %v", err)
		return
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	token := formTokenInput.FindSubmatch(body)
	if token == nil {
		r.t.Errorf("no form token on the checkout page (%d)", page.StatusCode)
		return
	}
	form := url.Values{"card_number": {"4242424242424242"}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"},
		"form_token": {string(token[1])}}
	res, err := client.PostForm("http://"+r.addr+"/c/"+sessionID+"/pay", form)
	if err == nil {
		res.Body.Close()
	}
}

func (r *crashRig) payment(sessionID string) map[string]any {
	r.t.Helper()
	_, s := r.api(http.MethodGet, "/v1/checkout/sessions/"+sessionID, nil)
	p, _ := s["payment"].(map[string]any)
	return p
}

func (r *crashRig) eventually(what string, within time.Duration, ok func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCrashRecovery kills the server (SIGKILL) while a provider call is in
// flight and while a merchant webhook is being delivered, restarts it on the
// same database, and checks that every payment reaches its true final
// state, every webhook is delivered, and nothing is charged twice.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server as a child process")
	}
	rig := newCrashRig(t)
	rig.start()

	// Payment A succeeds before the crash; its webhooks are held by the
	// merchant, so their delivery is in flight when the server dies.
	rig.receiver.mu.Lock()
	rig.receiver.hold = make(chan struct{})
	rig.receiver.mu.Unlock()
	a := rig.newSession()
	rig.pay(a)
	pa := rig.payment(a)
	if pa == nil || pa["status"] != "succeeded" {
		t.Fatalf("payment A: %v", pa)
	}
	select {
	case <-rig.receiver.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivery started")
	}

	// Payment B: Worldline authorises, then answers slowly; the server dies
	// while it waits.
	if err := rig.sandbox.InjectFault(sandboxfault.Fault{Kind: sandboxfault.Slow, Operation: wlsandbox.OperationCreate, Delay: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	b := rig.newSession()
	go rig.pay(b)
	var pb string
	rig.eventually("Worldline to charge payment B", 10*time.Second, func() bool {
		p := rig.payment(b)
		if p == nil {
			return false
		}
		pb = p["id"].(string)
		return rig.sandbox.Charges(pb) == 1
	})
	rig.kill()

	// The merchant answers again; the server comes back on the same database.
	rig.receiver.mu.Lock()
	close(rig.receiver.hold)
	rig.receiver.hold = nil
	rig.receiver.mu.Unlock()
	rig.start()

	rig.eventually("payment B to settle after the restart", 40*time.Second, func() bool {
		p := rig.payment(b)
		return p != nil && p["status"] == "succeeded"
	})
	rig.eventually("every webhook to be delivered", 40*time.Second, func() bool {
		return rig.receiver.has(pa["id"].(string), "payment.succeeded") && rig.receiver.has(a, "checkout.session.completed") &&
			rig.receiver.has(pb, "payment.succeeded") && rig.receiver.has(b, "checkout.session.completed")
	})
	// The merchant records a webhook before the server records the answer:
	// wait for the delivery rows to catch up before reading them.
	rig.eventually("every delivery to be recorded as succeeded", 10*time.Second, func() bool {
		status, d := rig.api(http.MethodGet, "/v1/webhook_deliveries?limit=100", nil)
		if status != 200 {
			return false
		}
		for _, x := range d["data"].([]any) {
			if x.(map[string]any)["status"] != "succeeded" {
				return false
			}
		}
		return true
	})
	for _, id := range []string{pa["id"].(string), pb} {
		if n := rig.sandbox.Charges(id); n != 1 {
			t.Errorf("payment %s charged %d times", id, n)
		}
	}
	if rig.receiver.bad != 0 {
		t.Fatalf("%d webhooks failed signature verification", rig.receiver.bad)
	}
	status, d := rig.api(http.MethodGet, "/v1/webhook_deliveries?limit=100", nil)
	if status != 200 {
		t.Fatalf("deliveries: %d", status)
	}
	for _, x := range d["data"].([]any) {
		if x := x.(map[string]any); x["status"] != "succeeded" {
			t.Errorf("delivery %v is %v", x["type"], x["status"])
		}
	}
	fmt.Fprintf(os.Stderr, "crash recovery: both payments settled once; %d deliveries all succeeded\n", len(d["data"].([]any)))

	// No card data at rest after the crash either: database, WAL, logs.
	for _, f := range append([]string{rig.db, rig.db + "-wal"}, rig.logs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the WAL may have been checkpointed away
		}
		for _, needle := range []string{"4242424242424242", "4242 4242 4242 4242", `"737"`, "=737&"} {
			if strings.Contains(string(b), needle) {
				t.Errorf("card data %q at rest in %s", needle, filepath.Base(f))
			}
		}
	}
}
