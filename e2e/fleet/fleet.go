// Package fleet runs several instances of the server on one PostgreSQL
// database for tests: child processes in live mode behind a round-robin
// load balancer, with every provider's sandbox and the merchant's webhook
// endpoint in the test process, so that the providers' ledgers and the
// merchant's inbox outlive any instance. The multi-instance test of the
// root package and the load generator's fleet run (e2e/load) use it.
//
// An instance is the test binary started again with ChildEnv set: the
// binary's TestMain calls ServeChild first, which serves as `checkout`
// does (web.Serve) and exits.
package fleet

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/providers/registry"
	"github.com/opencheckout/hostedcheckout/providers/sandboxset"
	"github.com/opencheckout/hostedcheckout/web"
)

const (
	// ChildEnv marks a test binary started as the server under test.
	ChildEnv = "CHECKOUT_TEST_SERVER_CHILD"
	// LeaseEnv shortens the child's Idempotency-Key lease, so that a
	// merchant's retry of a request cut with its instance need not wait a
	// minute.
	LeaseEnv = "CHECKOUT_TEST_IDEMPOTENCY_LEASE"
	// CutHeader marks the load balancer's 502 for a request that reached
	// an instance which died before answering.
	CutHeader = "X-Fleet-Cut"
	// MerchantID is the fleet's merchant.
	MerchantID = "mer_fleet"
	// ActionTimeout is how long the fleet's sandboxes wait for a shopper
	// before they expire the payment (registry.SandboxEnv.ActionTimeout):
	// a payment whose instance died before the shopper got its challenge
	// or redirect fails with nothing charged within the run.
	ActionTimeout = 25 * time.Second
)

// ServeChild serves as the server under test, and exits, when this binary
// was started as one (ChildEnv set); otherwise it returns at once. Call it
// first in TestMain. options change the configuration further.
func ServeChild(options ...func(*web.Config)) {
	if os.Getenv(ChildEnv) != "1" {
		return
	}
	lease := func(c *web.Config) {
		if d, err := time.ParseDuration(os.Getenv(LeaseEnv)); err == nil {
			c.IdempotencyLease = d
		}
	}
	os.Exit(web.Serve(os.Getenv, os.Stderr, append([]func(*web.Config){lease}, options...)...))
}

// Fleet is n instances behind a round-robin load balancer.
type Fleet struct {
	// URL is the load balancer's origin (https: live mode needs it), the
	// instances' CHECKOUT_BASE_URL; RootCAs trusts its certificate.
	URL     string
	RootCAs *x509.CertPool
	// Key is the merchant's secret key (a live one).
	Key string
	// DatabaseURL is the instances' database.
	DatabaseURL string
	// Sandboxes are every provider's, in the test process.
	Sandboxes *sandboxset.Set
	// Inbox is the merchant's webhook endpoint.
	Inbox *Inbox

	t        testing.TB
	env      []string
	addrs    []string
	children []*exec.Cmd
	logs     []Log
	current  []int // each instance's log
	proxy    *httptest.Server
	next     atomic.Int64
	cut      atomic.Int32
	paying   []atomic.Int32
}

// New makes the database, the merchant (live, Worldline by default) with
// its webhook endpoint, the sandboxes and the load balancer for n
// instances; Start starts them. env is added to the instances'
// environment (and wins over the defaults).
func New(t testing.TB, pg *pgtest.Cluster, n int, env ...string) *Fleet {
	t.Helper()
	ctx := context.Background()
	dbURL, err := pg.CreateDatabase(fmt.Sprintf("fleet_%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	f := &Fleet{t: t, DatabaseURL: dbURL}
	for range n {
		f.addrs = append(f.addrs, FreeAddr(t))
	}
	f.children = make([]*exec.Cmd, n)
	f.current = make([]int, n)
	f.paying = make([]atomic.Int32, n)
	f.proxy = httptest.NewTLSServer(http.HandlerFunc(f.forward))
	t.Cleanup(f.proxy.Close)
	f.URL = f.proxy.URL
	f.RootCAs = x509.NewCertPool()
	f.RootCAs.AddCert(f.proxy.Certificate())

	// Every provider's sandbox, in this process: their ledgers outlive
	// any instance, and their notifications go through the load balancer.
	vars := []string{}
	started := map[string]registry.Sandbox{}
	var notFoundAfter time.Duration
	for _, d := range web.Providers {
		srv := httptest.NewUnstartedServer(nil)
		base := "http://" + srv.Listener.Addr().String()
		st, err := d.Sandbox(registry.SandboxEnv{PublicURL: base, InternalURL: base, NotifyURL: f.URL + handlers.NotifyPath(d.Name),
			HTTPClient: f.Client(5 * time.Second), Now: time.Now, ActionTimeout: ActionTimeout})
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = st.Sandbox
		srv.Start()
		t.Cleanup(func() { srv.Close(); _ = st.Sandbox.Close() })
		started[d.Name] = st.Sandbox
		notFoundAfter = max(notFoundAfter, st.NotFoundAfter)
		for k, v := range st.Vars {
			vars = append(vars, k+"="+v)
		}
	}
	f.Sandboxes = sandboxset.New(started)

	secret := checkout.NewWebhookSecret()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	f.Inbox = &Inbox{wh: wh, ids: map[string][]string{}, inFlight: map[string]bool{}, refused: map[string]bool{}}
	inboxSrv := httptest.NewServer(f.Inbox)
	t.Cleanup(inboxSrv.Close)

	// The merchant and its endpoint, as an operator would set them up.
	store, err := sqlstore.OpenPostgres(ctx, dbURL, sqlstore.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.Key = checkout.NewSecretKey(true)
	now := time.Now().UTC()
	if err := store.SaveMerchant(ctx, &checkout.Merchant{ID: MerchantID, Name: "Fleet shop", APIKeyHash: checkout.HashAPIKey(f.Key),
		DefaultProvider: "worldline", Live: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveWebhookEndpoint(ctx, &checkout.WebhookEndpoint{ID: "we_" + strings.Repeat("f", 32), MerchantID: MerchantID,
		URL: inboxSrv.URL + "/hooks", Secret: secret, Enabled: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	f.env = append(os.Environ(), ChildEnv+"=1",
		"CHECKOUT_MODE=live", "CHECKOUT_BASE_URL="+f.URL, "CHECKOUT_DATABASE_URL="+dbURL,
		"CHECKOUT_DEFAULT_PROVIDER=worldline", "CHECKOUT_PROVIDER_TIMEOUT=2s", "CHECKOUT_RECONCILE_INTERVAL=200ms",
		"CHECKOUT_WEBHOOK_TIMEOUT=2s", "CHECKOUT_WEBHOOK_PRIVATE_NETWORKS=true", "CHECKOUT_LOG_FORMAT=json",
		LeaseEnv+"=2s", // an Idempotency-Key held by a killed instance is free again soon
		// Every shopper comes from 127.0.0.1 here: the card-testing
		// limits (shared by the instances) would stop the run.
		"CHECKOUT_LIMIT_PER_IP=0", "CHECKOUT_LIMIT_PER_CARD=0", "CHECKOUT_API_LIMIT_PER_SECOND=0")
	f.env = append(f.env, vars...) // each provider's variables, pointing at its sandbox
	if notFoundAfter > 0 {
		// As in sandbox mode: the sandboxes store a payment before they
		// answer, so one they do not know after this never reached them.
		f.env = append(f.env, "CHECKOUT_PROVIDER_NOT_FOUND_AFTER="+notFoundAfter.String())
	}
	f.env = append(f.env, env...)
	return f
}

// Client is an HTTP client that trusts the load balancer, with timeout
// (0: none); it follows no redirect.
func (f *Fleet) Client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: f.Transport(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Transport trusts the load balancer's certificate.
func (f *Fleet) Transport() *http.Transport {
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.RootCAs}, MaxIdleConnsPerHost: 64}
}

// Size is the number of instances.
func (f *Fleet) Size() int { return len(f.addrs) }

// Start starts instance i and waits until it is ready.
func (f *Fleet) Start(i int) {
	f.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(slices.Clone(f.env), "CHECKOUT_ADDR="+f.addrs[i])
	log, err := os.Create(filepath.Join(f.t.TempDir(), fmt.Sprintf("instance-%d.log", i)))
	if err != nil {
		f.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	f.current[i] = len(f.logs)
	f.logs = append(f.logs, Log{Path: log.Name()})
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.children[i] = cmd
	f.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + f.addrs[i] + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			f.t.Fatalf("instance %d did not start: %v\n%s", i, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StartAll starts every instance.
func (f *Fleet) StartAll() {
	f.t.Helper()
	for i := range f.addrs {
		f.Start(i)
	}
}

// Kill SIGKILLs instance i.
func (f *Fleet) Kill(i int) {
	f.t.Helper()
	if err := f.children[i].Process.Signal(syscall.SIGKILL); err != nil {
		f.t.Fatal(err)
	}
	_ = f.children[i].Wait()
	f.logs[f.current[i]].Killed = true
}

// Stop stops every running instance as an orchestrator would (SIGTERM,
// then waiting for the drain), so that their logs are whole.
func (f *Fleet) Stop() {
	for _, c := range f.children {
		if c != nil && c.ProcessState == nil {
			_ = c.Process.Signal(syscall.SIGTERM)
			_ = c.Wait()
		}
	}
}

// Log is an instance's log file (one per start).
type Log struct {
	Path   string
	Killed bool // SIGKILLed: its last line may be cut
}

// Logs are the instances' log files, one per start, in order.
func (f *Fleet) Logs() []Log { return slices.Clone(f.logs) }

// Paying is how many pay requests instance i has in flight.
func (f *Fleet) Paying(i int) int32 { return f.paying[i].Load() }

// Cut counts the requests that reached an instance and died with it.
func (f *Fleet) Cut() int32 { return f.cut.Load() }

// forward is the load balancer: each request to the next instance in
// turn; an instance that refuses the connection (dead) is skipped, as a
// load balancer's health check would skip it. A request that reached an
// instance is never sent again: it gets a 502 with CutHeader.
var noKeepAlive = &http.Transport{DisableKeepAlives: true}

func (f *Fleet) forward(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	start := f.next.Add(1)
	for try := range int64(len(f.addrs)) {
		i := (start + try) % int64(len(f.addrs))
		addr := f.addrs[i]
		if strings.HasSuffix(r.URL.Path, "/pay") {
			f.paying[i].Add(1)
			defer f.paying[i].Add(-1)
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+addr+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		req.Host = r.Host
		res, err := noKeepAlive.RoundTrip(req)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				continue
			}
			f.cut.Add(1)
			w.Header().Set(CutHeader, "1")
			http.Error(w, "bad gateway: "+err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
		res.Body.Close()
		return
	}
	http.Error(w, "no instance", http.StatusBadGateway)
}

// FreeAddr is a free TCP address on 127.0.0.1 for a server to listen on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Inbox is the merchant's webhook endpoint: it verifies each webhook,
// records which webhook-id each event (type and object) came under, and
// notices a webhook-id delivered twice at the same time (a job run twice
// at once). It refuses the first attempt of every fourth webhook-id (a
// 503): an instance, maybe another, must try again.
type Inbox struct {
	mu       sync.Mutex
	wh       *standardwebhooks.Webhook
	ids      map[string][]string // type + " " + object id -> webhook-ids
	inFlight map[string]bool
	overlaps []string
	bad      int
	refused  map[string]bool // webhook-id -> its first attempt was refused
}

func (b *Inbox) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	b.mu.Lock()
	if b.inFlight[id] {
		b.overlaps = append(b.overlaps, id)
	}
	b.inFlight[id] = true
	b.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // widens the window a second delivery would fall in
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.inFlight, id)
	if b.wh.Verify(body, req.Header) != nil {
		b.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if _, seen := b.refused[id]; !seen && len(b.refused)%4 == 0 {
		b.refused[id] = true
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if _, seen := b.refused[id]; !seen {
		b.refused[id] = false
	}
	var e struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(body, &e)
	obj, _ := e.Data["id"].(string)
	k := e.Type + " " + obj
	if !slices.Contains(b.ids[k], id) {
		b.ids[k] = append(b.ids[k], id)
	}
	w.WriteHeader(http.StatusOK)
}

// WebhookIDs are the webhook-ids event typ about object obj came under.
func (b *Inbox) WebhookIDs(typ, obj string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ids[typ+" "+obj])
}

// Wait waits until every event in want ("type object-id") was received,
// or timeout; it answers those never received.
func (b *Inbox) Wait(want []string, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		var missing []string
		b.mu.Lock()
		for _, k := range want {
			if len(b.ids[k]) == 0 {
				missing = append(missing, k)
			}
		}
		b.mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Problems are what the inbox saw wrong: an event under more than one
// webhook-id, a webhook-id delivered twice at the same time, a signature
// that did not verify.
func (b *Inbox) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for k, ids := range b.ids {
		if len(ids) != 1 {
			out = append(out, fmt.Sprintf("event %s came under %d webhook-ids %v", k, len(ids), ids))
		}
	}
	if len(b.overlaps) > 0 {
		out = append(out, fmt.Sprintf("webhooks delivered twice at the same time: %v", b.overlaps))
	}
	if b.bad != 0 {
		out = append(out, fmt.Sprintf("%d webhooks failed signature verification", b.bad))
	}
	return out
}

// Counts are the events received and those received after a refused
// first attempt.
func (b *Inbox) Counts() (events, retried int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.refused {
		if r {
			retried++
		}
	}
	return len(b.ids), retried
}
