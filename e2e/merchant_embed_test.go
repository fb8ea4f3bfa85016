package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

// TestMerchantEmbed: a merchant created with the CLI (`merchants create
// -embed-origin`) embeds the checkout on its own site, a different site
// from the checkout's, and takes payments in it with third-party cookies
// blocked, frictionless and with a challenge; it hears the outcome by
// postMessage and by a signed webhook. Every other origin is refused, and
// the session page's frame-ancestors lists exactly the merchant's origin.
// SECURITY.md R08: the merchant's page cannot read or type into our
// document, and no message it hears carries card data.
func TestMerchantEmbed(t *testing.T) {
	t.Parallel()
	site := newMerchantSite(t)
	other := newMerchantSite(t)
	allowed := site.localhost // http://localhost:PORT2
	m := createMerchantWithCLI(t, allowed, site.URL+"/hooks")

	// The session page over plain HTTP: the merchant's embedding origin,
	// and only it, may frame it.
	t.Run("frame-ancestors", func(t *testing.T) {
		t.Parallel()
		s := m.createSession(t)
		res, err := http.Get(s.url)
		must(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", s.url, res.StatusCode)
		}
		if got := frameAncestors(res.Header.Get("Content-Security-Policy")); !slices.Equal(got, []string{allowed}) {
			t.Fatalf("frame-ancestors %q, want exactly [%s]", got, allowed)
		}
	})

	for _, row := range []struct{ name, number, otp string }{
		{"frictionless", testcards.Visa, ""},
		{"challenge", testcards.Challenge, testcards.ChallengeCode},
	} {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			s := m.createSession(t)
			page := newPage(t)
			must(t, goto_(page, allowed+"/?session="+url.QueryEscape(s.url)))
			frame := page.FrameLocator("#checkout iframe")
			must(t, expect.Locator(frame.GetByTestId("card-number")).ToBeVisible())
			expectWalledOff(t, page, "#checkout iframe")

			payInFrame(t, frame, row.number)
			if row.otp != "" {
				// The provider's challenge, nested in our frame, is walled off too.
				must(t, expect.Locator(frame.GetByTestId("challenge-frame")).ToBeVisible())
				acs := frame.FrameLocator("[data-testid=challenge-frame]")
				must(t, expect.Locator(acs.GetByTestId("otp-input")).ToBeVisible())
				expectWalledOff(t, page, "#checkout iframe")
				must(t, acs.GetByTestId("otp-input").Fill(row.otp))
				must(t, acs.GetByTestId("otp-submit").Click())
			}
			must(t, expect.Locator(frame.GetByTestId("result-status")).ToHaveAttribute("data-status", "succeeded",
				playwright.LocatorAssertionsToHaveAttributeOptions{Timeout: playwright.Float(20000)}))

			// The merchant's page heard it through embed.js, without leaving.
			must(t, expect.Locator(page.Locator("#status")).ToHaveAttribute("data-status", "succeeded"))
			must(t, expect.Locator(page.Locator("#status")).ToHaveAttribute("data-session", s.id))
			if !strings.HasPrefix(page.URL(), allowed+"/") {
				t.Fatalf("the shopper left the merchant's page: %s", page.URL())
			}
			expectWalledOff(t, page, "#checkout iframe")
			expectCleanMessages(t, page, s.id, row.number)

			// The merchant's server confirms with its own key, and its
			// webhook endpoint got the signed completion.
			if got := m.getSession(t, s.id); got["status"] != "complete" || got["payment_status"] != "paid" {
				t.Fatalf("the merchant API says %v / %v", got["status"], got["payment_status"])
			}
			site.expectWebhook(t, m.webhookSecret, "checkout.session.completed", s.id)
		})
	}

	// The same merchant page served from origins the merchant did not list:
	// another port of the same host, and the same port on another host.
	for _, row := range []struct{ name, origin string }{
		{"refused/other-port", other.localhost},
		{"refused/other-host", site.URL},
	} {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			s := m.createSession(t)
			page := newPage(t)
			must(t, goto_(page, row.origin+"/?session="+url.QueryEscape(s.url)))
			// The browser settled the frame (its load event fires for a
			// blocked frame too), then give a late render its chance.
			must(t, expect.Locator(page.Locator("body")).ToHaveAttribute("data-frame-loaded", "true"))
			time.Sleep(time.Second)
			if n, _ := page.FrameLocator("#checkout iframe").GetByTestId("card-number").Count(); n != 0 {
				t.Fatalf("the card form rendered in a frame on %s, which the merchant did not allow", row.origin)
			}
			if st, _ := page.Locator("#status").GetAttribute("data-status"); st != "" {
				t.Fatalf("the page on %s heard %q from a blocked frame", row.origin, st)
			}
			if msgs := parentMessages(t, page); len(msgs) != 0 {
				t.Fatalf("the page on %s heard %d messages from a blocked frame: %v", row.origin, len(msgs), msgs)
			}
			if got := m.getSession(t, s.id); got["status"] != "open" || got["payment_status"] != "unpaid" {
				t.Fatalf("a refused session moved: %v / %v", got["status"], got["payment_status"])
			}
		})
	}
}

// merchantPage is a merchant's own checkout page: it loads our embed.js and
// mounts the session URL of its query, records every message event it
// receives (origin, whether from the checkout frame, the data as JSON) in
// window.__messages, and shows the outcome embed.js reports in #status.
const merchantPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corner Shop: checkout</title></head>
<body>
<h1>Corner Shop</h1>
<p id="status"></p>
<div id="checkout"></div>
<script>
  window.__messages = [];
  window.addEventListener("message", function (e) {
    var f = document.querySelector("#checkout iframe");
    window.__messages.push({
      origin: e.origin,
      fromCheckout: e.origin === "CHECKOUT_ORIGIN",
      fromFrame: !!f && e.source === f.contentWindow,
      data: JSON.stringify(e.data)
    });
  });
</script>
<script src="CHECKOUT_ORIGIN/embed.js"></script>
<script>
  var frame = OpenCheckout.mount(document.getElementById("checkout"),
    new URLSearchParams(location.search).get("session"), {
      onComplete: function (e) {
        var s = document.getElementById("status");
        s.textContent = "Checkout finished: " + e.status;
        s.dataset.status = e.status;
        s.dataset.session = e.session;
      }
    });
  frame.addEventListener("load", function () { document.body.dataset.frameLoaded = "true"; });
</script>
</body></html>`

// merchantSite is a merchant's web server, on a site of its own: the
// listener is 127.0.0.1, and the browser reaches it as localhost, a
// different site from the checkout's 127.0.0.1 (its URL, 127.0.0.1:PORT, is
// a different origin of the same server). It also takes the merchant's
// webhooks at /hooks.
type merchantSite struct {
	*httptest.Server
	localhost string // http://localhost:PORT

	mu    sync.Mutex
	hooks []webhookDelivery
}

type webhookDelivery struct {
	header http.Header
	body   []byte
}

func newMerchantSite(t *testing.T) *merchantSite {
	t.Helper()
	s := &merchantSite{}
	page := strings.ReplaceAll(merchantPage, "CHECKOUT_ORIGIN", app.URL)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	mux.HandleFunc("POST /hooks", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s.mu.Lock()
		s.hooks = append(s.hooks, webhookDelivery{r.Header.Clone(), body})
		s.mu.Unlock()
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	s.localhost = fmt.Sprintf("http://localhost:%d", s.Listener.Addr().(*net.TCPAddr).Port)
	return s
}

// expectWebhook waits for a webhook of the type about the session, signed
// (Standard Webhooks) with the secret the CLI printed.
func (s *merchantSite) expectWebhook(t *testing.T, secret, typ, sessionID string) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	must(t, err)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		hooks := slices.Clone(s.hooks)
		s.mu.Unlock()
		for _, h := range hooks {
			var ev struct {
				Type string `json:"type"`
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if json.Unmarshal(h.body, &ev) != nil || ev.Type != typ || ev.Data.ID != sessionID {
				continue
			}
			if err := wh.Verify(h.body, h.header); err != nil {
				t.Fatalf("%s webhook for %s is not signed with the printed secret: %q", typ, sessionID, h.header.Get("webhook-signature"))
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s webhook for %s reached the merchant", typ, sessionID)
}

// cliMerchant is a merchant made by `checkout merchants create`, with the
// secrets it printed.
type cliMerchant struct {
	id, key, webhookSecret string
	returnOrigin           string
}

var (
	printedKey     = regexp.MustCompile(`(?m)^secret key: (sk_test_\S+)$`)
	printedID      = regexp.MustCompile(`(?m)^merchant: +(mer_\S+) `)
	printedWebhook = regexp.MustCompile(`(?m)^webhook secret: (whsec_\S+)$`)
)

// createMerchantWithCLI runs `checkout merchants create` in-process on the
// running app's database, as an operator would beside the live server.
func createMerchantWithCLI(t *testing.T, origin, webhookURL string) *cliMerchant {
	t.Helper()
	env := map[string]string{"CHECKOUT_DB": filepath.Join(workDir, "checkout.db"), "CHECKOUT_MODE": web.ModeSandbox}
	var stdout, stderr bytes.Buffer
	code := operator.MerchantsCommand([]string{"create", "-name", "Corner Shop", "-return-origin", origin,
		"-embed-origin", origin, "-webhook-url", webhookURL, "-provider", "payorder", "-test"},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("merchants create: exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	key, id, hook := printedKey.FindStringSubmatch(out), printedID.FindStringSubmatch(out), printedWebhook.FindStringSubmatch(out)
	if key == nil || id == nil || hook == nil {
		t.Fatalf("merchants create printed no merchant id, secret key or webhook secret:\n%s", out)
	}
	return &cliMerchant{id: id[1], key: key[1], webhookSecret: hook[1], returnOrigin: origin}
}

type createdSession struct{ id, url string }

// createSession creates a $25 session through the merchant API with the
// merchant's key, returning to its site.
func (m *cliMerchant) createSession(t *testing.T) createdSession {
	t.Helper()
	ref := "order-" + rand.Text()[:10]
	body, _ := json.Marshal(map[string]any{
		"amount": 2500, "currency": "USD", "merchant_reference": ref,
		"line_items": []map[string]any{
			{"name": "Mug", "quantity": 2, "unit_amount": 1000}, {"name": "Beans", "quantity": 1, "unit_amount": 500}},
		"success_url": m.returnOrigin + "/thanks", "cancel_url": m.returnOrigin + "/cart",
	})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, app.URL+"/v1/checkout/sessions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+m.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ref)
	var s map[string]any
	if status := doJSON(t, req, &s); status != http.StatusCreated {
		t.Fatalf("create session: %d %v", status, s)
	}
	id, _ := s["id"].(string)
	u, _ := s["url"].(string)
	if id == "" || u != app.URL+"/c/"+id || s["provider"] != "payorder" {
		t.Fatalf("created session: %v", s)
	}
	return createdSession{id, u}
}

// getSession reads a session through the merchant API with its key.
func (m *cliMerchant) getSession(t *testing.T, id string) map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, app.URL+"/v1/checkout/sessions/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+m.key)
	var s map[string]any
	if status := doJSON(t, req, &s); status != http.StatusOK {
		t.Fatalf("GET session %s: %d %v", id, status, s)
	}
	return s
}

func doJSON(t *testing.T, req *http.Request, out any) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %v", req.Method, req.URL.Path, res.StatusCode, err)
	}
	return res.StatusCode
}

// frameAncestors is the source list of a CSP's frame-ancestors directive.
func frameAncestors(csp string) []string {
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == "frame-ancestors" {
			return f[1:]
		}
	}
	return nil
}

// expectWalledOff checks, from the merchant's page, that the checkout frame
// (and any frame inside it) is another origin's document (R08): its
// contentDocument is null, reading its document throws, and so does typing
// into a card field through it.
func expectWalledOff(t *testing.T, page playwright.Page, selector string) {
	t.Helper()
	got, err := page.Evaluate(`(sel) => {
		const f = document.querySelector(sel);
		const attempt = (fn) => { try { fn(); return "allowed"; } catch (e) { return e.name; } };
		const out = {
			contentDocumentNull: f.contentDocument === null,
			read: attempt(() => f.contentWindow.document.body.innerHTML),
			type: attempt(() => { f.contentWindow.document.querySelector("[data-testid=card-number]").value = "1"; }),
			nested: [],
		};
		for (let i = 0; i < f.contentWindow.frames.length; i++) {
			out.nested.push(attempt(() => f.contentWindow.frames[i].document.body.innerHTML));
		}
		return out;
	}`, selector)
	must(t, err)
	r, _ := got.(map[string]any)
	if r["contentDocumentNull"] != true || r["read"] != "SecurityError" || r["type"] != "SecurityError" {
		t.Fatalf("the merchant's page can reach into the checkout frame: %v", r)
	}
	nested, _ := r["nested"].([]any)
	for _, n := range nested {
		if n != "SecurityError" {
			t.Fatalf("the merchant's page can reach into a frame nested in the checkout: %v", r)
		}
	}
}

// parentMessage is one message event the merchant's page received.
type parentMessage struct {
	Origin       string `json:"origin"`
	FromCheckout bool   `json:"fromCheckout"`
	FromFrame    bool   `json:"fromFrame"`
	Data         string `json:"data"`
}

func parentMessages(t *testing.T, page playwright.Page) []parentMessage {
	t.Helper()
	raw, err := page.Evaluate(`() => JSON.stringify(window.__messages)`)
	must(t, err)
	var msgs []parentMessage
	must(t, json.Unmarshal([]byte(raw.(string)), &msgs))
	return msgs
}

var digitRun = regexp.MustCompile(`\d{13,19}`)

// expectCleanMessages checks every message the merchant's page heard (R08):
// only from the checkout frame on the checkout's origin, only a resize or
// the outcome, with no 13-19 digit run, the card number or the CVC in it;
// and the outcome for this session was among them.
func expectCleanMessages(t *testing.T, page playwright.Page, sessionID, number string) {
	t.Helper()
	msgs := parentMessages(t, page)
	var resized, completed bool
	for _, m := range msgs {
		if m.Origin != app.URL || !m.FromCheckout || !m.FromFrame {
			t.Fatalf("a message from %q (not the checkout frame on %s): %s", m.Origin, app.URL, m.Data)
		}
		// The session id is base32 and may hold digits; it is no card data.
		data := strings.ReplaceAll(m.Data, sessionID, "cs_")
		if digitRun.MatchString(data) || strings.Contains(data, number) || strings.Contains(data, cvc) {
			t.Fatalf("a message carries card data: %s", m.Data)
		}
		var d map[string]any
		must(t, json.Unmarshal([]byte(m.Data), &d))
		for k := range d {
			if !slices.Contains([]string{"type", "height", "status", "session"}, k) {
				t.Fatalf("a message carries an unexpected field %q: %s", k, m.Data)
			}
		}
		switch d["type"] {
		case "opencheckout:resize":
			resized = true
		case "opencheckout:complete":
			completed = completed || (d["status"] == "succeeded" && d["session"] == sessionID)
		default:
			t.Fatalf("an unexpected message: %s", m.Data)
		}
	}
	if !resized || !completed {
		t.Fatalf("the merchant's page heard no resize (%v) or no completion of %s (%v): %v", resized, sessionID, completed, msgs)
	}
}
