package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore/pgtest"
	"github.com/opencheckout/hostedcheckout/e2e/fleet"
	"github.com/opencheckout/hostedcheckout/providers/sandboxfault"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
	wlsandbox "github.com/opencheckout/hostedcheckout/providers/worldline/sandbox"
)

// shopFleet drives a fleet.Fleet as the merchant and its shoppers do.
type shopFleet struct {
	*fleet.Fleet
	t      *testing.T
	client *http.Client
}

// api calls the merchant API through the proxy. A POST carries an
// Idempotency-Key and is sent again, as a merchant's client would, when
// its instance died under it (502): the key makes the retry safe on
// whichever instance takes it.
func (f *shopFleet) api(method, path string, body any) (int, map[string]any) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	key := checkout.RandomToken(16)
	for try := 0; ; try++ {
		req, _ := http.NewRequest(method, f.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+f.Key)
		req.Header.Set("Content-Type", "application/json")
		if method == http.MethodPost {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := f.client.Do(req)
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
// returns the session id ("" when the session could not be made), and
// whether a pay request died with its instance.
func (f *shopFleet) shop(provider, card string, double bool) (string, bool) {
	currency := "EUR"
	if provider == "payorder" {
		currency = "USD" // the currency payOrder's account takes
	}
	status, s := f.api(http.MethodPost, "/v1/checkout/sessions", map[string]any{"amount": 1500, "currency": currency,
		"success_url": "https://shop.test/ok", "provider": provider})
	if status != http.StatusCreated {
		return "", false
	}
	id := s["id"].(string)
	client := f.client
	page, err := client.Get(f.URL + "/c/" + id)
	if err != nil {
		return id, false
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	token := formTokenInput.FindSubmatch(body)
	if token == nil {
		return id, false
	}
	form := url.Values{"card_number": {card}, "card_expiry": {"12/40"}, "card_cvc": {"737"}, "cardholder_name": {"Ada Lovelace"},
		"form_token": {string(token[1])}}
	clicks := 1
	if double {
		clicks = 2
	}
	var wg sync.WaitGroup
	var cut atomic.Bool
	for range clicks {
		wg.Go(func() {
			res, err := client.PostForm(f.URL+"/c/"+id+"/pay", form)
			if err != nil {
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusBadGateway && res.Header.Get(fleet.CutHeader) != "" {
				cut.Store(true)
			}
			if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/c/") {
				if page, err := resend(func() (*http.Response, error) { return client.Get(f.URL + loc) }); err == nil {
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
				if next, err := resend(func() (*http.Response, error) { return client.PostForm(f.URL+action, values) }); err == nil {
					next.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	return id, cut.Load()
}

// resend sends a request again while the load balancer answers that it
// was cut with its instance, as a shopper reloads a page that failed and
// a browser resubmits its form (a few times, then it gives up).
func resend(send func() (*http.Response, error)) (*http.Response, error) {
	for try := 0; ; try++ {
		res, err := send()
		if err != nil || try == 4 || res.StatusCode != http.StatusBadGateway || res.Header.Get(fleet.CutHeader) == "" {
			return res, err
		}
		res.Body.Close()
		time.Sleep(200 * time.Millisecond)
	}
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
// payment, and started again (a shopper whose page or device-data form
// was cut with it reloads or sends it again, as a browser would). Every
// payment ends in the state its card
// implies, each provider's ledger agrees with the database (each approved
// payment charged once, each declined one never; no Worldline charge
// without a payment), every merchant webhook of every payment is
// delivered, each event under one webhook-id, and no webhook was
// delivered twice at the same time.
func TestInstancesShareTheWork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers as child processes")
	}
	f := &shopFleet{Fleet: fleet.New(t, pgtest.For(t), 3), t: t}
	f.client = f.Client(30 * time.Second)
	f.StartAll()

	cards := []string{testcards.Visa, testcards.Mastercard, testcards.DeclineGeneric, testcards.DeclineFunds}
	approved := map[string]bool{testcards.Visa: true, testcards.Mastercard: true}
	providers := []string{"worldline", "payorder", "antom"}
	const shoppers = 48
	type order struct {
		session, card, provider string
		cut                     bool // its pay request died with its instance
	}
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
			session, cut := f.shop(provider, card, i%5 == 0)
			orders[i] = order{session: session, card: card, provider: provider, cut: cut}
		}()
		// Shoppers 24 to 27 pay through Worldline (providers change every
		// four shoppers): the hold is armed before them.
		switch i {
		case 20:
			// Worldline holds the next payment's authorisation: the
			// instance waiting for it is killed below.
			entered, release = f.Sandboxes.Worldline.HoldNext()
		case 26:
			select {
			case <-entered:
			case <-time.After(20 * time.Second):
				t.Fatal("no payment reached Worldline")
			}
			victim := -1
			for j := range f.Size() {
				if f.Paying(j) > 0 {
					victim = j
				}
			}
			if victim < 0 {
				t.Fatal("no instance is paying while Worldline holds a payment")
			}
			// SIGKILL while it waits; then Worldline answers to no one:
			// another instance must take the payment over after its
			// lease and find it charged.
			f.Kill(victim)
			release()
			// And a slow provider for the next calls, on the instances left.
			if err := f.Sandboxes.Worldline.InjectFault(sandboxfault.Fault{Kind: sandboxfault.Slow, Operation: wlsandbox.OperationCreate,
				Delay: 500 * time.Millisecond, Count: 3}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			f.Start(victim)
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
		charges := f.charges(o.provider, pid)
		if o.cut && want == "succeeded" && p["status"] == "failed" && charges == 0 {
			// Its instance died before the provider had the payment:
			// the inquiry that took it over found none, and it failed
			// with nothing charged (the shopper may pay again).
			fmt.Fprintf(os.Stderr, "fleet: payment %s was cut before it reached %s: failed, nothing charged\n", pid, o.provider)
			want = "failed"
		}
		if p["status"] != want {
			t.Errorf("session %s (%s, card %s…): payment %s is %v, want %s", o.session, o.provider, o.card[:6], pid, p["status"], want)
		}
		if want == "succeeded" && charges != 1 || want == "failed" && charges != 0 {
			t.Errorf("payment %s (%v) charged %d times", pid, p["status"], charges)
		}
		charged += charges
		if o.provider == "worldline" {
			wlCharged += charges
		}
	}
	if total := f.Sandboxes.Worldline.TotalCharges(); total != wlCharged {
		t.Errorf("Worldline charged %d times, the database knows of %d: a charge without its payment", total, wlCharged)
	}
	if made < shoppers-6 {
		t.Errorf("only %d of %d shoppers got a payment", made, shoppers)
	}

	// Webhooks: every payment's, each event under one webhook-id.
	var want []string
	for session, p := range payments {
		typ := "payment.failed"
		if p["status"] == "succeeded" {
			typ = "payment.succeeded"
			want = append(want, checkout.WebhookSessionCompleted+" "+session)
		}
		want = append(want, typ+" "+p["id"].(string))
	}
	if missing := f.Inbox.Wait(want, 60*time.Second); len(missing) > 0 {
		t.Fatalf("%d webhooks never delivered, e.g. %v", len(missing), missing[0])
	}
	for _, p := range f.Inbox.Problems() {
		t.Error(p)
	}
	events, retried := f.Inbox.Counts()
	fmt.Fprintf(os.Stderr, "fleet: %d shoppers over 3 instances (one killed and restarted, %d requests cut with it), %d payments, %d charges, %d events delivered (%d after a refused first attempt)\n",
		shoppers, f.Cut(), made, charged, events, retried)
}

// charges is how many times provider's ledger charged our payment id.
func (f *shopFleet) charges(provider, paymentID string) int {
	switch provider {
	case "payorder":
		o, _ := f.Sandboxes.Payorder.Order(paymentID)
		return o.Charges
	case "antom":
		return f.Sandboxes.Antom.Charges(paymentID)
	}
	return f.Sandboxes.Worldline.Charges(paymentID)
}
