package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// The page-state gallery: every state a shopper's page can be in, each
// reached through the real flows (sessions created through the merchant
// API, paid in the browser against the provider sandboxes over HTTP),
// once per locale. TestScreens visits it.

// galleryStates lists the states walkStates reaches, in its order.
var galleryStates = []string{
	"form", "form-errors", "403", "succeeded", "failed", "challenge", "authorized", "canceled",
	"saved-cards", "wallet", "wallet-chosen", "expired", "404", "429",
	"ddc", "pending", "redirect", "wallet-redirect",
}

// What the gallery's sessions show that is the merchant's (data, not
// catalog text).
const (
	galleryReference = "A11Y-1042"
	galleryMug       = "Ceramic mug"
	galleryBeans     = "Espresso beans"
	demoMerchantName = "Demo Coffee Co."
)

// galleryData is what may stand outside the pseudo-locale's brackets on the
// gallery's pages.
var galleryData = pseudoData{strings: append([]string{demoMerchantName, galleryMug, galleryBeans, galleryReference,
	demoSupportEmail, demoSupportLabel}, cardBrands...)}

// visitor is called on each state, with the page showing it.
type visitor func(t *testing.T, state string, page playwright.Page)

// galleryWidths are the viewports every state is checked at: a phone and a
// laptop. The flows run at the first.
var galleryWidths = []playwright.Size{{Width: 375, Height: 812}, {Width: 1280, Height: 900}}

// galleryPage opens a browser context speaking locale. With scriptsOff the
// page's own scripts (our /assets/*.js, and any script of the providers'
// pages) never load, so the page shows what a shopper without JavaScript
// sees (the "nojs-only" Continue and Check again), while the browser can
// still run the checks' scripts (axe goes in through the DevTools
// protocol, which the page's CSP does not govern).
func galleryPage(t *testing.T, locale string, scriptsOff bool) playwright.Page {
	t.Helper()
	browserLocale := locale
	if locale == "en-XA" {
		browserLocale = "en-US" // browsers never ask for the pseudo-locale
	}
	vp := galleryWidths[0]
	page := newPage(t, playwright.BrowserNewContextOptions{Locale: playwright.String(browserLocale), Viewport: &vp})
	if scriptsOff {
		must(t, page.Context().Route("**/*.js", func(r playwright.Route) { _ = r.Abort() }))
	}
	return page
}

// sessionOptions are what a gallery session differs in.
type sessionOptions struct {
	provider, currency, capture string
	methods                     []string
	customer                    string
}

// gallerySession creates a session through the merchant API with the demo
// merchant's key: two line items, a reference, return URLs, the locale.
func gallerySession(t *testing.T, locale string, o sessionOptions) string {
	t.Helper()
	body := map[string]any{
		"amount": 2500, "currency": "USD", "merchant_reference": galleryReference, "locale": locale,
		"line_items": []map[string]any{
			{"name": galleryMug, "quantity": 2, "unit_amount": 1000},
			{"name": galleryBeans, "quantity": 1, "unit_amount": 500},
		},
		"success_url": "https://shop.example/thanks", "cancel_url": "https://shop.example/cart",
	}
	if o.provider != "" {
		body["provider"] = o.provider
	}
	if o.currency != "" {
		body["currency"] = o.currency
	}
	if o.capture != "" {
		body["capture_mode"] = o.capture
	}
	if o.methods != nil {
		body["payment_methods"] = o.methods
	}
	if o.customer != "" {
		body["customer"] = map[string]any{"reference": o.customer}
	}
	status, raw := postDemoSession(t, body)
	if status != http.StatusCreated {
		t.Fatalf("create session: %d %s", status, raw)
	}
	var s struct{ ID string }
	must(t, json.Unmarshal(raw, &s))
	return s.ID
}

// apiPost posts to the merchant API with the demo key and wants a 200.
func apiPost(t *testing.T, path string) map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, app.URL+path, bytes.NewReader(nil))
	req.Header.Set("Authorization", "Bearer "+app.DemoAPIKey)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, raw)
	}
	return out
}

// expectPage waits for the page to be the answer with HTTP status code
// (the document's own, as the browser received it).
func expectPage(t *testing.T, page playwright.Page, hook string, status int) {
	t.Helper()
	must(t, expect.Locator(page.GetByTestId(hook)).ToBeVisible())
	got, err := page.Evaluate(`() => performance.getEntriesByType("navigation")[0].responseStatus`)
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(status) {
		t.Fatalf("%s: the page answered %v, want %d", page.URL(), got, status)
	}
}

// unknownSessionID is a well-formed session id that names no session.
func unknownSessionID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "cs_" + string(b)
}

// exhaustSessionLimit spends a session's page requests for this minute
// (the app's SessionRequestsPerMinute, 60 in the e2e app) with plain HTTP,
// so that the browser's next request is one too many.
func exhaustSessionLimit(t *testing.T, id string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := 0; ; i++ {
		res, err := client.Get(app.URL + "/c/" + id + "/status")
		must(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			return
		}
		if i > 200 {
			t.Fatal("the session's pages are not limited")
		}
	}
}

// walkStates reaches every state of galleryStates in locale and calls visit
// on each. Two pages run the flows side by side: one with scripts, one
// without (device data collection, pending and the redirects show their
// no-JavaScript Continue there).
func walkStates(t *testing.T, locale string, visit visitor) {
	flows := []struct {
		name string
		run  func(*testing.T, string, visitor)
	}{{"scripts", scriptFlows}, {"no-scripts", noScriptFlows}}
	var wg sync.WaitGroup
	for _, f := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A flow that fails ends its own subtest; the other goes on.
			t.Run(f.name, func(t *testing.T) { f.run(t, locale, visit) })
		}()
	}
	wg.Wait()
}

// scriptFlows are the states a shopper with JavaScript sees.
func scriptFlows(t *testing.T, locale string, visit visitor) {
	page := galleryPage(t, locale, false)

	// The card form, then refused input, then a POST without a form token.
	id := gallerySession(t, locale, sessionOptions{provider: "payorder"})
	must(t, goto_(page, app.URL+"/c/"+id))
	expectPage(t, page, "pay-button", http.StatusOK)
	visit(t, "form", page)
	fillCard(t, page, "4242 4242 4242 4241", "13/30", "12", "")
	must(t, page.GetByTestId("pay-button").Click())
	expectPage(t, page, "error-summary", http.StatusUnprocessableEntity)
	visit(t, "form-errors", page)
	_, err := page.Evaluate(`() => document.querySelector("#pay-form input[name=form_token]").remove()`)
	must(t, err)
	fillCard(t, page, testcards.Visa, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectPage(t, page, "error-heading", http.StatusForbidden)
	visit(t, "403", page)

	// The same session paid (device data collection runs and moves on).
	must(t, goto_(page, app.URL+"/c/"+id))
	fillCard(t, page, testcards.Visa, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "succeeded")
	visit(t, "succeeded", page)

	id = gallerySession(t, locale, sessionOptions{provider: "payorder"})
	must(t, goto_(page, app.URL+"/c/"+id))
	fillCard(t, page, testcards.DeclineGeneric, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "failed")
	must(t, expect.Locator(page.GetByTestId("try-again")).ToBeVisible())
	visit(t, "failed", page)

	id = gallerySession(t, locale, sessionOptions{provider: "payorder"})
	must(t, goto_(page, app.URL+"/c/"+id))
	fillCard(t, page, testcards.Challenge, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	must(t, expect.Locator(page.FrameLocator("[data-testid=challenge-frame]").GetByTestId("otp-input")).ToBeVisible())
	visit(t, "challenge", page)

	// Manual capture: authorized; then the merchant cancels it.
	id = gallerySession(t, locale, sessionOptions{provider: "worldline", currency: "EUR", capture: "manual"})
	must(t, goto_(page, app.URL+"/c/"+id))
	fillCard(t, page, testcards.Visa, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectResult(t, page, "authorized")
	visit(t, "authorized", page)
	apiPost(t, "/v1/payments/"+payments(t, id)[0].ID+"/cancel")
	_, err = page.Reload()
	must(t, err)
	expectResult(t, page, "canceled")
	visit(t, "canceled", page)

	// Saved cards: the shopper adds one on the provider's page.
	id = gallerySession(t, locale, sessionOptions{methods: []string{"saved_card", "card"}, customer: "a11y-" + unknownSessionID()[3:15]})
	must(t, goto_(page, app.URL+"/c/"+id))
	addCard(t, page, testcards.Visa, "")
	visit(t, "saved-cards", page)

	// Card or wallet: the method chooser, on the card, then on the wallet.
	id = gallerySession(t, locale, sessionOptions{methods: []string{"card", "wallet"}})
	must(t, goto_(page, app.URL+"/c/"+id))
	expectPage(t, page, "payment-method-card", http.StatusOK)
	visit(t, "wallet", page)
	must(t, page.GetByTestId("payment-method-wallet-option").Click())
	must(t, expect.Locator(page.GetByTestId("payment-method-wallet")).ToBeVisible())
	visit(t, "wallet-chosen", page)

	id = gallerySession(t, locale, sessionOptions{})
	apiPost(t, "/v1/checkout/sessions/"+id+"/expire")
	must(t, goto_(page, app.URL+"/c/"+id))
	expectResult(t, page, "expired")
	visit(t, "expired", page)

	// Error pages. An unknown session has no language of its own: the
	// browser's decides; the pseudo-locale, never a browser's, is asked
	// for by a session whose page does not exist.
	missing := "/c/" + unknownSessionID()
	if locale == "en-XA" {
		missing = "/c/" + gallerySession(t, locale, sessionOptions{}) + "/no-such-page"
	}
	must(t, goto_(page, app.URL+missing))
	expectPage(t, page, "error-heading", http.StatusNotFound)
	visit(t, "404", page)

	id = gallerySession(t, locale, sessionOptions{})
	exhaustSessionLimit(t, id)
	must(t, goto_(page, app.URL+"/c/"+id))
	expectPage(t, page, "error-heading", http.StatusTooManyRequests)
	visit(t, "429", page)
}

// noScriptFlows are the states that move on by themselves with
// JavaScript, shown without it.
func noScriptFlows(t *testing.T, locale string, visit visitor) {
	page := galleryPage(t, locale, true)

	// payOrder's device data collection, then a payment whose answer
	// never comes (pending until reconciliation settles it; without
	// scripts the page waits for "Check again").
	id := gallerySession(t, locale, sessionOptions{provider: "payorder"})
	must(t, goto_(page, app.URL+"/c/"+id))
	fillCard(t, page, testcards.TimeoutAfterCharge, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectPage(t, page, "ddc-continue", http.StatusOK)
	visit(t, "ddc", page)
	must(t, page.GetByTestId("ddc-continue").Click())
	expectResult(t, page, "pending")
	must(t, expect.Locator(page.GetByTestId("check-again")).ToBeVisible())
	visit(t, "pending", page)

	// Worldline's challenge is a redirect of the whole window.
	id = gallerySession(t, locale, sessionOptions{provider: "worldline", currency: "EUR"})
	must(t, goto_(page, app.URL+"/c/"+id))
	fillCard(t, page, testcards.Challenge, expiry(), cvc, "Ada Lovelace")
	must(t, page.GetByTestId("pay-button").Click())
	expectPage(t, page, "redirect-continue", http.StatusOK)
	visit(t, "redirect", page)

	// The wallet's cashier is reached by a form.
	id = gallerySession(t, locale, sessionOptions{methods: []string{"card", "wallet"}})
	must(t, goto_(page, app.URL+"/c/"+id))
	must(t, page.GetByTestId("payment-method-wallet-option").Click()) // the chooser needs no script
	must(t, page.GetByTestId("payment-method-wallet").Click())
	expectPage(t, page, "redirect-continue", http.StatusOK)
	visit(t, "wallet-redirect", page)
}
