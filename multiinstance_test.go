package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
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
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/sandboxset"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
	"github.com/opencheckout/hostedcheckout/web"
)

// fleet is three instances of the server under test, child processes in
// live mode on one PostgreSQL database, behind a round-robin proxy, with
// every provider's sandbox and the merchant's webhook endpoint in the test
// process (so the providers' ledgers and the merchant's inbox outlive any
// instance).
type fleet struct {
	t        *testing.T
	env      []string
	addrs    []string
	children []*exec.Cmd
	logs     []string
	proxy    *httptest.Server
	sandbox  *wlsandbox.Sandbox // Worldline's, which the kill holds
	// sandboxes are every provider's, running in the test process.
	sandboxes *sandboxset.Set
	inbox     *inbox
	key       string
	next      atomic.Int64
	// cut counts requests that reached an instance and died with it;
	// paying counts each instance's pay requests in flight.
	cut    atomic.Int32
	paying []atomic.Int32
}

// inbox is the merchant's endpoint: it verifies each webhook, records
// which webhook-id each event (type and object) came under, and notices a
// webhook-id delivered twice at the same time (a job run twice at once).
type inbox struct {
	mu       sync.Mutex
	wh       *standardwebhooks.Webhook
	ids      map[string][]string // type + " " + object id -> webhook-ids
	inFlight map[string]bool
	overlaps []string
	bad      int
	// refused is the webhook-ids whose first attempt got a 503 (every
	// fourth one): an instance, maybe another, must try again.
	refused map[string]bool
}

func (b *inbox) ServeHTTP(w http.ResponseWriter, req *http.Request) {
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

func (b *inbox) webhookIDs(typ, obj string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ids[typ+" "+obj])
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newFleet(t *testing.T, pg *pgtest.Cluster, n int) *fleet {
	t.Helper()
	ctx := context.Background()
	dbURL, err := pg.CreateDatabase(fmt.Sprintf("fleet_%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t}
	for range n {
		f.addrs = append(f.addrs, freeAddr(t))
	}
	f.children = make([]*exec.Cmd, n)
	f.paying = make([]atomic.Int32, n)
	f.proxy = httptest.NewServer(http.HandlerFunc(f.forward))
	t.Cleanup(f.proxy.Close)

	// Every provider's sandbox, in this process: their ledgers outlive
	// any instance, and their notifications go through the proxy.
	vars := []string{}
	started := map[string]registry.Sandbox{}
	for _, d := range web.Providers {
		srv := httptest.NewUnstartedServer(nil)
		base := "http://" + srv.Listener.Addr().String()
		st, err := d.Sandbox(registry.SandboxEnv{PublicURL: base, InternalURL: base, NotifyURL: f.proxy.URL + handlers.NotifyPath(d.Name),
			HTTPClient: &http.Client{Timeout: 5 * time.Second}, Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = st.Sandbox
		srv.Start()
		t.Cleanup(func() { srv.Close(); _ = st.Sandbox.Close() })
		started[d.Name] = st.Sandbox
		for k, v := range st.Vars {
			vars = append(vars, k+"="+v)
		}
	}
	f.sandboxes = sandboxset.New(started)
	f.sandbox = f.sandboxes.Worldline

	secret := checkout.NewWebhookSecret()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	f.inbox = &inbox{wh: wh, ids: map[string][]string{}, inFlight: map[string]bool{}, refused: map[string]bool{}}
	inboxSrv := httptest.NewServer(f.inbox)
	t.Cleanup(inboxSrv.Close)

	// The merchant and its endpoint, as an operator would set them up.
	store, err := sqlstore.OpenPostgres(ctx, dbURL, sqlstore.PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.key = checkout.NewSecretKey(true)
	now := time.Now().UTC()
	if err := store.SaveMerchant(ctx, &checkout.Merchant{ID: "mer_fleet", Name: "Fleet shop", APIKeyHash: checkout.HashAPIKey(f.key),
		DefaultProvider: "worldline", Live: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveWebhookEndpoint(ctx, &checkout.WebhookEndpoint{ID: "we_" + strings.Repeat("f", 32), MerchantID: "mer_fleet",
		URL: inboxSrv.URL + "/hooks", Secret: secret, Enabled: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	f.env = append(os.Environ(), childEnv+"=1",
		"CHECKOUT_MODE=live", "CHECKOUT_BASE_URL=https://checkout.test", "CHECKOUT_DATABASE_URL="+dbURL,
		"CHECKOUT_DEFAULT_PROVIDER=worldline", "CHECKOUT_PROVIDER_TIMEOUT=2s", "CHECKOUT_RECONCILE_INTERVAL=200ms",
		"CHECKOUT_WEBHOOK_TIMEOUT=2s", "CHECKOUT_WEBHOOK_PRIVATE_NETWORKS=true", "CHECKOUT_LOG_FORMAT=json",
		childLeaseEnv+"=2s", // an Idempotency-Key held by a killed instance is free again soon
		// Every shopper comes from 127.0.0.1 here: the card-testing
		// limits (shared by the instances) would stop the run.
		"CHECKOUT_LIMIT_PER_IP=0", "CHECKOUT_LIMIT_PER_CARD=0", "CHECKOUT_API_LIMIT_PER_SECOND=0")
	f.env = append(f.env, vars...) // each provider's variables, pointing at its sandbox
	return f
}

// start starts instance i and waits until it is ready.
func (f *fleet) start(i int) {
	f.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(slices.Clone(f.env), "CHECKOUT_ADDR="+f.addrs[i])
	log, err := os.Create(filepath.Join(f.t.TempDir(), fmt.Sprintf("instance-%d.log", i)))
	if err != nil {
		f.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	f.logs = append(f.logs, log.Name())
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

func (f *fleet) kill(i int) {
	f.t.Helper()
	if err := f.children[i].Process.Signal(syscall.SIGKILL); err != nil {
		f.t.Fatal(err)
	}
	_ = f.children[i].Wait()
}

// forward is the load balancer: each request to the next instance in
// turn; an instance that refuses the connection (dead) is skipped, as a
// load balancer's health check would skip it. A request that reached an
// instance is never sent again.
var noKeepAlive = &http.Transport{DisableKeepAlives: true}

func (f *fleet) forward(w http.ResponseWriter, r *http.Request) {
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
		res, err := noKeepAlive.RoundTrip(req)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				continue
			}
			f.cut.Add(1)
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

// api calls the merchant API through the proxy. A POST carries an
// Idempotency-Key and is sent again, as a merchant's client would, when
// its instance died under it (502): the key makes the retry safe on
// whichever instance takes it.
func (f *fleet) api(method, path string, body any) (int, map[string]any) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	key := checkout.RandomToken(16)
	for try := 0; ; try++ {
		req, _ := http.NewRequest(method, f.proxy.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+f.key)
		req.Header.Set("Content-Type", "application/json")
		if method == http.MethodPost {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		// A 409 here is the key still held by the request that died with
		// its instance: it is free again after the key's lease.
		if (res.StatusCode == http.StatusBadGateway || res.StatusCode == http.StatusConflict) && method == http.MethodPost && try < 20 {
			time.Sleep(250 * time.Millisecond)
			continue
		}
		return res.StatusCode, out
	}
}

// shop makes a session and pays it with card through the proxy; with
// double, the pay form is sent twice at once (a double click). It
// returns the session id ("" when the session could not be made).
func (f *fleet) shop(provider, card string, double bool) string {
	currency := "EUR"
	if provider == "payorder" {
		currency = "USD" // the currency payOrder's account takes
	}
	status, s := f.api(http.MethodPost, "/v1/checkout/sessions", map[string]any{"amount": 1500, "currency": currency,
		"success_url": "https://shop.test/ok", "provider": provider})
	if status != http.StatusCreated {
		return ""
	}
	id := s["id"].(string)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := client.Get(f.proxy.URL + "/c/" + id)
	if err != nil {
		return id
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	token := formTokenInput.FindSubmatch(body)
	if token == nil {
		return id
	}
	form := url.Values{"card_number": {card}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"},
		"form_token": {string(token[1])}}
	clicks := 1
	if double {
		clicks = 2
	}
	var wg sync.WaitGroup
	for range clicks {
		wg.Go(func() {
			res, err := client.PostForm(f.proxy.URL+"/c/"+id+"/pay", form)
			if err != nil {
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/c/") {
				if page, err := client.Get(f.proxy.URL + loc); err == nil {
					body, _ = io.ReadAll(page.Body)
					page.Body.Close()
				}
			}
			// payOrder collects device data first: without a script the
			// page offers its Continue form, which the shopper sends (the
			// collection timed out) for the payment to go on.
			if m := ddcForm.FindSubmatch(body); m != nil {
				values := url.Values{}
				for _, in := range hiddenInput.FindAllSubmatch(m[2], -1) {
					values.Set(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
				}
				action := html.UnescapeString(string(m[1]))
				if next, err := client.PostForm(f.proxy.URL+action, values); err == nil {
					next.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	return id
}

var (
	ddcForm     = regexp.MustCompile(`(?s)<form id="ddc-continue" method="post" action="([^"]+)">(.*?)</form>`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
)

// TestInstancesShareTheWork: three instances on one PostgreSQL behind a
// round-robin proxy take shoppers paying approved and declined cards
// through Worldline, payOrder (its device data step sent without a
// script) and Antom, a fifth of them double-clicking, a slow provider
// answer among them; one instance is SIGKILLed while Worldline holds its
// payment, and started again. Every payment ends in the state its card
// implies, each provider's ledger agrees with the database (each approved
// payment charged once, each declined one never; no Worldline charge
// without a payment), every merchant webhook of every payment is
// delivered, each event under one webhook-id, and no webhook was
// delivered twice at the same time.
func TestInstancesShareTheWork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers as child processes")
	}
	pg, err := pgtest.Start()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL: %v", err)
		}
		t.Skip("no PostgreSQL:", err)
	}
	t.Cleanup(pg.Stop)
	f := newFleet(t, pg, 3)
	for i := range f.addrs {
		f.start(i)
	}

	cards := []string{testcards.Visa, testcards.Mastercard, testcards.DeclineGeneric, testcards.DeclineFunds}
	approved := map[string]bool{testcards.Visa: true, testcards.Mastercard: true}
	providers := []string{"worldline", "payorder", "antom"}
	const shoppers = 48
	type order struct{ session, card, provider string }
	orders := make([]order, shoppers)
	var entered <-chan struct{}
	var release func()
	var wg sync.WaitGroup
	slots := make(chan struct{}, 6)
	for i := range shoppers {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			card, provider := cards[i%len(cards)], providers[(i/len(cards))%len(providers)]
			orders[i] = order{session: f.shop(provider, card, i%5 == 0), card: card, provider: provider}
		}()
		// Shoppers 24 to 27 pay through Worldline (providers change every
		// four shoppers): the hold is armed before them.
		switch i {
		case 20:
			// Worldline holds the next payment's authorisation: the
			// instance waiting for it is killed below.
			entered, release = f.sandbox.HoldNext()
		case 26:
			select {
			case <-entered:
			case <-time.After(20 * time.Second):
				t.Fatal("no payment reached Worldline")
			}
			victim := -1
			for j := range f.paying {
				if f.paying[j].Load() > 0 {
					victim = j
				}
			}
			if victim < 0 {
				t.Fatal("no instance is paying while Worldline holds a payment")
			}
			// SIGKILL while it waits; then Worldline answers to no one:
			// another instance must take the payment over after its
			// lease and find it charged.
			f.kill(victim)
			release()
			// And a slow provider for the next calls, on the instances left.
			if err := f.sandbox.InjectFault(sandboxfault.Fault{Kind: sandboxfault.Slow, Operation: wlsandbox.OperationCreate,
				Delay: 500 * time.Millisecond, Count: 3}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			f.start(victim)
		}
	}
	wg.Wait()

	// Every payment settles (those whose instance died while the provider
	// answered are taken over after their lease) and every webhook goes out.
	payments := map[string]map[string]any{}
	deadline := time.Now().Add(90 * time.Second)
	for {
		pending := 0
		for _, o := range orders {
			if o.session == "" {
				continue
			}
			status, s := f.api(http.MethodGet, "/v1/checkout/sessions/"+o.session, nil)
			if status != 200 {
				pending++
				continue
			}
			p, _ := s["payment"].(map[string]any)
			if p != nil {
				payments[o.session] = p
				if st := p["status"]; st != "succeeded" && st != "failed" {
					pending++
				}
			}
		}
		if pending == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	made, charged, wlCharged := 0, 0, 0
	for _, o := range orders {
		if o.session == "" {
			t.Errorf("a session could not be made through the proxy")
			continue
		}
		p := payments[o.session]
		if p == nil {
			continue // the instance died before the payment began: nothing may be charged for it (TotalCharges below)
		}
		made++
		pid := p["id"].(string)
		want := "failed"
		if approved[o.card] {
			want = "succeeded"
		}
		if p["status"] != want {
			t.Errorf("session %s (%s, card %s…): payment %s is %v, want %s", o.session, o.provider, o.card[:6], pid, p["status"], want)
		}
		charges := f.charges(o.provider, pid)
		if want == "succeeded" && charges != 1 || want == "failed" && charges != 0 {
			t.Errorf("payment %s (%v) charged %d times", pid, p["status"], charges)
		}
		charged += charges
		if o.provider == "worldline" {
			wlCharged += charges
		}
	}
	if total := f.sandbox.TotalCharges(); total != wlCharged {
		t.Errorf("Worldline charged %d times, the database knows of %d: a charge without its payment", total, wlCharged)
	}
	if made < shoppers-6 {
		t.Errorf("only %d of %d shoppers got a payment", made, shoppers)
	}

	// Webhooks: every payment's, each event under one webhook-id.
	deadline = time.Now().Add(60 * time.Second)
	for {
		missing := []string{}
		for session, p := range payments {
			typ := "payment.failed"
			if p["status"] == "succeeded" {
				typ = "payment.succeeded"
				if len(f.inbox.webhookIDs("checkout.session.completed", session)) == 0 {
					missing = append(missing, "checkout.session.completed "+session)
				}
			}
			if len(f.inbox.webhookIDs(typ, p["id"].(string))) == 0 {
				missing = append(missing, typ+" "+p["id"].(string))
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhooks never delivered, e.g. %v", len(missing), missing[0])
		}
		time.Sleep(500 * time.Millisecond)
	}
	f.inbox.mu.Lock()
	defer f.inbox.mu.Unlock()
	for k, ids := range f.inbox.ids {
		if len(ids) != 1 {
			t.Errorf("event %s came under %d webhook-ids %v", k, len(ids), ids)
		}
	}
	if len(f.inbox.overlaps) > 0 {
		t.Errorf("webhooks delivered twice at the same time: %v", f.inbox.overlaps)
	}
	if f.inbox.bad != 0 {
		t.Errorf("%d webhooks failed signature verification", f.inbox.bad)
	}
	retried := 0
	for _, r := range f.inbox.refused {
		if r {
			retried++
		}
	}
	fmt.Fprintf(os.Stderr, "fleet: %d shoppers over 3 instances (one killed and restarted, %d requests cut with it), %d payments, %d charges, %d events delivered (%d after a refused first attempt)\n",
		shoppers, f.cut.Load(), made, charged, len(f.inbox.ids), retried)
}

// charges is how many times provider's ledger charged our payment id.
func (f *fleet) charges(provider, paymentID string) int {
	switch provider {
	case "payorder":
		o, _ := f.sandboxes.Payorder.Order(paymentID)
		return o.Charges
	case "antom":
		return f.sandboxes.Antom.Charges(paymentID)
	}
	return f.sandboxes.Worldline.Charges(paymentID)
}
